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

namespace {

/// `wafer-compile-pipeline`'s textual options.
struct CompilePipelineTextOptions
    : public mlir::PassPipelineOptions<CompilePipelineTextOptions> {
  Option<std::string> target{
      *this, "target",
      llvm::cl::desc("Target preset with optional overrides "
                     "(NAME[:key=value,...])"),
      llvm::cl::init("wse3")};
  Option<std::string> mode{
      *this, "mode",
      llvm::cl::desc("Execution mode: auto, pipelined or weight-streaming"),
      llvm::cl::init("auto")};
  Option<bool> fusion{*this, "fusion",
                      llvm::cl::desc("Fuse transformer kernels"),
                      llvm::cl::init(true)};
};

} // namespace

void wafer::registerAllPasses() {
  registerWaferPasses();
  mlir::PassPipelineRegistration<>(
      "wafer-graph-pipeline",
      "Decompose convolutions, canonicalize, fuse transformer kernels, "
      "canonicalize and CSE: ONNX import output to wafer kernels",
      [](mlir::OpPassManager &pm) { buildGraphPipeline(pm); });
  mlir::PassPipelineRegistration<CompilePipelineTextOptions>(
      "wafer-compile-pipeline",
      "The whole compile of an imported module to the routed level (what "
      "wafer-compile --emit=routed does for inference): target, graph "
      "pipeline, layers, placement, routing",
      [](mlir::OpPassManager &pm, const CompilePipelineTextOptions &text) {
        buildCompilePipeline(pm, CompilePipelineOptions{text.target, text.mode,
                                                        text.fusion});
      });
}

void wafer::buildCompilePipeline(mlir::OpPassManager &pm,
                                 const CompilePipelineOptions &options) {
  pm.addPass(createWaferAttachTarget(
      WaferAttachTargetOptions{options.target}));
  buildGraphPipeline(pm, options.fusion);
  pm.addNestedPass<mlir::func::FuncOp>(createWaferAnnotateLayers());
  pm.addPass(createWaferPlace(WaferPlaceOptions{options.mode, {}}));
  pm.addPass(createWaferRoute());
  pm.addPass(createWaferVerifyRoutes());
}

void wafer::buildGraphPipeline(mlir::OpPassManager &pm, bool fusion) {
  if (fusion)
    return buildGraphPipeline(pm);
  pm.addPass(createWaferDecomposeConv());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
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
