#include "ops/reference/conv2d_reference.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace shardwise::reference {

void Conv2dParams::validate() const {
  const std::pair<const char*, std::int64_t> positive[] = {
      {"batch", batch},       {"in_channels", in_channels}, {"out_channels", out_channels}, {"height", height},
      {"width", width},       {"kernel_h", kernel_h},       {"kernel_w", kernel_w},         {"stride_h", stride_h},
      {"stride_w", stride_w}, {"dilation_h", dilation_h},   {"dilation_w", dilation_w},     {"groups", groups}};
  for (const auto& [name, value] : positive) check_arg(value >= 1, "{} is {}: it must be >= 1", name, value);
  const std::pair<const char*, std::int64_t> paddings[] = {
      {"pad_top", pad_top}, {"pad_bottom", pad_bottom}, {"pad_left", pad_left}, {"pad_right", pad_right}};
  for (const auto& [name, value] : paddings) check_arg(value >= 0, "{} is {}: it must be >= 0", name, value);
  check_arg(in_channels % groups == 0 && out_channels % groups == 0,
            "groups = {} must divide in_channels = {} and out_channels = {}", groups, in_channels, out_channels);
  check_arg(out_height() >= 1 && out_width() >= 1,
            "the dilated kernel {}x{} does not fit the padded input {}x{}", (kernel_h - 1) * dilation_h + 1,
            (kernel_w - 1) * dilation_w + 1, height + pad_top + pad_bottom, width + pad_left + pad_right);
}

std::int64_t Conv2dParams::out_height() const {
  const std::int64_t span = height + pad_top + pad_bottom - ((kernel_h - 1) * dilation_h + 1);
  return span < 0 ? 0 : span / stride_h + 1;
}

std::int64_t Conv2dParams::out_width() const {
  const std::int64_t span = width + pad_left + pad_right - ((kernel_w - 1) * dilation_w + 1);
  return span < 0 ? 0 : span / stride_w + 1;
}

double activate(Activation activation, double x, double leaky_slope) {
  switch (activation) {
    case Activation::NONE: return x;
    case Activation::RELU: return x > 0.0 ? x : 0.0;
    case Activation::RELU6: return std::min(std::max(x, 0.0), 6.0);  // NaN stays NaN here
    default: return activation_value(activation, x, leaky_slope);
  }
}

std::vector<double> conv2d(const Conv2dParams& p, std::span<const float> input, std::span<const float> weight,
                           std::span<const float> bias) {
  p.validate();
  const std::int64_t cin_per_group = p.in_channels / p.groups;
  const std::int64_t cout_per_group = p.out_channels / p.groups;
  const auto input_size = static_cast<std::size_t>(p.batch * p.in_channels * p.height * p.width);
  const auto weight_size = static_cast<std::size_t>(p.out_channels * cin_per_group * p.kernel_h * p.kernel_w);
  check_arg(input.size() == input_size, "input has {} values, expected {} (N*C*H*W)", input.size(), input_size);
  check_arg(weight.size() == weight_size, "weight has {} values, expected {} (Cout*Cin/groups*kh*kw)", weight.size(),
            weight_size);
  check_arg(bias.empty() || bias.size() == static_cast<std::size_t>(p.out_channels),
            "bias has {} values, expected {} (out_channels) or none", bias.size(), p.out_channels);

  const std::int64_t ho_count = p.out_height(), wo_count = p.out_width();
  std::vector<double> out(static_cast<std::size_t>(p.batch * p.out_channels * ho_count * wo_count));
  std::size_t o = 0;
  for (std::int64_t n = 0; n < p.batch; ++n) {
    for (std::int64_t co = 0; co < p.out_channels; ++co) {
      const std::int64_t g = co / cout_per_group;
      for (std::int64_t ho = 0; ho < ho_count; ++ho) {
        for (std::int64_t wo = 0; wo < wo_count; ++wo) {
          double sum = bias.empty() ? 0.0 : static_cast<double>(bias[co]);
          for (std::int64_t ci = 0; ci < cin_per_group; ++ci) {
            const std::int64_t c = g * cin_per_group + ci;
            for (std::int64_t kh = 0; kh < p.kernel_h; ++kh) {
              const std::int64_t h = ho * p.stride_h - p.pad_top + kh * p.dilation_h;
              if (h < 0 || h >= p.height) continue;
              for (std::int64_t kw = 0; kw < p.kernel_w; ++kw) {
                const std::int64_t w = wo * p.stride_w - p.pad_left + kw * p.dilation_w;
                if (w < 0 || w >= p.width) continue;
                const double x = input[static_cast<std::size_t>(((n * p.in_channels + c) * p.height + h) * p.width + w)];
                const double k =
                    weight[static_cast<std::size_t>(((co * cin_per_group + ci) * p.kernel_h + kh) * p.kernel_w + kw)];
                sum += x * k;
              }
            }
          }
          out[o++] = activate(p.activation, sum, p.leaky_slope);
        }
      }
    }
  }
  return out;
}

}  // namespace shardwise::reference
