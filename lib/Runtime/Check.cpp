//===- Check.cpp - a plan checked against its target -------------------===//
//
// Before wafer-run executes or times a plan that may come from another hand:
// its structure, kernels, regions, routes and colors, the tilings, layouts
// and LayerSpecs it records against its kernels, the flows every tensor
// crossing layers needs, SRAM and the weight-stream schedule.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

#include "Kernels.h"
#include "PlanView.h"
#include "absl/strings/str_cat.h"
#include "wafer/Core/CostModel.h"
#include "wafer/Core/PlacementCheck.h"
#include "wafer/Core/Relayout.h"
#include "wafer/Route/Router.h"
#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {
namespace {

/// Bytes each layer's kernels regroup across its PEs (core::movesBetweenPes).
std::vector<double> relayoutBytes(const PlanView &view) {
  const plan::Plan &plan = view.plan;
  std::vector<double> bytes(plan.layers_size(), 0.0);
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.layer() < 0 || k.layer() >= plan.layers_size() ||
        k.results_size() != 1 || k.results(0) < 0 ||
        k.results(0) >= plan.tensors_size())
      continue;
    std::vector<std::vector<int64_t>> operands;
    for (int64_t id : k.operands())
      if (id >= 0 && id < plan.tensors_size())
        operands.emplace_back(plan.tensors(id).shape().begin(),
                              plan.tensors(id).shape().end());
    const plan::Tensor &result = plan.tensors(k.results(0));
    std::vector<int64_t> shape(result.shape().begin(), result.shape().end());
    // A product's layer lays its output's m rows of n columns on its grid.
    const LayerView &layer = view.layers[k.layer()];
    bool grid = layer.summa && layer.spec.m > 0 && layer.spec.n > 0;
    if (!core::movesBetweenPes(k.op(), operands, shape, grid ? layer.spec.m : 0,
                               grid ? layer.spec.n : 0))
      continue;
    double elements = 1;
    for (int64_t d : shape)
      elements *= static_cast<double>(d);
    bytes[k.layer()] += elements * plan::elementBytes(result.element_type());
  }
  return bytes;
}

/// The layout of a tensor, as messages name it.
std::string layoutName(const core::HeldTensor &held) {
  if (held.layout == core::Layout::summaColumnPiece)
    return absl::StrCat(core::layoutName(held.layout), " (columns ",
                        held.firstColumn, "..", held.firstColumn + held.columns,
                        ")");
  return core::layoutName(held.layout);
}

