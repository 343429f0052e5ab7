// The host row microkernels alone (microkernels/dwconv_row.hpp), on one thread with
// the data in cache: GFLOP/s per dtype, kernel size and SIMD target, so a kernel change
// is measured apart from the device model around it.
#include <benchmark/benchmark.h>

#include <hwy/targets.h>

#include <vector>

#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {
namespace {

// One output row of width 56 with C channels and a k x k window, stride 1, padding k/2.
void BM_DwRow(benchmark::State& state, DataType dtype, std::int64_t target) {
  const std::uint32_t C = static_cast<std::uint32_t>(state.range(0)), k = static_cast<std::uint32_t>(state.range(1)), W = 56;
  const std::uint32_t Cpad = (C + kPackedChannelAlign - 1) / kPackedChannelAlign * kPackedChannelAlign;
  const std::size_t es = dtype == DataType::FLOAT32 ? 4 : 2;
  std::vector<std::uint8_t> input(std::size_t{k} * W * C * es, 0x3f), output(std::size_t{W} * C * es);
  std::vector<float> weights(std::size_t{k * k + 1} * Cpad, 0.5f);
  std::vector<const void*> rows(k);
  for (std::uint32_t r = 0; r < k; ++r) rows[r] = input.data() + std::size_t{r} * W * C * es;
  DwRowShape shape{k, 1, 1, W, k / 2, W, C, C, Cpad};
  const DwRowCall call{rows.data(), k, weights.data(), weights.data() + std::size_t{k} * k * Cpad, output.data(), C};
  const DwRowMicrokernel kernel = select_dw_row_microkernel(dtype, dtype, Activation::NONE, target);
  state.SetLabel(kernel.name);
  for (auto _ : state) {
    kernel.fn(shape, call);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * W * C * k * k * 2,
                                                 benchmark::Counter::kIsRate);
}

void register_all() {
  for (std::int64_t target : dw_row_targets())
    for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16})
      benchmark::RegisterBenchmark((std::string("DwRow/") + hwy::TargetName(target) + "/" + (dtype == DataType::FLOAT32 ? "f32" : "bf16")).c_str(),
                                   BM_DwRow, dtype, target)
          ->Args({32, 3})->Args({144, 3})->Args({576, 3})->Args({120, 5})->Args({96, 7});
}

}  // namespace
}  // namespace shardwise

int main(int argc, char** argv) {
  shardwise::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
}
