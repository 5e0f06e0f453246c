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
                                       core::OptimizerSpec &optimizer) {
  auto dict = dyn_cast<DictionaryAttr>(value);
  auto text = dict ? dict.getAs<StringAttr>("optimizer") : StringAttr();
  if (!text || dict.size() != 1)
    return "expects {optimizer = \"SPEC\"}";
  return core::parseOptimizerSpec(text.str(), optimizer);
}

std::string WaferDialect::readDataParallel(Attribute value,
                                           core::BatchSplit &split) {
  auto dict = dyn_cast<DictionaryAttr>(value);
  auto batch = dict ? dict.getAs<IntegerAttr>("batch") : IntegerAttr();
  auto rows = dict ? dict.getAs<IntegerAttr>("part_rows") : IntegerAttr();
  auto parts =
      dict ? dict.getAs<DenseI64ArrayAttr>("wafer_parts") : DenseI64ArrayAttr();
  if (!batch || !rows || !parts || dict.size() != 3)
    return "expects {batch = B, part_rows = R, wafer_parts = array<i64: "
           "...>}";
  split.batch = batch.getInt();
  split.partRows = rows.getInt();
  split.waferParts.assign(parts.asArrayRef().begin(),
                          parts.asArrayRef().end());
  return core::checkBatchSplit(split);
}

DictionaryAttr WaferDialect::makeDataParallel(MLIRContext *context,
                                              const core::BatchSplit &split) {
  Builder b(context);
  return b.getDictionaryAttr(
      {b.getNamedAttr("batch", b.getI64IntegerAttr(split.batch)),
       b.getNamedAttr("part_rows", b.getI64IntegerAttr(split.partRows)),
       b.getNamedAttr("wafer_parts",
                      b.getDenseI64ArrayAttr(split.waferParts))});
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
    std::string error = readTraining(attr.getValue(), optimizer);
    if (error.empty() && !isa<ModuleOp>(op))
      error = "it belongs on a builtin.module";
    if (!error.empty())
      return op->emitError() << "'" << getTrainingAttrName() << "': " << error;
    return success();
  }
  if (attr.getName() == getDataParallelAttrName()) {
    core::BatchSplit split;
    std::string error = readDataParallel(attr.getValue(), split);
    if (error.empty() && !isa<ModuleOp>(op))
      error = "it belongs on a builtin.module";
    if (!error.empty())
      return op->emitError()
             << "'" << getDataParallelAttrName() << "': " << error;
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
/// on a result, must be strings; `wafer.combine` on a result is "mean" or
/// "sum".
static LogicalResult verifyValueNameAttr(Operation *op, NamedAttribute attr,
                                         bool result) {
  if (result && attr.getName() == WaferDialect::getGradientOfAttrName()) {
    if (!isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << WaferDialect::getGradientOfAttrName()
                             << "' must be a weight's name, found "
                             << attr.getValue();
    return success();
  }
  if (result && attr.getName() == WaferDialect::getCombineAttrName()) {
    auto text = dyn_cast<StringAttr>(attr.getValue());
    if (!text || (text.getValue() != "mean" && text.getValue() != "sum" &&
                  text.getValue() != "ratio"))
      return op->emitError() << "'" << WaferDialect::getCombineAttrName()
                             << "' must be \"mean\", \"sum\" or \"ratio\", "
                                "found "
                             << attr.getValue();
    return success();
  }
  if (result && attr.getName() == WaferDialect::getCombineWeightAttrName()) {
    if (!isa<IntegerAttr>(attr.getValue()))
      return op->emitError() << "'" << WaferDialect::getCombineWeightAttrName()
                             << "' must be a result index, found "
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
