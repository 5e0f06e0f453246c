//===- GradientRules.cpp - reverse-mode derivative of each wafer op -------===//
//
// One DifferentiableOpInterface model per op family. A rule builds, from the
// gradient of an op's result, the gradients of its operands out of ordinary
// wafer ops, so the backward pass is placed, routed, streamed and emulated
// like the forward pass. Gradients of operands that were broadcast are
// summed over the broadcast axes (sumToShape).
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "wafer/Dialect/Wafer/WaferInterfaces.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include <cmath>

#include "wafer/Dialect/Wafer/WaferInterfaces.cpp.inc"

using namespace mlir;
using namespace wafer;

namespace {

/// Where a product of the backward pass is: the forward op's ONNX node name
/// with `suffix`, so each becomes a layer of its own name.
Location gradientLoc(Operation *op, StringRef suffix) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return NameLoc::get(
        StringAttr::get(op->getContext(), name.getName().str() + "." + suffix),
        name.getChildLoc());
  return op->getLoc();
}

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// A splat constant of `value` with `like`'s element type and rank 0.
Value scalar(ImplicitLocOpBuilder &b, Value like, double value) {
  auto type = RankedTensorType::get({}, tensorType(like).getElementType());
  return ConstantOp::create(
      b, type,
      DenseElementsAttr::get(
          type, b.getFloatAttr(type.getElementType(), value).getValue()));
}

/// `gradient` (of a broadcast result) summed back to `target`'s shape: over
/// the leading axes `target` lacks and the axes where it has extent 1.
Value sumToShape(ImplicitLocOpBuilder &b, Value gradient,
                 RankedTensorType target) {
  RankedTensorType type = tensorType(gradient);
  if (type.getShape() == target.getShape())
    return gradient;
  int64_t lead = type.getRank() - target.getRank();
  SmallVector<int64_t> axes, kept;
  for (int64_t axis = 0; axis < type.getRank(); ++axis) {
    bool reduced = axis < lead || (target.getDimSize(axis - lead) == 1 &&
                                   type.getDimSize(axis) != 1);
    if (reduced)
      axes.push_back(axis);
    kept.push_back(reduced ? 1 : type.getDimSize(axis));
  }
  Value summed = gradient;
  if (!axes.empty())
    summed = ReduceOp::create(
        b, RankedTensorType::get(kept, type.getElementType()), ReduceKind::sum,
        gradient, b.getDenseI64ArrayAttr(axes),
        /*keep_dims=*/true);
  auto result = RankedTensorType::get(target.getShape(), type.getElementType());
  if (tensorType(summed) == result)
    return summed;
  return ReshapeOp::create(b, result, summed);
}

/// Shape helpers for the rules below: each builds one op with the result
/// type its operands imply.
Value reshapeTo(ImplicitLocOpBuilder &b, Value v, ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, tensorType(v).getElementType());
  return tensorType(v) == type ? v : ReshapeOp::create(b, type, v);
}

Value transposeBy(ImplicitLocOpBuilder &b, Value v, ArrayRef<int64_t> perm) {
  RankedTensorType t = tensorType(v);
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(t.getDimSize(p));
  return TransposeOp::create(b,
                             RankedTensorType::get(shape, t.getElementType()),
                             v, b.getDenseI64ArrayAttr(perm));
}

/// `kind` over `axes` (non-negative), the reduced axes kept with extent 1.
Value reduceKeep(ImplicitLocOpBuilder &b, ReduceKind kind, Value v,
                 ArrayRef<int64_t> axes) {
  RankedTensorType t = tensorType(v);
  SmallVector<int64_t> shape(t.getShape());
  for (int64_t a : axes)
    shape[a] = 1;
  return ReduceOp::create(b, RankedTensorType::get(shape, t.getElementType()),
                          kind, v, b.getDenseI64ArrayAttr(axes),
                          /*keep_dims=*/true);
}

Value splat(ImplicitLocOpBuilder &b, RankedTensorType type, double value) {
  return ConstantOp::create(
      b, type,
      DenseElementsAttr::get(
          type, b.getFloatAttr(type.getElementType(), value).getValue()));
}

