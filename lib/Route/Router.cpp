//===- Router.cpp - lane-bundle routing, coloring and link loads ----------===//

#include "wafer/Route/Router.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <map>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace wafer::route {

const char *directionName(Direction direction) {
  switch (direction) {
  case Direction::east:
    return "east";
  case Direction::west:
    return "west";
  case Direction::south:
    return "south";
  case Direction::north:
    return "north";
  }
  return "?";
}

const char *flowKindName(FlowKind kind) {
  switch (kind) {
  case FlowKind::activation:
    return "activation";
  case FlowKind::input:
    return "input";
  case FlowKind::output:
    return "output";
  case FlowKind::weights:
    return "weights";
  case FlowKind::rowBroadcast:
    return "row-broadcast";
  case FlowKind::columnBroadcast:
    return "column-broadcast";
  case FlowKind::rowReduction:
    return "row-reduction";
  case FlowKind::columnReduction:
    return "column-reduction";
  case FlowKind::reshard:
    return "reshard";
  }
  return "?";
}

bool isWithinLayer(FlowKind kind) {
  return kind == FlowKind::rowBroadcast || kind == FlowKind::columnBroadcast ||
         kind == FlowKind::rowReduction || kind == FlowKind::columnReduction ||
         kind == FlowKind::reshard;
}

Rect Segment::footprint() const {
  switch (direction) {
  case Direction::east:
    return Rect{x, y, length + 1, lanes};
  case Direction::west:
    return Rect{x - length, y, length + 1, lanes};
  case Direction::south:
    return Rect{x, y, lanes, length + 1};
  case Direction::north:
    return Rect{x, y - length, lanes, length + 1};
  }
  return Rect{};
}

