//===- Kernels.cpp - host math for the plan's kernels ---------------------===//
//
// fp32 math with a fixed order of reduction, so results are the same run to
// run. Matrix products are chains of fused multiply-adds in contraction
// order (ChainGemm.cpp); Eigen does the vectorised transcendental
// functions.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "ChainGemm.h"
#include "Parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "Eigen/Core"
#include "absl/strings/str_cat.h"
#include "unsupported/Eigen/SpecialFunctions"
#include "wafer/Core/CostModel.h"

namespace wafer::runtime {
namespace {

using Shape = std::vector<int64_t>;

int64_t count(const Shape &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Shape stridesOf(const Shape &shape) {
  Shape strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// For each element of `out`, the index of the element of an operand of
/// shape `in` that broadcasts to it.
std::vector<int64_t> broadcastMap(const Shape &out, const Shape &in) {
  int64_t n = count(out);
  size_t rank = out.size(), offset = rank - in.size();
  Shape inStrides = stridesOf(in), index(rank, 0);
  std::vector<int64_t> map(n);
  for (int64_t linear = 0; linear < n; ++linear) {
    int64_t at = 0;
    for (size_t d = offset; d < rank; ++d)
      if (in[d - offset] != 1)
        at += index[d] * inStrides[d - offset];
    map[linear] = at;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      if (++index[d] < out[d])
        break;
      index[d] = 0;
    }
  }
  return map;
}

/// The output of `shape` walked row by row (a row: its last dimension),
/// with each operand's offset at a row's start and its step along the row.
/// An operand reads through `strides` given in the output's dimensions (0
/// where it broadcasts; a transpose's permuted strides), so one inner loop
/// serves broadcasting and permuting without an index per element.
class RowWalk {
public:
  RowWalk(const Shape &shape, std::vector<Shape> strides)
      : shape(shape), strides(std::move(strides)) {
    inner = shape.empty() ? 1 : shape.back();
    rows = inner == 0 ? 0 : count(shape) / inner;
  }
  /// Strides in the output's dimensions of an operand of shape `in` that
  /// broadcasts to `out` (right-aligned, 0 along its size-1 and missing
  /// dimensions).
  static Shape broadcastStrides(const Shape &out, const Shape &in) {
    Shape strides(out.size(), 0), own = stridesOf(in);
    size_t offset = out.size() - in.size();
    for (size_t d = offset; d < out.size(); ++d)
      if (in[d - offset] != 1)
        strides[d] = own[d - offset];
    return strides;
  }
  /// Whether `in` broadcasts to `out` (right-aligned).
  static bool broadcasts(const Shape &in, const Shape &out) {
    if (in.size() > out.size())
      return false;
    for (size_t d = 0; d < in.size(); ++d)
      if (in[d] != 1 && in[d] != out[out.size() - in.size() + d])
        return false;
    return true;
  }
  int64_t step(size_t operand) const {
    return shape.empty() ? 0 : strides[operand].back();
  }
  /// Each operand's offset of row `row`'s first element.
  void offsets(int64_t row, int64_t *at) const {
    for (size_t k = 0; k < strides.size(); ++k)
      at[k] = 0;
    for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d) {
      int64_t index = row % shape[d];
      row /= shape[d];
      for (size_t k = 0; k < strides.size(); ++k)
        at[k] += index * strides[k][d];
    }
  }
  /// Runs `fn(firstRow, lastRow)` over fixed items of about `chunk`
  /// elements, spread over the pool.
  template <typename Fn> void forRows(int64_t chunk, Fn fn) const {
    int64_t perItem = std::max<int64_t>(1, chunk / std::max<int64_t>(inner, 1));
    parallelFor((rows + perItem - 1) / perItem, [&](int64_t item) {
      fn(item * perItem, std::min(rows, (item + 1) * perItem));
    });
  }

  int64_t inner, rows;

private:
  Shape shape;
  std::vector<Shape> strides;
};

/// Rounds to bfloat16 (nearest, ties to even).
float roundBf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7f800000u) == 0x7f800000u)
    return f; // Inf and NaN.
  bits += 0x7fffu + ((bits >> 16) & 1);
  bits &= 0xffff0000u;
  std::memcpy(&f, &bits, 4);
  return f;
}

/// Rounds to IEEE half precision (nearest, ties to even; overflow to Inf).
float roundF16(float f) {
  if (!std::isfinite(f) || f == 0)
    return f;
  int exponent;
  std::frexp(f, &exponent); // f = m * 2^exponent, 0.5 <= |m| < 1.
  // Half keeps 11 significant bits; below 2^-14 the spacing is 2^-24.
  int shift = std::max(exponent - 11, -24);
  float rounded = std::nearbyint(std::ldexp(f, -shift));
  float value = std::ldexp(rounded, shift);
  return std::fabs(value) > 65504.0f ? std::copysign(INFINITY, f) : value;
}

void store(Array &out, int64_t i, double v) {
  if (out.type == plan::BF16)
    out.floats[i] = roundBf16(static_cast<float>(v));
  else if (out.type == plan::F16)
    out.floats[i] = roundF16(static_cast<float>(v));
  else if (out.isFloat())
    out.floats[i] = static_cast<float>(v);
  else if (out.type == plan::I1)
    out.ints[i] = v != 0;
  else
    out.ints[i] = static_cast<int64_t>(v);
}

void copyElement(const Array &in, int64_t from, Array &out, int64_t to) {
  if (in.isFloat())
    out.floats[to] = in.floats[from];
  else
    out.ints[to] = in.ints[from];
}

/// Copies `length` elements from `in` at `from` to `out` at `to`.
void copyRange(const Array &in, int64_t from, Array &out, int64_t to,
               int64_t length) {
  if (in.isFloat())
    std::copy_n(in.floats.begin() + from, length, out.floats.begin() + to);
  else
    std::copy_n(in.ints.begin() + from, length, out.ints.begin() + to);
}

