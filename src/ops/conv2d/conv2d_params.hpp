#pragma once
// Parameters of a conv2d call, their validation, and depthwise detection (reference
// section 5).
#include <cstdint>
#include <string>

namespace shardwise {

struct Conv2dParams {
  std::uint32_t batch = 1;
  std::uint32_t in_channels = 1;
  std::uint32_t out_channels = 1;
  std::uint32_t input_height = 1;
  std::uint32_t input_width = 1;
  std::uint32_t kernel_h = 1;
  std::uint32_t kernel_w = 1;
  std::uint32_t stride_h = 1;
  std::uint32_t stride_w = 1;
  std::uint32_t pad_top = 0;
  std::uint32_t pad_bottom = 0;
  std::uint32_t pad_left = 0;
  std::uint32_t pad_right = 0;
  std::uint32_t dilation_h = 1;
  std::uint32_t dilation_w = 1;
  std::uint32_t groups = 1;

  // The largest batch, and the largest channel count, input extent, kernel extent,
  // stride, dilation and padding: with these, every accessor below is exact in its
  // 32-bit result (padded extents < 3 * 2^16, dilated kernels < 2^32).
  static constexpr std::uint32_t kMaxBatch = 4096;
  static constexpr std::uint32_t kMaxExtent = 65536;

  // InvalidArgument naming the first bad value (zero sizes, values beyond the bounds
  // above, a kernel that does not fit the padded input, groups that do not divide the
  // channels).
  void validate() const;

  std::uint32_t padded_height() const { return input_height + pad_top + pad_bottom; }
  std::uint32_t padded_width() const { return input_width + pad_left + pad_right; }
  std::uint32_t dilated_kernel_h() const { return (kernel_h - 1) * dilation_h + 1; }
  std::uint32_t dilated_kernel_w() const { return (kernel_w - 1) * dilation_w + 1; }
  std::uint32_t out_height() const { return (padded_height() - dilated_kernel_h()) / stride_h + 1; }
  std::uint32_t out_width() const { return (padded_width() - dilated_kernel_w()) / stride_w + 1; }
  std::uint32_t kernel_positions() const { return kernel_h * kernel_w; }
  std::uint64_t output_sticks() const { return std::uint64_t{batch} * out_height() * out_width(); }

  std::string to_string() const;
  friend bool operator==(const Conv2dParams&, const Conv2dParams&) = default;
};

// groups == in_channels == out_channels.
bool is_depthwise(const Conv2dParams& p);
// Depthwise with input height 1 and kernel height 1 (reference section 5).
bool is_1d_depthwise(const Conv2dParams& p);
// Depthwise, not 1D along either axis, kernel not 1x1.
bool is_2d_depthwise(const Conv2dParams& p);

// Throws InvalidArgument ("not supported") naming the parameters unless the conv is
// depthwise. Every depthwise conv runs: 2D, 1D and 1x1 take the same program.
void check_depthwise_supported(const Conv2dParams& p);

}  // namespace shardwise
