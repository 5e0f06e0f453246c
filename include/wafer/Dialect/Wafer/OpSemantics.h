//===- OpSemantics.h - a wafer op as wafer/Semantics sees it ----*- C++ -*-===//
//
// The bridge from an op of the dialect to its MLIR-free meaning: its kind,
// operand and result shapes and attributes (sem::OpShapes). Verifiers check
// shapes with it and the layer analysis counts FLOPs with it, by the same
// rules wafer-run applies to a plan's kernels.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_DIALECT_WAFER_OPSEMANTICS_H
#define WAFER_DIALECT_WAFER_OPSEMANTICS_H

#include <optional>

#include "mlir/IR/Operation.h"
#include "wafer/Semantics/Ops.h"

namespace wafer {

/// `op` as wafer/Semantics sees it; nothing for ops outside the graph level
/// or with unranked operands.
std::optional<sem::OpShapes> getOpShapes(mlir::Operation *op);

} // namespace wafer

#endif // WAFER_DIALECT_WAFER_OPSEMANTICS_H
