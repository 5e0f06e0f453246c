//===- Validate.cpp - kernel shapes of a plan from elsewhere --------------===//
//
// A plan may come from another machine or another hand: before any kernel
// touches memory, its tensors must be of a size the host can hold and its
// operand and result shapes must obey its op's rule (wafer/Semantics, the
// rule the dialect's verifiers apply).
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "PlanView.h"
#include "absl/strings/str_cat.h"
#include "wafer/Semantics/Ops.h"

namespace wafer::runtime {
namespace {

using Shape = std::vector<int64_t>;

/// The most elements one tensor may have, and all activations together:
/// larger plans are refused before anything is allocated.
constexpr int64_t kMaxElements = int64_t(1) << 31;
constexpr int64_t kMaxActivationBytes = int64_t(16) << 30;

} // namespace

absl::Status validateKernels(const plan::Plan &plan, bool hostLimits) {
  // Without execution only overflow matters: a 1T plan has weights of
  // billions of elements that are timed, never loaded.
  const int64_t maxElements = hostLimits ? kMaxElements : int64_t(1) << 40;
  int64_t activationBytes = 0;
  for (const plan::Tensor &t : plan.tensors()) {
    int64_t n = 1;
    for (int64_t d : t.shape()) {
      if (d < 0)
        return absl::InvalidArgumentError(
            absl::StrCat("tensor ", t.id(), " has a negative dimension"));
      if (d != 0 && n > maxElements / d)
        return absl::ResourceExhaustedError(absl::StrCat(
            "tensor ", t.id(), " has more than ", maxElements, " elements"));
      n *= d;
    }
    if (plan::elementBytes(t.element_type()) == 0)
      return absl::InvalidArgumentError(
          absl::StrCat("tensor ", t.id(), " has no element type"));
    if (!t.has_weight() && hostLimits)
      activationBytes += n * 4;
  }
  if (activationBytes > kMaxActivationBytes)
    return absl::ResourceExhaustedError(
        absl::StrCat("the plan's tensors need ", activationBytes >> 20,
                     " MiB on the host, more than wafer-run allows (",
                     kMaxActivationBytes >> 20, " MiB)"));

  for (const plan::Kernel &k : plan.kernels()) {
    std::optional<sem::OpShapes> shapes = kernelShapes(plan, k);
    // Sources are no kernels; convolutions are decomposed before plans.
    if (!shapes || sem::opFamily(shapes->kind) == sem::OpFamily::source ||
        sem::opFamily(shapes->kind) == sem::OpFamily::conv)
      return absl::UnimplementedError(
          absl::StrCat("wafer-run has no kernel for '", k.op(), "'"));
    // The dialect's verifier rule, the same words.
    if (std::optional<std::string> error = sem::shapeError(*shapes))
      return absl::InvalidArgumentError(absl::StrCat(k.op(), ": ", *error));
  }
  return absl::OkStatus();
}

} // namespace wafer::runtime
