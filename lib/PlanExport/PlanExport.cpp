//===- PlanExport.cpp - routed IR to an executable plan -------------------===//

#include "wafer/Plan/PlanExport.h"

#include <algorithm>
#include <map>

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Analysis/RoutingIR.h"
#include "wafer/Analysis/StepCost.h"
#include "wafer/Core/CostModel.h"
#include "wafer/Core/Optimizer.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "wafer/Route/Router.h"

using namespace mlir;
using namespace wafer;

static plan::ElementType toElementType(Type type) {
  if (type.isF32())
    return plan::F32;
  if (type.isF16())
    return plan::F16;
  if (type.isBF16())
    return plan::BF16;
  if (type.isInteger(64))
    return plan::I64;
  if (type.isInteger(32))
    return plan::I32;
  if (type.isInteger(8))
    return plan::I8;
  if (type.isInteger(1))
    return plan::I1;
  return plan::ELEMENT_UNSPECIFIED;
}

/// Row-major little-endian bytes of a constant; one element for a splat.
static std::string constantBytes(DenseElementsAttr attr) {
  Type element = attr.getElementType();
  std::string out;
  auto append = [&](const void *data, size_t size) {
    out.append(static_cast<const char *>(data), size);
  };
  SmallVector<Attribute> values;
  if (attr.isSplat())
    values.push_back(attr.getSplatValue<Attribute>());
  else
    values.assign(attr.getValues<Attribute>().begin(),
                  attr.getValues<Attribute>().end());
  for (Attribute value : values) {
    if (auto f = dyn_cast<FloatAttr>(value)) {
      if (element.isF32()) {
        float v = f.getValueAsDouble();
        append(&v, 4);
      } else {
        uint16_t bits = f.getValue().bitcastToAPInt().getZExtValue();
        append(&bits, 2);
      }
    } else if (auto i = dyn_cast<IntegerAttr>(value)) {
      int64_t v = element.isInteger(1) ? i.getValue().getBoolValue()
                                       : i.getValue().getSExtValue();
      append(&v, plan::elementBytes(toElementType(element)));
    }
  }
  return out;
}

static void exportAttribute(Attribute attr, plan::Attribute &out) {
  if (auto i = dyn_cast<IntegerAttr>(attr))
    out.set_i(i.getValue().getSExtValue());
  else if (auto f = dyn_cast<FloatAttr>(attr))
    out.set_f(f.getValueAsDouble());
  else if (auto s = dyn_cast<StringAttr>(attr))
    out.set_s(s.str());
  else if (auto b = dyn_cast<BoolAttr>(attr))
    out.set_i(b.getValue());
  else if (isa<UnitAttr>(attr))
    out.set_i(1);
  else if (auto ints = dyn_cast<DenseI64ArrayAttr>(attr))
    for (int64_t v : ints.asArrayRef())
      out.mutable_ints()->add_values(v);
  else if (auto gelu = dyn_cast<GeluApproximationAttr>(attr))
    out.set_s(stringifyGeluApproximation(gelu.getValue()).str());
}

/// A training step's loss, gradients and optimizer (wafer-autodiff's
/// results, wafer-compile's --optimizer), when the function returns
/// gradients.
static LogicalResult exportTraining(ModuleOp module, func::FuncOp func,
                                    const llvm::DenseMap<Value, int64_t> &ids,
                                    plan::Plan &out) {
  Operation *ret = func.getBody().front().getTerminator();
  plan::Training training;
  for (auto [i, result] : llvm::enumerate(ret->getOperands()))
    if (auto weight = func.getResultAttrOfType<StringAttr>(
            i, WaferDialect::getGradientOfAttrName())) {
      plan::Gradient &g = *training.add_gradients();
      g.set_weight(weight.str());
      g.set_tensor(ids.lookup(result));
    }
  if (training.gradients().empty())
    return success();
  core::OptimizerSpec spec;
  Attribute config = module->getAttr(WaferDialect::getTrainingAttrName());
  if (!config || !WaferDialect::readTraining(config, spec).empty())
    return module.emitError() << "a training plan needs its optimizer in '"
                              << WaferDialect::getTrainingAttrName() << "'";
  training.set_loss(ids.lookup(ret->getOperand(0)));
  plan::fromOptimizerSpec(spec, *training.mutable_optimizer());
  *out.mutable_training() = std::move(training);
  return success();
}