Value product(ImplicitLocOpBuilder &b, Value lhs, Value rhs, bool tl, bool tr) {
  RankedTensorType l = tensorType(lhs), r = tensorType(rhs);
  SmallVector<int64_t> shape(l.getShape().drop_back(2));
  int64_t rank = l.getRank();
  shape.push_back(l.getDimSize(tl ? rank - 1 : rank - 2));
  shape.push_back(r.getDimSize(tr ? r.getRank() - 2 : r.getRank() - 1));
  return MatmulOp::create(b, RankedTensorType::get(shape, l.getElementType()),
                          lhs, rhs, Value(), tl ? b.getUnitAttr() : UnitAttr(),
                          tr ? b.getUnitAttr() : UnitAttr());
}

/// The normalised axes of a norm over `axis` to the last.
SmallVector<int64_t> normAxes(int64_t axis, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t a = axis < 0 ? axis + rank : axis; a < rank; ++a)
    axes.push_back(a);
  return axes;
}

/// What a rule works with: the op, a builder at the insertion point and
/// the op's location, its results' gradients, which operands need one, and
/// where their gradients go.
struct Rule {
  Operation *op;
  ImplicitLocOpBuilder b;
  ArrayRef<Value> resultGradients;
  ArrayRef<bool> needed;
  SmallVectorImpl<Value> &grads;
};

template <typename OpTy>
Value binary(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  // The gradient's shape: operands here broadcast to the larger of the two.
  RankedTensorType l = tensorType(lhs), r = tensorType(rhs);
  return OpTy::create(b, l.getNumElements() >= r.getNumElements() ? l : r, lhs,
                      rhs);
}

/// Elementwise ops with broadcasting: d(a op b) from the local derivatives.
struct BroadcastingModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    Value g = resultGradients[0];
    Value x = op->getOperand(0), y = op->getOperand(1);
    Value result = op->getResult(0);
    grads.assign(op->getNumOperands(), Value());
    Value gx, gy;
    if (isa<AddOp>(op)) {
      gx = g;
      gy = g;
    } else if (isa<SubOp>(op)) {
      gx = g;
      if (needed[1])
        gy = NegOp::create(b, g);
    } else if (isa<MulOp>(op)) {
      if (needed[0])
        gx = binary<MulOp>(b, g, y);
      if (needed[1])
        gy = binary<MulOp>(b, g, x);
    } else if (isa<DivOp>(op)) {
      // d(x/y) = g/y dx - g x/y^2 dy = g/y dx - (g/y) result dy.
      Value gOverY = binary<DivOp>(b, g, y);
      gx = gOverY;
      if (needed[1])
        gy = NegOp::create(b, binary<MulOp>(b, gOverY, result));
    } else if (isa<PowOp>(op)) {
      if (needed[1])
        return op->emitError("no gradient for a trained exponent of "
                             "wafer.pow");
      // d(x^y) = y x^(y-1) dx.
      Value lower = binary<SubOp>(b, y, scalar(b, y, 1.0));
      gx = binary<MulOp>(b, g, binary<MulOp>(b, y, binary<PowOp>(b, x, lower)));
    } else {
      return op->emitError("no gradient rule for ") << op->getName();
    }
    if (needed[0])
      grads[0] = sumToShape(b, gx, tensorType(x));
    if (needed[1])
      grads[1] = sumToShape(b, gy, tensorType(y));
    return success();
  }
};

/// Elementwise functions of one operand: dy/dx from the operand and result.
struct UnaryModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    Value g = resultGradients[0];
    Value x = op->getOperand(0), y = op->getResult(0);
    Type type = y.getType();
    grads.assign(1, Value());
    auto mul = [&](Value lhs, Value rhs) { return binary<MulOp>(b, lhs, rhs); };
    Value one = scalar(b, y, 1.0);
    if (isa<NegOp>(op)) {
      grads[0] = NegOp::create(b, g);
    } else if (isa<ExpOp>(op)) {
      grads[0] = mul(g, y);
    } else if (isa<LogOp>(op)) {
      grads[0] = binary<DivOp>(b, g, x);
    } else if (isa<SqrtOp>(op)) {
      grads[0] = binary<DivOp>(b, mul(g, scalar(b, y, 0.5)), y);
    } else if (isa<TanhOp>(op)) {
      grads[0] = mul(g, binary<SubOp>(b, one, mul(y, y)));
    } else if (isa<ErfOp>(op)) {
      // 2/sqrt(pi) e^(-x^2).
      grads[0] = mul(g, mul(scalar(b, y, M_2_SQRTPI),
                            ExpOp::create(b, NegOp::create(b, mul(x, x)))));
    } else if (isa<SigmoidOp>(op)) {
      grads[0] = mul(g, mul(y, binary<SubOp>(b, one, y)));
    } else if (isa<ReluOp>(op)) {
      Value zero = scalar(b, y, 0.0);
      auto mask =
          RankedTensorType::get(tensorType(x).getShape(), b.getI1Type());
      Value positive = CompareOp::create(b, mask, CompareKind::gt, x, zero);
      grads[0] = SelectOp::create(b, type, positive, g, zero);
    } else if (isa<CastOp>(op)) {
      if (!isa<FloatType>(tensorType(x).getElementType()))
        return op->emitError("no gradient through a cast from integers");
      grads[0] = CastOp::create(b, x.getType(), g);
    } else {
      return op->emitError("no gradient rule for ") << op->getName();
    }
    return success();
  }
};

