//===- OnnxImporter.cpp - ONNX models into the wafer graph level ----------===//
//
// Walks the model's graph in topological order and hands each node to its
// op handler (OnnxOpHandlers.cpp). Initializers become weights by reference;
// their bytes are never read unless they are small inline constants.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"

#include <queue>
#include <set>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "wafer/Import/OnnxLoader.h"
#include "wafer/Support/DataFile.h"

using namespace mlir;
using namespace wafer;
using namespace wafer::detail;

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

std::string wafer::parseInputShapeOption(StringRef text,
                                         OnnxImportOptions &options) {
  auto [name, dims] = text.rsplit('=');
  if (name.empty() || dims.empty())
    return ("--input-shape expects NAME=DIMxDIMx..., found '" + text + "'")
        .str();
  std::vector<int64_t> shape;
  if (dims != "scalar") {
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef part : parts) {
      int64_t dim;
      if (part.getAsInteger(10, dim) || dim < 0)
        return ("--input-shape " + name + ": '" + part +
                "' is not a non-negative dimension")
            .str();
      shape.push_back(dim);
    }
  }
  options.inputShapes[name.str()] = shape;
  return "";
}

std::string wafer::parseDimOption(StringRef text, OnnxImportOptions &options) {
  auto [name, value] = text.split('=');
  int64_t dim;
  if (name.empty() || value.getAsInteger(10, dim) || dim < 0)
    return ("--dim expects PARAM=VALUE with a non-negative VALUE, found '" +
            text + "'")
        .str();
  options.dimValues[name.str()] = dim;
  return "";
}

std::string wafer::parseInputValueOption(StringRef text,
                                         OnnxImportOptions &options) {
  auto [name, file] = text.split('=');
  if (name.empty() || file.empty())
    return ("--input-value expects NAME=FILE.pb, found '" + text + "'").str();
  // A value folded on the host: a shape operand, a table; not a model.
  constexpr uint64_t kMaxBytes = 64 << 20;
  uint64_t size = 0;
  if (!llvm::sys::fs::is_regular_file(file) ||
      llvm::sys::fs::file_size(file, size))
    return ("--input-value " + name + ": '" + file + "' is not a readable file")
        .str();
  if (size > kMaxBytes)
    return ("--input-value " + name + ": '" + file + "' holds " +
            std::to_string(size) + " bytes, more than the " +
            std::to_string(kMaxBytes) + " a compile-time value may")
        .str();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return ("--input-value " + name + ": cannot read '" + file +
            "': " + buffer.getError().message())
        .str();
  options.inputValues[name.str()] = (*buffer)->getBuffer().str();
  return "";
}

//===----------------------------------------------------------------------===//
// Tensor contents and types
//===----------------------------------------------------------------------===//

Type wafer::detail::convertElementType(MLIRContext *context,
                                       int32_t dataType) {
  Builder b(context);
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT8:
    return b.getI8Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  default:
    return nullptr;
  }
}

