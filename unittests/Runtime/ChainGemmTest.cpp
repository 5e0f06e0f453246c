//===- ChainGemmTest.cpp - the blocked product against the plain chain ----===//
//
// ChainGemm packs, blocks the contraction and keeps tiles of C in registers;
// every output must still be the plain chain of fused multiply-adds over
// the contraction in order, bit for bit: at C's edges, across blocks of the
// contraction, through transposed views, continuing from C, and whatever
// ranges of rows and panels the items cover.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/ChainGemm.h"

#include "gtest/gtest.h"
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using namespace wafer::runtime;

namespace {

std::vector<float> randomFloats(size_t count, uint32_t seed) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<float> values(count);
  for (float &v : values)
    v = uniform(generator);
  return values;
}

/// C (+)= A B one element at a time: the PEs' chains.
void plainChains(MatrixView a, MatrixView b, float *c, int64_t ldc,
                 int64_t rows, int64_t k, int64_t n, bool accumulate) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float sum = accumulate ? c[i * ldc + j] : 0.0f;
      for (int64_t t = 0; t < k; ++t)
        sum = std::fma(*a.at(i, t), *b.at(t, j), sum);
      c[i * ldc + j] = sum;
    }
}

bool sameBits(const std::vector<float> &x, const std::vector<float> &y) {
  return x.size() == y.size() &&
         std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) == 0;
}

struct Shape {
  int64_t rows, k, n;
};

class ChainGemmShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(ChainGemmShapes, SameBitsAsThePlainChains) {
  auto [rows, k, n] = GetParam();
  std::vector<float> a = randomFloats(rows * k, 1), b = randomFloats(k * n, 2);
  for (bool transposeA : {false, true})
    for (bool transposeB : {false, true})
      for (bool accumulate : {false, true}) {
        MatrixView lhs = transposeA ? MatrixView{a.data(), 1, rows}
                                    : MatrixView{a.data(), k, 1};
        MatrixView rhs = transposeB ? MatrixView{b.data(), 1, k}
                                    : MatrixView{b.data(), n, 1};
        // C wider than n: the product must not write past its columns.
        int64_t ldc = n + 3;
        std::vector<float> want = randomFloats(rows * ldc, 3), got = want;
        plainChains(lhs, rhs, want.data(), ldc, rows, k, n, accumulate);
        chainProduct(lhs, rhs, got.data(), ldc, rows, k, n, accumulate);
        EXPECT_TRUE(sameBits(want, got))
            << rows << "x" << k << "x" << n << " transposeA " << transposeA
            << " transposeB " << transposeB << " accumulate " << accumulate;
      }
}

// Edges of the tile (rows and panel width), blocks of the contraction
// (depth 256), empty contractions and single elements.
INSTANTIATE_TEST_SUITE_P(Edges, ChainGemmShapes,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 7, 1},
                                           Shape{5, 3, 17}, Shape{6, 64, 64},
                                           Shape{7, 65, 63}, Shape{13, 256, 65},
                                           Shape{12, 257, 128},
                                           Shape{97, 300, 130}, Shape{4, 0, 9},
                                           Shape{33, 513, 31}));

TEST(ChainGemm, ItemsOfRowsAndPanelsComposeTheWhole) {
  // Any cut of rows and panels into items gives the same bits (the items
  // wafer-run's threads take).
  int64_t rows = 50, k = 300, n = 200;
  std::vector<float> a = randomFloats(rows * k, 4), b = randomFloats(k * n, 5);
  MatrixView lhs{a.data(), k, 1}, rhs{b.data(), n, 1};
  std::vector<float> want(rows * n), got(rows * n, NAN);
  plainChains(lhs, rhs, want.data(), n, rows, k, n, false);
  ChainGemm gemm(k, n);
  std::vector<float> packed(gemm.packedSize() + 16);
  for (int64_t p = 0; p < gemm.panels(); ++p) // One panel at a time.
    gemm.packRhs(rhs, packed.data(), p, p + 1);
  for (int64_t r0 = 0; r0 < rows; r0 += 7)
    for (int64_t p = 0; p < gemm.panels(); p += 2)
      gemm.run(lhs, packed.data(), got.data(), n, r0, std::min(rows, r0 + 7), p,
               std::min(gemm.panels(), p + 2), false);
  EXPECT_TRUE(sameBits(want, got));
}

TEST(ChainGemm, SpecialValuesFollowTheChain) {
  // Infinities and NaNs in A at C's edge: the padding of a tile must not
  // leak into C's elements (0 x inf is NaN only in the padding).
  int64_t rows = 3, k = 5, n = 3;
  std::vector<float> a = randomFloats(rows * k, 6), b = randomFloats(k * n, 7);
  a[0] = INFINITY;
  a[k + 2] = NAN;
  b[4] = 0.0f;
  std::vector<float> want(rows * n), got(rows * n);
  plainChains({a.data(), k, 1}, {b.data(), n, 1}, want.data(), n, rows, k, n,
              false);
  chainProduct({a.data(), k, 1}, {b.data(), n, 1}, got.data(), n, rows, k, n,
               false);
  EXPECT_TRUE(sameBits(want, got));
}

} // namespace