/// result = op(lhs) x op(rhs) + bias. Each operand's gradient is a product
/// of its own: d op(lhs) = G op(rhs)^T, d op(rhs) = op(lhs)^T G, with the
/// transposes folded into the product's flags. A weight shared by a batch
/// takes one product over the flattened batch (contraction B*S), not one
/// per batch entry summed afterwards.
struct MatmulModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    auto matmul = cast<MatmulOp>(op);
    Value g = resultGradients[0];
    Value lhs = matmul.getLhs(), rhs = matmul.getRhs();
    bool tl = matmul.getTransposeLhs(), tr = matmul.getTransposeRhs();
    RankedTensorType lt = tensorType(lhs), rt = tensorType(rhs),
                     gt = tensorType(g);
    Type element = gt.getElementType();
    grads.assign(op->getNumOperands(), Value());
    // The product of `a` and `b` with the given flags, broadcasting their
    // batch dimensions; its result has `rows` x `cols` innermost.
    auto product = [&](Value a, Value c, bool ta, bool tc, int64_t rows,
                       int64_t cols) -> Value {
      RankedTensorType at = tensorType(a), ct = tensorType(c);
      SmallVector<int64_t> batch;
      int64_t rank = std::max(at.getRank(), ct.getRank());
      for (int64_t i = 0; i < rank - 2; ++i) {
        int64_t ai = i - (rank - at.getRank()), ci = i - (rank - ct.getRank());
        int64_t ad = ai >= 0 ? at.getDimSize(ai) : 1;
        int64_t cd = ci >= 0 ? ct.getDimSize(ci) : 1;
        batch.push_back(std::max(ad, cd));
      }
      batch.push_back(rows);
      batch.push_back(cols);
      return MatmulOp::create(b, RankedTensorType::get(batch, element), a, c,
                              Value(), ta ? b.getUnitAttr() : UnitAttr(),
                              tc ? b.getUnitAttr() : UnitAttr());
    };
    auto flatten = [&](Value v) -> Value {
      RankedTensorType t = tensorType(v);
      int64_t rows = t.getNumElements() / t.getDimSize(t.getRank() - 1);
      return ReshapeOp::create(
          b,
          RankedTensorType::get({rows, t.getDimSize(t.getRank() - 1)},
                                t.getElementType()),
          v);
    };
    int64_t m = gt.getDimSize(gt.getRank() - 2);
    int64_t n = gt.getDimSize(gt.getRank() - 1);
    int64_t k = lt.getDimSize(tl ? lt.getRank() - 2 : lt.getRank() - 1);
    if (needed[0]) {
      b.setLoc(gradientLoc(op, "d_lhs"));
      // op(lhs) is [.., M, K]: G [.., M, N] times op(rhs)^T [.., N, K].
      Value d = tl ? product(rhs, g, tr, true, k, m)
                   : product(g, rhs, false, !tr, m, k);
      grads[0] = sumToShape(b, d, lt);
    }
    if (needed[1]) {
      b.setLoc(gradientLoc(op, "d_rhs"));
      Value d;
      if (rt.getRank() == 2 && lt.getRank() > 2 && !tl) {
        // A shared weight: one product over all rows of the batch.
        Value a = flatten(lhs), gg = flatten(g);
        d = tr ? product(gg, a, true, false, n, k)
               : product(a, gg, true, false, k, n);
      } else {
        d = tr ? product(g, lhs, true, tl, n, k)
               : product(lhs, g, !tl, false, k, n);
      }
      grads[1] = sumToShape(b, d, rt);
    }
    b.setLoc(gradientLoc(op, "d_bias"));
    if (matmul.getBias() && needed[2])
      grads[2] = sumToShape(b, g, tensorType(matmul.getBias()));
    return success();
  }
};

