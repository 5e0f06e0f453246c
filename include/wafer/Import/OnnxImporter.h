//===- OnnxImporter.h - ONNX to the wafer graph level -----------*- C++ -*-===//

#ifndef WAFER_IMPORT_ONNXIMPORTER_H
#define WAFER_IMPORT_ONNXIMPORTER_H

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace wafer {

struct OnnxImportOptions {
  /// Static shapes for graph inputs, by input name (`--input-shape`).
  std::map<std::string, std::vector<int64_t>> inputShapes;
  /// Values for symbolic dimensions, by dim_param (`--dim seq=128`).
  std::map<std::string, int64_t> dimValues;
  /// Graph inputs bound to values at compile time (`--input-value`), as
  /// serialized ONNX TensorProtos by input name: each imports as a constant
  /// of its file's shape and value, and is no input of the compiled model
  /// (a shape operand that a test gives as an input).
  std::map<std::string, std::string> inputValues;
  /// Initializers with at most this many elements (and no external data)
  /// become inline `wafer.constant`s; larger ones are `wafer.weight`s.
  int64_t inlineElementLimit = 64;
  /// Float initializers become `wafer.weight`s whatever their size (a
  /// training step trains them all).
  bool floatInitializersAsWeights = false;
  /// Initializers that are not trained (`--freeze`): they import as they do
  /// for inference (small ones inline and foldable). Each must exist.
  std::set<std::string> frozen;
  /// Every `inputShapes` name must be a graph input and every `dimValues`
  /// name a symbolic dimension of one (a misspelling is an error, not
  /// ignored); off where one set of options serves several models.
  bool requireNamesUsed = false;
  /// Host-side constant folding handles results up to this many elements.
  int64_t foldElementLimit = 1 << 16;
};

/// Parses `--input-shape NAME=2x64` into `options`; returns an error message
/// or the empty string.
std::string parseInputShapeOption(llvm::StringRef text,
                                  OnnxImportOptions &options);
/// Parses `--dim PARAM=VALUE` into `options`; returns an error message or the
/// empty string.
std::string parseDimOption(llvm::StringRef text, OnnxImportOptions &options);
/// Parses `--input-value NAME=FILE.pb` (an ONNX TensorProto file, as in the
/// ONNX test-data layout) and reads the file into `options`; returns an
/// error message or the empty string.
std::string parseInputValueOption(llvm::StringRef text,
                                  OnnxImportOptions &options);

/// Imports the ONNX model in `bytes` (binary, or ONNX text syntax when
/// `path` ends in `.onnxtext` or the bytes start with `<`). `path` names the
/// model for diagnostics and locates external data (relative to its folder).
/// Errors are emitted as diagnostics; returns null on failure.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxModel(llvm::StringRef bytes, llvm::StringRef path,
                mlir::MLIRContext *context, const OnnxImportOptions &options);

/// One op type's entry in a model's census.
struct OnnxOpCount {
  std::string domain; // Empty for the default domain.
  std::string opType;
  int64_t count = 0;
  bool supported = false;
};

/// Counts the op types of the model in `bytes` (see importOnnxModel) and
/// says which wafer imports. Errors are emitted as diagnostics.
mlir::FailureOr<std::vector<OnnxOpCount>>
onnxOpCensus(llvm::StringRef bytes, llvm::StringRef path,
             mlir::MLIRContext *context);

} // namespace wafer

#endif // WAFER_IMPORT_ONNXIMPORTER_H
