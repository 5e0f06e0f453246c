//===- OnnxOpHandlers.cpp - one handler per ONNX op type ------------------===//
//
// Each handler reads its node's inputs and attributes (with the semantics of
// the model's opset), folds the node on the host when every input is known
// and the result is small, and otherwise emits wafer graph-level ops with
// static result types.
//
//===----------------------------------------------------------------------===//

#include "ImporterImpl.h"
#include "IndexOpHandlers.h"

#include <cmath>
#include <limits>

#include "llvm/ADT/StringMap.h"
#include "wafer/Dialect/Wafer/WaferOps.h"

using namespace mlir;
using namespace wafer;
using namespace wafer::detail;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

OpBuilder &NodeContext::builder() { return importer.builder; }
MLIRContext *NodeContext::context() { return importer.context; }

ImportedValue &NodeContext::input(int i) {
  return importer.values.at(node.input(i));
}

Value NodeContext::value(int i) {
  return importer.materialize(input(i), loc);
}

const HostTensor *NodeContext::host(int i) {
  ImportedValue &v = input(i);
  return v.host ? &*v.host : nullptr;
}

const HostTensor *NodeContext::requireHost(int i, StringRef what) {
  if (const HostTensor *t = host(i))
    return t;
  emitError() << "needs its " << what << " (input " << i << ", '"
              << node.input(i) << "') known at compile time";
  return nullptr;
}

bool NodeContext::outputUsed(int i) const {
  return i < node.output_size() && !node.output(i).empty() &&
         importer.uses.count(node.output(i));
}

void NodeContext::setOutput(int i, Value value) {
  importer.values[node.output(i)] = ImportedValue{
      cast<RankedTensorType>(value.getType()), value, std::nullopt};
}

void NodeContext::setOutput(int i, HostTensor tensor) {
  ImportedValue v{tensor.getType(), nullptr, std::move(tensor)};
  importer.values[node.output(i)] = std::move(v);
}

