//===- RoutingIR.cpp - routed level to and from the router's structs ------===//

#include "wafer/Analysis/RoutingIR.h"

#include <map>
#include <set>
#include <tuple>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Core/CostModel.h"

using namespace mlir;
using namespace wafer;

static Rect toRect(RegionAttr r) {
  return Rect{r.getX(), r.getY(), r.getWidth(), r.getHeight()};
}

static RegionAttr toAttr(MLIRContext *context, const Rect &r) {
  return RegionAttr::get(context, r.x, r.y, r.width, r.height);
}

std::vector<route::Flow> wafer::collectFlows(func::FuncOp func,
                                             PlacementOp placement,
                                             const TargetDesc &target,
                                             std::vector<FlowOrigin> *origins) {
  std::vector<FlowOrigin> ignored;
  if (!origins)
    origins = &ignored;
  LayerAnalysis layers(func);
  std::map<std::string, PlaceOp> places;
  for (PlaceOp place : placement.getBody().front().getOps<PlaceOp>())
    places[place.getLayer().str()] = place;
  bool pipelined = placement.getMode() == ExecutionMode::pipelined;
  const Rect &u = target.usable;
  Rect west{u.x, u.y, 1, u.height}, east{u.x + u.width - 1, u.y, 1, u.height};

  // The spatial verifier has checked that every layer is placed.
  auto placeOf = [&](int64_t layer) {
    auto it = places.find(layers.getLayers()[layer].name);
    assert(it != places.end() && "every layer is placed");
    return it->second;
  };
  auto regionOf = [&](int64_t layer) {
    return toRect(placeOf(layer).getRegion());
  };
  auto activeOf = [&](int64_t layer) -> std::pair<int64_t, int64_t> {
    if (pipelined)
      return {0, 0};
    PlaceOp place = placeOf(layer);
    return {place.getStartCycle(),
            place.getStartCycle() + std::max<int64_t>(1, place.getCycles())};
  };

  std::vector<route::Flow> flows;
  // Values crossing layers, once per (value, consuming layer); a value read
  // by several layers is one multicast (its flows numbered by the value).
  std::map<std::pair<void *, int64_t>, bool> seen;
  std::map<void *, int64_t> consumers, multicastIds;
  for (const Layer &layer : layers.getLayers()) {
    int64_t self = layers.getLayerIndex(layer.anchor);
    std::set<void *> reads;
    for (Operation *op : layer.ops)
      for (Value operand : op->getOperands()) {
        Operation *def = operand.getDefiningOp();
        int64_t from = def ? layers.getLayerIndex(def) : -2;
        if (from != self && !(def && from < 0))
          reads.insert(operand.getAsOpaquePointer());
      }
    for (void *value : reads)
      ++consumers[value];
  }
  for (const Layer &layer : layers.getLayers()) {
    int64_t self = layers.getLayerIndex(layer.anchor);
    for (Operation *op : layer.ops)
      for (Value operand : op->getOperands()) {
        Operation *def = operand.getDefiningOp();
        int64_t from = def ? layers.getLayerIndex(def) : -2;
        if (from == self || (def && from < 0))
          continue; // Same layer, or a weight or constant.
        if (!seen.emplace(std::make_pair(operand.getAsOpaquePointer(), self),
                          true)
                 .second)
          continue;
        route::Flow flow;
        flow.bytes = valueBytes(operand);
        flow.destination = regionOf(self);
        auto [start, end] = activeOf(self);
        if (from == -2) {
          flow.kind = route::FlowKind::input;
          flow.name = "input->" + layer.name;
          flow.source = west;
        } else {
          flow.kind = route::FlowKind::activation;
          flow.name = layers.getLayers()[from].name + "->" + layer.name;
          flow.source = regionOf(from);
          if (!pipelined)
            start = activeOf(from).first;
        }
        flow.activeStart = start;
        flow.activeEnd = pipelined ? start : std::max(end, start + 1);
        if (void *value = operand.getAsOpaquePointer(); consumers[value] > 1)
          flow.multicast =
              multicastIds.try_emplace(value, multicastIds.size())
                  .first->second;
        flows.push_back(std::move(flow));
        origins->push_back(FlowOrigin{operand, from < 0 ? -1 : from, self});
      }
  }
  // Results leave at the east edge.
  for (Value result : func.getBody().front().getTerminator()->getOperands()) {
    Operation *def = result.getDefiningOp();
    int64_t from = def ? layers.getLayerIndex(def) : -1;
    if (from < 0)
      continue;
    route::Flow flow;
    flow.kind = route::FlowKind::output;
    flow.name = layers.getLayers()[from].name + "->output";
    flow.source = regionOf(from);
    flow.destination = east;
    flow.bytes = valueBytes(result);
    auto [start, end] = activeOf(from);
    flow.activeStart = start;
    flow.activeEnd = pipelined ? start : end;
    flows.push_back(std::move(flow));
    origins->push_back(FlowOrigin{result, from, -1});
  }
  // Each matmul layer's SUMMA broadcasts over its own region (and the
  // reduction of a normalisation before it), each attention layer's keys
  // and values down its columns, and what any layer's kernels regroup
  // across its PEs.
  core::CostModel model(target);
  std::vector<core::LayerSpec> specs = toLayerSpecs(layers);
  for (auto [index, spec] : llvm::enumerate(specs)) {
    Rect region = regionOf(index);
    bool transposed = model.transposedSumma(spec, region.height, region.width);
    core::SummaBroadcasts broadcasts = core::CostModel::summaBroadcasts(
        spec, region.height, region.width, transposed,
        /*weightsStreamed=*/!pipelined && !spec.weights.empty());
    core::SummaReductions reductions = core::CostModel::summaReductions(
        spec, region.height, region.width, transposed);
    if (spec.attention.valid()) {
      core::AttentionTiling tiling =
          model.attentionTiling(spec, region.height, region.width);
      broadcasts.columnBytes =
          core::CostModel::attentionBroadcastBytes(spec, tiling);
      reductions.rowBytes =
          core::CostModel::attentionCombineBytes(spec, tiling);
    }
    auto [start, end] = activeOf(index);
    for (auto [kind, suffix, bytes] :
         {std::make_tuple(route::FlowKind::rowBroadcast, ".rows",
                          broadcasts.rowBytes),
          std::make_tuple(route::FlowKind::columnBroadcast, ".columns",
                          broadcasts.columnBytes),
          std::make_tuple(route::FlowKind::rowReduction, ".row-sums",
                          reductions.rowBytes),
          std::make_tuple(route::FlowKind::columnReduction, ".column-sums",
                          reductions.columnBytes),
          std::make_tuple(route::FlowKind::reshard, ".reshard",
                          region.area() > 1 ? spec.relayoutBytes : 0)}) {
      if (bytes == 0)
        continue;
      route::Flow flow;
      flow.kind = kind;
      flow.name = spec.name + suffix;
      flow.source = flow.destination = region;
      flow.bytes = bytes;
      flow.activeStart = start;
      flow.activeEnd = pipelined ? start : end;
      flows.push_back(std::move(flow));
      origins->push_back(FlowOrigin{nullptr, -1, static_cast<int64_t>(index)});
    }
  }
  // Weight streams enter at the west edge and cross the layer's region.
  if (!pipelined)
    for (auto [index, layer] : llvm::enumerate(layers.getLayers())) {
      PlaceOp place = placeOf(index);
      int64_t bytes = 0, start = -1, end = 0;
      for (StreamOp tile : place.getTiles().front().getOps<StreamOp>()) {
        bytes += tile.getBytes();
        if (start < 0)
          start = tile.getArriveStart();
        end = tile.getArriveEnd();
      }
      if (bytes == 0)
        continue;
      Rect region = toRect(place.getRegion());
      route::Flow flow;
      flow.kind = route::FlowKind::weights;
      flow.name = layer.name + ".weights";
      flow.source = Rect{region.x, region.y, 1, region.height};
      flow.destination = region;
      flow.bytes = bytes;
      flow.activeStart = start;
      flow.activeEnd = std::max(end, start + 1);
      flows.push_back(std::move(flow));
      origins->push_back(FlowOrigin{nullptr, -1, static_cast<int64_t>(index)});
    }
  return flows;
}

