//===- ChainGemm.cpp - matrix products as the PEs accumulate them ---------===//
//
// BLAS's structure (pack B into column panels per block of the contraction,
// a register tile of C; A read along its rows where they are contiguous,
// else packed into row tiles), with one rule BLAS does not
// keep: each output element's fused multiply-adds run over the contraction
// in order, one at a time, so the bits are a PE's. A tile of C stays in
// registers for one block of the contraction and continues from memory in
// the next: an fp32 value stored and loaded is the same value.
//
//===----------------------------------------------------------------------===//

#include "ChainGemm.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

namespace wafer::runtime {
namespace {

// The vector of the micro-kernel and its tile: MR rows of C by NV vectors,
// sized so that the tile, NV vectors of B and a broadcast of A fit the
// register file (32 zmm, 16 ymm).
#if defined(__AVX512F__)
struct Vec {
  static constexpr int kWidth = 16;
  __m512 v;
  static Vec load(const float *p) { return {_mm512_loadu_ps(p)}; }
  static Vec zero() { return {_mm512_setzero_ps()}; }
  static Vec splat(float x) { return {_mm512_set1_ps(x)}; }
  void store(float *p) const { _mm512_storeu_ps(p, v); }
  void fma(Vec a, Vec b) { v = _mm512_fmadd_ps(a.v, b.v, v); }
};
constexpr int kTileRows = 6, kTileVectors = 4;
#elif defined(__FMA__)
struct Vec {
  static constexpr int kWidth = 8;
  __m256 v;
  static Vec load(const float *p) { return {_mm256_loadu_ps(p)}; }
  static Vec zero() { return {_mm256_setzero_ps()}; }
  static Vec splat(float x) { return {_mm256_set1_ps(x)}; }
  void store(float *p) const { _mm256_storeu_ps(p, v); }
  void fma(Vec a, Vec b) { v = _mm256_fmadd_ps(a.v, b.v, v); }
};
constexpr int kTileRows = 6, kTileVectors = 2;
#else
struct Vec {
  static constexpr int kWidth = 1;
  float v;
  static Vec load(const float *p) { return {*p}; }
  static Vec zero() { return {0.0f}; }
  static Vec splat(float x) { return {x}; }
  void store(float *p) const { *p = v; }
  void fma(Vec a, Vec b) { v = std::fma(a.v, b.v, v); }
};
constexpr int kTileRows = 4, kTileVectors = 4;
#endif

constexpr int64_t kPanelWidth = Vec::kWidth * kTileVectors;
/// Contraction per block: one panel of B (depth x panel width) stays near
/// while the tiles of a row block pass over it (512 measured fastest of
/// 128, 256 and 512 on a d512 GPT).
constexpr int64_t kDepthBlock = 512;
/// Rows of A per block (kept in L2 over all the panels).
constexpr int64_t kRowBlock = 16 * kTileRows;

/// The tile of C at `c` (leading dimension ldc) over `depth` steps of A
/// (row i's step t at a[i * aRow + t * aStep]: packed, or A's own rows) and
/// packed B (depth x kPanelWidth).
void tile(int64_t depth, const float *a, int64_t aRow, int64_t aStep,
          const float *b, float *c, int64_t ldc, bool load) {
  Vec acc[kTileRows][kTileVectors];
  for (int i = 0; i < kTileRows; ++i)
    for (int v = 0; v < kTileVectors; ++v)
      acc[i][v] = load ? Vec::load(c + i * ldc + v * Vec::kWidth) : Vec::zero();
  for (int64_t t = 0; t < depth; ++t) {
    Vec bv[kTileVectors];
    for (int v = 0; v < kTileVectors; ++v)
      bv[v] = Vec::load(b + t * kPanelWidth + v * Vec::kWidth);
    for (int i = 0; i < kTileRows; ++i) {
      Vec ai = Vec::splat(a[i * aRow + t * aStep]);
      for (int v = 0; v < kTileVectors; ++v)
        acc[i][v].fma(ai, bv[v]);
    }
  }
  for (int i = 0; i < kTileRows; ++i)
    for (int v = 0; v < kTileVectors; ++v)
      acc[i][v].store(c + i * ldc + v * Vec::kWidth);
}

/// A tile at C's edge: computed in a full tile on the side from packed A,
/// of which only `rows` x `cols` are C's.
void edgeTile(int64_t depth, const float *a, const float *b, float *c,
              int64_t ldc, bool load, int64_t rows, int64_t cols) {
  alignas(64) float side[kTileRows * kPanelWidth] = {};
  if (load)
    for (int64_t i = 0; i < rows; ++i)
      std::memcpy(&side[i * kPanelWidth], c + i * ldc, cols * sizeof(float));
  tile(depth, a, 1, kTileRows, b, side, kPanelWidth, load);
  for (int64_t i = 0; i < rows; ++i)
    std::memcpy(c + i * ldc, &side[i * kPanelWidth], cols * sizeof(float));
}

AlignedFloats &threadBuffer(int which) {
  thread_local AlignedFloats buffers[3];
  return buffers[which];
}

} // namespace

void AlignedFloats::Free::operator()(float *p) const { std::free(p); }

float *AlignedFloats::reserve(size_t count) {
  if (count > capacity) {
    size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    storage.reset(static_cast<float *>(std::aligned_alloc(64, bytes)));
    if (!storage)
      throw std::bad_alloc();
    capacity = count;
  }
  return storage.get();
}

ChainGemm::ChainGemm(int64_t k, int64_t n)
    : k(k), n(n), panelCount((n + kPanelWidth - 1) / kPanelWidth) {}

int64_t ChainGemm::panelWidth() { return kPanelWidth; }
int64_t ChainGemm::tileRows() { return kTileRows; }

size_t ChainGemm::packedSize() const {
  return static_cast<size_t>(k) * panelCount * kPanelWidth;
}

void ChainGemm::packRhs(MatrixView b, float *packed, int64_t first,
                        int64_t last) const {
  // Block [t0, t0 + depth) of the contraction starts at t0 * panels *
  // width; within it, panel p is depth x width, zero past B's last column.
  for (int64_t t0 = 0; t0 < k; t0 += kDepthBlock) {
    int64_t depth = std::min(kDepthBlock, k - t0);
    for (int64_t p = first; p < last; ++p) {
      float *out =
          packed + t0 * panelCount * kPanelWidth + p * depth * kPanelWidth;
      int64_t j0 = p * kPanelWidth, cols = std::min(kPanelWidth, n - j0);
      for (int64_t t = 0; t < depth; ++t, out += kPanelWidth) {
        if (b.colStride == 1) {
          std::memcpy(out, b.at(t0 + t, j0), cols * sizeof(float));
        } else {
          for (int64_t j = 0; j < cols; ++j)
            out[j] = *b.at(t0 + t, j0 + j);
        }
        std::fill(out + cols, out + kPanelWidth, 0.0f);
      }
    }
  }
}

void ChainGemm::run(MatrixView a, const float *packed, float *c, int64_t ldc,
                    int64_t rowBegin, int64_t rowEnd, int64_t first,
                    int64_t last, bool accumulate) const {
  if (rowEnd <= rowBegin || last <= first)
    return;
  if (k == 0) {
    // No contraction: every chain is empty (C stays, or is zero).
    if (!accumulate)
      for (int64_t r = rowBegin; r < rowEnd; ++r)
        std::fill(c + r * ldc + first * kPanelWidth,
                  c + r * ldc + std::min(n, last * kPanelWidth), 0.0f);
    return;
  }
  float *tiles = threadBuffer(0).reserve(kRowBlock * kDepthBlock);
  for (int64_t t0 = 0; t0 < k; t0 += kDepthBlock) {
    int64_t depth = std::min(kDepthBlock, k - t0);
    bool load = accumulate || t0 > 0;
    const float *block = packed + t0 * panelCount * kPanelWidth;
    for (int64_t r0 = rowBegin; r0 < rowEnd; r0 += kRowBlock) {
      int64_t rows = std::min(kRowBlock, rowEnd - r0);
      int64_t tileCount = (rows + kTileRows - 1) / kTileRows;
      // A's rows as tiles, depth x kTileRows each, zero past the last row:
      // all of them when A is read through strides, else only a tile at the
      // edge (full tiles read A's rows where they are).
      bool direct = a.colStride == 1;
      for (int64_t g = 0; g < tileCount; ++g) {
        float *out = tiles + g * depth * kTileRows;
        int64_t valid = std::min<int64_t>(kTileRows, rows - g * kTileRows);
        if (direct && valid == kTileRows)
          continue;
        for (int64_t i = 0; i < kTileRows; ++i) {
          if (i >= valid) {
            for (int64_t t = 0; t < depth; ++t)
              out[t * kTileRows + i] = 0.0f;
            continue;
          }
          const float *src = a.at(r0 + g * kTileRows + i, t0);
          for (int64_t t = 0; t < depth; ++t)
            out[t * kTileRows + i] = src[t * a.colStride];
        }
      }
      for (int64_t p = first; p < last; ++p) {
        const float *panel = block + p * depth * kPanelWidth;
        int64_t j0 = p * kPanelWidth, cols = std::min(kPanelWidth, n - j0);
        for (int64_t g = 0; g < tileCount; ++g) {
          int64_t row = r0 + g * kTileRows;
          int64_t valid = std::min<int64_t>(kTileRows, rowEnd - row);
          float *target = c + row * ldc + j0;
          const float *lhs = tiles + g * depth * kTileRows;
          if (valid == kTileRows && cols == kPanelWidth) {
            if (direct)
              tile(depth, a.at(row, t0), a.rowStride, 1, panel, target, ldc,
                   load);
            else
              tile(depth, lhs, 1, kTileRows, panel, target, ldc, load);
          } else {
            if (direct && valid == kTileRows) {
              // A full tile of rows at the right edge: packed here.
              float *own = tiles + g * depth * kTileRows;
              for (int64_t i = 0; i < kTileRows; ++i)
                for (int64_t t = 0; t < depth; ++t)
                  own[t * kTileRows + i] = *a.at(row + i, t0 + t);
            }
            edgeTile(depth, lhs, panel, target, ldc, load, valid, cols);
          }
        }
      }
    }
  }
}

float *sharedPackBuffer(size_t count) { return threadBuffer(2).reserve(count); }

void chainProduct(MatrixView a, MatrixView b, float *c, int64_t ldc,
                  int64_t rows, int64_t k, int64_t n, bool accumulate) {
  if (rows <= 0 || n <= 0)
    return;
  ChainGemm gemm(k, n);
  float *packed = threadBuffer(1).reserve(gemm.packedSize());
  gemm.packRhs(b, packed, 0, gemm.panels());
  gemm.run(a, packed, c, ldc, 0, rows, 0, gemm.panels(), accumulate);
}

} // namespace wafer::runtime
