#include "device/worker_pool.hpp"

#include <algorithm>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

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

#if defined(__linux__)
cpu_set_t cpu_set_of(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  return set;
}
#endif

}  // namespace

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
#endif
  if (cpus.empty())
    for (unsigned c = 0; c < std::max(1u, std::thread::hardware_concurrency()); ++c) cpus.push_back(static_cast<int>(c));
  return cpus;
}

WorkerPool::WorkerPool(unsigned threads) {
  const std::vector<int> cpus = allowed_cpus();
  const bool pin = threads > 1 && cpus.size() >= threads;
  for (unsigned i = 1; i < threads; ++i) {
    workers_.emplace_back([this, i] { worker_main(i); });
#if defined(__linux__)
    if (pin) {
      const cpu_set_t set = cpu_set_of({cpus[i]});
      if (pthread_setaffinity_np(workers_.back().native_handle(), sizeof(set), &set) == 0) worker_cpus_.push_back(cpus[i]);
    }
#endif
  }
  if (worker_cpus_.size() + 1 != threads) worker_cpus_.clear();  // all pinned, or the caller is never moved
  for (int c : cpus)
    if (std::find(worker_cpus_.begin(), worker_cpus_.end(), c) == worker_cpus_.end()) caller_cpus_.push_back(c);
}

bool WorkerPool::move_caller_off_worker_cpus() {
#if defined(__linux__)
  if (worker_cpus_.empty()) return false;
  const int here = sched_getcpu();  // vDSO: no system call
  if (std::find(worker_cpus_.begin(), worker_cpus_.end(), here) == worker_cpus_.end()) return false;
  cpu_set_t saved;
  CPU_ZERO(&saved);
  if (pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved) != 0) return false;
  saved_affinity_.clear();
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &saved)) saved_affinity_.push_back(c);
  const cpu_set_t off = cpu_set_of(caller_cpus_);
  return pthread_setaffinity_np(pthread_self(), sizeof(off), &off) == 0;
#else
  return false;
#endif
}

void WorkerPool::restore_caller_affinity() {
#if defined(__linux__)
  const cpu_set_t saved = cpu_set_of(saved_affinity_);
  pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
#endif
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
  const bool moved = move_caller_off_worker_cpus();
  job_ = &job;
  active_ = count;
  const std::uint64_t generation = generation_.fetch_add(1) + 1;
  generation_.notify_all();
  job(0);
  const std::uint64_t all_done = generation * workers_.size();
  for (int spin = 0;; ++spin) {
    const std::uint64_t done = done_.load();
    if (done == all_done) break;
    if (spin < kSpinRounds) cpu_relax();
    else done_.wait(done);
  }
  job_ = nullptr;
  if (moved) restore_caller_affinity();
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
    done_.fetch_add(1);
    done_.notify_all();
  }
}

}  // namespace shardwise