RoutingOp wafer::buildRouting(OpBuilder &builder, func::FuncOp func,
                              const route::Routing &routing) {
  MLIRContext *context = builder.getContext();
  auto op = RoutingOp::create(
      builder, func.getLoc(), SymbolRefAttr::get(func.getSymNameAttr()),
      builder.getI64IntegerAttr(routing.maxColorsPerRouter),
      builder.getI64IntegerAttr(routing.colorLimit),
      builder.getI64IntegerAttr(routing.maxTerminalColorsPerPE),
      builder.getF64FloatAttr(routing.maxLinkLoad),
      builder.getF64FloatAttr(routing.linkLoadLowerBound),
      builder.getI64IntegerAttr(routing.totalHops),
      builder.getBoolAttr(routing.deadlockFree));
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&op.getBody().emplaceBlock());
  for (const route::RoutedFlow &f : routing.flows) {
    SmallVector<int64_t> segments;
    for (const route::Segment &s : f.segments)
      segments.append(
          {s.x, s.y, s.length, s.lanes, static_cast<int64_t>(s.direction)});
    FlowOp::create(
        builder, func.getLoc(), builder.getStringAttr(f.flow.name),
        FlowKindAttr::get(context, static_cast<FlowKind>(f.flow.kind)),
        toAttr(context, f.flow.source), toAttr(context, f.flow.destination),
        builder.getI64IntegerAttr(f.flow.bytes),
        builder.getI64IntegerAttr(f.color),
        builder.getI64IntegerAttr(f.flow.activeStart),
        builder.getI64IntegerAttr(f.flow.activeEnd),
        builder.getDenseI64ArrayAttr(segments),
        f.flow.multicast >= 0 ? builder.getI64IntegerAttr(f.flow.multicast)
                              : IntegerAttr());
  }
  return op;
}

