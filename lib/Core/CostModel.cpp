//===- CostModel.cpp - cycles for layers, streams and transfers -----------===//

#include "wafer/Core/CostModel.h"

#include <algorithm>
#include <cmath>

namespace wafer::core {
namespace {
int64_t ceilDiv(int64_t total, int64_t parts) {
  return (total + parts - 1) / parts;
}
} // namespace

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
  // The faster layout; when both take as long (compute-bound), the one that
  // moves less per link. Strictly better only, so square grids and ties
  // keep the plain layout.
  double turned = summaCycles(layer, h, w, true),
         plain = summaCycles(layer, h, w, false);
  if (turned != plain)
    return turned < plain;
  double link = static_cast<double>(target.linkBytesPerCycle);
  return summaCommCycles(layer, w, h, link) <
         summaCommCycles(layer, h, w, link);
}

double CostModel::summaCycles(const LayerSpec &layer, int64_t h, int64_t w,
                              bool transposed) const {
  double link = static_cast<double>(target.linkBytesPerCycle);
  double comm = transposed ? summaCommCycles(layer, w, h, link)
                           : summaCommCycles(layer, h, w, link);
  // One step per panel: min(h, w) of them, or more when they must be
  // narrower to fit the PEs' SRAM (summaTiling).
  double steps =
      std::max(std::min(h, w), summaTiling(layer, h, w, transposed).panels);
  double cycles =
      std::max(computeCycles(layer, h * w), comm) + steps * kStepOverheadCycles;
  // A normalised left operand: its rows' partial sums (of the values and
  // of their squares) cross the line that splits them, and the statistics
  // cross it back on the panel broadcast, each a task step.
  SummaReductions r = summaReductions(layer, h, w, transposed);
  if (r.rowBytes > 0 || r.columnBytes > 0)
    cycles += 2 * (std::min(transposed ? h : w, layer.n) + kStepOverheadCycles);
  return cycles;
}

SummaTiling CostModel::summaTiling(const LayerSpec &layer, int64_t h,
                                   int64_t w) const {
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return SummaTiling{};
  return summaTiling(layer, h, w, transposedSumma(layer, h, w));
}

namespace {
/// The most batches of B a block of `rows` consecutive output rows spans
/// (one B panel each): a run of r rows crosses at most (r + b - 2) / b + 1
/// batches of b rows.
int64_t rhsSpans(const LayerSpec &layer, int64_t rows) {
  int64_t b = layer.rhsBatchRows;
  if (b <= 0 || rows <= 1)
    return 1;
  return std::min((rows + b - 2) / b + 1, rows);
}
} // namespace

SummaTiling CostModel::summaTiling(const LayerSpec &layer, int64_t h, int64_t w,
                                   bool transposed) const {
  SummaTiling t;
  t.transposed = transposed;
  int64_t rowsOut = t.transposed ? layer.n : layer.m;
  int64_t colsOut = t.transposed ? layer.m : layer.n;
  t.gridRows = std::max<int64_t>(1, std::min(h, rowsOut));
  t.gridCols = std::max<int64_t>(1, std::min(w, colsOut));
  // One panel per step of the overhead term, or more, narrower ones when
  // the panels a PE receives would fill more than a quarter of its SRAM.
  int64_t mBlocks = t.transposed ? t.gridCols : t.gridRows;
  int64_t nBlocks = t.transposed ? t.gridRows : t.gridCols;
  int64_t rows = ceilDiv(layer.m, mBlocks);
  int64_t perColumn =
      (rows + rhsSpans(layer, rows) * ceilDiv(layer.n, nBlocks)) * 4;
  int64_t width =
      std::max<int64_t>(1, target.usableSramBytes() / 4 / perColumn);
  int64_t needed = ceilDiv(layer.k, width);
  t.panels = std::clamp<int64_t>(std::max(std::min(h, w), needed), 1, layer.k);
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
                                           int64_t w) const {
  const LayerSpec::Attention &a = layer.attention;
  if (!a.valid() || h < 1 || w < 1)
    return AttentionTiling();
  int64_t groups = std::min(w, a.batch * a.heads);
  int64_t spare = w / groups;
  double budget = std::max<double>(1, target.usableSramBytes() / 8.0);
  // The tiling with `queryCols` query column blocks, the columns left over
  // as key chunks.
  auto withQueryCols = [&](int64_t queryCols) {
    AttentionTiling t;
    t.gridRows = std::min(h, a.queries);
    t.queryCols = queryCols;
    t.keyChunks = std::clamp<int64_t>(spare / queryCols, 1, a.keys);
    t.gridCols = groups * queryCols * t.keyChunks;
    // What a PE receives or computes at once stays within an eighth of its
    // SRAM: the scores of its queries for its pairs against one key block,
    // and one panel of keys (values) for the key/value heads they read.
    int64_t smallestChunk = std::max<int64_t>(1, a.keys / t.keyChunks);
    int64_t chunk = ceilDiv(a.keys, t.keyChunks);
    double rows =
        static_cast<double>(ceilDiv(a.queries, t.gridRows * queryCols)) *
        ceilDiv(a.batch * a.heads, groups);
    t.keyBlocks = static_cast<int64_t>(std::clamp<double>(
        std::ceil(rows * chunk * 4 / budget), 1, smallestChunk));
    int64_t smallestBlock = std::max<int64_t>(1, smallestChunk / t.keyBlocks);
    double panelBytes = static_cast<double>(ceilDiv(chunk, t.keyBlocks)) *
                        attentionKvMost(layer, t) *
                        std::max(a.headDim, a.valueDim) * 4;
    t.panels = static_cast<int64_t>(std::clamp<double>(
        std::max<double>(ceilDiv(std::min(h, w), t.keyBlocks),
                         std::ceil(panelBytes / budget)),
        1, smallestBlock));
    return t;
  };
  // Key chunks shorten what passes down each column and what each PE holds
  // of the keys; query column blocks what it holds of the queries.
  int64_t most = std::max<int64_t>(
      1, std::min(spare, ceilDiv(a.queries, std::min(h, a.queries))));
  // Chunks unless the fullest PE needs more than three quarters of its
  // SRAM: then the fewest query column blocks (in powers of two) that bring
  // it there, or the least it can need.
  int64_t fits = target.usableSramBytes() * 3 / 4;
  AttentionTiling best = withQueryCols(1);
  int64_t bestPeak = attentionPeakBytes(layer, best);
  for (int64_t queryCols = 2; queryCols <= most && bestPeak > fits;
       queryCols *= 2) {
    AttentionTiling t = withQueryCols(queryCols);
    if (int64_t peak = attentionPeakBytes(layer, t); peak < bestPeak) {
      best = t;
      bestPeak = peak;
    }
  }
  return best;
}

