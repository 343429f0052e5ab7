#include "device/worker_pool.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace shardwise {
namespace {

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Spin this many rounds before sleeping: back-to-back launches then wake in
// nanoseconds, while an idle device sleeps.
constexpr int kSpinRounds = 20000;

}  // namespace

WorkerPool::WorkerPool(unsigned threads) {
  for (unsigned i = 1; i < threads; ++i) workers_.emplace_back([this, i] { worker_main(i); });
}

WorkerPool::~WorkerPool() {
  stop_.store(true);
  generation_.fetch_add(1);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void WorkerPool::run(unsigned count, const std::function<void(unsigned)>& job) {
  if (count <= 1) {
    job(0);
    return;
  }
  // Every worker acknowledges every generation (active or not), so job_ and active_
  // are never rewritten while a worker may still read them.
  job_ = &job;
  active_ = count;
  pending_.store(static_cast<unsigned>(workers_.size()));
  generation_.fetch_add(1);
  generation_.notify_all();
  job(0);
  for (int spin = 0; pending_.load() != 0; ++spin) {
    if (spin < kSpinRounds) {
      cpu_relax();
    } else {
      const unsigned left = pending_.load();
      if (left != 0) pending_.wait(left);
    }
  }
  job_ = nullptr;
}

void WorkerPool::worker_main(unsigned index) {
  std::uint64_t seen = 0;
  while (true) {
    std::uint64_t now = generation_.load();
    for (int spin = 0; now == seen; ++spin) {
      if (spin < kSpinRounds) cpu_relax();
      else generation_.wait(seen);
      now = generation_.load();
    }
    seen = now;
    if (stop_.load()) return;
    if (index < active_) (*job_)(index);
    if (pending_.fetch_sub(1) == 1) pending_.notify_all();
  }
}

}  // namespace shardwise
