// Device-model overheads: a CB page handshake between two kernels, launching an empty
// program (one kernel per role on every core) on the wormhole_b0 grid and on the host
// preset, and the worker pool's dispatch round trip.
#include <benchmark/benchmark.h>

#include "device/device.hpp"
#include "device/kernel_context.hpp"
#include "device/program.hpp"
#include "device/worker_pool.hpp"

namespace shardwise {
namespace {

struct PageCount {
  std::uint32_t pages;
};

KernelCoroutine producer(KernelContext& ctx) {
  const std::uint32_t pages = ctx.compile_args<PageCount>().pages;
  for (std::uint32_t i = 0; i < pages; ++i) {
    co_await ctx.cb_reserve_back(0, 1);
    ctx.cb_push_back(0, 1);
  }
}

KernelCoroutine consumer(KernelContext& ctx) {
  const std::uint32_t pages = ctx.compile_args<PageCount>().pages;
  for (std::uint32_t i = 0; i < pages; ++i) {
    co_await ctx.cb_wait_front(0, 1);
    ctx.cb_pop_front(0, 1);
  }
}

// One reserve/push/wait/pop round per page through a 2-page CB on one core.
void BM_CbPageHandshake(benchmark::State& state) {
  Device device(arch_preset("wormhole_b0"));
  const std::uint32_t pages = 1'000'000;
  const CoreRangeSet core{{CoreRange{{0, 0}, {0, 0}}}};
  for (auto _ : state) {
    Program program("handshake");
    program.add_circular_buffer(core, CircularBufferConfig{0, 64, 2, DataType::BFLOAT16, nullptr});
    program.add_kernel("producer", KernelRole::READER, core, producer, PageCount{pages});
    program.add_kernel("consumer", KernelRole::COMPUTE, core, consumer, PageCount{pages});
    device.run(program);
  }
  state.SetItemsProcessed(state.iterations() * pages);
  state.counters["ns_per_page"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * pages, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CbPageHandshake)->Unit(benchmark::kMillisecond)->UseRealTime();

KernelCoroutine empty_kernel(KernelContext&) { co_return; }

void launch_empty(benchmark::State& state, const char* arch) {
  Device device(arch_preset(arch));
  const CoreRangeSet grid{{CoreRange{{0, 0}, {device.arch().grid_x - 1, device.arch().grid_y - 1}}}};
  for (auto _ : state) {
    Program program("empty");
    program.add_kernel("reader", KernelRole::READER, grid, empty_kernel);
    program.add_kernel("writer", KernelRole::WRITER, grid, empty_kernel);
    program.add_kernel("compute", KernelRole::COMPUTE, grid, empty_kernel);
    device.run(program);
  }
  state.counters["cores"] = device.arch().num_cores();
}

void BM_LaunchEmptyProgram_Wormhole8x8(benchmark::State& state) { launch_empty(state, "wormhole_b0"); }
void BM_LaunchEmptyProgram_Host(benchmark::State& state) { launch_empty(state, "host"); }
BENCHMARK(BM_LaunchEmptyProgram_Wormhole8x8)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_LaunchEmptyProgram_Host)->Unit(benchmark::kMicrosecond)->UseRealTime();

// One WorkerPool::run with an empty job on every thread: the dispatch and join a host
// launch pays before any kernel runs.
void BM_WorkerPoolRoundTrip(benchmark::State& state) {
  WorkerPool pool(static_cast<unsigned>(state.range(0)));
  std::atomic<unsigned> calls{0};
  const std::function<void(unsigned)> job = [&](unsigned) { calls.fetch_add(1, std::memory_order_relaxed); };
  for (auto _ : state) pool.run(pool.size(), job);
  benchmark::DoNotOptimize(calls.load());
}
BENCHMARK(BM_WorkerPoolRoundTrip)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kNanosecond)->UseRealTime();

}  // namespace
}  // namespace shardwise

BENCHMARK_MAIN();
