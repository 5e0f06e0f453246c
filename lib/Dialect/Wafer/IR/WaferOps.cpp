//===- WaferOps.cpp - wafer op verifiers and folders ----------------------===//
//
// Verifiers say what they expected and what they found, with the numbers.
//
//===----------------------------------------------------------------------===//

#include "wafer/Dialect/Wafer/WaferOps.h"

#include "wafer/Dialect/Wafer/OpSemantics.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"
#include <cmath>
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace wafer;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Prints a shape as `2x3x4`, or `scalar` for rank 0.
static std::string formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  return text;
}

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

static Type elementTypeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

std::optional<sem::OpShapes> wafer::getOpShapes(Operation *op) {
  std::optional<sem::OpKind> kind =
      sem::opKindOf(op->getName().getStringRef());
  if (!kind)
    return std::nullopt;
  sem::OpShapes shapes;
  shapes.kind = *kind;
  auto shapeOfValue = [](Value value) -> std::optional<sem::Shape> {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      return std::nullopt;
    return sem::Shape(type.getShape().begin(), type.getShape().end());
  };
  for (Value operand : op->getOperands()) {
    std::optional<sem::Shape> shape = shapeOfValue(operand);
    if (!shape)
      return std::nullopt;
    shapes.operands.push_back(std::move(*shape));
  }
  for (Value result : op->getResults()) {
    std::optional<sem::Shape> shape = shapeOfValue(result);
    if (!shape)
      return std::nullopt;
    shapes.results.push_back(std::move(*shape));
  }
  shapes.intAttr = [op](std::string_view name) -> std::optional<int64_t> {
    Attribute attr = op->getAttr(StringRef(name.data(), name.size()));
    if (auto i = dyn_cast_or_null<IntegerAttr>(attr))
      return i.getType().isInteger(1) ? i.getValue().getBoolValue()
                                      : i.getValue().getSExtValue();
    if (attr && isa<UnitAttr>(attr))
      return 1;
    return std::nullopt;
  };
  shapes.intsAttr =
      [op](std::string_view name) -> std::optional<std::vector<int64_t>> {
    if (auto ints = dyn_cast_or_null<DenseI64ArrayAttr>(
            op->getAttr(StringRef(name.data(), name.size()))))
      return std::vector<int64_t>(ints.asArrayRef().begin(),
                                  ints.asArrayRef().end());
    return std::nullopt;
  };
  return shapes;
}

/// Checks `op`'s operand and result shapes against its rule in
/// wafer/Semantics, the one wafer-run checks plans with.
static LogicalResult verifyShapeRule(Operation *op) {
  std::optional<sem::OpShapes> shapes = getOpShapes(op);
  assert(shapes && "every graph op has an entry in wafer/Semantics/Ops.def");
  if (std::optional<std::string> error = sem::shapeError(*shapes))
    return op->emitOpError() << *error;
  return success();
}

/// Checks that every value has the element type of the first.
static LogicalResult verifySameElementType(Operation *op, ValueRange values,
                                           StringRef what) {
  Type expected = elementTypeOf(values.front());
  for (Value value : values.drop_front())
    if (elementTypeOf(value) != expected)
      return op->emitOpError() << what << " element types differ: expected "
                               << expected << ", found "
                               << elementTypeOf(value);
  return success();
}

/// Byte width of a tensor element type as stored in a weight file.
static std::optional<int64_t> storageBytes(Type type) {
  if (type.isInteger(1))
    return 1;
  unsigned bits = type.getIntOrFloatBitWidth();
  if (bits % 8 != 0)
    return std::nullopt;
  return bits / 8;
}

//===----------------------------------------------------------------------===//
// ConstantOp, WeightOp, IotaOp
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

LogicalResult WeightOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  std::optional<int64_t> bytes = storageBytes(type.getElementType());
  if (!bytes)
    return emitOpError() << "element type " << type.getElementType()
                         << " has no byte layout in a weight file";
  // Guard the byte count against overflow before multiplying.
  int64_t elements = 1;
  for (int64_t dim : type.getShape()) {
    if (dim != 0 && elements > std::numeric_limits<int64_t>::max() / dim)
      return emitOpError() << "shape " << formatShape(type.getShape())
                           << " overflows a 64-bit byte count";
    elements *= dim;
  }
  if (elements > std::numeric_limits<int64_t>::max() / *bytes)
    return emitOpError() << "shape " << formatShape(type.getShape())
                         << " overflows a 64-bit byte count";
  if (static_cast<int64_t>(getLength()) != elements * *bytes)
    return emitOpError() << "weight '" << getSymName() << "' of type " << type
                         << " needs " << elements * *bytes
                         << " bytes, but its reference holds " << getLength();
  if (getFile().empty())
    return emitOpError() << "weight '" << getSymName()
                         << "' needs a file name";
  return success();
}

