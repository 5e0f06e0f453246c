//===- PeMemoryTest.cpp - per-PE SRAM of wafer-run's PE-level runs --------===//

#include "../../lib/Runtime/Kernels.h"
#include "../../lib/Runtime/PeExecution.h"

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "gtest/gtest.h"

using namespace wafer;
using namespace wafer::runtime;

namespace {

TEST(PeMemory, NamesTheOverflowingPeOnTheWafer) {
  // A 3x2 region at (10, 20): PE index 4 is (11, 21).
  PeMemory memory("fc", Rect{10, 20, 3, 2}, 1000);
  ASSERT_TRUE(memory.hold(4, 600, "a block").ok());
  ASSERT_TRUE(memory.hold(0, 900, "a block").ok());
  absl::Status status = memory.hold(4, 401, "a panel");
  ASSERT_TRUE(absl::IsResourceExhausted(status));
  EXPECT_EQ(status.message(),
            "layer fc: PE (11, 21) runs out of SRAM holding a panel: 1001 "
            "bytes, more than its 1000 after the reserve");
}

TEST(PeMemory, ReleasedBytesMakeRoom) {
  PeMemory memory("fc", Rect{0, 0, 2, 2}, 1000);
  ASSERT_TRUE(memory.hold(3, 800, "a block").ok());
  memory.release(3, 800);
  EXPECT_TRUE(memory.hold(3, 1000, "another").ok());
  EXPECT_EQ(memory.peakBytes(), 1000);
  EXPECT_EQ(memory.peakPe(), "(1, 1)");
}

TEST(PeMemory, EverywhereCountsAgainstTheFullestPe) {
  PeMemory memory("norm", Rect{0, 0, 4, 1}, 1000);
  ASSERT_TRUE(memory.hold(2, 700, "rows").ok());
  memory.release(2, 700);
  ASSERT_TRUE(memory.hold(1, 500, "rows").ok());
  // 700 was released: PE 1's 500 is the most, so 500 more still fits...
  ASSERT_TRUE(memory.holdEverywhere(500, "a scale").ok());
  EXPECT_EQ(memory.peakBytes(), 1000);
  // ...and one more byte at every PE does not, at PE 1.
  absl::Status status = memory.holdEverywhere(1, "a bias");
  ASSERT_TRUE(absl::IsResourceExhausted(status));
  EXPECT_EQ(status.message(),
            "layer norm: PE (1, 0) runs out of SRAM holding a bias: 1001 "
            "bytes, more than its 1000 after the reserve");
  memory.releaseEverywhere(1);
  EXPECT_TRUE(memory.hold(0, 500, "rows").ok());
}

/// The bits of SiLU over `input` when its data lies at `data`.
std::vector<uint32_t> siluBits(const std::vector<float> &input,
                               Array &operand) {
  std::copy(input.begin(), input.end(), operand.floats.begin());
  plan::Kernel kernel;
  kernel.set_op("wafer.silu");
  std::vector<Array> out = {Array::zeros(plan::F32, operand.shape)};
  EXPECT_TRUE(runKernel(kernel, {&operand}, out).ok());
  std::vector<uint32_t> bits(input.size());
  std::memcpy(bits.data(), out[0].floats.data(), 4 * bits.size());
  return bits;
}

TEST(Kernels, VectorisedMathDoesNotDependOnWhereTheDataLies) {
  // Eigen once did an unaligned head of a chunk in scalar math, which
  // rounds differently: a plan's outputs changed with malloc's addresses.
  const int64_t n = 4099;
  std::vector<float> input(n);
  for (int64_t i = 0; i < n; ++i)
    input[i] = std::sin(0.37f * i) * 6;
  Array first = Array::zeros(plan::F32, {n});
  auto alignment = [](const Array &a) {
    return reinterpret_cast<uintptr_t>(a.floats.data()) % 64;
  };
  std::vector<std::unique_ptr<char[]>> spacers;
  std::vector<Array> others;
  for (int attempt = 0; attempt < 64; ++attempt) {
    spacers.push_back(std::make_unique<char[]>(16 + 8 * attempt));
    others.push_back(Array::zeros(plan::F32, {n}));
    if (alignment(others.back()) != alignment(first))
      break;
  }
  if (alignment(others.back()) == alignment(first))
    GTEST_SKIP() << "malloc gave every array the same alignment";
  EXPECT_EQ(siluBits(input, first), siluBits(input, others.back()));
}

} // namespace