int64_t CostModel::attentionBroadcastBytes(const LayerSpec &layer,
                                           const AttentionTiling &tiling) {
  const LayerSpec::Attention &a = layer.attention;
  if (!a.valid() || tiling.gridRows <= 1)
    return 0;
  // Column (g, c) carries group g's key/value heads for chunk c's keys: the
  // sum over the columns separates into one over the groups.
  int64_t kvTotal = 0;
  for (int64_t g = 0; g < tiling.groups(); ++g)
    kvTotal += attentionKvPairs(layer, tiling,
                                g * tiling.keyChunks * tiling.queryCols);
  // Each query column block of a group reads all of its keys and values.
  return kvTotal * tiling.queryCols * a.keys * (a.headDim + a.valueDim) *
         layer.elementBytes;
}

int64_t CostModel::attentionColumnBytes(const LayerSpec &layer,
                                        const AttentionTiling &tiling) {
  const LayerSpec::Attention &a = layer.attention;
  if (!a.valid() || tiling.gridRows <= 1)
    return 0;
  return attentionKvMost(layer, tiling) *
         partOf(a.keys, tiling.keyChunks, 0).second * (a.headDim + a.valueDim) *
         layer.elementBytes;
}

int64_t CostModel::attentionCombineBytes(const LayerSpec &layer,
                                         const AttentionTiling &tiling) {
  const LayerSpec::Attention &a = layer.attention;
  if (!a.valid() || tiling.keyChunks <= 1)
    return 0;
  return a.batch * a.heads * a.queries * (a.valueDim + 2) * 4;
}

int64_t CostModel::attentionPeakBytes(const LayerSpec &layer,
                                      const AttentionTiling &tiling) {
  const LayerSpec::Attention &a = layer.attention;
  if (!a.valid())
    return 0;
  // The first grid row and column have the most positions, pairs and keys;
  // another column may read one more key/value head (attentionKvMost).
  double queries = ceilDiv(a.queries, tiling.gridRows * tiling.queryCols);
  double pairs = ceilDiv(a.batch * a.heads, tiling.groups());
  double kv = attentionKvMost(layer, tiling);
  int64_t chunk = ceilDiv(a.keys, tiling.keyChunks);
  double keys = ceilDiv(chunk, tiling.gridRows);
  double block = ceilDiv(chunk, tiling.keyBlocks);
  double panel = ceilDiv(ceilDiv(chunk, tiling.keyBlocks), tiling.panels);
  double rows = queries * pairs;
  // As many pairs as the first column's, starting at a batch's last head:
  // the most batches any column's pairs can span.
  double mask = attentionMaskElements(layer, a.heads - 1,
                                      a.heads - 1 + static_cast<int64_t>(pairs),
                                      static_cast<int64_t>(queries), chunk);
  double blocks = rows * (a.headDim + a.valueDim) +
                  keys * kv * (a.headDim + a.valueDim) + mask;
  // One block's scores, the widest panel, each query's running maximum and
  // sum and, in a chunk column that keeps no output, its running output.
  double working = rows * block + panel * kv * std::max(a.headDim, a.valueDim) +
                   rows * 3 + (tiling.keyChunks > 1 ? rows * a.valueDim : 0);
  return static_cast<int64_t>(
      std::min(blocks * layer.elementBytes + working * 4, 0x1p62));
}

