//===- AttentionTest.cpp - attention and norms on their PEs ---------------===//
//
// wafer-run's attention against a direct double-precision evaluation, and
// each PE of an attention tiling, scoring against the key panels and
// accumulating from the value panels that pass down its column, against the
// host kernel: the same bits, whatever the grid. Row norms split over a
// line of PEs against the exact statistics.
//
//===----------------------------------------------------------------------===//

#include "../../lib/Runtime/Kernels.h"
#include "../../lib/Runtime/PeExecution.h"
#include "RandomArray.h"

#include <cmath>

#include "gtest/gtest.h"

using namespace wafer;
using namespace wafer::runtime;

namespace {

Array random(std::vector<int64_t> shape, uint32_t seed) {
  return test::randomArray(std::move(shape), seed);
}

struct Problem {
  int64_t batch, queries, keys, heads, kvHeads, headDim, valueDim;
  bool causal, masked;
};

plan::Kernel attentionKernel(const Problem &p) {
  plan::Kernel k;
  k.set_op("wafer.attention");
  (*k.mutable_attributes())["num_heads"].set_i(p.heads);
  (*k.mutable_attributes())["num_kv_heads"].set_i(p.kvHeads);
  (*k.mutable_attributes())["scale"].set_f(1.0 / std::sqrt(p.headDim));
  (*k.mutable_attributes())["causal"].set_i(p.causal);
  return k;
}

struct Operands {
  Array q, k, v, mask;
  std::vector<const Array *> list() const {
    std::vector<const Array *> in = {&q, &k, &v};
    if (!mask.shape.empty())
      in.push_back(&mask);
    return in;
  }
};

Operands operandsOf(const Problem &p) {
  Operands o{random({p.batch, p.queries, p.heads * p.headDim}, 1),
             random({p.batch, p.keys, p.kvHeads * p.headDim}, 2),
             random({p.batch, p.keys, p.kvHeads * p.valueDim}, 3),
             {}};
  if (p.masked) // One mask row per query, shared by batches and heads.
    o.mask = random({p.queries, p.keys}, 4);
  return o;
}

TEST(Attention, HostKernelMatchesDirectEvaluation) {
  Problem p{2, 5, 7, 4, 2, 3, 5, /*causal=*/false, /*masked=*/true};
  Operands in = operandsOf(p);
  std::vector<Array> out = {
      Array::zeros(plan::F32, {p.batch, p.queries, p.heads * p.valueDim})};
  ASSERT_TRUE(runKernel(attentionKernel(p), in.list(), out).ok());
  double scale = 1.0 / std::sqrt(p.headDim);
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h) {
      int64_t g = h / (p.heads / p.kvHeads);
      for (int64_t i = 0; i < p.queries; ++i) {
        std::vector<double> s(p.keys);
        double max = -INFINITY, sum = 0;
        for (int64_t j = 0; j < p.keys; ++j) {
          for (int64_t d = 0; d < p.headDim; ++d)
            s[j] +=
                double(in.q.floats[(b * p.queries + i) * p.heads * p.headDim +
                                   h * p.headDim + d]) *
                in.k.floats[(b * p.keys + j) * p.kvHeads * p.headDim +
                            g * p.headDim + d];
          s[j] = s[j] * scale + in.mask.floats[i * p.keys + j];
          max = std::max(max, s[j]);
        }
        for (double &x : s)
          sum += x = std::exp(x - max);
        for (int64_t e = 0; e < p.valueDim; ++e) {
          double o = 0;
          for (int64_t j = 0; j < p.keys; ++j)
            o += s[j] / sum *
                 in.v.floats[(b * p.keys + j) * p.kvHeads * p.valueDim +
                             g * p.valueDim + e];
          EXPECT_NEAR(out[0].floats[(b * p.queries + i) * p.heads * p.valueDim +
                                    h * p.valueDim + e],
                      o, 1e-5);
        }
      }
    }
}