bool NodeContext::canFold(int64_t elements) const {
  return elements >= 0 && elements <= importer.options.foldElementLimit;
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::attrInt(StringRef name, int64_t fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->i() : fallback;
}

float NodeContext::attrFloat(StringRef name, float fallback) const {
  const onnx::AttributeProto *a = attr(name);
  return a ? a->f() : fallback;
}

std::optional<SmallVector<int64_t>>
NodeContext::attrInts(StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

Value NodeContext::constant(const HostTensor &tensor) {
  DenseElementsAttr attr = tensor.toAttr();
  return ConstantOp::create(builder(), loc, attr.getType(), attr);
}

Value NodeContext::scalar(Type elementType, double value) {
  HostTensor t = HostTensor::zeros(elementType, {});
  t.set(0, value);
  return constant(t);
}

InFlightDiagnostic NodeContext::emitError() {
  // The location holds the node's name too, but diagnostics print only the
  // file position: say the name in the message.
  StringRef name = cast<NameLoc>(loc).getName().getValue();
  return mlir::emitError(loc) << node.op_type() << " node '" << name << "': ";
}

//===----------------------------------------------------------------------===//
// Shared helpers
//===----------------------------------------------------------------------===//

FailureOr<int64_t> wafer::detail::normalizeAxis(NodeContext &ctx, int64_t axis,
                                                int64_t rank, StringRef what) {
  if (axis < -rank || axis >= rank) {
    ctx.emitError() << what << " " << axis << " is out of range for rank "
                    << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

RankedTensorType wafer::detail::tensorType(ArrayRef<int64_t> shape,
                                           Type elementType) {
  return RankedTensorType::get(shape, elementType);
}

Value wafer::detail::reshape(NodeContext &ctx, Value value,
                             ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return ReshapeOp::create(ctx.builder(), ctx.loc,
                           tensorType(shape, type.getElementType()), value);
}

namespace {

std::string formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? "x" : "") + std::to_string(d);
  return s;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// The broadcast shape of inputs 0 and 1, which must have one element type
/// (unless `mixedTypes`); emits the error otherwise.
std::optional<SmallVector<int64_t>> binaryShape(NodeContext &ctx,
                                                bool mixedTypes = false) {
  RankedTensorType lhs = ctx.inputType(0), rhs = ctx.inputType(1);
  if (!mixedTypes && lhs.getElementType() != rhs.getElementType()) {
    ctx.emitError() << "operand element types differ: "
                    << lhs.getElementType() << " and " << rhs.getElementType();
    return std::nullopt;
  }
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(lhs.getShape(), rhs.getShape());
  if (!shape)
    ctx.emitError() << "operand shapes " << formatShape(lhs.getShape())
                    << " and " << formatShape(rhs.getShape())
                    << " do not broadcast";
  return shape;
}

template <typename OpTy>
LogicalResult binary(NodeContext &ctx, double (*fold)(double, double)) {
  RankedTensorType lhs = ctx.inputType(0), rhs = ctx.inputType(1);
  Type elementType = lhs.getElementType();
  Value rhsValue;
  // Pow may raise a float to an integer power; the exponent is cast below.
  std::optional<SmallVector<int64_t>> shape =
      binaryShape(ctx, /*mixedTypes=*/ctx.node.op_type() == "Pow");
  if (!shape)
    return failure();
  Type resultElement = elementType;
  const HostTensor *a = ctx.host(0), *b = ctx.host(1);
  if (a && b && ctx.canFold(elementCount(*shape))) {
    ctx.setOutput(0, mapBroadcast({a, b}, resultElement, *shape,
                                  [&](ArrayRef<double> v) {
                                    return fold(v[0], v[1]);
                                  }));
    return success();
  }
  rhsValue = ctx.value(1);
  if (rhs.getElementType() != elementType)
    rhsValue = CastOp::create(ctx.builder(), ctx.loc,
                              tensorType(rhs.getShape(), elementType),
                              rhsValue);
  ctx.setOutput(0, OpTy::create(ctx.builder(), ctx.loc,
                                tensorType(*shape, resultElement),
                                ctx.value(0), rhsValue)
                       .getResult());
  return success();
}

LogicalResult compare(NodeContext &ctx, CompareKind kind,
                      double (*fold)(double, double)) {
  std::optional<SmallVector<int64_t>> shape = binaryShape(ctx);
  if (!shape)
    return failure();
  Type i1 = IntegerType::get(ctx.context(), 1);
  const HostTensor *a = ctx.host(0), *b = ctx.host(1);
  if (a && b && ctx.canFold(elementCount(*shape))) {
    ctx.setOutput(0, mapBroadcast({a, b}, i1, *shape, [&](ArrayRef<double> v) {
                    return fold(v[0], v[1]);
                  }));
    return success();
  }
  ctx.setOutput(0, CompareOp::create(ctx.builder(), ctx.loc,
                                     tensorType(*shape, i1), kind,
                                     ctx.value(0), ctx.value(1))
                       .getResult());
  return success();
}

template <typename OpTy>
LogicalResult unary(NodeContext &ctx, double (*fold)(double),
                    bool floatOnly = true) {
  RankedTensorType type = ctx.inputType(0);
  if (floatOnly && !isa<FloatType>(type.getElementType())) {
    if (const HostTensor *t = ctx.host(0)) {
      // Integer shape arithmetic (e.g. Neg of an index) still folds.
      HostTensor out = *t;
      for (int64_t i = 0, e = out.numElements(); i < e; ++i)
        out.set(i, fold(t->getReal(i)));
      ctx.setOutput(0, std::move(out));
      return success();
    }
    ctx.emitError() << "needs a float operand, found "
                    << type.getElementType();
    return failure();
  }
  if (const HostTensor *t = ctx.host(0)) {
    HostTensor out = *t;
    for (int64_t i = 0, e = out.numElements(); i < e; ++i)
      out.set(i, fold(t->getReal(i)));
    ctx.setOutput(0, std::move(out));
    return success();
  }
  ctx.setOutput(0,
                OpTy::create(ctx.builder(), ctx.loc, type, ctx.value(0))
                    .getResult());
  return success();
}

/// Einsum on compile-time operands (exporters spell torch.outer this way).
LogicalResult importEinsum(NodeContext &ctx) {
  const onnx::AttributeProto *equationAttr = ctx.attr("equation");
  std::string equation;
  for (char c : equationAttr ? equationAttr->s() : std::string())
    if (c != ' ')
      equation.push_back(c);
  size_t arrow = equation.find("->");
  if (arrow == std::string::npos || equation.find('.') != std::string::npos) {
    ctx.emitError() << "needs an explicit equation without ellipsis, found '"
                    << equation << "'";
    return failure();
  }
  SmallVector<StringRef> terms;
  StringRef(equation).take_front(arrow).split(terms, ',');
  StringRef outputTerm = StringRef(equation).drop_front(arrow + 2);
  if (static_cast<int>(terms.size()) != ctx.node.input_size()) {
    ctx.emitError() << "equation has " << terms.size() << " operands, node "
                    << ctx.node.input_size();
    return failure();
  }
  SmallVector<const HostTensor *> operands;
  std::map<char, int64_t> extents;
  for (auto [i, term] : llvm::enumerate(terms)) {
    const HostTensor *t = ctx.requireHost(i, "operand");
    if (!t)
      return failure();
    if (term.size() != t->shape.size()) {
      ctx.emitError() << "term '" << term << "' does not match operand rank "
                      << t->shape.size();
      return failure();
    }
    for (auto [d, label] : llvm::enumerate(term)) {
      auto [it, inserted] = extents.try_emplace(label, t->shape[d]);
      if (!inserted && it->second != t->shape[d]) {
        ctx.emitError() << "label '" << label << "' has extents "
                        << it->second << " and " << t->shape[d];
        return failure();
      }
    }
    operands.push_back(t);
  }
  SmallVector<char> labels;
  SmallVector<int64_t> sizes, outShape;
  for (auto [label, extent] : extents) {
    labels.push_back(label);
    sizes.push_back(extent);
  }
  for (char label : outputTerm) {
    if (!extents.count(label)) {
      ctx.emitError() << "output label '" << label << "' is not an input's";
      return failure();
    }
    outShape.push_back(extents[label]);
  }
  if (!ctx.canFold(elementCount(sizes))) {
    ctx.emitError() << "is too large to evaluate at compile time";
    return failure();
  }
  HostTensor out = HostTensor::zeros(operands.front()->elementType, outShape);
  std::vector<double> sums(out.numElements(), 0.0);
  // Walk every assignment of the labels; add each product into its output.
  auto linear = [&](StringRef term, ArrayRef<int64_t> shape,
                    ArrayRef<int64_t> index) {
    int64_t offset = 0;
    for (auto [d, label] : llvm::enumerate(term)) {
      size_t l = llvm::find(labels, label) - labels.begin();
      offset = offset * shape[d] + index[l];
    }
    return offset;
  };
  SmallVector<int64_t> index(labels.size(), 0);
  for (int64_t n = 0, e = elementCount(sizes); n < e; ++n) {
    double product = 1;
    for (auto [term, t] : llvm::zip(terms, operands))
      product *= t->getReal(linear(term, t->shape, index));
    sums[linear(outputTerm, outShape, index)] += product;
    for (int64_t d = static_cast<int64_t>(labels.size()) - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
  for (auto [i, v] : llvm::enumerate(sums))
    out.set(i, v);
  ctx.setOutput(0, std::move(out));
  return success();
}

/// Max and Min take any number of operands.
template <typename OpTy>
LogicalResult variadic(NodeContext &ctx, double (*fold)(double, double)) {
  ImportedValue acc = ctx.input(0);
  for (int i = 1; i < ctx.node.input_size(); ++i) {
    ImportedValue &next = ctx.input(i);
    std::optional<SmallVector<int64_t>> shape =
        broadcastShapes(acc.type.getShape(), next.type.getShape());
    if (!shape || acc.type.getElementType() != next.type.getElementType()) {
      ctx.emitError() << "operands " << acc.type << " and " << next.type
                      << " do not broadcast";
      return failure();
    }
    if (acc.host && next.host && ctx.canFold(elementCount(*shape))) {
      acc.host = mapBroadcast({&*acc.host, &*next.host},
                              acc.type.getElementType(), *shape,
                              [&](ArrayRef<double> v) {
                                return fold(v[0], v[1]);
                              });
      acc.type = acc.host->getType();
      acc.value = nullptr;
      continue;
    }
    Value lhs = ctx.importer.materialize(acc, ctx.loc);
    Value rhs = ctx.importer.materialize(next, ctx.loc);
    acc.type = tensorType(*shape, acc.type.getElementType());
    acc.value = OpTy::create(ctx.builder(), ctx.loc, acc.type, lhs, rhs);
    acc.host.reset();
  }
  ctx.importer.values[ctx.node.output(0)] = acc;
  return success();
}

LogicalResult passThrough(NodeContext &ctx) {
  ctx.importer.values[ctx.node.output(0)] = ctx.input(0);
  return success();
}

LogicalResult importDropout(NodeContext &ctx) {
  if (ctx.hasInput(2)) {
    const HostTensor *training = ctx.host(2);
    if (!training || training->getInt(0) != 0) {
      ctx.emitError() << "training_mode must be a constant false for "
                         "inference";
      return failure();
    }
  }
  if (ctx.outputUsed(1)) {
    HostTensor mask = HostTensor::zeros(IntegerType::get(ctx.context(), 1),
                                        ctx.inputShape(0));
    if (!ctx.canFold(mask.numElements())) {
      ctx.emitError() << "mask output is not supported for large tensors";
      return failure();
    }
    for (int64_t &v : mask.ints)
      v = 1;
    ctx.setOutput(1, std::move(mask));
  }
  return passThrough(ctx);
}

LogicalResult importCast(NodeContext &ctx) {
  int64_t to = ctx.attrInt("to", 0);
  Type elementType = convertElementType(ctx.context(), to);
  if (!elementType) {
    ctx.emitError() << "cannot cast to ONNX element type " << to;
    return failure();
  }
  if (const HostTensor *t = ctx.host(0)) {
    ctx.setOutput(0, castTensor(*t, elementType));
    return success();
  }
  RankedTensorType type = ctx.inputType(0);
  if (type.getElementType() == elementType)
    return passThrough(ctx);
  ctx.setOutput(0, CastOp::create(ctx.builder(), ctx.loc,
                                  tensorType(type.getShape(), elementType),
                                  ctx.value(0))
                       .getResult());
  return success();
}

LogicalResult importWhere(NodeContext &ctx) {
  RankedTensorType cond = ctx.inputType(0), x = ctx.inputType(1),
                   y = ctx.inputType(2);
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(cond.getShape(), x.getShape());
  if (shape)
    shape = broadcastShapes(*shape, y.getShape());
  if (!shape || x.getElementType() != y.getElementType()) {
    ctx.emitError() << "operands " << cond << ", " << x << ", " << y
                    << " do not broadcast to one type";
    return failure();
  }
  const HostTensor *c = ctx.host(0), *a = ctx.host(1), *b = ctx.host(2);
  if (c && a && b && ctx.canFold(elementCount(*shape))) {
    ctx.setOutput(0, mapBroadcast({c, a, b}, x.getElementType(), *shape,
                                  [](ArrayRef<double> v) {
                                    return v[0] != 0 ? v[1] : v[2];
                                  }));
    return success();
  }
  ctx.setOutput(0, SelectOp::create(ctx.builder(), ctx.loc,
                                    tensorType(*shape, x.getElementType()),
                                    ctx.value(0), ctx.value(1), ctx.value(2))
                       .getResult());
  return success();
}

LogicalResult importClip(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  Type elementType = type.getElementType();
  // Bounds: attributes before opset 11, optional inputs after.
  std::optional<double> lo, hi;
  Value loValue, hiValue;
  if (ctx.opset < 11) {
    if (ctx.attr("min"))
      lo = ctx.attrFloat("min", 0);
    if (ctx.attr("max"))
      hi = ctx.attrFloat("max", 0);
  } else {
    for (int i : {1, 2}) {
      if (!ctx.hasInput(i))
        continue;
      if (ctx.inputType(i).getRank() != 0) {
        ctx.emitError() << (i == 1 ? "min" : "max") << " must be a scalar, "
                        << "found " << ctx.inputType(i);
        return failure();
      }
      if (const HostTensor *bound = ctx.host(i))
        (i == 1 ? lo : hi) = bound->getReal(0);
      else
        (i == 1 ? loValue : hiValue) = ctx.value(i);
    }
  }
  if (const HostTensor *t = ctx.host(0); t && !loValue && !hiValue) {
    HostTensor out = *t;
    for (int64_t i = 0, e = out.numElements(); i < e; ++i) {
      double v = t->getReal(i);
      if (lo)
        v = std::max(v, *lo);
      if (hi)
        v = std::min(v, *hi);
      out.set(i, v);
    }
    ctx.setOutput(0, std::move(out));
    return success();
  }
  if (lo)
    loValue = ctx.scalar(elementType, *lo);
  if (hi)
    hiValue = ctx.scalar(elementType, *hi);
  Value result = ctx.value(0);
  if (loValue)
    result = MaxOp::create(ctx.builder(), ctx.loc, type, result, loValue);
  if (hiValue)
    result = MinOp::create(ctx.builder(), ctx.loc, type, result, hiValue);
  ctx.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Linear algebra and transformer ops
//===----------------------------------------------------------------------===//

LogicalResult importMatMul(NodeContext &ctx) {
  RankedTensorType lhsType = ctx.inputType(0), rhsType = ctx.inputType(1);
  if (!isa<FloatType>(lhsType.getElementType()) ||
      lhsType.getElementType() != rhsType.getElementType()) {
    ctx.emitError() << "needs float operands of one type, found " << lhsType
                    << " and " << rhsType;
    return failure();
  }
  // ONNX MatMul follows numpy.matmul: 1-D operands gain and lose a unit dim.
  SmallVector<int64_t> lhs(lhsType.getShape()), rhs(rhsType.getShape());
  if (lhs.empty() || rhs.empty()) {
    ctx.emitError() << "operands must not be scalars";
    return failure();
  }
  bool lhsVector = lhs.size() == 1, rhsVector = rhs.size() == 1;
  if (lhsVector)
    lhs.insert(lhs.begin(), 1);
  if (rhsVector)
    rhs.push_back(1);
  if (lhs.back() != rhs[rhs.size() - 2]) {
    ctx.emitError() << "contracting dimensions differ: "
                    << formatShape(lhsType.getShape()) << " x "
                    << formatShape(rhsType.getShape());
    return failure();
  }
  std::optional<SmallVector<int64_t>> batch =
      broadcastShapes(ArrayRef<int64_t>(lhs).drop_back(2),
                      ArrayRef<int64_t>(rhs).drop_back(2));
  if (!batch) {
    ctx.emitError() << "batch dimensions of "
                    << formatShape(lhsType.getShape()) << " and "
                    << formatShape(rhsType.getShape()) << " do not broadcast";
    return failure();
  }
  SmallVector<int64_t> result(*batch);
  result.push_back(lhs[lhs.size() - 2]);
  result.push_back(rhs.back());
  Type elementType = lhsType.getElementType();
  Value product = MatmulOp::create(
      ctx.builder(), ctx.loc, tensorType(result, elementType),
      reshape(ctx, ctx.value(0), lhs), reshape(ctx, ctx.value(1), rhs),
      /*bias=*/nullptr);
  SmallVector<int64_t> finalShape(*batch);
  if (!lhsVector)
    finalShape.push_back(lhs[lhs.size() - 2]);
  if (!rhsVector)
    finalShape.push_back(rhs.back());
  ctx.setOutput(0, reshape(ctx, product, finalShape));
  return success();
}

/// Conv, 1-D and 2-D: the padding made explicit (auto_pad resolved as ONNX
/// defines it), the output shape computed; wafer-decompose-conv makes it a
/// product.
LogicalResult importConv(NodeContext &ctx) {
  RankedTensorType in = ctx.inputType(0), filter = ctx.inputType(1);
  int64_t rank = in.getRank();
  if ((rank != 3 && rank != 4) || filter.getRank() != rank) {
    ctx.emitError() << "supports 1-D and 2-D convolutions ([N, C, L] or [N, "
                       "C, H, W] with a filter of the same rank), found "
                    << in << " and " << filter;
    return failure();
  }
  int64_t spatial = rank - 2;
  auto ints = [&](llvm::StringRef name, int64_t count, int64_t fallback) {
    SmallVector<int64_t> values =
        ctx.attrInts(name).value_or(SmallVector<int64_t>(count, fallback));
    return values;
  };
  SmallVector<int64_t> strides = ints("strides", spatial, 1);
  SmallVector<int64_t> dilations = ints("dilations", spatial, 1);
  SmallVector<int64_t> pads = ints("pads", 2 * spatial, 0);
  SmallVector<int64_t> kernel(filter.getShape().drop_front(2));
  if (std::optional<SmallVector<int64_t>> shape = ctx.attrInts("kernel_shape");
      shape && ArrayRef<int64_t>(*shape) != ArrayRef<int64_t>(kernel)) {
    ctx.emitError() << "kernel_shape " << formatShape(*shape)
                    << " differs from the filter's " << formatShape(kernel);
    return failure();
  }
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial ||
      static_cast<int64_t>(pads.size()) != 2 * spatial) {
    ctx.emitError() << spatial
                    << " spatial dimension(s) need as many strides and "
                       "dilations and twice as many pads";
    return failure();
  }
  std::string autoPad = "NOTSET";
  if (const onnx::AttributeProto *a = ctx.attr("auto_pad"))
    autoPad = a->s();
  if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
    // Output = ceil(input / stride); the odd pad at the end (upper) or the
    // beginning (lower).
    for (int64_t d = 0; d < spatial; ++d) {
      int64_t size = in.getDimSize(2 + d);
      int64_t out = (size + strides[d] - 1) / strides[d];
      int64_t total = std::max<int64_t>(
          0, (out - 1) * strides[d] + dilations[d] * (kernel[d] - 1) + 1 -
                 size);
      int64_t small = total / 2, large = total - small;
      pads[d] = autoPad == "SAME_UPPER" ? small : large;
      pads[d + spatial] = autoPad == "SAME_UPPER" ? large : small;
    }
  } else if (autoPad == "VALID") {
    pads.assign(2 * spatial, 0);
  } else if (autoPad != "NOTSET") {
    ctx.emitError() << "auto_pad '" << autoPad
                    << "' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID";
    return failure();
  }
  SmallVector<int64_t> shape = {in.getDimSize(0), filter.getDimSize(0)};
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t padded = in.getDimSize(2 + d) + pads[d] + pads[d + spatial];
    int64_t span = dilations[d] * (kernel[d] - 1) + 1;
    if (strides[d] < 1 || dilations[d] < 1 || span > padded) {
      ctx.emitError() << "spatial dimension " << d << " of " << in
                      << ": a kernel spanning " << span
                      << " does not fit the padded extent " << padded
                      << " (stride " << strides[d] << ")";
      return failure();
    }
    shape.push_back((padded - span) / strides[d] + 1);
  }
  auto conv = ConvOp::create(
      ctx.builder(), ctx.loc, tensorType(shape, in.getElementType()),
      ctx.value(0), ctx.value(1), ctx.hasInput(2) ? ctx.value(2) : Value(),
      ctx.builder().getDenseI64ArrayAttr(strides),
      ctx.builder().getDenseI64ArrayAttr(dilations),
      ctx.builder().getDenseI64ArrayAttr(pads), ctx.attrInt("group", 1));
  // The verifier states what else is wrong (groups, channels, bias).
  if (failed(conv.verify()))
    return failure();
  ctx.setOutput(0, conv.getResult());
  return success();
}

LogicalResult importGemm(NodeContext &ctx) {
  RankedTensorType a = ctx.inputType(0), b = ctx.inputType(1);
  if (a.getRank() != 2 || b.getRank() != 2) {
    ctx.emitError() << "needs 2-D operands, found " << a << " and " << b;
    return failure();
  }
  bool transA = ctx.attrInt("transA", 0), transB = ctx.attrInt("transB", 0);
  float alpha = ctx.attrFloat("alpha", 1), beta = ctx.attrFloat("beta", 1);
  int64_t m = transA ? a.getDimSize(1) : a.getDimSize(0);
  int64_t ka = transA ? a.getDimSize(0) : a.getDimSize(1);
  int64_t kb = transB ? b.getDimSize(1) : b.getDimSize(0);
  int64_t n = transB ? b.getDimSize(0) : b.getDimSize(1);
  if (ka != kb) {
    ctx.emitError() << "contracting dimensions differ: K = " << ka << " and "
                    << kb;
    return failure();
  }
  Type elementType = a.getElementType();
  auto resultType = tensorType({m, n}, elementType);
  Value bias;
  if (ctx.hasInput(2) && beta != 0) {
    std::optional<SmallVector<int64_t>> shape =
        broadcastShapes({m, n}, ctx.inputShape(2));
    if (!shape || ArrayRef<int64_t>(*shape) != resultType.getShape()) {
      ctx.emitError() << "C shape " << formatShape(ctx.inputShape(2))
                      << " does not broadcast to " << m << "x" << n;
      return failure();
    }
    bias = ctx.value(2);
    if (beta != 1)
      bias = MulOp::create(ctx.builder(), ctx.loc, ctx.inputType(2), bias,
                           ctx.scalar(elementType, beta));
  }
  if (alpha != 1) {
    Value product =
        MatmulOp::create(ctx.builder(), ctx.loc, resultType, ctx.value(0),
                         ctx.value(1), nullptr, transA, transB);
    product = MulOp::create(ctx.builder(), ctx.loc, resultType, product,
                            ctx.scalar(elementType, alpha));
    if (bias)
      product = AddOp::create(ctx.builder(), ctx.loc, resultType, product,
                              bias);
    ctx.setOutput(0, product);
    return success();
  }
  ctx.setOutput(0, MatmulOp::create(ctx.builder(), ctx.loc, resultType,
                                    ctx.value(0), ctx.value(1), bias, transA,
                                    transB)
                       .getResult());
  return success();
}

template <typename OpTy> LogicalResult importSoftmax(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis =
      normalizeAxis(ctx, ctx.attrInt("axis", ctx.opset >= 13 ? -1 : 1), rank);
  if (failed(axis))
    return failure();
  // Before opset 13 the input is flattened to 2-D at `axis`; that equals a
  // softmax along `axis` only when it is the last dimension.
  if (ctx.opset < 13 && *axis != rank - 1) {
    ctx.emitError() << "opset " << ctx.opset << " coerces the input to 2-D at "
                    << "axis " << *axis << "; only the last axis is supported";
    return failure();
  }
  ctx.setOutput(0, OpTy::create(ctx.builder(), ctx.loc, type, ctx.value(0),
                                *axis - rank)
                       .getResult());
  return success();
}

/// SoftmaxCrossEntropyLoss (what PyTorch's cross_entropy exports), spelled
/// out with wafer ops: log-softmax over the classes (axis 1), the label's
/// entry picked by a one-hot mask, negated, and reduced as `reduction` asks
/// over the entries whose label is not `ignore_index`, each weighted by its
/// class's weight when weights are given.
LogicalResult importSoftmaxCrossEntropyLoss(NodeContext &ctx) {
  OpBuilder &b = ctx.builder();
  RankedTensorType scores = ctx.inputType(0);
  RankedTensorType labels = ctx.inputType(1);
  int64_t rank = scores.getRank();
  if (rank < 2 || labels.getRank() != rank - 1 ||
      !isa<IntegerType>(labels.getElementType()) ||
      labels.getDimSize(0) != scores.getDimSize(0) ||
      labels.getShape().drop_front() != scores.getShape().drop_front(2)) {
    ctx.emitError() << "expects scores [N, C, ...] and integer labels [N, "
                       "...]; found "
                    << scores << " and " << labels;
    return failure();
  }
  std::string reduction = "mean";
  if (const onnx::AttributeProto *a = ctx.attr("reduction"))
    reduction = a->s();
  if (reduction != "mean" && reduction != "sum" && reduction != "none") {
    ctx.emitError() << "reduction '" << reduction
                    << "' is not mean, sum or none";
    return failure();
  }
  Type f = scores.getElementType();
  Value logProb =
      LogSoftmaxOp::create(b, ctx.loc, scores, ctx.value(0), 1 - rank);
  // The label's class: labels [N, ...] as [N, 1, ...] against an iota over
  // the classes [1, C, 1, ...].
  SmallVector<int64_t> labelShape(labels.getShape());
  labelShape.insert(labelShape.begin() + 1, 1);
  SmallVector<int64_t> classShape(rank, 1);
  classShape[1] = scores.getDimSize(1);
  Value label = ReshapeOp::create(
      b, ctx.loc, tensorType(labelShape, labels.getElementType()),
      ctx.value(1));
  Value classes = IotaOp::create(
      b, ctx.loc, tensorType(classShape, labels.getElementType()), 1);
  auto maskType = tensorType(scores.getShape(), b.getI1Type());
  Value picked = CompareOp::create(b, ctx.loc, maskType, CompareKind::eq,
                                   label, classes);
  Value chosen = SelectOp::create(b, ctx.loc, scores, picked, logProb,
                                  ctx.scalar(f, 0.0));
  auto lossType = tensorType(labels.getShape(), f);
  Value loss = NegOp::create(
      b, ctx.loc, lossType,
      ReduceOp::create(b, ctx.loc, lossType, ReduceKind::sum, chosen,
                       SmallVector<int64_t>{1}, /*keep_dims=*/false));
  // Each entry counts with its class's weight (1 without weights), in the
  // sum and in the mean's divisor; entries labelled ignore_index count for
  // nothing.
  Value counted;
  if (ctx.hasInput(2)) {
    RankedTensorType weights = ctx.inputType(2);
    if (weights.getRank() != 1 ||
        weights.getDimSize(0) != scores.getDimSize(1)) {
      ctx.emitError() << "expects one weight per class, found " << weights;
      return failure();
    }
    Value perClass = ReshapeOp::create(b, ctx.loc, tensorType(classShape, f),
                                       ctx.value(2));
    Value spread =
        SelectOp::create(b, ctx.loc, scores, picked, perClass,
                         ctx.scalar(f, 0.0));
    counted = ReduceOp::create(b, ctx.loc, lossType, ReduceKind::sum, spread,
                               SmallVector<int64_t>{1}, /*keep_dims=*/false);
    loss = MulOp::create(b, ctx.loc, lossType, loss, counted);
  }
  if (const onnx::AttributeProto *a = ctx.attr("ignore_index")) {
    Value ignore = ctx.scalar(labels.getElementType(), a->i());
    Value kept = CompareOp::create(
        b, ctx.loc, tensorType(labels.getShape(), b.getI1Type()),
        CompareKind::ne, ctx.value(1), ignore);
    loss = SelectOp::create(b, ctx.loc, lossType, kept, loss,
                            ctx.scalar(f, 0.0));
    counted = counted ? SelectOp::create(b, ctx.loc, lossType, kept, counted,
                                         ctx.scalar(f, 0.0))
                            .getResult()
                      : CastOp::create(b, ctx.loc, lossType, kept).getResult();
  }
  if (reduction != "none") {
    SmallVector<int64_t> all;
    for (int64_t d = 0; d < labels.getRank(); ++d)
      all.push_back(d);
    auto scalarType = tensorType({}, f);
    ReduceKind kind =
        reduction == "mean" && !counted ? ReduceKind::mean : ReduceKind::sum;
    loss = ReduceOp::create(b, ctx.loc, scalarType, kind, loss, all,
                            /*keep_dims=*/false);
    if (reduction == "mean" && counted)
      loss = DivOp::create(b, ctx.loc, scalarType, loss,
                           ReduceOp::create(b, ctx.loc, scalarType,
                                            ReduceKind::sum, counted, all,
                                            /*keep_dims=*/false));
  }
  ctx.setOutput(0, loss);
  if (ctx.outputUsed(1))
    ctx.setOutput(1, logProb);
  return success();
}

/// LayerNormalization's optional Mean and InvStdDev outputs, spelled out
/// with reductions: the fused op yields only the normalised tensor.
void importLayerNormStatistics(NodeContext &ctx, int64_t axis, float epsilon) {
  OpBuilder &b = ctx.builder();
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes, shape(type.getShape());
  for (int64_t d = axis; d < rank; ++d) {
    axes.push_back(d);
    shape[d] = 1;
  }
  auto statType = tensorType(shape, type.getElementType());
  Value x = ctx.value(0);
  Value mean = ReduceOp::create(b, ctx.loc, statType, ReduceKind::mean, x,
                                axes, /*keep_dims=*/true);
  Value centered = SubOp::create(b, ctx.loc, type, x, mean);
  Value squared = MulOp::create(b, ctx.loc, type, centered, centered);
  Value variance = ReduceOp::create(b, ctx.loc, statType, ReduceKind::mean,
                                    squared, axes, /*keep_dims=*/true);
  Value shifted = AddOp::create(b, ctx.loc, statType, variance,
                                ctx.scalar(type.getElementType(), epsilon));
  if (ctx.outputUsed(1))
    ctx.setOutput(1, mean);
  if (ctx.outputUsed(2))
    ctx.setOutput(2, RsqrtOp::create(b, ctx.loc, statType, shifted)
                         .getResult());
}

LogicalResult importLayerNorm(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  if (ctx.outputUsed(1) || ctx.outputUsed(2))
    importLayerNormStatistics(ctx, *axis, ctx.attrFloat("epsilon", 1e-5f));
  ArrayRef<int64_t> features = type.getShape().drop_front(*axis);
  auto param = [&](int i) -> FailureOr<Value> {
    if (elementCount(ctx.inputShape(i)) != elementCount(features)) {
      ctx.emitError() << (i == 1 ? "Scale" : "B") << " shape "
                      << formatShape(ctx.inputShape(i))
                      << " does not match the normalised dimensions "
                      << formatShape(features);
      return failure();
    }
    return reshape(ctx, ctx.value(i), features);
  };
  FailureOr<Value> scale = param(1);
  if (failed(scale))
    return failure();
  Value bias;
  if (ctx.hasInput(2)) {
    FailureOr<Value> b = param(2);
    if (failed(b))
      return failure();
    bias = *b;
  }
  ctx.setOutput(0, LayerNormOp::create(
                       ctx.builder(), ctx.loc, type, ctx.value(0), *scale,
                       bias, *axis - rank,
                       APFloat(ctx.attrFloat("epsilon", 1e-5f)))
                       .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult importReduce(NodeContext &ctx, ReduceKind kind,
                           int64_t axesInputSince) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes;
  bool given = false;
  if (ctx.opset >= axesInputSince) {
    if (ctx.hasInput(1)) {
      const HostTensor *t = ctx.requireHost(1, "axes");
      if (!t)
        return failure();
      for (int64_t a : t->toInts())
        axes.push_back(a);
      given = true;
    }
  } else if (std::optional<SmallVector<int64_t>> a = ctx.attrInts("axes")) {
    axes = *a;
    given = true;
  }
  if (!given || axes.empty()) {
    if (given && ctx.attrInt("noop_with_empty_axes", 0))
      return passThrough(ctx);
    if (!given && ctx.attrInt("noop_with_empty_axes", 0))
      return passThrough(ctx);
    axes.clear();
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  SmallVector<bool> reduced(rank, false);
  for (int64_t &a : axes) {
    FailureOr<int64_t> n = normalizeAxis(ctx, a, rank, "reduction axis");
    if (failed(n))
      return failure();
    a = *n;
    reduced[a] = true;
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  bool keepDims = ctx.attrInt("keepdims", 1);
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      shape.push_back(type.getDimSize(d));
    else if (keepDims)
      shape.push_back(1);
  }
  ctx.setOutput(0, ReduceOp::create(ctx.builder(), ctx.loc,
                                    tensorType(shape, type.getElementType()),
                                    kind, ctx.value(0), axes, keepDims)
                       .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Shapes and data movement
//===----------------------------------------------------------------------===//

LogicalResult importShape(NodeContext &ctx) {
  ArrayRef<int64_t> shape = ctx.inputShape(0);
  int64_t rank = shape.size();
  int64_t start = ctx.opset >= 15 ? ctx.attrInt("start", 0) : 0;
  int64_t end = ctx.opset >= 15 ? ctx.attrInt("end", rank) : rank;
  auto clampIndex = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  start = clampIndex(start);
  end = std::max(start, clampIndex(end));
  SmallVector<int64_t> dims(shape.begin() + start, shape.begin() + end);
  ctx.setOutput(0, HostTensor::fromInts(IntegerType::get(ctx.context(), 64),
                                        {static_cast<int64_t>(dims.size())},
                                        dims));
  return success();
}

LogicalResult importSize(NodeContext &ctx) {
  ctx.setOutput(0, HostTensor::fromInts(IntegerType::get(ctx.context(), 64),
                                        {}, {ctx.inputType(0).getNumElements()}));
  return success();
}

/// Reshapes input 0 to `shape`, on the host when its contents are known.
LogicalResult reshapeTo(NodeContext &ctx, ArrayRef<int64_t> shape) {
  if (const HostTensor *t = ctx.host(0)) {
    ctx.setOutput(0, reshapeTensor(*t, shape));
    return success();
  }
  ctx.setOutput(0, reshape(ctx, ctx.value(0), shape));
  return success();
}

LogicalResult importReshape(NodeContext &ctx) {
  const HostTensor *target = ctx.requireHost(1, "shape");
  if (!target)
    return failure();
  ArrayRef<int64_t> in = ctx.inputShape(0);
  bool allowZero = ctx.attrInt("allowzero", 0);
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(target->toInts())) {
    if (d == 0 && !allowZero) {
      if (i >= in.size()) {
        ctx.emitError() << "shape entry " << i
                        << " copies a dimension the input (rank " << in.size()
                        << ") does not have";
        return failure();
      }
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0) {
        ctx.emitError() << "shape has more than one -1";
        return failure();
      }
      inferred = i;
    } else if (d < 0) {
      ctx.emitError() << "shape entry " << i << " is " << d;
      return failure();
    } else {
      if (d != 0 && known > std::numeric_limits<int64_t>::max() / d) {
        ctx.emitError() << "shape overflows 64 bits of elements";
        return failure();
      }
      known *= d;
    }
    shape.push_back(d);
  }
  int64_t total = elementCount(in);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0) {
      ctx.emitError() << "cannot reshape " << formatShape(in) << " into "
                      << formatShape(shape);
      return failure();
    }
    shape[inferred] = total / known;
  }
  if (elementCount(shape) != total) {
    ctx.emitError() << "cannot reshape " << formatShape(in) << " ("
                    << total << " elements) into " << formatShape(shape);
    return failure();
  }
  return reshapeTo(ctx, shape);
}

LogicalResult importFlatten(NodeContext &ctx) {
  ArrayRef<int64_t> in = ctx.inputShape(0);
  int64_t rank = in.size();
  int64_t axis = ctx.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank) {
    ctx.emitError() << "axis " << ctx.attrInt("axis", 1)
                    << " is out of range for rank " << rank;
    return failure();
  }
  return reshapeTo(ctx, {elementCount(in.take_front(axis)),
                         elementCount(in.drop_front(axis))});
}

/// The axes of Squeeze/Unsqueeze: an input from opset 13, an attribute
/// before.
FailureOr<std::optional<SmallVector<int64_t>>> squeezeAxes(NodeContext &ctx) {
  if (ctx.opset >= 13) {
    if (!ctx.hasInput(1))
      return std::optional<SmallVector<int64_t>>();
    const HostTensor *t = ctx.requireHost(1, "axes");
    if (!t)
      return failure();
    std::vector<int64_t> v = t->toInts();
    return std::optional<SmallVector<int64_t>>(
        SmallVector<int64_t>(v.begin(), v.end()));
  }
  return ctx.attrInts("axes");
}

LogicalResult importSqueeze(NodeContext &ctx) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(ctx);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = ctx.inputShape(0);
  int64_t rank = in.size();
  SmallVector<bool> drop(rank, false);
  if (!*axes) {
    for (int64_t d = 0; d < rank; ++d)
      drop[d] = in[d] == 1;
  } else {
    for (int64_t a : **axes) {
      FailureOr<int64_t> n = normalizeAxis(ctx, a, rank);
      if (failed(n))
        return failure();
      if (in[*n] != 1) {
        ctx.emitError() << "cannot squeeze dimension " << *n << " of extent "
                        << in[*n];
        return failure();
      }
      drop[*n] = true;
    }
  }
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d])
      shape.push_back(in[d]);
  return reshapeTo(ctx, shape);
}

