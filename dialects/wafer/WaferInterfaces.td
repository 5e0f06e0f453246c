//===- WaferInterfaces.td - wafer op interfaces ------------*- tablegen -*-===//

#ifndef WAFER_INTERFACES_TD
#define WAFER_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Wafer_DifferentiableOpInterface
    : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::wafer";
  let description = [{
    An op with a reverse-mode derivative rule: given the gradients of the
    loss with respect to its results, it builds (as wafer ops, at the
    builder's insertion point) the gradients with respect to its operands.
    `wafer-autodiff` calls it for every op on a path from a trainable
    weight to the loss; an op without it there is an error naming the op.

    Rules build what a training step computes on the wafer: a product's
    operand gradients as products of their own, gradients of broadcast
    operands summed over the broadcast axes. The rules are attached to the
    ops in `lib/Dialect/Wafer/IR/GradientRules.cpp` and checked against
    finite differences in `unittests/Dialect/GradientRulesTest.cpp`.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds the operand gradients from `resultGradients` (one per result;
        null where the loss does not depend on that result). Sets
        `operandGradients[i]` for each operand in `needed` (null for
        operands that take no gradient, e.g. integer indices). Fails, after
        an error at the op, when a needed gradient has no rule (an exponent
        that is trained, a max reduction).
      }],
      "::llvm::LogicalResult", "buildGradients",
      (ins "::mlir::OpBuilder &":$builder,
           "::llvm::ArrayRef<::mlir::Value>":$resultGradients,
           "::llvm::ArrayRef<bool>":$needed,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGradients)>,
  ];
}

#endif // WAFER_INTERFACES_TD
