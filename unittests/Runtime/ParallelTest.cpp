//===- ParallelTest.cpp - wafer-run's work pool ---------------------------===//

#include "../../lib/Runtime/Parallel.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

using namespace wafer::runtime;

namespace {

TEST(Parallel, EveryItemRunsOnceForAnyThreadCount) {
  for (int threads : {1, 2, 4}) {
    setThreadCount(threads);
    EXPECT_EQ(threadCount(), threads);
    for (int64_t count : {0, 1, 2, 7, 1000}) {
      // Many jobs back to back: a late worker must never take an item of
      // the next job.
      for (int job = 0; job < 50; ++job) {
        std::vector<std::atomic<int>> hits(count);
        parallelFor(count, [&](int64_t i) { hits[i].fetch_add(1); });
        for (int64_t i = 0; i < count; ++i)
          ASSERT_EQ(hits[i].load(), 1) << "item " << i << " of " << count
                                       << ", " << threads << " threads";
      }
    }
  }
}

} // namespace
