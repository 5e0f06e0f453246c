//===- StepCost.h - what a step costs beyond one run of its plan -*- C++ -*-===//
//
// A step runs the compiled function once per part of its batch, on every
// wafer its batch is shared out over (wafer-split-batch), and a training
// step waits once for the weight store's update (the bubble). These read
// the module's decisions and apply core::stepSeconds, for wafer-compile's
// report and the plan alike.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_ANALYSIS_STEPCOST_H
#define WAFER_ANALYSIS_STEPCOST_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Core/DataParallel.h"
#include "wafer/Target/TargetDesc.h"

namespace wafer {

/// Rows of the function's batch: its first input's axis 0 (0 without one).
int64_t batchRows(mlir::func::FuncOp func);

/// The module's `wafer.data_parallel` split; without one, a single part of
/// the function's batch (its first input's axis 0, or 1) on one wafer.
core::BatchSplit getBatchSplit(mlir::ModuleOp module, mlir::func::FuncOp func);

/// Training's bubble (core::updateBubbleSeconds) for the first layer that
/// streams weights; 0 for a module that does not train.
double trainingBubbleSeconds(mlir::ModuleOp module, mlir::func::FuncOp func,
                             const LayerAnalysis &layers,
                             const TargetDesc &target);

/// The step's overhead beyond its parts: the target's fabric tree and the
/// training bubble.
core::StepOverhead getStepOverhead(mlir::ModuleOp module,
                                   mlir::func::FuncOp func,
                                   const LayerAnalysis &layers,
                                   const TargetDesc &target);

} // namespace wafer

#endif // WAFER_ANALYSIS_STEPCOST_H