/// Each layer's recorded layouts against core::chooseLayouts on its kernels,
/// and its LayerSpec against its kernels and those layouts.
absl::Status checkLayouts(const PlanView &view) {
  const plan::Plan &plan = view.plan;
  std::vector<std::vector<int64_t>> shapes;
  for (const plan::Tensor &t : plan.tensors())
    shapes.push_back(shapeOf(t));
  auto shapeOfId = [&](int64_t id) -> const std::vector<int64_t> & {
    return shapes[id];
  };
  for (int64_t l = 0; l < plan.layers_size(); ++l) {
    const plan::Layer &layer = plan.layers(l);
    const LayerView &lv = view.layers[l];
    const core::LayerSpec &spec = lv.spec;
    for (const plan::HeldTensor &held : layer.held())
      if (held.tensor() < 0 || held.tensor() >= plan.tensors_size() ||
          !plan::Layout_IsValid(held.layout()))
        return absl::InvalidArgumentError(absl::StrCat(
            "layer ", layer.name(), " lays out tensor ", held.tensor(),
            " in layout ", held.layout(), ": no such tensor or layout"));
    std::vector<core::KernelInfo> kernels;
    for (int64_t index : lv.kernels) {
      const plan::Kernel &k = plan.kernels(index);
      core::KernelInfo &info = kernels.emplace_back();
      info.op = k.op();
      info.operands.assign(k.operands().begin(), k.operands().end());
      info.results.assign(k.results().begin(), k.results().end());
      info.transposeLhs = attrInt(k, "transpose_lhs", 0) != 0;
      if (k.attributes().count("axis"))
        info.axis = attrInt(k, "axis", 0);
    }
    // The spec's product is one of the layer's.
    if (spec.m > 0 || spec.n > 0 || spec.k > 0) {
      bool found = false;
      for (const core::KernelInfo &k : kernels) {
        if (k.op != "wafer.matmul" || k.operands.empty() || k.results.empty())
          continue;
        const std::vector<int64_t> &out = shapes[k.results[0]];
        const std::vector<int64_t> &lhs = shapes[k.operands[0]];
        int64_t elements = 1;
        for (int64_t d : out)
          elements *= d;
        int64_t contraction = lhs.empty() ? 0
                                          : (k.transposeLhs && lhs.size() >= 2
                                                 ? lhs[lhs.size() - 2]
                                                 : lhs.back());
        found |= !out.empty() && out.back() == spec.n &&
                 static_cast<double>(elements) ==
                     static_cast<double>(spec.m) * spec.n &&
                 contraction == spec.k;
      }
      if (!found)
        return absl::FailedPreconditionError(absl::StrCat(
            "layer ", layer.name(), "'s spec multiplies ", spec.m, "x", spec.k,
            " by ", spec.k, "x", spec.n, "; none of its kernels does"));
    }
    // The grid the spec describes; the tilings that must go with it are
    // checked below, with the routes they need.
    core::LayerGrid grid{spec.m, spec.n, spec.k, spec.attention.valid()};
    core::LayerLayouts expected = core::chooseLayouts(grid, kernels, shapeOfId);
    for (size_t i = 0; i < expected.held.size(); ++i) {
      const core::HeldTensor &want = expected.held[i];
      if (static_cast<int>(i) >= layer.held_size())
        return absl::FailedPreconditionError(absl::StrCat(
            "layer ", layer.name(), "'s plan gives tensor ", want.tensor,
            " no layout; its kernels hold it as ", layoutName(want)));
      core::HeldTensor got = plan::toHeldTensor(layer.held(i));
      if (!(got == want))
        return absl::FailedPreconditionError(absl::StrCat(
            "layer ", layer.name(), "'s plan holds tensor ", got.tensor, " as ",
            layoutName(got), "; its kernels hold tensor ", want.tensor,
            " there as ", layoutName(want)));
    }
    if (layer.held_size() > static_cast<int>(expected.held.size()))
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s plan lays out ", layer.held_size(),
          " tensors; its kernels hold ", expected.held.size()));

    // Its FLOPs are its kernels' (sem::flops, in program order).
    double flops = 0;
    for (int64_t index : lv.kernels)
      flops += sem::flops(*kernelShapes(plan, plan.kernels(index)));
    if (flops != spec.flops)
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(), "'s spec counts ", spec.flops,
                       " FLOPs; its kernels do ", flops));
    // What it holds beyond its product or attention, from the layouts.
    core::LayerSpec derived = spec;
    core::describeHeld(
        expected, shapeOfId,
        [&](int64_t id) {
          return plan::elementBytes(plan.tensors(id).element_type());
        },
        [&](int64_t id) { return plan.tensors(id).has_weight(); }, derived);
    if (derived.normedLhs != spec.normedLhs)
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(), "'s spec says a norm ",
                       spec.normedLhs ? "runs" : "does not run",
                       " on its product's left operand; its kernels say it ",
                       derived.normedLhs ? "does" : "does not"));
    bool rowsAgree = derived.rowTensors.size() == spec.rowTensors.size();
    for (size_t i = 0; rowsAgree && i < spec.rowTensors.size(); ++i)
      rowsAgree =
          derived.rowTensors[i].rows == spec.rowTensors[i].rows &&
          derived.rowTensors[i].rowBytes == spec.rowTensors[i].rowBytes &&
          derived.rowTensors[i].weight == spec.rowTensors[i].weight;
    if (derived.columnVectors != spec.columnVectors ||
        derived.contractionVectors != spec.contractionVectors || !rowsAgree)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s spec plans ", spec.rowTensors.size(),
          " tensors as whole rows and ",
          spec.columnVectors + spec.contractionVectors,
          " sliced vectors; its kernels hold ", derived.rowTensors.size(),
          " and ", derived.columnVectors + derived.contractionVectors));
  }
  return absl::OkStatus();
}

