//===- Parallel.cpp - wafer-run's work pool -------------------------------===//

#include "Parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace wafer::runtime {
namespace {

/// One parallelFor: its items are taken from `next` until none are left.
/// Workers hold it by shared_ptr, so a late worker finds it exhausted rather
/// than taking an item of the next job.
struct Job {
  const std::function<void(int64_t)> *item = nullptr;
  int64_t count = 0;
  std::atomic<int64_t> next{0};
  int64_t pending = 0; // Guarded by the pool's mutex.
};

/// Workers sleep until a job is posted, then help drain it.
class Pool {
public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i)
      workers.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }
  int size() const { return static_cast<int>(workers.size()) + 1; }

  void run(int64_t count, const std::function<void(int64_t)> &item) {
    if (workers.empty() || count <= 1) {
      for (int64_t i = 0; i < count; ++i)
        item(i);
      return;
    }
    auto job = std::make_shared<Job>();
    job->item = &item;
    job->count = count;
    job->pending = count;
    {
      std::lock_guard<std::mutex> lock(mutex);
      current = job;
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    drain(*job);
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return job->pending == 0; });
    current.reset();
  }

private:
  void drain(Job &job) {
    int64_t finished = 0;
    for (int64_t i; (i = job.next.fetch_add(1)) < job.count; ++finished)
      (*job.item)(i);
    if (finished) {
      std::lock_guard<std::mutex> lock(mutex);
      job.pending -= finished;
      if (job.pending == 0)
        done.notify_all();
    }
  }
  void work() {
    uint64_t seen = 0;
    while (true) {
      // Kernels post jobs tens of microseconds apart: spin a little before
      // sleeping, or a woken worker arrives after the caller has done all.
      auto until = std::chrono::steady_clock::now() + kSpin;
      for (int spin = 0; generation.load(std::memory_order_acquire) == seen;
           ++spin) {
        relax();
        if (spin % 64 == 0 && std::chrono::steady_clock::now() > until)
          break;
      }
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] {
        return stopping || generation.load(std::memory_order_acquire) != seen;
      });
      if (stopping)
        return;
      seen = generation.load(std::memory_order_acquire);
      std::shared_ptr<Job> job = current;
      lock.unlock();
      if (job)
        drain(*job);
    }
  }

  static constexpr std::chrono::microseconds kSpin{200};
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    std::this_thread::yield();
#endif
  }

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  std::shared_ptr<Job> current;
  std::atomic<uint64_t> generation{0};
  bool stopping = false;
};

std::unique_ptr<Pool> &pool() {
  static std::unique_ptr<Pool> instance;
  return instance;
}

} // namespace

void setThreadCount(int threads) {
  threads = std::max(1, threads);
  if (!pool() || pool()->size() != threads)
    pool() = std::make_unique<Pool>(threads);
}

int threadCount() {
  if (!pool())
    setThreadCount(std::max(1u, std::thread::hardware_concurrency()));
  return pool()->size();
}

void parallelFor(int64_t count, const std::function<void(int64_t)> &item) {
  threadCount(); // Creates the pool on first use.
  pool()->run(count, item);
}

void retainFreedMemory() {
#ifdef __GLIBC__
  // Never trim the heap, and serve blocks up to glibc's largest threshold
  // from it rather than from mappings unmapped on free.
  mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

} // namespace wafer::runtime
