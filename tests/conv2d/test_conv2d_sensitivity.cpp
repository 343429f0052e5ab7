// Proof that the checks can fail: the seeds' broken steps reproduced on purpose.
#include <gtest/gtest.h>

#include "conv2d_runner.hpp"
#include "core/error.hpp"
#include "core/bfloat16.hpp"

namespace shardwise {
namespace {

ConvCase width_case() {
  ConvCase c;
  c.params.in_channels = c.params.out_channels = c.params.groups = 64;
  c.params.input_height = c.params.input_width = 8;
  c.params.kernel_h = c.params.kernel_w = 3;
  c.params.pad_top = c.params.pad_bottom = c.params.pad_left = c.params.pad_right = 1;
  c.config.shard_layout = TensorMemoryLayout::WIDTH_SHARDED;
  c.config.num_cores = 2;
  return c;
}

TEST(Sensitivity, CorrectRunPasses) {
  ConvCase c = width_case();
  c.bias = true;
  EXPECT_GE(run_conv_case(c).comparison.pcc, 0.9999);
}

// Step 8 of the width-sharded seed: weights read at base + offset instead of by page
// id. Bank 0 past the first tile holds the next buffer (the bias), so core 1 computes
// with wrong weights.
TEST(Sensitivity, WeightsByAddressOffsetFailThePcc) {
  ConvCase c = width_case();
  c.bias = true;
  c.config.fault = InjectedFault::WEIGHTS_BY_ADDRESS_OFFSET;
  EXPECT_LT(run_conv_case(c).comparison.pcc, 0.99);
}

// Without a buffer behind the first tile, the same bug is an out-of-bounds read, and
// the watcher names it.
TEST(Sensitivity, WeightsByAddressOffsetIsCaughtByTheWatcher) {
  ConvCase c = width_case();
  c.config.fault = InjectedFault::WEIGHTS_BY_ADDRESS_OFFSET;
  try {
    run_conv_case(c);
    FAIL() << "the bad read went unnoticed";
  } catch (const DeviceError& e) {
    EXPECT_NE(std::string(e.what()).find("reader_depthwise"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not inside an allocated DRAM buffer"), std::string::npos) << e.what();
  }
}

// Step 2 of the width-sharded seed: a width-sharded run given weights prepared for
// height sharding (one shard), labelled as two.
TEST(Sensitivity, HeightShardedWeightsInAWidthRunFailThePcc) {
  const ConvCase c = width_case();
  const Conv2dParams& p = c.params;
  Device device(arch_preset("wormhole_b0"));
  std::vector<float> sticks(64 * 64), weight(64 * 9);
  for (std::size_t i = 0; i < sticks.size(); ++i) sticks[i] = round_to_bfloat16(std::sin(0.37f * i));
  for (std::size_t i = 0; i < weight.size(); ++i) weight[i] = round_to_bfloat16(std::cos(0.11f * i));
  const DeviceTensor input = to_device(Tensor::from_vector(sticks, Shape{1, 1, 64, 64}, DataType::BFLOAT16), device,
                                       MemoryConfig::dram_interleaved());
  const Tensor host_weight = Tensor::from_vector(weight, Shape{64, 1, 3, 3});
  const Conv2dResult good = conv2d(input, host_weight, std::nullopt, device, p, c.config);
  PreparedWeights wrong = prepare_depthwise_weights(device, host_weight, std::nullopt, 1, DataType::BFLOAT16);
  wrong.layout = DepthwiseWeightLayout(64, 3, 3, 2);  // the lie: laid out for 1 shard, used as 2
  const Conv2dResult bad = conv2d(input, wrong, device, p, c.config);
  const auto expected = from_device(good.output).to_vector();
  const auto actual = from_device(bad.output).to_vector();
  const std::vector<double> e(expected.begin(), expected.end()), a(actual.begin(), actual.end());
  EXPECT_LT(reference::pcc(e, a), 0.99);
}

TEST(Sensitivity, MismatchedPreparedWeightsAreRefusedWhenLabelledHonestly) {
  const ConvCase c = width_case();
  Device device(arch_preset("wormhole_b0"));
  const DeviceTensor input = to_device(Tensor::from_vector(std::vector<float>(64 * 64), Shape{1, 1, 64, 64}, DataType::BFLOAT16),
                                       device, MemoryConfig::dram_interleaved());
  const PreparedWeights height = prepare_depthwise_weights(
      device, Tensor::from_vector(std::vector<float>(64 * 9), Shape{64, 1, 3, 3}), std::nullopt, 1, DataType::BFLOAT16);
  EXPECT_THROW(conv2d(input, height, device, c.params, c.config), InvalidArgument);
}

}  // namespace
}  // namespace shardwise

namespace shardwise {
namespace {

// A BLOCK run whose column multicast is broken on purpose: the senders hand out VALID
// without the data, so every core below the first grid row computes with stale weights.
TEST(Sensitivity, BrokenBlockMulticastFailsThePcc) {
  ConvCase c;
  c.params.in_channels = c.params.out_channels = c.params.groups = 128;
  c.params.input_height = c.params.input_width = 16;
  c.params.kernel_h = c.params.kernel_w = 3;
  c.params.pad_top = c.params.pad_bottom = c.params.pad_left = c.params.pad_right = 1;
  c.config.shard_layout = TensorMemoryLayout::BLOCK_SHARDED;
  c.config.grid = CoreCoord{4, 4};
  EXPECT_GE(run_conv_case(c).comparison.pcc, 0.9999);
  c.config.fault = InjectedFault::SKIP_WEIGHT_MULTICAST;
  const ConvRun broken = run_conv_case(c);
  EXPECT_GT(broken.result.plan->parallel.cores_nhw, 1u);
  EXPECT_LT(broken.comparison.pcc, 0.99);
}

}  // namespace
}  // namespace shardwise
