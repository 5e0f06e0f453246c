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

double CostModel::layerCycles(const LayerSpec &layer, int64_t h,
                              int64_t w) const {
  double compute = computeCycles(layer, h * w);
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return compute;
  double link = static_cast<double>(target.linkBytesPerCycle);
  double comm = transposedSumma(layer, h, w)
                    ? summaCommCycles(layer, w, h, link)
                    : summaCommCycles(layer, h, w, link);
  return std::max(compute, comm) + std::min(h, w) * kStepOverheadCycles;
}

double CostModel::streamCycles(int64_t bytes) const {
  double perCycle = static_cast<double>(target.weightMemoryBytesPerSecond) /
                    target.clockHz();
  return bytes / perCycle;
}

double CostModel::transferCycles(int64_t bytes, int64_t lanes,
                                 int64_t hops) const {
  lanes = std::max<int64_t>(1, lanes);
  return static_cast<double>(bytes) / (lanes * target.linkBytesPerCycle) +
         hops;
}

} // namespace wafer::place