LogicalResult IotaOp::verify() { return verifyShapeRule(*this); }

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

#define WAFER_BINARY_VERIFIER(OP)                                              \
  LogicalResult OP::verify() {                                                 \
    if (failed(verifySameElementType(*this, {getLhs(), getRhs(), getResult()}, \
                                     "operand and result")))                   \
      return failure();                                                        \
    return verifyShapeRule(*this);                                             \
  }
WAFER_BINARY_VERIFIER(AddOp)
WAFER_BINARY_VERIFIER(SubOp)
WAFER_BINARY_VERIFIER(MulOp)
WAFER_BINARY_VERIFIER(DivOp)
WAFER_BINARY_VERIFIER(PowOp)
WAFER_BINARY_VERIFIER(MaxOp)
WAFER_BINARY_VERIFIER(MinOp)
WAFER_BINARY_VERIFIER(AndOp)
WAFER_BINARY_VERIFIER(OrOp)
#undef WAFER_BINARY_VERIFIER

LogicalResult CompareOp::verify() {
  if (failed(verifySameElementType(*this, {getLhs(), getRhs()}, "operand")))
    return failure();
  return verifyShapeRule(*this);
}

LogicalResult SelectOp::verify() {
  if (failed(verifySameElementType(
          *this, {getTrueValue(), getFalseValue(), getResult()},
          "value and result")))
    return failure();
  return verifyShapeRule(*this);
}

/// Converts one constant element to `to` as wafer.cast does.
static Attribute castElement(Attribute value, Type to) {
  double real;
  if (auto f = dyn_cast<FloatAttr>(value))
    real = f.getValueAsDouble();
  else if (auto i = dyn_cast<IntegerAttr>(value))
    real = i.getType().isInteger(1)
               ? static_cast<double>(i.getValue().getBoolValue())
               : static_cast<double>(i.getValue().getSExtValue());
  else
    return nullptr;
  if (auto floatType = dyn_cast<FloatType>(to))
    return FloatAttr::get(floatType, real);
  if (to.isInteger(1))
    return IntegerAttr::get(to, real != 0);
  return IntegerAttr::get(to, static_cast<int64_t>(std::trunc(real)));
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // Casts of constants fold (splats at any size, others when small).
  auto input = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!input || (!input.isSplat() && input.getNumElements() > (1 << 16)))
    return {};
  auto type = cast<ShapedType>(getType());
  Type to = type.getElementType();
  if (input.isSplat()) {
    Attribute element = castElement(input.getSplatValue<Attribute>(), to);
    return element ? DenseElementsAttr::get(type, element) : Attribute();
  }
  SmallVector<Attribute> elements;
  for (Attribute value : input.getValues<Attribute>()) {
    elements.push_back(castElement(value, to));
    if (!elements.back())
      return {};
  }
  return DenseElementsAttr::get(type, elements);
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  SmallVector<Value> typed = {getLhs(), getRhs(), getResult()};
  if (getBias())
    typed.push_back(getBias());
  if (failed(verifySameElementType(*this, typed, "operand and result")))
    return failure();
  return verifyShapeRule(*this);
}

namespace {

/// matmul(a, transpose(b, P)) where P swaps the last two dimensions after a
/// permutation Q: becomes matmul(a, transpose(b, Q)) {transpose_rhs} (and
/// likewise for the lhs), dropping the transpose when Q is the identity.
/// Applied only when Q fixes more dimensions than P, so it terminates.
struct FoldTransposeIntoMatmul : public OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  static bool isIdentity(ArrayRef<int64_t> perm) {
    for (auto [i, p] : llvm::enumerate(perm))
      if (static_cast<int64_t>(i) != p)
        return false;
    return true;
  }
  static int64_t fixedPoints(ArrayRef<int64_t> perm) {
    int64_t n = 0;
    for (auto [i, p] : llvm::enumerate(perm))
      n += static_cast<int64_t>(i) == p;
    return n;
  }