/// The batch's cut into parts over the wafers, the reduction tree the
/// wafers' sums take, and how each output combines across parts; nothing
/// for a module without `wafer.data_parallel`. Gradients combine as the
/// loss does (a mean loss's gradient is the mean of the parts').
static LogicalResult exportDataParallel(ModuleOp module, func::FuncOp func,
                                        plan::Plan &out) {
  Attribute config = module->getAttr(WaferDialect::getDataParallelAttrName());
  if (!config)
    return success();
  core::BatchSplit split;
  if (std::string error = WaferDialect::readDataParallel(config, split);
      !error.empty())
    return module.emitError()
           << "'" << WaferDialect::getDataParallelAttrName() << "': " << error;
  plan::DataParallel &dp = *out.mutable_data_parallel();
  dp.set_batch(split.batch);
  dp.set_part_rows(split.partRows);
  for (int64_t parts : split.waferParts)
    dp.add_wafer_parts(parts);
  for (const core::ReduceStep &step : core::reductionTree(split.wafers())) {
    plan::ReduceStep &r = *dp.add_reduction();
    r.set_into(step.into);
    r.set_from(step.from);
  }
  auto combineOf = [&](unsigned result) {
    auto kind = func.getResultAttrOfType<StringAttr>(
        result, WaferDialect::getCombineAttrName());
    if (!kind)
      return plan::CONCAT;
    return kind.getValue() == "mean"  ? plan::MEAN
           : kind.getValue() == "sum" ? plan::SUM
                                      : plan::RATIO;
  };
  auto weightOf = [&](unsigned result) -> int64_t {
    auto index = func.getResultAttrOfType<IntegerAttr>(
        result, WaferDialect::getCombineWeightAttrName());
    return index ? index.getInt() : -1;
  };
  for (unsigned i = 0; i < func.getNumResults(); ++i) {
    unsigned like =
        func.getResultAttr(i, WaferDialect::getGradientOfAttrName()) ? 0 : i;
    dp.add_combine(combineOf(like));
    dp.add_combine_weight(weightOf(like));
  }
  return success();
}