static std::string dataTypeName(int32_t dataType) {
  if (onnx::TensorProto::DataType_IsValid(dataType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(dataType));
  return "type " + std::to_string(dataType);
}

/// Bytes one element occupies in ONNX's raw little-endian layout.
static int64_t storageBytes(Type type) {
  return type.isInteger(1) ? 1 : type.getIntOrFloatBitWidth() / 8;
}

/// Decodes one raw little-endian element.
static double decodeFloat(Type type, const char *bytes) {
  if (type.isF32()) {
    float v;
    memcpy(&v, bytes, 4);
    return v;
  }
  uint16_t bits;
  memcpy(&bits, bytes, 2);
  const llvm::fltSemantics &semantics =
      cast<FloatType>(type).getFloatSemantics();
  return llvm::APFloat(semantics, llvm::APInt(16, bits)).convertToDouble();
}

static int64_t decodeInt(Type type, const char *bytes) {
  switch (storageBytes(type)) {
  case 8: {
    int64_t v;
    memcpy(&v, bytes, 8);
    return v;
  }
  case 4: {
    int32_t v;
    memcpy(&v, bytes, 4);
    return v;
  }
  default:
    return type.isInteger(1) ? bytes[0] != 0 : static_cast<int8_t>(bytes[0]);
  }
}

FailureOr<HostTensor>
wafer::detail::readTensorProto(const onnx::TensorProto &tensor,
                               Type elementType, std::string &error) {
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  int64_t count = elementCount(shape);
  if (count < 0) {
    error = "has a negative dimension";
    return failure();
  }
  // Check the data against the shape before allocating anything: a huge
  // shape with little data is a hostile file, not a reason to run out of
  // memory.
  int64_t width = storageBytes(elementType);
  int64_t found = tensor.has_raw_data() ? tensor.raw_data().size() / width
                  : elementType.isF32()        ? tensor.float_data_size()
                  : elementType.isInteger(64)  ? tensor.int64_data_size()
                                               : tensor.int32_data_size();
  if (count != found || (tensor.has_raw_data() &&
                         static_cast<int64_t>(tensor.raw_data().size()) !=
                             found * width)) {
    if (tensor.has_raw_data())
      error = "holds " + std::to_string(tensor.raw_data().size()) +
              " bytes of data, but its shape needs " +
              (count > std::numeric_limits<int64_t>::max() / width
                   ? std::string("more than 2^63")
                   : std::to_string(count * width));
    else
      error = "holds " + std::to_string(found) +
              " elements of data, but its shape needs " +
              std::to_string(count);
    return failure();
  }
  HostTensor out = HostTensor::zeros(elementType, shape);
  bool isFloat = out.isFloat();
  if (tensor.has_raw_data()) {
    if (static_cast<int64_t>(tensor.raw_data().size()) != count * width) {
      error = "holds " + std::to_string(tensor.raw_data().size()) +
              " bytes of data, but its shape needs " +
              std::to_string(count * width);
      return failure();
    }
    const char *data = tensor.raw_data().data();
    for (int64_t i = 0; i < count; ++i) {
      if (isFloat)
        out.reals[i] = decodeFloat(elementType, data + i * width);
      else
        out.ints[i] = decodeInt(elementType, data + i * width);
    }
    return out;
  }
  // Typed fields: float_data for FLOAT, int64_data for INT64, int32_data for
  // the 32-bit-and-narrower types (FLOAT16/BFLOAT16 as their bits).
  auto checkCount = [&](int64_t found) {
    if (found == count)
      return true;
    error = "holds " + std::to_string(found) +
            " elements of data, but its shape needs " + std::to_string(count);
    return false;
  };
  if (elementType.isF32()) {
    if (!checkCount(tensor.float_data_size()))
      return failure();
    for (int64_t i = 0; i < count; ++i)
      out.reals[i] = tensor.float_data(i);
  } else if (elementType.isInteger(64)) {
    if (!checkCount(tensor.int64_data_size()))
      return failure();
    for (int64_t i = 0; i < count; ++i)
      out.ints[i] = tensor.int64_data(i);
  } else {
    if (!checkCount(tensor.int32_data_size()))
      return failure();
    for (int64_t i = 0; i < count; ++i) {
      int32_t v = tensor.int32_data(i);
      if (isFloat) {
        uint16_t bits = static_cast<uint16_t>(v);
        out.reals[i] = decodeFloat(elementType, reinterpret_cast<char *>(&bits));
      } else {
        out.setInt(i, v);
      }
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext *context,
                             const onnx::ModelProto &model, StringRef path,
                             const OnnxImportOptions &options)
    : context(context), builder(context), model(model), path(path.str()),
      options(options) {}

FailureOr<ImportedValue>
GraphImporter::bindInputValue(const onnx::ValueInfoProto &input,
                              StringRef bytes, Location loc) {
  auto fail = [&]() -> InFlightDiagnostic {
    return emitError(loc) << "--input-value " << input.name() << ": ";
  };
  onnx::TensorProto tensor;
  if (!tensor.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    fail() << "the file is not an ONNX TensorProto";
    return failure();
  }
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    fail() << "the value must hold its data, not refer to a file";
    return failure();
  }
  const onnx::TypeProto::Tensor &declared = input.type().tensor_type();
  if (tensor.data_type() != declared.elem_type()) {
    fail() << "the file holds " << dataTypeName(tensor.data_type())
           << ", the input is " << dataTypeName(declared.elem_type());
    return failure();
  }
  Type elementType = convertElementType(context, tensor.data_type());
  if (!elementType) {
    fail() << "element type " << dataTypeName(tensor.data_type())
           << ", which wafer does not support";
    return failure();
  }
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  if (declared.has_shape()) {
    bool fits = declared.shape().dim_size() == static_cast<int>(shape.size());
    for (int d = 0; fits && d < declared.shape().dim_size(); ++d) {
      const auto &dim = declared.shape().dim(d);
      fits = !dim.has_dim_value() || dim.dim_value() == shape[d];
    }
    if (!fits) {
      InFlightDiagnostic diag = fail() << "the file's shape [";
      llvm::interleaveComma(shape, diag);
      diag << "] does not fit the input's declared shape";
      return failure();
    }
  }
  std::string error;
  FailureOr<HostTensor> host = readTensorProto(tensor, elementType, error);
  if (failed(host)) {
    fail() << error;
    return failure();
  }
  return ImportedValue{RankedTensorType::get(shape, elementType), nullptr,
                       std::move(*host)};
}

Value GraphImporter::materialize(ImportedValue &value, Location loc) {
  if (!value.value) {
    assert(value.host && "a value is either in the IR or on the host");
    DenseElementsAttr attr = value.host->toAttr();
    value.value = ConstantOp::create(builder, loc, attr.getType(), attr);
  }
  return value.value;
}

namespace {

/// Checks an external-data reference (wafer::checkDataFile, the rule
/// wafer-run keeps to for a plan's weights) and its length against the
/// tensor's; returns an error or "". Never reads the data.
std::string checkExternalData(StringRef modelDir, StringRef location,
                              int64_t offset, int64_t &length,
                              int64_t expectedBytes) {
  if (length < 0)
    length = expectedBytes;
  std::string error;
  checkDataFile(modelDir.str(), location.str(), offset, length,
                "external data", "the model's folder", error);
  if (error.empty() && length != expectedBytes)
    return "has external data of " + std::to_string(length) +
           " bytes, but its shape needs " + std::to_string(expectedBytes);
  return error;
}

/// Appends "a, b, c and N more" to `os`.
void listNames(llvm::raw_ostream &os, ArrayRef<std::string> names,
               size_t shown = 3) {
  for (size_t i = 0; i < names.size() && i < shown; ++i)
    os << (i ? ", " : "") << "'" << names[i] << "'";
  if (names.size() > shown)
    os << " and " << names.size() - shown << " more";
}

/// The node's name, or `OpType#index` for unnamed nodes.
std::string displayName(const onnx::NodeProto &node, int index) {
  return node.name().empty() ? node.op_type() + "#" + std::to_string(index)
                             : node.name();
}

std::string sanitizeSymbol(StringRef name) {
  std::string out;
  for (char c : name)
    out.push_back(llvm::isAlnum(c) || c == '_' ? c : '_');
  if (out.empty() || llvm::isDigit(out[0]))
    out.insert(0, "main_");
  return out;
}

} // namespace

OwningOpRef<ModuleOp>
GraphImporter::run(const std::map<std::string, InlineDataRef> &inlineData) {
  Location fileLoc = FileLineColLoc::get(context, path, 0, 0);
  const onnx::GraphProto &graph = model.graph();

  // The default domain's opset picks each op's semantics.
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  if (opset < 0) {
    emitError(fileLoc) << "model imports no opset of the default ONNX domain";
    return {};
  }
  constexpr int64_t kMinOpset = 7, kMaxOpset = 18;
  if (opset < kMinOpset || opset > kMaxOpset) {
    emitError(fileLoc) << "model uses opset " << opset
                       << " of the default domain; wafer supports opsets "
                       << kMinOpset << " to " << kMaxOpset;
    return {};
  }

  // Refuse unsupported ops all at once, with counts and a few node names.
  std::map<std::string, std::vector<std::string>> unsupported;
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    if (defaultDomain && lookupOnnxOp(node.op_type()))
      continue;
    std::string key = defaultDomain ? node.op_type()
                                    : node.domain() + "." + node.op_type();
    unsupported[key].push_back(displayName(node, index));
  }
  if (!unsupported.empty()) {
    InFlightDiagnostic diag = emitError(fileLoc);
    diag << "model uses " << unsupported.size()
         << " unsupported op type(s): ";
    std::string text;
    llvm::raw_string_ostream os(text);
    for (auto [i, entry] : llvm::enumerate(unsupported)) {
      os << (i ? "; " : "") << entry.first << " (" << entry.second.size()
         << " node" << (entry.second.size() == 1 ? "" : "s") << ": ";
      listNames(os, entry.second);
      os << ")";
    }
    diag << text;
    return {};
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToEnd(module->getBody());

  // Graph inputs that are not initializers become function arguments.
  std::map<std::string, const onnx::TensorProto *> initializers;
  for (const onnx::TensorProto &init : graph.initializer())
    initializers[init.name()] = &init;
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  std::vector<std::string> shapeErrors;
  std::map<std::string, ImportedValue> boundInputs;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue;
    if (auto bound = options.inputValues.find(input.name());
        bound != options.inputValues.end()) {
      FailureOr<ImportedValue> value =
          bindInputValue(input, bound->second,
                         NameLoc::get(builder.getStringAttr(input.name()),
                                      fileLoc));
      if (failed(value))
        return {};
      boundInputs[input.name()] = std::move(*value);
      continue;
    }
    if (!input.type().has_tensor_type()) {
      emitError(fileLoc) << "graph input '" << input.name()
                         << "' is not a tensor";
      return {};
    }
    const onnx::TypeProto::Tensor &tensorType = input.type().tensor_type();
    Type elementType = convertElementType(context, tensorType.elem_type());
    if (!elementType) {
      emitError(fileLoc) << "graph input '" << input.name()
                         << "' has element type "
                         << dataTypeName(tensorType.elem_type())
                         << ", which wafer does not support";
      return {};
    }
    SmallVector<int64_t> shape;
    auto given = options.inputShapes.find(input.name());
    if (given != options.inputShapes.end()) {
      shape.assign(given->second.begin(), given->second.end());
      if (tensorType.has_shape() &&
          tensorType.shape().dim_size() != static_cast<int>(shape.size())) {
        emitError(fileLoc) << "--input-shape gives '" << input.name() << "' "
                           << shape.size() << " dimensions, the model has "
                           << tensorType.shape().dim_size();
        return {};
      }
    } else if (tensorType.has_shape()) {
      for (auto [d, dim] : llvm::enumerate(tensorType.shape().dim())) {
        if (dim.has_dim_value() && dim.dim_value() >= 0) {
          shape.push_back(dim.dim_value());
          continue;
        }
        auto value = dim.has_dim_param()
                         ? options.dimValues.find(dim.dim_param())
                         : options.dimValues.end();
        if (value != options.dimValues.end()) {
          shape.push_back(value->second);
          continue;
        }
        std::string what = "input '" + input.name() + "' dimension " +
                           std::to_string(d);
        if (dim.has_dim_param())
          what += " ('" + dim.dim_param() + "': give --dim " +
                  dim.dim_param() + "=<value>)";
        else
          what += " (unnamed: give --input-shape " + input.name() + "=...)";
        shapeErrors.push_back(what);
        shape.push_back(0);
      }
    } else {
      shapeErrors.push_back("input '" + input.name() +
                            "' has no shape (give --input-shape)");
    }
    argTypes.push_back(RankedTensorType::get(shape, elementType));
    argNames.push_back(input.name());
  }
  if (options.requireNamesUsed) {
    std::set<std::string> inputs, params;
    for (const onnx::ValueInfoProto &input : graph.input()) {
      if (initializers.count(input.name()))
        continue;
      inputs.insert(input.name());
      for (const auto &dim : input.type().tensor_type().shape().dim())
        if (dim.has_dim_param())
          params.insert(dim.dim_param());
    }
    auto list = [](const std::set<std::string> &names) {
      std::string text;
      for (const std::string &name : names)
        text += (text.empty() ? "" : ", ") + name;
      return text.empty() ? std::string("none") : text;
    };
    for (const auto &[name, shape] : options.inputShapes)
      if (!inputs.count(name)) {
        emitError(fileLoc) << "--input-shape names '" << name
                           << "', which is no input of the model (inputs: "
                           << list(inputs) << ")";
        return {};
      }
    for (const auto &[name, value] : options.inputValues)
      if (!inputs.count(name)) {
        emitError(fileLoc) << "--input-value names '" << name
                           << "', which is no input of the model (inputs: "
                           << list(inputs) << ")";
        return {};
      }
    for (const auto &[name, value] : options.dimValues)
      if (!params.count(name)) {
        emitError(fileLoc) << "--dim names '" << name
                           << "', which no input of the model has as a "
                              "dimension (symbolic dimensions: "
                           << list(params) << ")";
        return {};
      }
  }
  if (!shapeErrors.empty()) {
    InFlightDiagnostic diag = emitError(fileLoc);
    diag << "dynamic dimensions need static values: ";
    for (auto [i, what] : llvm::enumerate(shapeErrors))
      diag << (i ? "; " : "") << what;
    return {};
  }

  std::string funcName =
      sanitizeSymbol(graph.name().empty() ? "main" : graph.name());
  auto func = func::FuncOp::create(builder, fileLoc, funcName,
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, WaferDialect::getNameAttrName(),
                    builder.getStringAttr(name));
    body->getArgument(i).setLoc(NameLoc::get(builder.getStringAttr(name)));
    values[name] = ImportedValue{cast<RankedTensorType>(argTypes[i]),
                                 body->getArgument(i), std::nullopt};
  }
  builder.setInsertionPointToStart(body);
  for (auto &[name, bound] : boundInputs) {
    Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
    if (elementCount(bound.type.getShape()) > options.foldElementLimit)
      materialize(bound, loc);
    values[name] = std::move(bound);
  }

  // Count uses so unused initializers cost nothing and handlers can tell
  // which optional outputs matter.
  for (const onnx::NodeProto &node : graph.node())
    for (const std::string &name : node.input())
      if (!name.empty())
        ++uses[name];
  for (const onnx::ValueInfoProto &output : graph.output())
    ++uses[output.name()];

  for (const std::string &name : options.frozen)
    if (llvm::none_of(graph.initializer(), [&](const onnx::TensorProto &init) {
          return init.name() == name;
        })) {
      emitError(fileLoc) << "--freeze names '" << name
                         << "', which is no initializer of the model";
      return {};
    }

  // Initializers: small ones inline and foldable, the rest by reference.
  StringRef modelDir = llvm::sys::path::parent_path(path);
  std::string modelFile = llvm::sys::path::filename(path).str();
  for (const onnx::TensorProto &init : graph.initializer()) {
    if (!uses.count(init.name()) || values.count(init.name()))
      continue;
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc);
    Type elementType = convertElementType(context, init.data_type());
    if (!elementType) {
      emitError(loc) << "initializer '" << init.name() << "' has element type "
                     << dataTypeName(init.data_type())
                     << ", which wafer does not support";
      return {};
    }
    SmallVector<int64_t> shape(init.dims().begin(), init.dims().end());
    int64_t count = elementCount(shape);
    if (count < 0) {
      emitError(loc) << "initializer '" << init.name()
                     << "' has a negative dimension";
      return {};
    }
    int64_t width = storageBytes(elementType);
    if (count > std::numeric_limits<int64_t>::max() / width) {
      emitError(loc) << "initializer '" << init.name()
                     << "' is too large: its byte count overflows 64 bits";
      return {};
    }
    auto type = RankedTensorType::get(shape, elementType);
    ImportedValue imported{type, nullptr, std::nullopt};

    if (init.data_location() == onnx::TensorProto::EXTERNAL) {
      std::string location;
      int64_t offset = 0, length = -1;
      for (const onnx::StringStringEntryProto &entry : init.external_data()) {
        if (entry.key() == "location")
          location = entry.value();
        else if ((entry.key() == "offset" &&
                  StringRef(entry.value()).getAsInteger(10, offset)) ||
                 (entry.key() == "length" &&
                  StringRef(entry.value()).getAsInteger(10, length))) {
          emitError(loc) << "initializer '" << init.name() << "' has a bad "
                         << entry.key() << " '" << entry.value() << "'";
          return {};
        }
      }
      std::string error = checkExternalData(modelDir, location, offset, length,
                                            count * width);
      if (!error.empty()) {
        emitError(loc) << "initializer '" << init.name() << "' " << error;
        return {};
      }
      imported.value = WeightOp::create(builder, loc, type, init.name(),
                                        location, offset, length);
    } else if (auto ref = inlineData.find(init.name());
               (count > options.inlineElementLimit ||
                (options.floatInitializersAsWeights &&
                 isa<FloatType>(elementType) &&
                 !options.frozen.count(init.name()))) &&
               ref != inlineData.end()) {
      if (ref->second.length != count * width) {
        emitError(loc) << "initializer '" << init.name() << "' holds "
                       << ref->second.length
                       << " bytes of data, but its shape needs "
                       << count * width;
        return {};
      }
      imported.value = WeightOp::create(builder, loc, type, init.name(),
                                        modelFile, ref->second.offset,
                                        ref->second.length);
    } else {
      std::string error;
      FailureOr<HostTensor> host = readTensorProto(init, elementType, error);
      if (failed(host)) {
        emitError(loc) << "initializer '" << init.name() << "' " << error;
        return {};
      }
      imported.host = std::move(*host);
      if (count > options.foldElementLimit)
        materialize(imported, loc);
    }
    values[init.name()] = std::move(imported);
  }

  // Order the nodes: each after the producers of its inputs.
  int numNodes = graph.node_size();
  std::map<std::string, int> producer;
  for (int i = 0; i < numNodes; ++i)
    for (const std::string &name : graph.node(i).output())
      if (!name.empty())
        producer[name] = i;
  std::vector<int> order, pending(numNodes, 0);
  std::vector<std::vector<int>> consumers(numNodes);
  for (int i = 0; i < numNodes; ++i) {
    for (const std::string &name : graph.node(i).input()) {
      if (name.empty() || values.count(name))
        continue;
      auto it = producer.find(name);
      if (it == producer.end()) {
        const onnx::NodeProto &node = graph.node(i);
        std::string nodeName = displayName(node, i);
        emitError(NameLoc::get(builder.getStringAttr(nodeName), fileLoc))
            << node.op_type() << " node '" << nodeName
            << "' reads value '" << name
            << "', which no node, input or initializer defines";
        return {};
      }
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  // Kahn's algorithm taking the lowest index first keeps the model's own
  // order wherever it is already valid.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < numNodes; ++i)
    if (!pending[i])
      ready.push(i);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int consumer : consumers[i])
      if (--pending[consumer] == 0)
        ready.push(consumer);
  }
  if (static_cast<int>(order.size()) != numNodes) {
    std::vector<std::string> stuck;
    for (int i = 0; i < numNodes; ++i)
      if (pending[i])
        stuck.push_back(displayName(graph.node(i), i));
    InFlightDiagnostic diag = emitError(fileLoc);
    std::string text;
    llvm::raw_string_ostream os(text);
    listNames(os, stuck);
    diag << "graph has a cycle through " << stuck.size() << " node(s): "
         << text;
    return {};
  }

  for (int i : order) {
    const onnx::NodeProto &node = graph.node(i);
    std::string name = displayName(node, i);
    Location loc = NameLoc::get(builder.getStringAttr(name), fileLoc);
    const OnnxOp &onnxOp = *lookupOnnxOp(node.op_type());
    int required = onnxOp.required(opset);
    bool named = node.input_size() >= required;
    for (int k = 0; named && k < required; ++k)
      named = !node.input(k).empty();
    if (!named) {
      emitError(loc) << node.op_type() << " node '" << name << "' has "
                     << node.input_size() << " input(s); it needs "
                     << required;
      return {};
    }
    if (node.output_size() < 1 || node.output(0).empty()) {
      emitError(loc) << node.op_type() << " node '" << name
                     << "' has no output";
      return {};
    }
    NodeContext ctx(*this, node, opset, loc);
    if (failed(onnxOp.handler(ctx)))
      return {};
    for (const std::string &output : node.output())
      if (!output.empty() && !values.count(output) && uses.count(output)) {
        emitError(loc) << node.op_type() << " node '" << name
                       << "' did not produce its output '" << output << "'";
        return {};
      }
  }

  // Results, in the graph's order.
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    auto it = values.find(output.name());
    if (it == values.end()) {
      emitError(fileLoc) << "graph output '" << output.name()
                         << "' is never computed";
      return {};
    }
    Location loc = NameLoc::get(builder.getStringAttr(output.name()), fileLoc);
    results.push_back(materialize(it->second, loc));
    resultTypes.push_back(results.back().getType());
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(builder.getFunctionType(argTypes, resultTypes));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, WaferDialect::getNameAttrName(),
                       builder.getStringAttr(output.name()));

  if (failed(verify(*module)))
    return {};
  return module;
}

