// The sweep: depthwise convs on every sharding and arch against the double-precision
// reference. CI runs a deterministic sample; SHARDWISE_FULL_SWEEP=1 (make sweep) runs
// the whole cross product.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cstdlib>

#include <fmt/format.h>

#include "conv2d_runner.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {
namespace {

struct SweepCase {
  std::uint32_t channels, height, width, kh, kw, stride;
  std::array<std::uint32_t, 4> padding;  // t, b, l, r
  std::uint32_t batch;
  TensorMemoryLayout layout;
  const char* arch;
  DataType dtype;
};

std::string case_name(const ::testing::TestParamInfo<SweepCase>& info) {
  const SweepCase& c = info.param;
  return fmt::format("{}_c{}_{}x{}_k{}x{}_s{}_p{}{}{}{}_n{}_{}_{}", info.index, c.channels, c.height, c.width, c.kh, c.kw,
                     c.stride, c.padding[0], c.padding[1], c.padding[2], c.padding[3], c.batch,
                     c.layout == TensorMemoryLayout::HEIGHT_SHARDED ? "height" : "width", c.arch) +
         (c.dtype == DataType::FLOAT32 ? "_f32" : "_bf16");
}

std::vector<SweepCase> sweep_cases() {
  std::vector<SweepCase> all;
  const std::array<std::uint32_t, 4> paddings[] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}, {0, 1, 2, 1}};
  const std::pair<std::uint32_t, std::uint32_t> images[] = {{1, 9}, {4, 8}, {7, 7}, {8, 8}, {13, 11}};
  const std::pair<std::uint32_t, std::uint32_t> kernels[] = {{3, 3}, {5, 5}, {1, 3}, {3, 1}};
  for (std::uint32_t channels : {8u, 16u, 32u, 48u, 64u, 96u, 144u})
    for (auto [h, w] : images)
      for (auto [kh, kw] : kernels)
        for (std::uint32_t stride : {1u, 2u})
          for (const auto& pad : paddings)
            for (std::uint32_t batch : {1u, 2u, 3u})
              for (auto layout : {TensorMemoryLayout::HEIGHT_SHARDED, TensorMemoryLayout::WIDTH_SHARDED})
                for (const char* arch : {"wormhole_b0", "blackhole", "host"})
                  for (DataType dtype : {DataType::BFLOAT16, DataType::FLOAT32}) {
                    if (kh > h + pad[0] + pad[1] || kw > w + pad[2] + pad[3]) continue;
                    all.push_back({channels, h, w, kh, kw, stride, pad, batch, layout, arch, dtype});
                  }
  const char* full = std::getenv("SHARDWISE_FULL_SWEEP");
  if (full && std::string(full) == "1") return all;
  // A deterministic sample that still visits every value of every dimension: a
  // stride coprime with the sizes of the dimensions walks the cross product.
  std::vector<SweepCase> sample;
  const std::size_t count = 160, step = 997;
  for (std::size_t i = 0; i < count; ++i) sample.push_back(all[(i * step) % all.size()]);
  return sample;
}

ConvCase conv_case_of(const SweepCase& s) {
  ConvCase c;
  c.arch = s.arch;
  c.params.batch = s.batch;
  c.params.in_channels = c.params.out_channels = c.params.groups = s.channels;
  c.params.input_height = s.height;
  c.params.input_width = s.width;
  c.params.kernel_h = s.kh;
  c.params.kernel_w = s.kw;
  c.params.stride_h = c.params.stride_w = s.stride;
  c.params.pad_top = s.padding[0];
  c.params.pad_bottom = s.padding[1];
  c.params.pad_left = s.padding[2];
  c.params.pad_right = s.padding[3];
  c.config.shard_layout = s.layout;
  c.dtype = s.dtype;
  c.config.weights_dtype = s.dtype;
  c.config.numerics = Numerics::EXACT;  // the data flow, to float32's tolerance (chip numerics: test_conv2d_chip_numerics.cpp)
  c.bias = s.channels % 3 == 0;
  c.seed = s.channels * 7 + s.height;
  return c;
}

