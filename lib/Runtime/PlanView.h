//===- PlanView.h - a plan's decisions, read once ---------------*- C++ -*-===//
//
// What checks, timing and execution consult of a plan, converted once from
// its records: each layer's LayerSpec, region, tilings, the layout of every
// tensor it holds and the kernels it runs, and the routes. The view is built
// from any plan without trusting it (ids out of range are left out);
// checkPlan refuses a plan whose records are inconsistent before anything
// executes it.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_LIB_RUNTIME_PLANVIEW_H
#define WAFER_LIB_RUNTIME_PLANVIEW_H

#include <map>
#include <optional>
#include <vector>

#include "wafer/Core/LayerSpec.h"
#include "wafer/Core/Layout.h"
#include "wafer/Core/Tiling.h"
#include "wafer/Plan/Plan.h"
#include "wafer/Route/Router.h"
#include "wafer/Semantics/Ops.h"

namespace wafer::runtime {

struct LayerView {
  core::LayerSpec spec;
  Rect region;
  std::optional<core::SummaTiling> summa;
  std::optional<core::AttentionTiling> attention;
  /// The recorded layout of each tensor the layer holds, by tensor id.
  std::map<int64_t, core::HeldTensor> held;
  /// Its kernels, by index into the plan, in program order.
  std::vector<int64_t> kernels;
  /// The row normalisation that runs on its product's left-operand blocks
  /// (a plan kernel index; -1 none): a norm whose input and result the plan
  /// lays out as the product's left operand.
  int64_t normKernel = -1;

  const core::HeldTensor *layoutOf(int64_t tensor) const {
    auto it = held.find(tensor);
    return it == held.end() ? nullptr : &it->second;
  }
};

class PlanView {
public:
  explicit PlanView(const plan::Plan &plan);

  const plan::Plan &plan;
  TargetDesc target;
  bool weightStreaming = false;
  std::vector<LayerView> layers;
  /// The plan's flows as the router's checks and link loads read them.
  route::Routing routing;
};

/// The shape of a plan tensor.
std::vector<int64_t> shapeOf(const plan::Tensor &tensor);

/// A plan's kernel as wafer/Semantics sees it (its tensor ids in range);
/// nothing for an op it does not know.
std::optional<sem::OpShapes> kernelShapes(const plan::Plan &plan,
                                          const plan::Kernel &kernel);

} // namespace wafer::runtime

#endif // WAFER_LIB_RUNTIME_PLANVIEW_H
