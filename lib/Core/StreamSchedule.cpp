//===- StreamSchedule.cpp - weights in over one channel, two slots --------===//

#include "wafer/Core/StreamSchedule.h"

#include <algorithm>
#include <cmath>

namespace wafer::core {

ScheduledLayer
StreamSchedule::add(double cycles,
                    const std::vector<std::pair<std::string, int64_t>> &weights,
                    int64_t tileBytes) {
  std::vector<StreamTile> tiles;
  for (const auto &[weight, bytes] : weights)
    for (int64_t offset = 0; offset < bytes; offset += tileBytes) {
      StreamTile tile;
      tile.weight = weight;
      tile.offset = offset;
      tile.bytes = std::min(tileBytes, bytes - offset);
      tile.slot = tilesCut++ % 2;
      tiles.push_back(std::move(tile));
    }
  return add(cycles, std::move(tiles));
}

ScheduledLayer StreamSchedule::add(double cycles,
                                   std::vector<StreamTile> tiles) {
  ScheduledLayer layer;
  layer.startCycle = computeFree;
  if (tiles.empty()) {
    computeFree += static_cast<int64_t>(std::ceil(cycles));
    layer.cycles = computeFree - layer.startCycle;
    return layer;
  }
  int64_t layerBytes = 0;
  for (const StreamTile &tile : tiles)
    layerBytes += tile.bytes;
  layerBytes = std::max<int64_t>(layerBytes, 1);
  for (StreamTile &tile : tiles) {
    int64_t &slotFree = slotRelease[tile.slot & 1];
    tile.arriveStart = std::max(channelFree, slotFree);
    tile.arriveEnd =
        tile.arriveStart +
        static_cast<int64_t>(std::ceil(model.streamCycles(tile.bytes)));
    channelFree = tile.arriveEnd;
    tile.computeStart = std::max(tile.arriveEnd, computeFree);
    // A tile's share of the layer's compute, by its bytes.
    tile.release =
        tile.computeStart +
        static_cast<int64_t>(std::ceil(cycles * tile.bytes / layerBytes));
    computeFree = tile.release;
    slotFree = tile.release;
  }
  layer.startCycle = tiles.front().computeStart;
  layer.cycles = computeFree - layer.startCycle;
  layer.tiles = std::move(tiles);
  return layer;
}

} // namespace wafer::core
