//===- CostModelTest.cpp - the shared cost model --------------------------===//

#include "wafer/Core/CostModel.h"

#include "gtest/gtest.h"

using namespace wafer;
using namespace wafer::core;

namespace {

CostModel wse3Model() {
  absl::StatusOr<TargetDesc> target = parseTargetSpec("wse3");
  EXPECT_TRUE(target.ok()) << target.status();
  return CostModel(*target);
}

/// A GPT-2 vocabulary projection: few tokens, very many output columns.
LayerSpec vocabProjection() {
  LayerSpec l;
  l.name = "lm_head";
  l.kind = LayerKind::linear;
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
  l.kind = LayerKind::attention;
  l.attention = {/*batch=*/2,   /*queries=*/128, /*keys=*/128,
                 /*heads=*/32,
                 /*kvHeads=*/8, /*headDim=*/64,  /*valueDim=*/64};
  l.flops = 4.0 * 2 * 32 * 128 * 128 * 64;
  return l;
}

TEST(CostModel, AttentionSplitsPairsOverColumnsAndPositionsDownRows) {
  LayerSpec layer = groupedAttention();
  AttentionTiling t = wse3Model().attentionTiling(layer, 1000, 24);
  EXPECT_EQ(t.gridRows, 128); // One query (and key) position per PE row.
  EXPECT_EQ(t.gridCols, 24);  // 64 (batch, head) pairs over 24 columns.
  EXPECT_EQ(t.panels, 24);
  // 64 = 16 x 3 + 8 x 2: the first 16 columns take three pairs.
  EXPECT_EQ(core::attentionPairs(layer, t, 0), std::make_pair(0l, 3l));
  EXPECT_EQ(core::attentionPairs(layer, t, 16), std::make_pair(48l, 50l));
  EXPECT_EQ(core::attentionPairs(layer, t, 23), std::make_pair(62l, 64l));
  // Four query heads share a key/value head: pairs 0-2 read one, pairs 3-5
  // straddle two.
  EXPECT_EQ(core::attentionKvPairs(layer, t, 0), 1);
  EXPECT_EQ(core::attentionKvPairs(layer, t, 1), 2);
  int64_t total = CostModel::attentionBroadcastBytes(layer, t);
  int64_t perPair = 128 * (64 + 64) * 4;
  // Three pairs may straddle two key/value heads: the busiest column.
  EXPECT_EQ(CostModel::attentionColumnBytes(layer, t), 2 * perPair);
  int64_t pairs = 0, most = 0;
  for (int64_t j = 0; j < t.gridCols; ++j) {
    pairs += core::attentionKvPairs(layer, t, j);
    most = std::max(most, core::attentionKvPairs(layer, t, j));
  }
  EXPECT_EQ(most, 2);
  EXPECT_EQ(total, pairs * perPair);
  // Every key/value head goes down at least one column.
  EXPECT_GE(pairs, 2 * 8);
  EXPECT_EQ(t.keyChunks, 1);
  EXPECT_EQ(CostModel::attentionCombineBytes(layer, t), 0);
}

TEST(CostModel, AttentionCutsItsKeysIntoChunksOnWideRegions) {
  LayerSpec layer = groupedAttention();
  // 200 columns for 64 pairs: each pair group in 3 columns, each against a
  // third of the 128 keys (43, 43, 42).
  AttentionTiling t = wse3Model().attentionTiling(layer, 1000, 200);
  EXPECT_EQ(t.keyChunks, 3);
  EXPECT_EQ(t.gridCols, 192);
  EXPECT_EQ(t.groups(), 64);
  EXPECT_EQ(t.panels, 42);
  EXPECT_EQ(core::attentionPairs(layer, t, 5), std::make_pair(1l, 2l));
  EXPECT_EQ(core::attentionKeys(layer, t, 5), std::make_pair(86l, 128l));
  // A column carries its chunk of one key/value head: a third of what one
  // column carried without chunks.
  EXPECT_EQ(CostModel::attentionColumnBytes(layer, t), 43 * (64 + 64) * 4);
  // Per query of every pair, a running maximum, sum and output.
  EXPECT_EQ(CostModel::attentionCombineBytes(layer, t),
            2 * 32 * 128 * (64 + 2) * 4);
}

TEST(CostModel, AttentionCyclesAreTheBusiestColumnOrTheGridsCompute) {
  absl::StatusOr<TargetDesc> target = parseTargetSpec("wse3");
  ASSERT_TRUE(target.ok()) << target.status();
  CostModel model(*target);
  LayerSpec layer = groupedAttention();
  AttentionTiling t = wse3Model().attentionTiling(layer, 1000, 24);
  double column =
      static_cast<double>(CostModel::attentionColumnBytes(layer, t)) /
      target->linkBytesPerCycle;
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 1000, 24),
                   std::max(model.computeCycles(layer, 128 * 24), column) +
                       2 * 24 * CostModel::kStepOverheadCycles);
  // On one row of PEs nothing is broadcast; a PE scores its 128 queries
  // against its keys one block at a time, one panel each.
  AttentionTiling row = wse3Model().attentionTiling(layer, 1, 64);
  EXPECT_EQ(row.panels, 1);
  EXPECT_EQ(CostModel::attentionBroadcastBytes(layer, row), 0);
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 1, 64),
                   model.computeCycles(layer, 64) +
                       2 * row.keyBlocks * CostModel::kStepOverheadCycles);
}