/// The batch's parts and wafers add up, the reduction adds every wafer's
/// sums into wafer 0 once, each output says how it combines, and every
/// input has the part's rows.
absl::Status checkDataParallel(const plan::Plan &plan) {
  if (!plan.has_data_parallel())
    return absl::OkStatus();
  const plan::DataParallel &dp = plan.data_parallel();
  core::BatchSplit split = plan::toBatchSplit(plan);
  if (split.wafers() > (1 << 20))
    return absl::InvalidArgumentError(absl::StrCat(
        "the plan's batch is shared out over ", split.wafers(),
        " wafers; at most ", 1 << 20, " are taken"));
  if (std::string error = core::checkBatchSplit(split); !error.empty())
    return absl::InvalidArgumentError("the plan's batch split: " + error);
  if (std::string error =
          core::checkReduction(split.wafers(), plan::toReduction(plan));
      !error.empty())
    return absl::InvalidArgumentError("the plan's gradient reduction: " +
                                      error);
  if (dp.combine_size() != plan.outputs_size())
    return absl::InvalidArgumentError(absl::StrCat(
        "the plan says how ", dp.combine_size(), " outputs combine across "
        "parts; it has ", plan.outputs_size()));
  if (dp.combine_weight_size() != plan.outputs_size())
    return absl::InvalidArgumentError(absl::StrCat(
        "the plan names the weights of ", dp.combine_weight_size(),
        " outputs' parts; it has ", plan.outputs_size(), " outputs"));
  for (int i = 0; i < dp.combine_size(); ++i) {
    if (!plan::Combine_IsValid(dp.combine(i)))
      return absl::InvalidArgumentError(absl::StrCat(
          "output ", i, " combines across parts in no known way"));
    if (dp.combine(i) == plan::CONCAT)
      continue;
    const plan::Tensor *t = plan.outputs(i) >= 0 &&
                                    plan.outputs(i) < plan.tensors_size()
                                ? &plan.tensors(plan.outputs(i))
                                : nullptr;
    if (!t || (t->element_type() != plan::F32 &&
               t->element_type() != plan::F16 &&
               t->element_type() != plan::BF16))
      return absl::InvalidArgumentError(absl::StrCat(
          "output ", i, " adds across parts but is not a float tensor"));
    int64_t w = dp.combine_weight(i);
    if (dp.combine(i) != plan::RATIO) {
      if (w != -1)
        return absl::InvalidArgumentError(absl::StrCat(
            "output ", i, " is no ratio but names a denominator"));
      continue;
    }
    if (w < 0 || w >= plan.outputs_size() || dp.combine(w) != plan::SUM ||
        plan.tensors(plan.outputs(w)).shape_size() != 0 ||
        plan.tensors(plan.outputs(w)).element_type() != plan::F32)
      return absl::InvalidArgumentError(absl::StrCat(
          "output ", i, " is a ratio whose denominator, output ", w,
          ", is not an f32 scalar summed across parts"));
  }
  auto rowsOf = [&](int64_t id) -> int64_t {
    if (id < 0 || id >= plan.tensors_size() ||
        plan.tensors(id).shape_size() == 0)
      return -1;
    return plan.tensors(id).shape(0);
  };
  for (int i = 0; i < plan.inputs_size(); ++i)
    if (rowsOf(plan.inputs(i)) != split.partRows)
      return absl::InvalidArgumentError(absl::StrCat(
          "input ", i, " does not have the part's ", split.partRows,
          " rows on its axis 0"));
  for (int i = 0; i < plan.outputs_size(); ++i)
    if (plan::outputCombine(plan, i) == plan::CONCAT &&
        split.parts() > 1 && rowsOf(plan.outputs(i)) < 1)
      return absl::InvalidArgumentError(absl::StrCat(
          "output ", i, " has no axis 0 on which to put the parts' rows"));
  return absl::OkStatus();
}