/// A one-layer plan running `p` on a `width` x `height` region whose
/// attention tiling is `tiling`; the operands are graph inputs arriving on
/// flows into the layer.
plan::Plan attentionPlan(const Problem &p, int64_t width, int64_t height,
                         const core::AttentionTiling &tiling,
                         int64_t sramBytes) {
  plan::Plan plan;
  plan.set_mode(plan::PIPELINED);
  plan::Target &t = *plan.mutable_target();
  t.set_sram_bytes(sramBytes);
  t.set_sram_reserve_bytes(0);
  Operands in = operandsOf(p);
  std::vector<std::vector<int64_t>> shapes = {
      in.q.shape,
      in.k.shape,
      in.v.shape,
      {p.batch, p.queries, p.heads * p.valueDim}};
  if (p.masked)
    shapes.insert(shapes.begin() + 3, in.mask.shape);
  for (size_t i = 0; i < shapes.size(); ++i) {
    plan::Tensor &tensor = *plan.add_tensors();
    tensor.set_id(i);
    tensor.set_element_type(plan::F32);
    for (int64_t d : shapes[i])
      tensor.add_shape(d);
  }
  int64_t operands = shapes.size() - 1;
  plan::Kernel &k = *plan.add_kernels() = attentionKernel(p);
  k.set_layer(0);
  for (int64_t i = 0; i < operands; ++i) {
    k.add_operands(i);
    plan.add_inputs(i);
    plan::Flow &f = *plan.add_flows();
    f.set_name("input");
    f.set_kind(plan::INPUT);
    f.set_tensor(i);
    f.set_source_layer(-1);
    f.set_destination_layer(0);
    f.set_bytes(1 << 30);
    plan::fromRect(Rect{0, 0, width, height}, *f.mutable_destination());
  }
  k.add_results(operands);
  plan.add_outputs(operands);
  plan::Layer &l = *plan.add_layers();
  l.set_name("attn");
  plan::fromRect(Rect{0, 0, width, height}, *l.mutable_region());
  core::LayerSpec spec;
  spec.kind = core::LayerKind::attention;
  spec.attention = {p.batch, p.queries,  p.keys,    p.heads,
                    p.kvHeads, p.headDim, p.valueDim};
  plan::fromLayerSpec(spec, *l.mutable_spec());
  plan::fromAttentionTiling(tiling, *l.mutable_attention());
  // Its tensors held as the compiler's rule lays them out.
  core::KernelInfo kernel{k.op(),
                          {k.operands().begin(), k.operands().end()},
                          {k.results().begin(), k.results().end()}};
  core::LayerLayouts layouts = core::chooseLayouts(
      core::LayerGrid{0, 0, 0, /*attention=*/true}, {kernel},
      [&](int64_t id) -> const std::vector<int64_t> & { return shapes[id]; });
  for (const core::HeldTensor &held : layouts.held)
    plan::fromHeldTensor(held, *l.add_held());
  return plan;
}

/// Runs `p` through the PE executor; with `perPeMath` each PE computes from
/// its own panels.
absl::StatusOr<Array> runOnPes(const Problem &p, const plan::Plan &plan,
                               bool perPeMath) {
  Operands in = operandsOf(p);
  PlanView view(plan);
  PeExecutor executor(view, perPeMath);
  std::vector<Array> out = {
      Array::zeros(plan::F32, {p.batch, p.queries, p.heads * p.valueDim})};
  if (absl::Status st = executor.run(0, in.list(), out); !st.ok())
    return st;
  return out[0];
}

