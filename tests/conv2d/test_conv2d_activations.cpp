// Every activation a conv fuses, against the double-precision reference: on the host
// preset (exact numerics: the TT-faithful kernels for those the row microkernels do
// not fuse) and on wormhole_b0 with the chip's arithmetic (the activation on the Dst
// value in float32); leaky relu with its slope.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "conv2d_runner.hpp"
#include "ops/reference/conv2d_reference.hpp"

namespace shardwise {
namespace {

struct ActivationCase {
  Activation activation;
  float leaky_slope;
};

class Conv2dActivations : public testing::TestWithParam<ActivationCase> {};

TEST_P(Conv2dActivations, MatchTheReference) {
  for (const char* arch : {"host", "wormhole_b0"})
    for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16}) {
      ConvCase c;
      c.arch = arch;
      c.params.in_channels = c.params.out_channels = c.params.groups = 48;
      c.params.input_height = c.params.input_width = 10;
      c.params.kernel_h = c.params.kernel_w = 3;
      c.params.pad_top = c.params.pad_bottom = c.params.pad_left = c.params.pad_right = 1;
      c.dtype = dtype;
      c.config.weights_dtype = dtype;
      c.config.activation = GetParam().activation;
      c.config.leaky_slope = GetParam().leaky_slope;
      c.bias = true;
      c.seed = 7;
      const ConvRun run = run_conv_case(c);
      SCOPED_TRACE(fmt::format("{} {}", arch, to_string(dtype)));
      const bool exact = std::string(arch) == "host";
      EXPECT_GE(run.comparison.pcc, exact && dtype == DataType::FLOAT32 ? 0.999999 : 0.9999);
      EXPECT_LE(run.comparison.norm_max_err, exact && dtype == DataType::FLOAT32 ? 1e-5 : 2e-2);
    }
}

INSTANTIATE_TEST_SUITE_P(All, Conv2dActivations,
                         testing::Values(ActivationCase{Activation::SIGMOID, 0.01f}, ActivationCase{Activation::TANH, 0.01f},
                                         ActivationCase{Activation::HARDSWISH, 0.01f}, ActivationCase{Activation::LEAKY_RELU, 0.01f},
                                         ActivationCase{Activation::LEAKY_RELU, 0.3f}, ActivationCase{Activation::SILU, 0.01f},
                                         ActivationCase{Activation::GELU, 0.01f}),
                         [](const testing::TestParamInfo<ActivationCase>& info) {
                           return fmt::format("{}_slope{}", to_string(info.param.activation),
                                              static_cast<int>(info.param.leaky_slope * 100));
                         });

// The reference's own values at a few points (torch's definitions).
TEST(ReferenceActivations, KnownValues) {
  EXPECT_NEAR(reference::activate(Activation::SIGMOID, 0.0), 0.5, 1e-15);
  EXPECT_NEAR(reference::activate(Activation::TANH, 1.0), 0.7615941559557649, 1e-15);
  EXPECT_NEAR(reference::activate(Activation::HARDSWISH, 1.0), 4.0 / 6.0, 1e-15);
  EXPECT_EQ(reference::activate(Activation::HARDSWISH, -3.5), -0.0);
  EXPECT_EQ(reference::activate(Activation::HARDSWISH, 3.5), 3.5);
  EXPECT_NEAR(reference::activate(Activation::LEAKY_RELU, -2.0, 0.3), -0.6, 1e-15);
  EXPECT_EQ(reference::activate(Activation::LEAKY_RELU, 2.0, 0.3), 2.0);
  EXPECT_NEAR(reference::activate(Activation::LEAKY_RELU, -2.0), -0.02, 1e-15);
}

}  // namespace
}  // namespace shardwise
