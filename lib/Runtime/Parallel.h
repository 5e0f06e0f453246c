//===- Parallel.h - wafer-run's work pool -----------------------*- C++ -*-===//
//
// Kernels split their work into items whose boundaries depend on the data's
// shape only, never on the number of threads; the pool hands the items out.
// Each item writes its own part of the result, so results are the same for
// any thread count.
//
//===----------------------------------------------------------------------===//

#ifndef WAFER_LIB_RUNTIME_PARALLEL_H
#define WAFER_LIB_RUNTIME_PARALLEL_H

#include <cstdint>
#include <functional>

#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime {

/// Runs `item(i)` for i in [0, count) on the pool's threads and the caller's;
/// returns when all are done.
void parallelFor(int64_t count, const std::function<void(int64_t)> &item);


} // namespace wafer::runtime

#endif // WAFER_LIB_RUNTIME_PARALLEL_H
