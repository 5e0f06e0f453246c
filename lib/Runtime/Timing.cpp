//===- Timing.cpp - the cost model applied to a plan ----------------------===//
//
// A plan's step time from its records: each layer's cycles from the one
// cost model on its recorded LayerSpec and region, the weight streams from
// the one schedule on its recorded tiles, bounded below by the busiest link
// of its routes.
//
//===----------------------------------------------------------------------===//

#include <algorithm>

#include "PlanView.h"
#include "wafer/Core/CostModel.h"
#include "wafer/Core/StreamSchedule.h"
#include "wafer/Route/Router.h"
#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {

Timing modelTiming(const plan::Plan &plan) {
  PlanView view(plan);
  const TargetDesc &target = view.target;
  core::CostModel model(target);
  Timing timing;
  double flops = 0, streamed = 0, peakRate = 0;
  for (int64_t i = 0; i < plan.layers_size(); ++i) {
    const LayerView &layer = view.layers[i];
    double cycles =
        model.layerCycles(layer.spec, layer.region.height, layer.region.width);
    timing.layers.push_back(LayerTime{layer.spec.name, cycles});
    flops += layer.spec.flops;
    peakRate = std::max(peakRate, model.flopsPerCycle(layer.spec));
    for (const plan::StreamTile &t : plan.layers(i).tiles())
      streamed += t.bytes();
  }
  if (view.weightStreaming) {
    // The plan's tiles, timed by the one schedule with these compute times.
    core::StreamSchedule schedule(model);
    for (size_t i = 0; i < timing.layers.size(); ++i) {
      std::vector<core::StreamTile> tiles;
      for (const plan::StreamTile &t : plan.layers(i).tiles())
        tiles.push_back({t.weight(), t.offset(), t.bytes(), t.slot() & 1});
      schedule.add(timing.layers[i].cycles, std::move(tiles));
    }
    timing.stepCycles = schedule.endCycle();
  } else {
    for (const LayerTime &l : timing.layers)
      timing.stepCycles = std::max(timing.stepCycles, l.cycles);
  }
  // The busiest link of the plan's routes bounds the step from below.
  timing.linkCycles = static_cast<double>(route::linkCycles(
      target, route::maxLinkLoad(target, view.routing.flows)));
  timing.stepCycles = std::max(timing.stepCycles, timing.linkCycles);
  timing.stepSeconds = model.secondsFromCycles(timing.stepCycles);
  double peak = peakRate * target.usable.area();
  timing.flopUtilisation =
      timing.stepCycles > 0 ? flops / (timing.stepCycles * peak) : 0;
  timing.streamUtilisation =
      timing.stepCycles > 0
          ? model.streamCycles(static_cast<int64_t>(streamed)) /
                timing.stepCycles
          : 0;
  return timing;
}

} // namespace wafer::runtime
