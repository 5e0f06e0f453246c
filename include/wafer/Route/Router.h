//===- Router.h - flows on the mesh: routes, colors, link loads -*- C++ -*-===//
//
// Routes flows between rectangles of PEs as lane bundles: a bundle of L
// parallel dimension-ordered (X then Y) tracks, described by at most two
// segments however many PEs it spans, so a full-wafer plan stays small.
// Colors are assigned greedily (largest flows first) so that flows active at
// the same time never share a router on one color; link loads come from
// 2-D difference arrays, never from per-PE simulation. MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_ROUTE_ROUTER_H
#define WAFER_ROUTE_ROUTER_H

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "wafer/Target/TargetDesc.h"

namespace wafer::route {

enum class Direction { east = 0, west = 1, south = 2, north = 3 };
const char *directionName(Direction direction);

/// `lanes` parallel tracks moving `length` hops in `direction` from the PEs
/// at (x, y) ... : for east/west the tracks are rows y .. y + lanes - 1, for
/// north/south columns x .. x + lanes - 1.
struct Segment {
  int64_t x = 0, y = 0, length = 0, lanes = 0;
  Direction direction = Direction::east;
  /// The rectangle of PEs (routers) the segment passes through, ends
  /// included.
  Rect footprint() const;
};

/// What a flow carries: a value between layers, a graph input or result,
/// a layer's weight stream, a matmul's SUMMA panels (or an attention
/// layer's keys and values) broadcast along the rows or the columns of its
/// own region, or the partial sums of a row normalisation reduced along them
/// toward the region's first column (row), or what a layer's kernels
/// regroup across its PEs (a reshard, over every row and column of its
/// region) (source and destination are the region for the last five).
enum class FlowKind {
  activation,
  input,
  output,
  weights,
  rowBroadcast,
  columnBroadcast,
  rowReduction,
  columnReduction,
  reshard
};
/// Whether the flow stays within its layer's region on a fixed route.
bool isWithinLayer(FlowKind kind);
const char *flowKindName(FlowKind kind);

struct Flow {
  std::string name;
  FlowKind kind = FlowKind::activation;
  Rect source, destination; // Edge ports are 1-wide rectangles off-grid.
  int64_t bytes = 0;        // Per step.
  int64_t activeStart = 0, activeEnd = 0; // Cycles; equal: always active.
  /// Flows with one id >= 0 carry the same bytes from one source to
  /// several layers: a multicast, whose routes may share a color (a router
  /// sends a color on to several outputs) and count once per router.
  int64_t multicast = -1;
};

struct RoutedFlow {
  Flow flow;
  std::vector<Segment> segments;
  int64_t color = -1;
  int64_t hops = 0; // Longest track.
};

struct Routing {
  std::vector<RoutedFlow> flows;
  int64_t maxColorsPerRouter = 0;
  int64_t colorLimit = 0;
  int64_t maxTerminalColorsPerPE = 0;
  double maxLinkLoad = 0;        // Bytes per step on the busiest link.
  double linkLoadLowerBound = 0; // Cut bound: no routing does better.
  int64_t totalHops = 0; // Sum over flows of bytes-weighted hops / bytes.
  bool deadlockFree = false;
};

/// Routes and colors `flows` on `target`. Fails with a message that names
/// the flow, its endpoints and why (no color left at a router, too many
/// terminating colors at a PE).
absl::StatusOr<Routing> routeFlows(const TargetDesc &target,
                                   std::vector<Flow> flows);

/// Bytes per step on the busiest link (per direction) of `flows`' routes,
/// summed with difference arrays: O(flows + grid).
double maxLinkLoad(const TargetDesc &target,
                   const std::vector<RoutedFlow> &flows);

/// Cycles the busiest link needs each step: no step is shorter.
int64_t linkCycles(const TargetDesc &target, double maxLinkLoad);

/// Checks a routing after the fact: every flow's tracks connect its source
/// to its destination; colors within budget at every router; flows that
/// share a router and a color are never active together (so each color's
/// channel dependency graph is a set of disjoint XY paths: acyclic); no PE
/// terminates more colors than it has input queues. Returns "" or the
/// problem.
std::string checkRouting(const TargetDesc &target, const Routing &routing);

} // namespace wafer::route

#endif // WAFER_ROUTE_ROUTER_H
