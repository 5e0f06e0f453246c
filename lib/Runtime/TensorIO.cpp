//===- TensorIO.cpp - host tensors, ONNX tensor files ------------------===//
//
// Host arrays, the plan's little-endian tensor bytes (fp16 and bf16
// widened to float), and ONNX TensorProto files for inputs and outputs.
//
//===----------------------------------------------------------------------===//

#include "TensorIO.h"
#include "wafer/Runtime/Runtime.h"
#include "wafer/Support/DataFile.h"
#include "wafer/Support/OutputFile.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "onnx/onnx_pb.h"

namespace wafer::runtime {

int64_t Array::size() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Array Array::zeros(plan::ElementType type, std::vector<int64_t> shape) {
  Array a;
  a.type = type;
  a.shape = std::move(shape);
  if (a.isFloat())
    a.floats.assign(a.size(), 0.0f);
  else
    a.ints.assign(a.size(), 0);
  return a;
}

namespace {

float halfToFloat(uint16_t bits, bool bfloat) {
  if (bfloat) {
    uint32_t wide = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &wide, 4);
    return f;
  }
  int sign = bits >> 15, exponent = (bits >> 10) & 31, mantissa = bits & 1023;
  float value;
  if (exponent == 0)
    value = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    value = mantissa ? NAN : INFINITY;
  else
    value = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  return sign ? -value : value;
}

} // namespace

/// Decodes little-endian row-major bytes into `out` (whose type and shape
/// are set); a single element is a splat.
absl::Status decode(const std::string &bytes, Array &out) {
  int64_t width = plan::elementBytes(out.type);
  int64_t n = out.size();
  bool splat = static_cast<int64_t>(bytes.size()) == width && n != 1;
  if (!splat && static_cast<int64_t>(bytes.size()) != n * width)
    return absl::DataLossError(absl::StrCat(
        "holds ", bytes.size(), " bytes, its shape needs ", n * width));
  const char *data = bytes.data();
  for (int64_t i = 0; i < n; ++i) {
    const char *p = data + (splat ? 0 : i * width);
    switch (out.type) {
    case plan::F32: {
      float v;
      std::memcpy(&v, p, 4);
      out.floats[i] = v;
      break;
    }
    case plan::F16:
    case plan::BF16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      out.floats[i] = halfToFloat(v, out.type == plan::BF16);
      break;
    }
    case plan::I64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      out.ints[i] = v;
      break;
    }
    case plan::I32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      out.ints[i] = v;
      break;
    }
    default:
      out.ints[i] =
          out.type == plan::I1 ? p[0] != 0 : static_cast<int8_t>(p[0]);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Array> readTensorFile(const std::string &path) {
  absl::StatusOr<std::string> bytes = plan::readFile(path);
  if (!bytes.ok())
    return bytes.status();
  protectInput(path);
  onnx::TensorProto proto;
  if (!proto.ParseFromString(*bytes))
    return absl::InvalidArgumentError(
        absl::StrCat("'", path, "' is not an ONNX TensorProto"));
  Array out;
  switch (proto.data_type()) {
  case onnx::TensorProto::FLOAT:
    out.type = plan::F32;
    break;
  case onnx::TensorProto::FLOAT16:
    out.type = plan::F16;
    break;
  case onnx::TensorProto::INT64:
    out.type = plan::I64;
    break;
  case onnx::TensorProto::INT32:
    out.type = plan::I32;
    break;
  case onnx::TensorProto::BOOL:
    out.type = plan::I1;
    break;
  case onnx::TensorProto::INT8:
    out.type = plan::I8;
    break;
  case onnx::TensorProto::BFLOAT16:
  // ONNX 1.12's backend tests store bfloat16 data as UINT16 bit patterns.
  case onnx::TensorProto::UINT16:
    out.type = plan::BF16;
    break;
  default:
    return absl::UnimplementedError(
        absl::StrCat("'", path, "' has ONNX element type ", proto.data_type(),
                     ", which wafer-run does not read"));
  }
  // The shape is checked against the data the file holds before anything is
  // allocated: every element takes at least one byte of raw data or one
  // typed value, so a tensor never outgrows its file.
  int64_t held = proto.has_raw_data() ? static_cast<int64_t>(
                                            proto.raw_data().size())
                 : out.type == plan::F32 ? proto.float_data_size()
                 : out.type == plan::I64 ? proto.int64_data_size()
                                         : proto.int32_data_size();
  // A zero dimension anywhere makes the tensor empty, whatever comes before.
  bool empty = std::find(proto.dims().begin(), proto.dims().end(), 0) !=
               proto.dims().end();
  int64_t elements = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0)
      return absl::InvalidArgumentError(absl::StrCat(
          "'", path, "' has a negative dimension (", d, ")"));
    if (!empty && elements > held / d)
      return absl::DataLossError(absl::StrCat(
          "'", path, "' has shape [", absl::StrJoin(proto.dims(), ", "),
          "], more elements than its ", held,
          proto.has_raw_data() ? " bytes of data" : " values", " can hold"));
    elements *= d;
  }
  out = Array::zeros(out.type, {proto.dims().begin(), proto.dims().end()});
  if (proto.has_raw_data()) {
    absl::Status status = decode(proto.raw_data(), out);
    if (!status.ok())
      return absl::DataLossError(
          absl::StrCat("'", path, "' ", std::string(status.message())));
    return out;
  }
  int64_t n = out.size();
  int found = out.type == plan::F32   ? proto.float_data_size()
              : out.type == plan::I64 ? proto.int64_data_size()
                                      : proto.int32_data_size();
  if (found != n)
    return absl::DataLossError(absl::StrCat("'", path, "' holds ", found,
                                            " elements, its shape needs ", n));
  for (int64_t i = 0; i < n; ++i) {
    if (out.type == plan::F32)
      out.floats[i] = proto.float_data(i);
    else if (out.type == plan::I64)
      out.ints[i] = proto.int64_data(i);
    else if (out.type == plan::F16 || out.type == plan::BF16)
      out.floats[i] = halfToFloat(proto.int32_data(i), out.type == plan::BF16);
    else
      out.ints[i] = proto.int32_data(i);
  }
  return out;
}