/// Sums and means spread the gradient back over the reduced axes.
struct ReduceModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    auto reduce = cast<ReduceOp>(op);
    grads.assign(1, Value());
    ReduceKind kind = reduce.getKind();
    if (kind != ReduceKind::sum && kind != ReduceKind::mean)
      return op->emitError("no gradient rule for a ")
             << stringifyReduceKind(kind) << " reduction";
    RankedTensorType in = tensorType(reduce.getInput());
    SmallVector<int64_t> kept(in.getShape());
    int64_t count = 1;
    for (int64_t axis : reduce.getAxes()) {
      int64_t a = axis < 0 ? axis + in.getRank() : axis;
      count *= in.getDimSize(a);
      kept[a] = 1;
    }
    Value g = resultGradients[0];
    auto keptType = RankedTensorType::get(kept, in.getElementType());
    if (tensorType(g) != keptType)
      g = ReshapeOp::create(b, keptType, g);
    if (kind == ReduceKind::mean)
      g = MulOp::create(b, keptType, g,
                        scalar(b, g, 1.0 / static_cast<double>(count)));
    grads[0] = BroadcastOp::create(b, in, g);
    return success();
  }
};

/// Ops that only move elements: the gradient moves back.
struct MovementModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    Value g = resultGradients[0];
    auto in = tensorType(op->getOperand(0));
    grads.assign(op->getNumOperands(), Value());
    if (isa<ReshapeOp>(op)) {
      grads[0] = ReshapeOp::create(b, in, g);
    } else if (auto transpose = dyn_cast<TransposeOp>(op)) {
      ArrayRef<int64_t> perm = transpose.getPermutation();
      SmallVector<int64_t> inverse(perm.size());
      for (auto [i, p] : llvm::enumerate(perm))
        inverse[p] = static_cast<int64_t>(i);
      grads[0] = TransposeOp::create(b, in, g, b.getDenseI64ArrayAttr(inverse));
    } else if (isa<BroadcastOp>(op)) {
      grads[0] = sumToShape(b, g, in);
    } else {
      return op->emitError("no gradient rule for ") << op->getName();
    }
    return success();
  }
};

/// select(c, t, f): the gradient goes where the condition chose.
struct SelectModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    auto select = cast<SelectOp>(op);
    Value g = resultGradients[0];
    Value zero = scalar(b, g, 0.0);
    grads.assign(3, Value());
    if (needed[1])
      grads[1] = sumToShape(
          b, SelectOp::create(b, g.getType(), select.getCondition(), g, zero),
          tensorType(select.getTrueValue()));
    if (needed[2])
      grads[2] = sumToShape(
          b, SelectOp::create(b, g.getType(), select.getCondition(), zero, g),
          tensorType(select.getFalseValue()));
    return success();
  }
};

/// softmax: dx = y (g - sum(g y)); log_softmax: dx = g - e^y sum(g).
struct SoftmaxModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    Value g = resultGradients[0], y = op->getResult(0);
    int64_t rank = tensorType(y).getRank();
    int64_t axis = cast<IntegerAttr>(op->getAttr("axis")).getInt();
    axis = axis < 0 ? axis + rank : axis;
    grads.assign(1, Value());
    if (isa<SoftmaxOp>(op)) {
      Value dot = reduceKeep(b, ReduceKind::sum, binary<MulOp>(b, g, y), axis);
      grads[0] = binary<MulOp>(b, y, binary<SubOp>(b, g, dot));
    } else {
      Value total = reduceKeep(b, ReduceKind::sum, g, axis);
      Value probabilities = ExpOp::create(b, y);
      grads[0] = binary<SubOp>(b, g, binary<MulOp>(b, probabilities, total));
    }
    return success();
  }
};

