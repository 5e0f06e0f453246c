//===- AnnotateLayers.cpp - record each op's layer in the IR --------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "wafer/Analysis/LayerAnalysis.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERANNOTATELAYERS
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

struct AnnotateLayersPass
    : public wafer::impl::WaferAnnotateLayersBase<AnnotateLayersPass> {
  void runOnOperation() final {
    const LayerAnalysis &analysis = getAnalysis<LayerAnalysis>();
    Builder b(&getContext());
    for (const Layer &layer : analysis.getLayers()) {
      StringAttr name = b.getStringAttr(layer.name);
      for (Operation *op : layer.ops) {
        op->setAttr(WaferDialect::getLayerAttrName(), name);
        op->removeAttr(WaferDialect::getCostAttrName()); // A stale record.
      }
      layer.anchor->setAttr(
          WaferDialect::getCostAttrName(),
          b.getDictionaryAttr({
              b.getNamedAttr("kind",
                             b.getStringAttr(core::layerKindName(layer.kind))),
              b.getNamedAttr("flops", b.getF64FloatAttr(layer.flops)),
              b.getNamedAttr("weight_bytes",
                             b.getI64IntegerAttr(layer.weightBytes)),
              b.getNamedAttr("activation_in_bytes",
                             b.getI64IntegerAttr(layer.inputBytes)),
              b.getNamedAttr("activation_out_bytes",
                             b.getI64IntegerAttr(layer.outputBytes)),
          }));
    }
    markAllAnalysesPreserved();
  }
};

} // namespace