LogicalResult importUnsqueeze(NodeContext &ctx) {
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(ctx);
  if (failed(axes))
    return failure();
  if (!*axes) {
    ctx.emitError() << "needs axes";
    return failure();
  }
  ArrayRef<int64_t> in = ctx.inputShape(0);
  int64_t rank = in.size() + (*axes)->size();
  SmallVector<bool> inserted(rank, false);
  for (int64_t a : **axes) {
    FailureOr<int64_t> n = normalizeAxis(ctx, a, rank);
    if (failed(n))
      return failure();
    if (inserted[*n]) {
      ctx.emitError() << "axis " << a << " appears twice";
      return failure();
    }
    inserted[*n] = true;
  }
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(inserted[d] ? 1 : in[next++]);
  return reshapeTo(ctx, shape);
}

LogicalResult importTranspose(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> p = ctx.attrInts("perm"))
    perm = *p;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<bool> seen(rank, false);
  if (static_cast<int64_t>(perm.size()) != rank) {
    ctx.emitError() << "perm has " << perm.size() << " entries for rank "
                    << rank;
    return failure();
  }
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p]) {
      ctx.emitError() << "perm is not a permutation of 0.." << rank - 1;
      return failure();
    }
    seen[p] = true;
    shape.push_back(type.getDimSize(p));
  }
  if (const HostTensor *t = ctx.host(0)) {
    ctx.setOutput(0, transposeTensor(*t, perm));
    return success();
  }
  ctx.setOutput(0, TransposeOp::create(
                       ctx.builder(), ctx.loc,
                       tensorType(shape, type.getElementType()), ctx.value(0),
                       perm)
                       .getResult());
  return success();
}

