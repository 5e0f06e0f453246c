//===- Optimizer.h - what an optimizer step does to a weight -----*- C++
//-*-===//
//
// The optimizer of a training plan: its spec as users write it
// (`sgd:lr=0.1,momentum=0.9`, PyTorch's names and defaults) and its update,
// which the weight store applies between steps. PyTorch's formulas (torch.optim
// SGD, Adam, AdamW), in fp32 with the scalars PyTorch computes in double.
// MLIR-free: wafer-compile parses the spec, wafer-run applies it.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_CORE_OPTIMIZER_H
#define WAFER_CORE_OPTIMIZER_H

#include <cstdint>
#include <string>

namespace wafer::core {

enum class OptimizerKind { sgd, adam, adamw };

struct OptimizerSpec {
  OptimizerKind kind = OptimizerKind::sgd;
  double lr = 0;
  double momentum = 0;    // SGD.
  double dampening = 0;   // SGD.
  bool nesterov = false;  // SGD.
  double weightDecay = 0; // SGD and Adam: L2 on the gradient; AdamW: decoupled.
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8; // Adam and AdamW.
};

const char *optimizerKindName(OptimizerKind kind);

/// Parses `KIND:key=value,...`; keys left out take PyTorch's defaults (SGD's
/// learning rate has none and must be given). Returns an error message
/// naming the key and the accepted values, or "" with `spec` set.
std::string parseOptimizerSpec(const std::string &text, OptimizerSpec &spec);

/// The spec written back in parseOptimizerSpec's words, every key given.
std::string formatOptimizerSpec(const OptimizerSpec &spec);

/// State slots per weight element the optimizer keeps in the weight store
/// (SGD with momentum: 1; Adam, AdamW: 2).
int stateSlots(const OptimizerSpec &spec);

/// Applies step `step` (1 for the first) to elements [first, last) of a
/// weight of `count` elements: `weight` updated in place from `gradient`,
/// `state` holding stateSlots() arrays of `count` elements (zero before the
/// first step). Elements are independent: any cut into ranges gives the
/// same bits (the weight store spreads them over threads).
void applyOptimizerStep(const OptimizerSpec &spec, int64_t step, int64_t count,
                        float *weight, const float *gradient, float *state,
                        int64_t first, int64_t last);

} // namespace wafer::core

#endif // WAFER_CORE_OPTIMIZER_H
