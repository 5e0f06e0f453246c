//===- WaferAttrs.cpp - wafer attributes ----------------------------------===//

#include "wafer/Dialect/Wafer/WaferAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"

using namespace mlir;
using namespace wafer;

#include "wafer/Dialect/Wafer/WaferEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "wafer/Dialect/Wafer/WaferAttrs.cpp.inc"

void WaferDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "wafer/Dialect/Wafer/WaferAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// RegionAttr
//===----------------------------------------------------------------------===//

static Rect toRect(RegionAttr region) {
  return Rect{region.getX(), region.getY(), region.getWidth(),
              region.getHeight()};
}

LogicalResult RegionAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 int64_t x, int64_t y, int64_t width,
                                 int64_t height) {
  if (x < 0 || y < 0)
    return emitError() << "region corner must be non-negative, found (" << x
                       << ", " << y << ")";
  if (width <= 0 || height <= 0)
    return emitError() << "region must have positive extent, found " << width
                       << "x" << height;
  return success();
}

bool RegionAttr::contains(RegionAttr other) const {
  return toRect(*this).contains(toRect(other));
}

bool RegionAttr::overlaps(RegionAttr other) const {
  return toRect(*this).overlaps(toRect(other));
}

//===----------------------------------------------------------------------===//
// TargetAttr
//===----------------------------------------------------------------------===//

static TargetDesc
makeDesc(StringRef name, int64_t rows, int64_t cols, RegionAttr usable,
         int64_t sramBytes, int64_t sramReserveBytes, int64_t clockMHz,
         int64_t fp32FlopsPerCycle, int64_t fp16FlopsPerCycle,
         int64_t linkBytesPerCycle, int64_t colors, int64_t reservedColors,
         int64_t inputQueues, int64_t edgeIOBytesPerSecond,
         int64_t weightMemoryBytesPerSecond, int64_t weightMemoryBytes,
         int64_t fabricLevelNs) {
  TargetDesc d;
  d.name = name.str();
  d.rows = rows;
  d.cols = cols;
  d.usable = toRect(usable);
  d.sramBytes = sramBytes;
  d.sramReserveBytes = sramReserveBytes;
  d.clockMHz = clockMHz;
  d.fp32FlopsPerCycle = fp32FlopsPerCycle;
  d.fp16FlopsPerCycle = fp16FlopsPerCycle;
  d.linkBytesPerCycle = linkBytesPerCycle;
  d.colors = colors;
  d.reservedColors = reservedColors;
  d.inputQueues = inputQueues;
  d.edgeIOBytesPerSecond = edgeIOBytesPerSecond;
  d.weightMemoryBytesPerSecond = weightMemoryBytesPerSecond;
  d.weightMemoryBytes = weightMemoryBytes;
  d.fabricLevelNs = fabricLevelNs;
  return d;
}

LogicalResult TargetAttr::verify(
    function_ref<InFlightDiagnostic()> emitError, StringRef name, int64_t rows,
    int64_t cols, RegionAttr usable, int64_t sramBytes,
    int64_t sramReserveBytes, int64_t clockMHz, int64_t fp32FlopsPerCycle,
    int64_t fp16FlopsPerCycle, int64_t linkBytesPerCycle, int64_t colors,
    int64_t reservedColors, int64_t inputQueues, int64_t edgeIOBytesPerSecond,
    int64_t weightMemoryBytesPerSecond, int64_t weightMemoryBytes,
    int64_t fabricLevelNs) {
  if (!usable)
    return emitError() << "target needs a usable region";
  TargetDesc desc =
      makeDesc(name, rows, cols, usable, sramBytes, sramReserveBytes, clockMHz,
               fp32FlopsPerCycle, fp16FlopsPerCycle, linkBytesPerCycle, colors,
               reservedColors, inputQueues, edgeIOBytesPerSecond,
               weightMemoryBytesPerSecond, weightMemoryBytes, fabricLevelNs);
  if (std::string err = desc.validate(); !err.empty())
    return emitError() << "invalid target '" << name << "': " << err;
  return success();
}

TargetDesc TargetAttr::toDesc() const {
  return makeDesc(getName(), getRows(), getCols(), getUsable(), getSramBytes(),
                  getSramReserveBytes(), getClockMhz(), getFp32FlopsPerCycle(),
                  getFp16FlopsPerCycle(), getLinkBytesPerCycle(), getColors(),
                  getReservedColors(), getInputQueues(),
                  getEdgeIoBytesPerSecond(), getWeightMemoryBytesPerSecond(),
                  getWeightMemoryBytes(), getFabricLevelNs());
}

TargetAttr TargetAttr::get(MLIRContext *context, const TargetDesc &d) {
  auto usable = RegionAttr::get(context, d.usable.x, d.usable.y,
                                d.usable.width, d.usable.height);
  return get(context, d.name, d.rows, d.cols, usable, d.sramBytes,
             d.sramReserveBytes, d.clockMHz, d.fp32FlopsPerCycle,
             d.fp16FlopsPerCycle, d.linkBytesPerCycle, d.colors,
             d.reservedColors, d.inputQueues, d.edgeIOBytesPerSecond,
             d.weightMemoryBytesPerSecond, d.weightMemoryBytes,
             d.fabricLevelNs);
}

TargetAttr wafer::getModuleTarget(ModuleOp module) {
  return module->getAttrOfType<TargetAttr>(WaferDialect::getTargetAttrName());
}
