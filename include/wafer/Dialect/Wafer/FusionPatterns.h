//===- FusionPatterns.h - transformer-aware fusion patterns -----*- C++ -*-===//
//
// Rewrite patterns that recognise the many ways exporters spell one kernel
// and replace them with the wafer op for that kernel. One family per file in
// lib/Dialect/Wafer/Transforms; the wafer-fuse-kernels pass applies them.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_DIALECT_WAFER_FUSIONPATTERNS_H
#define WAFER_DIALECT_WAFER_FUSIONPATTERNS_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace wafer {

/// LayerNorm (mean, centre, variance, sqrt, divide, scale, shift) and RMSNorm
/// (mean of squares, sqrt, divide, scale) into layer_norm / rms_norm.
void populateNormFusionPatterns(mlir::RewritePatternSet &patterns);

/// GELU (erf and tanh forms, any association of the 0.5 and x factors) and
/// SiLU (x * sigmoid(x)) into gelu / silu.
void populateActivationFusionPatterns(mlir::RewritePatternSet &patterns);

/// matmul followed by the addition of a per-column bias into one matmul.
void populateLinearFusionPatterns(mlir::RewritePatternSet &patterns);

/// Scaled dot-product attention on split heads (Q K^T, scale, optional
/// additive or causal mask, softmax, times V) into one attention op on
/// merged heads.
void populateAttentionFusionPatterns(mlir::RewritePatternSet &patterns);

} // namespace wafer

#endif // WAFER_DIALECT_WAFER_FUSIONPATTERNS_H
