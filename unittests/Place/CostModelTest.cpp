//===- CostModelTest.cpp - the shared cost model --------------------------===//

#include "wafer/Place/CostModel.h"

#include "gtest/gtest.h"

using namespace wafer;
using namespace wafer::place;

namespace {

/// A GPT-2 vocabulary projection: few tokens, very many output columns.
LayerSpec vocabProjection() {
  LayerSpec l;
  l.name = "lm_head";
  l.kind = "linear";
  l.m = 2048;
  l.k = 768;
  l.n = 50257;
  l.elementBytes = 2;
  l.halfPrecision = true;
  l.flops = 2.0 * l.m * l.k * l.n;
  return l;
}

TEST(CostModel, SummaSendsTheLargerOperandAlongTheLongerSide) {
  absl::StatusOr<TargetDesc> target = parseTargetSpec("wse3");
  ASSERT_TRUE(target.ok()) << target.status();
  CostModel model(*target);
  LayerSpec layer = vocabProjection();
  double link = target->linkBytesPerCycle;
  double aBytes = 2048.0 * 768 * 2, bBytes = 768.0 * 50257 * 2;

  // Tall and narrow: B (77 MB of weights) would cross only 188 columns; laid
  // out transposed it crosses the 1170 rows instead.
  EXPECT_TRUE(model.transposedSumma(layer, 1170, 188));
  double expected =
      std::max(model.computeCycles(layer, 1170 * 188),
               std::max(bBytes / (1170 * link), aBytes / (188 * link))) +
      188 * CostModel::kStepOverheadCycles;
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 1170, 188), expected);
  // The same rectangle turned on its side costs the same, untransposed.
  EXPECT_FALSE(model.transposedSumma(layer, 188, 1170));
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 188, 1170), expected);
  // A square grid keeps the plain layout.
  EXPECT_FALSE(model.transposedSumma(layer, 300, 300));
}

TEST(CostModel, NonMatmulLayersAreComputeOnly) {
  absl::StatusOr<TargetDesc> target = parseTargetSpec("wse2");
  ASSERT_TRUE(target.ok()) << target.status();
  CostModel model(*target);
  LayerSpec softmax;
  softmax.flops = 1e9;
  EXPECT_FALSE(model.transposedSumma(softmax, 10, 1000));
  EXPECT_DOUBLE_EQ(model.layerCycles(softmax, 10, 1000),
                   model.computeCycles(softmax, 10 * 1000));
}

/// A Llama-style attention: 2 x 32 query heads over 8 key/value heads.
LayerSpec groupedAttention() {
  LayerSpec l;
  l.name = "attn";
  l.kind = "attention";
  l.attention = {/*batch=*/2,   /*queries=*/128, /*keys=*/128,
                 /*heads=*/32,
                 /*kvHeads=*/8, /*headDim=*/64,  /*valueDim=*/64};
  l.flops = 4.0 * 2 * 32 * 128 * 128 * 64;
  return l;
}

TEST(CostModel, AttentionSplitsPairsOverColumnsAndPositionsDownRows) {
  LayerSpec layer = groupedAttention();
  AttentionTiling t = CostModel::attentionTiling(layer, 1000, 24);
  EXPECT_EQ(t.gridRows, 128); // One query (and key) position per PE row.
  EXPECT_EQ(t.gridCols, 24);  // 64 (batch, head) pairs over 24 columns.
  EXPECT_EQ(t.panels, 24);
  // 64 = 16 x 3 + 8 x 2: the first 16 columns take three pairs.
  EXPECT_EQ(CostModel::attentionPairs(layer, t, 0), std::make_pair(0l, 3l));
  EXPECT_EQ(CostModel::attentionPairs(layer, t, 16), std::make_pair(48l, 50l));
  EXPECT_EQ(CostModel::attentionPairs(layer, t, 23), std::make_pair(62l, 64l));
  // Four query heads share a key/value head: pairs 0-2 read one, pairs 3-5
  // straddle two.
  EXPECT_EQ(CostModel::attentionKvPairs(layer, t, 0), 1);
  EXPECT_EQ(CostModel::attentionKvPairs(layer, t, 1), 2);
  auto [total, most] = CostModel::attentionBroadcastBytes(layer, t);
  int64_t perPair = 128 * (64 + 64) * 4;
  EXPECT_EQ(most, 2 * perPair);
  int64_t pairs = 0;
  for (int64_t j = 0; j < t.gridCols; ++j)
    pairs += CostModel::attentionKvPairs(layer, t, j);
  EXPECT_EQ(total, pairs * perPair);
  // Every key/value pair goes down at least one column.
  EXPECT_GE(pairs, 2 * 8);
  EXPECT_EQ(t.keyChunks, 1);
  EXPECT_EQ(CostModel::attentionCombineBytes(layer, t), 0);
}

TEST(CostModel, AttentionCutsItsKeysIntoChunksOnWideRegions) {
  LayerSpec layer = groupedAttention();
  // 200 columns for 64 pairs: each pair group in 3 columns, each against a
  // third of the 128 keys (43, 43, 42).
  AttentionTiling t = CostModel::attentionTiling(layer, 1000, 200);
  EXPECT_EQ(t.keyChunks, 3);
  EXPECT_EQ(t.gridCols, 192);
  EXPECT_EQ(t.groups(), 64);
  EXPECT_EQ(t.panels, 42);
  EXPECT_EQ(CostModel::attentionPairs(layer, t, 5), std::make_pair(1l, 2l));
  EXPECT_EQ(CostModel::attentionKeys(layer, t, 5), std::make_pair(86l, 128l));
  // A column carries its chunk of one key/value head: a third of what one
  // column carried without chunks.
  auto [total, most] = CostModel::attentionBroadcastBytes(layer, t);
  EXPECT_EQ(most, 43 * (64 + 64) * 4);
  // Per query of every pair, a running maximum, sum and output.
  EXPECT_EQ(CostModel::attentionCombineBytes(layer, t),
            2 * 32 * 128 * (64 + 2) * 4);
}

TEST(CostModel, AttentionCyclesAreTheBusiestColumnOrTheGridsCompute) {
  absl::StatusOr<TargetDesc> target = parseTargetSpec("wse3");
  ASSERT_TRUE(target.ok()) << target.status();
  CostModel model(*target);
  LayerSpec layer = groupedAttention();
  AttentionTiling t = CostModel::attentionTiling(layer, 1000, 24);
  double column =
      static_cast<double>(CostModel::attentionBroadcastBytes(layer, t).second) /
      target->linkBytesPerCycle;
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 1000, 24),
                   std::max(model.computeCycles(layer, 128 * 24), column) +
                       2 * 24 * CostModel::kStepOverheadCycles);
  // On one row of PEs nothing is broadcast, and one panel holds every key.
  AttentionTiling row = CostModel::attentionTiling(layer, 1, 64);
  EXPECT_EQ(row.panels, 1);
  EXPECT_EQ(CostModel::attentionBroadcastBytes(layer, row).first, 0);
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 1, 64),
                   model.computeCycles(layer, 64) +
                       2 * CostModel::kStepOverheadCycles);
}

} // namespace
