//===- SummaTest.cpp - wafer-run's matmul against SUMMA, PE by PE ---------===//
//
// wafer-run computes a matmul with one call per block of output rows. Its
// results must be bit for bit what the PEs of any SUMMA tiling compute, each
// accumulating its own output block in place, panel after panel: fused
// multiply-adds are rounded once, so both are the same chains.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Kernels.h"
#include "RandomArray.h"

#include "gtest/gtest.h"
#include <cmath>

using namespace wafer;
using namespace wafer::runtime;

namespace {

Array random(std::vector<int64_t> shape, uint32_t seed) {
  return test::randomArray(std::move(shape), seed);
}

void expectSummaBitExact(int64_t m, int64_t n, int64_t k, int64_t gridRows,
                         int64_t gridCols, int64_t panels) {
  Array a = random({m, k}, 1), b = random({k, n}, 2);
  plan::Kernel kernel;
  kernel.set_op("wafer.matmul");
  std::vector<Array> out = {Array::zeros(plan::F32, {m, n})};
  ASSERT_TRUE(runKernel(kernel, {&a, &b}, out).ok());

  int64_t blockRows = (m + gridRows - 1) / gridRows;
  int64_t blockCols = (n + gridCols - 1) / gridCols;
  int64_t panel = (k + panels - 1) / panels;
  for (int64_t r0 = 0; r0 < m; r0 += blockRows)
    for (int64_t c0 = 0; c0 < n; c0 += blockCols) {
      int64_t rows = std::min(blockRows, m - r0);
      int64_t cols = std::min(blockCols, n - c0);
      // The PE's accumulators, fed one broadcast panel after another.
      std::vector<float> pe(rows * cols, 0.0f);
      for (int64_t k0 = 0; k0 < k; k0 += panel)
        for (int64_t t = k0; t < std::min(k, k0 + panel); ++t)
          for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < cols; ++j)
              pe[i * cols + j] =
                  std::fma(a.floats[(r0 + i) * k + t], b.floats[t * n + c0 + j],
                           pe[i * cols + j]);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          ASSERT_EQ(out[0].floats[(r0 + i) * n + c0 + j], pe[i * cols + j])
              << "PE block at (" << r0 << ", " << c0 << "), element (" << i
              << ", " << j << ") of " << m << "x" << n << "x" << k;
    }
}

TEST(Summa, CoalescedBlocksAreBitExactPerPE) {
  expectSummaBitExact(128, 384, 128, 8, 12, 8); // A GPT's QKV, d = 128.
  expectSummaBitExact(128, 512, 128, 16, 4, 4); // Its MLP.
  expectSummaBitExact(50, 70, 33, 7, 5, 4);     // Ragged blocks and panel.
  expectSummaBitExact(64, 64, 256, 64, 64, 64); // One output per PE.
  expectSummaBitExact(96, 40, 512, 3, 2, 2);    // Wide panels.
}

} // namespace