LogicalResult importConcat(NodeContext &ctx) {
  RankedTensorType first = ctx.inputType(0);
  int64_t rank = first.getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  bool allHost = true;
  SmallVector<const HostTensor *> hosts;
  SmallVector<int> present;
  for (int i = 0; i < ctx.node.input_size(); ++i) {
    RankedTensorType type = ctx.inputType(i);
    if (type.getRank() != rank || type.getElementType() !=
                                      first.getElementType()) {
      ctx.emitError() << "input " << i << " " << type
                      << " does not match input 0 " << first;
      return failure();
    }
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && type.getDimSize(d) != first.getDimSize(d)) {
        ctx.emitError() << "input " << i << " has extent "
                        << type.getDimSize(d) << " in dimension " << d
                        << ", input 0 has " << first.getDimSize(d);
        return failure();
      }
    shape[*axis] += type.getDimSize(*axis);
    if (type.getDimSize(*axis) == 0)
      continue; // Empty pieces add nothing.
    present.push_back(i);
    const HostTensor *t = ctx.host(i);
    allHost &= t != nullptr;
    hosts.push_back(t);
  }
  if (allHost && !hosts.empty() && ctx.canFold(elementCount(shape))) {
    ctx.setOutput(0, concatTensors(hosts, *axis));
    return success();
  }
  if (present.size() == 1) {
    ctx.importer.values[ctx.node.output(0)] = ctx.input(present.front());
    return success();
  }
  SmallVector<Value> inputs;
  for (int i : present)
    inputs.push_back(ctx.value(i));
  ctx.setOutput(0, ConcatOp::create(ctx.builder(), ctx.loc,
                                    tensorType(shape, first.getElementType()),
                                    inputs, *axis)
                       .getResult());
  return success();
}