/// Runs `p` on a tiling in both modes: the same bits, and the host
/// kernel's bits with one key chunk and block (its results within 1e-6
/// with more).
void expectPesAgree(const Problem &p, int64_t width, int64_t height,
                    int64_t gridRows, int64_t gridCols, int64_t keyChunks,
                    int64_t panels, int64_t keyBlocks = 1,
                    int64_t queryCols = 1) {
  core::AttentionTiling tiling{gridRows, gridCols,  keyChunks,
                                panels,   keyBlocks, queryCols};
  plan::Plan plan = attentionPlan(p, width, height, tiling, 1 << 20);
  absl::StatusOr<Array> host = runOnPes(p, plan, false);
  absl::StatusOr<Array> pes = runOnPes(p, plan, true);
  ASSERT_TRUE(host.ok()) << host.status();
  ASSERT_TRUE(pes.ok()) << pes.status();
  Operands in = operandsOf(p);
  std::vector<Array> kernel = {
      Array::zeros(plan::F32, {p.batch, p.queries, p.heads * p.valueDim})};
  ASSERT_TRUE(runKernel(attentionKernel(p), in.list(), kernel).ok());
  for (size_t i = 0; i < host->floats.size(); ++i) {
    ASSERT_EQ(host->floats[i], pes->floats[i])
        << "element " << i << " on a " << gridRows << "x" << gridCols
        << " grid, " << keyChunks << " chunks of " << keyBlocks << " blocks of "
        << panels << " panels";
    if (keyChunks == 1 && keyBlocks == 1)
      ASSERT_EQ(pes->floats[i], kernel[0].floats[i]) << "element " << i;
    else
      ASSERT_NEAR(pes->floats[i], kernel[0].floats[i], 1e-6)
          << "element " << i << " with " << keyChunks << " chunks of "
          << keyBlocks << " blocks";
  }
}

TEST(Attention, EveryPeComputesTheHostKernelsBits) {
  // Causal, grouped heads; ragged query blocks, pair groups and panels.
  Problem gqa{2, 9, 9, 4, 2, 8, 8, /*causal=*/true, /*masked=*/false};
  expectPesAgree(gqa, 3, 4, 4, 3, 1, 3);
  expectPesAgree(gqa, 8, 9, 9, 8, 1, 9); // One pair and query per PE.
  expectPesAgree(gqa, 1, 1, 1, 1, 1, 1); // All on one PE.
  // Masked, more keys than queries, wide value heads.
  Problem masked{1, 6, 11, 3, 3, 4, 24, /*causal=*/false, /*masked=*/true};
  expectPesAgree(masked, 5, 5, 5, 3, 1, 4);
}

TEST(Attention, KeyChunksCombineAlongTheGridRow) {
  // Causal: the early queries' later chunks see no key at all.
  Problem gqa{2, 9, 9, 4, 2, 8, 8, /*causal=*/true, /*masked=*/false};
  expectPesAgree(gqa, 8, 4, 4, 8, 2, 3);   // 4 pair groups x 2 chunks.
  expectPesAgree(gqa, 9, 3, 3, 9, 9, 1);   // One key per chunk.
  expectPesAgree(gqa, 12, 9, 9, 12, 3, 2); // Ragged groups.
  Problem masked{1, 6, 11, 3, 3, 4, 24, /*causal=*/false, /*masked=*/true};
  expectPesAgree(masked, 6, 5, 5, 6, 2, 4);
}

TEST(Attention, KeyBlocksFoldIntoEachQuerysRunningSoftmax) {
  // Causal: the early queries' later blocks see no key at all.
  Problem gqa{2, 9, 9, 4, 2, 8, 8, /*causal=*/true, /*masked=*/false};
  expectPesAgree(gqa, 3, 4, 4, 3, 1, 2, /*keyBlocks=*/3);
  expectPesAgree(gqa, 1, 1, 1, 1, 1, 1, /*keyBlocks=*/9); // One key each.
  expectPesAgree(gqa, 8, 4, 4, 8, 2, 1, /*keyBlocks=*/2); // And chunks.
  Problem masked{1, 6, 11, 3, 3, 4, 24, /*causal=*/false, /*masked=*/true};
  expectPesAgree(masked, 5, 5, 5, 3, 1, 2, /*keyBlocks=*/4);
  expectPesAgree(masked, 6, 5, 5, 6, 2, 1, /*keyBlocks=*/5);
}

TEST(Attention, QueryColumnBlocksSplitTheQueriesAcrossColumns) {
  Problem gqa{2, 9, 9, 4, 2, 8, 8, /*causal=*/true, /*masked=*/false};
  // 8 pairs in 2 groups, each group's 9 queries in 3 column blocks of 3
  // grid rows (ragged: 9 / 9 blocks).
  expectPesAgree(gqa, 6, 3, 3, 6, 1, 1, 1, /*queryCols=*/3);
  // With two key chunks and two key blocks beside them.
  expectPesAgree(gqa, 8, 2, 2, 8, 2, 1, 2, /*queryCols=*/2);
  Problem masked{1, 6, 11, 3, 3, 4, 24, /*causal=*/false, /*masked=*/true};
  expectPesAgree(masked, 6, 2, 2, 6, 1, 2, 1, /*queryCols=*/2);
}

