//===- StreamScheduleTest.cpp - weights in over one channel, two slots ----===//

#include "wafer/Core/StreamSchedule.h"

#include "gtest/gtest.h"

using namespace wafer;
using namespace wafer::core;

namespace {
TargetDesc target() {
  TargetDesc t = *getTargetPreset("wse3");
  t.weightMemoryBytesPerSecond = t.clockMHz * 1000000; // A byte a cycle.
  return t;
}
} // namespace

TEST(StreamSchedule, TilesAlternateSlotsAndComputeFollowsArrival) {
  TargetDesc t = target();
  CostModel model(t);
  StreamSchedule schedule(model);
  // 250 bytes in tiles of 100: 100, 100, 50 into slots 0, 1, 0.
  ScheduledLayer a = schedule.add(1000, {{"w", 250}}, 100);
  ASSERT_EQ(a.tiles.size(), 3u);
  EXPECT_EQ(a.tiles[0].slot, 0);
  EXPECT_EQ(a.tiles[1].slot, 1);
  EXPECT_EQ(a.tiles[2].slot, 0);
  EXPECT_EQ(a.tiles[2].bytes, 50);
  // The third tile waits for slot 0's first tile to be consumed.
  EXPECT_EQ(a.tiles[2].arriveStart, a.tiles[0].release);
  for (const StreamTile &tile : a.tiles)
    EXPECT_GE(tile.computeStart, tile.arriveEnd);
  // Compute splits by bytes: 400, 400, 200 cycles.
  EXPECT_EQ(a.tiles[0].release - a.tiles[0].computeStart, 400);
  EXPECT_EQ(a.tiles[2].release - a.tiles[2].computeStart, 200);
  EXPECT_EQ(a.startCycle, a.tiles[0].computeStart);
  EXPECT_EQ(schedule.endCycle(), a.tiles[2].release);
  // A layer without weights computes after the previous one, whole cycles.
  ScheduledLayer b = schedule.add(10.5, {}, 100);
  EXPECT_EQ(b.startCycle, a.tiles[2].release);
  EXPECT_EQ(b.cycles, 11);
}

TEST(StreamSchedule, RecordedTilesTimeAsTheCutOnes) {
  TargetDesc t = target();
  CostModel model(t);
  StreamSchedule cut(model), replay(model);
  std::vector<ScheduledLayer> layers = {
      cut.add(300, {{"a", 120}}, 50), cut.add(7, {}, 50),
      cut.add(90, {{"b", 60}, {"c", 10}}, 50)};
  for (const ScheduledLayer &layer : layers) {
    std::vector<StreamTile> tiles;
    for (const StreamTile &tile : layer.tiles)
      tiles.push_back({tile.weight, tile.offset, tile.bytes, tile.slot});
    double cycles = &layer == &layers[0] ? 300 : &layer == &layers[1] ? 7 : 90;
    ScheduledLayer again = replay.add(cycles, tiles);
    ASSERT_EQ(again.tiles.size(), layer.tiles.size());
    for (size_t i = 0; i < tiles.size(); ++i) {
      EXPECT_EQ(again.tiles[i].arriveEnd, layer.tiles[i].arriveEnd);
      EXPECT_EQ(again.tiles[i].release, layer.tiles[i].release);
    }
  }
  EXPECT_EQ(replay.endCycle(), cut.endCycle());
}
