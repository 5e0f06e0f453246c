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

} // namespace
