// How a layer is split when it does not fit L1 in one pass (slices of output sticks,
// then channel passes), the out-of-memory error when nothing fits, and the automatic
// choice of shard layout.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "conv2d_runner.hpp"
#include "core/error.hpp"

namespace shardwise {
namespace {

ConvCase depthwise(std::uint32_t channels, std::uint32_t height, std::uint32_t width, std::uint32_t kernel,
                   std::uint32_t dilation = 1) {
  ConvCase c;
  c.params.in_channels = c.params.out_channels = c.params.groups = channels;
  c.params.input_height = height;
  c.params.input_width = width;
  c.params.kernel_h = c.params.kernel_w = kernel;
  c.params.dilation_h = c.params.dilation_w = dilation;
  c.params.pad_top = c.params.pad_bottom = c.params.pad_left = c.params.pad_right = (kernel - 1) * dilation / 2;
  c.bias = true;
  c.config.activation = Activation::RELU6;
  c.config.numerics = Numerics::EXACT;  // these tests check the data flow, to float32's tolerance
  c.seed = channels + kernel;
  return c;
}

TEST(Conv2dSplits, SticksSliceWhenTheOutputDoesNotFitL1) {
  ConvCase c = depthwise(64, 56, 56, 3);
  c.config.shard_layout = TensorMemoryLayout::HEIGHT_SHARDED;
  c.config.num_cores = 2;
  c.arch_overrides.l1_size = 320 * 1024;
  const ConvRun run = run_conv_case(c);
  const Conv2dPlan& plan = *run.result.plan;
  EXPECT_TRUE(plan.output_in_dram);
  EXPECT_EQ(plan.parallel.channel_passes, 1u);
  EXPECT_GT(plan.slices.size(), 1u);
  EXPECT_LE(plan.l1_bytes_per_core, plan.l1_available);
  EXPECT_GE(run.comparison.pcc, 0.9999);
  EXPECT_EQ(run.result.output.memory_config.memory_layout, TensorMemoryLayout::INTERLEAVED);
}

// Slices asked for (TT-NN's DRAM slice config): a layer that fits L1 in one pass still
// runs in that many slices, each writing its part of the DRAM output; on the host
// preset too (the TT-faithful programs run them); the plan says they were asked for.
TEST(Conv2dSplits, RequestedDramSlicesAreRun) {
  for (const char* arch : {"wormhole_b0", "host"})
    for (std::uint32_t requested : {2u, 3u}) {
      ConvCase c = depthwise(64, 28, 28, 3);
      c.arch = arch;
      c.config.shard_layout = TensorMemoryLayout::HEIGHT_SHARDED;
      c.config.num_cores = 2;  // 784 outputs: slices of whole 32-stick units on 2 cores
      c.config.dram_slices = requested;
      const ConvRun run = run_conv_case(c);
      const Conv2dPlan& plan = *run.result.plan;
      SCOPED_TRACE(fmt::format("{} {} slices", arch, requested));
      EXPECT_TRUE(plan.output_in_dram);
      EXPECT_EQ(plan.slices.size(), requested);
      EXPECT_EQ(plan.host_microkernel, "");
      EXPECT_NE(plan.summary().find(fmt::format("{} DRAM slices asked for", requested)), std::string::npos) << plan.summary();
      EXPECT_GE(run.comparison.pcc, 0.99999);
      EXPECT_EQ(run.result.output.memory_config.memory_layout, TensorMemoryLayout::INTERLEAVED);
    }
}

// HEIGHT keeps every channel of a window on one core: 1152 channels under a dilated
// 9x9 window need a halo of ~1100 sticks x 1152 channels, more than L1 even for 32
// output sticks. The channels are then split in time.
TEST(Conv2dSplits, ChannelPassesWhenEvenTheSmallestSliceDoesNotFit) {
  ConvCase c = depthwise(1152, 20, 18, 9, 3);
  c.config.shard_layout = TensorMemoryLayout::HEIGHT_SHARDED;
  const ConvRun run = run_conv_case(c);
  const Conv2dPlan& plan = *run.result.plan;
  EXPECT_GT(plan.parallel.channel_passes, 1u);
  EXPECT_EQ(plan.parallel.channel_shards(), plan.parallel.channel_passes);  // HEIGHT: 1 split per pass
  EXPECT_EQ(run.result.prepared.layout.shards, plan.parallel.channel_shards());
  EXPECT_EQ(plan.slices.size(), plan.parallel.channel_passes * plan.stick_slices());
  EXPECT_TRUE(plan.output_in_dram);
  // pass i reads weight shard i
  EXPECT_EQ(plan.slices.back().channel_pass, plan.parallel.channel_passes - 1);
  EXPECT_EQ(plan.slices.back().cores.front().channel_shard, plan.parallel.channel_passes - 1);
  EXPECT_NE(plan.parallel.reason.find("channel passes"), std::string::npos) << plan.parallel.reason;
  EXPECT_GE(run.comparison.pcc, 0.9999);
  EXPECT_LE(run.comparison.norm_max_err, 0.004);
}

TEST(Conv2dSplits, ChannelPassesOnBlockAndWidth) {
  for (auto layout : {TensorMemoryLayout::BLOCK_SHARDED, TensorMemoryLayout::WIDTH_SHARDED}) {
    ConvCase c = depthwise(1152, 20, 18, 9, 3);
    c.config.shard_layout = layout;
    c.config.grid = CoreCoord{2, 2};
    if (layout == TensorMemoryLayout::WIDTH_SHARDED) c.config.num_cores = 2;
    c.config.output_layout = Layout::TILE;
    const ConvRun run = run_conv_case(c);
    EXPECT_GT(run.result.plan->parallel.channel_passes, 1u) << to_string(layout);
    EXPECT_EQ(run.result.plan->parallel.channel_shards(), 2 * run.result.plan->parallel.channel_passes);
    EXPECT_GE(run.comparison.pcc, 0.9999) << to_string(layout);
  }
}

TEST(Conv2dSplits, HostPresetRunsWideLayers) {
  ConvCase c = depthwise(1152, 14, 14, 7);
  c.arch = "host";
  c.params.batch = 2;
  const ConvRun run = run_conv_case(c);
  EXPECT_GE(run.comparison.pcc, 0.9999);
  EXPECT_LE(run.result.plan->l1_bytes_per_core, run.result.plan->l1_available);
}

TEST(Conv2dSplits, PreparedWeightsCarryTheChannelPasses) {
  ConvCase c = depthwise(1152, 20, 18, 9, 3);
  c.config.shard_layout = TensorMemoryLayout::HEIGHT_SHARDED;
  const Arch arch = arch_preset(c.arch);
  const ParallelConfig pc = conv2d_parallel_config(c.params, c.config, arch);
  EXPECT_GT(pc.channel_passes, 1u);
  const ConvRun run = run_conv_case(c);
  EXPECT_EQ(run.result.prepared.layout.shards, pc.channel_shards());
}

TEST(Conv2dSplits, OutOfMemoryNamesTheLayerAndBytesWhenNoSplitFits) {
  // A dilated 9x9 window over a 224-stick-wide padded image: 25 rows of halo for even
  // 32 output sticks, more than one core of 200,000 bytes holds at 32 channels.
  ConvCase c = depthwise(64, 64, 200, 9, 3);
  c.arch_overrides.l1_size = 200000;
  c.arch_overrides.grid_x = c.arch_overrides.grid_y = 1;
  try {
    run_conv_case(c);
    FAIL() << "expected OutOfMemory";
  } catch (const OutOfMemory& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("in_channels=64"), std::string::npos) << message;
    EXPECT_NE(message.find("bytes per core"), std::string::npos) << message;
    EXPECT_NE(message.find("free"), std::string::npos) << message;
    EXPECT_NE(message.find("channel pass(es) of 32 channels"), std::string::npos) << message;
  }
}

struct AutoCase {
  std::uint32_t channels, size, kernel;
  TensorMemoryLayout expected;
};

class AutoLayout : public ::testing::TestWithParam<AutoCase> {};

// Real layers (bench/layers.csv) at batch 1 on the 8x8 wormhole_b0 grid.
TEST_P(AutoLayout, ChoosesTheLayoutThatKeepsMostCoresBusy) {
  const AutoCase& a = GetParam();
  ConvCase c = depthwise(a.channels, a.size, a.size, a.kernel);
  const ParallelConfig pc = conv2d_parallel_config(c.params, c.config, arch_preset("wormhole_b0"));
  EXPECT_EQ(pc.layout, a.expected) << pc.reason;
  EXPECT_NE(pc.reason.find("cores used: HEIGHT"), std::string::npos) << pc.reason;
  const ConvRun run = run_conv_case(c);
  EXPECT_GE(run.comparison.pcc, 0.9999);
}

INSTANTIATE_TEST_SUITE_P(RealLayers, AutoLayout,
                         ::testing::Values(AutoCase{32, 112, 3, TensorMemoryLayout::HEIGHT_SHARDED},
                                           AutoCase{144, 56, 3, TensorMemoryLayout::HEIGHT_SHARDED},
                                           AutoCase{576, 14, 3, TensorMemoryLayout::BLOCK_SHARDED},
                                           AutoCase{384, 14, 7, TensorMemoryLayout::BLOCK_SHARDED},
                                           AutoCase{960, 7, 3, TensorMemoryLayout::WIDTH_SHARDED},
                                           AutoCase{1152, 7, 5, TensorMemoryLayout::WIDTH_SHARDED}),
                         [](const ::testing::TestParamInfo<AutoCase>& info) {
                           const AutoCase& a = info.param;
                           return fmt::format("c{}_{}x{}_k{}_{}", a.channels, a.size, a.size, a.kernel, to_string(a.expected));
                         });

TEST(AutoLayout, NumCoresLeavesBlockOut) {
  ConvCase c = depthwise(576, 14, 14, 3);
  c.config.num_cores = 4;
  const ParallelConfig pc = conv2d_parallel_config(c.params, c.config, arch_preset("wormhole_b0"));
  EXPECT_NE(pc.layout, TensorMemoryLayout::BLOCK_SHARDED) << pc.reason;
  EXPECT_EQ(pc.num_cores(), 4u);
}

}  // namespace
}  // namespace shardwise
