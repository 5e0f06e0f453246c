//===- HostTensor.h - small constants the importer folds --------*- C++ -*-===//
//
// Shape arithmetic in exported graphs (Shape -> Gather -> Concat -> Reshape,
// ConstantOfShape, Range, masks) is evaluated on the host while importing,
// so the IR that comes out is fully static. Only small tensors are folded;
// the importer bounds their size.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_LIB_IMPORT_HOSTTENSOR_H
#define WAFER_LIB_IMPORT_HOSTTENSOR_H

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

namespace wafer::detail {

/// A tensor whose elements are known while importing. Floats are held as
/// double (rounded to the element type after each operation), integers and
/// booleans as int64.
struct HostTensor {
  mlir::Type elementType;
  llvm::SmallVector<int64_t> shape;
  std::vector<double> reals; // When elementType is a float.
  std::vector<int64_t> ints; // Otherwise.

  static HostTensor zeros(mlir::Type elementType,
                          llvm::ArrayRef<int64_t> shape);
  static HostTensor fromInts(mlir::Type elementType,
                             llvm::ArrayRef<int64_t> shape,
                             llvm::ArrayRef<int64_t> values);
  static HostTensor scalarLike(const HostTensor &like, double value);

  bool isFloat() const { return mlir::isa<mlir::FloatType>(elementType); }
  int64_t numElements() const;
  double getReal(int64_t i) const { return isFloat() ? reals[i] : ints[i]; }
  int64_t getInt(int64_t i) const {
    return isFloat() ? static_cast<int64_t>(reals[i]) : ints[i];
  }
  /// Stores `value` at `i`, rounded or truncated to the element type.
  void set(int64_t i, double value);
  void setInt(int64_t i, int64_t value);
  std::vector<int64_t> toInts() const;

  mlir::RankedTensorType getType() const {
    return mlir::RankedTensorType::get(shape, elementType);
  }
  mlir::DenseElementsAttr toAttr() const;
};

/// NumPy broadcast of two shapes, or nullopt if they do not broadcast.
std::optional<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// Row-major element count; saturates instead of overflowing.
int64_t elementCount(llvm::ArrayRef<int64_t> shape);

/// For each element of `outShape`, the linear index of the element of an
/// operand of shape `inShape` that broadcasts to it.
std::vector<int64_t> broadcastIndices(llvm::ArrayRef<int64_t> outShape,
                                      llvm::ArrayRef<int64_t> inShape);

/// Elementwise map over broadcast operands into a tensor of `resultType`.
HostTensor mapBroadcast(
    llvm::ArrayRef<const HostTensor *> operands, mlir::Type resultType,
    llvm::ArrayRef<int64_t> resultShape,
    const std::function<double(llvm::ArrayRef<double>)> &fn);

HostTensor castTensor(const HostTensor &input, mlir::Type elementType);
HostTensor reshapeTensor(const HostTensor &input,
                         llvm::ArrayRef<int64_t> shape);
HostTensor transposeTensor(const HostTensor &input,
                           llvm::ArrayRef<int64_t> permutation);
HostTensor sliceTensor(const HostTensor &input,
                       llvm::ArrayRef<int64_t> offsets,
                       llvm::ArrayRef<int64_t> strides,
                       llvm::ArrayRef<int64_t> sizes);
HostTensor concatTensors(llvm::ArrayRef<const HostTensor *> inputs,
                         int64_t axis);
/// `indices` already normalised to [0, extent).
HostTensor gatherTensor(const HostTensor &data, const HostTensor &indices,
                        int64_t axis);

} // namespace wafer::detail

#endif // WAFER_LIB_IMPORT_HOSTTENSOR_H
