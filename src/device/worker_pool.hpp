#pragma once
// A small pool of host threads that stays alive between program launches, so that a
// launch costs a wake-up (spinning briefly, then sleeping on an atomic wait) instead
// of thread creation.
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace shardwise {

// The CPUs this process may run on (its affinity mask, as taskset or a container's
// cpuset restricts it; on systems without one, every hardware thread).
std::vector<int> allowed_cpus();

// Threads: worker i (i >= 1) is pinned to the i-th allowed CPU when the process may use
// as many CPUs as the pool has threads. The calling thread is left free, except that
// a run started from a worker's CPU first moves it off the workers' CPUs (and puts
// its affinity back after): Linux places a thread woken from sleep on its waker's CPU
// when it deems that cache-hot, and two spinning threads on one CPU take turns
// (wormhole_b0 mnv2_5 layer: 1.3 ms in 6 of 8 processes, 0.2 ms when apart).
class WorkerPool {
 public:
  explicit WorkerPool(unsigned threads);  // total, including the calling thread
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }
  // Runs job(i) for every i < count (count <= size()); the caller runs job(0).
  void run(unsigned count, const std::function<void(unsigned)>& job);

 private:
  void worker_main(unsigned index);

  // Moves the calling thread off the workers' CPUs if it is on one; true if it did
  // (then restore_caller_affinity puts the saved mask back).
  bool move_caller_off_worker_cpus();
  void restore_caller_affinity();

  std::vector<std::thread> workers_;
  std::vector<int> worker_cpus_;    // empty: workers not pinned
  std::vector<int> caller_cpus_;    // the allowed CPUs no worker is pinned to
  std::vector<int> saved_affinity_;  // the caller's CPUs while moved
  // One cache line the caller writes and the workers only read (the job, then the
  // generation that releases it), another that only the workers write (how many runs
  // they finished, counted over all generations): a launch then moves each line
  // between the cores once, where one line for both bounced (DESIGN.md).
  alignas(64) std::atomic<std::uint64_t> generation_{0};
  const std::function<void(unsigned)>* job_ = nullptr;
  unsigned active_ = 0;
  std::atomic<bool> stop_{false};
  // Runs finished by the workers, all generations; the last member, so with the class's
  // 64-byte alignment the line is its own.
  alignas(64) std::atomic<std::uint64_t> done_{0};
};

}  // namespace shardwise