/// A training plan's loss is its first output, a float scalar; each
/// gradient is another output, of a distinct weight tensor of the plan, with
/// that weight's shape.
absl::Status checkTraining(const plan::Plan &plan) {
  if (!plan.has_training())
    return absl::OkStatus();
  const plan::Training &training = plan.training();
  auto validId = [&](int64_t id) {
    return id >= 0 && id < plan.tensors_size();
  };
  if (!validId(training.loss()) || plan::outputIndex(plan, training.loss()) != 0)
    return absl::InvalidArgumentError(
        "the training plan's loss is not its first output");
  const plan::Tensor &loss = plan.tensors(training.loss());
  int64_t lossElements = 1;
  for (int64_t d : loss.shape())
    lossElements *= d;
  bool floatLoss = loss.element_type() == plan::F32 ||
                   loss.element_type() == plan::F16 ||
                   loss.element_type() == plan::BF16;
  if (!floatLoss || lossElements != 1)
    return absl::InvalidArgumentError(
        "the training plan's loss is not a float scalar");
  if (training.gradients().empty())
    return absl::InvalidArgumentError("the training plan trains no weight");
  std::map<std::string, const plan::Tensor *> weights;
  for (const plan::Tensor &t : plan.tensors())
    if (t.has_weight())
      weights[t.weight().name()] = &t;
  std::set<std::string> seen;
  for (const plan::Gradient &g : training.gradients()) {
    auto it = weights.find(g.weight());
    if (it == weights.end())
      return absl::InvalidArgumentError(absl::StrCat(
          "the training plan has a gradient of '", g.weight(),
          "', which is no weight of the plan"));
    if (!seen.insert(g.weight()).second)
      return absl::InvalidArgumentError(absl::StrCat(
          "the training plan has two gradients of '", g.weight(), "'"));
    if (!validId(g.tensor()) || plan::outputIndex(plan, g.tensor()) <= 0)
      return absl::InvalidArgumentError(absl::StrCat(
          "the gradient of '", g.weight(),
          "' is not an output of the plan: it never leaves the wafer"));
    const plan::Tensor &t = plan.tensors(g.tensor());
    if (!std::equal(t.shape().begin(), t.shape().end(),
                    it->second->shape().begin(), it->second->shape().end()) ||
        t.element_type() != it->second->element_type())
      return absl::InvalidArgumentError(absl::StrCat(
          "the gradient of '", g.weight(),
          "' does not have its weight's shape and element type"));
  }
  if (!(training.bubble_seconds() >= 0) ||
      !std::isfinite(training.bubble_seconds()))
    return absl::InvalidArgumentError(
        "the training plan's update bubble is not a finite time");
  // A mean (or sum) loss over the part's rows: the step's gradient is the
  // mean (or sum) of the parts'.
  if (plan.has_data_parallel()) {
    plan::Combine loss = plan::outputCombine(plan, 0);
    if (plan.data_parallel().batch() != plan.data_parallel().part_rows() &&
        loss == plan::CONCAT)
      return absl::InvalidArgumentError(
          "the training plan cuts its batch into parts, but its loss does "
          "not combine across them (neither mean nor sum)");
    for (const plan::Gradient &g : training.gradients())
      if (plan::outputCombine(plan, plan::outputIndex(plan, g.tensor())) !=
          loss)
        return absl::InvalidArgumentError(absl::StrCat(
            "the gradient of '", g.weight(),
            "' does not combine across parts as the loss does"));
  }
  const plan::Optimizer &o = plan.training().optimizer();
  if (!(o.lr() > 0) || !std::isfinite(o.lr()) || o.momentum() < 0 ||
      o.momentum() >= 1 || o.beta1() < 0 || o.beta1() >= 1 ||
      o.beta2() < 0 || o.beta2() >= 1 || !(o.eps() >= 0) ||
      !(o.weight_decay() >= 0) || o.dampening() < 0 || o.dampening() > 1)
    return absl::InvalidArgumentError(
        "the training plan's optimizer has values out of range");
  return absl::OkStatus();
}

} // namespace

