//===- WaferOps.cpp - wafer op verifiers and folders ----------------------===//
//
// Verifiers say what they expected and what they found, with the numbers.
//
//===----------------------------------------------------------------------===//

#include "wafer/Dialect/Wafer/WaferOps.h"

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

/// Maps `axis` in [-rank, rank) to [0, rank); fails otherwise.
static FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

static LogicalResult emitAxisError(Operation *op, StringRef what, int64_t axis,
                                   int64_t rank) {
  return op->emitOpError() << what << " " << axis << " is out of range for rank "
                           << rank << " (expected in [" << -rank << ", "
                           << rank << "))";
}

/// Checks that `result` has the NumPy broadcast of `operands`' shapes.
static LogicalResult verifyBroadcastShape(Operation *op, ValueRange operands,
                                          Value result) {
  SmallVector<int64_t> shape;
  for (Value operand : operands) {
    SmallVector<int64_t> next;
    if (!OpTrait::util::getBroadcastedShape(shape, shapeOf(operand), next)) {
      std::string shapes;
      llvm::raw_string_ostream os(shapes);
      llvm::interleave(
          operands, os, [&](Value v) { os << formatShape(shapeOf(v)); },
          ", ");
      return op->emitOpError()
             << "operand shapes " << shapes << " do not broadcast";
    }
    shape = std::move(next);
  }
  if (shapeOf(result) != ArrayRef<int64_t>(shape))
    return op->emitOpError()
           << "result shape " << formatShape(shapeOf(result))
           << " differs from the broadcast shape " << formatShape(shape);
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

LogicalResult IotaOp::verify() {
  int64_t rank = getType().getRank();
  if (static_cast<int64_t>(getDimension()) >= rank)
    return emitOpError() << "dimension " << getDimension()
                         << " is out of range for rank " << rank;
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

#define WAFER_BINARY_VERIFIER(OP)                                              \
  LogicalResult OP::verify() {                                                 \
    if (failed(verifySameElementType(*this, {getLhs(), getRhs(), getResult()}, \
                                     "operand and result")))                   \
      return failure();                                                        \
    return verifyBroadcastShape(*this, {getLhs(), getRhs()}, getResult());     \
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
  return verifyBroadcastShape(*this, {getLhs(), getRhs()}, getResult());
}

LogicalResult SelectOp::verify() {
  if (failed(verifySameElementType(
          *this, {getTrueValue(), getFalseValue(), getResult()},
          "value and result")))
    return failure();
  return verifyBroadcastShape(
      *this, {getCondition(), getTrueValue(), getFalseValue()}, getResult());
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
  ArrayRef<int64_t> lhs = shapeOf(getLhs()), rhs = shapeOf(getRhs());
  if (lhs.size() < 2 || rhs.size() < 2)
    return emitOpError() << "operands need rank >= 2, found lhs "
                         << formatShape(lhs) << " and rhs " << formatShape(rhs);
  SmallVector<Value> typed = {getLhs(), getRhs(), getResult()};
  if (getBias())
    typed.push_back(getBias());
  if (failed(verifySameElementType(*this, typed, "operand and result")))
    return failure();

  int64_t m = lhs[lhs.size() - 2], lhsK = lhs.back();
  if (getTransposeLhs())
    std::swap(m, lhsK);
  int64_t rhsK = rhs[rhs.size() - 2], n = rhs.back();
  if (getTransposeRhs())
    std::swap(rhsK, n);
  if (lhsK != rhsK)
    return emitOpError() << "contracting dimensions differ: lhs "
                         << formatShape(lhs) << " has K = " << lhsK
                         << ", rhs " << formatShape(rhs) << " has K = " << rhsK;

  SmallVector<int64_t> batch;
  if (!OpTrait::util::getBroadcastedShape(lhs.drop_back(2), rhs.drop_back(2),
                                          batch))
    return emitOpError() << "batch dimensions "
                         << formatShape(lhs.drop_back(2)) << " and "
                         << formatShape(rhs.drop_back(2))
                         << " do not broadcast";
  SmallVector<int64_t> expected(batch);
  expected.push_back(m);
  expected.push_back(n);
  ArrayRef<int64_t> result = shapeOf(getResult());
  if (result != ArrayRef<int64_t>(expected))
    return emitOpError() << "result shape " << formatShape(result)
                         << " differs from the expected "
                         << formatShape(expected);
  if (getBias()) {
    SmallVector<int64_t> withBias;
    if (!OpTrait::util::getBroadcastedShape(expected, shapeOf(getBias()),
                                            withBias) ||
        ArrayRef<int64_t>(withBias) != result)
      return emitOpError() << "bias shape " << formatShape(shapeOf(getBias()))
                           << " does not broadcast to the result shape "
                           << formatShape(result);
  }
  return success();
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
static LogicalResult verifyNormParams(Operation *op, Value input, int64_t axis,
                                      ArrayRef<std::pair<StringRef, Value>>
                                          params,
                                      Value result) {
  ArrayRef<int64_t> shape = shapeOf(input);
  int64_t rank = shape.size();
  FailureOr<int64_t> normalized = normalizeAxis(axis, rank);
  if (failed(normalized))
    return emitAxisError(op, "axis", axis, rank);
  ArrayRef<int64_t> features = shape.drop_front(*normalized);
  for (auto [name, value] : params) {
    if (!value)
      continue;
    if (elementTypeOf(value) != elementTypeOf(input))
      return op->emitOpError() << name << " element type "
                               << elementTypeOf(value)
                               << " differs from the input's "
                               << elementTypeOf(input);
    if (shapeOf(value) != features)
      return op->emitOpError()
             << name << " shape " << formatShape(shapeOf(value))
             << " differs from the normalised dimensions "
             << formatShape(features);
  }
  if (result.getType() != input.getType())
    return op->emitOpError() << "result type " << result.getType()
                             << " differs from the input type "
                             << input.getType();
  return success();
}

LogicalResult LayerNormOp::verify() {
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError() << "epsilon must be non-negative, found "
                         << getEpsilon().convertToFloat();
  return verifyNormParams(*this, getInput(), getAxis(),
                          {{"scale", getScale()}, {"bias", getBias()}},
                          getResult());
}

LogicalResult RmsNormOp::verify() {
  if (getEpsilon().convertToFloat() < 0)
    return emitOpError() << "epsilon must be non-negative, found "
                         << getEpsilon().convertToFloat();
  return verifyNormParams(*this, getInput(), getAxis(),
                          {{"scale", getScale()}}, getResult());
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getType().getRank();
  if (failed(normalizeAxis(getAxis(), rank)))
    return emitAxisError(*this, "axis", getAxis(), rank);
  return success();
}

LogicalResult LogSoftmaxOp::verify() {
  int64_t rank = getType().getRank();
  if (failed(normalizeAxis(getAxis(), rank)))
    return emitAxisError(*this, "axis", getAxis(), rank);
  return success();
}

LogicalResult AttentionOp::verify() {
  ArrayRef<int64_t> q = shapeOf(getQuery()), k = shapeOf(getKey()),
                    v = shapeOf(getValue()), out = shapeOf(getResult());
  for (auto [name, shape] : {std::pair<StringRef, ArrayRef<int64_t>>{"query", q},
                             {"key", k},
                             {"value", v},
                             {"result", out}})
    if (shape.size() != 3)
      return emitOpError() << name << " must be [batch, sequence, features], "
                           << "found " << formatShape(shape);
  SmallVector<Value> typed = {getQuery(), getKey(), getValue(), getResult()};
  if (getMask())
    typed.push_back(getMask());
  if (failed(verifySameElementType(*this, typed, "operand and result")))
    return failure();

  int64_t heads = getNumHeads(), kvHeads = getNumKvHeads();
  if (heads % kvHeads != 0)
    return emitOpError() << "num_heads " << heads
                         << " is not a multiple of num_kv_heads " << kvHeads;
  if (q[2] % heads != 0)
    return emitOpError() << "query features " << q[2]
                         << " do not divide into " << heads << " heads";
  int64_t headDim = q[2] / heads;
  if (k[2] != kvHeads * headDim)
    return emitOpError() << "key features " << k[2] << " differ from "
                         << kvHeads << " kv heads x head size " << headDim
                         << " = " << kvHeads * headDim;
  if (v[2] % kvHeads != 0)
    return emitOpError() << "value features " << v[2]
                         << " do not divide into " << kvHeads << " kv heads";
  if (k[0] != q[0] || v[0] != q[0])
    return emitOpError() << "batch sizes differ: query " << q[0] << ", key "
                         << k[0] << ", value " << v[0];
  if (v[1] != k[1])
    return emitOpError() << "key sequence " << k[1]
                         << " differs from value sequence " << v[1];
  SmallVector<int64_t> expected = {q[0], q[1], heads * (v[2] / kvHeads)};
  if (out != ArrayRef<int64_t>(expected))
    return emitOpError() << "result shape " << formatShape(out)
                         << " differs from the expected "
                         << formatShape(expected);
  if (getMask()) {
    SmallVector<int64_t> scores = {q[0], heads, q[1], k[1]}, merged;
    if (!OpTrait::util::getBroadcastedShape(scores, shapeOf(getMask()),
                                            merged) ||
        ArrayRef<int64_t>(merged) != ArrayRef<int64_t>(scores))
      return emitOpError() << "mask shape " << formatShape(shapeOf(getMask()))
                           << " does not broadcast to the scores "
                           << formatShape(scores);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::verify() {
  ArrayRef<int64_t> shape = shapeOf(getInput());
  int64_t rank = shape.size();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : getAxes()) {
    FailureOr<int64_t> normalized = normalizeAxis(axis, rank);
    if (failed(normalized))
      return emitAxisError(*this, "reduction axis", axis, rank);
    if (reduced[*normalized])
      return emitOpError() << "reduction axis " << axis << " appears twice";
    reduced[*normalized] = true;
  }
  SmallVector<int64_t> expected;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      expected.push_back(shape[i]);
    else if (getKeepDims())
      expected.push_back(1);
  }
  if (shapeOf(getResult()) != ArrayRef<int64_t>(expected))
    return emitOpError() << "result shape " << formatShape(shapeOf(getResult()))
                         << " differs from the expected "
                         << formatShape(expected);
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
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "input " << formatShape(in.getShape()) << " has "
                         << in.getNumElements() << " elements, result "
                         << formatShape(out.getShape()) << " has "
                         << out.getNumElements();
  return success();
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
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  ArrayRef<int64_t> perm = getPermutation();
  if (perm.size() != in.size())
    return emitOpError() << "permutation has " << perm.size()
                         << " entries for an input of rank " << in.size();
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(in.size()) || seen[p])
      return emitOpError() << "permutation entry " << p
                           << " is out of range or repeated";
    seen[p] = true;
    expected.push_back(in[p]);
  }
  if (out != ArrayRef<int64_t>(expected))
    return emitOpError() << "result shape " << formatShape(out)
                         << " differs from the expected "
                         << formatShape(expected);
  if (failed(verifySameElementType(*this, {getInput(), getResult()},
                                   "input and result")))
    return failure();
  return success();
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
  SmallVector<int64_t> merged;
  ArrayRef<int64_t> out = shapeOf(getResult());
  if (!OpTrait::util::getBroadcastedShape(shapeOf(getInput()), out, merged) ||
      ArrayRef<int64_t>(merged) != out)
    return emitOpError() << "input shape " << formatShape(shapeOf(getInput()))
                         << " does not broadcast to " << formatShape(out);
  return success();
}

LogicalResult SliceOp::verify() {
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  ArrayRef<int64_t> offsets = getOffsets(), strides = getStrides();
  if (offsets.size() != in.size() || strides.size() != in.size() ||
      out.size() != in.size())
    return emitOpError() << "input rank " << in.size() << " needs as many "
                         << "offsets (found " << offsets.size()
                         << "), strides (found " << strides.size()
                         << ") and result dimensions (found " << out.size()
                         << ")";
  for (size_t d = 0; d < in.size(); ++d) {
    if (strides[d] <= 0)
      return emitOpError() << "stride of dimension " << d
                           << " must be positive, found " << strides[d];
    if (offsets[d] < 0 || offsets[d] > in[d])
      return emitOpError() << "offset " << offsets[d] << " of dimension " << d
                           << " is outside [0, " << in[d] << "]";
    if (out[d] > 0 && offsets[d] + (out[d] - 1) * strides[d] >= in[d])
      return emitOpError() << "dimension " << d << " reads up to index "
                           << offsets[d] + (out[d] - 1) * strides[d]
                           << " of an extent of " << in[d];
  }
  return verifySameElementType(*this, {getInput(), getResult()},
                               "input and result");
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError() << "needs at least one input";
  ArrayRef<int64_t> out = shapeOf(getResult());
  int64_t rank = out.size(), axis = getAxis();
  if (axis >= rank)
    return emitAxisError(*this, "axis", axis, rank);
  SmallVector<Value> typed(getInputs());
  typed.push_back(getResult());
  if (failed(verifySameElementType(*this, typed, "input and result")))
    return failure();
  int64_t total = 0;
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    ArrayRef<int64_t> shape = shapeOf(input);
    if (static_cast<int64_t>(shape.size()) != rank)
      return emitOpError() << "input " << i << " has rank " << shape.size()
                           << ", expected " << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && shape[d] != out[d])
        return emitOpError() << "input " << i << " has extent " << shape[d]
                             << " in dimension " << d << ", expected "
                             << out[d];
    total += shape[axis];
  }
  if (total != out[axis])
    return emitOpError() << "inputs add up to " << total << " along axis "
                         << axis << ", result has " << out[axis];
  return success();
}

