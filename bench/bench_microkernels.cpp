// The host row microkernels alone (microkernels/dwconv_row.hpp), on one thread with
// the data in cache: GFLOP/s per dtype, kernel size and SIMD target, so a kernel change
// is measured apart from the device model around it. And the other end: the per-call
// cost of conv2d on the host preset for a conv whose arithmetic is negligible (cached
// program, output allocation, launch, one or two cores), and of the worker pool's
// launch alone. And the chip presets' window in the chip's arithmetic
// (microkernels/dwconv_window_chip.hpp), per output stick.
#include <benchmark/benchmark.h>

#include <fmt/format.h>
#include <hwy/targets.h>

#include <bit>
#include <random>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/bfloat16.hpp"
#include "device/worker_pool.hpp"
#include "numerics/src_unpack.hpp"
#include "ops/conv2d/conv2d.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"
#include "ops/conv2d/microkernels/dwconv_window_chip.hpp"

namespace shardwise {
namespace {

// One output row with C channels and a k x k window, from an input row of width 56 at
// stride 1 or 2, with padding k/2 (same) or 0 (valid: no tile touches the padding).
template <typename T>
T* align64(T* p) {
  return reinterpret_cast<T*>((reinterpret_cast<std::uintptr_t>(p) + 63) / 64 * 64);
}

// target 0 with `pairs`: the AVX512_BF16 pair kernels (bfloat16 only); `two_rows`: the
// two-row kernels (DwRowMicrokernel::two_rows): k + 1 input rows, two output rows.
void BM_DwRow(benchmark::State& state, DataType dtype, std::int64_t target, bool pairs, bool two_rows = false) {
  const std::uint32_t C = static_cast<std::uint32_t>(state.range(0)), k = static_cast<std::uint32_t>(state.range(1));
  const std::uint32_t W = static_cast<std::uint32_t>(state.range(4));
  const std::uint32_t stride = static_cast<std::uint32_t>(state.range(2)), pad = state.range(3) ? k / 2 : 0;
  const std::uint32_t Wo = (W + 2 * pad - k) / stride + 1;
  const std::uint32_t Cpad = (C + kPackedChannelAlign - 1) / kPackedChannelAlign * kPackedChannelAlign;
  const std::size_t es = dtype == DataType::FLOAT32 ? 4 : 2;
  // Cache-line aligned, as the device's buffers are.
  std::vector<std::uint8_t> input_storage(std::size_t{k + 1} * W * C * es + 64, 0x3f), output_storage(2 * std::size_t{Wo} * C * es + 64);
  std::vector<float> weights_storage(std::size_t{2 * (k * k + 1)} * Cpad + 16, 0.5f);  // room for the even/odd or pair copy
  std::uint8_t* const input = align64(input_storage.data());
  std::uint8_t* const output = align64(output_storage.data());
  float* const weights = align64(weights_storage.data());
  std::vector<const void*> rows(k + 1);  // the two-row kernels read one more
  for (std::uint32_t r = 0; r <= k; ++r) rows[r] = input + std::size_t{r} * W * C * es;
  // As the host program packs them: bfloat16 with the even/odd copy, or the pair copy.
  const std::uint64_t pair_weights = pairs ? std::uint64_t{k * k + 1} * Cpad : 0;
  const std::uint64_t even_odd_weights = !pairs && dtype == DataType::BFLOAT16 ? std::uint64_t{k * k + 1} * Cpad : 0;
  if (even_odd_weights) {
    std::vector<float> packed(weights, weights + even_odd_weights);
    pack_even_odd_weights(std::vector<float>(packed), C, Cpad, packed);
    std::copy(packed.begin(), packed.end(), weights);
  }
  if (pairs) {
    std::vector<float> packed(weights, weights + pair_weights);
    if (!pack_bf16_pair_weights(std::vector<float>(packed), k, k, C, Cpad, packed)) state.SkipWithError("weights not bfloat16");
    std::copy(packed.begin(), packed.end(), weights);
  }
  DwRowShape shape{k, 1, stride, W, pad, Wo, C, C, Cpad, even_odd_weights, pair_weights};
  DwRowCall call{rows.data(), k, weights, weights + std::size_t{k} * k * Cpad, output, C};
  call.second_out = std::uint64_t{Wo} * C;
  const DwRowMicrokernel kernel = select_dw_row_microkernel(DwRowKernelKey{dtype, dtype, Activation::NONE, k, stride, 1, pairs}, target);
  const DwRowFn fn = two_rows ? kernel.two_rows : kernel.fn;
  if (fn == nullptr) {  // AVX2 has two-row kernels for 3-wide windows only
    state.SkipWithError("no two-row kernel for this width on this target");
    return;
  }
  state.SetLabel(two_rows ? kernel.two_rows_name : kernel.name);
  for (auto _ : state) {
    fn(shape, call);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * Wo * C * k * k * 2 * (two_rows ? 2 : 1),
                                                 benchmark::Counter::kIsRate);
}

// One output stick of a K-position window over P channels in the chip's arithmetic
// (wormhole_b0's default: HiFi4, fp32 Dst, bfloat16 in and out, bias, relu6), as the
// chip presets' compute kernel calls it: normally distributed activations and weights
// (products over many binades, as real layers have), the same window every call (in
// L1). "windows/s" counts output sticks.
void BM_ChipWindow(benchmark::State& state) {
  const std::uint32_t K = static_cast<std::uint32_t>(state.range(0)), P = static_cast<std::uint32_t>(state.range(1));
  const ChipWindowShape shape{K, P, ChipMath{MathFidelity::HIFI4, true}, DataType::BFLOAT16, DataType::BFLOAT16, Activation::RELU6};
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::uint16_t> window(std::size_t{K} * P);
  std::vector<std::uint32_t> weights(std::size_t{K} * P), bias(P), products(std::size_t{K} * kChipProductLanes);
  for (auto& x : window) x = bfloat16::from_float(normal(rng)).bits;
  for (auto& w : weights) w = src_from_bfloat16(bfloat16::from_float(0.1f * normal(rng)).bits);
  for (auto& b : bias) b = src_from_float32(std::bit_cast<std::uint32_t>(normal(rng)), true);
  const ChipWeightTable table = make_chip_weight_table(weights.data(), weights.size(), shape.math);
  std::vector<float> out(P);
  for (auto _ : state) {
    dw_window_chip(window.data(), weights.data(), bias.data(), shape, table, products.data(), out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["windows/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["ns/channel/position"] = benchmark::Counter(static_cast<double>(state.iterations()) * K * P,
                                                             benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// conv2d on a 4x4x32 input (3x3, padding 1: 9 KFLOP) with prepared weights, the input
// on the device, the program cached after the first call: what a call costs besides
// its arithmetic.
void BM_HostConvCall(benchmark::State& state) {
  const unsigned threads = static_cast<unsigned>(state.range(0));
  Device device(arch_preset("host", ArchOverrides{threads, std::nullopt, std::nullopt}), DeviceOptions{{}, threads, std::nullopt});
  Conv2dParams p;
  p.in_channels = p.out_channels = p.groups = 32;
  p.input_height = p.input_width = 4;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  Conv2dConfig config;
  config.weights_dtype = DataType::FLOAT32;
  const std::vector<float> x(4 * 4 * 32, 1.0f), w(32 * 9, 0.5f), b(32, 0.0f);
  const DeviceTensor input = to_device(Tensor::from_vector(x, Shape{1, 1, 16, 32}), device, MemoryConfig::dram_interleaved(), "input");
  const PreparedWeights prepared = prepare_depthwise_weights(device, Tensor::from_vector(w, Shape{32, 1, 3, 3}), Tensor::from_vector(b, Shape{32}),
                                                             conv2d_parallel_config(p, config, device.arch()).channel_shards(), config.weights_dtype);
  for (auto _ : state) {
    Conv2dResult result = conv2d(input, prepared, device, p, config);
    benchmark::DoNotOptimize(result.output.buffer.get());
  }
  state.SetLabel(fmt::format("{} core(s), cache hits {} misses {}", threads, device.program_cache().hits(), device.program_cache().misses()));
}

// An empty job on two threads: the launch's round trip between the caller's core and
// the worker's (release, run, completion seen), what every two-core conv pays.
void BM_WorkerPoolRun(benchmark::State& state) {
  WorkerPool pool(2);
  std::atomic<std::uint64_t> runs{0};
  const std::function<void(unsigned)> job = [&](unsigned i) {
    if (i == 1) runs.fetch_add(1, std::memory_order_relaxed);
  };
  for (auto _ : state) pool.run(2, job);
  if (runs.load() != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("the worker missed runs");
}

#if defined(__x86_64__)
// Instruction throughput of VDPBF16PS against VFMADD231PS (512-bit, 12 independent
// accumulators, one core): why the AVX512_BF16 pair kernels are not the default
// (DESIGN.md). Each instruction counts once in "Ginstr/s".
#define SHARDWISE_TWELVE(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11)
#define SHARDWISE_DECLARE(i) __m512 a##i = _mm512_set1_ps(static_cast<float>(i));
#define SHARDWISE_SUM(i) s = _mm512_add_ps(s, a##i);
// The sum of every accumulator, returned: keeps them all live.
#define SHARDWISE_RETURN_ALL_LIVE     \
  __m512 s = _mm512_setzero_ps();     \
  SHARDWISE_TWELVE(SHARDWISE_SUM)     \
  float lanes[16];                    \
  _mm512_storeu_ps(lanes, s);         \
  return lanes[0] + lanes[15];
__attribute__((target("avx512f,avx512bf16"))) float dpbf16_loop(std::int64_t n) {
  SHARDWISE_TWELVE(SHARDWISE_DECLARE)
  const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(0x3f803f80)), y = reinterpret_cast<__m512bh>(_mm512_setzero_si512());
  for (std::int64_t k = 0; k < n; ++k) {
#define SHARDWISE_DP(i) a##i = _mm512_dpbf16_ps(a##i, x, y);
    SHARDWISE_TWELVE(SHARDWISE_DP)
  }
  SHARDWISE_RETURN_ALL_LIVE
}
__attribute__((target("avx512f,fma"))) float fma_loop(std::int64_t n) {
  SHARDWISE_TWELVE(SHARDWISE_DECLARE)
  const __m512 x = _mm512_set1_ps(1.0f), y = _mm512_setzero_ps();
  for (std::int64_t k = 0; k < n; ++k) {
#define SHARDWISE_FMA(i) a##i = _mm512_fmadd_ps(a##i, x, y);
    SHARDWISE_TWELVE(SHARDWISE_FMA)
  }
  SHARDWISE_RETURN_ALL_LIVE
}

// The same FMAs, each with a 64-byte load of its own as the memory operand (12 lines
// per round, 16 rounds' worth of them cycled: 12 KiB, in L1): how much a load per FMA
// costs, what the row kernels' loads per FMA are weighed against (DESIGN.md).
__attribute__((target("avx512f,fma"))) float fma_load_loop(std::int64_t n) {
  alignas(64) static float lines[16 * 12 * 16];
  SHARDWISE_TWELVE(SHARDWISE_DECLARE)
  const __m512 w = _mm512_set1_ps(1.0f);
  for (std::int64_t k = 0; k < n; ++k) {
    const float* p = lines + (k & 15) * 12 * 16;
#define SHARDWISE_FMA_LOAD(i) a##i = _mm512_fmadd_ps(_mm512_load_ps(p + (i) * 16), w, a##i);
    SHARDWISE_TWELVE(SHARDWISE_FMA_LOAD)
  }
  SHARDWISE_RETURN_ALL_LIVE
}

void BM_InstructionRate(benchmark::State& state, float (*loop)(std::int64_t)) {
  constexpr std::int64_t kIterations = 1 << 16;
  for (auto _ : state) benchmark::DoNotOptimize(loop(kIterations));
  state.counters["Ginstr/s"] = benchmark::Counter(static_cast<double>(state.iterations()) * kIterations * 12 / 1e9, benchmark::Counter::kIsRate);
}
#endif

void register_all() {
  benchmark::RegisterBenchmark("HostConvCall", BM_HostConvCall)->ArgName("cores")->Arg(1)->Arg(2)->UseRealTime();
  benchmark::RegisterBenchmark("WorkerPoolRun/threads:2", BM_WorkerPoolRun)->UseRealTime();
  // 3x3, 5x5 and 7x7 windows over 96 channels (convnext_12's 7x7: 49 rows in four faces).
  benchmark::RegisterBenchmark("ChipWindow", BM_ChipWindow)->ArgNames({"K", "P"})->Args({9, 96})->Args({25, 96})->Args({49, 96});
  const auto cases = [](benchmark::internal::Benchmark* b) {
    b->ArgNames({"C", "k", "stride", "same", "W"})
        ->Args({32, 3, 1, 1, 56})->Args({144, 3, 1, 1, 56})->Args({576, 3, 1, 1, 56})->Args({120, 5, 1, 1, 56})->Args({96, 7, 1, 1, 56})
        ->Args({96, 3, 2, 1, 56})->Args({144, 5, 2, 1, 56})->Args({144, 3, 1, 0, 56})->Args({96, 7, 1, 0, 56})
        // Narrow rows (mnv2_5, convnext_15) and one that stays in L1.
        ->Args({960, 3, 1, 1, 7})->Args({768, 7, 1, 1, 7})->Args({64, 3, 1, 1, 14})
        // Stride 2 in L1 (3 x 56 x 32 float32 inputs: 21 KiB).
        ->Args({32, 3, 2, 1, 56})->Args({32, 5, 2, 1, 56})
        // mnv3_7's row: 120 channels, a masked last vector.
        ->Args({120, 5, 1, 1, 28});
  };
  for (std::int64_t target : dw_row_targets())
    for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16}) {
      cases(benchmark::RegisterBenchmark((std::string("DwRow/") + hwy::TargetName(target) + "/" + (dtype == DataType::FLOAT32 ? "f32" : "bf16")).c_str(),
                                         BM_DwRow, dtype, target, false, false));
      // Two output rows per call (float32 input, where the target has them); GFLOP/s
      // counts both rows.
      if (dtype == DataType::FLOAT32 &&
          select_dw_row_microkernel(DwRowKernelKey{dtype, dtype, Activation::NONE, 3, 1, 1}, target).two_rows != nullptr)
        cases(benchmark::RegisterBenchmark((std::string("DwTwoRows/") + hwy::TargetName(target) + "/f32").c_str(), BM_DwRow, dtype, target,
                                           false, true));
    }
  // The AVX512_BF16 pair kernels next to the widening ones (where host_program.cpp takes them: bf16_pairs_suit).
  if (dw_row_bf16_pairs_supported()) {
    cases(benchmark::RegisterBenchmark("DwRow/AVX512BF16/bf16pairs", BM_DwRow, DataType::BFLOAT16, 0, true, false));
#if defined(__x86_64__)
    benchmark::RegisterBenchmark("InstructionRate/vdpbf16ps_zmm", BM_InstructionRate, dpbf16_loop);
    benchmark::RegisterBenchmark("InstructionRate/vfmadd231ps_zmm", BM_InstructionRate, fma_loop);
#endif
  }
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f") && !dw_row_bf16_pairs_supported())
    benchmark::RegisterBenchmark("InstructionRate/vfmadd231ps_zmm", BM_InstructionRate, fma_loop);
  if (__builtin_cpu_supports("avx512f"))
    benchmark::RegisterBenchmark("InstructionRate/vfmadd231ps_zmm_load", BM_InstructionRate, fma_load_loop);
#endif
}

}  // namespace
}  // namespace shardwise

int main(int argc, char** argv) {
  shardwise::register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
}