class Conv2dSweep : public ::testing::TestWithParam<SweepCase> {};

TEST_P(Conv2dSweep, MatchesTheReference) {
  const SweepCase& s = GetParam();
  const ConvRun run = run_conv_case(conv_case_of(s));
  const auto& r = run.comparison;
  RecordProperty("pcc", fmt::format("{:.9f}", r.pcc));
  RecordProperty("norm_max_err", fmt::format("{:.3e}", r.norm_max_err));
  RecordProperty("max_abs_err", fmt::format("{:.3e}", r.max_abs_err));
  if (s.dtype == DataType::BFLOAT16) {
    EXPECT_GE(r.pcc, 0.9999);
    EXPECT_LE(r.norm_max_err, 0.004);
  } else {
    EXPECT_LE(r.norm_max_err, 1e-5);
  }
}

INSTANTIATE_TEST_SUITE_P(Sampled, Conv2dSweep, ::testing::ValuesIn(sweep_cases()), case_name);

// Chip numerics on the sample's bfloat16 chip-preset cases: TT-NN's default compute
// config (HiFi4, fp32 Dst) keeps the PCC >= 0.999; LoFi (5 bits of each activation and
// of each packed product) is measurably worse on every case that has work to lose.
TEST(ChipNumericsSweep, HiFi4KeepsBfloat16Above0999AndLoFiIsWorse) {
  std::size_t runs = 0, lofi_worse = 0;
  for (const SweepCase& s : sweep_cases()) {
    if (std::string(s.arch) == "host" || s.dtype != DataType::BFLOAT16) continue;
    ConvCase c = conv_case_of(s);
    c.config.numerics = Numerics::CHIP;
    const ConvRun hifi4 = run_conv_case(c);
    c.config.math_fidelity = MathFidelity::LOFI;
    const ConvRun lofi = run_conv_case(c);
    SCOPED_TRACE(case_name(testing::TestParamInfo<SweepCase>(s, runs)));
    EXPECT_GE(hifi4.comparison.pcc, 0.999);
    // A window that lies wholly in padding (1x3 kernels on a 1-row image, stride 2)
    // gives all-zero outputs in every fidelity: nothing to lose.
    if (hifi4.comparison.max_abs_err == 0.0 && lofi.comparison.max_abs_err == 0.0) continue;
    EXPECT_LT(lofi.comparison.pcc, hifi4.comparison.pcc);
    lofi_worse += lofi.comparison.pcc < hifi4.comparison.pcc;
    ++runs;
  }
  EXPECT_GT(runs, 40u);
  EXPECT_EQ(lofi_worse, runs);
}

// The sample's host-preset cases once per SIMD target this CPU supports (the host
// program picks its row microkernels by Highway's dispatch, restricted here, with the
// AVX512_BF16 pair kernels turned off), then once more with the pair kernels asked for
// where the CPU has them: every path the machine can run is checked end to end, not
// only the one it would choose.
TEST(HostSweep, EveryDispatchTargetMatchesTheReference) {
  struct Restore {
    ~Restore() {
      hwy::SetSupportedTargetsForTest(0);
      unsetenv("SHARDWISE_BF16_PAIRS");
    }
  } restore;
  std::size_t runs = 0, pair_runs = 0;
  const auto check = [&](const std::string& path, const SweepCase& s, const std::string& expected_kernel) {
    const ConvRun run = run_conv_case(conv_case_of(s));
    SCOPED_TRACE(path + " " + case_name(testing::TestParamInfo<SweepCase>(s, 0)));
    const std::string& kernel = run.result.plan->host_microkernel;
    if (!expected_kernel.empty()) {
      EXPECT_NE(kernel.find(expected_kernel), std::string::npos) << kernel;
    }
    pair_runs += kernel.find("bf16pairs") != std::string::npos ? 1 : 0;
    if (s.dtype == DataType::BFLOAT16) {
      EXPECT_GE(run.comparison.pcc, 0.9999);
      EXPECT_LE(run.comparison.norm_max_err, 0.004);
    } else {
      EXPECT_LE(run.comparison.norm_max_err, 1e-5);
    }
    ++runs;
  };
  setenv("SHARDWISE_BF16_PAIRS", "0", 1);
  for (const std::int64_t target : dw_row_targets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (const SweepCase& s : sweep_cases()) {
      if (std::string(s.arch) == "host") check(hwy::TargetName(target), s, hwy::TargetName(target));
    }
    if (HasFailure()) return;
  }
  hwy::SetSupportedTargetsForTest(0);
  EXPECT_EQ(pair_runs, 0u);
  if (dw_row_bf16_pairs_supported()) {
    setenv("SHARDWISE_BF16_PAIRS", "1", 1);
    for (const SweepCase& s : sweep_cases()) {
      if (std::string(s.arch) == "host") check("AVX512_BF16 pairs", s, "");
    }
    EXPECT_GT(pair_runs, 0u);
  }
  EXPECT_GT(runs, 0u);
}

}  // namespace
}  // namespace shardwise