  /// The operand without its last-two swap, or null if that gains nothing.
  static Value unswap(PatternRewriter &rewriter, Value operand, Location loc) {
    auto transpose = operand.getDefiningOp<TransposeOp>();
    if (!transpose)
      return nullptr;
    SmallVector<int64_t> perm(transpose.getPermutation());
    if (perm.size() < 2)
      return nullptr;
    std::swap(perm[perm.size() - 1], perm[perm.size() - 2]);
    if (fixedPoints(perm) <= fixedPoints(transpose.getPermutation()))
      return nullptr;
    if (isIdentity(perm))
      return transpose.getInput();
    auto inType = cast<RankedTensorType>(transpose.getInput().getType());
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(inType.getDimSize(p));
    return TransposeOp::create(
        rewriter, loc, RankedTensorType::get(shape, inType.getElementType()),
        transpose.getInput(), perm);
  }

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    Value lhs = unswap(rewriter, op.getLhs(), op.getLoc());
    Value rhs = unswap(rewriter, op.getRhs(), op.getLoc());
    if (!lhs && !rhs)
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      if (lhs) {
        op.getLhsMutable().assign(lhs);
        op.setTransposeLhs(!op.getTransposeLhs());
      }
      if (rhs) {
        op.getRhsMutable().assign(rhs);
        op.setTransposeRhs(!op.getTransposeRhs());
      }
    });
    return success();
  }
};

} // namespace

void MatmulOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<FoldTransposeIntoMatmul>(context);
}

//===----------------------------------------------------------------------===//
// Normalisations, softmax, attention
//===----------------------------------------------------------------------===//

/// Checks a per-feature parameter (scale or bias) against the normalised
/// trailing dimensions `input[axis:]`.
static LogicalResult verifyNormParams(Operation *op, Value input,
                                      ArrayRef<std::pair<StringRef, Value>>
                                          params) {
  for (auto [name, value] : params)
    if (value && elementTypeOf(value) != elementTypeOf(input))
      return op->emitOpError() << name << " element type "
                               << elementTypeOf(value)
                               << " differs from the input's "
                               << elementTypeOf(input);
  if (op->getResult(0).getType() != input.getType() &&
      elementTypeOf(op->getResult(0)) != elementTypeOf(input))
    return op->emitOpError() << "result type " << op->getResult(0).getType()
                             << " differs from the input type "
                             << input.getType();
  return verifyShapeRule(op);
}

LogicalResult ConvOp::verify() {
  SmallVector<Value> values = {getInput(), getFilter(), getResult()};
  if (getBias())
    values.push_back(getBias());
  if (failed(verifySameElementType(*this, values,
                                   "input, filter, bias and result")))
    return failure();
  return verifyShapeRule(*this);
}

LogicalResult LayerNormOp::verify() {
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError() << "epsilon must be non-negative, found "
                         << getEpsilon().convertToFloat();
  return verifyNormParams(*this, getInput(),
                          {{"scale", getScale()}, {"bias", getBias()}});
}

LogicalResult RmsNormOp::verify() {
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError() << "epsilon must be non-negative, found "
                         << getEpsilon().convertToFloat();
  return verifyNormParams(*this, getInput(), {{"scale", getScale()}});
}

LogicalResult SoftmaxOp::verify() { return verifyShapeRule(*this); }

LogicalResult LogSoftmaxOp::verify() { return verifyShapeRule(*this); }

LogicalResult AttentionOp::verify() {
  if (failed(verifyShapeRule(*this)))
    return failure();
  SmallVector<Value> typed = {getQuery(), getKey(), getValue(), getResult()};
  if (getMask())
    typed.push_back(getMask());
  return verifySameElementType(*this, typed, "operand and result");
}

//===----------------------------------------------------------------------===//
// ReduceOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::verify() {
  if (failed(verifyShapeRule(*this)))
    return failure();
  if (getKind() != ReduceKind::mean &&
      elementTypeOf(getInput()) != elementTypeOf(getResult()))
    return emitOpError() << "result element type "
                         << elementTypeOf(getResult())
                         << " differs from the input's "
                         << elementTypeOf(getInput());
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  auto out = cast<RankedTensorType>(getType());
  if (in.getElementType() != out.getElementType())
    return emitOpError() << "element type changes from "
                         << in.getElementType() << " to "
                         << out.getElementType();
  if (!in.hasStaticShape() || !out.hasStaticShape())
    return emitOpError() << "needs static shapes";
  return verifyShapeRule(*this);
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // A reshape of a reshape reads the original input.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPermutation();
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= static_cast<int64_t>(i) == p;
  if (identity)
    return getInput();
  // transpose(transpose(x, P), Q) reads x with the composed permutation.
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    ArrayRef<int64_t> inner = producer.getPermutation();
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner[p]);
    getInputMutable().assign(producer.getInput());
    setPermutation(composed);
    if (OpFoldResult again = fold(adaptor))
      return again;
    return getResult();
  }
  return {};
}

