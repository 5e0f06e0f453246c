//===- WaferDialect.cpp - wafer dialect registration ----------------------===//

#include "wafer/Dialect/Wafer/WaferDialect.h"

#include "wafer/Dialect/Wafer/WaferAttrs.h"
#include "wafer/Dialect/Wafer/WaferOps.h"

using namespace mlir;
using namespace wafer;

#include "wafer/Dialect/Wafer/WaferDialect.cpp.inc"

void WaferDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "wafer/Dialect/Wafer/WaferOps.cpp.inc"
      >();
}

LogicalResult WaferDialect::verifyOperationAttribute(Operation *op,
                                                     NamedAttribute attr) {
  if (attr.getName() == getTargetAttrName()) {
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << getTargetAttrName()
                             << "' belongs on a builtin.module, found on '"
                             << op->getName() << "'";
    if (!isa<TargetAttr>(attr.getValue()))
      return op->emitError() << "'" << getTargetAttrName()
                             << "' must be a #wafer.target, found "
                             << attr.getValue();
    return success();
  }
  return op->emitError() << "unknown wafer dialect attribute '"
                         << attr.getName().getValue() << "'";
}
