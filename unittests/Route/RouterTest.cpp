//===- RouterTest.cpp - lane-bundle routing, colors and link loads --------===//

#include "wafer/Route/Router.h"

#include "gtest/gtest.h"

using namespace wafer;
using namespace wafer::route;

namespace {

TargetDesc grid(int rows, int cols) {
  absl::StatusOr<TargetDesc> t = parseTargetSpec(
      "wse3:rows=" + std::to_string(rows) + ",cols=" + std::to_string(cols));
  EXPECT_TRUE(t.ok());
  return *t;
}

Flow flow(std::string name, Rect src, Rect dst, int64_t bytes) {
  Flow f;
  f.name = name;
  f.source = src;
  f.destination = dst;
  f.bytes = bytes;
  return f;
}

TEST(Router, NeighboursGetOneStraightBundle) {
  TargetDesc t = grid(8, 8);
  absl::StatusOr<Routing> r =
      routeFlows(t, {flow("a", Rect{0, 0, 4, 8}, Rect{4, 0, 4, 8}, 800)});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->flows[0].segments.size(), 1u);
  const Segment &s = r->flows[0].segments[0];
  EXPECT_EQ(s.direction, Direction::east);
  EXPECT_EQ(s.lanes, 8);
  EXPECT_EQ(s.length, 1);
  EXPECT_DOUBLE_EQ(r->maxLinkLoad, 100); // 800 bytes over 8 lanes.
  EXPECT_TRUE(r->deadlockFree);
  EXPECT_EQ(checkRouting(t, *r), "");
}

TEST(Router, DiagonalRegionsRouteXThenY) {
  TargetDesc t = grid(16, 16);
  absl::StatusOr<Routing> r =
      routeFlows(t, {flow("d", Rect{0, 0, 2, 2}, Rect{8, 10, 4, 4}, 64)});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->flows[0].segments.size(), 2u);
  EXPECT_EQ(r->flows[0].segments[0].direction, Direction::east);
  EXPECT_EQ(r->flows[0].segments[1].direction, Direction::south);
  EXPECT_EQ(checkRouting(t, *r), "");
}

TEST(Router, FewSharedRowsTakeAnLFromAboveInstead) {
  // A full-height source beside a wide, 4-row destination: straight across
  // the 4 shared rows, or east from the 90 rows above then south into the
  // destination's 50 columns.
  TargetDesc t = grid(100, 60);
  absl::StatusOr<Routing> r = routeFlows(
      t, {flow("skip", Rect{0, 0, 2, 100}, Rect{4, 90, 50, 4}, 5000)});
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<Segment> &route = r->flows[0].segments;
  ASSERT_EQ(route.size(), 2u);
  EXPECT_EQ(route[0].direction, Direction::east);
  EXPECT_EQ(route[1].direction, Direction::south);
  EXPECT_EQ(route[0].lanes, 50);
  EXPECT_DOUBLE_EQ(r->maxLinkLoad, 100); // 5000 bytes over 50 lanes.
  EXPECT_DOUBLE_EQ(maxLinkLoad(t, r->flows), 100);
  EXPECT_EQ(checkRouting(t, *r), "");
}

TEST(Router, LinkCyclesAreTheBusiestLinksBytesOverItsRate) {
  TargetDesc t = grid(8, 8);
  EXPECT_EQ(linkCycles(t, 0), 0);
  EXPECT_EQ(linkCycles(t, 4 * t.linkBytesPerCycle + 1), 5);
}

TEST(Router, NegotiationMovesAFlowOffTheBusiestLink) {
  // A matmul's row broadcast loads the eastward links of rows 0-3 across
  // columns 4-7. A flow from the corner would go east along rows 0-1 (X
  // then Y) through those links; negotiation sends it south first instead.
  TargetDesc t = grid(20, 20);
  Flow broadcast = flow("mm.rows", Rect{4, 0, 4, 4}, Rect{4, 0, 4, 4}, 4000);
  broadcast.kind = FlowKind::rowBroadcast;
  absl::StatusOr<Routing> r = routeFlows(
      t, {broadcast, flow("f", Rect{0, 0, 2, 2}, Rect{10, 10, 2, 2}, 1000)});
  ASSERT_TRUE(r.ok()) << r.status();
  const std::vector<Segment> &route = r->flows[1].segments;
  ASSERT_EQ(route.size(), 2u);
  EXPECT_EQ(route[0].direction, Direction::south);
  EXPECT_EQ(route[1].direction, Direction::east);
  EXPECT_DOUBLE_EQ(r->maxLinkLoad, 1000); // The broadcast's 4000 over 4 rows.
  EXPECT_EQ(checkRouting(t, *r), "");
}