LogicalResult TransposeOp::verify() {
  if (failed(verifyShapeRule(*this)))
    return failure();
  return verifySameElementType(*this, {getInput(), getResult()},
                               "input and result");
}

OpFoldResult BroadcastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // A broadcast splat is a larger splat.
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput()))
    return SplatElementsAttr::get(cast<ShapedType>(getType()),
                                  splat.getSplatValue<Attribute>());
  return {};
}

LogicalResult BroadcastOp::verify() {
  if (failed(verifySameElementType(*this, {getInput(), getResult()},
                                   "input and result")))
    return failure();
  return verifyShapeRule(*this);
}

LogicalResult SliceOp::verify() {
  if (failed(verifyShapeRule(*this)))
    return failure();
  return verifySameElementType(*this, {getInput(), getResult()},
                               "input and result");
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  SmallVector<Value> typed(getInputs());
  typed.push_back(getResult());
  if (failed(verifySameElementType(*this, typed, "input and result")))
    return failure();
  return verifyShapeRule(*this);
}

LogicalResult SplitOp::verify() {
  if (getResults().empty())
    return emitOpError() << "needs at least one result";
  SmallVector<Value> typed = {getInput()};
  llvm::append_range(typed, getResults());
  if (failed(verifySameElementType(*this, typed, "input and result")))
    return failure();
  return verifyShapeRule(*this);
}

LogicalResult GatherOp::verify() {
  if (failed(verifyShapeRule(*this)))
    return failure();
  return verifySameElementType(*this, {getData(), getResult()},
                               "data and result");
}

//===----------------------------------------------------------------------===//
// Spatial level
//===----------------------------------------------------------------------===//

LogicalResult PlacementOp::verify() {
  for (Operation &op : getBody().front())
    if (!isa<PlaceOp>(op))
      return op.emitOpError() << "cannot appear in a wafer.placement; only "
                                 "wafer.place can";
  if (getPasses() < 1)
    return emitOpError() << "passes must be at least 1, found "
                         << getPasses();
  return success();
}

LogicalResult StreamOp::verify() {
  if (getArriveEnd() < getArriveStart())
    return emitOpError() << "tile of '" << getWeight() << "' arrives during ["
                         << getArriveStart() << ", " << getArriveEnd()
                         << "), which ends before it starts";
  if (getComputeStart() < getArriveEnd())
    return emitOpError() << "tile of '" << getWeight()
                         << "' is used at cycle " << getComputeStart()
                         << ", before it arrives at cycle " << getArriveEnd();
  if (getRelease() < getComputeStart())
    return emitOpError() << "tile of '" << getWeight()
                         << "' releases its slot at cycle " << getRelease()
                         << ", before its compute starts at "
                         << getComputeStart();
  return success();
}

//===----------------------------------------------------------------------===//
// Routed level
//===----------------------------------------------------------------------===//

LogicalResult RoutingOp::verify() {
  for (Operation &op : getBody().front())
    if (!isa<FlowOp>(op))
      return op.emitOpError() << "cannot appear in a wafer.routing; only "
                                 "wafer.flow can";
  return success();
}

LogicalResult FlowOp::verify() {
  ArrayRef<int64_t> route = getRoute();
  if (route.size() % 5 != 0)
    return emitOpError() << "route of '" << getName() << "' has "
                         << route.size()
                         << " integers, not a multiple of 5 (x, y, length, "
                            "lanes, direction per segment)";
  for (size_t i = 0; i < route.size(); i += 5) {
    if (route[i + 2] < 0 || route[i + 3] < 1)
      return emitOpError() << "segment " << i / 5 << " of '" << getName()
                           << "' has length " << route[i + 2] << " and "
                           << route[i + 3] << " lanes";
    if (route[i + 4] < 0 || route[i + 4] > 3)
      return emitOpError() << "segment " << i / 5 << " of '" << getName()
                           << "' has direction " << route[i + 4]
                           << ", expected 0 (east) to 3 (north)";
  }
  int64_t color = static_cast<int64_t>(getColor());
  if (route.empty() != (color < 0))
    return emitOpError() << "flow '" << getName() << "' has "
                         << (route.empty() ? "no route but color "
                                           : "a route but color ")
                         << color;
  return success();
}

#define GET_OP_CLASSES
#include "wafer/Dialect/Wafer/WaferOps.cpp.inc"
