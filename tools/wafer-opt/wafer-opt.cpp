//===- wafer-opt.cpp - the wafer MLIR optimizer driver --------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "wafer/InitAll.h"
#include "wafer/Support/OutputFile.h"
#include "llvm/Support/MemoryBuffer.h"
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
  wafer::protectInput(inputFilename);
  if (std::string error = wafer::checkOutputPath(outputFilename);
      !error.empty()) {
    llvm::errs() << "error: -o: " << error << "\n";
    return 1;
  }
  mlir::MlirOptMainConfig config = mlir::MlirOptMainConfig::createFromCLOptions();
  // Listings print and write no file.
  if (config.shouldShowDialects() || config.shouldListPasses())
    return mlir::asMainReturnCode(mlir::MlirOptMain(
        argc, argv, inputFilename, outputFilename, registry));
  std::string message;
  std::unique_ptr<llvm::MemoryBuffer> input =
      mlir::openInputFile(inputFilename, &message);
  if (!input) {
    llvm::errs() << "error: " << message << "\n";
    return 1;
  }
  // The output is written whole through wafer's output file, only when the
  // run succeeds: a failed or interrupted run leaves the previous file.
  std::string output;
  llvm::raw_string_ostream stream(output);
  if (mlir::failed(
          mlir::MlirOptMain(stream, std::move(input), registry, config)))
    return 1;
  if (std::string error = wafer::writeOutputFile(outputFilename, output);
      !error.empty()) {
    llvm::errs() << "error: " << error << "\n";
    return 1;
  }
  return 0;
}