route::Routing wafer::readRouting(RoutingOp op) {
  route::Routing routing;
  routing.maxColorsPerRouter = op.getMaxColorsPerRouter();
  routing.colorLimit = op.getColorLimit();
  routing.maxTerminalColorsPerPE = op.getMaxTerminalColors();
  routing.maxLinkLoad = op.getMaxLinkLoad().convertToDouble();
  routing.linkLoadLowerBound = op.getLinkLoadLowerBound().convertToDouble();
  routing.totalHops = op.getTotalHops();
  routing.deadlockFree = op.getDeadlockFree();
  for (FlowOp flow : op.getBody().front().getOps<FlowOp>()) {
    route::RoutedFlow routed;
    routed.flow.name = flow.getName().str();
    routed.flow.kind = static_cast<route::FlowKind>(flow.getKind());
    routed.flow.source = toRect(flow.getSource());
    routed.flow.destination = toRect(flow.getDestination());
    routed.flow.bytes = flow.getBytes();
    routed.flow.activeStart = static_cast<int64_t>(flow.getActiveStart());
    routed.flow.activeEnd = static_cast<int64_t>(flow.getActiveEnd());
    routed.color = static_cast<int64_t>(flow.getColor());
    if (std::optional<uint64_t> multicast = flow.getMulticast())
      routed.flow.multicast = static_cast<int64_t>(*multicast);
    ArrayRef<int64_t> r = flow.getRoute();
    for (size_t i = 0; i + 4 < r.size(); i += 5)
      routed.segments.push_back(
          route::Segment{r[i], r[i + 1], r[i + 2], r[i + 3],
                         static_cast<route::Direction>(r[i + 4])});
    routing.flows.push_back(std::move(routed));
  }
  return routing;
}