FailureOr<plan::Plan> wafer::exportPlan(ModuleOp module, StringRef modelPath,
                                        StringRef weightsDir) {
  TargetAttr target = getModuleTarget(module);
  auto funcs = llvm::to_vector(module.getOps<func::FuncOp>());
  auto placements = llvm::to_vector(module.getOps<PlacementOp>());
  auto routings = llvm::to_vector(module.getOps<RoutingOp>());
  if (!target || funcs.size() != 1 || placements.size() != 1 ||
      routings.size() != 1)
    return mlir::emitError(module.getLoc())
           << "a plan needs a routed module: one function, its "
              "wafer.placement and wafer.routing, and a wafer.target";
  func::FuncOp func = funcs.front();
  PlacementOp placement = placements.front();
  RoutingOp routing = routings.front();

  plan::Plan out;
  out.set_format_version(plan::kFormatVersion);
  out.set_model(modelPath.str());
  out.set_weights_dir(weightsDir.str());
  plan::fromTargetDesc(target.toDesc(), *out.mutable_target());
  out.set_mode(placement.getMode() == ExecutionMode::pipelined
                   ? plan::PIPELINED
                   : plan::WEIGHT_STREAMING);
  // No step is shorter than its busiest link needs.
  out.set_predicted_cycles(std::max<int64_t>(
      placement.getPredictedCycles(),
      route::linkCycles(target.toDesc(),
                        routing.getMaxLinkLoad().convertToDouble())));
  out.set_lower_bound_cycles(placement.getLowerBoundCycles());

  // Tensors: arguments, then every result, in program order.
  llvm::DenseMap<Value, int64_t> ids;
  auto addTensor = [&](Value value) -> plan::Tensor & {
    plan::Tensor &t = *out.add_tensors();
    t.set_id(out.tensors_size() - 1);
    auto type = cast<RankedTensorType>(value.getType());
    for (int64_t d : type.getShape())
      t.add_shape(d);
    t.set_element_type(toElementType(type.getElementType()));
    ids[value] = t.id();
    return t;
  };
  for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
    plan::Tensor &t = addTensor(arg);
    if (auto name = func.getArgAttrOfType<StringAttr>(
            i, WaferDialect::getNameAttrName()))
      t.set_name(name.str());
    out.add_inputs(t.id());
  }

  LayerAnalysis layers(func);
  std::vector<LayerLayout> layouts;
  std::vector<core::LayerSpec> specs = toLayerSpecs(layers, &layouts);
  for (Operation &op : func.getBody().front()) {
    if (isa<func::ReturnOp>(op))
      continue;
    if (auto weight = dyn_cast<WeightOp>(op)) {
      plan::Tensor &t = addTensor(weight.getResult());
      plan::WeightRef &ref = *t.mutable_weight();
      ref.set_name(weight.getSymName().str());
      ref.set_file(weight.getFile().str());
      ref.set_offset(weight.getOffset());
      ref.set_length(weight.getLength());
      continue;
    }
    if (auto constant = dyn_cast<ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense)
        return constant.emitError() << "plans hold dense constants only";
      addTensor(constant.getResult()).set_constant(constantBytes(dense));
      continue;
    }
    plan::Kernel &kernel = *out.add_kernels();
    kernel.set_op(op.getName().getStringRef().str());
    for (Value operand : op.getOperands()) {
      auto it = ids.find(operand);
      if (it == ids.end())
        return op.emitError() << "uses a value the plan does not know";
      kernel.add_operands(it->second);
    }
    for (Value result : op.getResults())
      kernel.add_results(addTensor(result).id());
    for (NamedAttribute attr : op.getAttrs()) {
      if (attr.getName().strref().starts_with("wafer."))
        continue; // Layer annotations, not semantics.
      exportAttribute(attr.getValue(),
                      (*kernel.mutable_attributes())[attr.getName().str()]);
    }
    // Enumerations cross by name (sem::CompareKind, sem::ReduceKind).
    if (auto compare = dyn_cast<CompareOp>(op))
      (*kernel.mutable_attributes())["predicate"].set_s(
          stringifyCompareKind(compare.getPredicate()).str());
    if (auto reduce = dyn_cast<ReduceOp>(op))
      (*kernel.mutable_attributes())["kind"].set_s(
          stringifyReduceKind(reduce.getKind()).str());
    kernel.set_layer(layers.getLayerIndex(&op));
  }
  for (auto [i, result] :
       llvm::enumerate(func.getBody().front().getTerminator()->getOperands())) {
    int64_t id = ids.lookup(result);
    if (auto name = func.getResultAttrOfType<StringAttr>(
            i, WaferDialect::getNameAttrName()))
      out.mutable_tensors(id)->set_name(name.str());
    out.add_outputs(id);
  }
  if (failed(exportTraining(module, func, ids, out)))
    return failure();
  if (failed(exportDataParallel(module, func, out)))
    return failure();
  if (out.has_training())
    out.mutable_training()->set_bubble_seconds(
        trainingBubbleSeconds(module, func, layers, target.toDesc()));

  // Layers, in the analysis' order, with their placement.
  std::map<std::string, PlaceOp> places;
  for (PlaceOp place : placement.getBody().front().getOps<PlaceOp>())
    places[place.getLayer().str()] = place;
  for (auto [index, layer] : llvm::enumerate(layers.getLayers())) {
    auto it = places.find(layer.name);
    if (it == places.end())
      return placement.emitError()
             << "does not place layer '" << layer.name << "'";
    PlaceOp place = it->second;
    plan::Layer &l = *out.add_layers();
    l.set_name(layer.name);
    RegionAttr r = place.getRegion();
    Rect region{r.getX(), r.getY(), r.getWidth(), r.getHeight()};
    plan::fromRect(region, *l.mutable_region());
    l.set_sram_bytes_per_pe(place.getSramBytesPerPe());
    l.set_start_cycle(place.getStartCycle());
    l.set_cycles(place.getCycles());
    if (layer.anchor->hasAttr(WaferDialect::getBackwardAttrName()))
      l.set_program(plan::BACKWARD);
    const core::LayerSpec &spec = specs[index];
    plan::fromLayerSpec(spec, *l.mutable_spec());
    core::CostModel model(target.toDesc());
    if (spec.m > 0 && spec.n > 0 && spec.k > 0)
      plan::fromSummaTiling(
          model.summaTiling(spec, region.height, region.width),
          *l.mutable_summa());
    if (spec.attention.valid())
      plan::fromAttentionTiling(
          model.attentionTiling(spec, region.height, region.width),
          *l.mutable_attention());
    for (const core::HeldTensor &held : layouts[index].layouts.held) {
      core::HeldTensor recorded = held;
      recorded.tensor = ids.lookup(layouts[index].values[held.tensor]);
      plan::fromHeldTensor(recorded, *l.add_held());
    }
    for (StreamOp tile : place.getTiles().front().getOps<StreamOp>()) {
      plan::StreamTile &t = *l.add_tiles();
      t.set_weight(tile.getWeight().str());
      t.set_offset(tile.getOffset());
      t.set_bytes(tile.getBytes());
      t.set_slot(tile.getSlot());
      t.set_arrive_start(tile.getArriveStart());
      t.set_arrive_end(tile.getArriveEnd());
      t.set_compute_start(tile.getComputeStart());
      t.set_release(tile.getRelease());
    }
  }

  // Flows: the routed ones, with what each carries.
  std::vector<FlowOrigin> origins;
  std::vector<route::Flow> expected =
      collectFlows(func, placement, target.toDesc(), &origins);
  route::Routing routed = readRouting(routing);
  if (routed.flows.size() != expected.size())
    return routing.emitError()
           << "routes " << routed.flows.size() << " flows; the placement needs "
           << expected.size();
  for (size_t i = 0; i < expected.size(); ++i) {
    const route::RoutedFlow &f = routed.flows[i];
    if (f.flow.name != expected[i].name)
      return routing.emitError()
             << "flow " << i << " is '" << f.flow.name
             << "'; the placement needs '" << expected[i].name << "' there";
    plan::Flow &p = *out.add_flows();
    p.set_name(f.flow.name);
    p.set_kind(plan::toFlowKind(f.flow.kind));
    plan::fromRect(f.flow.source, *p.mutable_source());
    plan::fromRect(f.flow.destination, *p.mutable_destination());
    p.set_bytes(f.flow.bytes);
    p.set_color(f.color);
    p.set_active_start(f.flow.activeStart);
    p.set_active_end(f.flow.activeEnd);
    for (const route::Segment &s : f.segments) {
      plan::Segment &seg = *p.add_segments();
      seg.set_x(s.x);
      seg.set_y(s.y);
      seg.set_length(s.length);
      seg.set_lanes(s.lanes);
      seg.set_direction(static_cast<plan::Direction>(s.direction));
    }
    p.set_tensor(origins[i].value ? ids.lookup(origins[i].value) : -1);
    p.set_source_layer(origins[i].sourceLayer);
    p.set_destination_layer(origins[i].destinationLayer);
  }
  return out;
}
