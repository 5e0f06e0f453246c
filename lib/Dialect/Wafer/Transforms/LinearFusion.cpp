//===- LinearFusion.cpp - matmul + bias into one matmul -------------------===//
//
// A Linear layer exports as MatMul followed by Add of a bias that varies
// along the output columns only (Gemm is imported with its bias already).
//
//===----------------------------------------------------------------------===//

#include "MatchUtils.h"
#include "wafer/Dialect/Wafer/FusionPatterns.h"

using namespace mlir;
using namespace wafer;
using namespace wafer::match;

namespace {

struct FuseLinearBias : public OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [product, bias] : {std::pair(add.getLhs(), add.getRhs()),
                                 std::pair(add.getRhs(), add.getLhs())}) {
      auto matmul = product.getDefiningOp<MatmulOp>();
      if (!matmul || matmul.getBias() || !product.hasOneUse() ||
          matmul.getType() != add.getType())
        continue;
      // The bias must vary only along the last (column) dimension.
      ArrayRef<int64_t> shape = shapeOf(bias);
      int64_t columns = shapeOf(product).back();
      if (shape.empty() || shape.back() != columns ||
          llvm::any_of(shape.drop_back(), [](int64_t d) { return d != 1; }))
        continue;
      auto biasType = cast<RankedTensorType>(bias.getType());
      Value vector = bias;
      if (shape.size() != 1)
        vector = ReshapeOp::create(
            rewriter, add.getLoc(),
            RankedTensorType::get({columns}, biasType.getElementType()), bias);
      // Keep the matmul's location: it names the layer (the Linear).
      rewriter.replaceOp(
          add, MatmulOp::create(rewriter, matmul.getLoc(), add.getType(),
                                matmul.getLhs(), matmul.getRhs(), vector,
                                matmul.getTransposeLhs(),
                                matmul.getTransposeRhs()));
      return success();
    }
    return failure();
  }
};

} // namespace

void wafer::populateLinearFusionPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseLinearBias>(patterns.getContext());
}
