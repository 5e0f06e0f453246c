//===- ActivationFusion.cpp - GELU and SiLU spelled out, fused ------------===//
//
// GELU reaches us as 0.5 * x * (1 + erf(x / sqrt 2)) or, in GPT-2's form,
// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))), with the factors
// associated in whatever order the model wrote them. SiLU is x * sigmoid(x).
//
//===----------------------------------------------------------------------===//

#include "MatchUtils.h"
#include "wafer/Dialect/Wafer/FusionPatterns.h"

using namespace mlir;
using namespace wafer;
using namespace wafer::match;

namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluCubic = 0.044715;

/// The x of erf's argument x / sqrt(2) or x * (1 / sqrt(2)).
Value erfInput(ErfOp erf) {
  Value u = erf.getInput();
  if (auto div = u.getDefiningOp<DivOp>())
    return isSplat(div.getRhs(), kSqrt2) ? div.getLhs() : nullptr;
  if (auto mul = u.getDefiningOp<MulOp>()) {
    if (isSplat(mul.getRhs(), 1 / kSqrt2))
      return mul.getLhs();
    if (isSplat(mul.getLhs(), 1 / kSqrt2))
      return mul.getRhs();
  }
  return nullptr;
}

/// Whether `value` is x^3: pow(x, 3), x * (x * x) or (x * x) * x.
bool isCubeOf(Value value, Value x) {
  if (auto pow = value.getDefiningOp<PowOp>())
    return pow.getLhs() == x && isSplat(pow.getRhs(), 3.0);
  auto mul = value.getDefiningOp<MulOp>();
  if (!mul)
    return false;
  Value square = otherOperand(mul, x);
  if (!square)
    return false;
  if (auto pow = square.getDefiningOp<PowOp>())
    return pow.getLhs() == x && isSplat(pow.getRhs(), 2.0);
  auto inner = square.getDefiningOp<MulOp>();
  return inner && inner.getLhs() == x && inner.getRhs() == x;
}

/// The x of tanh's argument sqrt(2/pi) * (x + 0.044715 * x^3).
Value tanhInput(TanhOp tanh) {
  auto scale = tanh.getInput().getDefiningOp<MulOp>();
  if (!scale)
    return nullptr;
  Value inner = scale.getRhs();
  if (!isSplat(scale.getLhs(), kSqrt2OverPi)) {
    if (!isSplat(scale.getRhs(), kSqrt2OverPi))
      return nullptr;
    inner = scale.getLhs();
  }
  auto add = inner.getDefiningOp<AddOp>();
  if (!add)
    return nullptr;
  for (auto [x, term] : {std::pair(add.getLhs(), add.getRhs()),
                         std::pair(add.getRhs(), add.getLhs())}) {
    auto mul = term.getDefiningOp<MulOp>();
    if (!mul)
      continue;
    for (auto [c, cube] : {std::pair(mul.getLhs(), mul.getRhs()),
                           std::pair(mul.getRhs(), mul.getLhs())})
      if (isSplat(c, kGeluCubic) && isCubeOf(cube, x))
        return x;
  }
  return nullptr;
}

/// From `t` = 1 + erf(...) or 1 + tanh(...), finds the op computing
/// 0.5 * x * t in any association and order.
Operation *geluProduct(Value t, Value x) {
  auto first = soleUser<MulOp>(t);
  if (!first)
    return nullptr;
  Value factor = otherOperand(first, t);
  if (factor == x) {
    // (x * t) * 0.5
    auto second = soleUser<MulOp>(first.getResult());
    if (second && isSplat(otherOperand(second, first.getResult()), 0.5))
      return second;
    return nullptr;
  }
  if (isSplat(factor, 0.5)) {
    // (0.5 * t) * x
    auto second = soleUser<MulOp>(first.getResult());
    if (second && otherOperand(second, first.getResult()) == x)
      return second;
    return nullptr;
  }
  // (0.5 * x) * t
  if (auto half = factor.getDefiningOp<MulOp>())
    if (otherOperand(half, x) && isSplat(otherOperand(half, x), 0.5))
      return first;
  return nullptr;
}

template <typename OpTy>
struct FuseGelu : public OpRewritePattern<OpTy> {
  FuseGelu(MLIRContext *context, GeluApproximation approximation)
      : OpRewritePattern<OpTy>(context), approximation(approximation) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value x;
    if constexpr (std::is_same_v<OpTy, ErfOp>)
      x = erfInput(op);
    else
      x = tanhInput(op);
    if (!x)
      return failure();
    auto onePlus = soleUser<AddOp>(op.getResult());
    if (!onePlus || !isSplat(otherOperand(onePlus, op.getResult()), 1.0))
      return failure();
    Operation *root = geluProduct(onePlus.getResult(), x);
    if (!root || root->getResult(0).getType() != x.getType())
      return failure();
    rewriter.replaceOp(root, GeluOp::create(rewriter, root->getLoc(),
                                            x.getType(), x, approximation));
    return success();
  }

  GeluApproximation approximation;
};

struct FuseSilu : public OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    for (auto [x, gate] : {std::pair(mul.getLhs(), mul.getRhs()),
                           std::pair(mul.getRhs(), mul.getLhs())}) {
      auto sigmoid = gate.getDefiningOp<SigmoidOp>();
      if (sigmoid && sigmoid.getInput() == x && x.getType() == mul.getType()) {
        rewriter.replaceOpWithNewOp<SiluOp>(mul, mul.getType(), x);
        return success();
      }
    }
    return failure();
  }
};

} // namespace

void wafer::populateActivationFusionPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<FuseGelu<ErfOp>>(context, GeluApproximation::erf);
  patterns.add<FuseGelu<TanhOp>>(context, GeluApproximation::tanh);
  patterns.add<FuseSilu>(context);
}
