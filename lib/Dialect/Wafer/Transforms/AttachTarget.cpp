//===- AttachTarget.cpp - set the module's wafer.target -------------------===//

#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferAttrs.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERATTACHTARGET
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

struct AttachTargetPass
    : public wafer::impl::WaferAttachTargetBase<AttachTargetPass> {
  using WaferAttachTargetBase::WaferAttachTargetBase;

  void runOnOperation() final {
    ModuleOp module = getOperation();
    absl::StatusOr<TargetDesc> desc = parseTargetSpec(targetSpec);
    if (!desc.ok()) {
      module.emitError() << std::string(desc.status().message());
      return signalPassFailure();
    }
    module->setAttr(WaferDialect::getTargetAttrName(),
                    TargetAttr::get(&getContext(), *desc));
  }
};

} // namespace
