//===- OnnxLoader.h - parse ONNX models without exceptions ------*- C++ -*-===//
//
// The only place wafer talks to libonnx and protobuf parsers, which may
// throw. It is compiled with exceptions and catches them all, so callers
// (built without exceptions, like LLVM) only see a status.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_IMPORT_ONNXLOADER_H
#define WAFER_IMPORT_ONNXLOADER_H

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace wafer {

/// Where the bytes of an initializer stored inline (raw_data) lie within the
/// model file.
struct InlineDataRef {
  int64_t offset = 0;
  int64_t length = 0;
};

struct LoadedModel {
  /// Empty on success; otherwise what went wrong.
  std::string error;
  /// Offsets of the top-level graph's initializers' raw_data in the file,
  /// by initializer name (binary models only).
  std::map<std::string, InlineDataRef> inlineData;
};

/// Parses `bytes` as an ONNX model: the binary protobuf, or ONNX's text
/// syntax when `text` is set.
LoadedModel loadOnnxModel(std::string_view bytes, bool text,
                          onnx::ModelProto &model);

} // namespace wafer

#endif // WAFER_IMPORT_ONNXLOADER_H