LogicalResult SplitOp::verify() {
  if (getResults().empty())
    return emitOpError() << "needs at least one result";
  ArrayRef<int64_t> in = shapeOf(getInput());
  int64_t rank = in.size(), axis = getAxis();
  if (axis >= rank)
    return emitAxisError(*this, "axis", axis, rank);
  SmallVector<Value> typed = {getInput()};
  llvm::append_range(typed, getResults());
  if (failed(verifySameElementType(*this, typed, "input and result")))
    return failure();
  int64_t total = 0;
  for (auto [i, result] : llvm::enumerate(getResults())) {
    ArrayRef<int64_t> shape = shapeOf(result);
    if (static_cast<int64_t>(shape.size()) != rank)
      return emitOpError() << "result " << i << " has rank " << shape.size()
                           << ", expected " << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && shape[d] != in[d])
        return emitOpError() << "result " << i << " has extent " << shape[d]
                             << " in dimension " << d << ", expected "
                             << in[d];
    total += shape[axis];
  }
  if (total != in[axis])
    return emitOpError() << "results add up to " << total << " along axis "
                         << axis << ", input has " << in[axis];
  return success();
}

LogicalResult GatherOp::verify() {
  ArrayRef<int64_t> data = shapeOf(getData()), indices = shapeOf(getIndices());
  int64_t axis = getAxis(), rank = data.size();
  if (axis >= rank)
    return emitAxisError(*this, "axis", axis, rank);
  SmallVector<int64_t> expected(data.take_front(axis));
  llvm::append_range(expected, indices);
  llvm::append_range(expected, data.drop_front(axis + 1));
  if (shapeOf(getResult()) != ArrayRef<int64_t>(expected))
    return emitOpError() << "result shape " << formatShape(shapeOf(getResult()))
                         << " differs from the expected "
                         << formatShape(expected);
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