namespace {

std::string describe(const Rect &r) {
  return absl::StrCat("(", r.x, ", ", r.y, ") ", r.width, "x", r.height);
}

/// Whether two flows are branches of one multicast.
bool sameMulticast(const Flow &a, const Flow &b) {
  return a.multicast >= 0 && a.multicast == b.multicast;
}

bool activeTogether(const Flow &a, const Flow &b) {
  bool alwaysA = a.activeStart == a.activeEnd;
  bool alwaysB = b.activeStart == b.activeEnd;
  if (alwaysA || alwaysB)
    return true;
  return a.activeStart < b.activeEnd && b.activeStart < a.activeEnd;
}

/// X then Y from `src` to `dst`, whose rows and columns are disjoint: the
/// lanes leave along the source's first rows and turn into the nearest
/// columns of the destination, nested (the lane on the row nearest the
/// destination turns first) so that no two cross.
std::vector<Segment> xyBundle(const Rect &src, const Rect &dst, bool through) {
  int64_t sy0 = src.y, sy1 = src.y + src.height - 1;
  int64_t sx0 = src.x, sx1 = src.x + src.width - 1;
  int64_t dy0 = dst.y, dy1 = dst.y + dst.height - 1;
  int64_t dx0 = dst.x, dx1 = dst.x + dst.width - 1;
  int64_t lanes = std::min(src.height, dst.width);
  bool east = dx0 > sx1, south = dy0 > sy1;
  int64_t startX = east ? sx1 : sx0;
  int64_t turnX = east ? dx0 + lanes - 1 : dx1 - lanes + 1;
  std::vector<Segment> segments;
  segments.push_back(Segment{startX, sy0, std::abs(turnX - startX), lanes,
                             east ? Direction::east : Direction::west});
  int64_t colX = east ? dx0 : dx1 - lanes + 1;
  int64_t startY = south ? sy0 + lanes - 1 : sy0;
  int64_t endY = south ? (through ? dy1 : dy0) : (through ? dy0 : dy1);
  segments.push_back(Segment{colX, startY, std::abs(endY - startY), lanes,
                             south ? Direction::south : Direction::north});
  return segments;
}

/// The same rectangle or segment with x and y swapped (east <-> south,
/// west <-> north).
Rect swapAxes(const Rect &r) { return Rect{r.y, r.x, r.height, r.width}; }
Segment swapAxes(const Segment &s) {
  static constexpr Direction swapped[] = {Direction::south, Direction::north,
                                          Direction::east, Direction::west};
  return Segment{s.y, s.x, s.length, s.lanes,
                 swapped[static_cast<int>(s.direction)]};
}

/// Y then X from `src` to `dst`, whose rows and columns are disjoint: X
/// then Y with the axes swapped.
std::vector<Segment> yxBundle(const Rect &src, const Rect &dst) {
  std::vector<Segment> segments =
      xyBundle(swapAxes(src), swapAxes(dst), /*through=*/false);
  for (Segment &s : segments)
    s = swapAxes(s);
  return segments;
}

/// The lane bundle from `src` to `dst`: straight across the rows or columns
/// they share, or X then Y, whichever has the most lanes (an L from the part
/// of the source above or below the destination can carry more than a few
/// shared rows). Weight streams run on through the whole destination (each
/// PE takes its part on the way).
std::vector<Segment> bundle(const Rect &src, const Rect &dst, bool through) {
  std::vector<Segment> segments;
  // A stream entering at an edge column of its destination runs across it.
  if (through && src.width == 1 && src.overlaps(dst)) {
    int64_t rowLo = std::max(src.y, dst.y);
    int64_t rowHi = std::min(src.y + src.height, dst.y + dst.height) - 1;
    bool east = src.x == dst.x;
    int64_t far = east ? dst.x + dst.width - 1 : dst.x;
    if (far != src.x)
      segments.push_back(Segment{src.x, rowLo, std::abs(far - src.x),
                                 rowHi - rowLo + 1,
                                 east ? Direction::east : Direction::west});
    return segments;
  }
  if (src.overlaps(dst))
    return segments;
  int64_t sy0 = src.y, sy1 = src.y + src.height - 1;
  int64_t dy0 = dst.y, dy1 = dst.y + dst.height - 1;
  int64_t sx0 = src.x, sx1 = src.x + src.width - 1;
  int64_t dx0 = dst.x, dx1 = dst.x + dst.width - 1;
  int64_t rowLo = std::max(sy0, dy0), rowHi = std::min(sy1, dy1);
  int64_t colLo = std::max(sx0, dx0), colHi = std::min(sx1, dx1);
  if (rowLo <= rowHi) {
    bool east = dx0 > sx1;
    int64_t start = east ? sx1 : sx0;
    int64_t end = east ? (through ? dx1 : dx0) : (through ? dx0 : dx1);
    segments.push_back(Segment{start, rowLo, std::abs(end - start),
                               rowHi - rowLo + 1,
                               east ? Direction::east : Direction::west});
    if (through)
      return segments;
    // The source's rows above or below the destination, as an L.
    Rect above{src.x, sy0, src.width, dy0 - sy0};
    Rect below{src.x, dy1 + 1, src.width, sy1 - dy1};
    for (const Rect &part : {above, below})
      if (part.height > 0 &&
          std::min(part.height, dst.width) > segments.front().lanes)
        segments = xyBundle(part, dst, through);
    return segments;
  }
  if (colLo <= colHi) {
    bool south = dy0 > sy1;
    int64_t start = south ? sy1 : sy0;
    int64_t end = south ? (through ? dy1 : dy0) : (through ? dy0 : dy1);
    segments.push_back(Segment{colLo, start, std::abs(end - start),
                               colHi - colLo + 1,
                               south ? Direction::south : Direction::north});
    return segments;
  }
  return xyBundle(src, dst, through);
}

/// Every lane bundle the negotiation may move a flow to: straight across
/// shared rows or columns, X then Y or Y then X from the whole source or from
/// its part beyond the destination's rows (columns).
std::vector<std::vector<Segment>> candidateBundles(const Rect &src,
                                                   const Rect &dst) {
  std::vector<std::vector<Segment>> candidates;
  if (src.overlaps(dst))
    return candidates;
  candidates.push_back(bundle(src, dst, /*through=*/false));
  auto disjoint = [&](const Rect &part) {
    return part.width > 0 && part.height > 0 &&
           (part.x + part.width <= dst.x || dst.x + dst.width <= part.x) &&
           (part.y + part.height <= dst.y || dst.y + dst.height <= part.y);
  };
  // The source's rows above and below the destination's, and its columns
  // left and right of them (empty where it has none).
  int64_t belowY = std::max(src.y, dst.y + dst.height);
  int64_t rightX = std::max(src.x, dst.x + dst.width);
  Rect above{src.x, src.y, src.width,
             std::min(src.y + src.height, dst.y) - src.y};
  Rect below{src.x, belowY, src.width, src.y + src.height - belowY};
  Rect left{src.x, src.y, std::min(src.x + src.width, dst.x) - src.x,
            src.height};
  Rect right{rightX, src.y, src.x + src.width - rightX, src.height};
  for (const Rect &part : {src, above, below})
    if (disjoint(part))
      candidates.push_back(xyBundle(part, dst, /*through=*/false));
  for (const Rect &part : {src, left, right})
    if (disjoint(part))
      candidates.push_back(yxBundle(part, dst));
  return candidates;
}

int64_t hopsOf(const std::vector<Segment> &segments) {
  int64_t hops = 0;
  for (const Segment &s : segments)
    hops += s.length;
  return hops;
}

/// The fabric cut along the edges of a set of rectangles: each axis keeps
/// only the coordinates where one of them starts or ends (and the fabric's
/// own edges), so a cell is a block of PEs that every one of the rectangles
/// covers wholly or not at all. Its size grows with the rectangles, never
/// with the PEs, and never beyond the PEs.
class Cuts {
public:
  Cuts(int64_t cols, int64_t rows, const std::vector<Rect> &rects)
      : xs{0, cols}, ys{0, rows} {
    for (const Rect &r : rects) {
      xs.push_back(std::clamp<int64_t>(r.x, 0, cols));
      xs.push_back(std::clamp<int64_t>(r.x + r.width, 0, cols));
      ys.push_back(std::clamp<int64_t>(r.y, 0, rows));
      ys.push_back(std::clamp<int64_t>(r.y + r.height, 0, rows));
    }
    for (std::vector<int64_t> *axis : {&xs, &ys}) {
      std::sort(axis->begin(), axis->end());
      axis->erase(std::unique(axis->begin(), axis->end()), axis->end());
    }
  }
  int64_t cellCols() const { return static_cast<int64_t>(xs.size()) - 1; }
  int64_t cellRows() const { return static_cast<int64_t>(ys.size()) - 1; }
  /// The cells `r` covers, as [i0, i1) x [j0, j1); false when it covers no
  /// PE. `r` must be one of the rectangles the cuts were made from.
  bool cells(const Rect &r, int64_t *i0, int64_t *i1, int64_t *j0,
             int64_t *j1) const {
    *i0 = index(xs, r.x);
    *i1 = index(xs, r.x + r.width);
    *j0 = index(ys, r.y);
    *j1 = index(ys, r.y + r.height);
    return *i0 < *i1 && *j0 < *j1;
  }
  /// The first PE (north-west corner) of cell (i, j).
  int64_t x(int64_t i) const { return xs[i]; }
  int64_t y(int64_t j) const { return ys[j]; }

private:
  static int64_t index(const std::vector<int64_t> &axis, int64_t v) {
    v = std::clamp(v, axis.front(), axis.back());
    auto it = std::lower_bound(axis.begin(), axis.end(), v);
    assert(it != axis.end() && *it == v && "rectangle not among the cuts");
    return it - axis.begin();
  }
  std::vector<int64_t> xs, ys;
};

/// A 2-D difference array over the cells of `Cuts`: rectangle updates in
/// O(1), one prefix-sum pass to read.
class Grid {
public:
  explicit Grid(const Cuts &cuts)
      : cuts(&cuts), cols(cuts.cellCols()), rows(cuts.cellRows()),
        diff((cols + 1) * (rows + 1), 0.0) {}
  void add(const Rect &r, double value) {
    int64_t i0, i1, j0, j1;
    if (!cuts->cells(r, &i0, &i1, &j0, &j1))
      return;
    at(i0, j0) += value;
    at(i1, j0) -= value;
    at(i0, j1) -= value;
    at(i1, j1) += value;
  }
  /// The largest value and the first PE (row-major) that has it.
  double max(int64_t *atX = nullptr, int64_t *atY = nullptr) const {
    std::vector<double> values = cellValues();
    double best = 0;
    for (int64_t c = 0; c < cols * rows; ++c)
      if (values[c] > best) {
        best = values[c];
        if (atX)
          *atX = cuts->x(c % cols);
        if (atY)
          *atY = cuts->y(c / cols);
      }
    return best;
  }

