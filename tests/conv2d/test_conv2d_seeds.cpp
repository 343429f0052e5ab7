// The seeds' cases, end to end against the reference.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

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
  EXPECT_EQ(run.result.plan->parallel.num_cores(), 2u);
  EXPECT_EQ(run.result.plan->slices.front().shard_height, 32u);
  expect_close(run, "HEIGHT 64ch");
}

TEST(Conv2dSeeds, Width64Channels8x8TwoCores) {
  const ConvRun run = run_conv_case(seed_case(64, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 2));
  EXPECT_EQ(run.result.plan->cores()[1].weight_start_tile, 1u);
  expect_close(run, "WIDTH 64ch");
}

TEST(Conv2dSeeds, Width128Channels4Cores) {
  const ConvRun run = run_conv_case(seed_case(128, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 4));
  expect_close(run, "WIDTH 128ch");
}

TEST(Conv2dSeeds, Width48ChannelsSplit32And16) {
  const ConvRun run = run_conv_case(seed_case(48, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 2));
  EXPECT_EQ(run.result.plan->parallel.shard_channels(0, 48), 32u);
  EXPECT_EQ(run.result.plan->parallel.shard_channels(1, 48), 16u);
  expect_close(run, "WIDTH 48ch");
}

TEST(Conv2dSeeds, WidthWithRelu) {
  ConvCase c = seed_case(64, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 2);
  c.config.activation = Activation::RELU;
  expect_close(run_conv_case(c), "WIDTH relu");
}

}  // namespace
}  // namespace shardwise

namespace shardwise {
namespace {

// The halo reads sharded inputs from the cores that hold them.
class ShardedInput : public ::testing::TestWithParam<TensorMemoryLayout> {};

TEST_P(ShardedInput, MatchesTheReference) {
  ConvCase c = seed_case(96, 10, 6, TensorMemoryLayout::HEIGHT_SHARDED, 3);
  c.params.batch = 2;
  c.bias = true;
  const std::uint32_t sticks = 2 * 10 * 6;  // 120
  switch (GetParam()) {
    case TensorMemoryLayout::HEIGHT_SHARDED:
      c.input_memory = MemoryConfig::sharded(GetParam(), ShardSpec{CoreRangeSet::first_cores_row_wise(4, 8), {32, 96}});
      break;
    case TensorMemoryLayout::WIDTH_SHARDED:
      c.input_memory = MemoryConfig::sharded(GetParam(), ShardSpec{CoreRangeSet::first_cores_row_wise(3, 8), {sticks, 32}});
      break;
    default:
      c.input_memory = MemoryConfig::sharded(GetParam(), ShardSpec{CoreRangeSet{{CoreRange{{2, 3}, {4, 4}}}}, {64, 32}});
  }
  const ConvRun run = run_conv_case(c);
  EXPECT_GE(run.comparison.pcc, 0.9999);
  EXPECT_LE(run.comparison.norm_max_err, 0.004);
}

INSTANTIATE_TEST_SUITE_P(Layouts, ShardedInput,
                         ::testing::Values(TensorMemoryLayout::HEIGHT_SHARDED, TensorMemoryLayout::WIDTH_SHARDED,
                                           TensorMemoryLayout::BLOCK_SHARDED),
                         [](const ::testing::TestParamInfo<TensorMemoryLayout>& info) { return std::string(to_string(info.param)); });

TEST(Conv2dDprint, ReaderPrintsItsWeightTileIds) {
  ConvCase c = seed_case(64, 8, 8, TensorMemoryLayout::WIDTH_SHARDED, 2);
  std::ostringstream sink;
  c.dprint.cores = {{1, 0}};
  c.dprint.sink = &sink;
  run_conv_case(c);
  EXPECT_NE(sink.str().find("[core (1,0) READER] weight tile 0: global tile id 1"), std::string::npos) << sink.str();
  EXPECT_EQ(sink.str().find("core (0,0)"), std::string::npos) << sink.str();
}

}  // namespace
}  // namespace shardwise
