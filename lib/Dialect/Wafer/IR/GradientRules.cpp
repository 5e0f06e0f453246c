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

template <typename OpTy>
Value binary(ImplicitLocOpBuilder &b, Value lhs, Value rhs) {
  // The gradient's shape: operands here broadcast to the larger of the two.
  RankedTensorType l = tensorType(lhs), r = tensorType(rhs);
  return OpTy::create(b, l.getNumElements() >= r.getNumElements() ? l : r, lhs,
                      rhs);
}

/// Elementwise ops with broadcasting: d(a op b) from the local derivatives.
struct BroadcastingModel {
  static LogicalResult build(Operation *op, OpBuilder &builder,
                             ArrayRef<Value> resultGradients,
                             ArrayRef<bool> needed,
                             SmallVectorImpl<Value> &grads) {
    ImplicitLocOpBuilder b(op->getLoc(), builder);
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
  static LogicalResult build(Operation *op, OpBuilder &builder,
                             ArrayRef<Value> resultGradients,
                             ArrayRef<bool> needed,
                             SmallVectorImpl<Value> &grads) {
    ImplicitLocOpBuilder b(op->getLoc(), builder);
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
  static LogicalResult build(Operation *op, OpBuilder &builder,
                             ArrayRef<Value> resultGradients,
                             ArrayRef<bool> needed,
                             SmallVectorImpl<Value> &grads) {
    auto matmul = cast<MatmulOp>(op);
    ImplicitLocOpBuilder b(op->getLoc(), builder);
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
  static LogicalResult build(Operation *op, OpBuilder &builder,
                             ArrayRef<Value> resultGradients,
                             ArrayRef<bool> needed,
                             SmallVectorImpl<Value> &grads) {
    auto reduce = cast<ReduceOp>(op);
    ImplicitLocOpBuilder b(op->getLoc(), builder);
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
  static LogicalResult build(Operation *op, OpBuilder &builder,
                             ArrayRef<Value> resultGradients,
                             ArrayRef<bool> needed,
                             SmallVectorImpl<Value> &grads) {
    ImplicitLocOpBuilder b(op->getLoc(), builder);
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

template <typename Rule, typename OpTy>
struct Model
    : public DifferentiableOpInterface::ExternalModel<Model<Rule, OpTy>, OpTy> {
  LogicalResult buildGradients(Operation *op, OpBuilder &builder,
                               ArrayRef<Value> resultGradients,
                               ArrayRef<bool> needed,
                               SmallVectorImpl<Value> &grads) const {
    return Rule::build(op, builder, resultGradients, needed, grads);
  }
};

template <typename Rule, typename... Ops> void attach(MLIRContext &context) {
  (Ops::template attachInterface<Model<Rule, Ops>>(context), ...);
}

} // namespace

void wafer::attachGradientRules(MLIRContext &context) {
  attach<BroadcastingModel, AddOp, SubOp, MulOp, DivOp, PowOp>(context);
  attach<UnaryModel, NegOp, ExpOp, LogOp, SqrtOp, TanhOp, SigmoidOp, ReluOp,
         CastOp>(context);
  attach<MatmulModel, MatmulOp>(context);
  attach<ReduceModel, ReduceOp>(context);
  attach<MovementModel, ReshapeOp, TransposeOp, BroadcastOp>(context);
}
