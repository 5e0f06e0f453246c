//===- Route.cpp - route and color the flows of placed functions ----------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "wafer/Analysis/RoutingIR.h"
#include "wafer/Analysis/SpatialVerifier.h"
#include "wafer/Dialect/Wafer/Passes.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERROUTE
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

struct RoutePass : public wafer::impl::WaferRouteBase<RoutePass> {
  void runOnOperation() final {
    ModuleOp module = getOperation();
    TargetAttr targetAttr = getModuleTarget(module);
    if (!targetAttr) {
      module.emitError() << "wafer-route needs the module's wafer.target";
      return signalPassFailure();
    }
    // Routing reads the placement: it must be whole and legal first.
    if (failed(verifySpatial(module)))
      return signalPassFailure();
    TargetDesc target = targetAttr.toDesc();
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(module.getBody());
    for (PlacementOp placement :
         llvm::to_vector(module.getOps<PlacementOp>())) {
      auto func = module.lookupSymbol<func::FuncOp>(placement.getFunction());
      if (!func) {
        placement.emitError() << "refers to @" << placement.getFunction()
                              << ", which is not a function here";
        return signalPassFailure();
      }
      absl::StatusOr<route::Routing> routing = route::routeFlows(
          target, collectFlows(func, placement, target));
      if (!routing.ok()) {
        func.emitError() << std::string(routing.status().message());
        return signalPassFailure();
      }
      buildRouting(builder, func, *routing);
    }
  }
};

} // namespace