double erfGelu(double x) {
  return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
}
double tanhGelu(double x) {
  return 0.5 * x *
         (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

/// Elementwise over broadcast operands. Operands of the result's shape and
/// single elements need no index map.
template <typename Fn>
void elementwise(const std::vector<const Array *> &in, Array &out, Fn fn) {
  int64_t n = out.size();
  bool simple = true;
  for (const Array *a : in)
    simple &= a->shape == out.shape || a->size() == 1;
  bool allFloat = out.type == plan::F32;
  for (const Array *a : in)
    allFloat &= a->type == plan::F32;
  if (simple && allFloat && in.size() <= 3) {
    // The common case: fp32 operands of the result's shape or scalars.
    const float *p[3] = {nullptr, nullptr, nullptr};
    int64_t step[3] = {0, 0, 0};
    for (size_t k = 0; k < in.size(); ++k) {
      p[k] = in[k]->floats.data();
      step[k] = in[k]->size() == 1 && n != 1 ? 0 : 1;
    }
    double args[3];
    for (int64_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < in.size(); ++k)
        args[k] = p[k][i * step[k]];
      out.floats[i] = static_cast<float>(fn(args));
    }
    return;
  }
  if (simple) {
    std::vector<double> args(in.size());
    std::vector<bool> scalar;
    for (const Array *a : in)
      scalar.push_back(a->size() == 1 && n != 1);
    for (int64_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < in.size(); ++k)
        args[k] = in[k]->get(scalar[k] ? 0 : i);
      store(out, i, fn(args.data()));
    }
    return;
  }
  std::vector<std::vector<int64_t>> maps;
  for (const Array *a : in)
    maps.push_back(broadcastMap(out.shape, a->shape));
  std::vector<double> args(in.size());
  for (int64_t i = 0, n = out.size(); i < n; ++i) {
    for (size_t k = 0; k < in.size(); ++k)
      args[k] = in[k]->get(maps[k][i]);
    store(out, i, fn(args.data()));
  }
}

/// Elements per work item of the elementwise kernels.
constexpr int64_t kElementChunk = 4096;

/// The common elementwise case in float: fp32 operands of the result's shape
/// or single elements, `fn(const float *args)` per element, in fixed chunks
/// spread over the pool. False when the operands are not of that kind.
template <typename Fn>
bool floatElementwise(const std::vector<const Array *> &in, Array &out, Fn fn) {
  int64_t n = out.size();
  if (out.type != plan::F32 || in.size() > 3)
    return false;
  const float *p[3] = {nullptr, nullptr, nullptr};
  int64_t step[3] = {0, 0, 0};
  for (size_t k = 0; k < in.size(); ++k) {
    if (in[k]->type != plan::F32 ||
        (in[k]->shape != out.shape && in[k]->size() != 1))
      return false;
    p[k] = in[k]->floats.data();
    step[k] = in[k]->size() == 1 && n != 1 ? 0 : 1;
  }
  float *o = out.floats.data();
  size_t arity = in.size();
  parallelFor((n + kElementChunk - 1) / kElementChunk, [&](int64_t chunk) {
    int64_t end = std::min(n, (chunk + 1) * kElementChunk);
    float args[3];
    for (int64_t i = chunk * kElementChunk; i < end; ++i) {
      for (size_t k = 0; k < arity; ++k)
        args[k] = p[k][i * step[k]];
      o[i] = fn(args);
    }
  });
  return true;
}

/// A binary fp32 operation of operands that broadcast to the result, row
/// by row with the operation inlined, so that the rows vectorise. False
/// when the operands are not of that kind.
template <typename Op>
bool floatBinary(const Array &a, const Array &b, Array &out, Op op) {
  if (out.type != plan::F32 || a.type != plan::F32 || b.type != plan::F32 ||
      !RowWalk::broadcasts(a.shape, out.shape) ||
      !RowWalk::broadcasts(b.shape, out.shape))
    return false;
  RowWalk walk(out.shape, {RowWalk::broadcastStrides(out.shape, a.shape),
                           RowWalk::broadcastStrides(out.shape, b.shape)});
  const int64_t stepA = walk.step(0), stepB = walk.step(1), n = walk.inner;
  walk.forRows(kElementChunk, [&](int64_t first, int64_t last) {
    int64_t at[2];
    for (int64_t row = first; row < last; ++row) {
      walk.offsets(row, at);
      const float *x = a.floats.data() + at[0], *y = b.floats.data() + at[1];
      float *o = out.floats.data() + row * n;
      if (stepA == 1 && stepB == 1) {
        for (int64_t i = 0; i < n; ++i)
          o[i] = op(x[i], y[i]);
      } else if (stepA == 1 && stepB == 0) {
        const float c = y[0];
        for (int64_t i = 0; i < n; ++i)
          o[i] = op(x[i], c);
      } else if (stepA == 0 && stepB == 1) {
        const float c = x[0];
        for (int64_t i = 0; i < n; ++i)
          o[i] = op(c, y[i]);
      } else {
        for (int64_t i = 0; i < n; ++i)
          o[i] = op(x[i * stepA], y[i * stepB]);
      }
    }
  });
  return true;
}

/// A unary fp32 kernel on whole chunks: `fn(x, out)` on Eigen arrays of
/// up to kElementChunk elements, so the math is vectorised. False when the
/// operand is not fp32 of the result's shape.
template <typename Fn> bool floatChunks(const Array &in, Array &out, Fn fn) {
  if (out.type != plan::F32 || in.type != plan::F32 || in.shape != out.shape)
    return false;
  int64_t n = out.size();
  parallelFor((n + kElementChunk - 1) / kElementChunk, [&](int64_t chunk) {
    int64_t begin = chunk * kElementChunk;
    int64_t length = std::min(n, begin + kElementChunk) - begin;
    // On aligned copies: Eigen does an unaligned head in scalar math, which
    // rounds differently, so results would depend on where malloc put the
    // data. Aligned, only the chunk's tail is scalar: fixed by the shape.
    thread_local Eigen::ArrayXf alignedIn, alignedOut;
    alignedIn =
        Eigen::Map<const Eigen::ArrayXf>(in.floats.data() + begin, length);
    alignedOut.resize(length);
    Eigen::Map<const Eigen::ArrayXf> x(alignedIn.data(), length);
    Eigen::Map<Eigen::ArrayXf> o(alignedOut.data(), length);
    fn(x, o);
    std::copy_n(alignedOut.data(), length, out.floats.data() + begin);
  });
  return true;
}

