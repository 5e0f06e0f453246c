//===- CostModel.cpp - cycles for layers, streams and transfers -----------===//

#include "wafer/Place/CostModel.h"

#include <algorithm>
#include <cmath>

namespace wafer::place {

int64_t LayerSpec::weightBytes() const {
  int64_t total = 0;
  for (const auto &[name, bytes] : weights)
    total += bytes;
  return total;
}

double CostModel::flopsPerCycle(const LayerSpec &layer) const {
  return static_cast<double>(layer.halfPrecision ? target.fp16FlopsPerCycle
                                                 : target.fp32FlopsPerCycle);
}

int64_t CostModel::usefulPEs(const LayerSpec &layer, int64_t pes) const {
  if (layer.m > 0 && layer.n > 0)
    return std::max<int64_t>(1, std::min(pes, layer.m * layer.n));
  if (layer.attention.valid())
    return std::max<int64_t>(
        1, std::min(pes, layer.attention.batch * layer.attention.heads *
                             layer.attention.queries));
  return std::max<int64_t>(1, pes);
}

double CostModel::computeCycles(const LayerSpec &layer, int64_t pes) const {
  return layer.flops / (flopsPerCycle(layer) * usefulPEs(layer, pes));
}

namespace {
/// Cycles the SUMMA broadcasts take when the output's m rows are spread over
/// `mSide` PEs and its n columns over `nSide`: A's panels cross the mSide
/// rows' links, B's the nSide columns'.
double summaCommCycles(const LayerSpec &layer, int64_t mSide, int64_t nSide,
                       double link) {
  double aBytes = static_cast<double>(layer.m) * layer.k * layer.elementBytes;
  double bBytes = static_cast<double>(layer.k) * layer.n * layer.elementBytes;
  return std::max(aBytes / (mSide * link), bBytes / (nSide * link));
}
} // namespace

bool CostModel::transposedSumma(const LayerSpec &layer, int64_t h,
                                int64_t w) const {
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return false;
  double link = static_cast<double>(target.linkBytesPerCycle);
  // Strictly better only, so square grids and ties keep the plain layout.
  return summaCommCycles(layer, w, h, link) <
         summaCommCycles(layer, h, w, link);
}

SummaTiling CostModel::summaTiling(const LayerSpec &layer, int64_t h,
                                   int64_t w) const {
  SummaTiling t;
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return t;
  t.transposed = transposedSumma(layer, h, w);
  int64_t rowsOut = t.transposed ? layer.n : layer.m;
  int64_t colsOut = t.transposed ? layer.m : layer.n;
  t.gridRows = std::max<int64_t>(1, std::min(h, rowsOut));
  t.gridCols = std::max<int64_t>(1, std::min(w, colsOut));
  t.panels = std::clamp<int64_t>(std::min(h, w), 1, layer.k);
  return t;
}

SummaBroadcasts CostModel::summaBroadcasts(const LayerSpec &layer, int64_t h,
                                           int64_t w, bool transposed,
                                           bool weightsStreamed) {
  SummaBroadcasts b;
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return b;
  int64_t lhs = layer.m * layer.k * layer.elementBytes;
  int64_t rhs = layer.k * layer.n * layer.elementBytes;
  if (transposed)
    std::swap(lhs, rhs);
  // Transposed, the weights' panels are the ones along the rows.
  if (w > 1 && !(weightsStreamed && transposed))
    b.rowBytes = lhs;
  if (h > 1)
    b.columnBytes = rhs;
  return b;
}

AttentionTiling CostModel::attentionTiling(const LayerSpec &layer, int64_t h,
                                           int64_t w) {
  AttentionTiling t;
  const LayerSpec::Attention &a = layer.attention;
  if (!a.valid() || h < 1 || w < 1)
    return t;
  t.gridRows = std::min(h, a.queries);
  t.gridCols = std::min(w, a.batch * a.heads);
  t.panels = std::clamp<int64_t>(std::min(h, w), 1, a.keys);
  return t;
}

std::pair<int64_t, int64_t>
CostModel::attentionPairs(const LayerSpec &layer, const AttentionTiling &tiling,
                          int64_t column) {
  int64_t pairs = layer.attention.batch * layer.attention.heads;
  int64_t base = pairs / tiling.gridCols, extra = pairs % tiling.gridCols;
  int64_t begin = column * base + std::min(column, extra);
  return {begin, begin + base + (column < extra ? 1 : 0)};
}

int64_t CostModel::attentionKvPairs(const LayerSpec &layer,
                                    const AttentionTiling &tiling,
                                    int64_t column) {
  auto [begin, end] = attentionPairs(layer, tiling, column);
  if (begin == end)
    return 0;
  // Pair p is (p / heads, p % heads); its key/value pair is
  // (p / heads, p % heads / group), numbered p / group overall.
  int64_t group = layer.attention.heads / layer.attention.kvHeads;
  return (end - 1) / group - begin / group + 1;
}

std::pair<int64_t, int64_t>
CostModel::attentionBroadcastBytes(const LayerSpec &layer,
                                   const AttentionTiling &tiling) {
  const LayerSpec::Attention &a = layer.attention;
  if (!a.valid() || tiling.gridRows <= 1)
    return {0, 0};
  int64_t perPair = a.keys * (a.headDim + a.valueDim) * layer.elementBytes;
  int64_t total = 0, most = 0;
  for (int64_t j = 0; j < tiling.gridCols; ++j) {
    int64_t bytes = attentionKvPairs(layer, tiling, j) * perPair;
    total += bytes;
    most = std::max(most, bytes);
  }
  return {total, most};
}

SummaReductions CostModel::summaReductions(const LayerSpec &layer, int64_t h,
                                           int64_t w, bool transposed) {
  SummaReductions r;
  if (!layer.normedLhs || layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return r;
  int64_t bytes = layer.m * 2 * 8;
  // A's rows are split over the grid's columns, or its rows when
  // transposed; summaTiling uses at most min(side, k) PEs of the line.
  if (transposed ? std::min(h, layer.n) > 1 : std::min(w, layer.n) > 1)
    (transposed ? r.columnBytes : r.rowBytes) = bytes;
  return r;
}

double CostModel::layerCycles(const LayerSpec &layer, int64_t h,
                              int64_t w) const {
  double compute = computeCycles(layer, h * w);
  if (layer.attention.valid()) {
    // The keys and values down the busiest column, two sweeps of panels.
    AttentionTiling t = attentionTiling(layer, h, w);
    double column =
        static_cast<double>(attentionBroadcastBytes(layer, t).second) /
        target.linkBytesPerCycle;
    return std::max(computeCycles(layer, t.gridRows * t.gridCols), column) +
           2 * t.panels * kStepOverheadCycles;
  }
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return compute;
  double link = static_cast<double>(target.linkBytesPerCycle);
  bool transposed = transposedSumma(layer, h, w);
  double comm = transposed ? summaCommCycles(layer, w, h, link)
                           : summaCommCycles(layer, h, w, link);
  double cycles =
      std::max(compute, comm) + std::min(h, w) * kStepOverheadCycles;
  // A normalised left operand: two reductions along the line that splits
  // its rows (the mean, then the squared deviations), each crossing it.
  SummaReductions r = summaReductions(layer, h, w, transposed);
  if (r.rowBytes > 0 || r.columnBytes > 0)
    cycles += 2 * (std::min(transposed ? h : w, layer.n) + kStepOverheadCycles);
  return cycles;
}

double CostModel::streamCycles(int64_t bytes) const {
  double perCycle =
      static_cast<double>(target.weightMemoryBytesPerSecond) / target.clockHz();
  return bytes / perCycle;
}

double CostModel::transferCycles(int64_t bytes, int64_t lanes,
                                 int64_t hops) const {
  lanes = std::max<int64_t>(1, lanes);
  return static_cast<double>(bytes) / (lanes * target.linkBytesPerCycle) + hops;
}

} // namespace wafer::place
