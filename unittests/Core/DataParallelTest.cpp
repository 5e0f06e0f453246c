//===- DataParallelTest.cpp - batch splits and the reduction tree ---------===//

#include "wafer/Core/DataParallel.h"

#include <gtest/gtest.h>

using namespace wafer::core;

TEST(SplitBatch, EvenSplitOverWafersAndMicroBatches) {
  BatchSplit split;
  ASSERT_EQ(splitBatch(16, 2, 2, split), "");
  EXPECT_EQ(split.partRows, 4);
  EXPECT_EQ(split.parts(), 4);
  EXPECT_EQ(split.waferParts, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(split.firstPart(1), 2);
  EXPECT_EQ(split.mostParts(), 2);
}

TEST(SplitBatch, RemainderGoesToTheFirstWafers) {
  BatchSplit split;
  // 8 rows over 3 wafers: parts of 2 (the largest divisor of 8 not above
  // 8/3), 4 parts shared 2, 1, 1.
  ASSERT_EQ(splitBatch(8, 3, 1, split), "");
  EXPECT_EQ(split.partRows, 2);
  EXPECT_EQ(split.waferParts, (std::vector<int64_t>{2, 1, 1}));
  EXPECT_EQ(split.mostParts(), 2);
  EXPECT_EQ(checkBatchSplit(split), "");
}

TEST(SplitBatch, OneWaferOnePartIsTheWholeBatch) {
  BatchSplit split;
  ASSERT_EQ(splitBatch(6, 1, 1, split), "");
  EXPECT_EQ(split.partRows, 6);
  EXPECT_EQ(split.waferParts, (std::vector<int64_t>{1}));
}

TEST(SplitBatch, TooFewRowsIsAnErrorWithTheNumbers) {
  BatchSplit split;
  std::string error = splitBatch(3, 2, 2, split);
  EXPECT_NE(error.find("needs 4 rows"), std::string::npos) << error;
  EXPECT_NE(splitBatch(0, 1, 1, split), "");
}

TEST(CheckBatchSplit, RefusesWhatDoesNotAddUp) {
  BatchSplit split{8, 3, {1, 1}};
  EXPECT_NE(checkBatchSplit(split), ""); // 3 does not divide 8.
  split = BatchSplit{8, 2, {3, 0}};
  EXPECT_NE(checkBatchSplit(split), ""); // A wafer with no part.
  split = BatchSplit{8, 2, {3, 2}};
  EXPECT_NE(checkBatchSplit(split), ""); // 5 parts of the 4.
  split = BatchSplit{8, 2, {3, 1}};
  EXPECT_EQ(checkBatchSplit(split), "");
}

TEST(ReductionTree, BinaryTreeIntoWaferZero) {
  EXPECT_TRUE(reductionTree(1).empty());
  EXPECT_EQ(reductionTree(4),
            (std::vector<ReduceStep>{{0, 1}, {2, 3}, {0, 2}}));
  EXPECT_EQ(reductionTree(3), (std::vector<ReduceStep>{{0, 1}, {0, 2}}));
  for (int64_t n = 1; n <= 33; ++n)
    EXPECT_EQ(checkReduction(n, reductionTree(n)), "") << n;
  EXPECT_EQ(treeLevels(1), 0);
  EXPECT_EQ(treeLevels(16), 4);
  EXPECT_EQ(treeLevels(17), 5);
}

TEST(CheckReduction, RefusesLostOrDoubledSums) {
  // Wafer 2 never sent.
  EXPECT_NE(checkReduction(3, {{0, 1}}), "");
  // Wafer 1 sent twice.
  EXPECT_NE(checkReduction(3, {{0, 1}, {2, 1}, {0, 2}}), "");
  // Into a wafer that already sent: its new sums are lost.
  EXPECT_NE(checkReduction(3, {{0, 1}, {1, 2}}), "");
  // Out of range, and one wafer into itself.
  EXPECT_NE(checkReduction(2, {{0, 5}}), "");
  EXPECT_NE(checkReduction(2, {{1, 1}}), "");
  // Wafer 0 sending away.
  EXPECT_NE(checkReduction(2, {{1, 0}}), "");
}

TEST(StepSeconds, PartsOfTheBusiestWaferTreeAndBubble) {
  BatchSplit split{8, 2, {2, 1, 1}};
  StepOverhead overhead{1e-6, 0.5};
  // 2 parts of 1 s, 2 levels down and up of 1 us, the bubble.
  EXPECT_DOUBLE_EQ(stepSeconds(split, 1.0, overhead), 2.0 + 4e-6 + 0.5);
  BatchSplit one{8, 2, {4}};
  EXPECT_DOUBLE_EQ(stepSeconds(one, 1.0, overhead), 4.5);
  // The first layer's stream, its update pipelined ahead of it.
  EXPECT_DOUBLE_EQ(updateBubbleSeconds(20, 100), 0.2);
  EXPECT_DOUBLE_EQ(updateBubbleSeconds(20, 0), 0.0);
}