int64_t normalize(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Applies `fn(row, length)` to each row of length `inner` of contiguous
/// floats: the trailing dimensions from `axis`.
template <typename Fn> void rows(Array &a, int64_t axis, Fn fn) {
  int64_t inner = 1;
  for (size_t d = axis; d < a.shape.size(); ++d)
    inner *= a.shape[d];
  if (inner == 0)
    return;
  int64_t count = a.size() / inner, perItem = 64;
  parallelFor((count + perItem - 1) / perItem, [&](int64_t item) {
    for (int64_t r = item * perItem; r < std::min(count, (item + 1) * perItem);
         ++r)
      fn(&a.floats[r * inner], inner);
  });
}

/// Softmax (or log-softmax) along `axis` of a float array, in place.
void softmaxAlong(Array &a, int64_t axis, bool log) {
  int64_t rank = a.shape.size();
  int64_t extent = a.shape[axis];
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < rank; ++d)
    inner *= a.shape[d];
  int64_t outer = a.size() / (extent * inner);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      float *base = &a.floats[o * extent * inner + i];
      float max = -INFINITY;
      for (int64_t e = 0; e < extent; ++e)
        max = std::max(max, base[e * inner]);
      double sum = 0;
      for (int64_t e = 0; e < extent; ++e)
        sum += std::exp(static_cast<double>(base[e * inner]) - max);
      for (int64_t e = 0; e < extent; ++e) {
        double shifted = static_cast<double>(base[e * inner]) - max;
        base[e * inner] = static_cast<float>(log ? shifted - std::log(sum)
                                                 : std::exp(shifted) / sum);
      }
    }
}

/// Output rows and panels of B per work item of a matrix product: items
/// cut by shape only, so the threads never change the result.
constexpr int64_t kItemTiles = 8, kItemPanels = 4;

absl::Status matmul(const plan::Kernel &k, const std::vector<const Array *> &in,
                    Array &out) {
  const Array &a = *in[0], &b = *in[1];
  bool ta = attrInt(k, "transpose_lhs", 0), tb = attrInt(k, "transpose_rhs", 0);
  int64_t ar = a.shape.size(), br = b.shape.size();
  int64_t m = ta ? a.shape[ar - 1] : a.shape[ar - 2];
  int64_t kk = ta ? a.shape[ar - 2] : a.shape[ar - 1];
  int64_t n = tb ? b.shape[br - 2] : b.shape[br - 1];
  Shape batch(out.shape.begin(), out.shape.end() - 2);
  Shape aBatch(a.shape.begin(), a.shape.end() - 2),
      bBatch(b.shape.begin(), b.shape.end() - 2);
  std::vector<int64_t> aMap = broadcastMap(batch, aBatch),
                       bMap = broadcastMap(batch, bBatch);
  int64_t aStride = a.shape[ar - 1] * a.shape[ar - 2],
          bStride = b.shape[br - 1] * b.shape[br - 2];
  // B packed once per batch it has (a weight has one), then items of
  // output rows by panels; a transposed operand is read through its strides.
  int64_t batches = count(batch);
  auto lhsOf = [&](int64_t i) {
    const float *data = &a.floats[aMap[i] * aStride];
    return ta ? MatrixView{data, 1, a.shape[ar - 1]}
              : MatrixView{data, a.shape[ar - 1], 1};
  };
  std::vector<int64_t> packedIndex(batches, -1), packedBatches;
  std::vector<int64_t> slotOf(count(bBatch), -1);
  for (int64_t i = 0; i < batches; ++i) {
    int64_t &slot = slotOf[bMap[i]];
    if (slot < 0) {
      slot = packedBatches.size();
      packedBatches.push_back(bMap[i]);
    }
    packedIndex[i] = slot;
  }
  ChainGemm gemm(kk, n);
  size_t packedSize = gemm.packedSize();
  float *packed = sharedPackBuffer(packedSize * packedBatches.size());
  int64_t panelItems = (gemm.panels() + kItemPanels - 1) / kItemPanels;
  parallelFor(packedBatches.size() * panelItems, [&](int64_t item) {
    int64_t slot = item / panelItems, p0 = item % panelItems * kItemPanels;
    const float *data = &b.floats[packedBatches[slot] * bStride];
    MatrixView rhs = tb ? MatrixView{data, 1, b.shape[br - 1]}
                        : MatrixView{data, b.shape[br - 1], 1};
    gemm.packRhs(rhs, packed + slot * packedSize, p0,
                 std::min(gemm.panels(), p0 + kItemPanels));
  });
  int64_t itemRows = kItemTiles * ChainGemm::tileRows();
  int64_t rowItems = (m + itemRows - 1) / itemRows;
  parallelFor(batches * rowItems * panelItems, [&](int64_t item) {
    int64_t i = item / (rowItems * panelItems);
    int64_t r0 = item / panelItems % rowItems * itemRows;
    int64_t p0 = item % panelItems * kItemPanels;
    gemm.run(lhsOf(i), packed + packedIndex[i] * packedSize,
             &out.floats[i * m * n], n, r0, std::min(m, r0 + itemRows), p0,
             std::min(gemm.panels(), p0 + kItemPanels), false);
  });
  if (in.size() > 2) {
    // Bias: the verifier allows any shape that broadcasts; a row vector is
    // the Linear case and is added row by row.
    const Array &bias = *in[2];
    if (bias.size() == n) {
      for (int64_t row = 0, rows = out.size() / n; row < rows; ++row)
        for (int64_t c = 0; c < n; ++c)
          out.floats[row * n + c] += bias.floats[c];
    } else {
      Array product = out;
      elementwise({&product, in[2]}, out,
                  [](const double *v) { return v[0] + v[1]; });
    }
  }
  return absl::OkStatus();
}

