// The host row microkernels alone (microkernels/dwconv_row.hpp), on one thread with
// the data in cache: GFLOP/s per dtype, kernel size and SIMD target, so a kernel change
// is measured apart from the device model around it.
#include <benchmark/benchmark.h>

#include <hwy/targets.h>

#include <vector>

#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {
namespace {

// One output row with C channels and a k x k window, from an input row of width 56 at
// stride 1 or 2, with padding k/2 (same) or 0 (valid: no tile touches the padding).
void BM_DwRow(benchmark::State& state, DataType dtype, std::int64_t target) {
  const std::uint32_t C = static_cast<std::uint32_t>(state.range(0)), k = static_cast<std::uint32_t>(state.range(1)), W = 56;
  const std::uint32_t stride = static_cast<std::uint32_t>(state.range(2)), pad = state.range(3) ? k / 2 : 0;
  const std::uint32_t Wo = (W + 2 * pad - k) / stride + 1;
  const std::uint32_t Cpad = (C + kPackedChannelAlign - 1) / kPackedChannelAlign * kPackedChannelAlign;
  const std::size_t es = dtype == DataType::FLOAT32 ? 4 : 2;
  std::vector<std::uint8_t> input(std::size_t{k} * W * C * es, 0x3f), output(std::size_t{Wo} * C * es);
  std::vector<float> weights(std::size_t{k * k + 1} * Cpad, 0.5f);
  std::vector<const void*> rows(k);
  for (std::uint32_t r = 0; r < k; ++r) rows[r] = input.data() + std::size_t{r} * W * C * es;
  DwRowShape shape{k, 1, stride, W, pad, Wo, C, C, Cpad};
  const DwRowCall call{rows.data(), k, weights.data(), weights.data() + std::size_t{k} * k * Cpad, output.data(), C};
  const DwRowMicrokernel kernel = select_dw_row_microkernel(DwRowKernelKey{dtype, dtype, Activation::NONE, k, stride, 1}, target);
  state.SetLabel(kernel.name);
  for (auto _ : state) {
    kernel.fn(shape, call);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * Wo * C * k * k * 2,
                                                 benchmark::Counter::kIsRate);
}

void register_all() {
  for (std::int64_t target : dw_row_targets())
    for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16})
      benchmark::RegisterBenchmark((std::string("DwRow/") + hwy::TargetName(target) + "/" + (dtype == DataType::FLOAT32 ? "f32" : "bf16")).c_str(),
                                   BM_DwRow, dtype, target)
          ->ArgNames({"C", "k", "stride", "same"})
          ->Args({32, 3, 1, 1})->Args({144, 3, 1, 1})->Args({576, 3, 1, 1})->Args({120, 5, 1, 1})->Args({96, 7, 1, 1})
          ->Args({96, 3, 2, 1})->Args({144, 5, 2, 1})->Args({144, 3, 1, 0})->Args({96, 7, 1, 0});
}

}  // namespace
}  // namespace shardwise

int main(int argc, char** argv) {
  shardwise::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
}