TEST(CostModel, AttentionFoldsKeyBlocksSoItsScoresFitAnEighthOfTheSram) {
  CostModel model = wse3Model();
  LayerSpec layer = groupedAttention();
  int64_t eighth = model.getTarget().usableSramBytes() / 8;
  // On 1 x 64 PEs a PE has one pair's 128 queries against all 128 keys:
  // 64 KiB of scores at once without blocks.
  AttentionTiling t = model.attentionTiling(layer, 1, 64);
  auto scoreBytes = [](int64_t blocks) {
    return 128 * ((128 + blocks - 1) / blocks) * 4;
  };
  EXPECT_GT(t.keyBlocks, 1);
  EXPECT_LE(scoreBytes(t.keyBlocks), eighth);
  EXPECT_GT(scoreBytes(t.keyBlocks - 1), eighth);
  // The fullest PE: its queries, keys, values and output, one block's
  // scores, one panel of a key/value head, each query's maximum and sum.
  int64_t block = (128 + t.keyBlocks - 1) / t.keyBlocks;
  EXPECT_EQ(CostModel::attentionPeakBytes(layer, t),
            (128 * (64 + 64) * 2) * 4 +
                (128 * block + block * 64 + 128 * 3) * 4);
  // A mask counts what a PE reads of it: a [queries, keys] mask its
  // queries against its keys, a [batch, 1, 1, keys] one a row per batch.
  layer.attention.masked = true;
  layer.attention.maskVaries = {false, false, true, true};
  EXPECT_EQ(CostModel::attentionPeakBytes(layer, t),
            (128 * (64 + 64) * 2 + 128 * 128) * 4 +
                (128 * block + block * 64 + 128 * 3) * 4);
  layer.attention.maskVaries = {true, false, false, true};
  EXPECT_EQ(core::attentionMaskElements(layer, 31, 33, 128, 128), 2 * 128);
  // One pair per column never straddles two batches.
  EXPECT_EQ(CostModel::attentionPeakBytes(layer, t),
            (128 * (64 + 64) * 2 + 128) * 4 +
                (128 * block + block * 64 + 128 * 3) * 4);
  // On a tall region each PE has one query per pair: one block does.
  EXPECT_EQ(model.attentionTiling(layer, 1000, 24).keyBlocks, 1);
}

TEST(CostModel, AttentionCutsItsQueriesOverColumnsWhenAPeCannotHoldThem) {
  CostModel model = wse3Model();
  // GPT-like: 16 heads of 64 over 2048 queries and keys, fp16.
  LayerSpec layer;
  layer.name = "attn";
  layer.kind = LayerKind::attention;
  layer.elementBytes = 2;
  layer.attention = {1, 2048, 2048, 16, 16, 64, 64};
  int64_t sram = model.getTarget().usableSramBytes();
  // On 160 x 28 PEs, 28 query blocks down the rows leave 74 queries per
  // PE with ten key chunks; query column blocks bring it within 3/4 of SRAM.
  AttentionTiling t = model.attentionTiling(layer, 28, 160);
  EXPECT_EQ(t.groups(), 16);
  EXPECT_GT(t.queryCols, 1);
  EXPECT_EQ(t.gridCols, 16 * t.queryCols * t.keyChunks);
  EXPECT_LE(CostModel::attentionPeakBytes(layer, t), sram * 3 / 4);
  AttentionTiling chunksOnly = t;
  chunksOnly.queryCols = 1;
  chunksOnly.keyChunks = 10;
  chunksOnly.gridCols = 160;
  EXPECT_GT(CostModel::attentionPeakBytes(layer, chunksOnly), sram * 3 / 4);
  // Column j's query block: query column block (j / chunks) % queryCols.
  int64_t column = t.keyChunks; // Group 0's second query column block.
  EXPECT_EQ(core::attentionQueries(layer, t, 0, column),
            partOf(2048, 28 * t.queryCols, 28));
  EXPECT_EQ(core::attentionPairs(layer, t, column),
            std::make_pair(int64_t(0), int64_t(1)));
  // Each query column block reads all of its group's keys and values.
  EXPECT_EQ(CostModel::attentionBroadcastBytes(layer, t),
            16 * t.queryCols * 2048 * 128 * 2);
  // A tall region holds its queries down the rows: no query blocks.
  EXPECT_EQ(model.attentionTiling(layer, 1000, 160).queryCols, 1);
}

