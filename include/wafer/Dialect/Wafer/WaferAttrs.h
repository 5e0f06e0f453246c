//===- WaferAttrs.h - wafer attributes and enums ----------------*- C++ -*-===//

#ifndef WAFER_DIALECT_WAFER_WAFERATTRS_H
#define WAFER_DIALECT_WAFER_WAFERATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "wafer/Target/TargetDesc.h"

#include "wafer/Dialect/Wafer/WaferEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "wafer/Dialect/Wafer/WaferAttrs.h.inc"

namespace wafer {

/// The target attached to `module` as `wafer.target`, or null.
TargetAttr getModuleTarget(mlir::ModuleOp module);

} // namespace wafer

#endif // WAFER_DIALECT_WAFER_WAFERATTRS_H
