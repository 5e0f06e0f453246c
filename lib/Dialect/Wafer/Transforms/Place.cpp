//===- Place.cpp - layers onto the PE grid --------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Analysis/SpatialVerifier.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/PlaceFunction.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "wafer/Place/Placer.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERPLACE
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

RegionAttr toAttr(MLIRContext *context, const Rect &rect) {
  return RegionAttr::get(context, rect.x, rect.y, rect.width, rect.height);
}

struct PlacePass : public wafer::impl::WaferPlaceBase<PlacePass> {
  using WaferPlaceBase::WaferPlaceBase;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    TargetAttr targetAttr = getModuleTarget(module);
    if (!targetAttr) {
      module.emitError() << "wafer-place needs the module's wafer.target; "
                            "run --wafer-attach-target first";
      return signalPassFailure();
    }
    TargetDesc target = targetAttr.toDesc();
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(module.getBody());
    for (func::FuncOp func :
         llvm::to_vector(module.getOps<func::FuncOp>())) {
      absl::StatusOr<place::Placement> placement =
          placeFunction(func, target, mode, pins);
      if (!placement.ok()) {
        func.emitError() << "cannot place @" << func.getSymName() << " on '"
                         << target.name
                         << "': " << std::string(placement.status().message());
        return signalPassFailure();
      }
      emitPlacement(builder, func, *placement);
    }
    if (failed(verifySpatial(module)))
      return signalPassFailure();
  }

  void emitPlacement(OpBuilder &builder, func::FuncOp func,
                     const place::Placement &placement) {
    MLIRContext *context = builder.getContext();
    auto op = PlacementOp::create(
        builder, func.getLoc(), SymbolRefAttr::get(func.getSymNameAttr()),
        ExecutionModeAttr::get(context, placement.mode == place::Mode::pipelined
                                            ? ExecutionMode::pipelined
                                            : ExecutionMode::weight_streaming),
        builder.getI64IntegerAttr(placement.predictedCycles),
        builder.getI64IntegerAttr(placement.lowerBoundCycles),
        builder.getI64IntegerAttr(placement.slotBytesPerPE),
        builder.getI64IntegerAttr(placement.passes));
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(&op.getBody().emplaceBlock());
    for (const place::PlacedLayer &layer : placement.layers) {
      auto place = PlaceOp::create(builder, func.getLoc(), layer.name,
                                   toAttr(context, layer.region),
                                   layer.sramBytesPerPE, layer.startCycle,
                                   layer.cycles);
      OpBuilder::InsertionGuard inner(builder);
      builder.setInsertionPointToStart(&place.getTiles().emplaceBlock());
      for (const place::StreamTile &tile : layer.tiles)
        StreamOp::create(builder, func.getLoc(), tile.weight, tile.offset,
                         tile.bytes, tile.slot, tile.arriveStart,
                         tile.arriveEnd, tile.computeStart, tile.release);
    }
  }
};

} // namespace

absl::StatusOr<place::Placement>
wafer::placeFunction(func::FuncOp func, const TargetDesc &target,
                     StringRef mode, ArrayRef<std::string> pins) {
  place::PlaceOptions options;
  if (mode == "pipelined")
    options.mode = place::Mode::pipelined;
  else if (mode == "weight-streaming")
    options.mode = place::Mode::weightStreaming;
  else if (mode != "auto")
    return absl::InvalidArgumentError(
        "unknown mode '" + mode.str() +
        "'; expected auto, pipelined or weight-streaming");
  for (const std::string &text : pins) {
    absl::StatusOr<std::pair<std::string, Rect>> pin = place::parsePin(text);
    if (!pin.ok())
      return pin.status();
    options.pins.push_back(*pin);
  }
  LayerAnalysis layers(func);
  // A training step keeps its forward activations for the backward layers;
  // inference's few skipped values are not reserved yet.
  auto module = func->getParentOfType<ModuleOp>();
  options.heldBytes =
      module && module->hasAttr(WaferDialect::getTrainingAttrName())
          ? layers.getMostHeld().bytes
          : 0;
  return place::placeLayers(target, toLayerSpecs(layers), options);
}
