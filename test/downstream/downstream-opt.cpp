// An MLIR tool of a downstream project: it registers wafer's dialects and
// passes through the public entry points and nothing else.
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "wafer/InitAll.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  wafer::registerAllDialects(registry);
  wafer::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "downstream of wafer\n", registry));
}