/// GELU (erf, or tanh-approximated) and SiLU from the operand.
struct ActivationModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    Value g = resultGradients[0], x = op->getOperand(0);
    auto mul = [&](Value l, Value r) { return binary<MulOp>(b, l, r); };
    auto add = [&](Value l, Value r) { return binary<AddOp>(b, l, r); };
    auto c = [&](double v) { return scalar(b, x, v); };
    grads.assign(1, Value());
    Value derivative;
    if (isa<SiluOp>(op)) {
      // s (1 + x (1 - s)), s = sigmoid(x).
      Value sig = SigmoidOp::create(b, x);
      derivative = mul(sig, add(c(1.0), mul(x, binary<SubOp>(b, c(1.0), sig))));
    } else if (cast<GeluOp>(op).getApproximation() == GeluApproximation::erf) {
      // Phi(x) + x phi(x).
      Value cdf =
          mul(c(0.5), add(c(1.0), ErfOp::create(b, mul(x, c(M_SQRT1_2)))));
      Value pdf = mul(c(0.5 * M_2_SQRTPI * M_SQRT1_2),
                      ExpOp::create(b, mul(c(-0.5), mul(x, x))));
      derivative = add(cdf, mul(x, pdf));
    } else {
      // t = tanh(k (x + a x^3)): 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3a x^2).
      const double k = M_2_SQRTPI * M_SQRT1_2, a = 0.044715;
      Value x2 = mul(x, x);
      Value t = TanhOp::create(b, mul(c(k), add(x, mul(c(a), mul(x2, x)))));
      Value left = mul(c(0.5), add(c(1.0), t));
      Value slope = mul(c(k), add(c(1.0), mul(c(3 * a), x2)));
      Value right =
          mul(mul(c(0.5), x), mul(binary<SubOp>(b, c(1.0), mul(t, t)), slope));
      derivative = add(left, right);
    }
    grads[0] = mul(g, derivative);
    return success();
  }
};

/// Layer and RMS norms, their statistics recomputed from the input:
/// layer norm dx = r (d - mean(d) - xh mean(d xh)), rms norm
/// dx = r d - x r^3 mean(d x), d = g * scale; the scale's and bias's
/// gradients summed over the leading axes.
struct NormModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    Value g = resultGradients[0], x = op->getOperand(0),
          scale = op->getOperand(1);
    RankedTensorType type = tensorType(x);
    int64_t axis = cast<IntegerAttr>(op->getAttr("axis")).getInt();
    double epsilon = cast<FloatAttr>(op->getAttr("epsilon")).getValueAsDouble();
    SmallVector<int64_t> axes = normAxes(axis, type.getRank());
    auto mul = [&](Value l, Value r) { return binary<MulOp>(b, l, r); };
    auto sub = [&](Value l, Value r) { return binary<SubOp>(b, l, r); };
    auto mean = [&](Value v) {
      return reduceKeep(b, ReduceKind::mean, v, axes);
    };
    grads.assign(op->getNumOperands(), Value());
    Value d = mul(g, scale);
    bool layerNorm = isa<LayerNormOp>(op);
    Value centred = layerNorm ? sub(x, mean(x)) : x;
    Value r = RsqrtOp::create(b, binary<AddOp>(b, mean(mul(centred, centred)),
                                               scalar(b, x, epsilon)));
    Value normalised = mul(centred, r);
    if (needed[0]) {
      if (layerNorm)
        grads[0] = mul(
            r, sub(sub(d, mean(d)), mul(normalised, mean(mul(d, normalised)))));
      else
        grads[0] =
            sub(mul(r, d), mul(mul(x, mul(r, mul(r, r))), mean(mul(d, x))));
    }
    if (needed[1])
      grads[1] = sumToShape(b, mul(g, normalised), tensorType(scale));
    if (op->getNumOperands() > 2 && needed[2])
      grads[2] = sumToShape(b, g, tensorType(op->getOperand(2)));
    return success();
  }
};

