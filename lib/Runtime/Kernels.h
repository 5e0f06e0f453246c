//===- Kernels.h - host math for the plan's kernels -------------*- C++ -*-===//

#ifndef WAFER_LIB_RUNTIME_KERNELS_H
#define WAFER_LIB_RUNTIME_KERNELS_H

#include <array>

#include "absl/types/span.h"
#include "wafer/Runtime/Runtime.h"
#include "wafer/Semantics/Ops.h"

namespace wafer::runtime {

/// A kernel's attribute, or `fallback` when it has none.
inline int64_t attrInt(const plan::Kernel &k, const char *name,
                       int64_t fallback) {
  auto it = k.attributes().find(name);
  return it == k.attributes().end() ? fallback : it->second.i();
}
inline double attrFloat(const plan::Kernel &k, const char *name,
                        double fallback) {
  auto it = k.attributes().find(name);
  return it == k.attributes().end() ? fallback : it->second.f();
}
/// A kernel's enumeration attribute, by its name among `names` (checkPlan
/// has refused any other), or `fallback` when it has none.
template <typename Enum>
Enum attrEnum(const plan::Kernel &k, const char *name,
              const std::vector<std::string> &names, Enum fallback) {
  auto it = k.attributes().find(name);
  if (it == k.attributes().end())
    return fallback;
  std::optional<int> index = sem::enumIndex(names, it->second.s());
  return index ? static_cast<Enum>(*index) : fallback;
}
inline std::vector<int64_t> attrInts(const plan::Kernel &k, const char *name) {
  auto it = k.attributes().find(name);
  if (it == k.attributes().end())
    return {};
  return std::vector<int64_t>(it->second.ints().values().begin(),
                              it->second.ints().values().end());
}

/// Whether every path that computes `kernel` (runKernel and the PEs' own)
/// writes every element of its results, so that their storage need not be
/// cleared first: elementwise ops, products, norms, softmaxes, reductions
/// and transposes.
bool writesEveryElement(const plan::Kernel &kernel);

/// Computes `kernel` on `operands` into `results`, whose types and shapes
/// are already set (and storage sized). A matmul computes every output
/// element as one chain of fused multiply-adds over the contraction in
/// order, as a PE running SUMMA accumulates its block in place, so its
/// result does not depend on the plan's tiling.
absl::Status runKernel(const plan::Kernel &kernel,
                       const std::vector<const Array *> &operands,
                       std::vector<Array> &results);

/// C += A B for one PE's output block and one panel of the contraction:
/// `a` rows x k, `b` k x n, `c` rows x n, row-major with leading dimensions
/// lda, ldb, ldc. Each element continues its chain of fused multiply-adds
/// from its value in C, so a block accumulated panel after panel is bit for
/// bit the product runKernel computes.
void accumulateProduct(const float *a, int64_t lda, const float *b, int64_t ldb,
                       float *c, int64_t ldc, int64_t rows, int64_t k,
                       int64_t n);

/// C = A B with the same chains started from zero: accumulateProduct onto
/// a zero C, bit for bit, without filling it first.
void productInto(const float *a, int64_t lda, const float *b, int64_t ldb,
                 float *c, int64_t ldc, int64_t rows, int64_t k, int64_t n);

/// Normalises one row of `n` in place (layer_norm, or rms_norm without the
/// mean) as the `blocks` PEs that hold it in consecutive slices compute it:
/// each sums its slice's values and squares in double, in order; the partial
/// sums are reduced from the last PE to the first (s_0 + (s_1 + ...)), one
/// pass, and the variance is E[x^2] - mean^2. PEs past the row's end (a
/// line longer than the row) hold none of it and add nothing. The host
/// kernel is one block.
void normRow(float *row, int64_t n, int64_t blocks, bool layerNorm, double eps,
             const float *scale, const float *bias);

/// The strides that read a tensor of `shape` broadcast to rank 4 (an
/// attention mask to [batch, heads, queries, keys]), right-aligned: 0 along
/// its missing and size-1 dimensions.
std::array<int64_t, 4> broadcastStrides4(const std::vector<int64_t> &shape);

/// `dst` (cols x rows, row-major) = `src` (rows x cols, leading dimension
/// `ld`) transposed: a key panel laid out head dimension by key.
void transposeInto(const float *src, int64_t ld, int64_t rows, int64_t cols,
                   float *dst);

/// One query row's softmax over the key blocks folded in so far: the
/// largest score and the sum of exp(score - max) (double, in key order).
struct RunningSoftmax {
  float max = -INFINITY;
  double sum = 0;
};

/// Folds one key block's scores of a query row into `running`, in place:
/// scaled, plus `mask` (one value per key, or null), keys from `visible` on
/// hidden (causal), then exp(s - m) with m the new running maximum; the
/// running sum is rescaled to m and gains theirs. Returns the factor the
/// row's running output must be multiplied by before the block's terms are
/// accumulated into it (1 when it need not change). A block with every key
/// hidden leaves zeros. The host kernel (one block) and each PE of an
/// attention tiling run this same code.
float foldScores(float *row, int64_t keys, float scale, const float *mask,
                 int64_t visible, RunningSoftmax &running);

/// What one key chunk made of one query row: its scores' maximum and sum
/// and its output accumulated from unnormalised scores (`dv` values). One
/// chunk is a combination too: its output divided by its sum.
struct ChunkResult {
  float max;
  double sum;
  const float *output;
};

/// Combines the chunks' results of one query row into `out` (dv values),
/// as they pass from the last chunk's PE to the first's: each rescales the
/// running sum and output to the larger maximum and adds its own (in
/// double); the first divides the output by the sum.
void combineChunks(absl::Span<const ChunkResult> chunks, int64_t dv,
                   float *out);

/// One query row of an attention whose key chunks hold one key block each,
/// as the chunks' PEs and their combine compute it, without keeping each
/// chunk's output: `row` (the row's scores against every key) is folded in
/// place chunk by chunk, each from a fresh running softmax (foldScores over
/// keys [first, last) of `chunks`, `mask` one value per key or null, keys
/// from `visible` on hidden); each chunk's output is then the chain of
/// fused multiply-adds over its keys from zero (`values`: one row of `dv`
/// per key, leading dimension ldv), and the chunks are combined from the
/// last to the first as combineChunks does. The same bits as folding each
/// chunk, accumulating its output and calling combineChunks.
void attendChunkedRow(float *row,
                      absl::Span<const std::pair<int64_t, int64_t>> chunks,
                      float scale, const float *mask, int64_t visible,
                      const float *values, int64_t ldv, int64_t dv, float *out);

/// Checks every kernel's operand and result shapes against what it reads
/// and writes, and, with `hostLimits`, bounds the host memory a run needs.
absl::Status validateKernels(const plan::Plan &plan, bool hostLimits);

} // namespace wafer::runtime

#endif // WAFER_LIB_RUNTIME_KERNELS_H
