// The sweep: depthwise convs on every sharding and arch against the double-precision
// reference. CI runs a deterministic sample; SHARDWISE_FULL_SWEEP=1 (make sweep) runs
// the whole cross product.
#include <gtest/gtest.h>

#include <cstdlib>

#include <fmt/format.h>

#include "conv2d_runner.hpp"

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

class Conv2dSweep : public ::testing::TestWithParam<SweepCase> {};

TEST_P(Conv2dSweep, MatchesTheReference) {
  const SweepCase& s = GetParam();
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
  c.bias = s.channels % 3 == 0;
  c.seed = s.channels * 7 + s.height;
  const ConvRun run = run_conv_case(c);
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

}  // namespace
}  // namespace shardwise
