//===- Placer.cpp - pipelined placement and weight-stream scheduling ------===//

#include "wafer/Place/Placer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace wafer::place {

using core::StreamSchedule;
using core::SummaBroadcasts;

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

/// PEs a layer's resident bytes need: a product keeps a quarter of each
/// PE's SRAM for the SUMMA panels it receives (CostModel::summaTiling).
int64_t memoryPEs(const LayerSpec &layer, int64_t sram) {
  bool product = layer.m > 0 && layer.n > 0 && layer.k > 0;
  return ceilDiv(residentBytes(layer), product ? sram - sram / 4 : sram);
}

/// The rectangle at the usable grid's corner, halving its sides (only its
/// width when `fullHeight`), on which `layer` runs fastest: small layers lose
/// more to per-step overhead on the whole wafer than they gain from its PEs.
Rect fastestSubgrid(const CostModel &model, const LayerSpec &layer,
                    const Rect &usable, bool fullHeight = false) {
  Rect best = usable;
  double bestCycles = model.layerCycles(layer, usable.height, usable.width);
  for (int64_t h = usable.height; h >= 1; h = fullHeight ? 0 : h / 2)
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

/// The least width of at least `minWidth` that stacks layers [begin, end)
/// in at most `height` rows, or -1 when even `maxWidth` is not enough.
int64_t stripWidth(const RowsFn &segmentRows, size_t begin, size_t end,
                   int64_t height, int64_t minWidth, int64_t maxWidth) {
  auto rows = [&](int64_t w) { return segmentRows(begin, end, w); };
  if (maxWidth < minWidth || rows(maxWidth) > height)
    return -1;
  int64_t lo = minWidth, hi = maxWidth;
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
                              const std::vector<int64_t> &needWidth,
                              const RowsFn &rowsFor, const Rect &usable) {
  const int64_t kInfinity = std::numeric_limits<int64_t>::max() / 4;
  std::vector<int64_t> best(n + 1, kInfinity);
  std::vector<size_t> from(n + 1, 0);
  std::vector<int64_t> width(n + 1, 0);
  best[0] = 0;
  for (size_t end = 1; end <= n; ++end) {
    int64_t area = 0, minWidth = 1;
    for (size_t begin = end; begin-- > 0;) {
      area += minAreas[begin];
      if (begin + 1 < end) // Boundary begin + 1 is now inside the strip.
        minWidth = std::max(minWidth, needWidth[begin + 1]);
      if (area > usable.area() ||
          static_cast<int64_t>(end - begin) > usable.height ||
          minWidth > usable.width)
        break;
      if (best[begin] >= kInfinity)
        continue;
      int64_t w = stripWidth(rowsFor, begin, end, usable.height, minWidth,
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

/// CostModel::layerCycles memoised per layer shape and rectangle: a model's
/// repeated blocks share their layers' shapes, and the strip search asks
/// for the same rectangles again and again.
class CycleTable {
public:
  CycleTable(const CostModel &model, const std::vector<LayerSpec> &layers)
      : model(model), layers(layers) {
    std::map<std::vector<double>, size_t> first;
    for (size_t l = 0; l < layers.size(); ++l)
      shapes.push_back(
          first.try_emplace(costInputs(layers[l]), l).first->second);
  }

  /// The first layer with the same cost inputs as `layer`.
  size_t shapeOf(size_t layer) const { return shapes[layer]; }

  double operator()(size_t layer, int64_t h, int64_t w) {
    size_t shape = shapes[layer];
    auto [it, fresh] = memo.try_emplace(std::make_tuple(shape, h, w), 0.0);
    if (fresh)
      it->second = model.layerCycles(layers[shape], h, w);
    return it->second;
  }

private:
  /// Everything layerCycles reads of a layer.
  static std::vector<double> costInputs(const LayerSpec &l) {
    const LayerSpec::Attention &a = l.attention;
    std::vector<double> key = {l.flops,
                               static_cast<double>(l.halfPrecision),
                               static_cast<double>(l.m),
                               static_cast<double>(l.n),
                               static_cast<double>(l.k),
                               static_cast<double>(l.elementBytes),
                               static_cast<double>(l.normedLhs),
                               static_cast<double>(l.columnVectors),
                               static_cast<double>(l.contractionVectors),
                               static_cast<double>(l.outputBlocks),
                               static_cast<double>(l.relayoutBytes),
                               static_cast<double>(l.rhsBatchRows),
                               static_cast<double>(a.batch),
                               static_cast<double>(a.queries),
                               static_cast<double>(a.keys),
                               static_cast<double>(a.heads),
                               static_cast<double>(a.kvHeads),
                               static_cast<double>(a.headDim),
                               static_cast<double>(a.valueDim),
                               static_cast<double>(a.masked)};
    for (bool varies : a.maskVaries)
      key.push_back(varies);
    return key;
  }

  const CostModel &model;
  const std::vector<LayerSpec> &layers;
  std::vector<size_t> shapes; // The first layer of the same shape.
  absl::flat_hash_map<std::tuple<size_t, int64_t, int64_t>, double> memo;
};

/// The fewest rows of width `w` on which layer `layer` meets `cycles` and
/// holds `memoryArea` PEs' worth of data; `height + 1` when none does.
int64_t rowsFor(CycleTable &layerCycles, size_t layer, int64_t w, double cycles,
                int64_t memoryArea, int64_t height) {
  int64_t lo = std::max<int64_t>(1, ceilDiv(memoryArea, w));
  if (lo > height || layerCycles(layer, height, w) > cycles)
    return height + 1;
  int64_t hi = height;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (layerCycles(layer, mid, w) <= cycles)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

} // namespace

absl::StatusOr<std::pair<std::string, Rect>> parsePin(std::string_view text) {
  size_t at = text.rfind('@');
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("pin '", std::string(text), "' is not LAYER@X,Y,WxH"));
  };
  if (at == std::string_view::npos || at == 0)
    return bad();
  std::string name(text.substr(0, at));
  std::string rest(text.substr(at + 1));
  long long x, y, w, h;
  char tail;
  if (std::sscanf(rest.c_str(), "%lld,%lld,%lldx%lld%c", &x, &y, &w, &h,
                  &tail) != 4)
    return bad();
  return std::make_pair(name, Rect{x, y, w, h});
}

bool fitsPipelined(const TargetDesc &target,
                   const std::vector<LayerSpec> &layers) {
  int64_t sram = target.usableSramBytes(), area = 0;
  for (const LayerSpec &layer : layers)
    area += memoryPEs(layer, sram);
  return area <= target.usable.area();
}

namespace {
/// Pipelined placement in which layer l needs `memoryScale[l]` times the
/// PEs its resident bytes take.
absl::StatusOr<Placement> placePipelinedScaled(
    const TargetDesc &target, const std::vector<LayerSpec> &layers,
    const PlaceOptions &options, const std::vector<double> &memoryScale,
    CycleTable &layerCycles) {
  CostModel model(target);
  const Rect &usable = target.usable;
  int64_t sram = target.usableSramBytes();
  size_t n = layers.size();
  std::vector<int64_t> memoryArea;
  int64_t totalMemoryArea = 0;
  double lowerBound = 0, slowest = 0;
  for (size_t index = 0; index < layers.size(); ++index) {
    const LayerSpec &layer = layers[index];
    int64_t area = static_cast<int64_t>(
        std::ceil(memoryPEs(layer, sram) * memoryScale[index]));
    if (area > usable.area())
      return absl::ResourceExhaustedError(absl::StrCat(
          "layer ", layer.name, " needs ", kib(residentBytes(layer)),
          " resident, more than the ", usable.area(), " usable PEs hold (",
          kib(sram), " each after the reserve); use weight streaming"));
    memoryArea.push_back(area);
    totalMemoryArea += area;
    // All the work spread over the whole grid: layers run side by side, so
    // one layer's cap on the PEs it can use does not add to the bound.
    lowerBound += layer.flops / (model.flopsPerCycle(layer) * usable.area());
    // No layer runs faster than on its best rectangle of the whole grid.
    Rect best = fastestSubgrid(model, layer, usable);
    slowest =
        std::max(slowest, model.layerCycles(layer, best.height, best.width));
  }
  if (totalMemoryArea > usable.area())
    return absl::ResourceExhaustedError(absl::StrCat(
        "pipelined execution needs ", totalMemoryArea,
        " PEs to hold every layer's weights and activations, the target has ",
        usable.area(), " usable PEs; use weight streaming"));
  if (layers.empty())
    return Placement{};

  // Pinned layers keep the user's rectangle; their columns are taken out of
  // the strips, which fill the free column intervals left to right.
  std::vector<std::optional<Rect>> pinned(n);
  double pinnedCycles = 0;
  for (const auto &[name, rect] : options.pins) {
    auto it = std::find_if(layers.begin(), layers.end(),
                           [&](const LayerSpec &l) { return l.name == name; });
    if (it == layers.end())
      return absl::InvalidArgumentError(
          absl::StrCat("cannot pin '", name, "': the model has no such layer"));
    size_t l = it - layers.begin();
    if (!usable.contains(rect) || rect.width <= 0 || rect.height <= 0)
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot pin ", name, " to (", rect.x, ", ", rect.y, ") ", rect.width,
          "x", rect.height, ": outside the usable rectangle (", usable.x, ", ",
          usable.y, ") ", usable.width, "x", usable.height));
    if (rect.area() < memoryArea[l])
      return absl::InvalidArgumentError(absl::StrCat(
          "cannot pin ", name, " to ", rect.width, "x", rect.height,
          " PEs: it needs ", kib(residentBytes(layers[l])), ", which takes ",
          memoryArea[l], " PEs"));
    for (size_t other = 0; other < n; ++other)
      if (pinned[other] && pinned[other]->overlaps(rect))
        return absl::InvalidArgumentError(
            absl::StrCat("cannot pin ", name,
                         ": its region overlaps the one "
                         "pinned for ",
                         layers[other].name));
    pinned[l] = rect;
    pinnedCycles = std::max(
        pinnedCycles, model.layerCycles(layers[l], rect.height, rect.width));
  }
  std::vector<std::pair<int64_t, int64_t>> intervals; // [x, x + width)
  {
    std::vector<bool> taken(usable.width, false);
    for (const std::optional<Rect> &rect : pinned)
      if (rect)
        for (int64_t x = rect->x; x < rect->x + rect->width; ++x)
          taken[x - usable.x] = true;
    for (int64_t x = 0; x < usable.width;) {
      if (taken[x]) {
        ++x;
        continue;
      }
      int64_t begin = x;
      while (x < usable.width && !taken[x])
        ++x;
      intervals.emplace_back(usable.x + begin, x - begin);
    }
  }
  std::vector<size_t> free; // Layers the strips place, in order.
  for (size_t l = 0; l < n; ++l)
    if (!pinned[l])
      free.push_back(l);
  int64_t freeWidth = 0;
  for (auto [x, width] : intervals)
    freeWidth += width;

  // Activations crossing each boundary of the free layers' program order:
  // crossing[i] is what flows from layers before free layer i to it and
  // later ones. Stacked in one strip, it crosses the strip's width.
  std::vector<int64_t> position(n, -1);
  for (size_t i = 0; i < free.size(); ++i)
    position[free[i]] = static_cast<int64_t>(i);
  std::vector<int64_t> crossing(free.size() + 1, 0);
  for (size_t i = 0; i < free.size(); ++i)
    for (auto [producer, bytes] : layers[free[i]].inputsFrom)
      if (producer >= 0 && producer < static_cast<int64_t>(n) &&
          position[producer] >= 0 &&
          position[producer] < static_cast<int64_t>(i)) {
        crossing[position[producer] + 1] += bytes;
        crossing[i + 1] -= bytes;
      }
  for (size_t i = 1; i <= free.size(); ++i)
    crossing[i] += crossing[i - 1];
  const double link = static_cast<double>(target.linkBytesPerCycle);
  double linkCap = std::numeric_limits<double>::infinity();
  Rect stripArea{usable.x, usable.y, freeWidth, usable.height};

  // For the current stage time, the rows each free layer needs at each strip
  // width, as prefix sums over the layers so a strip's total is O(1).
  double stage = 0;
  size_t m = free.size();
  std::vector<int64_t> prefix; // [(w - 1) * (m + 1) + i]
  std::vector<int64_t> freeMemory;
  for (size_t l : free)
    freeMemory.push_back(memoryArea[l]);
  auto rows = [&](size_t i, int64_t w) {
    return std::min(
        rowsFor(layerCycles, free[i], w, stage, freeMemory[i], usable.height),
        usable.height + 1);
  };
  // Rows the layers at a strip's ends need so that what crosses to the
  // neighbouring strip at the serpentine's turn does so within the stage.
  std::vector<int64_t> needRows(m + 1, 1);
  auto endRows = [&](size_t i, bool first, bool last, int64_t rowsNow) {
    if (first && i > 0)
      rowsNow = std::max(rowsNow, needRows[i]);
    if (last && i + 1 < m)
      rowsNow = std::max(rowsNow, needRows[i + 1]);
    return rowsNow;
  };
  RowsFn segmentRows = [&](size_t begin, size_t end, int64_t w) {
    const int64_t *row = &prefix[(w - 1) * (m + 1)];
    int64_t total = row[end] - row[begin];
    int64_t firstRows = row[begin + 1] - row[begin];
    if (end - begin == 1)
      return total - firstRows + endRows(begin, true, true, firstRows);
    int64_t lastRows = row[end] - row[end - 1];
    return total - firstRows - lastRows +
           endRows(begin, true, false, firstRows) +
           endRows(end - 1, false, true, lastRows);
  };
  // Strips go into the free intervals in order; each must fit in one.
  auto fitIntervals = [&](std::vector<Strip> &strips,
                          std::vector<int64_t> &xs) {
    xs.clear();
    size_t interval = 0;
    int64_t used = 0;
    for (const Strip &strip : strips) {
      while (interval < intervals.size() &&
             used + strip.width > intervals[interval].second) {
        ++interval;
        used = 0;
      }
      if (interval == intervals.size())
        return false;
      xs.push_back(intervals[interval].first + used);
      used += strip.width;
    }
    return true;
  };
  std::vector<int64_t> xs;
  auto feasible = [&](double cycles, std::vector<Strip> &strips) {
    if (cycles < pinnedCycles)
      return false;
    stage = cycles;
    if (m == 0) {
      strips.clear();
      return true;
    }
    if (stripArea.width == 0)
      return false;
    std::vector<int64_t> needWidth(m + 1, 1);
    for (size_t i = 1; i < m; ++i) {
      needWidth[i] = std::max<int64_t>(
          1, static_cast<int64_t>(
                 std::ceil(crossing[i] / std::min(link * cycles, linkCap))));
      needRows[i] = needWidth[i];
    }
    // Layers of one shape and memory need the same rows: each such class
    // is searched once per width (a model's blocks repeat).
    std::map<std::pair<size_t, int64_t>, size_t> classOf;
    std::vector<size_t> rowClass(m), representative;
    for (size_t i = 0; i < m; ++i) {
      auto [it, fresh] = classOf.try_emplace(
          {layerCycles.shapeOf(free[i]), freeMemory[i]}, representative.size());
      if (fresh)
        representative.push_back(i);
      rowClass[i] = it->second;
    }
    std::vector<int64_t> classRows(representative.size());
    prefix.assign(stripArea.width * (m + 1), 0);
    for (int64_t w = 1; w <= stripArea.width; ++w) {
      for (size_t c = 0; c < representative.size(); ++c)
        classRows[c] = rows(representative[c], w);
      int64_t *row = &prefix[(w - 1) * (m + 1)];
      for (size_t i = 0; i < m; ++i)
        row[i + 1] = row[i] + classRows[rowClass[i]];
    }
    strips = packStrips(m, freeMemory, needWidth, segmentRows, stripArea);
    return !strips.empty() && fitIntervals(strips, xs);
  };

  // One placement with activations capped at `linkCap` bytes per link and
  // step; also returns the busiest boundary's and SUMMA broadcast's bytes
  // per link.
  struct Solution {
    Placement placement;
    double crossingLoad = 0, summaLoad = 0;
  };
  auto solve = [&](double cap) -> absl::StatusOr<Solution> {
    linkCap = cap;
    // Binary search on the stage time.
    double lo = std::max({lowerBound, slowest, pinnedCycles}), hi = lo;
    std::vector<Strip> strips;
    int doublings = 0;
    while (!feasible(hi, strips)) {
      hi *= 2;
      if (++doublings > 60)
        return absl::ResourceExhaustedError(
            options.pins.empty()
                ? "the layers' PEs do not fit side by side in strips; use "
                  "weight streaming"
                : "the layers do not fit around the pinned regions");
    }
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

    // Refine: the columns an interval has left go to its strips, in
    // proportion to their widths.
    for (size_t s = 0; s < strips.size();) {
      size_t t = s;
      int64_t used = 0;
      while (t < strips.size() &&
             (t == s || xs[t] == xs[t - 1] + strips[t - 1].width)) {
        used += strips[t].width;
        ++t;
      }
      auto interval =
          std::find_if(intervals.begin(), intervals.end(), [&](auto &i) {
            return i.first <= xs[s] && xs[s] < i.first + i.second;
          });
      int64_t spare = interval->first + interval->second - (xs[s] + used);
      int64_t given = 0, x = xs[s];
      for (size_t k = s; k < t; ++k) {
        int64_t extra =
            k + 1 == t ? spare - given
                       : spare * strips[k].width / std::max<int64_t>(used, 1);
        strips[k].width += extra;
        given += extra;
        xs[k] = x;
        x += strips[k].width;
      }
      s = t;
    }

    // Rows of each layer of a strip at a width: what it needs at the stage
    // time, then spare rows one at a time to the strip's slowest layer.
    // Returns the strip's slowest layer's cycles (infinite if it cannot fit).
    auto fillStrip = [&](const Strip &strip, int64_t width,
                         std::vector<int64_t> &height) {
      height.clear();
      int64_t needed = 0;
      for (size_t i = strip.begin; i < strip.end; ++i) {
        height.push_back(std::min(
            endRows(i, i == strip.begin, i + 1 == strip.end, rows(i, width)),
            usable.height + 1));
        needed += height.back();
      }
      if (needed > usable.height)
        return std::numeric_limits<double>::infinity();
      std::vector<double> cycles(height.size());
      auto cyclesAt = [&](size_t i) {
        return layerCycles(free[strip.begin + i], height[i], width);
      };
      for (size_t i = 0; i < height.size(); ++i)
        cycles[i] = cyclesAt(i);
      for (int64_t spareRows = usable.height - needed; spareRows > 0;
           --spareRows) {
        size_t slowestLayer =
            std::max_element(cycles.begin(), cycles.end()) - cycles.begin();
        ++height[slowestLayer];
        cycles[slowestLayer] = cyclesAt(slowestLayer);
      }
      return *std::max_element(cycles.begin(), cycles.end());
    };

    // Lay the strips out serpentine.
    Placement placement;
    placement.mode = Mode::pipelined;
    std::vector<PlacedLayer> placedLayers(n);
    for (size_t s = 0; s < strips.size(); ++s) {
      const Strip &strip = strips[s];
      std::vector<int64_t> height;
      fillStrip(strip, strip.width, height);
      bool downward = s % 2 == 0;
      int64_t y = downward ? usable.y : usable.y + usable.height;
      for (size_t i = 0; i < height.size(); ++i) {
        if (!downward)
          y -= height[i];
        placedLayers[free[strip.begin + i]].region =
            Rect{xs[s], y, strip.width, height[i]};
        if (downward)
          y += height[i];
      }
    }
    // What crosses into each free layer from the one before it: over the
    // strip's width when they are stacked, else over the rows the two share
    // at the serpentine's turn.
    std::vector<double> transferIn(n, 0), crossingLoad(n, 0);
    for (size_t s = 0; s < strips.size(); ++s)
      for (size_t i = std::max<size_t>(strips[s].begin, 1); i < strips[s].end;
           ++i) {
        const Rect &above = placedLayers[free[i - 1]].region;
        const Rect &here = placedLayers[free[i]].region;
        int64_t lanes = here.width;
        if (i == strips[s].begin)
          lanes = std::min(above.y + above.height, here.y + here.height) -
                  std::max(above.y, here.y);
        lanes = std::max<int64_t>(lanes, 1);
        transferIn[free[i]] = model.transferCycles(crossing[i], lanes, 1);
        crossingLoad[free[i]] = static_cast<double>(crossing[i]) / lanes;
      }
    for (size_t l = 0; l < n; ++l) {
      PlacedLayer &placed = placedLayers[l];
      placed.name = layers[l].name;
      if (pinned[l])
        placed.region = *pinned[l];
      // The average, or the fullest PE of a product's SUMMA layout, of an
      // attention tiling or of whole rows.
      const Rect &r = placed.region;
      placed.sramBytesPerPE =
          std::max(ceilDiv(residentBytes(layers[l]), r.area()),
                   model.fullestPeBytes(layers[l], r.height, r.width,
                                        /*weightsResident=*/true));
      placed.cycles = static_cast<int64_t>(
          std::ceil(std::max(model.layerCycles(layers[l], placed.region.height,
                                               placed.region.width),
                             transferIn[l])));
      placement.predictedCycles =
          std::max(placement.predictedCycles, placed.cycles);
    }
    placement.layers = std::move(placedLayers);
    placement.lowerBoundCycles =
        static_cast<int64_t>(std::ceil(std::max(lowerBound, slowest)));
    Solution solution{std::move(placement), 0, 0};
    for (size_t l = 0; l < n; ++l) {
      const Rect &r = solution.placement.layers[l].region;
      solution.crossingLoad = std::max(solution.crossingLoad, crossingLoad[l]);
      // Each broadcast spreads over the region's rows (columns).
      SummaBroadcasts b = CostModel::summaBroadcasts(
          layers[l], r.height, r.width,
          model.transposedSumma(layers[l], r.height, r.width),
          /*weightsStreamed=*/false);
      solution.summaLoad = std::max(
          {solution.summaLoad, static_cast<double>(b.rowBytes) / r.height,
           static_cast<double>(b.columnBytes) / r.width});
    }
    return solution;
  };

  // Activations between layers may load a link more than any matmul's own
  // broadcasts do while still fitting the stage. Then place again with them
  // capped at the broadcasts' load, or the least multiple of it (up to 4x)
  // that costs the step under 2 %, and again from the new placement's
  // broadcasts, at most eight placements more in all.
  absl::StatusOr<Solution> best =
      solve(std::numeric_limits<double>::infinity());
  if (!best.ok())
    return best.status();
  double budget = 1.02 * best->placement.predictedCycles;
  int solves = 0;
  bool improved = true;
  while (improved && solves < 8 && best->summaLoad > 0 &&
         best->crossingLoad > 1.05 * best->summaLoad) {
    improved = false;
    double summaLoad = best->summaLoad;
    for (double factor = 1; factor <= 4.01 && solves < 8;
         factor *= std::sqrt(2.0)) {
      if (summaLoad * factor >= best->crossingLoad)
        break;
      absl::StatusOr<Solution> capped = solve(summaLoad * factor);
      ++solves;
      if (capped.ok() && capped->placement.predictedCycles <= budget &&
          capped->crossingLoad < best->crossingLoad) {
        best = std::move(capped);
        improved = true;
        break;
      }
    }
  }
  return std::move(best->placement);
}

} // namespace

absl::StatusOr<Placement> placePipelined(const TargetDesc &target,
                                         const std::vector<LayerSpec> &layers,
                                         const PlaceOptions &options) {
  // A product's fullest PE (its SUMMA blocks and the panels it receives),
  // an attention layer's or a row layout's first can hold more than the
  // layer's average: such a layer gets more PEs, in proportion, until it
  // fits.
  int64_t sram = target.usableSramBytes();
  std::vector<double> memoryScale(layers.size(), 1.0);
  CostModel model(target);
  CycleTable layerCycles(model, layers);
  for (int round = 0;; ++round) {
    absl::StatusOr<Placement> placement =
        placePipelinedScaled(target, layers, options, memoryScale, layerCycles);
    if (!placement.ok())
      return placement;
    const PlacedLayer *over = nullptr;
    for (size_t l = 0; l < layers.size(); ++l) {
      const PlacedLayer &placed = placement->layers[l];
      if (placed.sramBytesPerPE <= sram)
        continue;
      // The fullest PE holds about its share of the region: the region,
      // not just the memory it was sized for, grows in proportion.
      double placedScale = static_cast<double>(placed.region.area()) /
                           std::max<int64_t>(1, memoryPEs(layers[l], sram));
      memoryScale[l] = std::max(memoryScale[l], placedScale) * 1.05 *
                       placed.sramBytesPerPE / sram;
      if (!over || placed.sramBytesPerPE > over->sramBytesPerPE)
        over = &placed;
    }
    if (!over)
      return placement;
    if (round == 7)
      return absl::ResourceExhaustedError(absl::StrCat(
          "layer ", over->name, "'s fullest PE needs ",
          kib(over->sramBytesPerPE), " on its ", over->region.width, "x",
          over->region.height,
          " PEs (its blocks and the panels it receives), more than ", "the ",
          kib(sram),
          " each has after the reserve; use weight "
          "streaming"));
  }
}

absl::StatusOr<Placement>
scheduleWeightStreaming(const TargetDesc &target,
                        const std::vector<LayerSpec> &layers,
                        int64_t heldBytes) {
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
    // Full height: weight tiles enter on every row of the west edge.
    regions.push_back(
        fastestSubgrid(model, layer, usable, /*fullHeight=*/true));
    constantPerPE = std::max(
        constantPerPE, ceilDiv(layer.constantBytes, regions.back().area()));
  }
  // Activations are planned spread over the whole wafer, but a layer on a
  // smaller region, or whose fullest PE holds more than the average (an
  // attention tiling, a product's blocks, whole rows), needs that PE's
  // bytes beside the slots. With the batch tiled over passes each pass
  // holds a part of it, and a layout that would take more than half a PE
  // is not how such a layer would run (a row wider than a PE): those plan
  // the average.
  int64_t fullest = 0;
  if (placement.passes == 1)
    for (size_t l = 0; l < layers.size(); ++l)
      fullest =
          std::max(fullest, model.fullestPeBytes(layers[l], regions[l].height,
                                                 regions[l].width,
                                                 /*weightsResident=*/false));
  if (fullest <= sram / 2)
    activationPerPE = std::max(activationPerPE, fullest);
  // What stays between layers (a training step's activations) takes its
  // share of every PE beside the layer's own; the weight buffers keep at
  // least kMinSlotBytes each, or the batch must be cut.
  constexpr int64_t kMinSlotBytes = 1024;
  int64_t heldPerPE = ceilDiv(heldBytes, pes);
  int64_t left = sram - activationPerPE - constantPerPE;
  if (heldBytes > 0 && left - heldPerPE < 2 * kMinSlotBytes) {
    int64_t room = std::max<int64_t>(1, (left - 2 * kMinSlotBytes) * pes);
    int64_t factor = ceilDiv(heldBytes, room);
    absl::Status status = absl::ResourceExhaustedError(absl::StrCat(
        "the training step keeps ", heldBytes,
        " bytes of activations on the wafer for its backward layers (",
        kib(heldPerPE), " per PE); beside each layer's own ",
        kib(activationPerPE + constantPerPE), " and two weight buffers of ",
        kib(kMinSlotBytes), ", a PE of ", kib(sram),
        " has room for ", kib(std::max<int64_t>(0, left - 2 * kMinSlotBytes)),
        ": cut the batch into more micro-batches (--micro-batches=K; K >= ",
        factor, " times as many), or recompute activations (--recompute)"));
    std::string text = std::to_string(factor);
    // Through absl::string_view: Debian's Abseil exports no Cord
    // constructor from std::string to clang-built code.
    status.SetPayload(kMicroBatchFactorPayload,
                      absl::Cord(absl::string_view(text.data(), text.size())));
    return status;
  }
  placement.slotBytesPerPE = (left - heldPerPE) / 2 / 4 * 4;
  if (placement.slotBytesPerPE <= 0)
    return absl::ResourceExhaustedError(
        absl::StrCat("no SRAM left for weight buffers: activations take ",
                     kib(activationPerPE), " per PE of ", kib(sram)));
  int64_t tileBytes = placement.slotBytesPerPE * pes;

  StreamSchedule schedule(model);
  double computeTotal = 0;
  int64_t weightTotal = 0;
  for (size_t index = 0; index < layers.size(); ++index) {
    const LayerSpec &layer = layers[index];
    PlacedLayer placed;
    placed.name = layer.name;
    placed.region = regions[index];
    computeTotal += model.computeCycles(layer, pes);
    int64_t weightBytes = layer.weightBytes();
    weightTotal += weightBytes;
    placed.sramBytesPerPE = activationPerPE + constantPerPE + heldPerPE +
                            (weightBytes ? 2 * placement.slotBytesPerPE : 0);
    core::ScheduledLayer scheduled = schedule.add(
        model.layerCycles(layer, placed.region.height, placed.region.width),
        layer.weights, tileBytes);
    placed.startCycle = scheduled.startCycle;
    placed.cycles = scheduled.cycles;
    placed.tiles = std::move(scheduled.tiles);
    placement.layers.push_back(std::move(placed));
  }
  placement.predictedCycles = schedule.endCycle();
  placement.lowerBoundCycles = static_cast<int64_t>(
      std::ceil(std::max(computeTotal, model.streamCycles(weightTotal))));
  return placement;
}

absl::StatusOr<Placement> placeLayers(const TargetDesc &target,
                                      const std::vector<LayerSpec> &layers,
                                      const PlaceOptions &options) {
  Mode mode = options.mode.value_or(
      fitsPipelined(target, layers) ? Mode::pipelined : Mode::weightStreaming);
  if (mode == Mode::pipelined) {
    absl::StatusOr<Placement> placement =
        placePipelined(target, layers, options);
    // Chosen, not asked for: a model whose PEs overflow streams instead.
    if (placement.ok() || options.mode ||
        !absl::IsResourceExhausted(placement.status()) || !options.pins.empty())
      return placement;
  }
  if (!options.pins.empty())
    return absl::InvalidArgumentError(
        "layers cannot be pinned in weight-streaming mode: every layer uses "
        "the whole usable grid");
  return scheduleWeightStreaming(target, layers, options.heldBytes);
}

} // namespace wafer::place
