//===- WaferDialect.h - wafer dialect ---------------------------*- C++ -*-===//

#ifndef WAFER_DIALECT_WAFER_WAFERDIALECT_H
#define WAFER_DIALECT_WAFER_WAFERDIALECT_H

#include "mlir/IR/Dialect.h"
#include "wafer/Core/DataParallel.h"
#include "wafer/Core/Optimizer.h"

#include <string>

#include "wafer/Dialect/Wafer/WaferDialect.h.inc"

#endif // WAFER_DIALECT_WAFER_WAFERDIALECT_H