TEST(CostModel, AReshardAddsItsBusiestLaneAfterTheKernels) {
  CostModel model = wse3Model();
  LayerSpec layer;
  layer.flops = 1e6;
  double kernels = model.layerCycles(layer, 8, 32);
  layer.relayoutBytes = 4096;
  double link = model.getTarget().linkBytesPerCycle;
  // Over the 8 rows' links (the shorter side).
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 8, 32),
                   kernels + 4096 / (8 * link));
  // One PE regroups nothing across PEs.
  layer.flops = 0;
  EXPECT_DOUBLE_EQ(model.layerCycles(layer, 1, 1), 0);
}

TEST(CostModel, ABatchedProductReceivesOneBPanelPerBatchItsRowsSpan) {
  CostModel model = wse3Model();
  // Attention probabilities times values, unfused: 8 heads of 16 x 16.
  LayerSpec layer;
  layer.m = 128;
  layer.n = 16;
  layer.k = 16;
  layer.flops = 2.0 * 128 * 16 * 16;
  int64_t weightLike = model.summaPeakBytes(layer, 1, 6, false);
  layer.rhsBatchRows = 16;
  SummaTiling t = model.summaTiling(layer, 1, 6);
  ASSERT_TRUE(t.transposed);
  // Blocks of 22 rows may cross three heads: three B panels of 16 columns.
  EXPECT_EQ(model.summaPeakBytes(layer, 1, 6, false) - weightLike,
            2 * 16 * ((16 + t.panels - 1) / t.panels) * 4);
}

TEST(CostModel, RowsPeakIsTheFirstPesShareOfEveryTensor) {
  LayerSpec gather;
  // A 1000-row table, 48 token rows of 512 bytes and one id vector.
  gather.rowTensors = {{1000, 512, /*weight=*/true}, {48, 512}, {1, 192}};
  // On 64 PEs the first holds 16 table rows, one token row and the ids.
  EXPECT_EQ(CostModel::rowsPeakBytes(gather, 64, /*weightsResident=*/true),
            16 * 512 + 512 + 192);
  // Streamed, the table passes through the slots instead.
  EXPECT_EQ(CostModel::rowsPeakBytes(gather, 64, /*weightsResident=*/false),
            512 + 192);
  EXPECT_EQ(CostModel::rowsPeakBytes(gather, 7, /*weightsResident=*/false),
            7 * 512 + 192);
}

TEST(CostModel, SummaPanelsNarrowToFitAQuarterOfTheSram) {
  absl::StatusOr<TargetDesc> target = parseTargetSpec("wse3");
  ASSERT_TRUE(target.ok()) << target.status();
  CostModel model(*target);
  LayerSpec layer = vocabProjection();
  // On 10 x 1170 PEs (transposed): each PE's block is 205 of the 2048
  // tokens by 43 of the 50257 columns; ten panels of 77 would bring it
  // (205 + 43) x 77 floats = 76 KiB at once.
  SummaTiling t = model.summaTiling(layer, 1170, 10);
  ASSERT_TRUE(t.transposed);
  int64_t quarter = target->usableSramBytes() / 4;
  int64_t width = quarter / ((205 + 43) * 4); // Columns of a panel.
  EXPECT_EQ(t.panels, (768 + width - 1) / width);
  EXPECT_LE((205 + 43) * ((768 + t.panels - 1) / t.panels) * 4, quarter);
  // Each panel is one more step of the overhead term.
  double link = target->linkBytesPerCycle;
  double aBytes = 2048.0 * 768 * 2, bBytes = 768.0 * 50257 * 2;
  EXPECT_DOUBLE_EQ(
      model.layerCycles(layer, 1170, 10),
      std::max(model.computeCycles(layer, 1170 * 10),
               std::max(bBytes / (1170 * link), aBytes / (10 * link))) +
          t.panels * CostModel::kStepOverheadCycles);
  // The fullest PE: A, B and two output blocks in fp16, the panels in fp32.
  EXPECT_EQ(model.summaPeakBytes(layer, 1170, 10, /*weightsResident=*/true),
            (205 * 1 + 77 * 43 + 2 * 205 * 43) * 2 +
                (205 + 43) * ((768 + t.panels - 1) / t.panels) * 4);
}

} // namespace
