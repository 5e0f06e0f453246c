//===- wafer-translate.cpp - wafer's translations -------------------------===//
//
// --import-onnx: an ONNX model (binary or ONNX text) to wafer graph-level IR.
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/SourceMgr.h"
#include "wafer/Import/OnnxImporter.h"
#include "wafer/InitAll.h"

using namespace mlir;

static llvm::cl::list<std::string> inputShapes(
    "input-shape",
    llvm::cl::desc("Static shape of a graph input: NAME=DIMxDIMx... "
                   "(repeatable)"));
static llvm::cl::list<std::string>
    dimValues("dim", llvm::cl::desc("Value of a symbolic dimension: "
                                    "PARAM=VALUE (repeatable)"));

static OwningOpRef<Operation *> importOnnx(llvm::SourceMgr &sourceMgr,
                                           MLIRContext *context) {
  const llvm::MemoryBuffer *buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
  wafer::OnnxImportOptions options;
  Location loc = FileLineColLoc::get(context, buffer->getBufferIdentifier(),
                                     0, 0);
  for (const std::string &text : inputShapes)
    if (std::string err = wafer::parseInputShapeOption(text, options);
        !err.empty()) {
      emitError(loc) << err;
      return nullptr;
    }
  for (const std::string &text : dimValues)
    if (std::string err = wafer::parseDimOption(text, options); !err.empty()) {
      emitError(loc) << err;
      return nullptr;
    }
  OwningOpRef<ModuleOp> module =
      wafer::importOnnxModel(buffer->getBuffer(),
                             buffer->getBufferIdentifier(), context, options);
  if (!module)
    return nullptr;
  return OwningOpRef<Operation *>(module.release());
}

int main(int argc, char **argv) {
  TranslateToMLIRRegistration importRegistration(
      "import-onnx", "import an ONNX model (.onnx or .onnxtext)", importOnnx,
      [](DialectRegistry &registry) { wafer::registerAllDialects(registry); });
  return failed(mlirTranslateMain(argc, argv, "wafer translation tool"));
}
