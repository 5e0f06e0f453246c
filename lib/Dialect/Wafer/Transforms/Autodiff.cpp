//===- Autodiff.cpp - the backward pass as wafer ops ----------------------===//
//
// Reverse mode over the kernel level: the loss's gradient flows from the
// function's first result back to the trained weights through each op's
// DifferentiableOpInterface rule, and each weight's gradient becomes a
// result of the function (see the pass description in Passes.td).
//
//===----------------------------------------------------------------------===//

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "wafer/Dialect/Wafer/Passes.h"
#include "wafer/Dialect/Wafer/WaferDialect.h"
#include "wafer/Dialect/Wafer/WaferOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"

namespace wafer {
#define GEN_PASS_DEF_WAFERAUTODIFF
#include "wafer/Dialect/Wafer/Passes.h.inc"
} // namespace wafer

using namespace mlir;
using namespace wafer;

namespace {

bool isFloatTensor(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && isa<FloatType>(type.getElementType());
}

struct AutodiffPass : public wafer::impl::WaferAutodiffBase<AutodiffPass> {
  using WaferAutodiffBase::WaferAutodiffBase;

  void runOnOperation() final {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (!func.getBody().hasOneBlock()) {
      func.emitError("wafer-autodiff needs a function of one block");
      return signalPassFailure();
    }
    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());
    if (ret.getNumOperands() == 0 || !isFloatTensor(ret.getOperand(0)) ||
        cast<RankedTensorType>(ret.getOperand(0).getType()).getNumElements() !=
            1) {
      func.emitError("training needs the model's first output to be a "
                     "scalar float loss; found ")
          << (ret.getNumOperands() ? ret.getOperand(0).getType() : Type())
          << " (export the model with its loss, or give --loss)";
      return signalPassFailure();
    }
    Value loss = ret.getOperand(0);

    // The trained weights, in program order.
    llvm::StringSet<> frozen;
    for (const std::string &name : freeze)
      frozen.insert(name);
    SmallVector<WeightOp> trained;
    llvm::StringSet<> seen;
    for (auto weight : body.getOps<WeightOp>()) {
      seen.insert(weight.getSymName());
      if (isFloatTensor(weight.getResult()) &&
          !frozen.contains(weight.getSymName()))
        trained.push_back(weight);
    }
    for (const std::string &name : freeze)
      if (!seen.contains(name)) {
        func.emitError("--freeze names '") << name << "', which is no weight";
        return signalPassFailure();
      }

    // Values that depend on a trained weight: only they take gradients.
    llvm::DenseSet<Value> active;
    for (WeightOp weight : trained)
      active.insert(weight.getResult());
    for (Operation &op : body.without_terminator())
      if (llvm::any_of(op.getOperands(),
                       [&](Value v) { return active.contains(v); }))
        for (Value result : op.getResults())
          if (isFloatTensor(result))
            active.insert(result);
    if (!active.contains(loss)) {
      func.emitError("the loss does not depend on any trained weight");
      return signalPassFailure();
    }

    OpBuilder builder(ret);
    MLIRContext *context = &getContext();
    auto backward = UnitAttr::get(context);
    // Marks what a rule built: part of the backward pass, and at the forward
    // op's node name with ".grad" unless the rule named it.
    auto mark = [&](Operation *forward, Block::iterator from) {
      Location plain = forward->getLoc();
      Location named = plain;
      if (auto name = dyn_cast<NameLoc>(plain))
        named = NameLoc::get(
            StringAttr::get(context, name.getName().str() + ".grad"),
            name.getChildLoc());
      for (Operation &op :
           llvm::make_range(from, Block::iterator(ret.getOperation()))) {
        op.setAttr(WaferDialect::getBackwardAttrName(), backward);
        if (op.getLoc() == plain)
          op.setLoc(named);
      }
    };
    auto lastBuilt = [&]() {
      return ret->getPrevNode() ? Block::iterator(ret->getPrevNode())
                                : body.end();
    };
    auto afterLast = [&](Block::iterator last) {
      return last == body.end() ? body.begin() : std::next(last);
    };

    llvm::DenseMap<Value, Value> gradients;
    auto accumulate = [&](Value value, Value gradient) {
      auto [it, fresh] = gradients.try_emplace(value, gradient);
      if (!fresh) {
        it->second = AddOp::create(builder, gradient.getLoc(), value.getType(),
                                   it->second, gradient);
        it->second.getDefiningOp()->setAttr(WaferDialect::getBackwardAttrName(),
                                            backward);
      }
    };
    {
      Block::iterator last = lastBuilt();
      auto type = cast<RankedTensorType>(loss.getType());
      Value seed = ConstantOp::create(
          builder, loss.getLoc(), type,
          DenseElementsAttr::get(
              type,
              builder.getFloatAttr(type.getElementType(), 1.0).getValue()));
      if (Operation *def = loss.getDefiningOp())
        mark(def, afterLast(last));
      gradients[loss] = seed;
    }

    // Reverse program order: every use of a value comes before it.
    SmallVector<Operation *> forward;
    for (Operation &op : body.without_terminator())
      forward.push_back(&op);
    for (Operation *op : llvm::reverse(forward)) {
      SmallVector<Value> resultGradients;
      bool any = false;
      for (Value result : op->getResults()) {
        resultGradients.push_back(gradients.lookup(result));
        any |= static_cast<bool>(resultGradients.back());
      }
      if (!any)
        continue;
      SmallVector<bool> needed;
      bool anyNeeded = false;
      for (Value operand : op->getOperands()) {
        needed.push_back(active.contains(operand));
        anyNeeded |= needed.back();
      }
      if (!anyNeeded)
        continue;
      auto rule = dyn_cast<DifferentiableOpInterface>(op);
      if (!rule) {
        op->emitError("no backward rule for '")
            << op->getName() << "': the loss depends on a trained weight "
            << "through it";
        return signalPassFailure();
      }
      // Results the loss does not reach pass null gradients: only ops of
      // several results (split) see them, and take them as zeros.
      Block::iterator last = lastBuilt();
      SmallVector<Value> operandGradients;
      if (failed(rule.buildGradients(builder, resultGradients, needed,
                                     operandGradients)))
        return signalPassFailure();
      mark(op, afterLast(last));
      for (auto [operand, gradient] :
           llvm::zip_equal(op->getOperands(), operandGradients))
        if (gradient && active.contains(operand))
          accumulate(operand, gradient);
    }

    // Each trained weight's gradient, as a result named after the weight.
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> types(func.getFunctionType().getResults());
    SmallVector<Attribute> resultAttrs;
    for (unsigned i = 0; i < results.size(); ++i) {
      DictionaryAttr attrs = func.getResultAttrDict(i);
      resultAttrs.push_back(attrs ? attrs : DictionaryAttr::get(context));
    }
    for (WeightOp weight : trained) {
      Value gradient = gradients.lookup(weight.getResult());
      if (!gradient)
        continue; // The loss does not depend on it: no gradient (PyTorch).
      results.push_back(gradient);
      types.push_back(gradient.getType());
      resultAttrs.push_back(DictionaryAttr::get(
          context,
          {NamedAttribute(
              StringAttr::get(context, WaferDialect::getGradientOfAttrName()),
              weight.getSymNameAttr())}));
    }
    ret->setOperands(results);
    func.setFunctionType(
        FunctionType::get(context, func.getArgumentTypes(), types));
    func.setAllResultAttrs(resultAttrs);
  }
};

} // namespace
