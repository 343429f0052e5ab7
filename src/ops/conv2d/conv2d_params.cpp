#include "ops/conv2d/conv2d_params.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace shardwise {

void Conv2dParams::validate() const {
  const std::pair<const char*, std::uint32_t> positive[] = {
      {"batch", batch},         {"in_channels", in_channels}, {"out_channels", out_channels},
      {"input_height", input_height}, {"input_width", input_width}, {"kernel height", kernel_h},
      {"kernel width", kernel_w}, {"stride height", stride_h},  {"stride width", stride_w},
      {"dilation height", dilation_h}, {"dilation width", dilation_w}, {"groups", groups}};
  for (const auto& [name, value] : positive) check_arg(value >= 1, "{} is {}: it must be at least 1", name, value);
  check_arg(batch <= kMaxBatch && in_channels <= kMaxExtent && out_channels <= kMaxExtent && input_height <= kMaxExtent &&
                input_width <= kMaxExtent,
            "batch {} / channels {} / input {}x{} exceed what shardwise addresses ({} / {} / {}x{})", batch,
            std::max(in_channels, out_channels), input_height, input_width, kMaxBatch, kMaxExtent, kMaxExtent, kMaxExtent);
  // Every extent below is summed or multiplied in 32 bits by the accessors: bounded
  // first (in 64 bits), so that none of them can wrap.
  const std::pair<const char*, std::uint32_t> bounded[] = {
      {"kernel height", kernel_h}, {"kernel width", kernel_w},   {"stride height", stride_h}, {"stride width", stride_w},
      {"dilation height", dilation_h}, {"dilation width", dilation_w}, {"padding top", pad_top},  {"padding bottom", pad_bottom},
      {"padding left", pad_left},  {"padding right", pad_right}};
  for (const auto& [name, value] : bounded)
    check_arg(value <= kMaxExtent, "{} is {}: it must be at most {}", name, value, kMaxExtent);
  check_arg(in_channels % groups == 0 && out_channels % groups == 0,
            "groups = {} must divide in_channels = {} and out_channels = {}", groups, in_channels, out_channels);
  const std::uint64_t kernel_extent_h = (std::uint64_t{kernel_h} - 1) * dilation_h + 1;
  const std::uint64_t kernel_extent_w = (std::uint64_t{kernel_w} - 1) * dilation_w + 1;
  const std::uint64_t padded_h = std::uint64_t{input_height} + pad_top + pad_bottom;
  const std::uint64_t padded_w = std::uint64_t{input_width} + pad_left + pad_right;
  check_arg(kernel_extent_h <= padded_h && kernel_extent_w <= padded_w,
            "the kernel {}x{} (dilated extent {}x{}) does not fit the padded input {}x{}", kernel_h, kernel_w, kernel_extent_h,
            kernel_extent_w, padded_h, padded_w);
}

std::string Conv2dParams::to_string() const {
  return fmt::format(
      "batch={} in_channels={} out_channels={} input={}x{} kernel={}x{} stride={}x{} padding=(t{},b{},l{},r{}) "
      "dilation={}x{} groups={}",
      batch, in_channels, out_channels, input_height, input_width, kernel_h, kernel_w, stride_h, stride_w, pad_top,
      pad_bottom, pad_left, pad_right, dilation_h, dilation_w, groups);
}

bool is_depthwise(const Conv2dParams& p) { return p.groups == p.in_channels && p.groups == p.out_channels; }

bool is_1d_depthwise(const Conv2dParams& p) { return is_depthwise(p) && p.input_height == 1 && p.kernel_h == 1; }

bool is_2d_depthwise(const Conv2dParams& p) {
  const bool conv_1d = (p.kernel_h == 1 && p.input_height == 1) || (p.kernel_w == 1 && p.input_width == 1);
  const bool kernel_1x1 = p.kernel_h == 1 && p.kernel_w == 1;
  return is_depthwise(p) && !conv_1d && !kernel_1x1;
}

void check_depthwise_supported(const Conv2dParams& p) {
  if (is_depthwise(p)) return;  // 2D, 1D, 1x1: the same program runs them all
  throw InvalidArgument(fmt::format(
      "not supported: shardwise runs depthwise convs (groups == in_channels == out_channels); got groups={} "
      "in_channels={} out_channels={}{}",
      p.groups, p.in_channels, p.out_channels,
      p.groups == p.in_channels && p.out_channels % p.in_channels == 0 && p.out_channels != p.in_channels
          ? fmt::format(" (a depth multiplier of {})", p.out_channels / p.in_channels)
          : ""));
}

}  // namespace shardwise
