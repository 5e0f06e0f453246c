//===- RandomArray.h - test operands for the runtime's kernels --*- C++ -*-===//

#ifndef WAFER_UNITTESTS_RUNTIME_RANDOMARRAY_H
#define WAFER_UNITTESTS_RUNTIME_RANDOMARRAY_H

#include <random>

#include "wafer/Runtime/Runtime.h"

namespace wafer::runtime::test {

/// An fp32 array of `shape` with values uniform in [-1, 1), the same for
/// the same seed.
inline Array randomArray(std::vector<int64_t> shape, uint32_t seed) {
  Array a = Array::zeros(plan::F32, std::move(shape));
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (float &f : a.floats)
    f = uniform(generator);
  return a;
}

} // namespace wafer::runtime::test

#endif // WAFER_UNITTESTS_RUNTIME_RANDOMARRAY_H