/// Data movement: slices pad their gradient back with zeros, concats and
/// splits hand each piece its part, an embedding lookup adds each row's
/// gradient into its table row (one-hot^T x gradient, a product on the
/// wafer).
struct PiecesModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    grads.assign(op->getNumOperands(), Value());
    if (auto slice = dyn_cast<SliceOp>(op)) {
      Value g = resultGradients[0];
      RankedTensorType in = tensorType(slice.getInput());
      if (llvm::any_of(slice.getStrides(), [](int64_t s) { return s != 1; }))
        return op->emitError("no gradient rule for a strided wafer.slice");
      for (auto [axis, offset] : llvm::enumerate(slice.getOffsets())) {
        RankedTensorType t = tensorType(g);
        int64_t size = t.getDimSize(axis), whole = in.getDimSize(axis);
        if (size == whole)
          continue;
        SmallVector<Value> parts;
        SmallVector<int64_t> shape(t.getShape());
        if (offset > 0) {
          shape[axis] = offset;
          parts.push_back(
              splat(b, RankedTensorType::get(shape, t.getElementType()), 0.0));
        }
        parts.push_back(g);
        if (offset + size < whole) {
          shape[axis] = whole - offset - size;
          parts.push_back(
              splat(b, RankedTensorType::get(shape, t.getElementType()), 0.0));
        }
        SmallVector<int64_t> joined(t.getShape());
        joined[axis] = whole;
        g = ConcatOp::create(b,
                             RankedTensorType::get(joined, t.getElementType()),
                             parts, static_cast<uint64_t>(axis));
      }
      grads[0] = g;
      return success();
    }
    if (auto concat = dyn_cast<ConcatOp>(op)) {
      Value g = resultGradients[0];
      int64_t axis = concat.getAxis(), offset = 0;
      for (auto [i, input] : llvm::enumerate(concat.getInputs())) {
        RankedTensorType t = tensorType(input);
        if (needed[i]) {
          SmallVector<int64_t> offsets(t.getRank(), 0), strides(t.getRank(), 1);
          offsets[axis] = offset;
          grads[i] = SliceOp::create(b, t, g, b.getDenseI64ArrayAttr(offsets),
                                     b.getDenseI64ArrayAttr(strides));
        }
        offset += t.getDimSize(axis);
      }
      return success();
    }
    if (auto split = dyn_cast<SplitOp>(op)) {
      SmallVector<Value> parts;
      for (auto [result, g] :
           llvm::zip_equal(split.getResults(), resultGradients))
        parts.push_back(g ? g : splat(b, tensorType(result), 0.0));
      grads[0] = ConcatOp::create(b, split.getInput().getType(), parts,
                                  static_cast<uint64_t>(split.getAxis()));
      return success();
    }
    auto gather = cast<GatherOp>(op);
    RankedTensorType table = tensorType(gather.getData());
    RankedTensorType indices = tensorType(gather.getIndices());
    if (gather.getAxis() != 0 || table.getRank() != 2)
      return op->emitError("no gradient rule for a wafer.gather other than "
                           "an embedding lookup (rows of a 2-D table)");
    if (!needed[0])
      return success();
    int64_t rows = indices.getNumElements(), vocab = table.getDimSize(0);
    Value flatIds = reshapeTo(b, gather.getIndices(), {rows, 1});
    Value ids = IotaOp::create(
        b, RankedTensorType::get({1, vocab}, indices.getElementType()), 1);
    Value hot = CompareOp::create(
        b, RankedTensorType::get({rows, vocab}, b.getI1Type()), CompareKind::eq,
        flatIds, ids);
    Value oneHot = CastOp::create(
        b, RankedTensorType::get({rows, vocab}, table.getElementType()), hot);
    b.setLoc(gradientLoc(op, "d_table"));
    Value g = reshapeTo(b, resultGradients[0], {rows, table.getDimSize(1)});
    grads[0] = product(b, oneHot, g, /*tl=*/true, /*tr=*/false);
    return success();
  }
};

