//===- Kernels.h - host math for the plan's kernels -------------*- C++ -*-===//

#ifndef WAFER_LIB_RUNTIME_KERNELS_H
#define WAFER_LIB_RUNTIME_KERNELS_H

#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {

/// Computes `kernel` on `operands` into `results`, whose types and shapes
/// are already set (and storage sized).
absl::Status runKernel(const plan::Kernel &kernel,
                       const std::vector<const Array *> &operands,
                       std::vector<Array> &results);

/// Checks every kernel's operand and result shapes against what it reads
/// and writes, and bounds the host memory the plan needs.
absl::Status validateKernels(const plan::Plan &plan);

} // namespace wafer::runtime

#endif // WAFER_LIB_RUNTIME_KERNELS_H
