//===- PlanExport.h - routed IR to an executable plan -----------*- C++ -*-===//

#ifndef WAFER_PLAN_PLANEXPORT_H
#define WAFER_PLAN_PLANEXPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "wafer/Plan/Plan.h"

namespace wafer {

/// Builds the plan of a routed module: its one function's kernels with their
/// layers, the placement, the weight-stream schedule and the routes.
/// `weightsDir` is where weight references resolve (the model's folder).
/// Problems are emitted as diagnostics.
mlir::FailureOr<plan::Plan> exportPlan(mlir::ModuleOp module,
                                       llvm::StringRef modelPath,
                                       llvm::StringRef weightsDir);

} // namespace wafer

#endif // WAFER_PLAN_PLANEXPORT_H