/// Parses `bytes` as binary or text ONNX (text starts with '<' after blank
/// lines and '#' comments, or the file ends in .onnxtext).
static LoadedModel parseModel(StringRef bytes, StringRef path,
                              onnx::ModelProto &model) {
  bool text = path.ends_with(".onnxtext");
  for (size_t i = 0; !text && i < bytes.size();) {
    char c = bytes[i];
    if (c == '#') {
      i = bytes.find('\n', i);
      if (i == StringRef::npos)
        break;
    } else if (llvm::isSpace(c)) {
      ++i;
    } else {
      text = c == '<';
      break;
    }
  }
  return loadOnnxModel(std::string_view(bytes.data(), bytes.size()), text,
                       model);
}

OwningOpRef<ModuleOp> wafer::importOnnxModel(StringRef bytes, StringRef path,
                                             MLIRContext *context,
                                             const OnnxImportOptions &options) {
  context->loadDialect<WaferDialect, func::FuncDialect>();
  onnx::ModelProto model;
  LoadedModel loaded = parseModel(bytes, path, model);
  if (!loaded.error.empty()) {
    emitError(FileLineColLoc::get(context, path, 0, 0)) << loaded.error;
    return {};
  }
  GraphImporter importer(context, model, path, options);
  return importer.run(loaded.inlineData);
}

FailureOr<std::vector<OnnxOpCount>>
wafer::onnxOpCensus(StringRef bytes, StringRef path, MLIRContext *context) {
  onnx::ModelProto model;
  LoadedModel loaded = parseModel(bytes, path, model);
  if (!loaded.error.empty()) {
    emitError(FileLineColLoc::get(context, path, 0, 0)) << loaded.error;
    return failure();
  }
  std::map<std::pair<std::string, std::string>, OnnxOpCount> counts;
  for (const onnx::NodeProto &node : model.graph().node()) {
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    OnnxOpCount &entry = counts[{defaultDomain ? "" : node.domain(),
                                 node.op_type()}];
    entry.domain = defaultDomain ? "" : node.domain();
    entry.opType = node.op_type();
    entry.supported = defaultDomain && lookupOnnxOp(node.op_type());
    ++entry.count;
  }
  std::vector<OnnxOpCount> result;
  for (auto &[key, entry] : counts)
    result.push_back(entry);
  return result;
}
