//===- VerifySpatial.cpp - the spatial-level checks as a pass -------------===//

#include "wafer/Analysis/SpatialVerifier.h"
#include "wafer/Dialect/Wafer/Passes.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERVERIFYSPATIAL
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

namespace {

struct VerifySpatialPass
    : public wafer::impl::WaferVerifySpatialBase<VerifySpatialPass> {
  void runOnOperation() final {
    if (mlir::failed(wafer::verifySpatial(getOperation())))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};

} // namespace