LogicalResult importSplit(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t extent = type.getDimSize(*axis);
  int outputs = ctx.node.output_size();
  SmallVector<int64_t> sizes;
  if (ctx.opset >= 13 && ctx.hasInput(1)) {
    const HostTensor *t = ctx.requireHost(1, "split sizes");
    if (!t)
      return failure();
    for (int64_t s : t->toInts())
      sizes.push_back(s);
  } else if (ctx.opset < 13 && ctx.attr("split")) {
    sizes = *ctx.attrInts("split");
  } else {
    int64_t parts = ctx.opset >= 18 ? ctx.attrInt("num_outputs", outputs)
                                    : outputs;
    int64_t chunk = (extent + parts - 1) / parts;
    for (int64_t p = 0; p < parts; ++p)
      sizes.push_back(std::max<int64_t>(
          0, std::min(chunk, extent - p * chunk)));
  }
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (static_cast<int>(sizes.size()) != outputs || total != extent) {
    ctx.emitError() << "split sizes add up to " << total << " in "
                    << sizes.size() << " pieces; the input has extent "
                    << extent << " and the node " << outputs << " outputs";
    return failure();
  }
  SmallVector<Type> types;
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(type.getShape());
    shape[*axis] = s;
    types.push_back(tensorType(shape, type.getElementType()));
  }
  if (const HostTensor *t = ctx.host(0)) {
    SmallVector<int64_t> offsets(rank, 0), strides(rank, 1);
    for (auto [i, s] : llvm::enumerate(sizes)) {
      ctx.setOutput(i, sliceTensor(*t, offsets,
                                   strides,
                                   cast<RankedTensorType>(types[i]).getShape()));
      offsets[*axis] += s;
    }
    return success();
  }
  auto split = SplitOp::create(ctx.builder(), ctx.loc, types, ctx.value(0),
                               *axis);
  for (int i = 0; i < outputs; ++i)
    ctx.setOutput(i, split.getResult(i));
  return success();
}