TEST(Attention, ScoresCountAgainstThePesSram) {
  // 16 queries x 4 heads of 16 against 16 keys on one PE: q, k, v and the
  // output are 4 KiB each, the scores 4 KiB, a key panel 4 KiB and each
  // row's running maximum and sum 768 bytes.
  Problem p{1, 16, 16, 4, 4, 16, 16, /*causal=*/true, /*masked=*/false};
  int64_t needs = 24 * 1024 + 768;
  for (bool perPeMath : {false, true}) {
    absl::StatusOr<Array> fits =
        runOnPes(p, attentionPlan(p, 1, 1, {1, 1, 1, 1, 1}, needs), perPeMath);
    EXPECT_TRUE(fits.ok()) << fits.status();
    absl::StatusOr<Array> tight = runOnPes(
        p, attentionPlan(p, 1, 1, {1, 1, 1, 1, 1}, needs - 1), perPeMath);
    ASSERT_TRUE(absl::IsResourceExhausted(tight.status()));
    EXPECT_EQ(tight.status().message(),
              "layer attn: PE (0, 0) runs out of SRAM holding one key "
              "block's scores, the widest key or value panel it receives and "
              "its running results: 25344 bytes, more than its 25343 after "
              "the reserve");
    // Two key blocks halve the scores and the panel.
    EXPECT_TRUE(runOnPes(p,
                         attentionPlan(p, 1, 1, {1, 1, 1, 1, 2}, needs - 4096),
                         perPeMath)
                    .ok());
    // Four query blocks down the rows: each PE holds a quarter.
    EXPECT_TRUE(runOnPes(p, attentionPlan(p, 1, 4, {4, 1, 1, 4, 1}, 8 * 1024),
                         perPeMath)
                    .ok());
  }
}

TEST(Norm, RowsSplitOverPesReduceTheirPartialSumsInLineOrder) {
  // However many PEs hold slices of the row, the chained partial sums give
  // its statistics to double precision.
  std::vector<float> row = {1.5f, -2.25f, 7.0f, 0.125f, 3.0f, -4.0f, 9.5f};
  std::vector<float> scale(row.size(), 2.0f), bias(row.size(), 0.5f);
  double mean = 0, var = 0;
  for (float x : row)
    mean += x;
  mean /= row.size();
  for (float x : row)
    var += (x - mean) * (x - mean);
  var /= row.size();
  for (int64_t blocks : {1, 2, 3, 7}) {
    std::vector<float> y = row;
    normRow(y.data(), y.size(), blocks, /*layerNorm=*/true, 1e-5, scale.data(),
            bias.data());
    for (size_t i = 0; i < row.size(); ++i)
      EXPECT_NEAR(y[i], (row[i] - mean) / std::sqrt(var + 1e-5) * 2 + 0.5, 1e-5)
          << "element " << i << " with " << blocks << " blocks";
  }
  // One block is the host kernel's row: the same bits.
  plan::Kernel kernel;
  kernel.set_op("wafer.layer_norm");
  Array x = random({3, 7}, 5), gamma = random({7}, 6), beta = random({7}, 7);
  std::vector<Array> out = {Array::zeros(plan::F32, {3, 7})};
  ASSERT_TRUE(runKernel(kernel, {&x, &gamma, &beta}, out).ok());
  for (int64_t r = 0; r < 3; ++r) {
    std::vector<float> y(&x.floats[r * 7], &x.floats[r * 7 + 7]);
    normRow(y.data(), 7, 1, true, 1e-5, gamma.floats.data(),
            beta.floats.data());
    for (int64_t i = 0; i < 7; ++i)
      EXPECT_EQ(y[i], out[0].floats[r * 7 + i]);
  }
}

} // namespace
