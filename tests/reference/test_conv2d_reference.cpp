#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "core/error.hpp"
#include "ops/reference/conv2d_reference.hpp"

namespace shardwise::reference {
namespace {

// A 1-channel 3x3 input holding 1..9.
std::vector<float> one_to_nine() {
  std::vector<float> v(9);
  std::iota(v.begin(), v.end(), 1.0f);
  return v;
}

Conv2dParams single_channel(std::int64_t h, std::int64_t w, std::int64_t k) {
  Conv2dParams p;
  p.height = h;
  p.width = w;
  p.kernel_h = p.kernel_w = k;
  return p;
}

TEST(ReferenceConv2d, IdentityKernelReturnsTheInput) {
  Conv2dParams p = single_channel(3, 3, 3);
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  const std::vector<float> kernel{0, 0, 0, 0, 1, 0, 0, 0, 0};
  const auto out = conv2d(p, one_to_nine(), kernel);
  ASSERT_EQ(out.size(), 9u);
  for (int i = 0; i < 9; ++i) EXPECT_EQ(out[i], i + 1);
}

TEST(ReferenceConv2d, BoxFilterWithPadding) {
  Conv2dParams p = single_channel(3, 3, 3);
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  const std::vector<float> ones(9, 1.0f);
  const auto out = conv2d(p, one_to_nine(), ones);
  // Corners see a 2x2 window, edges 2x3, the centre everything.
  const std::vector<double> expected{12, 21, 16, 27, 45, 33, 24, 39, 28};
  EXPECT_EQ(out, expected);
}

TEST(ReferenceConv2d, StrideTwo) {
  Conv2dParams p = single_channel(4, 4, 2);
  p.stride_h = p.stride_w = 2;
  std::vector<float> in(16);
  std::iota(in.begin(), in.end(), 0.0f);
  const auto out = conv2d(p, in, std::vector<float>(4, 1.0f));
  // 2x2 windows at (0,0), (0,2), (2,0), (2,2).
  EXPECT_EQ(out, (std::vector<double>{0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15}));
}

TEST(ReferenceConv2d, DilationTwo) {
  Conv2dParams p = single_channel(5, 5, 2);
  p.dilation_h = p.dilation_w = 2;
  std::vector<float> in(25);
  std::iota(in.begin(), in.end(), 0.0f);
  const auto out = conv2d(p, in, std::vector<float>{1, 10, 100, 1000});
  ASSERT_EQ(p.out_height(), 3);
  ASSERT_EQ(out.size(), 9u);
  // Output (0,0) taps (0,0), (0,2), (2,0), (2,2).
  EXPECT_EQ(out[0], 0 * 1 + 2 * 10 + 10 * 100 + 12 * 1000);
  // Output (1,2) taps (1,2), (1,4), (3,2), (3,4).
  EXPECT_EQ(out[5], 7 * 1 + 9 * 10 + 17 * 100 + 19 * 1000);
}

TEST(ReferenceConv2d, AsymmetricPadding) {
  Conv2dParams p = single_channel(2, 2, 2);
  p.pad_top = 1;
  p.pad_right = 2;
  const std::vector<float> in{1, 2, 3, 4};
  const auto out = conv2d(p, in, std::vector<float>{1, 2, 3, 4});
  ASSERT_EQ(p.out_height(), 2);
  ASSERT_EQ(p.out_width(), 3);
  // Padded image rows: [0 0 0 0], [1 2 0 0], [3 4 0 0].
  EXPECT_EQ(out, (std::vector<double>{0 * 1 + 0 * 2 + 1 * 3 + 2 * 4, 0 + 0 + 2 * 3 + 0, 0, 1 * 1 + 2 * 2 + 3 * 3 + 4 * 4,
                                      2 * 1 + 0 + 4 * 3 + 0, 0}));
}

TEST(ReferenceConv2d, DepthwiseGroupsKeepChannelsApart) {
  Conv2dParams p = single_channel(1, 2, 1);
  p.batch = 2;
  p.in_channels = p.out_channels = p.groups = 2;
  // [n][c][w]: n0: c0 {1,2} c1 {3,4}; n1: c0 {5,6} c1 {7,8}
  const std::vector<float> in{1, 2, 3, 4, 5, 6, 7, 8};
  const auto out = conv2d(p, in, std::vector<float>{10, -1});
  EXPECT_EQ(out, (std::vector<double>{10, 20, -3, -4, 50, 60, -7, -8}));
}

TEST(ReferenceConv2d, GeneralGroupsSumTheirInputChannels) {
  Conv2dParams p = single_channel(1, 1, 1);
  p.in_channels = 4;
  p.out_channels = 2;
  p.groups = 2;
  const auto out = conv2d(p, std::vector<float>{1, 2, 3, 4}, std::vector<float>{1, 1, 1, 10});
  EXPECT_EQ(out, (std::vector<double>{3, 43}));
}

TEST(ReferenceConv2d, BiasAndEachActivation) {
  Conv2dParams p = single_channel(1, 3, 1);
  const std::vector<float> in{-2.0f, 0.5f, 7.0f};
  const std::vector<float> bias{1.0f};
  p.activation = Activation::NONE;
  EXPECT_EQ(conv2d(p, in, std::vector<float>{1}, bias), (std::vector<double>{-1, 1.5, 8}));
  p.activation = Activation::RELU;
  EXPECT_EQ(conv2d(p, in, std::vector<float>{1}, bias), (std::vector<double>{0, 1.5, 8}));
  p.activation = Activation::RELU6;
  EXPECT_EQ(conv2d(p, in, std::vector<float>{1}, bias), (std::vector<double>{0, 1.5, 6}));
  p.activation = Activation::SILU;
  auto out = conv2d(p, in, std::vector<float>{1}, bias);
  EXPECT_NEAR(out[0], -1.0 / (1.0 + std::exp(1.0)), 1e-15);
  EXPECT_NEAR(out[1], 1.5 / (1.0 + std::exp(-1.5)), 1e-15);
  p.activation = Activation::GELU;
  out = conv2d(p, in, std::vector<float>{1}, bias);
  EXPECT_NEAR(out[0], -0.15865525393145707, 1e-15);  // -1 * Phi(-1)
  EXPECT_NEAR(out[1], 1.5 * 0.9331927987311419, 1e-15);
  EXPECT_NEAR(out[2], 8.0, 1e-12);
}

TEST(ReferenceConv2d, BadParametersNameTheValue) {
  Conv2dParams p = single_channel(4, 4, 3);
  p.stride_h = 0;
  try {
    p.validate();
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("stride_h is 0"), std::string::npos) << e.what();
  }
  p = single_channel(2, 2, 5);
  EXPECT_THROW(p.validate(), InvalidArgument);  // kernel larger than the input
  p = single_channel(4, 4, 3);
  p.in_channels = 3;
  p.groups = 2;
  EXPECT_THROW(p.validate(), InvalidArgument);
  p = single_channel(4, 4, 3);
  p.pad_left = -1;
  EXPECT_THROW(p.validate(), InvalidArgument);
  p = single_channel(4, 4, 3);
  EXPECT_THROW(conv2d(p, std::vector<float>(15), std::vector<float>(9)), InvalidArgument);
  EXPECT_THROW(conv2d(p, std::vector<float>(16), std::vector<float>(9), std::vector<float>(2)), InvalidArgument);
}

}  // namespace
}  // namespace shardwise::reference
