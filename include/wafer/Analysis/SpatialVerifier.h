//===- SpatialVerifier.h - checks of the spatial level ----------*- C++ -*-===//

#ifndef WAFER_ANALYSIS_SPATIALVERIFIER_H
#define WAFER_ANALYSIS_SPATIALVERIFIER_H

#include "mlir/IR/BuiltinOps.h"

namespace wafer {

/// Checks every wafer.placement of `module` against its function and the
/// module's target: every layer placed exactly once and nothing else; regions
/// inside the usable rectangle (and disjoint in pipelined mode); SRAM per PE
/// within the target's after the reserve; in weight-streaming mode, every
/// weight of every layer streamed once in full, no tile used before it
/// arrives, and no buffer slot holding two tiles at once. Errors name the
/// layer and say the numbers.
mlir::LogicalResult verifySpatial(mlir::ModuleOp module);

} // namespace wafer

#endif // WAFER_ANALYSIS_SPATIALVERIFIER_H
