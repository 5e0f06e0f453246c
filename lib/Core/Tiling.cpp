//===- Tiling.cpp - which part of a tiling each PE holds ------------------===//

#include "wafer/Core/Tiling.h"

#include <algorithm>

namespace wafer::core {

std::pair<int64_t, int64_t> attentionPairs(const LayerSpec &layer,
                                           const AttentionTiling &tiling,
                                           int64_t column) {
  return partOf(layer.attention.batch * layer.attention.heads, tiling.groups(),
                column / (tiling.keyChunks * tiling.queryCols));
}

std::pair<int64_t, int64_t> attentionQueries(const LayerSpec &layer,
                                             const AttentionTiling &tiling,
                                             int64_t row, int64_t column) {
  int64_t block = column / tiling.keyChunks % tiling.queryCols;
  return partOf(layer.attention.queries, tiling.gridRows * tiling.queryCols,
                block * tiling.gridRows + row);
}

std::pair<int64_t, int64_t> attentionKeys(const LayerSpec &layer,
                                          const AttentionTiling &tiling,
                                          int64_t column) {
  return partOf(layer.attention.keys, tiling.keyChunks,
                column % tiling.keyChunks);
}

int64_t attentionKvPairs(const LayerSpec &layer, const AttentionTiling &tiling,
                         int64_t column) {
  auto [begin, end] = attentionPairs(layer, tiling, column);
  if (begin == end)
    return 0;
  // Pair p is (p / heads, p % heads); its key/value pair is
  // (p / heads, p % heads / group), numbered p / group overall.
  int64_t group = layer.attention.heads / layer.attention.kvHeads;
  return (end - 1) / group - begin / group + 1;
}

int64_t attentionKvMost(const LayerSpec &layer, const AttentionTiling &tiling) {
  // In closed form, since the placer asks for every shape it tries: a run
  // of s consecutive pairs reads at most (s + group - 2) / group + 1
  // key/value heads (and never more than s).
  const LayerSpec::Attention &a = layer.attention;
  int64_t group = a.heads / a.kvHeads;
  int64_t widest = partOf(a.batch * a.heads, tiling.groups(), 0).second;
  return std::min((widest + group - 2) / group + 1, widest);
}

int64_t attentionMaskElements(const LayerSpec &layer, int64_t p0, int64_t p1,
                              int64_t queries, int64_t keys) {
  const LayerSpec::Attention &a = layer.attention;
  if (!a.masked || p1 <= p0)
    return 0;
  int64_t batches = (p1 - 1) / a.heads - p0 / a.heads + 1;
  int64_t heads = std::min(a.heads, p1 - p0);
  int64_t extent[4] = {batches, heads, queries, keys};
  double elements = 1;
  for (int d = 0; d < 4; ++d)
    if (a.maskVaries[d])
      elements *= extent[d];
  return static_cast<int64_t>(std::min(elements, 0x1p62));
}

} // namespace wafer::core
