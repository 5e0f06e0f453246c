//===- PlanView.cpp - a plan's decisions, read once -----------------------===//

#include "PlanView.h"

namespace wafer::runtime {

std::vector<int64_t> shapeOf(const plan::Tensor &tensor) {
  return std::vector<int64_t>(tensor.shape().begin(), tensor.shape().end());
}

std::optional<sem::OpShapes> kernelShapes(const plan::Plan &plan,
                                          const plan::Kernel &kernel) {
  std::optional<sem::OpKind> kind = sem::opKindOf(kernel.op());
  if (!kind)
    return std::nullopt;
  sem::OpShapes shapes;
  shapes.kind = *kind;
  for (int64_t id : kernel.operands())
    shapes.operands.push_back(shapeOf(plan.tensors(id)));
  for (int64_t id : kernel.results())
    shapes.results.push_back(shapeOf(plan.tensors(id)));
  shapes.intAttr = [&kernel](std::string_view name) -> std::optional<int64_t> {
    auto it = kernel.attributes().find(std::string(name));
    if (it == kernel.attributes().end())
      return std::nullopt;
    return it->second.i();
  };
  shapes.intsAttr =
      [&kernel](std::string_view name) -> std::optional<sem::Shape> {
    auto it = kernel.attributes().find(std::string(name));
    if (it == kernel.attributes().end())
      return std::nullopt;
    return sem::Shape(it->second.ints().values().begin(),
                      it->second.ints().values().end());
  };
  shapes.enumAttr =
      [&kernel](std::string_view name) -> std::optional<std::string> {
    auto it = kernel.attributes().find(std::string(name));
    if (it == kernel.attributes().end())
      return std::nullopt;
    return it->second.s();
  };
  return shapes;
}

namespace {

route::Routing toRouting(const plan::Plan &plan, const TargetDesc &target) {
  route::Routing routing;
  routing.colorLimit = target.routableColors();
  for (const plan::Flow &f : plan.flows()) {
    route::RoutedFlow r;
    r.flow.name = f.name();
    // checkPlan refuses a flow without a kind.
    r.flow.kind =
        plan::fromFlowKind(f.kind()).value_or(route::FlowKind::activation);
    r.flow.source = plan::toRect(f.source());
    r.flow.destination = plan::toRect(f.destination());
    r.flow.bytes = f.bytes();
    r.flow.activeStart = f.active_start();
    r.flow.activeEnd = f.active_end();
    r.color = f.color();
    // Flows carrying one tensor from one layer (or the input edge) to
    // several are a multicast: they may share a color.
    if ((r.flow.kind == route::FlowKind::activation ||
         r.flow.kind == route::FlowKind::input) &&
        f.tensor() >= 0)
      r.flow.multicast = f.tensor();
    for (const plan::Segment &s : f.segments())
      r.segments.push_back(
          route::Segment{s.x(), s.y(), s.length(), s.lanes(),
                         static_cast<route::Direction>(s.direction() & 3)});
    routing.flows.push_back(std::move(r));
  }
  return routing;
}

bool isRowNorm(const plan::Kernel &kernel) {
  return kernel.op() == "wafer.layer_norm" || kernel.op() == "wafer.rms_norm";
}

} // namespace

PlanView::PlanView(const plan::Plan &plan)
    : plan(plan), target(plan::toTargetDesc(plan.target())),
      weightStreaming(plan.mode() == plan::WEIGHT_STREAMING),
      routing(toRouting(plan, target)) {
  int64_t tensors = plan.tensors_size();
  for (const plan::Layer &l : plan.layers()) {
    LayerView &layer = layers.emplace_back();
    layer.spec = plan::toLayerSpec(l);
    layer.region = plan::toRect(l.region());
    if (l.has_summa())
      layer.summa = plan::toSummaTiling(l.summa());
    if (l.has_attention())
      layer.attention = plan::toAttentionTiling(l.attention());
    for (const plan::HeldTensor &held : l.held())
      layer.held.emplace(held.tensor(), plan::toHeldTensor(held));
  }
  for (int64_t i = 0; i < plan.kernels_size(); ++i) {
    int64_t l = plan.kernels(i).layer();
    if (l >= 0 && l < static_cast<int64_t>(layers.size()))
      layers[l].kernels.push_back(i);
  }
  // The normed product, from the recorded layouts: the first product whose
  // left operand a row norm of the layer makes, both laid out as its left
  // operand.
  for (LayerView &layer : layers) {
    std::map<int64_t, int64_t> madeBy;
    auto isLhs = [&](int64_t id) {
      const core::HeldTensor *held = layer.layoutOf(id);
      return held && held->layout == core::Layout::summaLhs;
    };
    for (int64_t i : layer.kernels) {
      const plan::Kernel &k = plan.kernels(i);
      if (k.op() == "wafer.matmul" && k.operands_size() >= 2 &&
          isLhs(k.operands(0)))
        if (auto it = madeBy.find(k.operands(0)); it != madeBy.end()) {
          const plan::Kernel &norm = plan.kernels(it->second);
          if (isRowNorm(norm) && norm.operands_size() >= 2 &&
              isLhs(norm.operands(0))) {
            layer.normKernel = it->second;
            break;
          }
        }
      for (int64_t id : k.results())
        if (id >= 0 && id < tensors)
          madeBy[id] = i;
    }
  }
}

} // namespace wafer::runtime
