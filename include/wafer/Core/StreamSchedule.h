//===- StreamSchedule.h - weights in over one channel, two slots -*- C++
//-*-===//
//
// Weight streaming runs the layers in program order over the whole grid
// while their weights stream in from off-wafer memory as tiles, each into
// one of two buffer slots on every PE: a tile streams once the channel is
// free and its slot's previous tile has been consumed; a layer computes a
// tile once it has arrived and the previous tile is done, for its share of
// the layer's cycles. The placer schedules a model with it; wafer-run times
// a plan's recorded tiles with it. MLIR-free.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_STREAMSCHEDULE_H
#define WAFER_CORE_STREAMSCHEDULE_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wafer/Core/CostModel.h"

namespace wafer::core {

/// One tile of one weight, streamed into a buffer slot of every PE of the
/// layer's region.
struct StreamTile {
  std::string weight;
  int64_t offset = 0; // Byte offset within the weight.
  int64_t bytes = 0;
  int64_t slot = 0;                       // Buffer slot (0 or 1).
  int64_t arriveStart = 0, arriveEnd = 0; // Cycles on the stream channel.
  int64_t computeStart = 0, release = 0;  // The slot is busy until release.
};

/// One layer's place in the schedule.
struct ScheduledLayer {
  int64_t startCycle = 0; // When it starts computing.
  int64_t cycles = 0;     // From its start to the end of its last tile.
  std::vector<StreamTile> tiles;
};

class StreamSchedule {
public:
  explicit StreamSchedule(const CostModel &model) : model(model) {}

  /// Schedules the next layer, which computes for `cycles` and reads
  /// `weights` (name, bytes), cut into tiles of at most `tileBytes` that
  /// take the slots in turn.
  ScheduledLayer
  add(double cycles,
      const std::vector<std::pair<std::string, int64_t>> &weights,
      int64_t tileBytes);
  /// Schedules the next layer, which computes for `cycles`, with the tiles
  /// given (weight, offset, bytes and slot; a plan's): fills in their times.
  ScheduledLayer add(double cycles, std::vector<StreamTile> tiles);

  /// When the last layer scheduled is done.
  int64_t endCycle() const { return computeFree; }

private:
  const CostModel &model;
  int64_t channelFree = 0, computeFree = 0;
  int64_t slotRelease[2] = {0, 0};
  int64_t tilesCut = 0;
};

} // namespace wafer::core

#endif // WAFER_CORE_STREAMSCHEDULE_H
