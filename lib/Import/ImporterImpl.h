//===- ImporterImpl.h - the ONNX importer's internals -----------*- C++ -*-===//

#ifndef WAFER_LIB_IMPORT_IMPORTERIMPL_H
#define WAFER_LIB_IMPORT_IMPORTERIMPL_H

#include <map>
#include <optional>
#include <string>

#include "HostTensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "onnx/onnx_pb.h"
#include "wafer/Import/OnnxImporter.h"
#include "wafer/Import/OnnxLoader.h"

namespace wafer::detail {

/// One ONNX value while importing: its IR value, its contents when known on
/// the host, or both. Host values get an IR constant only when an emitted op
/// needs them.
struct ImportedValue {
  mlir::RankedTensorType type;
  mlir::Value value;
  std::optional<HostTensor> host;
};

class GraphImporter;

/// What a handler sees of the node it imports.
class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              int64_t opset, mlir::Location loc)
      : importer(importer), node(node), opset(opset), loc(loc) {}

  GraphImporter &importer;
  const onnx::NodeProto &node;
  /// The model's opset for the node's domain.
  int64_t opset;
  mlir::Location loc;

  mlir::OpBuilder &builder();
  mlir::MLIRContext *context();

  /// Inputs. ONNX marks an omitted optional input with an empty name.
  bool hasInput(int i) const {
    return i < node.input_size() && !node.input(i).empty();
  }
  ImportedValue &input(int i);
  mlir::RankedTensorType inputType(int i) { return input(i).type; }
  llvm::ArrayRef<int64_t> inputShape(int i) {
    return input(i).type.getShape();
  }
  /// The input's IR value, materializing a host constant if needed.
  mlir::Value value(int i);
  /// The input's host contents, or null when not known.
  const HostTensor *host(int i);
  /// The input's contents, which must be known at compile time; emits an
  /// error naming `what` otherwise.
  const HostTensor *requireHost(int i, llvm::StringRef what);

  /// Outputs.
  bool outputUsed(int i) const;
  void setOutput(int i, mlir::Value value);
  /// Records host contents; they become IR only if an op needs them.
  void setOutput(int i, HostTensor tensor);
  /// Whether a host result of this many elements may be folded.
  bool canFold(int64_t elements) const;

  /// Attributes.
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t attrInt(llvm::StringRef name, int64_t fallback) const;
  float attrFloat(llvm::StringRef name, float fallback) const;
  std::optional<llvm::SmallVector<int64_t>>
  attrInts(llvm::StringRef name) const;

  /// A constant in the IR.
  mlir::Value constant(const HostTensor &tensor);
  /// A rank-0 constant of `elementType`.
  mlir::Value scalar(mlir::Type elementType, double value);

  /// An error at this node, prefixed with its op type.
  mlir::InFlightDiagnostic emitError();
};

using OpHandler = mlir::LogicalResult (*)(NodeContext &);

/// An op type of the default domain the importer takes.
struct OnnxOp {
  OpHandler handler;
  /// How many leading inputs it must name (not omit) before its handler
  /// may look at them, and the count before an opset that changed it.
  int requiredInputs = 1;
  struct {
    int64_t opset = 0;
    int requiredInputs = 0;
  } before;
  int required(int64_t opset) const {
    return opset < before.opset ? before.requiredInputs : requiredInputs;
  }
};

/// Normalises `axis` for `rank`, or emits an error naming `what`.
mlir::FailureOr<int64_t> normalizeAxis(NodeContext &ctx, int64_t axis,
                                       int64_t rank,
                                       llvm::StringRef what = "axis");
mlir::RankedTensorType tensorType(llvm::ArrayRef<int64_t> shape,
                                  mlir::Type elementType);
/// Reshapes `value` to `shape` (a no-op when it already has it).
mlir::Value reshape(NodeContext &ctx, mlir::Value value,
                    llvm::ArrayRef<int64_t> shape);

/// The op type `opType` of the default domain, or null.
const OnnxOp *lookupOnnxOp(llvm::StringRef opType);

/// Maps an ONNX element type to the IR's, or null when unsupported.
mlir::Type convertElementType(mlir::MLIRContext *context, int32_t dataType);

/// Reads a tensor's inline contents (raw_data or typed fields).
mlir::FailureOr<HostTensor> readTensorProto(const onnx::TensorProto &tensor,
                                            mlir::Type elementType,
                                            std::string &error);

class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext *context, const onnx::ModelProto &model,
                llvm::StringRef path, const OnnxImportOptions &options);

  mlir::OwningOpRef<mlir::ModuleOp>
  run(const std::map<std::string, InlineDataRef> &inlineData);

  mlir::MLIRContext *context;
  mlir::OpBuilder builder;
  const onnx::ModelProto &model;
  std::string path;
  const OnnxImportOptions &options;
  std::map<std::string, ImportedValue> values;
  /// How many nodes (and graph outputs) read each value.
  std::map<std::string, int> uses;

  mlir::Value materialize(ImportedValue &value, mlir::Location loc);
  /// The host value `--input-value` gives graph input `input` (a serialized
  /// TensorProto), checked against the input's element type and any static
  /// dimensions it declares.
  mlir::FailureOr<ImportedValue> bindInputValue(const onnx::ValueInfoProto &input,
                                                llvm::StringRef bytes,
                                                mlir::Location loc);
};

} // namespace wafer::detail

#endif // WAFER_LIB_IMPORT_IMPORTERIMPL_H
