//===- VerifyRoutes.cpp - the routed-level checks as a pass ---------------===//

#include "wafer/Analysis/RoutingIR.h"
#include "wafer/Dialect/Wafer/Passes.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERVERIFYROUTES
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

struct VerifyRoutesPass
    : public wafer::impl::WaferVerifyRoutesBase<VerifyRoutesPass> {
  void runOnOperation() final {
    ModuleOp module = getOperation();
    TargetAttr target = getModuleTarget(module);
    for (RoutingOp routing : module.getOps<RoutingOp>()) {
      if (!target) {
        routing.emitOpError() << "needs the module's wafer.target";
        return signalPassFailure();
      }
      std::string problem =
          route::checkRouting(target.toDesc(), readRouting(routing));
      if (!problem.empty()) {
        routing.emitOpError() << problem;
        return signalPassFailure();
      }
    }
    markAllAnalysesPreserved();
  }
};

} // namespace
