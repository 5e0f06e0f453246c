//===- RelayoutTest.cpp - which kernels move data between a layer's PEs ---===//

#include "wafer/Core/Relayout.h"

#include "gtest/gtest.h"

using namespace wafer::core;

namespace {

TEST(Relayout, TransposesAndGathersRegroupRows) {
  EXPECT_TRUE(
      movesBetweenPes("wafer.transpose", {{2, 16, 4, 8}}, {2, 4, 16, 8}));
  EXPECT_TRUE(
      movesBetweenPes("wafer.gather", {{100, 64}, {2, 16}}, {2, 16, 64}));
}

TEST(Relayout, ReshapesMoveOnlyWhenTheLastDimensionChanges) {
  // Splitting the rows' count keeps every row where it is...
  EXPECT_FALSE(movesBetweenPes("wafer.reshape", {{32, 64}}, {2, 16, 64}));
  // ...splitting the rows into heads regroups them.
  EXPECT_TRUE(movesBetweenPes("wafer.reshape", {{2, 16, 64}}, {2, 16, 8, 8}));
  EXPECT_TRUE(movesBetweenPes("wafer.reshape", {{2, 16, 8, 8}}, {2, 16, 64}));
}

TEST(Relayout, SlicesAndConcatsAlongTheRowsStayPut) {
  // RoPE's halves of each head row: the same rows, cut and joined.
  EXPECT_FALSE(movesBetweenPes("wafer.slice", {{2, 4, 16, 8}}, {2, 4, 16, 4}));
  EXPECT_FALSE(movesBetweenPes("wafer.concat", {{2, 4, 16, 4}, {2, 4, 16, 4}},
                               {2, 4, 16, 8}));
  // Taking some of the rows, or stacking them, moves them.
  EXPECT_TRUE(movesBetweenPes("wafer.slice", {{48, 64}}, {16, 64}));
  EXPECT_TRUE(movesBetweenPes("wafer.concat", {{16, 64}, {16, 64}}, {32, 64}));
}

TEST(Relayout, LeavingAProductsGridMoves) {
  // Beside a product of 32 rows of 64 columns: an unfused norm's row sums
  // leave its blocks for whole rows...
  EXPECT_TRUE(
      movesBetweenPes("wafer.reduce", {{2, 16, 64}}, {2, 16, 1}, 32, 64));
  // ...an epilogue of the same rows and columns, however shaped, stays on
  // them, and a split along the columns keeps its pieces in the blocks.
  EXPECT_FALSE(
      movesBetweenPes("wafer.add", {{2, 16, 64}, {64}}, {32, 64}, 32, 64));
  EXPECT_FALSE(
      movesBetweenPes("wafer.split", {{2, 16, 64}}, {2, 16, 32}, 32, 64));
  // Without a product nothing is on a grid.
  EXPECT_FALSE(movesBetweenPes("wafer.reduce", {{2, 16, 64}}, {2, 16, 1}));
}

TEST(Relayout, ElementwiseKernelsStayPut) {
  EXPECT_FALSE(movesBetweenPes("wafer.add", {{16, 64}, {64}}, {16, 64}));
  EXPECT_FALSE(movesBetweenPes("wafer.softmax", {{16, 64}}, {16, 64}));
}

} // namespace
