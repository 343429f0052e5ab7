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

  std::vector<std::thread> workers_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<unsigned> pending_{0};
  const std::function<void(unsigned)>* job_ = nullptr;
  unsigned active_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace shardwise