absl::Status attention(const plan::Kernel &k,
                       const std::vector<const Array *> &in, Array &out) {
  const Array &q = *in[0], &key = *in[1], &v = *in[2];
  const Array *mask = in.size() > 3 ? in[3] : nullptr;
  int64_t heads = attrInt(k, "num_heads", 1);
  int64_t kvHeads = attrInt(k, "num_kv_heads", heads);
  float scale = static_cast<float>(attrFloat(k, "scale", 1.0));
  bool causal = attrInt(k, "causal", 0);
  int64_t batch = q.shape[0], sq = q.shape[1], sk = key.shape[1];
  int64_t dh = q.shape[2] / heads, dv = v.shape[2] / kvHeads;
  std::array<int64_t, 4> maskStride = {0, 0, 0, 0};
  if (mask)
    maskStride = broadcastStrides4(mask->shape);
  // Per (batch, head), as a PE of the attention tiling computes it with one
  // key block and one chunk: scores as chains over the head dimension,
  // folded into each row's running softmax, each output element one chain
  // over the keys in order, then divided by its row's sum (Q, K, V and O
  // are strided views of the merged tensors).
  parallelFor(batch * heads, [&](int64_t item) {
    int64_t b = item / heads, h = item % heads;
    int64_t g = h / (heads / kvHeads);
    const float *Q = &q.floats[b * sq * q.shape[2] + h * dh];
    const float *K = &key.floats[b * sk * key.shape[2] + g * dh];
    const float *V = &v.floats[b * sk * v.shape[2] + g * dv];
    float *O = &out.floats[b * sq * out.shape[2] + h * dv];
    std::vector<float> keysT(dh * sk), scores(sq * sk, 0.0f), maskRow;
    std::vector<RunningSoftmax> running(sq);
    transposeInto(K, key.shape[2], sk, dh, keysT.data());
    accumulateProduct(Q, q.shape[2], keysT.data(), sk, scores.data(), sk, sq,
                      dh, sk);
    if (mask)
      maskRow.resize(sk);
    for (int64_t i = 0; i < sq; ++i) {
      if (mask)
        for (int64_t j = 0; j < sk; ++j)
          maskRow[j] = mask->floats[b * maskStride[0] + h * maskStride[1] +
                                    i * maskStride[2] + j * maskStride[3]];
      foldScores(&scores[i * sk], sk, scale, mask ? maskRow.data() : nullptr,
                 causal ? i + 1 : sk, running[i]);
    }
    for (int64_t i = 0; i < sq; ++i)
      std::fill_n(&O[i * out.shape[2]], dv, 0.0f);
    accumulateProduct(scores.data(), sk, V, v.shape[2], O, out.shape[2], sq, sk,
                      dv);
    for (int64_t i = 0; i < sq; ++i) {
      float *row = &O[i * out.shape[2]];
      combineChunks({ChunkResult{running[i].max, running[i].sum, row}}, dv,
                    row);
    }
  });
  return absl::OkStatus();
}

absl::Status reduce(const plan::Kernel &k, const Array &in, Array &out) {
  sem::ReduceKind kind =
      attrEnum(k, "kind", sem::reduceKindNames(), sem::ReduceKind::sum);
  Shape axes = attrInts(k, "axes");
  int64_t rank = in.shape.size();
  std::vector<bool> reduced(rank, false);
  int64_t group = 1;
  for (int64_t a : axes) {
    reduced[normalize(a, rank)] = true;
    group *= in.shape[normalize(a, rank)];
  }
  // Where every output element's accumulation starts.
  const double identity = kind == sem::ReduceKind::max    ? -INFINITY
                          : kind == sem::ReduceKind::min  ? INFINITY
                          : kind == sem::ReduceKind::prod ? 1.0
                                                          : 0.0;
  if (in.type == plan::F32 && out.size() > 0) {
    // Reduced axes in one run [first, last): the input is outer x group x
    // inner and each output element takes its group in order, in double,
    // as the element-by-element walk below does.
    std::vector<int64_t> sorted;
    for (int64_t a : axes)
      sorted.push_back(normalize(a, rank));
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    bool run = !sorted.empty() && sorted.back() - sorted.front() + 1 ==
                                      static_cast<int64_t>(sorted.size());
    if (run) {
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < sorted.front(); ++d)
        outer *= in.shape[d];
      for (int64_t d = sorted.back() + 1; d < rank; ++d)
        inner *= in.shape[d];

      int64_t pieces = (inner + kElementChunk - 1) / kElementChunk;
      parallelFor(outer * pieces, [&](int64_t item) {
        int64_t o = item / pieces, i0 = item % pieces * kElementChunk;
        int64_t width = std::min(kElementChunk, inner - i0);
        std::vector<double> acc(width, identity);
        for (int64_t g = 0; g < group; ++g) {
          const float *x = &in.floats[(o * group + g) * inner + i0];
          switch (kind) {
          case sem::ReduceKind::sum:
          case sem::ReduceKind::mean:
            for (int64_t i = 0; i < width; ++i)
              acc[i] += x[i];
            break;
          case sem::ReduceKind::max:
            for (int64_t i = 0; i < width; ++i)
              acc[i] = std::max(acc[i], static_cast<double>(x[i]));
            break;
          case sem::ReduceKind::min:
            for (int64_t i = 0; i < width; ++i)
              acc[i] = std::min(acc[i], static_cast<double>(x[i]));
            break;
          case sem::ReduceKind::prod:
            for (int64_t i = 0; i < width; ++i)
              acc[i] *= x[i];
            break;
          }
        }
        for (int64_t i = 0; i < width; ++i)
          store(out, o * inner + i0 + i,
                kind == sem::ReduceKind::mean ? acc[i] / group : acc[i]);
      });
      return absl::OkStatus();
    }
  }
  // Output index of each input element.
  Shape keep;
  for (int64_t d = 0; d < rank; ++d)
    keep.push_back(reduced[d] ? 1 : in.shape[d]);
  Shape keepStrides = stridesOf(keep), index(rank, 0);
  std::vector<double> acc(out.size(), identity);
  for (int64_t linear = 0; linear < in.size(); ++linear) {
    int64_t o = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (!reduced[d])
        o += index[d] * keepStrides[d];
    double v = in.get(linear);
    switch (kind) {
    case sem::ReduceKind::sum:
    case sem::ReduceKind::mean:
      acc[o] += v;
      break;
    case sem::ReduceKind::max:
      acc[o] = std::max(acc[o], v);
      break;
    case sem::ReduceKind::min:
      acc[o] = std::min(acc[o], v);
      break;
    case sem::ReduceKind::prod:
      acc[o] *= v;
      break;
    }
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < in.shape[d])
        break;
      index[d] = 0;
    }
  }
  for (int64_t i = 0; i < out.size(); ++i)
    store(out, i, kind == sem::ReduceKind::mean ? acc[i] / group : acc[i]);
  return absl::OkStatus();
}

