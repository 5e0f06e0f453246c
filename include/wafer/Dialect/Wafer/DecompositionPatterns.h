//===- DecompositionPatterns.h - graph ops spelled as others ----*- C++ -*-===//
//
// Rewrite patterns that spell a graph-level op with ones the layer analysis,
// placement and the emulator already know, applied by wafer-decompose-conv.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_DIALECT_WAFER_DECOMPOSITIONPATTERNS_H
#define WAFER_DIALECT_WAFER_DECOMPOSITIONPATTERNS_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace wafer {

/// wafer.conv into a product over an im2col view of its input: a reshape
/// and transpose when the stride equals the kernel (patch embeddings),
/// otherwise strided slices of the zero-padded input, one per kernel tap.
void populateConvDecompositionPatterns(mlir::RewritePatternSet &patterns);

} // namespace wafer

#endif // WAFER_DIALECT_WAFER_DECOMPOSITIONPATTERNS_H