TEST(Router, WorkDoesNotGrowWithTheFabric) {
  // The same flows in the corner of a 20x20 fabric and of the largest one a
  // target may have route alike; the loads are kept per block of PEs that
  // the flows' rectangles cut out, so the large fabric costs no more.
  Flow broadcast = flow("mm.rows", Rect{4, 0, 4, 4}, Rect{4, 0, 4, 4}, 4000);
  broadcast.kind = FlowKind::rowBroadcast;
  Flow fanIn = flow("late", Rect{0, 12, 3, 3}, Rect{10, 10, 2, 2}, 300);
  fanIn.activeStart = 1;
  fanIn.activeEnd = 2;
  std::vector<Flow> flows = {
      broadcast, flow("f", Rect{0, 0, 2, 2}, Rect{10, 10, 2, 2}, 1000), fanIn};
  for (int i = 0; i < 40; ++i) // Enough rectangles for the depth grid.
    flows.push_back(flow("n" + std::to_string(i), Rect{i % 8, 16, 1, 1},
                         Rect{i % 8, 18, 1, 1}, 8));
  absl::StatusOr<Routing> small = routeFlows(grid(20, 20), flows);
  absl::StatusOr<Routing> large =
      routeFlows(grid(kMaxFabricSide, kMaxFabricSide), flows);
  ASSERT_TRUE(small.ok()) << small.status();
  ASSERT_TRUE(large.ok()) << large.status();
  EXPECT_DOUBLE_EQ(large->maxLinkLoad, small->maxLinkLoad);
  EXPECT_EQ(large->maxColorsPerRouter, small->maxColorsPerRouter);
  EXPECT_EQ(large->maxTerminalColorsPerPE, small->maxTerminalColorsPerPE);
  for (size_t i = 0; i < flows.size(); ++i) {
    EXPECT_EQ(large->flows[i].color, small->flows[i].color) << i;
    EXPECT_EQ(large->flows[i].hops, small->flows[i].hops) << i;
  }
}

TEST(Router, MulticastBranchesShareAColorAndCountOnce) {
  // One layer's output read by three layers on the same rows: three flows
  // from one source along one trunk. As separate flows they take a color
  // each; as one multicast they take one, and routers count it once.
  std::vector<Flow> flows;
  for (int i = 0; i < 3; ++i)
    flows.push_back(flow("x->l" + std::to_string(i), Rect{0, 0, 2, 4},
                         Rect{4 + 3 * i, 0, 2, 4}, 100));
  TargetDesc t = grid(8, 16);
  absl::StatusOr<Routing> apart = routeFlows(t, flows);
  ASSERT_TRUE(apart.ok()) << apart.status();
  EXPECT_EQ(apart->maxColorsPerRouter, 3);
  for (Flow &f : flows)
    f.multicast = 7;
  absl::StatusOr<Routing> shared = routeFlows(t, flows);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->maxColorsPerRouter, 1);
  for (const RoutedFlow &f : shared->flows)
    EXPECT_EQ(f.color, shared->flows[0].color);
  EXPECT_EQ(checkRouting(t, *shared), "");
  // Flows of different values may not share a color where they meet.
  Routing broken = *shared;
  broken.flows[1].flow.multicast = 8;
  EXPECT_NE(checkRouting(t, broken).find("share color"), std::string::npos);
}

TEST(Router, CandidateRoutesStartInTheirSource) {
  // A source wholly below and left of its destination: every bundle the
  // negotiation may choose starts in the source (the part of the source
  // below the destination is the source itself, not the rows between).
  TargetDesc t = grid(16, 16);
  for (Rect dst : {Rect{4, 0, 3, 2}, Rect{8, 1, 2, 2}, Rect{12, 0, 4, 3}}) {
    absl::StatusOr<Routing> r =
        routeFlows(t, {flow("up", Rect{0, 14, 1, 2}, dst, 5000)});
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(checkRouting(t, *r), "");
  }
}

TEST(Router, CrossingFlowsGetDifferentColors) {
  TargetDesc t = grid(8, 8);
  absl::StatusOr<Routing> r =
      routeFlows(t, {flow("h", Rect{0, 3, 1, 2}, Rect{7, 3, 1, 2}, 10),
                     flow("v", Rect{3, 0, 2, 1}, Rect{3, 7, 2, 1}, 10)});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->flows[0].color, r->flows[1].color);
  EXPECT_EQ(r->maxColorsPerRouter, 2);
}

TEST(Router, FlowsAtDifferentTimesShareColors) {
  TargetDesc t = grid(8, 8);
  Flow a = flow("a", Rect{-1, 0, 1, 8}, Rect{0, 0, 8, 8}, 10);
  Flow b = a;
  b.name = "b";
  a.activeStart = 0;
  a.activeEnd = 10;
  b.activeStart = 10;
  b.activeEnd = 20;
  a.kind = b.kind = FlowKind::weights;
  absl::StatusOr<Routing> r = routeFlows(t, {a, b});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->flows[0].color, r->flows[1].color);
  EXPECT_EQ(r->maxColorsPerRouter, 1);
}

