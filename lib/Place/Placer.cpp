//===- Placer.cpp - pipelined placement and weight-stream scheduling ------===//

#include "wafer/Place/Placer.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "absl/strings/str_cat.h"

namespace wafer::place {

const char *modeName(Mode mode) {
  return mode == Mode::pipelined ? "pipelined" : "weight-streaming";
}

namespace {

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Bytes a layer keeps on its PEs when resident: weights and the
/// activations it reads and writes.
int64_t residentBytes(const LayerSpec &layer) {
  return layer.weightBytes() + layer.constantBytes + layer.inBytes +
         layer.outBytes;
}

/// The rectangle at the usable grid's corner, halving its sides, on which
/// `layer` runs fastest: small layers lose more to per-step overhead on the
/// whole wafer than they gain from its PEs.
Rect fastestSubgrid(const CostModel &model, const LayerSpec &layer,
                    const Rect &usable) {
  Rect best = usable;
  double bestCycles = model.layerCycles(layer, usable.height, usable.width);
  for (int64_t h = usable.height; h >= 1; h /= 2)
    for (int64_t w = usable.width; w >= 1; w /= 2) {
      double cycles = model.layerCycles(layer, h, w);
      if (cycles < bestCycles * 0.999) {
        best = Rect{usable.x, usable.y, w, h};
        bestCycles = cycles;
      }
    }
  return best;
}

std::string kib(int64_t bytes) {
  return absl::StrCat(ceilDiv(bytes, 1024), " KiB");
}

/// Strips of consecutive layers, laid out left to right.
struct Strip {
  size_t begin = 0, end = 0; // Layers [begin, end).
  int64_t width = 0;
};

/// Rows layers [begin, end) need together in a strip of width `w` (more
/// than the usable height when one cannot meet the stage time there).
using RowsFn = std::function<int64_t(size_t begin, size_t end, int64_t w)>;

/// The least width that stacks layers [begin, end) in at most `height` rows,
/// or -1 when even `maxWidth` is not enough.
int64_t stripWidth(const RowsFn &segmentRows, size_t begin, size_t end,
                   int64_t height, int64_t maxWidth) {
  auto rows = [&](int64_t w) { return segmentRows(begin, end, w); };
  if (maxWidth < 1 || rows(maxWidth) > height)
    return -1;
  int64_t lo = 1, hi = maxWidth;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (rows(mid) <= height)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

/// Packs the layers into strips of the usable rectangle using the least
/// total width (dynamic programming over strip breaks). Empty when they do
/// not fit.
std::vector<Strip> packStrips(size_t n, const std::vector<int64_t> &minAreas,
                              const RowsFn &rowsFor, const Rect &usable) {
  const int64_t kInfinity = std::numeric_limits<int64_t>::max() / 4;
  std::vector<int64_t> best(n + 1, kInfinity);
  std::vector<size_t> from(n + 1, 0);
  std::vector<int64_t> width(n + 1, 0);
  best[0] = 0;
  for (size_t end = 1; end <= n; ++end) {
    int64_t area = 0;
    for (size_t begin = end; begin-- > 0;) {
      area += minAreas[begin];
      if (area > usable.area() ||
          static_cast<int64_t>(end - begin) > usable.height)
        break;
      if (best[begin] >= kInfinity)
        continue;
      int64_t w = stripWidth(rowsFor, begin, end, usable.height,
                             usable.width - best[begin]);
      if (w < 0)
        continue;
      if (best[begin] + w < best[end]) {
        best[end] = best[begin] + w;
        from[end] = begin;
        width[end] = w;
      }
    }
  }
  if (best[n] > usable.width)
    return {};
  std::vector<Strip> strips;
  for (size_t end = n; end > 0; end = from[end])
    strips.push_back(Strip{from[end], end, width[end]});
  std::reverse(strips.begin(), strips.end());
  return strips;
}

/// The fewest rows of width `w` on which `layer` meets `cycles` and holds
/// `memoryArea` PEs' worth of data; `height + 1` when none does.
int64_t rowsFor(const CostModel &model, const LayerSpec &layer, int64_t w,
                double cycles, int64_t memoryArea, int64_t height) {
  int64_t lo = std::max<int64_t>(1, ceilDiv(memoryArea, w));
  if (lo > height || model.layerCycles(layer, height, w) > cycles)
    return height + 1;
  int64_t hi = height;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (model.layerCycles(layer, mid, w) <= cycles)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

} // namespace

bool fitsPipelined(const TargetDesc &target,
                   const std::vector<LayerSpec> &layers) {
  int64_t sram = target.usableSramBytes(), area = 0;
  for (const LayerSpec &layer : layers)
    area += ceilDiv(residentBytes(layer), sram);
  return area <= target.usable.area();
}

absl::StatusOr<Placement> placePipelined(const TargetDesc &target,
                                         const std::vector<LayerSpec> &layers,
                                         const PlaceOptions &options) {
  if (!options.pins.empty())
    return absl::UnimplementedError(
        "pinning layers to regions is not supported yet");
  CostModel model(target);
  const Rect &usable = target.usable;
  int64_t sram = target.usableSramBytes();
  std::vector<int64_t> memoryArea;
  int64_t totalMemoryArea = 0;
  double lowerBound = 0, slowest = 0;
  for (const LayerSpec &layer : layers) {
    int64_t area = ceilDiv(residentBytes(layer), sram);
    if (area > usable.area())
      return absl::ResourceExhaustedError(absl::StrCat(
          "layer ", layer.name, " needs ", kib(residentBytes(layer)),
          " resident, more than the ", usable.area(), " usable PEs hold (",
          kib(sram), " each after the reserve); use weight streaming"));
    memoryArea.push_back(area);
    totalMemoryArea += area;
    lowerBound += model.computeCycles(layer, usable.area());
    slowest = std::max(slowest, model.computeCycles(layer, usable.area()));
  }
  if (totalMemoryArea > usable.area())
    return absl::ResourceExhaustedError(absl::StrCat(
        "pipelined execution needs ", totalMemoryArea,
        " PEs to hold every layer's weights and activations, the target has ",
        usable.area(), " usable PEs; use weight streaming"));
  if (layers.empty())
    return Placement{};

  // Binary search on the stage time: the smallest for which every layer,
  // given the rows it needs at its strip's width, packs into the usable
  // rectangle.
  // For the current stage time, the rows each layer needs at each strip
  // width, as prefix sums over the layers so a strip's total is O(1).
  double stage = 0;
  size_t n = layers.size();
  std::vector<int64_t> prefix; // [(w - 1) * (n + 1) + i]
  auto rows = [&](size_t l, int64_t w) {
    return std::min(rowsFor(model, layers[l], w, stage, memoryArea[l],
                            usable.height),
                    usable.height + 1);
  };
  RowsFn segmentRows = [&](size_t begin, size_t end, int64_t w) {
    const int64_t *row = &prefix[(w - 1) * (n + 1)];
    return row[end] - row[begin];
  };
  auto feasible = [&](double cycles, std::vector<Strip> &strips) {
    stage = cycles;
    prefix.assign(usable.width * (n + 1), 0);
    for (int64_t w = 1; w <= usable.width; ++w) {
      int64_t *row = &prefix[(w - 1) * (n + 1)];
      for (size_t l = 0; l < n; ++l)
        row[l + 1] = row[l] + rows(l, w);
    }
    strips = packStrips(n, memoryArea, segmentRows, usable);
    return !strips.empty();
  };
  double lo = std::max(lowerBound, slowest), hi = lo;
  std::vector<Strip> strips;
  while (!feasible(hi, strips))
    hi *= 2;
  for (int iteration = 0; iteration < 48 && hi - lo > 1e-3 * lo;
       ++iteration) {
    double mid = (lo + hi) / 2;
    std::vector<Strip> trial;
    if (feasible(mid, trial))
      hi = mid;
    else
      lo = mid;
  }
  feasible(hi, strips);

  // Refine: spread the width left over across the strips, in proportion.
  int64_t used = 0;
  for (const Strip &strip : strips)
    used += strip.width;
  int64_t spare = usable.width - used, given = 0;
  for (size_t s = 0; s < strips.size(); ++s) {
    int64_t extra = s + 1 == strips.size()
                        ? spare - given
                        : spare * strips[s].width / std::max<int64_t>(used, 1);
    strips[s].width += extra;
    given += extra;
  }

  // Lay the strips out serpentine; within a strip, give each layer rows in
  // proportion to its area, at least what it needs.
  Placement placement;
  placement.mode = Mode::pipelined;
  int64_t x = usable.x;
  for (size_t s = 0; s < strips.size(); ++s) {
    const Strip &strip = strips[s];
    std::vector<int64_t> height;
    int64_t needed = 0;
    for (size_t l = strip.begin; l < strip.end; ++l) {
      height.push_back(std::min(rows(l, strip.width), usable.height));
      needed += height.back();
    }
    // Spare rows go to the layers in proportion to what they already have.
    int64_t spareRows = usable.height - needed, given = 0;
    for (size_t i = 0; i < height.size() && spareRows > 0; ++i) {
      int64_t extra = i + 1 == height.size()
                          ? spareRows - given
                          : spareRows * height[i] / std::max<int64_t>(needed, 1);
      height[i] += extra;
      given += extra;
    }
    std::vector<int64_t> &rowsOf = height;
    bool downward = s % 2 == 0;
    int64_t y = downward ? usable.y : usable.y + usable.height;
    for (size_t i = 0; i < rowsOf.size(); ++i) {
      const LayerSpec &layer = layers[strip.begin + i];
      PlacedLayer placed;
      placed.name = layer.name;
      if (!downward)
        y -= rowsOf[i];
      placed.region = Rect{x, y, strip.width, rowsOf[i]};
      if (downward)
        y += rowsOf[i];
      placed.sramBytesPerPE =
          ceilDiv(residentBytes(layer), placed.region.area());
      placed.cycles = static_cast<int64_t>(std::ceil(
          model.layerCycles(layer, rowsOf[i], strip.width)));
      placement.predictedCycles =
          std::max(placement.predictedCycles, placed.cycles);
      placement.layers.push_back(std::move(placed));
    }
    x += strip.width;
  }
  placement.lowerBoundCycles =
      static_cast<int64_t>(std::ceil(std::max(lowerBound, slowest)));
  return placement;
}

absl::StatusOr<Placement>
scheduleWeightStreaming(const TargetDesc &target,
                        const std::vector<LayerSpec> &layers) {
  CostModel model(target);
  const Rect &usable = target.usable;
  int64_t pes = usable.area(), sram = target.usableSramBytes();

  // Activations stay on the wafer; tile the batch until the largest layer's
  // inputs and outputs leave at least half of each PE for weight slots.
  int64_t maxActivation = 0;
  for (const LayerSpec &layer : layers)
    maxActivation = std::max(maxActivation, layer.inBytes + layer.outBytes);
  Placement placement;
  placement.mode = Mode::weightStreaming;
  while (ceilDiv(maxActivation, pes * placement.passes) > sram / 2) {
    placement.passes *= 2;
    if (placement.passes > (int64_t(1) << 30))
      return absl::ResourceExhaustedError(
          "activations do not fit the wafer even when tiled");
  }
  int64_t activationPerPE = ceilDiv(maxActivation, pes * placement.passes);
  // Each layer's region, and the constants it keeps on each of its PEs.
  std::vector<Rect> regions;
  int64_t constantPerPE = 0;
  for (const LayerSpec &layer : layers) {
    regions.push_back(fastestSubgrid(model, layer, usable));
    constantPerPE = std::max(
        constantPerPE, ceilDiv(layer.constantBytes, regions.back().area()));
  }
  placement.slotBytesPerPE =
      (sram - activationPerPE - constantPerPE) / 2 / 4 * 4;
  if (placement.slotBytesPerPE <= 0)
    return absl::ResourceExhaustedError(absl::StrCat(
        "no SRAM left for weight buffers: activations take ",
        kib(activationPerPE), " per PE of ", kib(sram)));
  int64_t tileBytes = placement.slotBytesPerPE * pes;

  // Two slots; the channel streams tiles in order; a tile streams once its
  // slot's previous tile has been consumed; compute follows arrival.
  int64_t channelFree = 0, computeFree = 0;
  int64_t slotRelease[2] = {0, 0};
  int64_t tileIndex = 0;
  double computeTotal = 0;
  int64_t weightTotal = 0;
  for (size_t index = 0; index < layers.size(); ++index) {
    const LayerSpec &layer = layers[index];
    PlacedLayer placed;
    placed.name = layer.name;
    placed.region = regions[index];
    double compute =
        model.layerCycles(layer, placed.region.height, placed.region.width);
    computeTotal += model.computeCycles(layer, pes);
    int64_t weightBytes = layer.weightBytes();
    weightTotal += weightBytes;
    placed.sramBytesPerPE =
        activationPerPE + constantPerPE +
        (weightBytes ? 2 * placement.slotBytesPerPE : 0);
    int64_t start = -1;
    if (weightBytes == 0) {
      start = computeFree;
      computeFree += static_cast<int64_t>(std::ceil(compute));
    }
    for (const auto &[weight, bytes] : layer.weights) {
      for (int64_t offset = 0; offset < bytes; offset += tileBytes) {
        StreamTile tile;
        tile.weight = weight;
        tile.offset = offset;
        tile.bytes = std::min(tileBytes, bytes - offset);
        tile.slot = tileIndex++ % 2;
        tile.arriveStart = std::max(channelFree, slotRelease[tile.slot]);
        tile.arriveEnd = tile.arriveStart + static_cast<int64_t>(std::ceil(
                                                model.streamCycles(tile.bytes)));
        channelFree = tile.arriveEnd;
        tile.computeStart = std::max(tile.arriveEnd, computeFree);
        tile.release =
            tile.computeStart +
            static_cast<int64_t>(std::ceil(compute * tile.bytes / weightBytes));
        computeFree = tile.release;
        slotRelease[tile.slot] = tile.release;
        if (start < 0)
          start = tile.computeStart;
        placed.tiles.push_back(std::move(tile));
      }
    }
    placed.startCycle = start;
    placed.cycles = computeFree - start;
    placement.layers.push_back(std::move(placed));
  }
  placement.predictedCycles = computeFree;
  placement.lowerBoundCycles = static_cast<int64_t>(std::ceil(
      std::max(computeTotal, model.streamCycles(weightTotal))));
  return placement;
}

absl::StatusOr<Placement> placeLayers(const TargetDesc &target,
                                      const std::vector<LayerSpec> &layers,
                                      const PlaceOptions &options) {
  Mode mode = options.mode.value_or(fitsPipelined(target, layers)
                                        ? Mode::pipelined
                                        : Mode::weightStreaming);
  if (mode == Mode::pipelined)
    return placePipelined(target, layers, options);
  if (!options.pins.empty())
    return absl::InvalidArgumentError(
        "layers cannot be pinned in weight-streaming mode: every layer uses "
        "the whole usable grid");
  return scheduleWeightStreaming(target, layers);
}

} // namespace wafer::place
