// Requests too large for the model are refused up front, with the numbers, before any
// planning or allocation whose cost grows with them (they used to hang the planner).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "core/error.hpp"
#include "core/host_memory_budget.hpp"
#include "device/arch.hpp"
#include "device/device.hpp"
#include "ops/conv2d/conv2d.hpp"
#include "ops/conv2d/plan.hpp"

namespace shardwise {
namespace {

Conv2dParams depthwise(std::uint32_t channels, std::uint32_t size, std::uint32_t padding) {
  Conv2dParams p;
  p.in_channels = p.out_channels = p.groups = channels;
  p.input_height = p.input_width = size;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = padding;
  return p;
}

template <typename Error>
std::string message_of(const auto& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

TEST(Conv2dLimits, ExtentsBeyondTheBoundsAreNamed) {
  Conv2dParams p = depthwise(32, 8, 1);
  p.pad_left = 1'000'000;
  EXPECT_NE(message_of<InvalidArgument>([&] { p.validate(); }).find("padding left is 1000000: it must be at most 65536"), std::string::npos);
  p = depthwise(32, 8, 1);
  p.dilation_h = 70'000;
  EXPECT_NE(message_of<InvalidArgument>([&] { p.validate(); }).find("dilation height is 70000"), std::string::npos);
  // A kernel and dilation whose product would wrap 32 bits: refused by the bound, not wrapped into "fits".
  p = depthwise(32, 8, 1);
  p.kernel_h = 65536;
  p.dilation_h = 65536;
  EXPECT_THROW(p.validate(), InvalidArgument);
}

TEST(Conv2dLimits, AnOutputBeyondDramIsRefusedBeforePlanning) {
  const Conv2dParams p = depthwise(32, 8, 60'000);  // a 120006 x 120006 output: 921 GB in bfloat16
  for (const char* arch : {"wormhole_b0", "blackhole", "host"}) {
    const auto start = std::chrono::steady_clock::now();
    const std::string message = message_of<OutOfMemory>([&] { conv2d_parallel_config(p, Conv2dConfig{}, arch_preset(arch)); });
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1)) << arch;
    EXPECT_NE(message.find("120006x120006 output"), std::string::npos) << message;
    EXPECT_NE(message.find("921692166400 bytes"), std::string::npos) << message;
  }
  // The same layer with a small padding plans.
  EXPECT_NO_THROW(conv2d_parallel_config(depthwise(32, 8, 1), Conv2dConfig{}, arch_preset("wormhole_b0")));
}

// A layer that fits DRAM but is far too big for L1: the slicing sizes its windows by a
// bound instead of walking every stick block for every candidate slice count (the
// conv2d-plan fuzzer found a layer that took over 10 s).
TEST(Conv2dLimits, AHugeLayerPlansInSeconds) {
  Device device(arch_preset("wormhole_b0"));
  const Conv2dParams p = depthwise(32, 4096, 1);  // 16.8 M output sticks
  const ParallelConfig pc = conv2d_parallel_config(p, Conv2dConfig{}, device.arch());
  PreparedWeights weights;
  weights.layout = DepthwiseWeightLayout(p.in_channels, p.kernel_h, p.kernel_w, pc.channel_shards());
  weights.dtype = DataType::BFLOAT16;
  const auto start = std::chrono::steady_clock::now();
  const Conv2dPlan plan = make_conv2d_plan(p, Conv2dConfig{}, device, DataType::BFLOAT16, DataType::BFLOAT16, weights);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_GT(plan.slices.size(), 1u);
  EXPECT_LE(plan.l1_bytes_per_core, plan.l1_available);
}

TEST(HostMemoryBudget, SizesParseWithBinarySuffixes) {
  EXPECT_EQ(parse_byte_size("1048576"), 1048576u);
  EXPECT_EQ(parse_byte_size("512M"), 512ull << 20);
  EXPECT_EQ(parse_byte_size("16G"), 16ull << 30);
  EXPECT_EQ(parse_byte_size("2t"), 2ull << 40);
  for (const char* bad : {"", "G", "-1", "1.5G", "12Q", "99999999999999999999", "20000000T"})
    EXPECT_FALSE(parse_byte_size(bad).has_value()) << bad;
}

TEST(HostMemoryBudget, TheEnvironmentSetsItAndABadValueIsNamed) {
  ASSERT_EQ(setenv("SHARDWISE_HOST_MEMORY", "64M", 1), 0);
  EXPECT_EQ(host_memory_budget(), 64ull << 20);
  EXPECT_NO_THROW(check_host_memory(1 << 20, "a small thing"));
  const std::string message = message_of<OutOfMemory>([] { check_host_memory(1ull << 30, "a big thing"); });
  EXPECT_NE(message.find("a big thing needs about 1073741824 bytes"), std::string::npos) << message;
  // The host preset's DRAM is host memory: the budget bounds it.
  EXPECT_EQ(arch_preset("host").dram_bank_size, 64ull << 20);
  ASSERT_EQ(setenv("SHARDWISE_HOST_MEMORY", "lots", 1), 0);
  EXPECT_NE(message_of<InvalidArgument>([] { host_memory_budget(); }).find("SHARDWISE_HOST_MEMORY='lots'"), std::string::npos);
  ASSERT_EQ(unsetenv("SHARDWISE_HOST_MEMORY"), 0);
  EXPECT_GT(host_memory_budget(), 64ull << 20);
}

}  // namespace
}  // namespace shardwise