LogicalResult importSlice(NodeContext &ctx) {
  ArrayRef<int64_t> in = ctx.inputShape(0);
  int64_t rank = in.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset >= 10) {
    const HostTensor *s = ctx.requireHost(1, "starts");
    const HostTensor *e = s ? ctx.requireHost(2, "ends") : nullptr;
    if (!e)
      return failure();
    starts = s->toInts();
    ends = e->toInts();
    if (ctx.hasInput(3)) {
      const HostTensor *a = ctx.requireHost(3, "axes");
      if (!a)
        return failure();
      axes = a->toInts();
    }
    if (ctx.hasInput(4)) {
      const HostTensor *st = ctx.requireHost(4, "steps");
      if (!st)
        return failure();
      steps = st->toInts();
    }
  } else {
    auto vec = [](std::optional<SmallVector<int64_t>> v) {
      return v ? std::vector<int64_t>(v->begin(), v->end())
               : std::vector<int64_t>();
    };
    starts = vec(ctx.attrInts("starts"));
    ends = vec(ctx.attrInts("ends"));
    axes = vec(ctx.attrInts("axes"));
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    ctx.emitError() << "starts, ends, axes and steps differ in length";
    return failure();
  }
  SmallVector<int64_t> offsets(rank, 0), strides(rank, 1), sizes(in);
  for (size_t k = 0; k < starts.size(); ++k) {
    FailureOr<int64_t> axis = normalizeAxis(ctx, axes[k], rank);
    if (failed(axis))
      return failure();
    int64_t dim = in[*axis], step = steps[k];
    if (step <= 0) {
      ctx.emitError() << "step " << step << " on axis " << *axis
                      << " is not supported (only positive steps)";
      return failure();
    }
    auto clampIndex = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t start = clampIndex(starts[k]), end = clampIndex(ends[k]);
    offsets[*axis] = start;
    strides[*axis] = step;
    sizes[*axis] = end > start ? (end - start + step - 1) / step : 0;
  }
  if (const HostTensor *t = ctx.host(0)) {
    ctx.setOutput(0, sliceTensor(*t, offsets, strides, sizes));
    return success();
  }
  // Clamp offsets of empty dimensions so the verifier's range holds.
  ctx.setOutput(0, SliceOp::create(ctx.builder(), ctx.loc,
                                   tensorType(sizes,
                                              ctx.inputType(0).getElementType()),
                                   ctx.value(0), offsets, strides)
                       .getResult());
  return success();
}

