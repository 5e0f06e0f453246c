//===- AppendLoss.cpp - a logits model ended with its training loss -------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Dialect/Wafer/WaferOps.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERAPPENDLOSS
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

struct AppendLossPass
    : public wafer::impl::WaferAppendLossBase<AppendLossPass> {
  void runOnOperation() final {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    auto logitsType =
        ret.getNumOperands()
            ? dyn_cast<RankedTensorType>(ret.getOperand(0).getType())
            : RankedTensorType();
    if (!logitsType || logitsType.getRank() < 2 ||
        !isa<FloatType>(logitsType.getElementType())) {
      func.emitError("--loss=cross-entropy needs the model's first output to "
                     "be logits [..., classes]; found ")
          << (ret.getNumOperands() ? ret.getOperand(0).getType() : Type());
      return signalPassFailure();
    }
    MLIRContext *context = &getContext();
    Location loc = NameLoc::get(StringAttr::get(context, "loss"));
    int64_t rank = logitsType.getRank();
    Type f = logitsType.getElementType();
    IntegerType i64 = IntegerType::get(context, 64);
    ArrayRef<int64_t> shape = logitsType.getShape();
    auto labelsType = RankedTensorType::get(shape.drop_back(), i64);
    Block &body = func.getBody().front();
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(
            index, labelsType,
            DictionaryAttr::get(
                context,
                {NamedAttribute(
                    StringAttr::get(context, WaferDialect::getNameAttrName()),
                    StringAttr::get(context, "labels"))}),
            loc)))
      return signalPassFailure();
    Value labels = body.getArgument(index);

    OpBuilder b(ret);
    Value logits = ret.getOperand(0);
    Value logProb = LogSoftmaxOp::create(b, loc, logitsType, logits, -1);
    SmallVector<int64_t> classShape(rank, 1), labelShape(shape);
    classShape.back() = shape.back();
    labelShape.back() = 1;
    Value classes = IotaOp::create(
        b, loc, RankedTensorType::get(classShape, i64), rank - 1);
    Value label = ReshapeOp::create(
        b, loc, RankedTensorType::get(labelShape, i64), labels);
    Value hot =
        CompareOp::create(b, loc, RankedTensorType::get(shape, b.getI1Type()),
                          CompareKind::eq, label, classes);
    auto scalarType = RankedTensorType::get({}, f);
    Value zero = ConstantOp::create(
        b, loc, scalarType,
        DenseElementsAttr::get(scalarType, b.getFloatAttr(f, 0.0).getValue()));
    Value picked = SelectOp::create(b, loc, logitsType, hot, logProb, zero);
    auto tokensType = RankedTensorType::get(shape.drop_back(), f);
    Value nll = ReduceOp::create(b, loc, tokensType, ReduceKind::sum, picked,
                                 b.getDenseI64ArrayAttr({rank - 1}),
                                 /*keep_dims=*/false);
    SmallVector<int64_t> all;
    for (int64_t d = 0; d + 1 < rank; ++d)
      all.push_back(d);
    Value mean = ReduceOp::create(b, loc, scalarType, ReduceKind::mean, nll,
                                  b.getDenseI64ArrayAttr(all),
                                  /*keep_dims=*/false);
    Value loss = NegOp::create(b, loc, scalarType, mean);

    ret->setOperands(ValueRange{loss});
    func.setFunctionType(FunctionType::get(context, func.getArgumentTypes(),
                                           TypeRange{scalarType}));
    func.setAllResultAttrs(ArrayRef<Attribute>{DictionaryAttr::get(
        context, {NamedAttribute(
                     StringAttr::get(context, WaferDialect::getNameAttrName()),
                     StringAttr::get(context, "loss"))})});
  }
};

} // namespace