  /// The values of the cells, row-major.
  std::vector<double> cellValues() const {
    std::vector<double> out(cols * rows, 0.0), row(cols + 1, 0.0);
    for (int64_t j = 0; j < rows; ++j) {
      double running = 0;
      for (int64_t i = 0; i < cols; ++i) {
        running += diff[j * (cols + 1) + i];
        row[i] += running;
        out[j * cols + i] = row[i];
      }
    }
    return out;
  }

private:
  double &at(int64_t i, int64_t j) { return diff[j * (cols + 1) + i]; }
  const Cuts *cuts;
  int64_t cols, rows;
  std::vector<double> diff;
};

/// The rectangle of links a segment loads, in its direction's grid.
Rect linkBand(const Segment &s) {
  Rect f = s.footprint();
  if (s.direction == Direction::east || s.direction == Direction::west)
    return Rect{f.x, f.y, f.width - 1, f.height};
  return Rect{f.x, f.y, f.width, f.height - 1};
}

/// The most flows (by their footprints, or destinations) that any one PE
/// sees at once, and the PE. The branches of one multicast count once.
int64_t maxDepth(const TargetDesc &target, const std::vector<RoutedFlow> &flows,
                 bool destinations, int64_t *atX, int64_t *atY) {
  // Group flows by the moments they start; always-active flows are in every
  // group.
  std::vector<int64_t> moments;
  for (const RoutedFlow &f : flows)
    if (f.flow.activeStart != f.flow.activeEnd)
      moments.push_back(f.flow.activeStart);
  std::sort(moments.begin(), moments.end());
  moments.erase(std::unique(moments.begin(), moments.end()), moments.end());
  if (moments.empty())
    moments.push_back(0);
  int64_t best = 0;
  for (int64_t t : moments) {
    // The rectangles of each color user: a flow, or a whole multicast.
    std::map<int64_t, std::vector<Rect>> users;
    int64_t solo = 0; // Flows of their own: ids -1, -2, ...
    for (const RoutedFlow &f : flows) {
      bool always = f.flow.activeStart == f.flow.activeEnd;
      if (!always && !(f.flow.activeStart <= t && t < f.flow.activeEnd))
        continue;
      int64_t user = f.flow.multicast >= 0 && !destinations
                         ? f.flow.multicast
                         : -(++solo);
      if (destinations) {
        if (!f.segments.empty())
          users[user].push_back(f.flow.destination);
        continue;
      }
      for (const Segment &s : f.segments)
        users[user].push_back(s.footprint());
    }
    std::vector<Rect> rects;
    for (auto &[user, own] : users)
      rects.insert(rects.end(), own.begin(), own.end());
    int64_t depth = 0, x = 0, y = 0;
    if (rects.size() <= 32) {
      // Few rectangles: the deepest point is at some pair of their corners.
      for (const Rect &a : rects)
        for (const Rect &b : rects) {
          int64_t px = std::max(a.x, b.x), py = std::max(a.y, b.y);
          int64_t n = 0;
          for (auto &[user, own] : users)
            n += std::any_of(own.begin(), own.end(), [&](const Rect &r) {
              return r.contains(Rect{px, py, 1, 1});
            });
          if (n > depth) {
            depth = n;
            x = px;
            y = py;
          }
        }
    } else {
      // Each user covers a cell once, however many of its rectangles do.
      Cuts cuts(target.cols, target.rows, rects);
      std::vector<double> total(cuts.cellCols() * cuts.cellRows(), 0.0);
      for (auto &[user, own] : users) {
        Grid grid(cuts);
        for (const Rect &r : own)
          grid.add(r, 1);
        std::vector<double> covered = grid.cellValues();
        for (size_t c = 0; c < total.size(); ++c)
          total[c] += covered[c] > 0.5 ? 1 : 0;
      }
      double deepest = 0;
      for (size_t c = 0; c < total.size(); ++c)
        if (total[c] > deepest) {
          deepest = total[c];
          x = cuts.x(static_cast<int64_t>(c) % cuts.cellCols());
          y = cuts.y(static_cast<int64_t>(c) / cuts.cellCols());
        }
      depth = static_cast<int64_t>(deepest + 0.5);
    }
    if (depth > best) {
      best = depth;
      if (atX)
        *atX = x;
      if (atY)
        *atY = y;
    }
  }
  return best;
}

/// Link loads per direction over the cells of `cuts`, so that a few bundles
/// can be taken out, priced and put back (each in time proportional to the
/// cells it covers). `cuts` must include every band that will be priced.
class LoadMap {
public:
  LoadMap(const Cuts &cuts, const std::vector<RoutedFlow> &flows)
      : cuts(cuts) {
    std::vector<Grid> grids(4, Grid(cuts));
    for (const RoutedFlow &f : flows)
      for (const Segment &s : f.segments)
        grids[static_cast<int>(s.direction)].add(
            linkBand(s), static_cast<double>(f.flow.bytes) / s.lanes);
    for (const Grid &grid : grids)
      loads.push_back(grid.cellValues());
  }
  void add(const std::vector<Segment> &segments, double bytes, double sign) {
    forEachLink(
        segments, [&](double &load, double perLane) { load += sign * perLane; },
        bytes);
  }
  /// The busiest link the bundle would load, its own bytes included.
  double price(const std::vector<Segment> &segments, double bytes) {
    double worst = 0;
    forEachLink(
        segments,
        [&](double &load, double perLane) {
          worst = std::max(worst, load + perLane);
        },
        bytes);
    return worst;
  }
  /// The busiest link: its load, direction and position.
  double busiest(Direction *direction, int64_t *atX, int64_t *atY) const {
    double best = -1;
    int64_t cols = cuts.cellCols();
    for (int d = 0; d < 4; ++d)
      for (int64_t c = 0; c < static_cast<int64_t>(loads[d].size()); ++c)
        if (loads[d][c] > best) {
          best = loads[d][c];
          *direction = static_cast<Direction>(d);
          *atX = cuts.x(c % cols);
          *atY = cuts.y(c / cols);
        }
    return best;
  }

private:
  template <typename Fn>
  void forEachLink(const std::vector<Segment> &segments, Fn fn, double bytes) {
    int64_t cols = cuts.cellCols();
    for (const Segment &s : segments) {
      std::vector<double> &grid = loads[static_cast<int>(s.direction)];
      double perLane = bytes / s.lanes;
      int64_t i0, i1, j0, j1;
      if (!cuts.cells(linkBand(s), &i0, &i1, &j0, &j1))
        continue;
      for (int64_t j = j0; j < j1; ++j)
        for (int64_t i = i0; i < i1; ++i)
          fn(grid[j * cols + i], perLane);
    }
  }
  const Cuts &cuts;
  std::vector<std::vector<double>> loads;
};

bool loads(const Segment &s, Direction direction, int64_t x, int64_t y) {
  return s.direction == direction && linkBand(s).contains(Rect{x, y, 1, 1});
}

/// Negotiation on the busiest link: the flows through it are taken out one
/// at a time, largest first, and put back on whichever of their candidate
/// bundles loads its busiest link least; a move is kept only if that is
/// below the link's load, so the maximum never grows. Broadcasts and weight
/// streams keep their bundles.
void negotiate(const TargetDesc &target, std::vector<RoutedFlow> &flows) {
  // The bundles each movable flow may take, and the cuts of every band that
  // is or may be loaded.
  std::vector<std::vector<std::vector<Segment>>> candidates(flows.size());
  std::vector<Rect> bands;
  for (size_t i = 0; i < flows.size(); ++i) {
    const RoutedFlow &f = flows[i];
    for (const Segment &s : f.segments)
      bands.push_back(linkBand(s));
    if (isWithinLayer(f.flow.kind) || f.flow.kind == FlowKind::weights)
      continue;
    candidates[i] = candidateBundles(f.flow.source, f.flow.destination);
    for (const std::vector<Segment> &bundle : candidates[i])
      for (const Segment &s : bundle)
        bands.push_back(linkBand(s));
  }
  Cuts cuts(target.cols, target.rows, bands);
  LoadMap map(cuts, flows);
  std::vector<size_t> order(flows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return flows[a].flow.bytes > flows[b].flow.bytes;
  });
  for (int move = 0; move < 64; ++move) {
    Direction direction = Direction::east;
    int64_t x = 0, y = 0;
    double worst = map.busiest(&direction, &x, &y);
    bool moved = false;
    for (size_t i : order) {
      RoutedFlow &f = flows[i];
      if (isWithinLayer(f.flow.kind) || f.flow.kind == FlowKind::weights ||
          std::none_of(
              f.segments.begin(), f.segments.end(),
              [&](const Segment &s) { return loads(s, direction, x, y); }))
        continue;
      double bytes = static_cast<double>(f.flow.bytes);
      map.add(f.segments, bytes, -1);
      std::vector<Segment> best = f.segments;
      double bestPrice = worst;
      for (const std::vector<Segment> &candidate : candidates[i]) {
        double price = map.price(candidate, bytes);
        if (price < bestPrice * 0.999) {
          best = candidate;
          bestPrice = price;
        }
      }
      map.add(best, bytes, +1);
      if (bestPrice < worst * 0.999) {
        f.segments = std::move(best);
        f.hops = hopsOf(f.segments);
        moved = true;
        break;
      }
    }
    if (!moved)
      return;
  }
}