int64_t CostModel::rowsPeakBytes(const LayerSpec &layer, int64_t pes,
                                 bool weightsResident) {
  double bytes = 0;
  for (const LayerSpec::RowTensor &t : layer.rowTensors)
    if (weightsResident || !t.weight)
      bytes += static_cast<double>(ceilDiv(t.rows, std::max<int64_t>(pes, 1))) *
               t.rowBytes;
  return static_cast<int64_t>(std::min(bytes, 0x1p62));
}

int64_t CostModel::fullestPeBytes(const LayerSpec &layer, int64_t h, int64_t w,
                                  bool weightsResident) const {
  // Its whole rows beside a product's blocks or an attention tiling's.
  return rowsPeakBytes(layer, h * w, weightsResident) +
         std::max(summaPeakBytes(layer, h, w, weightsResident),
                  attentionPeakBytes(layer, attentionTiling(layer, h, w)));
}

SummaReductions CostModel::summaReductions(const LayerSpec &layer, int64_t h,
                                           int64_t w, bool transposed) {
  SummaReductions r;
  if (!layer.normedLhs || layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return r;
  int64_t bytes = SummaReductions::bytesFor(layer.m);
  // A's rows are split over the grid's columns, or its rows when
  // transposed; summaTiling uses at most min(side, k) PEs of the line.
  if (transposed ? std::min(h, layer.n) > 1 : std::min(w, layer.n) > 1)
    (transposed ? r.columnBytes : r.rowBytes) = bytes;
  return r;
}

int64_t CostModel::summaPeakBytes(const LayerSpec &layer, int64_t h, int64_t w,
                                  bool weightsResident) const {
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return 0;
  SummaTiling t = summaTiling(layer, h, w);
  int64_t mBlocks = t.transposed ? t.gridCols : t.gridRows;
  int64_t nBlocks = t.transposed ? t.gridRows : t.gridCols;
  // A's contraction is split like the output's columns, B's like its
  // rows. A normalised A lives beside the norm's input.
  int64_t rows = ceilDiv(layer.m, mBlocks), cols = ceilDiv(layer.n, nBlocks);
  double a = static_cast<double>(rows) * ceilDiv(layer.k, nBlocks) *
             (layer.normedLhs ? 2 : 1);
  double b = weightsResident
                 ? static_cast<double>(ceilDiv(layer.k, mBlocks)) * cols
                 : 0.0;
  double output =
      static_cast<double>(std::max<int64_t>(layer.outputBlocks, 2)) * rows *
      cols;
  double vectors =
      static_cast<double>(layer.columnVectors) * cols +
      static_cast<double>(layer.contractionVectors) * ceilDiv(layer.k, nBlocks);
  double panels = static_cast<double>(rows + rhsSpans(layer, rows) * cols) *
                  ceilDiv(layer.k, t.panels);
  return static_cast<int64_t>(std::min(
      (a + b + output + vectors) * layer.elementBytes + panels * 4, 0x1p62));
}

double CostModel::layerCycles(const LayerSpec &layer, int64_t h,
                              int64_t w) const {
  // What its kernels regroup across its PEs, routed over every row and
  // column of the region: the busiest lane carries bytes / min(h, w).
  double reshard = layer.relayoutBytes > 0 && h * w > 1
                       ? static_cast<double>(layer.relayoutBytes) /
                             (std::min(h, w) * target.linkBytesPerCycle)
                       : 0.0;
  return reshard + kernelCycles(layer, h, w);
}

double CostModel::kernelCycles(const LayerSpec &layer, int64_t h,
                               int64_t w) const {
  double compute = computeCycles(layer, h * w);
  if (layer.attention.valid()) {
    // The keys and values down the busiest column, two sweeps of panels
    // per key block.
    AttentionTiling t = attentionTiling(layer, h, w);
    double column = static_cast<double>(attentionColumnBytes(layer, t)) /
                    target.linkBytesPerCycle;
    double cycles =
        std::max(computeCycles(layer, t.gridRows * t.gridCols), column) +
        2 * t.keyBlocks * t.panels * kStepOverheadCycles;
    // The chunks' partial results, combined along each grid row.
    if (t.keyChunks > 1)
      cycles += t.keyChunks + kStepOverheadCycles;
    return cycles;
  }
  if (layer.m <= 0 || layer.n <= 0 || layer.k <= 0)
    return compute;
  // The faster layout (transposedSumma).
  return std::min(summaCycles(layer, h, w, false),
                  summaCycles(layer, h, w, true));
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

} // namespace wafer::core
