//===- mlir_parser_fuzzer.cpp - libFuzzer target: wafer IR parser ---------===//
//
// Bytes -> parse as MLIR with the wafer dialect -> verify -> the spatial
// checks. Refusals are diagnostics; a crash is a bug.
//
//===----------------------------------------------------------------------===//

#include <cstdint>
#include <string>

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "wafer/Analysis/SpatialVerifier.h"
#include "wafer/InitAll.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  wafer::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  // The parser reads a null-terminated buffer, as tools give it.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (module && mlir::succeeded(mlir::verify(*module)))
    (void)wafer::verifySpatial(*module);
  return 0;
}
