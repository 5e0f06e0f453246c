//===- onnx_import_fuzzer.cpp - libFuzzer target: the ONNX importer -------===//
//
// Bytes -> importOnnxModel (binary or text) -> verify. A refusal is a
// diagnostic; anything else (a crash, a hang, an assertion) is a bug.
//
//===----------------------------------------------------------------------===//

#include <cstdint>

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "wafer/Import/OnnxImporter.h"
#include "wafer/InitAll.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::DialectRegistry registry;
  wafer::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  mlir::OwningOpRef<mlir::ModuleOp> module = wafer::importOnnxModel(
      bytes, "fuzz/model.onnx", &context, wafer::OnnxImportOptions{});
  if (module)
    (void)mlir::verify(*module);
  return 0;
}
