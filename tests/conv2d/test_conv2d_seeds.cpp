// The seeds' cases, end to end against the reference.
#include <gtest/gtest.h>

#include "conv2d_runner.hpp"

namespace shardwise {
namespace {

ConvCase seed_case(std::uint32_t channels, std::uint32_t h, std::uint32_t w, TensorMemoryLayout layout, std::uint32_t cores) {
  ConvCase c;
  c.params.in_channels = c.params.out_channels = c.params.groups = channels;
  c.params.input_height = h;
  c.params.input_width = w;
  c.params.kernel_h = c.params.kernel_w = 3;
  c.params.pad_top = c.params.pad_bottom = c.params.pad_left = c.params.pad_right = 1;
  c.config.shard_layout = layout;
  c.config.num_cores = cores;
  return c;
}

void expect_close(const ConvRun& run, const char* what) {
  EXPECT_GE(run.comparison.pcc, 0.9999) << what;
  EXPECT_LE(run.comparison.norm_max_err, 0.004) << what;
}

TEST(Conv2dSeeds, Height64Channels8x8TwoCores) {
  const ConvRun run = run_conv_case(seed_case(64, 8, 8, TensorMemoryLayout::HEIGHT_SHARDED, 2));
  EXPECT_EQ(run.result.plan.parallel.num_cores(), 2u);
  EXPECT_EQ(run.result.plan.parallel.shard_height, 32u);
  expect_close(run, "HEIGHT 64ch");
}

TEST(Conv2dSeeds, Width64Channels8x8TwoCores) {
  const ConvRun run = run_conv_case(seed_case(64, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 2));
  EXPECT_EQ(run.result.plan.cores[1].weight_start_tile, 1u);
  expect_close(run, "WIDTH 64ch");
}

TEST(Conv2dSeeds, Width128Channels4Cores) {
  const ConvRun run = run_conv_case(seed_case(128, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 4));
  expect_close(run, "WIDTH 128ch");
}

TEST(Conv2dSeeds, Width48ChannelsSplit32And16) {
  const ConvRun run = run_conv_case(seed_case(48, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 2));
  EXPECT_EQ(run.result.plan.parallel.shard_channels(0, 48), 32u);
  EXPECT_EQ(run.result.plan.parallel.shard_channels(1, 48), 16u);
  expect_close(run, "WIDTH 48ch");
}

TEST(Conv2dSeeds, WidthWithRelu) {
  ConvCase c = seed_case(64, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 2);
  c.config.activation = Activation::RELU;
  expect_close(run_conv_case(c), "WIDTH relu");
}

}  // namespace
}  // namespace shardwise
