#pragma once
// A plain conv2d in double precision: the yardstick every other path is measured
// against. Deliberately naive and independent: it shares no arithmetic, layout or
// planning code with the rest of shardwise.
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/activation.hpp"

namespace shardwise::reference {

struct Conv2dParams {
  std::int64_t batch = 1;
  std::int64_t in_channels = 1;
  std::int64_t out_channels = 1;
  std::int64_t height = 1;
  std::int64_t width = 1;
  std::int64_t kernel_h = 1;
  std::int64_t kernel_w = 1;
  std::int64_t stride_h = 1;
  std::int64_t stride_w = 1;
  std::int64_t pad_top = 0;
  std::int64_t pad_bottom = 0;
  std::int64_t pad_left = 0;
  std::int64_t pad_right = 0;
  std::int64_t dilation_h = 1;
  std::int64_t dilation_w = 1;
  std::int64_t groups = 1;
  Activation activation = Activation::NONE;
  double leaky_slope = kDefaultLeakySlope;  // LEAKY_RELU only

  // InvalidArgument naming the first bad value.
  void validate() const;
  std::int64_t out_height() const;
  std::int64_t out_width() const;
};

// input: NCHW [batch, in_channels, height, width]
// weight: [out_channels, in_channels / groups, kernel_h, kernel_w]
// bias: empty, or [out_channels]
// returns NCHW [batch, out_channels, out_height, out_width]
std::vector<double> conv2d(const Conv2dParams& params, std::span<const float> input, std::span<const float> weight,
                           std::span<const float> bias = {});

// The activation applied to one value, in double precision (gelu in its erf form;
// leaky_slope for LEAKY_RELU).
double activate(Activation activation, double x, double leaky_slope = kDefaultLeakySlope);

}  // namespace shardwise::reference
