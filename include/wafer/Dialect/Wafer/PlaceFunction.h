//===- PlaceFunction.h - what wafer-place decides for a function -*- C++ -*-===//
//
// The placement wafer-place emits for one function, for callers that weigh
// several versions of a step before choosing one (wafer-compile's
// --micro-batches=auto): the same layers, held bytes and placer.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_DIALECT_WAFER_PLACEFUNCTION_H
#define WAFER_DIALECT_WAFER_PLACEFUNCTION_H

#include "absl/status/statusor.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "wafer/Place/Placer.h"

namespace wafer {

/// Places `func`'s layers on `target` in `mode` (auto, pipelined or
/// weight-streaming) with `pins` (`LAYER@X,Y,WxH`); a training step (its
/// module has `wafer.training`) keeps its forward activations for the
/// backward layers on every PE (LayerAnalysis::getMostHeld). A bad mode or
/// pin is an error status naming it.
absl::StatusOr<place::Placement>
placeFunction(mlir::func::FuncOp func, const TargetDesc &target,
              llvm::StringRef mode, llvm::ArrayRef<std::string> pins);

} // namespace wafer

#endif // WAFER_DIALECT_WAFER_PLACEFUNCTION_H
