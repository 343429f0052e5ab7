// The worker pool's threads and CPUs: the default thread count follows the CPUs this
// process may use (its affinity mask, as taskset or a container's cpuset set it, not
// the machine's hardware threads); with CPUs enough each worker is pinned to its own
// CPU, and a run started from a worker's CPU moves the calling thread off it for the
// run and gives it its affinity back after.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "device/arch.hpp"
#include "device/worker_pool.hpp"

namespace shardwise {
namespace {

std::vector<int> affinity_of_this_thread() {
  cpu_set_t set;
  CPU_ZERO(&set);
  EXPECT_EQ(pthread_getaffinity_np(pthread_self(), sizeof(set), &set), 0);
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

void set_affinity_of_this_thread(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof(set), &set), 0);
}

// Runs the test body on a fresh thread (its affinity changes stay there).
template <typename F>
void on_a_thread(F body) {
  std::thread t(body);
  t.join();
}

TEST(WorkerPool, AllowedCpusFollowTheAffinityMask) {
  const std::vector<int> all = allowed_cpus();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  on_a_thread([&] {
    set_affinity_of_this_thread({all.front()});
    EXPECT_EQ(allowed_cpus(), std::vector<int>{all.front()});
    EXPECT_EQ(arch_preset("host").num_cores(), 1u);  // the host preset: one core per CPU it may use
  });
  EXPECT_EQ(arch_preset("host").num_cores(), all.size());
}

TEST(WorkerPool, WorkersRunOnTheirOwnCpusAndTheCallerOffThem) {
  const std::vector<int> all = allowed_cpus();
  if (all.size() < 2) GTEST_SKIP() << "one CPU: nothing to pin";
  on_a_thread([&] {
    WorkerPool pool(2);
    std::atomic<int> worker_cpu{-1}, caller_cpu{-1};
    const auto job = [&](unsigned i) { (i == 0 ? caller_cpu : worker_cpu).store(sched_getcpu()); };
    // Start the run from the worker's CPU: the caller is moved off it for the run.
    set_affinity_of_this_thread({all[1]});
    ASSERT_EQ(sched_getcpu(), all[1]);
    set_affinity_of_this_thread(all);  // free again, but still on the worker's CPU
    if (sched_getcpu() != all[1]) GTEST_SKIP() << "the kernel moved this thread before the run";
    pool.run(2, job);
    EXPECT_EQ(worker_cpu.load(), all[1]);
    EXPECT_NE(caller_cpu.load(), all[1]);
    EXPECT_EQ(affinity_of_this_thread(), all);  // given back
    // From another CPU the caller is left where it is.
    set_affinity_of_this_thread({all[0]});
    pool.run(2, job);
    EXPECT_EQ(caller_cpu.load(), all[0]);
    EXPECT_EQ(worker_cpu.load(), all[1]);
    EXPECT_EQ(affinity_of_this_thread(), std::vector<int>{all[0]});
  });
}

TEST(WorkerPool, NotPinnedWithFewerCpusThanThreads) {
  const std::vector<int> all = allowed_cpus();
  on_a_thread([&] {
    set_affinity_of_this_thread({all.front()});
    WorkerPool pool(3);  // more threads than the one CPU this thread may use: they share it
    std::atomic<int> ran{0};
    pool.run(3, [&](unsigned) { ran.fetch_add(1); });
    EXPECT_EQ(ran.load(), 3);
    EXPECT_EQ(affinity_of_this_thread(), std::vector<int>{all.front()});
  });
}

}  // namespace
}  // namespace shardwise