bool footprintsMeet(const RoutedFlow &a, const RoutedFlow &b, Rect *where) {
  for (const Segment &sa : a.segments)
    for (const Segment &sb : b.segments)
      if (sa.footprint().overlaps(sb.footprint())) {
        if (where) {
          Rect fa = sa.footprint(), fb = sb.footprint();
          *where = Rect{std::max(fa.x, fb.x), std::max(fa.y, fb.y), 1, 1};
        }
        return true;
      }
  return false;
}

} // namespace

absl::StatusOr<Routing> routeFlows(const TargetDesc &target,
                                   std::vector<Flow> flows) {
  Routing routing;
  routing.colorLimit = target.routableColors();
  for (Flow &flow : flows) {
    RoutedFlow routed;
    const Rect &region = flow.destination;
    if (flow.kind == FlowKind::rowBroadcast) {
      // Every row of the region, across its width.
      if (region.width > 1)
        routed.segments.push_back(Segment{region.x, region.y, region.width - 1,
                                          region.height, Direction::east});
    } else if (flow.kind == FlowKind::columnBroadcast) {
      if (region.height > 1)
        routed.segments.push_back(Segment{region.x, region.y, region.height - 1,
                                          region.width, Direction::south});
    } else if (flow.kind == FlowKind::rowReduction) {
      // Every row of the region, from its east end back to its first column.
      if (region.width > 1)
        routed.segments.push_back(Segment{region.x + region.width - 1, region.y,
                                          region.width - 1, region.height,
                                          Direction::west});
    } else if (flow.kind == FlowKind::columnReduction) {
      if (region.height > 1)
        routed.segments.push_back(
            Segment{region.x, region.y + region.height - 1, region.height - 1,
                    region.width, Direction::north});
    } else if (flow.kind == FlowKind::reshard) {
      // Dimension order: along every row, then down every column.
      if (region.width > 1)
        routed.segments.push_back(Segment{region.x, region.y, region.width - 1,
                                          region.height, Direction::east});
      if (region.height > 1)
        routed.segments.push_back(Segment{region.x, region.y, region.height - 1,
                                          region.width, Direction::south});
    } else {
      routed.segments =
          bundle(flow.source, flow.destination, flow.kind == FlowKind::weights);
    }
    routed.hops = hopsOf(routed.segments);
    routed.flow = std::move(flow);
    routing.flows.push_back(std::move(routed));
  }

  negotiate(target, routing.flows);

  // Colors: largest flows first, the lowest color no conflicting flow
  // (active together, sharing a router) already has.
  std::vector<size_t> order(routing.flows.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return routing.flows[a].flow.bytes > routing.flows[b].flow.bytes;
  });
  for (size_t i : order) {
    RoutedFlow &flow = routing.flows[i];
    if (flow.segments.empty()) {
      flow.color = -1; // Local: no route, no color.
      continue;
    }
    std::vector<bool> used(routing.colorLimit, false);
    Rect where{};
    // A multicast's branches take one color where they can.
    int64_t shared = -1;
    for (size_t j : order) {
      const RoutedFlow &other = routing.flows[j];
      if (j == i || other.color < 0 || !activeTogether(flow.flow, other.flow))
        continue;
      if (sameMulticast(flow.flow, other.flow)) {
        shared = other.color;
        continue;
      }
      Rect meet;
      if (footprintsMeet(flow, other, &meet)) {
        used[other.color] = true;
        where = meet;
      }
    }
    if (shared >= 0 && !used[shared]) {
      flow.color = shared;
      continue;
    }
    auto free = std::find(used.begin(), used.end(), false);
    if (free == used.end())
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot route ", flowKindName(flow.flow.kind), " flow '",
          flow.flow.name, "' from ", describe(flow.flow.source), " to ",
          describe(flow.flow.destination), ": no color left at router (",
          where.x, ", ", where.y, "); all ", routing.colorLimit,
          " routable colors are taken there"));
    flow.color = free - used.begin();
  }

  // Link loads, and the cuts every flow must cross whatever its route.
  routing.maxLinkLoad = maxLinkLoad(target, routing.flows);
  std::vector<double> eastCut(target.cols + 1, 0), westCut(target.cols + 1, 0),
      southCut(target.rows + 1, 0), northCut(target.rows + 1, 0);
  double flowBound = 0;
  for (const RoutedFlow &f : routing.flows) {
    if (isWithinLayer(f.flow.kind)) {
      // A broadcast over a line of q PEs: the panels of the q - 1 owners on
      // one side of the cut next to an end must all cross it one way (and a
      // reduction's partial sums, which are no larger).
      for (const Segment &s : f.segments)
        flowBound =
            std::max(flowBound, static_cast<double>(f.flow.bytes) / s.lanes *
                                    s.length / (s.length + 1));
      routing.totalHops += f.hops;
      continue;
    }
    for (const Segment &s : f.segments) {
      Rect band = linkBand(s);
      auto addCut = [](std::vector<double> &cut, int64_t from, int64_t to,
                       double bytes) {
        from = std::max<int64_t>(from, 0);
        to = std::min<int64_t>(to, static_cast<int64_t>(cut.size()) - 1);
        for (int64_t c = from; c < to; ++c)
          cut[c] += bytes;
      };
      if (s.direction == Direction::east)
        addCut(eastCut, band.x, band.x + band.width, f.flow.bytes);
      else if (s.direction == Direction::west)
        addCut(westCut, band.x, band.x + band.width, f.flow.bytes);
      else if (s.direction == Direction::south)
        addCut(southCut, band.y, band.y + band.height, f.flow.bytes);
      else
        addCut(northCut, band.y, band.y + band.height, f.flow.bytes);
    }
    // A flow leaves its source through at most its boundary's links.
    if (!f.segments.empty()) {
      const Rect &src = f.flow.source, &dst = f.flow.destination;
      int64_t out =
          std::min(2 * (src.width + src.height), 2 * (dst.width + dst.height));
      flowBound = std::max(flowBound, static_cast<double>(f.flow.bytes) / out);
    }
    routing.totalHops += f.hops;
  }
  double cutBound = 0;
  for (double t : eastCut)
    cutBound = std::max(cutBound, t / target.rows);
  for (double t : westCut)
    cutBound = std::max(cutBound, t / target.rows);
  for (double t : southCut)
    cutBound = std::max(cutBound, t / target.cols);
  for (double t : northCut)
    cutBound = std::max(cutBound, t / target.cols);
  routing.linkLoadLowerBound = std::max(cutBound, flowBound);

  int64_t x = 0, y = 0;
  routing.maxColorsPerRouter = maxDepth(target, routing.flows, false, &x, &y);
  routing.maxTerminalColorsPerPE =
      maxDepth(target, routing.flows, true, &x, &y);
  if (routing.maxTerminalColorsPerPE > target.inputQueues)
    return absl::ResourceExhaustedError(absl::StrCat(
        routing.maxTerminalColorsPerPE, " flows end at PE (", x, ", ", y,
        ") at once, more than its ", target.inputQueues, " input queues"));
  std::string problem = checkRouting(target, routing);
  if (!problem.empty())
    return absl::InternalError(problem);
  routing.deadlockFree = true;
  return routing;
}