absl::Status writeTensorFile(const Array &array, const std::string &name,
                             const std::string &path) {
  onnx::TensorProto proto;
  proto.set_name(name);
  for (int64_t d : array.shape)
    proto.add_dims(d);
  if (array.isFloat()) {
    proto.set_data_type(onnx::TensorProto::FLOAT);
    for (float v : array.floats)
      proto.add_float_data(v);
  } else {
    proto.set_data_type(array.type == plan::I1 ? onnx::TensorProto::BOOL
                                               : onnx::TensorProto::INT64);
    for (int64_t v : array.ints) {
      if (array.type == plan::I1)
        proto.add_int32_data(static_cast<int32_t>(v));
      else
        proto.add_int64_data(v);
    }
  }
  std::string bytes;
  if (!proto.SerializeToString(&bytes))
    return absl::InternalError(
        absl::StrCat("cannot serialize output '", name, "'"));
  if (std::string error = writeOutputFile(path, bytes); !error.empty())
    return absl::PermissionDeniedError(error);
  return absl::OkStatus();
}

absl::Status saveTrainedModel(const plan::Plan &plan, const WeightStore &store,
                              const std::string &weightsDir,
                              const std::string &path) {
  std::string dir = weightsDir.empty() ? plan.weights_dir() : weightsDir;
  std::string model = std::filesystem::path(plan.model()).filename().string();
  std::string error;
  // The model is read by the same rule as the weights it holds.
  std::string source =
      checkDataFile(dir, model, 0, 0, "its model", "the weights folder", error);
  if (!error.empty())
    return absl::NotFoundError(absl::StrCat("--save-model: the plan ", error));
  absl::StatusOr<std::string> bytes = plan::readFile(source);
  if (!bytes.ok())
    return bytes.status();
  onnx::ModelProto proto;
  if (!proto.ParseFromString(*bytes))
    return absl::InvalidArgumentError(
        absl::StrCat("--save-model: '", source, "' is not an ONNX model"));
  int64_t replaced = 0;
  for (onnx::TensorProto &init : *proto.mutable_graph()->mutable_initializer()) {
    const Array *weight = store.weight(init.name());
    if (!weight)
      continue;
    std::string name = init.name();
    std::vector<int64_t> dims(init.dims().begin(), init.dims().end());
    init.Clear();
    init.set_name(name);
    for (int64_t d : dims)
      init.add_dims(d);
    init.set_data_type(onnx::TensorProto::FLOAT);
    init.set_raw_data(weight->floats.data(), weight->floats.size() * 4);
    ++replaced;
  }
  if (replaced != static_cast<int64_t>(store.weights().size()))
    return absl::InvalidArgumentError(absl::StrCat(
        "--save-model: '", source, "' holds ", replaced, " of the ",
        store.weights().size(), " trained weights as initializers"));
  std::string out;
  if (!proto.SerializeToString(&out))
    return absl::InternalError("--save-model: cannot serialize the model");
  if (std::string failed = writeOutputFile(path, out); !failed.empty())
    return absl::PermissionDeniedError(absl::StrCat("--save-model: ", failed));
  return absl::OkStatus();
}

} // namespace wafer::runtime