LogicalResult importGather(NodeContext &ctx) {
  RankedTensorType data = ctx.inputType(0), indices = ctx.inputType(1);
  int64_t rank = data.getRank();
  FailureOr<int64_t> axis = normalizeAxis(ctx, ctx.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int64_t extent = data.getDimSize(*axis);
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  if (const HostTensor *idx = ctx.host(1)) {
    // Known indices: check and normalise them here.
    HostTensor normalized = castTensor(*idx, IntegerType::get(ctx.context(), 64));
    for (int64_t &i : normalized.ints) {
      if (i < -extent || i >= extent) {
        ctx.emitError() << "index " << i << " is out of range for extent "
                        << extent;
        return failure();
      }
      if (i < 0)
        i += extent;
    }
    if (const HostTensor *t = ctx.host(0);
        t && ctx.canFold(elementCount(shape))) {
      ctx.setOutput(0, gatherTensor(*t, normalized, *axis));
      return success();
    }
    ctx.setOutput(0, GatherOp::create(ctx.builder(), ctx.loc,
                                      tensorType(shape, data.getElementType()),
                                      ctx.value(0), ctx.constant(normalized),
                                      *axis)
                         .getResult());
    return success();
  }
  ctx.setOutput(0, GatherOp::create(ctx.builder(), ctx.loc,
                                    tensorType(shape, data.getElementType()),
                                    ctx.value(0), ctx.value(1), *axis)
                       .getResult());
  return success();
}

LogicalResult importExpand(NodeContext &ctx) {
  const HostTensor *target = ctx.requireHost(1, "shape");
  if (!target)
    return failure();
  std::vector<int64_t> dims = target->toInts();
  std::optional<SmallVector<int64_t>> shape =
      broadcastShapes(ctx.inputShape(0), dims);
  if (!shape) {
    ctx.emitError() << "input shape " << formatShape(ctx.inputShape(0))
                    << " does not broadcast with "
                    << formatShape(SmallVector<int64_t>(dims.begin(),
                                                        dims.end()));
    return failure();
  }
  RankedTensorType type = ctx.inputType(0);
  if (const HostTensor *t = ctx.host(0);
      t && ctx.canFold(elementCount(*shape))) {
    ctx.setOutput(0, mapBroadcast({t}, type.getElementType(), *shape,
                                  [](ArrayRef<double> v) { return v[0]; }));
    return success();
  }
  if (type.getShape() == ArrayRef<int64_t>(*shape))
    return passThrough(ctx);
  ctx.setOutput(0, BroadcastOp::create(ctx.builder(), ctx.loc,
                                       tensorType(*shape, type.getElementType()),
                                       ctx.value(0))
                       .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Constants and generators
//===----------------------------------------------------------------------===//

/// Records a constant output: on the host when small, as an IR constant (a
/// compact splat where possible) otherwise.
void setConstantOutput(NodeContext &ctx, HostTensor tensor) {
  if (ctx.canFold(tensor.numElements())) {
    ctx.setOutput(0, std::move(tensor));
    return;
  }
  ctx.setOutput(0, ctx.constant(tensor));
}

LogicalResult importConstant(NodeContext &ctx) {
  MLIRContext *context = ctx.context();
  Builder b(context);
  if (const onnx::AttributeProto *a = ctx.attr("value")) {
    Type elementType = convertElementType(context, a->t().data_type());
    if (!elementType) {
      ctx.emitError() << "value has unsupported ONNX element type "
                      << a->t().data_type();
      return failure();
    }
    std::string error;
    FailureOr<HostTensor> t = readTensorProto(a->t(), elementType, error);
    if (failed(t)) {
      ctx.emitError() << "value " << error;
      return failure();
    }
    setConstantOutput(ctx, std::move(*t));
    return success();
  }
  if (const onnx::AttributeProto *a = ctx.attr("value_float")) {
    setConstantOutput(ctx, HostTensor::scalarLike(
                               HostTensor::zeros(b.getF32Type(), {}), a->f()));
    return success();
  }
  if (const onnx::AttributeProto *a = ctx.attr("value_int")) {
    setConstantOutput(ctx, HostTensor::fromInts(b.getI64Type(), {}, {a->i()}));
    return success();
  }
  if (const onnx::AttributeProto *a = ctx.attr("value_floats")) {
    HostTensor t = HostTensor::zeros(b.getF32Type(), {a->floats_size()});
    for (int i = 0; i < a->floats_size(); ++i)
      t.set(i, a->floats(i));
    setConstantOutput(ctx, std::move(t));
    return success();
  }
  if (const onnx::AttributeProto *a = ctx.attr("value_ints")) {
    SmallVector<int64_t> v(a->ints().begin(), a->ints().end());
    setConstantOutput(ctx, HostTensor::fromInts(
                               b.getI64Type(),
                               {static_cast<int64_t>(v.size())}, v));
    return success();
  }
  ctx.emitError() << "has no supported value attribute";
  return failure();
}

LogicalResult importConstantOfShape(NodeContext &ctx) {
  const HostTensor *target = ctx.requireHost(0, "shape");
  if (!target)
    return failure();
  std::vector<int64_t> dims = target->toInts();
  SmallVector<int64_t> shape(dims.begin(), dims.end());
  if (elementCount(shape) < 0) {
    ctx.emitError() << "shape " << formatShape(shape)
                    << " has a negative dimension";
    return failure();
  }
  HostTensor fill = HostTensor::zeros(Builder(ctx.context()).getF32Type(), {});
  if (const onnx::AttributeProto *a = ctx.attr("value")) {
    Type elementType = convertElementType(ctx.context(), a->t().data_type());
    std::string error;
    FailureOr<HostTensor> t =
        elementType ? readTensorProto(a->t(), elementType, error)
                    : FailureOr<HostTensor>(failure());
    if (failed(t) || t->numElements() != 1) {
      ctx.emitError() << "value must be a one-element tensor of a supported "
                         "type";
      return failure();
    }
    fill = std::move(*t);
  }
  if (ctx.canFold(elementCount(shape))) {
    ctx.setOutput(0, mapBroadcast({&fill}, fill.elementType, shape,
                                  [](ArrayRef<double> v) { return v[0]; }));
    return success();
  }
  // Large fills stay compact: a splat constant.
  auto type = tensorType(shape, fill.elementType);
  DenseElementsAttr splat = reshapeTensor(fill, {}).toAttr();
  ctx.setOutput(0, ConstantOp::create(ctx.builder(), ctx.loc, type,
                                      DenseElementsAttr::get(
                                          type, splat.getSplatValue<Attribute>()))
                       .getResult());
  return success();
}

LogicalResult importRange(NodeContext &ctx) {
  const HostTensor *start = ctx.requireHost(0, "start");
  const HostTensor *limit = start ? ctx.requireHost(1, "limit") : nullptr;
  const HostTensor *delta = limit ? ctx.requireHost(2, "delta") : nullptr;
  if (!delta)
    return failure();
  double s = start->getReal(0), l = limit->getReal(0), d = delta->getReal(0);
  if (d == 0) {
    ctx.emitError() << "delta is zero";
    return failure();
  }
  int64_t count =
      std::max<int64_t>(0, static_cast<int64_t>(std::ceil((l - s) / d)));
  Type elementType = start->elementType;
  if (ctx.canFold(count)) {
    HostTensor out = HostTensor::zeros(elementType, {count});
    for (int64_t i = 0; i < count; ++i)
      out.set(i, s + i * d);
    ctx.setOutput(0, std::move(out));
    return success();
  }
  // Large ranges: start + iota * delta.
  auto type = tensorType({count}, elementType);
  Value iota = IotaOp::create(ctx.builder(), ctx.loc, type, 0);
  Value scaled = MulOp::create(ctx.builder(), ctx.loc, type, iota,
                               ctx.scalar(elementType, d));
  ctx.setOutput(0, AddOp::create(ctx.builder(), ctx.loc, type, scaled,
                                 ctx.scalar(elementType, s))
                       .getResult());
  return success();
}

LogicalResult importTrilu(NodeContext &ctx) {
  RankedTensorType type = ctx.inputType(0);
  if (type.getRank() < 2) {
    ctx.emitError() << "needs rank >= 2, found " << type;
    return failure();
  }
  int64_t k = 0;
  if (ctx.hasInput(1)) {
    const HostTensor *t = ctx.requireHost(1, "k");
    if (!t)
      return failure();
    k = t->getInt(0);
  }
  bool upper = ctx.attrInt("upper", 1);
  int64_t rows = type.getDimSize(type.getRank() - 2),
          cols = type.getDimSize(type.getRank() - 1);
  auto keep = [&](int64_t r, int64_t c) {
    return upper ? c - r >= k : c - r <= k;
  };
  if (const HostTensor *t = ctx.host(0)) {
    HostTensor out = *t;
    for (int64_t i = 0, e = out.numElements(); i < e; ++i)
      if (!keep((i / cols) % rows, i % cols))
        out.set(i, 0);
    ctx.setOutput(0, std::move(out));
    return success();
  }
  // keep = (col - row) >= k (upper) or <= k (lower), built from iotas so the
  // mask costs no constant bytes.
  OpBuilder &b = ctx.builder();
  Type i64 = b.getI64Type();
  auto rowType = tensorType({rows, 1}, i64), colType = tensorType({1, cols}, i64);
  auto gridType = tensorType({rows, cols}, i64);
  Value row = IotaOp::create(b, ctx.loc, rowType, 0);
  Value col = IotaOp::create(b, ctx.loc, colType, 1);
  Value diff = SubOp::create(b, ctx.loc, gridType, col, row);
  Value mask = CompareOp::create(
      b, ctx.loc, tensorType({rows, cols}, b.getI1Type()),
      upper ? CompareKind::ge : CompareKind::le, diff, ctx.scalar(i64, k));
  ctx.setOutput(0, SelectOp::create(b, ctx.loc, type, mask, ctx.value(0),
                                    ctx.scalar(type.getElementType(), 0))
                       .getResult());
  return success();
}

//===----------------------------------------------------------------------===//
// Folding functions
//===----------------------------------------------------------------------===//

double addFn(double a, double b) { return a + b; }
double subFn(double a, double b) { return a - b; }
double mulFn(double a, double b) { return a * b; }
double divFn(double a, double b) { return a / b; }
double powFn(double a, double b) { return std::pow(a, b); }
double maxFn(double a, double b) { return std::max(a, b); }
double minFn(double a, double b) { return std::min(a, b); }
double andFn(double a, double b) { return (a != 0) && (b != 0); }
double orFn(double a, double b) { return (a != 0) || (b != 0); }
double eqFn(double a, double b) { return a == b; }
double ltFn(double a, double b) { return a < b; }
double leFn(double a, double b) { return a <= b; }
double gtFn(double a, double b) { return a > b; }
double geFn(double a, double b) { return a >= b; }

double negFn(double x) { return -x; }
double absFn(double x) { return std::fabs(x); }
double expFn(double x) { return std::exp(x); }
double logFn(double x) { return std::log(x); }
double sqrtFn(double x) { return std::sqrt(x); }
double reciprocalFn(double x) { return 1 / x; }
double tanhFn(double x) { return std::tanh(x); }
double sigmoidFn(double x) { return 1 / (1 + std::exp(-x)); }
double erfFn(double x) { return std::erf(x); }
double reluFn(double x) { return std::max(x, 0.0); }
double notFn(double x) { return x == 0; }
double cosFn(double x) { return std::cos(x); }
double sinFn(double x) { return std::sin(x); }

/// Integer division in ONNX truncates; the host folds it the same way.
LogicalResult importDiv(NodeContext &ctx) {
  if (!isa<FloatType>(ctx.inputType(0).getElementType()))
    return binary<DivOp>(ctx, [](double a, double b) {
      return b == 0 ? 0.0 : std::trunc(a / b);
    });
  return binary<DivOp>(ctx, divFn);
}

/// Every op type of the default domain the importer takes: its handler and
/// how many leading inputs it must name.
const llvm::StringMap<OnnxOp> &onnxOps() {
  static const llvm::StringMap<OnnxOp> table = {
      {"Add", {[](NodeContext &c) { return binary<AddOp>(c, addFn); }, 2}},
      {"Sub", {[](NodeContext &c) { return binary<SubOp>(c, subFn); }, 2}},
      {"Mul", {[](NodeContext &c) { return binary<MulOp>(c, mulFn); }, 2}},
      {"Div", {importDiv, 2}},
      {"Pow", {[](NodeContext &c) { return binary<PowOp>(c, powFn); }, 2}},
      {"And", {[](NodeContext &c) { return binary<AndOp>(c, andFn); }, 2}},
      {"Or", {[](NodeContext &c) { return binary<OrOp>(c, orFn); }, 2}},
      {"Max", {[](NodeContext &c) { return variadic<MaxOp>(c, maxFn); }, 1}},
      {"Min", {[](NodeContext &c) { return variadic<MinOp>(c, minFn); }, 1}},
      {"Equal",
       {[](NodeContext &c) { return compare(c, CompareKind::eq, eqFn); },
        2}},
      {"Less",
       {[](NodeContext &c) { return compare(c, CompareKind::lt, ltFn); },
        2}},
      {"LessOrEqual",
       {[](NodeContext &c) { return compare(c, CompareKind::le, leFn); },
        2}},
      {"Greater",
       {[](NodeContext &c) { return compare(c, CompareKind::gt, gtFn); },
        2}},
      {"GreaterOrEqual",
       {[](NodeContext &c) { return compare(c, CompareKind::ge, geFn); },
        2}},
      {"Neg", {[](NodeContext &c) { return unary<NegOp>(c, negFn); }, 1}},
      {"Abs", {[](NodeContext &c) { return unary<AbsOp>(c, absFn); }, 1}},
      {"Exp", {[](NodeContext &c) { return unary<ExpOp>(c, expFn); }, 1}},
      {"Log", {[](NodeContext &c) { return unary<LogOp>(c, logFn); }, 1}},
      {"Sqrt", {[](NodeContext &c) { return unary<SqrtOp>(c, sqrtFn); }, 1}},
      {"Reciprocal",
       {[](NodeContext &c) { return unary<ReciprocalOp>(c, reciprocalFn); },
        1}},
      {"Tanh", {[](NodeContext &c) { return unary<TanhOp>(c, tanhFn); }, 1}},
      {"Sigmoid",
       {[](NodeContext &c) { return unary<SigmoidOp>(c, sigmoidFn); },
        1}},
      {"Erf", {[](NodeContext &c) { return unary<ErfOp>(c, erfFn); }, 1}},
      {"Relu", {[](NodeContext &c) { return unary<ReluOp>(c, reluFn); }, 1}},
      {"Not",
       {[](NodeContext &c) { return unary<NotOp>(c, notFn, false); },
        1}},
      {"Cos", {[](NodeContext &c) { return unary<CosOp>(c, cosFn); }, 1}},
      {"Sin", {[](NodeContext &c) { return unary<SinOp>(c, sinFn); }, 1}},
      {"Einsum", {importEinsum, 1}},
      {"Identity", {passThrough, 1}},
      {"Dropout", {importDropout, 1}},
      {"Cast", {importCast, 1}},
      {"Where", {importWhere, 3}},
      {"Clip", {importClip, 1}},
      {"MatMul", {importMatMul, 2}},
      {"Gemm", {importGemm, 2}},
      {"Conv", {importConv, 2}},
      {"Softmax", {importSoftmax<SoftmaxOp>, 1}},
      {"LogSoftmax", {importSoftmax<LogSoftmaxOp>, 1}},
      {"LayerNormalization", {importLayerNorm, 2}},
      {"SoftmaxCrossEntropyLoss", {importSoftmaxCrossEntropyLoss, 2}},
      {"ReduceMean",
       {[](NodeContext &c) { return importReduce(c, ReduceKind::mean, 18); },
        1}},
      {"ReduceSum",
       {[](NodeContext &c) { return importReduce(c, ReduceKind::sum, 13); },
        1}},
      {"ReduceMax",
       {[](NodeContext &c) { return importReduce(c, ReduceKind::max, 18); },
        1}},
      {"ReduceMin",
       {[](NodeContext &c) { return importReduce(c, ReduceKind::min, 18); },
        1}},
      {"ReduceProd",
       {[](NodeContext &c) { return importReduce(c, ReduceKind::prod, 18); },
        1}},
      {"Shape", {importShape, 1}},
      {"Size", {importSize, 1}},
      {"Reshape", {importReshape, 2}},
      {"Flatten", {importFlatten, 1}},
      {"Squeeze", {importSqueeze, 1}},
      {"Unsqueeze", {importUnsqueeze, 1}},
      {"Transpose", {importTranspose, 1}},
      {"Concat", {importConcat, 1}},
      {"Split", {importSplit, 1}},
      {"Slice", {importSlice, 3, {10, 1}}},
      {"Gather", {importGather, 2}},
      {"Expand", {importExpand, 2}},
      {"Constant", {importConstant, 0}},
      {"ConstantOfShape", {importConstantOfShape, 1}},
      {"Range", {importRange, 3}},
      {"Trilu", {importTrilu, 1}},
      {"TopK", {importTopK, 2}},
      {"ScatterElements", {importScatterElements, 3}},
      {"GatherElements", {importGatherElements, 2}},
      {"OneHot", {importOneHot, 3}},
      {"CumSum", {importCumSum, 2}},
  };
  return table;
}

} // namespace

const OnnxOp *wafer::detail::lookupOnnxOp(StringRef opType) {
  auto it = onnxOps().find(opType);
  return it == onnxOps().end() ? nullptr : &it->second;
}
