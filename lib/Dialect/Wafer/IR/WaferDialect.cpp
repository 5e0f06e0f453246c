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

std::string WaferDialect::readTraining(Attribute value,
                                       core::OptimizerSpec &optimizer,
                                       int64_t &microBatches) {
  auto dict = dyn_cast<DictionaryAttr>(value);
  auto text = dict ? dict.getAs<StringAttr>("optimizer") : StringAttr();
  auto count = dict ? dict.getAs<IntegerAttr>("micro_batches") : IntegerAttr();
  if (!text || !count || dict.size() != 2)
    return "expects {optimizer = \"SPEC\", micro_batches = N : i64}";
  microBatches = count.getInt();
  if (microBatches < 1)
    return "micro_batches is " + std::to_string(microBatches) +
           "; a step accumulates at least 1";
  return core::parseOptimizerSpec(text.str(), optimizer);
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
  if (attr.getName() == getTrainingAttrName()) {
    core::OptimizerSpec optimizer;
    int64_t microBatches = 0;
    std::string error = readTraining(attr.getValue(), optimizer, microBatches);
    if (error.empty() && !isa<ModuleOp>(op))
      error = "it belongs on a builtin.module";
    if (!error.empty())
      return op->emitError() << "'" << getTrainingAttrName() << "': " << error;
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
