//===- StepCost.cpp - what a step costs beyond one run of its plan --------===//

#include "wafer/Analysis/StepCost.h"

#include <algorithm>

#include "wafer/Dialect/Wafer/WaferDialect.h"

using namespace mlir;

namespace wafer {

int64_t batchRows(func::FuncOp func) {
  auto first = func.getNumArguments()
                   ? dyn_cast<RankedTensorType>(func.getArgumentTypes()[0])
                   : RankedTensorType();
  return first && first.getRank() > 0 ? first.getDimSize(0) : 0;
}

core::BatchSplit getBatchSplit(ModuleOp module, func::FuncOp func) {
  core::BatchSplit split;
  if (Attribute config =
          module->getAttr(WaferDialect::getDataParallelAttrName()))
    if (WaferDialect::readDataParallel(config, split).empty())
      return split;
  split.batch = std::max<int64_t>(batchRows(func), 1);
  split.partRows = split.batch;
  split.waferParts = {1};
  return split;
}

double trainingBubbleSeconds(ModuleOp module, func::FuncOp func,
                             const LayerAnalysis &layers,
                             const TargetDesc &target) {
  core::OptimizerSpec optimizer;
  Attribute config = module->getAttr(WaferDialect::getTrainingAttrName());
  if (!config || !WaferDialect::readTraining(config, optimizer).empty())
    return 0;
  for (const Layer &layer : layers.getLayers())
    if (layer.weightBytes > 0)
      return core::updateBubbleSeconds(layer.weightBytes,
                                       target.weightMemoryBytesPerSecond);
  return 0;
}

core::StepOverhead getStepOverhead(ModuleOp module, func::FuncOp func,
                                   const LayerAnalysis &layers,
                                   const TargetDesc &target) {
  core::StepOverhead overhead;
  overhead.fabricLevelSeconds = static_cast<double>(target.fabricLevelNs) * 1e-9;
  overhead.bubbleSeconds =
      trainingBubbleSeconds(module, func, layers, target);
  return overhead;
}

} // namespace wafer
