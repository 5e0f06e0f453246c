//===- DecomposeConv.cpp - convolutions into products ---------------------===//

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include "wafer/Dialect/Wafer/DecompositionPatterns.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERDECOMPOSECONV
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

struct DecomposeConvPass
    : public wafer::impl::WaferDecomposeConvBase<DecomposeConvPass> {
  using WaferDecomposeConvBase::WaferDecomposeConvBase;

  void runOnOperation() final {
    // Every conv is rewritten once and creates no conv: one walk suffices.
    RewritePatternSet patterns(&getContext());
    populateConvDecompositionPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};

} // namespace