absl::Status checkPlan(const plan::Plan &plan, bool forExecution) {
  TargetDesc target = plan::toTargetDesc(plan.target());
  if (std::string err = target.validate(); !err.empty())
    return absl::InvalidArgumentError(absl::StrCat("plan target: ", err));
  if (plan.mode() != plan::PIPELINED && plan.mode() != plan::WEIGHT_STREAMING)
    return absl::InvalidArgumentError(
        "the plan's mode is neither pipelined nor weight streaming");
  if (absl::Status s = checkDataParallel(plan); !s.ok())
    return s;
  if (absl::Status s = checkTraining(plan); !s.ok())
    return s;
  for (const plan::Layer &l : plan.layers()) {
    if (l.program() == plan::OPTIMIZER_UPDATE ||
        (l.program() == plan::BACKWARD && !plan.has_training()))
      return absl::UnimplementedError(absl::StrCat(
          "layer ", l.name(), " belongs to the ",
          plan::Program_Name(l.program()),
          " program; this wafer-run executes forward programs and the "
          "backward programs of training plans"));
    for (const plan::StreamTile &tile : l.tiles())
      if (tile.direction() != plan::TO_WAFER)
        return absl::UnimplementedError(absl::StrCat(
            "layer ", l.name(), " streams '", tile.weight(),
            "' out of the wafer; this wafer-run streams weights in only"));
  }
  for (const plan::Flow &f : plan.flows())
    if (!plan::fromFlowKind(f.kind()))
      return absl::InvalidArgumentError(
          absl::StrCat("flow '", f.name(), "' has no kind"));
  PlanView view(plan);
  int64_t tensors = plan.tensors_size(), layers = plan.layers_size();
  for (int64_t i = 0; i < tensors; ++i)
    if (plan.tensors(i).id() != i)
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", i, " has id ", plan.tensors(i).id()));
  // Who produces each tensor, and in which layer.
  std::vector<int64_t> producer(tensors, -2); // -2: input/weight/constant.
  std::vector<bool> defined(tensors, false);
  for (const plan::Tensor &t : plan.tensors())
    if (t.has_weight() || t.has_constant())
      defined[t.id()] = true;
  for (int64_t id : plan.inputs()) {
    if (id < 0 || id >= tensors)
      return absl::InvalidArgumentError(
          absl::StrCat("input tensor ", id, " does not exist"));
    defined[id] = true;
  }
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.layer() < -1 || k.layer() >= layers)
      return absl::InvalidArgumentError(
          absl::StrCat(k.op(), " is in layer ", k.layer(), " of ", layers));
    for (int64_t id : k.operands())
      if (id < 0 || id >= tensors || !defined[id])
        return absl::InvalidArgumentError(absl::StrCat(
            k.op(), " reads tensor ", id, " before anything defines it"));
    // A kernel on no layer computes constants on the host before the step
    // (weights, constants and other such kernels' results only): the graph's
    // work runs on the plan's PEs, never off them.
    if (k.layer() == -1)
      for (int64_t id : k.operands())
        if (!plan.tensors(id).has_weight() &&
            !plan.tensors(id).has_constant() && producer[id] != -1)
          return absl::FailedPreconditionError(absl::StrCat(
              k.op(), " is on no layer but reads tensor ", id,
              ", which the step computes: it would run off the wafer"));
    for (int64_t id : k.results()) {
      if (id < 0 || id >= tensors || defined[id])
        return absl::InvalidArgumentError(absl::StrCat(
            k.op(), " defines tensor ", id, " twice or out of range"));
      defined[id] = true;
      producer[id] = k.layer();
    }
  }
  for (int64_t id : plan.outputs())
    if (id < 0 || id >= tensors || !defined[id])
      return absl::InvalidArgumentError(
          absl::StrCat("output tensor ", id, " is never computed"));
  if (absl::Status s = validateKernels(plan, forExecution); !s.ok())
    return s;
  for (const plan::Flow &f : plan.flows())
    if (f.tensor() < -1 || f.tensor() >= tensors || f.source_layer() < -1 ||
        f.source_layer() >= layers || f.destination_layer() < -1 ||
        f.destination_layer() >= layers)
      return absl::InvalidArgumentError(
          absl::StrCat("flow '", f.name(),
                       "' refers to a tensor or layer that does not exist"));

  // Regions, SRAM and the weight-stream schedule: the one placement check
  // the spatial verifier applies, each layer with the weights its spec
  // lists, which must be every weight its kernels read, whole.
  std::vector<core::PlacedLayerRecord> records;
  for (int64_t l = 0; l < layers; ++l) {
    const plan::Layer &layer = plan.layers(l);
    core::PlacedLayerRecord &record = records.emplace_back();
    record.name = layer.name();
    record.region = view.layers[l].region;
    record.sramBytesPerPe = layer.sram_bytes_per_pe();
    record.weights = view.layers[l].spec.weights;
    for (const plan::StreamTile &t : layer.tiles())
      record.tiles.push_back({t.weight(), t.offset(), t.bytes(), t.slot(),
                              t.arrive_start(), t.arrive_end(),
                              t.compute_start(), t.release()});
    std::map<std::string, int64_t> listed(record.weights.begin(),
                                          record.weights.end());
    for (int64_t index : view.layers[l].kernels)
      for (int64_t id : plan.kernels(index).operands()) {
        const plan::Tensor &t = plan.tensors(id);
        if (!t.has_weight())
          continue;
        auto it = listed.find(t.weight().name());
        if (it == listed.end() || it->second != t.weight().length())
          return absl::FailedPreconditionError(absl::StrCat(
              "layer ", layer.name(), " reads weight '", t.weight().name(),
              "' (", t.weight().length(), " bytes), which its spec ",
              it == listed.end() ? "does not list"
                                 : absl::StrCat("lists as ", it->second,
                                                " bytes")));
      }
  }
  if (std::optional<core::PlacementProblem> problem =
          core::checkPlacement(target, !view.weightStreaming, records))
    return absl::FailedPreconditionError(problem->message);

  // Routes and colors, with the router's own checks.
  if (std::string problem = route::checkRouting(target, view.routing);
      !problem.empty())
    return absl::FailedPreconditionError(absl::StrCat("routing: ", problem));

  // Layouts and LayerSpecs: the plan records how each layer holds its
  // tensors and what the cost model knows of it; both must be what the one
  // rule (core::chooseLayouts) and the layer's kernels give.
  if (absl::Status s = checkLayouts(view); !s.ok())
    return s;

  // A matmul layer runs SUMMA with the plan's tiling; spread over more than
  // one column (row) of PEs, its panels need a routed broadcast along the
  // region's rows (columns) that carries what the product moves.
  std::map<std::pair<int64_t, plan::FlowKind>, const plan::Flow *> routedInto;
  for (const plan::Flow &f : plan.flows())
    if (!f.segments().empty())
      routedInto[{f.destination_layer(), f.kind()}] = &f;
  // Layer l's routed flow of `kind` over its own region (a broadcast or
  // reduction among its PEs), or null.
  auto withinLayer = [&](int64_t l, plan::FlowKind kind) -> const plan::Flow * {
    auto it = routedInto.find({l, kind});
    return it != routedInto.end() && plan::toRect(it->second->destination()) ==
                                         plan::toRect(plan.layers(l).region())
               ? it->second
               : nullptr;
  };
  for (int64_t l = 0; l < layers; ++l) {
    const plan::Layer &layer = plan.layers(l);
    const LayerView &lv = view.layers[l];
    const core::LayerSpec &spec = lv.spec;
    if (spec.m <= 0 || spec.n <= 0 || spec.k <= 0)
      continue;
    // Within what a tensor may hold (validateKernels), so that the cost
    // model's byte counts cannot overflow.
    double m = spec.m, n = spec.n, k = spec.k;
    if (m * k > 0x1p40 || k * n > 0x1p40 || m * n > 0x1p40)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), " multiplies ", spec.m, "x", spec.k, " by ",
          spec.k, "x", spec.n, ": more than a tensor may hold"));
    Rect r = plan::toRect(layer.region());
    if (!layer.has_summa())
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(),
                       " is a matmul but the plan gives no SUMMA "
                       "tiling for it"));
    const plan::SummaTiling &summa = layer.summa();
    if (summa.grid_rows() < 1 || summa.grid_rows() > r.height ||
        summa.grid_cols() < 1 || summa.grid_cols() > r.width ||
        summa.panels() < 1 || summa.panels() > spec.k)
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(), "'s SUMMA tiling (",
                       summa.grid_rows(), "x", summa.grid_cols(), " PEs, ",
                       summa.panels(), " panels) does not fit its ", r.width,
                       "x", r.height, " PEs and contraction of ", spec.k));
    core::SummaBroadcasts needed = core::CostModel::summaBroadcasts(
        spec, r.height, r.width, summa.transposed(),
        /*weightsStreamed=*/view.weightStreaming && layer.tiles_size() > 0);
    // A normalisation before the product runs on its left operand's
    // blocks: rows split over a line of PEs reduce their partial sums along
    // it; the broadcast that carries its panels, required below whenever
    // the line is longer than one PE, returns the statistics.
    int64_t line = summa.transposed() ? summa.grid_rows() : summa.grid_cols();
    if (lv.normKernel >= 0 && line > 1) {
      plan::FlowKind kind =
          summa.transposed() ? plan::COLUMN_REDUCTION : plan::ROW_REDUCTION;
      const char *along = summa.transposed() ? "columns" : "rows";
      const plan::Flow *f = withinLayer(l, kind);
      if (!f)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), " normalises rows split over ",
                         line, " PEs but no reduction along its ", along,
                         " is routed: their partial sums cannot meet"));
      int64_t bytes = core::SummaReductions::bytesFor(spec.m);
      if (f->bytes() < bytes)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), "'s reduction along its ",
                         along, " carries ", f->bytes(), " bytes; its ", spec.m,
                         " rows' partial sums are ", bytes));
    }
    for (auto [kind, along, bytes] :
         {std::make_tuple(plan::ROW_BROADCAST, "rows", needed.rowBytes),
          std::make_tuple(plan::COLUMN_BROADCAST, "columns",
                          needed.columnBytes)}) {
      if (bytes == 0)
        continue;
      const plan::Flow *f = withinLayer(l, kind);
      if (!f)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), " multiplies on ", r.width,
                         "x", r.height, " PEs but no broadcast along its ",
                         along, " is routed: its SUMMA panels cannot move"));
      if (f->bytes() < bytes)
        return absl::FailedPreconditionError(absl::StrCat(
            "layer ", layer.name(), "'s broadcast along its ", along,
            " carries ", f->bytes(), " bytes; its SUMMA moves ", bytes));
    }
  }

  // An attention layer runs on the plan's attention tiling, which must
  // describe its kernel; spread over more than one row of PEs, its keys and
  // values need a routed broadcast down the region's columns. Only
  // attention layers have one.
  std::vector<bool> attends(layers, false);
  for (const plan::Kernel &k : plan.kernels())
    if (k.op() == "wafer.attention" && k.layer() >= 0)
      attends[k.layer()] = true;
  for (int64_t l = 0; l < layers; ++l)
    if (plan.layers(l).has_attention() && !attends[l])
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", plan.layers(l).name(),
                       " has an attention tiling but runs no attention"));
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.op() != "wafer.attention" || k.layer() < 0)
      continue;
    const plan::Layer &layer = plan.layers(k.layer());
    if (!layer.has_attention())
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(),
                       " runs attention but the plan gives no attention "
                       "tiling for it"));
    const plan::AttentionTiling &a = layer.attention();
    const core::LayerSpec &spec = view.layers[k.layer()].spec;
    const core::LayerSpec::Attention &dims = spec.attention;
    if (!spec.attention.valid() || k.operands_size() < 3)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s spec has no valid attention shape"));
    // In double: a hostile plan's sizes must not overflow the comparison.
    auto matches = [&](int64_t operand, int64_t rows, double features) {
      const plan::Tensor &t = plan.tensors(k.operands(operand));
      return t.shape_size() == 3 && t.shape(0) == dims.batch &&
             t.shape(1) == rows && static_cast<double>(t.shape(2)) == features;
    };
    if (!matches(0, dims.queries,
                 static_cast<double>(dims.heads) * dims.headDim) ||
        !matches(1, dims.keys,
                 static_cast<double>(dims.kvHeads) * dims.headDim) ||
        !matches(2, dims.keys,
                 static_cast<double>(dims.kvHeads) * dims.valueDim))
      return absl::FailedPreconditionError(
          absl::StrCat("layer ", layer.name(), "'s spec attends ", dims.batch,
                       " x ", dims.heads, " heads of ", dims.queries,
                       " queries against ", dims.keys, " keys (", dims.kvHeads,
                       " key/value heads of ", dims.headDim, " and ",
                       dims.valueDim, "), not the shapes its kernel reads"));
    Rect r = plan::toRect(layer.region());
    double pairs = static_cast<double>(dims.batch) * dims.heads;
    if (a.grid_rows() < 1 || a.grid_rows() > std::min(r.height, dims.queries) ||
        a.key_chunks() < 1 || a.key_chunks() > dims.keys ||
        a.query_cols() < 1 ||
        static_cast<double>(a.query_cols()) * a.grid_rows() > dims.queries ||
        a.grid_cols() > r.width ||
        static_cast<double>(a.key_chunks()) * a.query_cols() > a.grid_cols() ||
        a.grid_cols() % (a.key_chunks() * a.query_cols()) != 0 ||
        a.grid_cols() / (a.key_chunks() * a.query_cols()) > pairs ||
        a.key_blocks() < 1 || a.key_blocks() > dims.keys || a.panels() < 1 ||
        a.panels() > dims.keys)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s attention tiling (", a.grid_rows(), "x",
          a.grid_cols(), " PEs, ", a.query_cols(), " query column blocks, ",
          a.key_chunks(), " key chunks, ", a.key_blocks(), " key blocks, ",
          a.panels(), " panels) does not fit its ", r.width, "x", r.height,
          " PEs, ", dims.queries, " queries, ", dims.keys, " keys and ",
          dims.batch, " x ", dims.heads, " heads"));
    if (spec.elementBytes < 1 || spec.elementBytes > 8 ||
        static_cast<double>(dims.keys) *
                (static_cast<double>(dims.headDim) + dims.valueDim) *
                spec.elementBytes *
                (static_cast<double>(dims.batch) * dims.kvHeads +
                 a.grid_cols()) >
            0x1p62 ||
        pairs * dims.queries * (static_cast<double>(dims.valueDim) + 2) * 4 >
            0x1p62)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s keys and values are too large"));
    core::AttentionTiling tiling = *view.layers[k.layer()].attention;
    // The keys and values down the columns; the chunks' partial results
    // back along the rows to each group's first column.
    for (auto [kind, why, bytes] :
         {std::make_tuple(
              plan::COLUMN_BROADCAST,
              "no broadcast down its columns is routed: its key and value "
              "panels cannot move",
              core::CostModel::attentionBroadcastBytes(spec, tiling)),
          std::make_tuple(
              plan::ROW_REDUCTION,
              "no reduction along its rows is routed: its key chunks' "
              "results cannot be combined",
              core::CostModel::attentionCombineBytes(spec, tiling))}) {
      if (bytes == 0)
        continue;
      const plan::Flow *f = withinLayer(k.layer(), kind);
      if (!f)
        return absl::FailedPreconditionError(
            absl::StrCat("layer ", layer.name(), " attends on ", r.width, "x",
                         r.height, " PEs but ", why));
      if (f->bytes() < bytes)
        return absl::FailedPreconditionError(absl::StrCat(
            "layer ", layer.name(), "'s ", plan::flowKindName(kind),
            " carries ", f->bytes(), " bytes; it must carry ", bytes));
    }
  }

  // What a layer's kernels regroup across its PEs (a transpose, a reshape
  // that changes the last dimension, a gather) crosses its region on its
  // routed reshard; the plan's count, which the cost model reads, is
  // theirs.
  std::vector<double> regrouped = relayoutBytes(view);
  for (int64_t l = 0; l < layers; ++l) {
    const plan::Layer &layer = plan.layers(l);
    int64_t recorded = view.layers[l].spec.relayoutBytes;
    if (static_cast<double>(recorded) != regrouped[l])
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s plan says its kernels regroup ", recorded,
          " bytes across its PEs; they regroup ", regrouped[l]));
    Rect r = plan::toRect(layer.region());
    if (regrouped[l] == 0 || r.area() == 1)
      continue;
    const plan::Flow *f = withinLayer(l, plan::RESHARD);
    if (!f)
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), " regroups ", regrouped[l],
          " bytes across its ", r.width, "x", r.height,
          " PEs (a transpose, reshape or gather) but no reshard within it is "
          "routed"));
    if (f->bytes() < regrouped[l])
      return absl::FailedPreconditionError(absl::StrCat(
          "layer ", layer.name(), "'s reshard carries ", f->bytes(),
          " bytes; its kernels regroup ", regrouped[l]));
  }

  // A tensor read in another layer than it was made in must arrive on a
  // flow into that layer (routed unless the two regions overlap).
  std::set<std::pair<int64_t, int64_t>> delivered;
  for (const plan::Flow &f : plan.flows())
    if (f.tensor() >= 0)
      delivered.insert({f.tensor(), f.destination_layer()});
  auto name = [&](int64_t layer) {
    return layer < 0 ? std::string("the input") : plan.layers(layer).name();
  };
  for (const plan::Kernel &k : plan.kernels()) {
    if (k.layer() < 0)
      continue;
    for (int64_t id : k.operands()) {
      const plan::Tensor &t = plan.tensors(id);
      if (t.has_weight() || t.has_constant() || producer[id] == k.layer() ||
          producer[id] == -1)
        continue;
      if (!delivered.count({id, k.layer()}))
        return absl::FailedPreconditionError(
            absl::StrCat("tensor ", id, " from ", name(producer[id]),
                         " reaches layer ", plan.layers(k.layer()).name(),
                         " on no flow: its route is missing"));
    }
  }
  // Every output made on a layer leaves the wafer on a flow from that layer
  // to the edge: a training step's gradients reach the weight store so.
  std::map<int64_t, std::string> gradientOf;
  for (const plan::Gradient &g : plan.training().gradients())
    gradientOf[g.tensor()] = g.weight();
  std::set<std::pair<int64_t, int64_t>> leaving;
  for (const plan::Flow &f : plan.flows())
    if (f.tensor() >= 0 && f.destination_layer() == -1)
      leaving.insert({f.tensor(), f.source_layer()});
  for (int64_t id : plan.outputs()) {
    if (producer[id] < 0 || leaving.count({id, producer[id]}))
      continue;
    auto g = gradientOf.find(id);
    return absl::FailedPreconditionError(absl::StrCat(
        g != gradientOf.end()
            ? absl::StrCat("the gradient of '", g->second, "'")
            : absl::StrCat("output tensor ", id),
        " from layer ", plan.layers(producer[id]).name(),
        " leaves the wafer on no flow: its route is missing"));
  }

  return absl::OkStatus();
}

} // namespace wafer::runtime