TEST(Router, RunsOutOfColorsWithANamedError) {
  TargetDesc t = grid(4, 32);
  std::vector<Flow> flows;
  for (int i = 0; i < 20; ++i)
    flows.push_back(flow("f" + std::to_string(i), Rect{0, 0, 1, 4},
                         Rect{31, 0, 1, 4}, 100 + i));
  absl::StatusOr<Routing> r = routeFlows(t, flows);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("no color left at router"),
            std::string::npos)
      << r.status();
}

TEST(Router, CheckCatchesABrokenRoute) {
  TargetDesc t = grid(8, 8);
  absl::StatusOr<Routing> r =
      routeFlows(t, {flow("a", Rect{0, 0, 2, 8}, Rect{6, 0, 2, 8}, 80)});
  ASSERT_TRUE(r.ok());
  Routing broken = *r;
  broken.flows[0].segments[0].length = 2; // Stops short.
  EXPECT_NE(checkRouting(t, broken).find("does not reach its destination"),
            std::string::npos);
  Routing shared = *r;
  shared.flows.push_back(shared.flows[0]);
  shared.flows[1].flow.name = "twin";
  EXPECT_NE(checkRouting(t, shared).find("share color"), std::string::npos);
}

TEST(Router, LoadBoundHoldsAndIsMetByAFullWidthStream) {
  TargetDesc t = grid(16, 16);
  Flow stream = flow("w", Rect{-1, 0, 1, 16}, Rect{0, 0, 16, 16}, 1600);
  stream.kind = FlowKind::weights;
  absl::StatusOr<Routing> r = routeFlows(t, {stream});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GE(r->maxLinkLoad, r->linkLoadLowerBound);
  EXPECT_DOUBLE_EQ(r->maxLinkLoad, 100);
  EXPECT_DOUBLE_EQ(r->linkLoadLowerBound, 100);
}

TEST(Router, ReductionsRunBackAlongTheirLinesToTheFirstPe) {
  TargetDesc t = grid(8, 8);
  Rect region{2, 1, 4, 3};
  Flow rows = flow("fc.row-sums", region, region, 96);
  rows.kind = FlowKind::rowReduction;
  Flow columns = flow("qkv.column-sums", region, region, 64);
  columns.kind = FlowKind::columnReduction;
  absl::StatusOr<Routing> r = routeFlows(t, {rows, columns});
  ASSERT_TRUE(r.ok()) << r.status();
  // Each row from its east end back to the region's first column...
  ASSERT_EQ(r->flows[0].segments.size(), 1u);
  const Segment &west = r->flows[0].segments[0];
  EXPECT_EQ(west.direction, Direction::west);
  EXPECT_EQ(west.x, 5);
  EXPECT_EQ(west.y, 1);
  EXPECT_EQ(west.length, 3);
  EXPECT_EQ(west.lanes, 3);
  // ...and each column from its bottom up to the first row.
  const Segment &north = r->flows[1].segments[0];
  EXPECT_EQ(north.direction, Direction::north);
  EXPECT_EQ(north.y, 3);
  EXPECT_EQ(north.length, 2);
  EXPECT_EQ(north.lanes, 4);
  EXPECT_DOUBLE_EQ(r->maxLinkLoad, 32); // 96 bytes over 3 rows.
  EXPECT_TRUE(isWithinLayer(FlowKind::rowReduction));
  EXPECT_STREQ(flowKindName(FlowKind::columnReduction), "column-reduction");
  EXPECT_EQ(checkRouting(t, *r), "");
  // A region one PE wide has nothing to reduce along its rows.
  Flow single = flow("one", Rect{0, 0, 1, 4}, Rect{0, 0, 1, 4}, 8);
  single.kind = FlowKind::rowReduction;
  absl::StatusOr<Routing> none = routeFlows(t, {single});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->flows[0].segments.empty());
}

TEST(Router, ReshardsCrossEveryRowThenEveryColumn) {
  TargetDesc t = grid(8, 8);
  Rect region{2, 1, 4, 3};
  Flow reshard = flow("qkv.reshard", region, region, 120);
  reshard.kind = FlowKind::reshard;
  absl::StatusOr<Routing> r = routeFlows(t, {reshard});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->flows[0].segments.size(), 2u);
  const Segment &east = r->flows[0].segments[0];
  EXPECT_EQ(east.direction, Direction::east);
  EXPECT_EQ(east.x, 2);
  EXPECT_EQ(east.length, 3);
  EXPECT_EQ(east.lanes, 3);
  const Segment &south = r->flows[0].segments[1];
  EXPECT_EQ(south.direction, Direction::south);
  EXPECT_EQ(south.length, 2);
  EXPECT_EQ(south.lanes, 4);
  // 120 bytes over the 3 rows' links: the busiest carries 40.
  EXPECT_DOUBLE_EQ(r->maxLinkLoad, 40);
  EXPECT_TRUE(isWithinLayer(FlowKind::reshard));
  EXPECT_STREQ(flowKindName(FlowKind::reshard), "reshard");
  EXPECT_EQ(checkRouting(t, *r), "");
}

} // namespace
