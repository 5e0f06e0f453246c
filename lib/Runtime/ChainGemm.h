//===- ChainGemm.h - matrix products as the PEs accumulate them -*- C++ -*-===//
//
// C (+)= A B where every output element is one chain of fused multiply-adds
// over the contraction in order, as a PE running SUMMA accumulates its block
// panel after panel. Only the order per output is fixed, so the product is
// free to pack its operands, block the contraction and keep a tile of C in
// registers the way BLAS does: the bits are those of the plain chain
// whatever the blocking, the tile or the threads.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_LIB_RUNTIME_CHAINGEMM_H
#define WAFER_LIB_RUNTIME_CHAINGEMM_H

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wafer::runtime {

/// A matrix of floats read through strides: a transposed operand is the
/// same storage with its strides swapped.
struct MatrixView {
  const float *data;
  int64_t rowStride;
  int64_t colStride = 1;

  const float *at(int64_t row, int64_t col) const {
    return data + row * rowStride + col * colStride;
  }
  MatrixView transposed() const { return {data, colStride, rowStride}; }
};

/// Storage aligned for the widest vector loads, grown but never shrunk, so
/// a product run again reuses it.
class AlignedFloats {
public:
  float *reserve(size_t count);

private:
  struct Free {
    void operator()(float *p) const;
  };
  std::unique_ptr<float, Free> storage;
  size_t capacity = 0;
};

/// One product's shape and its blocking: the right operand is packed once
/// into column panels of the micro-kernel's width, per block of the
/// contraction, and then any ranges of rows and panels are computed from
/// it, independently (the items a caller hands to its threads).
class ChainGemm {
public:
  ChainGemm(int64_t k, int64_t n);

  /// Columns per panel: the micro-kernel's tile width.
  static int64_t panelWidth();
  /// Rows per micro-kernel tile.
  static int64_t tileRows();
  int64_t panels() const { return panelCount; }
  /// Floats the packed right operand takes.
  size_t packedSize() const;

  /// Packs B's panels [first, last) into `packed` (packedSize() floats;
  /// any range may be packed by any thread).
  void packRhs(MatrixView b, float *packed, int64_t first, int64_t last) const;

  /// C's rows [rowBegin, rowEnd) and panels [first, last) from A and the
  /// packed B; with `accumulate` each chain continues from C's value.
  void run(MatrixView a, const float *packed, float *c, int64_t ldc,
           int64_t rowBegin, int64_t rowEnd, int64_t first, int64_t last,
           bool accumulate) const;

private:
  int64_t k, n, panelCount;
};

/// The calling thread's storage for a packed operand that the items of one
/// product share (kept between products: no allocation in the steady state).
float *sharedPackBuffer(size_t count);

/// C (+)= A B on the calling thread (rows x k times k x n, C's leading
/// dimension ldc), packing B into thread-local storage.
void chainProduct(MatrixView a, MatrixView b, float *c, int64_t ldc,
                  int64_t rows, int64_t k, int64_t n, bool accumulate);

} // namespace wafer::runtime

#endif // WAFER_LIB_RUNTIME_CHAINGEMM_H
