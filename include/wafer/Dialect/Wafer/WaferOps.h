//===- WaferOps.h - wafer ops -----------------------------------*- C++ -*-===//

#ifndef WAFER_DIALECT_WAFER_WAFEROPS_H
#define WAFER_DIALECT_WAFER_WAFEROPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "wafer/Dialect/Wafer/WaferAttrs.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Dialect/Wafer/WaferInterfaces.h"

#define GET_OP_CLASSES
#include "wafer/Dialect/Wafer/WaferOps.h.inc"

#endif // WAFER_DIALECT_WAFER_WAFEROPS_H
