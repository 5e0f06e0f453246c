//===- OnnxLoader.cpp - parse ONNX models, catching every exception -------===//
//
// Compiled with -fexceptions: libonnx and protobuf may throw.
//
//===----------------------------------------------------------------------===//

#include "wafer/Import/OnnxLoader.h"

#include <exception>
#include <limits>

#include "google/protobuf/io/coded_stream.h"
#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

using google::protobuf::io::CodedInputStream;
using google::protobuf::internal::WireFormatLite;

namespace wafer {
namespace {

constexpr int kModelGraphField = 7;
constexpr int kGraphInitializerField = 5;
constexpr int kTensorNameField = 8;
constexpr int kTensorRawDataField = 9;

/// Reads one TensorProto's name and raw_data position; `base` is the stream
/// position where the message starts.
bool scanTensor(CodedInputStream &in, std::string &name, InlineDataRef &ref) {
  while (uint32_t tag = in.ReadTag()) {
    int field = WireFormatLite::GetTagFieldNumber(tag);
    if (WireFormatLite::GetTagWireType(tag) ==
            WireFormatLite::WIRETYPE_LENGTH_DELIMITED &&
        (field == kTensorNameField || field == kTensorRawDataField)) {
      uint32_t length;
      if (!in.ReadVarint32(&length))
        return false;
      if (field == kTensorNameField) {
        if (!in.ReadString(&name, length))
          return false;
      } else {
        ref.offset = in.CurrentPosition();
        ref.length = length;
        if (!in.Skip(length))
          return false;
      }
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

/// Walks a message, descending into `field` with `visit`.
template <typename Visit>
bool scanMessage(CodedInputStream &in, int field, Visit visit) {
  while (uint32_t tag = in.ReadTag()) {
    if (WireFormatLite::GetTagFieldNumber(tag) == field &&
        WireFormatLite::GetTagWireType(tag) ==
            WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      uint32_t length;
      if (!in.ReadVarint32(&length))
        return false;
      CodedInputStream::Limit limit = in.PushLimit(length);
      if (!visit(in))
        return false;
      in.PopLimit(limit);
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return true;
}

/// Finds where each initializer's raw_data lies in the serialized model, so
/// weights can be referenced by (file, offset, length) instead of copied.
void scanInlineData(std::string_view bytes,
                    std::map<std::string, InlineDataRef> &out) {
  CodedInputStream in(reinterpret_cast<const uint8_t *>(bytes.data()),
                      static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(std::numeric_limits<int>::max());
  scanMessage(in, kModelGraphField, [&](CodedInputStream &graph) {
    return scanMessage(graph, kGraphInitializerField,
                       [&](CodedInputStream &tensor) {
                         std::string name;
                         InlineDataRef ref{-1, 0};
                         if (!scanTensor(tensor, name, ref))
                           return false;
                         if (ref.offset >= 0)
                           out[name] = ref;
                         return true;
                       });
  });
}

} // namespace

LoadedModel loadOnnxModel(std::string_view bytes, bool text,
                          onnx::ModelProto &model) {
  LoadedModel result;
  try {
    if (text) {
      std::string source(bytes);
      onnx::Status status = onnx::OnnxParser::Parse(model, source.c_str());
      if (!status.IsOK())
        result.error = "not a valid ONNX text model: " + status.ErrorMessage();
      return result;
    }
    if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
      result.error = "model file is larger than protobuf's 2 GiB limit; "
                     "store the weights as external data";
      return result;
    }
    if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      result.error = "not a valid ONNX model (protobuf parse failed: "
                     "truncated or corrupt file?)";
      return result;
    }
    scanInlineData(bytes, result.inlineData);
  } catch (const std::exception &e) {
    result.error = std::string("ONNX parser failed: ") + e.what();
  } catch (...) {
    result.error = "ONNX parser failed with an unknown exception";
  }
  return result;
}

} // namespace wafer
