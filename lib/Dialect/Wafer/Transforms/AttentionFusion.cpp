//===- AttentionFusion.cpp - scaled dot-product attention, fused ----------===//
//
// Exporters spell attention on split heads: Q and K^T multiplied, scaled (on
// the scores or on Q), masked (additively, or with a boolean select), a
// softmax over the keys, and a product with V. Heads are split as
// [B, H, S, D] (GPT, Llama) or [B*H, S, D] (PyTorch's MultiheadAttention).
// The pattern roots at the softmax, builds one wafer.attention on merged
// heads [B, S, H*D] (keys and values repeated per query head, as Hugging
// Face writes grouped-query attention, stay G heads wide: num_kv_heads),
// and re-splits its result for the original users; the
// head-merging reshapes and transposes then cancel under canonicalization
// wherever the model split the heads in the plain way.
//
//===----------------------------------------------------------------------===//

#include "MatchUtils.h"
#include "mlir/Dialect/Traits.h"
#include "wafer/Dialect/Wafer/FusionPatterns.h"

using namespace mlir;
using namespace wafer;
using namespace wafer::match;

namespace {

RankedTensorType tensorLike(Value like, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(
      shape, cast<RankedTensorType>(like.getType()).getElementType());
}

/// The number of heads of a head-split operand: dimension 1 of a rank-4
/// tensor, or, for rank 3 ([B*H, S, D]), found at the reshape that split the
/// features: its input's last dimension over D.
std::optional<int64_t> headCount(Value heads) {
  ArrayRef<int64_t> shape = shapeOf(heads);
  if (shape.size() == 4)
    return shape[1];
  if (shape.size() != 3)
    return std::nullopt;
  int64_t headDim = shape.back();
  Value walk = heads;
  for (int steps = 0; steps < 4 && walk; ++steps) {
    Operation *def = walk.getDefiningOp();
    if (auto reshape = dyn_cast_or_null<ReshapeOp>(def)) {
      int64_t features = shapeOf(reshape.getInput()).back();
      if (shapeOf(reshape.getResult()).back() == headDim &&
          features % headDim == 0 && shape[0] % (features / headDim) == 0)
        return features / headDim;
      return std::nullopt;
    }
    if (isa_and_nonnull<TransposeOp, MulOp, DivOp>(def))
      walk = def->getOperand(0);
    else
      return std::nullopt;
  }
  return std::nullopt;
}

/// If `heads` [B, H, S, D] repeats each of G key/value heads H / G times,
/// as Hugging Face's repeat_kv spells grouped-query attention (reshape to
/// [B, G, 1, S, D], broadcast to [B, G, H / G, S, D], reshape to
/// [B, H, S, D]), returns the G heads [B, G, S, D]: the attention reads each
/// group's head for its queries instead of a copy per query head.
Value repeatedHeads(Value heads) {
  ArrayRef<int64_t> shape = shapeOf(heads);
  auto merge = heads.getDefiningOp<ReshapeOp>();
  if (shape.size() != 4 || !merge)
    return nullptr;
  auto broadcast = merge.getInput().getDefiningOp<BroadcastOp>();
  if (!broadcast)
    return nullptr;
  auto expand = broadcast.getInput().getDefiningOp<ReshapeOp>();
  if (!expand)
    return nullptr;
  Value grouped = expand.getInput();
  ArrayRef<int64_t> g = shapeOf(grouped), wide = shapeOf(broadcast);
  if (g.size() != 4 || g[0] != shape[0] || g[2] != shape[2] ||
      g[3] != shape[3] || shape[1] % g[1] != 0 ||
      shapeOf(expand) !=
          ArrayRef<int64_t>{g[0], g[1], 1, g[2], g[3]} ||
      wide != ArrayRef<int64_t>{g[0], g[1], shape[1] / g[1], g[2], g[3]})
    return nullptr;
  return grouped;
}

/// [B, H, S, D] or [B*H, S, D] to [B, S, H*D].
Value mergeHeads(PatternRewriter &rewriter, Location loc, Value heads,
                 int64_t numHeads) {
  ArrayRef<int64_t> shape = shapeOf(heads);
  Value split = heads;
  if (shape.size() == 3)
    split = ReshapeOp::create(
        rewriter, loc,
        tensorLike(heads, {shape[0] / numHeads, numHeads, shape[1], shape[2]}),
        heads);
  ArrayRef<int64_t> s = shapeOf(split);
  Value transposed = TransposeOp::create(
      rewriter, loc, tensorLike(heads, {s[0], s[2], s[1], s[3]}), split,
      ArrayRef<int64_t>{0, 2, 1, 3});
  return ReshapeOp::create(
      rewriter, loc, tensorLike(heads, {s[0], s[2], s[1] * s[3]}), transposed);
}

/// [B, S, H*D] back to the head layout of `like` ([B, H, S, D] or
/// [B*H, S, D]).
Value splitHeads(PatternRewriter &rewriter, Location loc, Value merged,
                 int64_t numHeads, Value like) {
  ArrayRef<int64_t> m = shapeOf(merged);
  int64_t headDim = m[2] / numHeads;
  Value split = ReshapeOp::create(
      rewriter, loc, tensorLike(merged, {m[0], m[1], numHeads, headDim}),
      merged);
  Value transposed = TransposeOp::create(
      rewriter, loc, tensorLike(merged, {m[0], numHeads, m[1], headDim}), split,
      ArrayRef<int64_t>{0, 2, 1, 3});
  if (shapeOf(like).size() == 4)
    return transposed;
  return ReshapeOp::create(rewriter, loc,
                           tensorLike(merged, {m[0] * numHeads, m[1], headDim}),
                           transposed);
}

/// Whether the trailing [Sq, Sk] of a constant mask marks exactly the future
/// keys (j > i): `isFuture` tells how an element marks them.
bool isCausalPattern(
    Value mask, int64_t sq, int64_t sk,
    llvm::function_ref<std::optional<bool>(Attribute)> isFuture) {
  DenseElementsAttr attr;
  if (sq != sk || !matchPattern(mask, m_Constant(&attr)))
    return false;
  ArrayRef<int64_t> shape = attr.getType().getShape();
  if (shape.size() < 2 || shape[shape.size() - 2] != sq || shape.back() != sk ||
      llvm::any_of(shape.drop_back(2), [](int64_t d) { return d != 1; }))
    return false;
  int64_t index = 0;
  for (Attribute element : attr.getValues<Attribute>()) {
    int64_t i = index / sk, j = index % sk;
    std::optional<bool> future = isFuture(element);
    if (!future || *future != (j > i))
      return false;
    ++index;
  }
  return true;
}

/// Whether a boolean `condition` built on the wafer marks exactly the future
/// keys (j > i) of [sq, sk] scores: compare(column iota - row iota, k) as
/// the Trilu importer builds it (j - i >= 1, or > 0), possibly selecting a
/// true splat (Trilu of all-true). Matched by structure, so the mask's
/// elements are never computed at compile time.
bool isIotaFuturePattern(Value condition, int64_t sq, int64_t sk) {
  if (auto select = condition.getDefiningOp<SelectOp>()) {
    std::optional<double> kept = splatValue(select.getTrueValue()),
                          dropped = splatValue(select.getFalseValue());
    if (!kept || !dropped || *kept == 0 || *dropped != 0)
      return false;
    condition = select.getCondition();
  }
  auto compare = condition.getDefiningOp<CompareOp>();
  if (!compare)
    return false;
  std::optional<double> k = splatValue(compare.getRhs());
  if (!k || !((compare.getPredicate() == CompareKind::ge && *k == 1) ||
              (compare.getPredicate() == CompareKind::gt && *k == 0)))
    return false;
  auto sub = compare.getLhs().getDefiningOp<SubOp>();
  if (!sub)
    return false;
  auto column = sub.getLhs().getDefiningOp<IotaOp>();
  auto row = sub.getRhs().getDefiningOp<IotaOp>();
  return column && row && column.getDimension() == 1 &&
         row.getDimension() == 0 &&
         shapeOf(column) == ArrayRef<int64_t>{1, sk} &&
         shapeOf(row) == ArrayRef<int64_t>{sq, 1};
}

bool isVeryNegative(double v) { return v <= -1e4; }

struct FuseAttention : public OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp softmax,
                                PatternRewriter &rewriter) const override {
    int64_t rank = softmax.getType().getRank();
    // I64Attr reads back unsigned; the axis may be negative.
    int64_t axis = static_cast<int64_t>(softmax.getAxis());
    if ((axis != -1 && axis != rank - 1) || (rank != 3 && rank != 4))
      return failure();
    auto context = soleUser<MatmulOp>(softmax.getResult());
    if (!context || context.getLhs() != softmax.getResult() ||
        context.getBias() || context.getTransposeLhs() ||
        context.getTransposeRhs())
      return failure();
    Value values = context.getRhs();

    // Mask: select(cond, fill, s) or s + mask.
    Value scores = softmax.getInput(), mask;
    bool causal = false;
    int64_t sq = shapeOf(scores)[rank - 2], sk = shapeOf(scores)[rank - 1];
    if (auto select = scores.getDefiningOp<SelectOp>()) {
      std::optional<double> fill = splatValue(select.getTrueValue());
      if (!fill || !isVeryNegative(*fill) ||
          select.getFalseValue().getType() != scores.getType())
        return failure();
      causal = isCausalPattern(select.getCondition(), sq, sk,
                               [](Attribute a) -> std::optional<bool> {
                                 if (auto b = dyn_cast<BoolAttr>(a))
                                   return b.getValue();
                                 if (auto i = dyn_cast<IntegerAttr>(a))
                                   return i.getValue().getBoolValue();
                                 return std::nullopt;
                               }) ||
               (sq == sk && isIotaFuturePattern(select.getCondition(), sq, sk));
      if (!causal) {
        // An additive mask: fill where the condition holds, 0 elsewhere.
        SmallVector<int64_t> maskShape;
        if (!OpTrait::util::getBroadcastedShape(shapeOf(select.getCondition()),
                                                shapeOf(select.getTrueValue()),
                                                maskShape))
          return failure();
        Type elementType =
            cast<RankedTensorType>(scores.getType()).getElementType();
        auto maskType = RankedTensorType::get(maskShape, elementType);
        Value zero = ConstantOp::create(
            rewriter, select.getLoc(),
            DenseElementsAttr::get(RankedTensorType::get({}, elementType),
                                   rewriter.getFloatAttr(elementType, 0.0)));
        mask = SelectOp::create(rewriter, select.getLoc(), maskType,
                                select.getCondition(), select.getTrueValue(),
                                zero);
      }
      scores = select.getFalseValue();
    } else if (auto add = scores.getDefiningOp<AddOp>()) {
      for (auto [s, m] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())}) {
        if (s.getType() != scores.getType() || s.getDefiningOp<ConstantOp>())
          continue;
        causal =
            isCausalPattern(m, sq, sk, [](Attribute a) -> std::optional<bool> {
              auto f = dyn_cast<FloatAttr>(a);
              if (!f)
                return std::nullopt;
              double v = f.getValueAsDouble();
              if (v == 0)
                return false;
              if (isVeryNegative(v))
                return true;
              return std::nullopt;
            });
        if (!causal)
          mask = m;
        scores = s;
        break;
      }
      if (scores == softmax.getInput())
        return failure();
    }

    // Scale on the scores.
    double scale = 1.0;
    if (auto mul = scores.getDefiningOp<MulOp>()) {
      for (auto [s, c] : {std::pair(mul.getLhs(), mul.getRhs()),
                          std::pair(mul.getRhs(), mul.getLhs())})
        if (std::optional<double> v = splatValue(c);
            v && s.getType() == scores.getType()) {
          scale = *v;
          scores = s;
          break;
        }
    } else if (auto div = scores.getDefiningOp<DivOp>()) {
      if (std::optional<double> v = splatValue(div.getRhs());
          v && *v != 0 && div.getLhs().getType() == scores.getType()) {
        scale = 1.0 / *v;
        scores = div.getLhs();
      }
    }

    auto qk = scores.getDefiningOp<MatmulOp>();
    if (!qk || qk.getBias() || qk.getTransposeLhs() || !qk.getTransposeRhs())
      return failure();
    Value queries = qk.getLhs(), keys = qk.getRhs();
    // Scale on the queries.
    if (auto mul = queries.getDefiningOp<MulOp>()) {
      if (std::optional<double> v = splatValue(mul.getRhs());
          v && mul.getLhs().getType() == queries.getType()) {
        scale *= *v;
        queries = mul.getLhs();
      }
    } else if (auto div = queries.getDefiningOp<DivOp>()) {
      if (std::optional<double> v = splatValue(div.getRhs());
          v && *v != 0 && div.getLhs().getType() == queries.getType()) {
        scale /= *v;
        queries = div.getLhs();
      }
    }

    // Shapes: same batch dimensions on Q, K, V; K and V share Sk.
    ArrayRef<int64_t> q = shapeOf(queries), k = shapeOf(keys),
                      v = shapeOf(values);
    if (q.size() != k.size() || q.size() != v.size() ||
        q.drop_back(2) != k.drop_back(2) || q.drop_back(2) != v.drop_back(2) ||
        k[k.size() - 2] != v[v.size() - 2] || q.back() != k.back())
      return failure();
    std::optional<int64_t> heads = headCount(queries);
    if (!heads || headCount(keys) != heads)
      return failure();
    // A 3-D layout folds batch and heads; a mask must not depend on them.
    if (mask && rank == 3 && shapeOf(mask).size() > 2)
      return failure();

    // Grouped-query attention: keys and values repeated per query head.
    int64_t kvHeads = *heads;
    Value groupedK = repeatedHeads(keys), groupedV = repeatedHeads(values);
    if (groupedK && groupedV &&
        shapeOf(groupedK)[1] == shapeOf(groupedV)[1]) {
      keys = groupedK;
      values = groupedV;
      kvHeads = shapeOf(groupedK)[1];
    }

    Location loc = softmax.getLoc();
    Value mergedQ = mergeHeads(rewriter, loc, queries, *heads);
    Value mergedK = mergeHeads(rewriter, loc, keys, kvHeads);
    Value mergedV = mergeHeads(rewriter, loc, values, kvHeads);
    ArrayRef<int64_t> mq = shapeOf(mergedQ), mv = shapeOf(mergedV);
    auto type = tensorLike(mergedQ, {mq[0], mq[1], *heads * (mv[2] / kvHeads)});
    Value attention = AttentionOp::create(
        rewriter, loc, type, mergedQ, mergedK, mergedV, mask, *heads, kvHeads,
        APFloat(static_cast<float>(scale)), causal);
    rewriter.replaceOp(context,
                       splitHeads(rewriter, loc, attention, *heads, values));
    return success();
  }
};

} // namespace

void wafer::populateAttentionFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseAttention>(patterns.getContext());
}
