//===- SpatialVerifier.cpp - checks of the spatial level ------------------===//

#include "wafer/Analysis/SpatialVerifier.h"

#include <algorithm>
#include <map>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Dialect/Wafer/WaferOps.h"

using namespace mlir;
using namespace wafer;

static std::string kib(int64_t bytes) {
  return std::to_string((bytes + 1023) / 1024) + " KiB";
}

static Rect toRect(RegionAttr region) {
  return Rect{region.getX(), region.getY(), region.getWidth(),
              region.getHeight()};
}

static LogicalResult verifyPlacement(PlacementOp placement,
                                     func::FuncOp func,
                                     const TargetDesc &target) {
  LayerAnalysis analysis(func);
  std::map<std::string, const Layer *> layers;
  for (const Layer &layer : analysis.getLayers())
    layers[layer.name] = &layer;

  std::map<std::string, PlaceOp> placed;
  bool pipelined = placement.getMode() == ExecutionMode::pipelined;
  std::vector<std::pair<Rect, PlaceOp>> rects;
  for (PlaceOp place : placement.getBody().front().getOps<PlaceOp>()) {
    std::string name = place.getLayer().str();
    auto layer = layers.find(name);
    if (layer == layers.end())
      return place.emitOpError() << "places '" << name << "', which is not a "
                                 << "layer of @" << func.getSymName();
    if (!placed.emplace(name, place).second)
      return place.emitOpError() << "places layer '" << name << "' twice";
    Rect rect = toRect(place.getRegion());
    if (!target.usable.contains(rect))
      return place.emitOpError()
             << "layer '" << name << "' at (" << rect.x << ", " << rect.y
             << ") of " << rect.width << "x" << rect.height
             << " leaves the usable rectangle at (" << target.usable.x << ", "
             << target.usable.y << ") of " << target.usable.width << "x"
             << target.usable.height;
    if (static_cast<int64_t>(place.getSramBytesPerPe()) >
        target.usableSramBytes())
      return place.emitOpError()
             << "layer " << name << " needs "
             << kib(place.getSramBytesPerPe()) << " per PE, target has "
             << kib(target.usableSramBytes()) << " after reserve";
    rects.emplace_back(rect, place);

    // Weight streaming: each weight once, in order and in full.
    if (pipelined) {
      if (!place.getTiles().front().empty())
        return place.emitOpError() << "layer '" << name
                                   << "' streams tiles in pipelined mode";
      continue;
    }
    std::map<std::string, int64_t> streamed;
    for (StreamOp tile : place.getTiles().front().getOps<StreamOp>()) {
      int64_t &next = streamed[tile.getWeight().str()];
      if (static_cast<int64_t>(tile.getOffset()) != next)
        return tile.emitOpError()
               << "tile of '" << tile.getWeight() << "' starts at byte "
               << tile.getOffset() << ", expected " << next;
      next += tile.getBytes();
    }
    for (const LayerWeight &weight : layer->second->weights) {
      int64_t got = streamed.count(weight.name) ? streamed[weight.name] : 0;
      if (got != weight.bytes)
        return place.emitOpError()
               << "layer '" << name << "' streams " << got << " of the "
               << weight.bytes << " bytes of weight '" << weight.name << "'";
      streamed.erase(weight.name);
    }
    if (!streamed.empty())
      return place.emitOpError() << "layer '" << name << "' streams weight '"
                                 << streamed.begin()->first
                                 << "', which it does not use";
  }
  for (const Layer &layer : analysis.getLayers())
    if (!placed.count(layer.name))
      return placement.emitOpError() << "does not place layer '" << layer.name
                                     << "'";

  // Pipelined: disjoint regions (a sweep over x keeps it near-linear).
  if (pipelined) {
    std::sort(rects.begin(), rects.end(), [](auto &a, auto &b) {
      return a.first.x < b.first.x;
    });
    for (size_t i = 0; i < rects.size(); ++i)
      for (size_t j = i + 1; j < rects.size() &&
                             rects[j].first.x < rects[i].first.x +
                                                    rects[i].first.width;
           ++j)
        if (rects[i].first.overlaps(rects[j].first))
          return rects[j].second.emitOpError()
                 << "layer '" << rects[j].second.getLayer()
                 << "' overlaps layer '" << rects[i].second.getLayer() << "'";
    return success();
  }

  // Weight streaming: a slot holds one tile at a time.
  std::vector<std::pair<int64_t, StreamOp>> bySlot[2];
  placement.walk([&](StreamOp tile) {
    bySlot[tile.getSlot()].emplace_back(tile.getArriveStart(), tile);
  });
  for (auto &tiles : bySlot) {
    std::stable_sort(tiles.begin(), tiles.end(),
                     [](auto &a, auto &b) { return a.first < b.first; });
    for (size_t i = 1; i < tiles.size(); ++i) {
      StreamOp before = tiles[i - 1].second, after = tiles[i].second;
      if (after.getArriveStart() < before.getRelease())
        return after.emitOpError()
               << "tile of '" << after.getWeight() << "' arrives in slot "
               << after.getSlot() << " at cycle " << after.getArriveStart()
               << ", while the tile of '" << before.getWeight()
               << "' holds it until cycle " << before.getRelease();
    }
  }
  return success();
}

LogicalResult wafer::verifySpatial(ModuleOp module) {
  TargetAttr target = getModuleTarget(module);
  for (PlacementOp placement : module.getOps<PlacementOp>()) {
    if (!target)
      return placement.emitOpError()
             << "needs a target: the module has no wafer.target";
    auto func = module.lookupSymbol<func::FuncOp>(placement.getFunction());
    if (!func)
      return placement.emitOpError() << "refers to @"
                                     << placement.getFunction()
                                     << ", which is not a function here";
    if (failed(verifyPlacement(placement, func, target.toDesc())))
      return failure();
  }
  return success();
}
