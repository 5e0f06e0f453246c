//===- FuseKernels.cpp - apply the transformer fusion patterns ------------===//

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "wafer/Dialect/Wafer/FusionPatterns.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERFUSEKERNELS
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

struct FuseKernelsPass
    : public wafer::impl::WaferFuseKernelsBase<FuseKernelsPass> {
  using WaferFuseKernelsBase::WaferFuseKernelsBase;

  LogicalResult initialize(MLIRContext *context) override {
    static constexpr std::pair<llvm::StringLiteral,
                               void (*)(RewritePatternSet &)>
        kFamilies[] = {{"norm", populateNormFusionPatterns},
                       {"activation", populateActivationFusionPatterns},
                       {"linear", populateLinearFusionPatterns},
                       {"attention", populateAttentionFusionPatterns}};
    RewritePatternSet set(context);
    for (const std::string &family : families)
      if (llvm::none_of(kFamilies,
                        [&](auto &entry) { return entry.first == family; }))
        return emitError(UnknownLoc::get(context))
               << "unknown fusion family '" << family
               << "'; known: norm, activation, linear, attention";
    for (auto &[name, populate] : kFamilies)
      if (families.empty() || llvm::is_contained(families, name.str()))
        populate(set);
    patterns = FrozenRewritePatternSet(std::move(set));
    return success();
  }

  void runOnOperation() final {
    // Fusion only ever shrinks the graph; not converging is a bug in a
    // pattern, reported rather than ignored.
    if (failed(applyPatternsGreedily(getOperation(), patterns))) {
      getOperation()->emitError()
          << "wafer-fuse-kernels did not converge";
      signalPassFailure();
    }
  }

  FrozenRewritePatternSet patterns;
};

} // namespace
