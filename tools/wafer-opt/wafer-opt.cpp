//===- wafer-opt.cpp - the wafer MLIR optimizer driver --------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "wafer/InitAll.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  wafer::registerAllDialects(registry);
  wafer::registerAllPasses();
  // Upstream canonicalize, cse and friends, for use in wafer pipelines.
  mlir::registerTransformsPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "wafer optimizer driver\n", registry));
}