double maxLinkLoad(const TargetDesc &target,
                   const std::vector<RoutedFlow> &flows) {
  // Each segment spreads its flow's bytes over its lanes.
  std::vector<Rect> bands;
  for (const RoutedFlow &f : flows)
    for (const Segment &s : f.segments)
      bands.push_back(linkBand(s));
  Cuts cuts(target.cols, target.rows, bands);
  std::vector<Grid> loads(4, Grid(cuts));
  for (const RoutedFlow &f : flows)
    for (const Segment &s : f.segments)
      loads[static_cast<int>(s.direction)].add(
          linkBand(s), static_cast<double>(f.flow.bytes) / s.lanes);
  double busiest = 0;
  for (const Grid &grid : loads)
    busiest = std::max(busiest, grid.max());
  return busiest;
}

int64_t linkCycles(const TargetDesc &target, double maxLinkLoad) {
  return static_cast<int64_t>(
      std::ceil(maxLinkLoad / std::max<int64_t>(1, target.linkBytesPerCycle)));
}

std::string checkRouting(const TargetDesc &target, const Routing &routing) {
  for (const RoutedFlow &f : routing.flows) {
    const Flow &flow = f.flow;
    if (f.segments.empty()) {
      if (!flow.source.overlaps(flow.destination))
        return absl::StrCat("flow '", flow.name, "' from ",
                            describe(flow.source), " to ",
                            describe(flow.destination), " has no route");
      continue;
    }
    if (f.color < 0 || f.color >= routing.colorLimit)
      return absl::StrCat("flow '", flow.name, "' has color ", f.color,
                          ", outside the ", routing.colorLimit,
                          " routable colors");
    // Connected: the first segment starts in the source, each next one
    // where the previous ends, the last ends in the destination.
    auto endOf = [](const Segment &s) {
      switch (s.direction) {
      case Direction::east:
        return Rect{s.x + s.length, s.y, 1, s.lanes};
      case Direction::west:
        return Rect{s.x - s.length, s.y, 1, s.lanes};
      case Direction::south:
        return Rect{s.x, s.y + s.length, s.lanes, 1};
      case Direction::north:
        return Rect{s.x, s.y - s.length, s.lanes, 1};
      }
      return Rect{};
    };
    auto startOf = [](const Segment &s) {
      bool horizontal =
          s.direction == Direction::east || s.direction == Direction::west;
      return horizontal ? Rect{s.x, s.y, 1, s.lanes}
                        : Rect{s.x, s.y, s.lanes, 1};
    };
    if (!flow.source.overlaps(startOf(f.segments.front())))
      return absl::StrCat("flow '", flow.name,
                          "' does not start in its "
                          "source ",
                          describe(flow.source));
    for (size_t i = 1; i < f.segments.size(); ++i) {
      Rect end = endOf(f.segments[i - 1]), start = startOf(f.segments[i]);
      Rect grown{end.x - 1, end.y - 1, end.width + 2, end.height + 2};
      if (!grown.overlaps(start))
        return absl::StrCat("flow '", flow.name,
                            "' breaks between its "
                            "segments ",
                            i - 1, " and ", i);
    }
    if (!flow.destination.overlaps(endOf(f.segments.back())))
      return absl::StrCat("flow '", flow.name,
                          "' does not reach its "
                          "destination ",
                          describe(flow.destination));
  }
  // One color, one route per router at a time: then every color's channel
  // dependencies form disjoint XY paths, which cannot cycle.
  for (size_t i = 0; i < routing.flows.size(); ++i)
    for (size_t j = i + 1; j < routing.flows.size(); ++j) {
      const RoutedFlow &a = routing.flows[i], &b = routing.flows[j];
      Rect where;
      if (a.color >= 0 && a.color == b.color &&
          !sameMulticast(a.flow, b.flow) && activeTogether(a.flow, b.flow) &&
          footprintsMeet(a, b, &where))
        return absl::StrCat("flows '", a.flow.name, "' and '", b.flow.name,
                            "' share color ", a.color, " at router (", where.x,
                            ", ", where.y, ")");
    }
  if (routing.maxColorsPerRouter > target.colors)
    return absl::StrCat(routing.maxColorsPerRouter,
                        " colors meet at one router, more than the ",
                        target.colors, " it has");
  return "";
}

} // namespace wafer::route