namespace shardwise {
namespace {

// Beyond the first sweep: BLOCK, dilation, kernels over 32 positions, wide channel
// counts, TILE output, every activation, bias on and off, bfloat16 accumulation.
struct ExtendedCase {
  std::uint32_t channels, height, width, kh, kw, dilation, stride, padding;
  TensorMemoryLayout layout;
  ShardOrientation orientation;
  const char* arch;
  Activation activation;
  bool bias;
  Layout output_layout;
  bool bf16_accumulation;
};

std::vector<ExtendedCase> extended_cases() {
  std::vector<ExtendedCase> all;
  const std::pair<std::uint32_t, std::uint32_t> images[] = {{7, 7}, {13, 11}, {20, 18}};
  const std::pair<std::uint32_t, std::uint32_t> kernels[] = {{3, 3}, {5, 5}, {7, 7}, {9, 9}, {1, 49}};
  const Activation activations[] = {Activation::NONE, Activation::RELU, Activation::RELU6, Activation::SILU, Activation::GELU};
  // Every structural combination (channels x image x kernel x dilation x stride x
  // layout/orientation x arch) runs with 4 of the 40 epilogues (activation x bias x
  // output layout x bf16 accumulation), rotated so that each epilogue meets every
  // layout, arch and kernel many times: the epilogue is per output element and does
  // not interact with how the work is split, so its full cross product would only
  // repeat the same data flow 10 more times.
  constexpr std::uint32_t kEpilogues = 40, kEpiloguesPerCombination = 4;
  std::uint32_t combination = 0;
  for (std::uint32_t channels : {32u, 200u, 300u, 520u, 1152u})
    for (auto [h, w] : images)
      for (auto [kh, kw] : kernels)
        for (std::uint32_t dilation : {1u, 2u, 3u})
          for (std::uint32_t stride : {1u, 2u})
            for (auto layout : {TensorMemoryLayout::HEIGHT_SHARDED, TensorMemoryLayout::WIDTH_SHARDED, TensorMemoryLayout::BLOCK_SHARDED})
              for (auto orientation : {ShardOrientation::ROW_MAJOR, ShardOrientation::COL_MAJOR})
                // Layers whose smallest stick slice does not fit L1 (HEIGHT with > 256
                // channels under tall dilated windows, the host preset's few cores) run
                // in channel passes.
                for (const char* arch : {"wormhole_b0", "blackhole", "host"}) {
                  if (orientation == ShardOrientation::COL_MAJOR && layout != TensorMemoryLayout::BLOCK_SHARDED) continue;
                  const std::uint32_t pad = ((kh - 1) * dilation) / 2;
                  const std::uint32_t pad_w = ((kw - 1) * dilation) / 2;
                  if ((kh - 1) * dilation + 1 > h + 2 * pad || (kw - 1) * dilation + 1 > w + 2 * pad_w) continue;
                  for (std::uint32_t j = 0; j < kEpiloguesPerCombination; ++j) {
                    const std::uint32_t e = (combination * 7 + j * (kEpilogues / kEpiloguesPerCombination)) % kEpilogues;
                    all.push_back({channels, h, w, kh, kw, dilation, stride, pad, layout, orientation, arch, activations[e % 5],
                                   (e / 5) % 2 == 1, (e / 10) % 2 == 1 ? Layout::TILE : Layout::ROW_MAJOR, (e / 20) % 2 == 1});
                  }
                  ++combination;
                }
  const char* full = std::getenv("SHARDWISE_FULL_SWEEP");
  if (full && std::string(full) == "1") return all;
  std::vector<ExtendedCase> sample;
  const std::size_t count = 300, step = 7919;
  for (std::size_t i = 0; i < count; ++i) sample.push_back(all[(i * step) % all.size()]);
  return sample;
}

std::string extended_name(const ::testing::TestParamInfo<ExtendedCase>& info) {
  const ExtendedCase& c = info.param;
  const char* layout = c.layout == TensorMemoryLayout::HEIGHT_SHARDED ? "height" : c.layout == TensorMemoryLayout::WIDTH_SHARDED ? "width" : "block";
  return fmt::format("{}_c{}_{}x{}_k{}x{}_d{}_s{}_{}{}_{}_{}{}{}{}", info.index, c.channels, c.height, c.width, c.kh, c.kw, c.dilation,
                     c.stride, layout, c.orientation == ShardOrientation::COL_MAJOR ? "_col" : "", c.arch,
                     to_string(c.activation), c.bias ? "_bias" : "", c.output_layout == Layout::TILE ? "_tile" : "",
                     c.bf16_accumulation ? "_bf16acc" : "");
}

class ExtendedSweep : public ::testing::TestWithParam<ExtendedCase> {};

TEST_P(ExtendedSweep, MatchesTheReference) {
  const ExtendedCase& e = GetParam();
  ConvCase c;
  c.arch = e.arch;
  c.params.in_channels = c.params.out_channels = c.params.groups = e.channels;
  c.params.input_height = e.height;
  c.params.input_width = e.width;
  c.params.kernel_h = e.kh;
  c.params.kernel_w = e.kw;
  c.params.dilation_h = c.params.dilation_w = e.dilation;
  c.params.stride_h = c.params.stride_w = e.stride;
  c.params.pad_top = c.params.pad_bottom = ((e.kh - 1) * e.dilation) / 2;
  c.params.pad_left = c.params.pad_right = ((e.kw - 1) * e.dilation) / 2;
  c.config.shard_layout = e.layout;
  c.config.orientation = e.orientation;
  c.config.activation = e.activation;
  c.config.output_layout = e.output_layout;
  c.config.bfloat16_accumulation = e.bf16_accumulation;
  c.config.numerics = Numerics::EXACT;
  c.bias = e.bias;
  c.seed = e.channels + e.kh * 10 + e.dilation;
  const ConvRun run = run_conv_case(c);
  RecordProperty("pcc", fmt::format("{:.9f}", run.comparison.pcc));
  RecordProperty("norm_max_err", fmt::format("{:.3e}", run.comparison.norm_max_err));
  RecordProperty("max_abs_err", fmt::format("{:.3e}", run.comparison.max_abs_err));
  if (e.bf16_accumulation) {
    EXPECT_GE(run.comparison.pcc, 0.999);  // every add rounds to bfloat16: K roundings per output
  } else {
    EXPECT_GE(run.comparison.pcc, 0.9999);
    EXPECT_LE(run.comparison.norm_max_err, 0.004);
  }
}

INSTANTIATE_TEST_SUITE_P(Sampled, ExtendedSweep, ::testing::ValuesIn(extended_cases()), extended_name);

}  // namespace
}  // namespace shardwise
