//===- SpatialVerifier.cpp - checks of the spatial level ------------------===//

#include "wafer/Analysis/SpatialVerifier.h"

#include <map>
#include <set>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Core/PlacementCheck.h"
#include "wafer/Dialect/Wafer/WaferOps.h"

using namespace mlir;
using namespace wafer;

static Rect toRect(RegionAttr region) {
  return Rect{region.getX(), region.getY(), region.getWidth(),
              region.getHeight()};
}

/// The placement against the one placement check (core::checkPlacement),
/// each layer with the weights the layer analysis finds it reads.
static LogicalResult verifyPlacement(PlacementOp placement,
                                     func::FuncOp func,
                                     const TargetDesc &target) {
  LayerAnalysis analysis(func);
  std::map<std::string, const Layer *> layers;
  for (const Layer &layer : analysis.getLayers())
    layers[layer.name] = &layer;

  std::set<std::string> placed;
  std::vector<PlaceOp> places;
  std::vector<std::vector<StreamOp>> tileOps;
  std::vector<core::PlacedLayerRecord> records;
  for (PlaceOp place : placement.getBody().front().getOps<PlaceOp>()) {
    std::string name = place.getLayer().str();
    auto layer = layers.find(name);
    if (layer == layers.end())
      return place.emitOpError() << "places '" << name << "', which is not a "
                                 << "layer of @" << func.getSymName();
    if (!placed.insert(name).second)
      return place.emitOpError() << "places layer '" << name << "' twice";
    core::PlacedLayerRecord &record = records.emplace_back();
    record.name = name;
    record.region = toRect(place.getRegion());
    record.sramBytesPerPe = place.getSramBytesPerPe();
    for (const LayerWeight &weight : layer->second->weights)
      record.weights.emplace_back(weight.name, weight.bytes);
    std::vector<StreamOp> &tiles = tileOps.emplace_back();
    for (StreamOp tile : place.getTiles().front().getOps<StreamOp>()) {
      tiles.push_back(tile);
      record.tiles.push_back(core::StreamTile{
          tile.getWeight().str(), static_cast<int64_t>(tile.getOffset()),
          static_cast<int64_t>(tile.getBytes()),
          static_cast<int64_t>(tile.getSlot()),
          static_cast<int64_t>(tile.getArriveStart()),
          static_cast<int64_t>(tile.getArriveEnd()),
          static_cast<int64_t>(tile.getComputeStart()),
          static_cast<int64_t>(tile.getRelease())});
    }
    places.push_back(place);
  }
  for (const Layer &layer : analysis.getLayers())
    if (!placed.count(layer.name))
      return placement.emitOpError() << "does not place layer '" << layer.name
                                     << "'";
  if (std::optional<core::PlacementProblem> problem = core::checkPlacement(
          target, placement.getMode() == ExecutionMode::pipelined, records)) {
    if (problem->tile >= 0)
      return tileOps[problem->layer][problem->tile].emitOpError()
             << problem->message;
    return places[problem->layer].emitOpError() << problem->message;
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
