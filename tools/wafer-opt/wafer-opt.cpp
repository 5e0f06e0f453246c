//===- wafer-opt.cpp - the wafer MLIR optimizer driver --------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "wafer/InitAll.h"
#include "wafer/Support/OutputFile.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  wafer::setVersionPrinter("wafer-opt");
  mlir::DialectRegistry registry;
  wafer::registerAllDialects(registry);
  wafer::registerAllPasses();
  // Upstream canonicalize, cse and friends, for use in wafer pipelines.
  mlir::registerTransformsPasses();
  auto [inputFilename, outputFilename] = mlir::registerAndParseCLIOptions(
      argc, argv, "wafer optimizer driver\n", registry);
  // Upstream opens the output (truncating it) while the input is still
  // mapped: an output that is the input is refused first.
  wafer::protectInput(inputFilename);
  if (std::string error = wafer::checkOutputPath(outputFilename);
      !error.empty()) {
    llvm::errs() << "error: -o: " << error << "\n";
    return 1;
  }
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, inputFilename, outputFilename, registry));
}
