//===- MatchUtils.h - small matchers shared by the fusion patterns -------===//

#ifndef WAFER_LIB_DIALECT_WAFER_TRANSFORMS_MATCHUTILS_H
#define WAFER_LIB_DIALECT_WAFER_TRANSFORMS_MATCHUTILS_H

#include <cmath>
#include <optional>

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "wafer/Dialect/Wafer/WaferOps.h"

namespace wafer::match {

/// The value of a splat float or integer constant, or nullopt.
inline std::optional<double> splatValue(mlir::Value value) {
  mlir::DenseElementsAttr attr;
  if (!mlir::matchPattern(value, mlir::m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  mlir::Type type = attr.getElementType();
  if (mlir::isa<mlir::FloatType>(type))
    return attr.getSplatValue<llvm::APFloat>().convertToDouble();
  if (type.isInteger(1))
    return attr.getSplatValue<bool>() ? 1.0 : 0.0;
  if (mlir::isa<mlir::IntegerType>(type))
    return static_cast<double>(attr.getSplatValue<llvm::APInt>().getSExtValue());
  return std::nullopt;
}

/// Whether `value` is a splat constant within a relative 1e-3 of `expected`.
inline bool isSplat(mlir::Value value, double expected) {
  std::optional<double> v = splatValue(value);
  return v && std::fabs(*v - expected) <= 1e-3 * std::fabs(expected) + 1e-12;
}

/// For a two-operand op, the operand that is not `known`, or null when
/// neither is.
inline mlir::Value otherOperand(mlir::Operation *op, mlir::Value known) {
  if (op->getOperand(0) == known)
    return op->getOperand(1);
  if (op->getOperand(1) == known)
    return op->getOperand(0);
  return nullptr;
}

/// The single user of `value` if it has exactly one use and that user is an
/// `OpTy`.
template <typename OpTy> OpTy soleUser(mlir::Value value) {
  if (!value.hasOneUse())
    return nullptr;
  return llvm::dyn_cast<OpTy>(*value.getUsers().begin());
}

/// The shape of a value.
inline llvm::ArrayRef<int64_t> shapeOf(mlir::Value value) {
  return mlir::cast<mlir::RankedTensorType>(value.getType()).getShape();
}

} // namespace wafer::match

#endif // WAFER_LIB_DIALECT_WAFER_TRANSFORMS_MATCHUTILS_H