/// select(c, a, b) for fp32 values (any condition type) broadcasting to
/// the result, row by row. False when the values are not fp32.
bool selectFloats(const Array &c, const Array &a, const Array &b, Array &out) {
  if (out.type != plan::F32 || a.type != plan::F32 || b.type != plan::F32)
    return false;
  const Shape *shapes[3] = {&c.shape, &a.shape, &b.shape};
  std::vector<Shape> strides;
  for (const Shape *shape : shapes) {
    if (!RowWalk::broadcasts(*shape, out.shape))
      return false;
    strides.push_back(RowWalk::broadcastStrides(out.shape, *shape));
  }
  RowWalk walk(out.shape, std::move(strides));
  int64_t steps[3] = {walk.step(0), walk.step(1), walk.step(2)};
  walk.forRows(kElementChunk, [&](int64_t first, int64_t last) {
    int64_t at[3];
    for (int64_t row = first; row < last; ++row) {
      walk.offsets(row, at);
      float *target = &out.floats[row * walk.inner];
      for (int64_t i = 0; i < walk.inner; ++i) {
        int64_t ci = at[0] + i * steps[0];
        bool pick = c.isFloat() ? c.floats[ci] != 0 : c.ints[ci] != 0;
        target[i] = pick ? a.floats[at[1] + i * steps[1]]
                         : b.floats[at[2] + i * steps[2]];
      }
    }
  });
  return true;
}

void transpose(const Array &in, const Shape &perm, Array &out) {
  if (in.isFloat() && !perm.empty()) {
    // Row by row of the output, reading the input with permuted strides.
    Shape inStrides = stridesOf(in.shape), permuted;
    for (int64_t axis : perm)
      permuted.push_back(inStrides[axis]);
    RowWalk walk(out.shape, {permuted});
    int64_t step = walk.step(0);
    const float *from = in.floats.data();
    walk.forRows(kElementChunk, [&](int64_t first, int64_t last) {
      for (int64_t row = first; row < last; ++row) {
        int64_t at;
        walk.offsets(row, &at);
        float *target = &out.floats[row * walk.inner];
        for (int64_t i = 0; i < walk.inner; ++i)
          target[i] = from[at + i * step];
      }
    });
    return;
  }
  Shape inStrides = stridesOf(in.shape), index(perm.size(), 0);
  for (int64_t linear = 0; linear < out.size(); ++linear) {
    int64_t from = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      from += index[d] * inStrides[perm[d]];
    copyElement(in, from, out, linear);
    for (int64_t d = static_cast<int64_t>(perm.size()) - 1; d >= 0; --d) {
      if (++index[d] < out.shape[d])
        break;
      index[d] = 0;
    }
  }
}

void slice(const Array &in, const Shape &offsets, const Shape &strides,
           Array &out) {
  Shape inStrides = stridesOf(in.shape), index(out.shape.size(), 0);
  for (int64_t linear = 0; linear < out.size(); ++linear) {
    int64_t from = 0;
    for (size_t d = 0; d < index.size(); ++d)
      from += (offsets[d] + index[d] * strides[d]) * inStrides[d];
    copyElement(in, from, out, linear);
    for (int64_t d = static_cast<int64_t>(index.size()) - 1; d >= 0; --d) {
      if (++index[d] < out.shape[d])
        break;
      index[d] = 0;
    }
  }
}

/// An elementwise op in float and in double, from one generic lambda.
struct UnaryFn {
  float (*single)(float);
  double (*wide)(double);
};
template <typename Fn> UnaryFn unaryFn(Fn fn) { return {fn, fn}; }

/// Calls `use(op)` with the generic lambda of binary elementwise `kind`
/// (float or double in, the same type out); false if it is not one.
template <typename Use> bool withBinaryOp(sem::OpKind kind, Use use) {
  using sem::OpKind;
  switch (kind) {
  case OpKind::add:
    use([](auto a, auto b) { return a + b; });
    return true;
  case OpKind::sub:
    use([](auto a, auto b) { return a - b; });
    return true;
  case OpKind::mul:
    use([](auto a, auto b) { return a * b; });
    return true;
  case OpKind::div:
    use([](auto a, auto b) { return a / b; });
    return true;
  case OpKind::pow:
    use([](auto a, auto b) { return std::pow(a, b); });
    return true;
  case OpKind::max:
    use([](auto a, auto b) { return std::max(a, b); });
    return true;
  case OpKind::min:
    use([](auto a, auto b) { return std::min(a, b); });
    return true;
  case OpKind::logicalAnd:
    use([](auto a, auto b) { return decltype(a)(a != 0 && b != 0); });
    return true;
  case OpKind::logicalOr:
    use([](auto a, auto b) { return decltype(a)(a != 0 || b != 0); });
    return true;
  default:
    return false;
  }
}

} // namespace

void accumulateProduct(const float *a, int64_t lda, const float *b, int64_t ldb,
                       float *c, int64_t ldc, int64_t rows, int64_t k,
                       int64_t n) {
  chainProduct({a, lda}, {b, ldb}, c, ldc, rows, k, n, true);
}

void productInto(const float *a, int64_t lda, const float *b, int64_t ldb,
                 float *c, int64_t ldc, int64_t rows, int64_t k, int64_t n) {
  chainProduct({a, lda}, {b, ldb}, c, ldc, rows, k, n, false);
}

