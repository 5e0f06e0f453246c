//===- WaferInterfaces.h - wafer op interfaces ------------------*- C++ -*-===//

#ifndef WAFER_DIALECT_WAFER_WAFERINTERFACES_H
#define WAFER_DIALECT_WAFER_WAFERINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "wafer/Dialect/Wafer/WaferInterfaces.h.inc"

namespace wafer {
/// Attaches the derivative rules (DifferentiableOpInterface) to the wafer
/// ops that have one; called when the dialect loads.
void attachGradientRules(mlir::MLIRContext &context);
} // namespace wafer

#endif // WAFER_DIALECT_WAFER_WAFERINTERFACES_H
