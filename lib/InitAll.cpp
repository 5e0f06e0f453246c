//===- InitAll.cpp - register wafer's dialects and passes -----------------===//

#include "wafer/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Support/Version.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

void wafer::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<WaferDialect, mlir::func::FuncDialect,
                  mlir::arith::ArithDialect, mlir::tensor::TensorDialect>();
}

void wafer::registerAllPasses() {
  registerWaferPasses();
  mlir::PassPipelineRegistration<>(
      "wafer-graph-pipeline",
      "Canonicalize, fuse transformer kernels, canonicalize and CSE: ONNX "
      "import output to wafer kernels",
      buildGraphPipeline);
}

void wafer::buildGraphPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createWaferDecomposeConv());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createWaferFuseKernels());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

void wafer::setVersionPrinter(const char *tool) {
  static std::string name;
  name = tool;
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << name << " " << wafer::version() << " (LLVM " << LLVM_VERSION_STRING
       << ")\n";
  });
}
