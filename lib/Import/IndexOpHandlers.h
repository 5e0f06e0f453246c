//===- IndexOpHandlers.h - ops that select, scatter and count --*- C++ -*-===//
//
// TopK, ScatterElements, GatherElements, OneHot and CumSum, as a mixture of
// experts' router exports them. Each is spelled with ops the wafer already
// executes row by row (iota, compare, select, reduce), so no new kernel,
// layout or cost rule is needed.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_LIB_IMPORT_INDEXOPHANDLERS_H
#define WAFER_LIB_IMPORT_INDEXOPHANDLERS_H

#include "ImporterImpl.h"

namespace wafer::detail {

mlir::LogicalResult importTopK(NodeContext &ctx);
mlir::LogicalResult importScatterElements(NodeContext &ctx);
mlir::LogicalResult importGatherElements(NodeContext &ctx);
mlir::LogicalResult importOneHot(NodeContext &ctx);
mlir::LogicalResult importCumSum(NodeContext &ctx);

} // namespace wafer::detail

#endif // WAFER_LIB_IMPORT_INDEXOPHANDLERS_H
