//===- WaferDialect.cpp - wafer dialect registration ----------------------===//

#include "wafer/Dialect/Wafer/WaferDialect.h"

#include "wafer/Dialect/Wafer/WaferAttrs.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "wafer/Core/Optimizer.h"

using namespace mlir;
using namespace wafer;

#include "wafer/Dialect/Wafer/WaferDialect.cpp.inc"

void WaferDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "wafer/Dialect/Wafer/WaferOps.cpp.inc"
      >();
  attachGradientRules(*getContext());
}

Operation *WaferDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
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
  if (attr.getName() == getLayerAttrName()) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << getLayerAttrName()
                             << "' must be a string, found " << attr.getValue();
    return success();
  }
  if (attr.getName() == getCostAttrName()) {
    if (!isa<DictionaryAttr>(attr.getValue()))
      return op->emitError() << "'" << getCostAttrName()
                             << "' must be a dictionary, found "
                             << attr.getValue();
    return success();
  }
  if (attr.getName() == getOptimizerAttrName()) {
    core::OptimizerSpec spec;
    auto text = dyn_cast<StringAttr>(attr.getValue());
    std::string error = text ? core::parseOptimizerSpec(text.str(), spec)
                             : "it must be a string";
    if (!isa<ModuleOp>(op) || !error.empty())
      return op->emitError() << "'" << getOptimizerAttrName()
                             << "' must be an optimizer spec on a module: "
                             << (error.empty() ? "found on '" +
                                                     op->getName()
                                                         .getStringRef()
                                                         .str() +
                                                     "'"
                                               : error);
    return success();
  }
  if (attr.getName() == getBackwardAttrName()) {
    if (!isa<UnitAttr>(attr.getValue()))
      return op->emitError() << "'" << getBackwardAttrName()
                             << "' is a unit attribute, found "
                             << attr.getValue();
    return success();
  }
  return op->emitError() << "unknown wafer dialect attribute '"
                         << attr.getName().getValue() << "'";
}

/// `wafer.name` on a function argument or result, and `wafer.gradient_of`
/// on a result, must be strings.
static LogicalResult verifyValueNameAttr(Operation *op, NamedAttribute attr,
                                         bool result) {
  if (result && attr.getName() == WaferDialect::getGradientOfAttrName()) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << WaferDialect::getGradientOfAttrName()
                             << "' must be a weight's name, found "
                             << attr.getValue();
    return success();
  }
  if (attr.getName() != WaferDialect::getNameAttrName())
    return op->emitError() << "unknown wafer dialect attribute '"
                           << attr.getName().getValue()
                           << "' on an argument or result";
  if (!isa<StringAttr>(attr.getValue()))
    return op->emitError() << "'" << WaferDialect::getNameAttrName()
                           << "' must be a string, found " << attr.getValue();
  return success();
}

LogicalResult WaferDialect::verifyRegionArgAttribute(Operation *op, unsigned,
                                                     unsigned,
                                                     NamedAttribute attr) {
  return verifyValueNameAttr(op, attr, /*result=*/false);
}

LogicalResult WaferDialect::verifyRegionResultAttribute(Operation *op,
                                                        unsigned, unsigned,
                                                        NamedAttribute attr) {
  return verifyValueNameAttr(op, attr, /*result=*/true);
}
