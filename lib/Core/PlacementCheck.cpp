//===- PlacementCheck.cpp - the one check of a placement ------------------===//

#include "wafer/Core/PlacementCheck.h"

#include <algorithm>
#include <map>

namespace wafer::core {

namespace {
std::string kib(int64_t bytes) {
  return std::to_string((bytes + 1023) / 1024) + " KiB";
}
std::string text(int64_t value) { return std::to_string(value); }
} // namespace

std::optional<PlacementProblem>
checkPlacement(const TargetDesc &target, bool pipelined,
               const std::vector<PlacedLayerRecord> &layers) {
  auto problem = [](int64_t layer, int64_t tile, std::string message) {
    return PlacementProblem{layer, tile, std::move(message)};
  };
  // (arrival, layer, tile) of each slot's tiles.
  std::vector<std::tuple<int64_t, int64_t, int64_t>> bySlot[2];
  for (int64_t l = 0; l < static_cast<int64_t>(layers.size()); ++l) {
    const PlacedLayerRecord &layer = layers[l];
    const Rect &r = layer.region;
    if (r.area() <= 0 || !target.usable.contains(r))
      return problem(l, -1,
                     "layer '" + layer.name + "' at (" + text(r.x) + ", " +
                         text(r.y) + ") of " + text(r.width) + "x" +
                         text(r.height) + " leaves the usable rectangle at (" +
                         text(target.usable.x) + ", " + text(target.usable.y) +
                         ") of " + text(target.usable.width) + "x" +
                         text(target.usable.height));
    if (layer.sramBytesPerPe > target.usableSramBytes())
      return problem(l, -1,
                     "layer " + layer.name + " needs " +
                         kib(layer.sramBytesPerPe) + " per PE, target has " +
                         kib(target.usableSramBytes()) + " after reserve");
    if (pipelined) {
      if (!layer.tiles.empty())
        return problem(l, -1,
                       "layer '" + layer.name +
                           "' streams tiles in pipelined mode");
      continue;
    }
    // Each weight once, in order and in full; a tile used after it arrives.
    std::map<std::string, int64_t> streamed;
    for (int64_t t = 0; t < static_cast<int64_t>(layer.tiles.size()); ++t) {
      const StreamTile &tile = layer.tiles[t];
      int64_t &next = streamed[tile.weight];
      if (tile.offset != next)
        return problem(l, t,
                       "tile of '" + tile.weight + "' starts at byte " +
                           text(tile.offset) + ", expected " + text(next));
      if (tile.bytes <= 0 || tile.arriveEnd < tile.arriveStart ||
          tile.release < tile.computeStart)
        return problem(l, t,
                       "tile of '" + tile.weight + "' has " +
                           text(tile.bytes) + " bytes, arrives during [" +
                           text(tile.arriveStart) + ", " +
                           text(tile.arriveEnd) + ") and computes during [" +
                           text(tile.computeStart) + ", " +
                           text(tile.release) + ")");
      if (tile.computeStart < tile.arriveEnd)
        return problem(l, t,
                       "tile of '" + tile.weight + "' is used at cycle " +
                           text(tile.computeStart) +
                           ", before it arrives at cycle " +
                           text(tile.arriveEnd));
      next += tile.bytes;
      bySlot[tile.slot & 1].emplace_back(tile.arriveStart, l, t);
    }
    for (const auto &[weight, bytes] : layer.weights) {
      auto it = streamed.find(weight);
      int64_t got = it == streamed.end() ? 0 : it->second;
      if (got != bytes)
        return problem(l, -1,
                       "layer '" + layer.name + "' streams " + text(got) +
                           " of the " + text(bytes) + " bytes of weight '" +
                           weight + "'");
      if (it != streamed.end())
        streamed.erase(it);
    }
    if (!streamed.empty())
      return problem(l, -1,
                     "layer '" + layer.name + "' streams weight '" +
                         streamed.begin()->first + "', which it does not use");
  }

  if (pipelined) {
    // Disjoint regions (a sweep over x keeps it near-linear).
    std::vector<int64_t> order(layers.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = static_cast<int64_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return layers[a].region.x < layers[b].region.x;
    });
    for (size_t i = 0; i < order.size(); ++i) {
      const Rect &a = layers[order[i]].region;
      for (size_t j = i + 1;
           j < order.size() && layers[order[j]].region.x < a.x + a.width; ++j)
        if (a.overlaps(layers[order[j]].region))
          return problem(order[j], -1,
                         "layer '" + layers[order[j]].name +
                             "' overlaps layer '" + layers[order[i]].name +
                             "'");
    }
    return std::nullopt;
  }

  // A slot holds one tile at a time.
  for (auto &tiles : bySlot) {
    std::stable_sort(tiles.begin(), tiles.end(), [](auto &a, auto &b) {
      return std::get<0>(a) < std::get<0>(b);
    });
    for (size_t i = 1; i < tiles.size(); ++i) {
      auto [arrives, l, t] = tiles[i];
      auto [before, bl, bt] = tiles[i - 1];
      const StreamTile &after = layers[l].tiles[t];
      const StreamTile &holder = layers[bl].tiles[bt];
      if (after.arriveStart < holder.release)
        return problem(l, t,
                       "tile of '" + after.weight + "' arrives in slot " +
                           text(after.slot & 1) + " at cycle " +
                           text(after.arriveStart) + ", while the tile of '" +
                           holder.weight + "' holds it until cycle " +
                           text(holder.release));
    }
  }
  return std::nullopt;
}

} // namespace wafer::core
