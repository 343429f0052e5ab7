// The real model layers of bench/layers.csv on wormhole_b0: batch 1 and 10,
// HEIGHT / WIDTH / BLOCK, bfloat16 activations with bfloat16, bfloat8_b and bfloat4_b
// weights, bias and relu6, against the double-precision reference.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "conv2d_runner.hpp"

namespace shardwise {
namespace {

struct Layer {
  const char* name;
  std::uint32_t size, channels, kernel, stride, padding;
};

// name, height = width, channels, kernel, stride, padding (bench/layers.csv)
constexpr Layer kLayers[] = {
    {"mnv2_1", 112, 32, 3, 1, 1},     {"mnv2_2", 112, 96, 3, 2, 1},     {"mnv2_3", 56, 144, 3, 1, 1},
    {"mnv2_4", 14, 576, 3, 1, 1},     {"mnv2_5", 7, 960, 3, 1, 1},      {"mnv3_6", 56, 72, 5, 2, 2},
    {"mnv3_7", 28, 120, 5, 1, 2},     {"mnv3_8", 14, 672, 5, 2, 2},     {"effb0_9", 56, 144, 5, 2, 2},
    {"effb0_10", 14, 672, 5, 1, 2},   {"effb0_11", 7, 1152, 5, 1, 2},   {"convnext_12", 56, 96, 7, 1, 3},
    {"convnext_13", 28, 192, 7, 1, 3}, {"convnext_14", 14, 384, 7, 1, 3}, {"convnext_15", 7, 768, 7, 1, 3}};

struct LayerCase {
  Layer layer;
  std::uint32_t batch;
  TensorMemoryLayout layout;
  DataType weights;
};

std::vector<LayerCase> layer_cases() {
  std::vector<LayerCase> out;
  for (const Layer& l : kLayers)
    for (std::uint32_t batch : {1u, 10u})
      for (auto layout : {TensorMemoryLayout::HEIGHT_SHARDED, TensorMemoryLayout::WIDTH_SHARDED, TensorMemoryLayout::BLOCK_SHARDED})
        for (DataType w : {DataType::BFLOAT16, DataType::BFLOAT8_B, DataType::BFLOAT4_B}) out.push_back({l, batch, layout, w});
  return out;
}

std::string layer_name(const ::testing::TestParamInfo<LayerCase>& info) {
  const LayerCase& c = info.param;
  const char* layout = c.layout == TensorMemoryLayout::HEIGHT_SHARDED ? "height"
                       : c.layout == TensorMemoryLayout::WIDTH_SHARDED ? "width"
                                                                        : "block";
  return fmt::format("{}_n{}_{}_{}", c.layer.name, c.batch, layout, to_string(c.weights));
}

class RealLayers : public ::testing::TestWithParam<LayerCase> {};

TEST_P(RealLayers, MatchTheReference) {
  const LayerCase& lc = GetParam();
  ConvCase c;
  c.params.batch = lc.batch;
  c.params.in_channels = c.params.out_channels = c.params.groups = lc.layer.channels;
  c.params.input_height = c.params.input_width = lc.layer.size;
  c.params.kernel_h = c.params.kernel_w = lc.layer.kernel;
  c.params.stride_h = c.params.stride_w = lc.layer.stride;
  c.params.pad_top = c.params.pad_bottom = c.params.pad_left = c.params.pad_right = lc.layer.padding;
  c.config.shard_layout = lc.layout;
  c.config.weights_dtype = lc.weights;
  c.config.activation = Activation::RELU6;
  c.bias = true;
  c.seed = lc.layer.channels + lc.batch;
  const ConvRun run = run_conv_case(c);
  const double bound = lc.weights == DataType::BFLOAT16 ? 0.9999 : lc.weights == DataType::BFLOAT8_B ? 0.999 : 0.99;
  RecordProperty("pcc", fmt::format("{:.9f}", run.comparison.pcc));
  RecordProperty("slices", std::to_string(run.result.plan->slices.size()));
  if (lc.weights != DataType::BFLOAT16) RecordProperty("quantization_pcc", fmt::format("{:.6f}", run.quantization_pcc));
  EXPECT_GE(run.comparison.pcc, bound);
}

INSTANTIATE_TEST_SUITE_P(Wormhole, RealLayers, ::testing::ValuesIn(layer_cases()), layer_name);

}  // namespace
}  // namespace shardwise