void normRow(float *row, int64_t n, int64_t blocks, bool layerNorm, double eps,
             const float *scale, const float *bias) {
  // Block j's partial sums of the values and their squares, in order, then
  // the chain from the last block to the first: s_0 + (s_1 + (... + s_last)).
  // PEs of a line longer than the row hold none of it and add nothing.
  blocks = std::min(blocks, std::max<int64_t>(n, 1));
  double sum = 0, squares = 0;
  for (int64_t j = blocks - 1; j >= 0; --j) {
    auto [begin, end] = core::partOf(n, blocks, j);
    double partial = 0, partialSquares = 0;
    for (int64_t i = begin; i < end; ++i) {
      partial += row[i];
      partialSquares += static_cast<double>(row[i]) * row[i];
    }
    sum = j == blocks - 1 ? partial : partial + sum;
    squares = j == blocks - 1 ? partialSquares : partialSquares + squares;
  }
  // One pass: E[x^2] - mean^2, in double over float inputs.
  double mean = layerNorm ? sum / n : 0;
  double var = std::max(0.0, squares / n - mean * mean);
  double inv = 1 / std::sqrt(var + eps);
  for (int64_t i = 0; i < n; ++i)
    row[i] = static_cast<float>((row[i] - mean) * inv * scale[i] +
                                (bias ? bias[i] : 0.0));
}

namespace {
/// Scales a row of scores, adds the mask, hides keys from `visible` on;
/// returns the maximum.
float maskScores(float *row, int64_t keys, float scale, const float *mask,
                 int64_t visible) {
  float max = -INFINITY;
  for (int64_t j = 0; j < keys; ++j) {
    float s = row[j] * scale;
    if (mask)
      s += mask[j];
    if (j >= visible)
      s = -INFINITY;
    row[j] = s;
    max = std::max(max, s);
  }
  return max;
}
} // namespace

std::array<int64_t, 4> broadcastStrides4(const std::vector<int64_t> &shape) {
  std::array<int64_t, 4> strides = {0, 0, 0, 0};
  int64_t rank = shape.size(), stride = 1;
  for (int64_t d = 3; d >= 0 && d >= 4 - rank; --d) {
    int64_t size = shape[d - (4 - rank)];
    strides[d] = size == 1 ? 0 : stride;
    stride *= size;
  }
  return strides;
}

void transposeInto(const float *src, int64_t ld, int64_t rows, int64_t cols,
                   float *dst) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      dst[c * rows + r] = src[r * ld + c];
}

float foldScores(float *row, int64_t keys, float scale, const float *mask,
                 int64_t visible, RunningSoftmax &running) {
  float merged =
      std::max(running.max, maskScores(row, keys, scale, mask, visible));
  if (merged == -INFINITY) {
    std::fill_n(row, keys, 0.0f);
    return 1; // Nothing visible yet.
  }
  double sum = 0;
  for (int64_t j = 0; j < keys; ++j) {
    row[j] = std::exp(row[j] - merged);
    sum += row[j];
  }
  // Before anything was visible the running sum and output are zero.
  float rescale =
      running.max == -INFINITY ? 1.0f : std::exp(running.max - merged);
  running.sum = running.sum * rescale + sum;
  running.max = merged;
  return rescale;
}

void combineChunks(absl::Span<const ChunkResult> chunks, int64_t dv,
                   float *out) {
  const ChunkResult &last = chunks.back();
  double max = last.max, sum = last.sum;
  if (chunks.size() == 1) {
    for (int64_t d = 0; d < dv; ++d)
      out[d] = static_cast<float>(last.output[d] / sum);
    return;
  }
  thread_local std::vector<double> output; // Called once per query row.
  output.assign(last.output, last.output + dv);
  for (int64_t c = static_cast<int64_t>(chunks.size()) - 2; c >= 0; --c) {
    const ChunkResult &own = chunks[c];
    double merged = std::max<double>(max, own.max);
    if (merged == -INFINITY)
      continue; // Nothing visible yet on either side.
    double running = std::exp(max - merged), mine = std::exp(own.max - merged);
    sum = sum * running + own.sum * mine;
    for (int64_t d = 0; d < dv; ++d)
      output[d] = output[d] * running + own.output[d] * mine;
    max = merged;
  }
  for (int64_t d = 0; d < dv; ++d)
    out[d] = static_cast<float>(output[d] / sum);
}

void attendChunkedRow(float *row,
                      absl::Span<const std::pair<int64_t, int64_t>> chunks,
                      float scale, const float *mask, int64_t visible,
                      const float *values, int64_t ldv, int64_t dv,
                      float *out) {
  // Each chunk's fold, then its output as combineChunks would read it.
  thread_local std::vector<RunningSoftmax> running;
  thread_local std::vector<float> own;
  thread_local std::vector<double> output;
  running.assign(chunks.size(), RunningSoftmax());
  own.resize(dv);
  for (size_t c = 0; c < chunks.size(); ++c) {
    auto [first, last] = chunks[c];
    foldScores(row + first, last - first, scale, mask ? mask + first : nullptr,
               std::clamp<int64_t>(visible - first, 0, last - first),
               running[c]);
  }
  auto chunkOutput = [&](size_t c) {
    auto [first, last] = chunks[c];
    std::fill(own.begin(), own.end(), 0.0f);
    for (int64_t k = first; k < last; ++k) {
      const float weight = row[k], *v = values + k * ldv;
      for (int64_t d = 0; d < dv; ++d)
        own[d] = std::fma(weight, v[d], own[d]);
    }
  };
  size_t lastChunk = chunks.size() - 1;
  chunkOutput(lastChunk);
  double max = running[lastChunk].max, sum = running[lastChunk].sum;
  if (chunks.size() == 1) {
    for (int64_t d = 0; d < dv; ++d)
      out[d] = static_cast<float>(own[d] / sum);
    return;
  }
  output.assign(own.begin(), own.end());
  for (int64_t c = static_cast<int64_t>(lastChunk) - 1; c >= 0; --c) {
    double merged = std::max<double>(max, running[c].max);
    if (merged == -INFINITY)
      continue; // Nothing visible yet on either side.
    chunkOutput(c);
    double keep = std::exp(max - merged),
           mine = std::exp(running[c].max - merged);
    sum = sum * keep + running[c].sum * mine;
    for (int64_t d = 0; d < dv; ++d)
      output[d] = output[d] * keep + own[d] * mine;
    max = merged;
  }
  for (int64_t d = 0; d < dv; ++d)
    out[d] = static_cast<float>(output[d] / sum);
}