/// Attention on merged heads, its scores recomputed: with P = softmax(S),
/// S = scale Q K^T (+ mask, causal), per head dV = P^T dO,
/// dS = P (dP - rowsum(dP P)) with dP = dO V^T, dQ = scale dS K,
/// dK = scale dS^T Q.
struct AttentionModel {
  static LogicalResult build(Rule &rule) {
    auto &[op, b, resultGradients, needed, grads] = rule;
    auto attention = cast<AttentionOp>(op);
    grads.assign(op->getNumOperands(), Value());
    int64_t heads = attention.getNumHeads();
    if (attention.getNumKvHeads() != heads)
      return op->emitError("no gradient rule for grouped-query attention yet");
    if (attention.getMask() && needed.size() > 3 && needed[3])
      return op->emitError("no gradient rule for a trained attention mask");
    RankedTensorType q = tensorType(attention.getQuery()),
                     k = tensorType(attention.getKey()),
                     v = tensorType(attention.getValue());
    int64_t batch = q.getDimSize(0), sq = q.getDimSize(1), sk = k.getDimSize(1);
    int64_t dh = q.getDimSize(2) / heads, dv = v.getDimSize(2) / heads;
    auto split = [&](Value t, int64_t s, int64_t d) {
      return transposeBy(b, reshapeTo(b, t, {batch, s, heads, d}),
                         {0, 2, 1, 3});
    };
    auto merge = [&](Value t, int64_t s, int64_t d) {
      return reshapeTo(b, transposeBy(b, t, {0, 2, 1, 3}),
                       {batch, s, heads * d});
    };
    Value q4 = split(attention.getQuery(), sq, dh);
    Value k4 = split(attention.getKey(), sk, dh);
    Value v4 = split(attention.getValue(), sk, dv);
    Value scale = scalar(b, q4, attention.getScale().convertToDouble());
    b.setLoc(gradientLoc(op, "scores"));
    Value scores = binary<MulOp>(b, product(b, q4, k4, false, true), scale);
    if (attention.getMask())
      scores = binary<AddOp>(b, scores, attention.getMask());
    if (attention.getCausal()) {
      Type i64 = b.getI64Type();
      Value rows = IotaOp::create(b, RankedTensorType::get({sq, 1}, i64), 0);
      Value cols = IotaOp::create(b, RankedTensorType::get({1, sk}, i64), 1);
      Value keep = CompareOp::create(
          b, RankedTensorType::get({sq, sk}, b.getI1Type()), CompareKind::le,
          cols,
          binary<AddOp>(b, rows,
                        ConstantOp::create(
                            b, RankedTensorType::get({}, i64),
                            DenseElementsAttr::get(
                                RankedTensorType::get({}, i64),
                                b.getI64IntegerAttr(sk - sq).getValue()))));
      scores = SelectOp::create(b, scores.getType(), keep, scores,
                                scalar(b, scores, -INFINITY));
    }
    Value p = SoftmaxOp::create(b, scores.getType(), scores, -1);
    Value dO = split(resultGradients[0], sq, dv);
    if (needed[2]) {
      b.setLoc(gradientLoc(op, "d_value"));
      grads[2] = merge(product(b, p, dO, true, false), sk, dv);
    }
    b.setLoc(gradientLoc(op, "d_scores"));
    Value dP = product(b, dO, v4, false, true);
    Value dot = reduceKeep(b, ReduceKind::sum, binary<MulOp>(b, dP, p), {3});
    Value dS =
        binary<MulOp>(b, binary<MulOp>(b, p, binary<SubOp>(b, dP, dot)), scale);
    if (needed[0]) {
      b.setLoc(gradientLoc(op, "d_query"));
      grads[0] = merge(product(b, dS, k4, false, false), sq, dh);
    }
    if (needed[1]) {
      b.setLoc(gradientLoc(op, "d_key"));
      grads[1] = merge(product(b, dS, q4, true, false), sk, dh);
    }
    return success();
  }
};

template <typename Rules, typename OpTy>
struct Model
    : public DifferentiableOpInterface::ExternalModel<Model<Rules, OpTy>,
                                                      OpTy> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ArrayRef<Value> resultGradients,
                               ArrayRef<bool> needed,
                               SmallVectorImpl<Value> &grads) const {
    Rule rule{op, ImplicitLocOpBuilder(op->getLoc(), builder), resultGradients,
              needed, grads};
    return Rules::build(rule);
  }
};

template <typename Rule, typename... Ops> void attach(MLIRContext &context) {
  (Ops::template attachInterface<Model<Rule, Ops>>(context), ...);
}

} // namespace

void wafer::attachGradientRules(MLIRContext &context) {
  attach<BroadcastingModel, AddOp, SubOp, MulOp, DivOp, PowOp>(context);
  attach<UnaryModel, NegOp, ExpOp, LogOp, SqrtOp, TanhOp, SigmoidOp, ReluOp,
         ErfOp, CastOp>(context);
  attach<MatmulModel, MatmulOp>(context);
  attach<ReduceModel, ReduceOp>(context);
  attach<MovementModel, ReshapeOp, TransposeOp, BroadcastOp>(context);
  attach<SelectModel, SelectOp>(context);
  attach<SoftmaxModel, SoftmaxOp, LogSoftmaxOp>(context);
  attach<ActivationModel, GeluOp, SiluOp>(context);
  attach<NormModel, LayerNormOp, RmsNormOp>(context);
  attach<PiecesModel, SliceOp, ConcatOp, SplitOp, GatherOp>(context);
  attach<AttentionModel, AttentionOp>(context);
}