bool writesEveryElement(const plan::Kernel &kernel) {
  std::optional<sem::OpKind> kind = sem::opKindOf(kernel.op());
  if (!kind)
    return false;
  switch (sem::opFamily(*kind)) {
  case sem::OpFamily::unary:
  case sem::OpFamily::broadcasting:
  case sem::OpFamily::matmul:
  case sem::OpFamily::norm:
  case sem::OpFamily::softmax:
  case sem::OpFamily::reduce:
  case sem::OpFamily::transpose:
    return true;
  default:
    return false;
  }
}

absl::Status runKernel(const plan::Kernel &k,
                       const std::vector<const Array *> &in,
                       std::vector<Array> &out) {
  const std::string &op = k.op();
  if (out.empty())
    return absl::InvalidArgumentError(op + " has no results");
  // Dispatch on the op's kind (wafer/Semantics), not on its name.
  std::optional<sem::OpKind> found = sem::opKindOf(op);
  if (!found)
    return absl::UnimplementedError(
        absl::StrCat("wafer-run has no kernel for '", op, "'"));
  using sem::OpKind;
  const OpKind kind = *found;
  Array &r = out[0];
  // The vectorised fp32 paths first: whole chunks on Eigen arrays.
  using ConstChunk = Eigen::Map<const Eigen::ArrayXf>;
  using Chunk = Eigen::Map<Eigen::ArrayXf>;
  const bool tanhGeluForm =
      attrEnum(k, "approximation", sem::geluApproximationNames(),
               sem::GeluApproximation::erf) == sem::GeluApproximation::tanh;
  if (kind == OpKind::gelu && tanhGeluForm &&
      floatChunks(*in[0], r, [](const ConstChunk &x, Chunk &o) {
        o = 0.5f * x *
            (1 + (0.7978845608f * (x + 0.044715f * x.cube())).tanh());
      }))
    return absl::OkStatus();
  if (kind == OpKind::gelu && !tanhGeluForm &&
      floatChunks(*in[0], r, [](const ConstChunk &x, Chunk &o) {
        o = 0.5f * x * (1 + (x * 0.70710678f).erf());
      }))
    return absl::OkStatus();
  if (kind == OpKind::tanh &&
      floatChunks(*in[0], r,
                  [](const ConstChunk &x, Chunk &o) { o = x.tanh(); }))
    return absl::OkStatus();
  if (kind == OpKind::exp &&
      floatChunks(*in[0], r,
                  [](const ConstChunk &x, Chunk &o) { o = x.exp(); }))
    return absl::OkStatus();
  if (kind == OpKind::erf &&
      floatChunks(*in[0], r,
                  [](const ConstChunk &x, Chunk &o) { o = x.erf(); }))
    return absl::OkStatus();
  if (kind == OpKind::sigmoid &&
      floatChunks(*in[0], r, [](const ConstChunk &x, Chunk &o) {
        o = 1 / (1 + (-x).exp());
      }))
    return absl::OkStatus();
  if (kind == OpKind::silu &&
      floatChunks(*in[0], r, [](const ConstChunk &x, Chunk &o) {
        o = x / (1 + (-x).exp());
      }))
    return absl::OkStatus();
  // Then each elementwise op once for float (the fp32 fast path) and for
  // double (every other element type, and broadcasting).
  static const std::map<OpKind, UnaryFn> unary = {
      {OpKind::neg, unaryFn([](auto x) { return -x; })},
      {OpKind::abs, unaryFn([](auto x) { return std::fabs(x); })},
      {OpKind::exp, unaryFn([](auto x) { return std::exp(x); })},
      {OpKind::log, unaryFn([](auto x) { return std::log(x); })},
      {OpKind::sqrt, unaryFn([](auto x) { return std::sqrt(x); })},
      {OpKind::rsqrt, unaryFn([](auto x) { return 1 / std::sqrt(x); })},
      {OpKind::reciprocal, unaryFn([](auto x) { return 1 / x; })},
      {OpKind::tanh, unaryFn([](auto x) { return std::tanh(x); })},
      {OpKind::sigmoid, unaryFn([](auto x) { return 1 / (1 + std::exp(-x)); })},
      {OpKind::erf, unaryFn([](auto x) { return std::erf(x); })},
      {OpKind::sin, unaryFn([](auto x) { return std::sin(x); })},
      {OpKind::cos, unaryFn([](auto x) { return std::cos(x); })},
      {OpKind::relu,
       unaryFn([](auto x) { return x > 0 ? x : decltype(x)(0); })},
      {OpKind::silu, unaryFn([](auto x) { return x / (1 + std::exp(-x)); })},
      {OpKind::logicalNot, unaryFn([](auto x) { return decltype(x)(x == 0); })},
      {OpKind::cast, unaryFn([](auto x) { return x; })},
  };
  if (auto it = unary.find(kind); it != unary.end()) {
    float (*single)(float) = it->second.single;
    if (floatElementwise({in[0]}, r,
                         [single](const float *v) { return single(v[0]); }))
      return absl::OkStatus();
    double (*fn)(double) = it->second.wide;
    if (kind == OpKind::cast && !r.isFloat() && r.type != plan::I1 &&
        in[0]->isFloat())
      fn = [](double x) { return std::trunc(x); };
    elementwise({in[0]}, r, [fn](const double *v) { return fn(v[0]); });
    return absl::OkStatus();
  }
  // Binary kinds: the same lambda inlined in the fp32 rows (broadcasting
  // included) and in the generic path, where it runs in double.
  bool binaryDone = withBinaryOp(kind, [&](auto op) {
    if (floatBinary(*in[0], *in[1], r,
                    [op](float a, float b) { return op(a, b); }))
      return;
    if (kind == OpKind::div && !r.isFloat())
      elementwise({in[0], in[1]}, r, [](const double *v) {
        return v[1] == 0 ? 0.0 : std::trunc(v[0] / v[1]);
      });
    else
      elementwise({in[0], in[1]}, r,
                  [op](const double *v) { return op(v[0], v[1]); });
  });
  if (binaryDone)
    return absl::OkStatus();
  if (kind == OpKind::gelu) {
    elementwise({in[0]}, r, [&](const double *v) {
      return tanhGeluForm ? tanhGelu(v[0]) : erfGelu(v[0]);
    });
    return absl::OkStatus();
  }
  if (kind == OpKind::compare) {
    sem::CompareKind predicate =
        attrEnum(k, "predicate", sem::compareKindNames(), sem::CompareKind::eq);
    elementwise({in[0], in[1]}, r, [&](const double *v) -> double {
      switch (predicate) {
      case sem::CompareKind::eq:
        return v[0] == v[1];
      case sem::CompareKind::ne:
        return v[0] != v[1];
      case sem::CompareKind::lt:
        return v[0] < v[1];
      case sem::CompareKind::le:
        return v[0] <= v[1];
      case sem::CompareKind::gt:
        return v[0] > v[1];
      case sem::CompareKind::ge:
        return v[0] >= v[1];
      }
      return 0;
    });
    return absl::OkStatus();
  }
  if (kind == OpKind::select) {
    if (selectFloats(*in[0], *in[1], *in[2], r))
      return absl::OkStatus();
    elementwise({in[0], in[1], in[2]}, r,
                [](const double *v) { return v[0] != 0 ? v[1] : v[2]; });
    return absl::OkStatus();
  }
  if (kind == OpKind::matmul)
    return matmul(k, in, r);
  if (kind == OpKind::attention)
    return attention(k, in, r);
  if (kind == OpKind::layerNorm || kind == OpKind::rmsNorm) {
    bool layerNorm = kind == OpKind::layerNorm;
    int64_t axis = normalize(attrInt(k, "axis", -1), in[0]->shape.size());
    double eps = attrFloat(k, "epsilon", layerNorm ? 1e-5 : 1e-6);
    r.floats = in[0]->floats;
    const Array &scale = *in[1];
    const Array *bias = in.size() > 2 ? in[2] : nullptr;
    rows(r, axis, [&](float *row, int64_t n) {
      normRow(row, n, /*blocks=*/1, layerNorm, eps, scale.floats.data(),
              bias ? bias->floats.data() : nullptr);
    });
    return absl::OkStatus();
  }
  if (kind == OpKind::softmax || kind == OpKind::logSoftmax) {
    r.floats = in[0]->floats;
    softmaxAlong(r, normalize(attrInt(k, "axis", -1), r.shape.size()),
                 kind == OpKind::logSoftmax);
    return absl::OkStatus();
  }
  if (kind == OpKind::reduce)
    return reduce(k, *in[0], r);
  if (kind == OpKind::reshape) {
    r.floats = in[0]->floats;
    r.ints = in[0]->ints;
    return absl::OkStatus();
  }
  if (kind == OpKind::transpose) {
    transpose(*in[0], attrInts(k, "permutation"), r);
    return absl::OkStatus();
  }
  if (kind == OpKind::slice) {
    slice(*in[0], attrInts(k, "offsets"), attrInts(k, "strides"), r);
    return absl::OkStatus();
  }
  if (kind == OpKind::broadcast) {
    elementwise({in[0]}, r, [](const double *v) { return v[0]; });
    return absl::OkStatus();
  }
  if (kind == OpKind::concat || kind == OpKind::split) {
    int64_t axis = attrInt(k, "axis", 0);
    const Shape &full = kind == OpKind::concat ? r.shape : in[0]->shape;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= full[d];
    for (size_t d = axis + 1; d < full.size(); ++d)
      inner *= full[d];
    int64_t at = 0;
    if (kind == OpKind::concat) {
      for (int64_t o = 0; o < outer; ++o)
        for (const Array *piece : in) {
          int64_t chunk = piece->shape[axis] * inner;
          copyRange(*piece, o * chunk, r, at, chunk);
          at += chunk;
        }
    } else {
      int64_t offset = 0;
      for (Array &piece : out) {
        int64_t chunk = piece.shape[axis] * inner;
        for (int64_t o = 0; o < outer; ++o)
          copyRange(*in[0], o * full[axis] * inner + offset, piece, o * chunk,
                    chunk);
        offset += chunk;
      }
    }
    return absl::OkStatus();
  }
  if (kind == OpKind::gather) {
    const Array &data = *in[0], &indices = *in[1];
    int64_t axis = attrInt(k, "axis", 0);
    int64_t outer = 1, inner = 1, extent = data.shape[axis];
    for (int64_t d = 0; d < axis; ++d)
      outer *= data.shape[d];
    for (size_t d = axis + 1; d < data.shape.size(); ++d)
      inner *= data.shape[d];
    int64_t at = 0;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < indices.size(); ++i) {
        int64_t index = indices.ints[i];
        if (index < 0)
          index += extent;
        if (index < 0 || index >= extent)
          return absl::OutOfRangeError(
              absl::StrCat("gather index ", indices.ints[i],
                           " is out of range for extent ", extent));
        copyRange(data, (o * extent + index) * inner, r, at, inner);
        at += inner;
      }
    return absl::OkStatus();
  }
  if (kind == OpKind::iota) {
    int64_t dim = attrInt(k, "dimension", 0);
    Shape strides = stridesOf(r.shape);
    for (int64_t i = 0; i < r.size(); ++i)
      store(r, i, (i / strides[dim]) % r.shape[dim]);
    return absl::OkStatus();
  }
  return absl::UnimplementedError(
      absl::StrCat("wafer-run has no kernel for '", op, "'"));
}

} // namespace wafer::runtime
