#include "conv_options.hpp"

#include <CLI/CLI.hpp>

#include "cli_common.hpp"
#include "core/error.hpp"

namespace shardwise::cli {
namespace {

std::uint32_t positive(std::int64_t value, const char* flag) {
  check_arg(value >= 1 && value <= 1'000'000, "{} {} is out of range: it must be between 1 and 1000000", flag, value);
  return static_cast<std::uint32_t>(value);
}

std::uint32_t non_negative(std::int64_t value, const char* flag) {
  check_arg(value >= 0 && value <= 1'000'000, "{} {} is out of range: it must be between 0 and 1000000", flag, value);
  return static_cast<std::uint32_t>(value);
}

}  // namespace

void ConvShapeOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--batch", batch, "batch size N")->check(integer_text())->capture_default_str();
  cmd.add_option("--channels", channels, "channels C (in = out)")->check(integer_text())->capture_default_str();
  cmd.add_option("--groups", groups, "groups (default: channels; anything else is not depthwise)")->check(integer_text());
  cmd.add_option("--height", height, "input height H")->check(integer_text())->capture_default_str();
  cmd.add_option("--width", width, "input width W")->check(integer_text())->capture_default_str();
  cmd.add_option("--kernel", kernel, "kernel K or KHxKW")->capture_default_str();
  cmd.add_option("--stride", stride, "stride S or SHxSW")->capture_default_str();
  cmd.add_option("--padding", padding, "padding P, PHxPW or T,B,L,R")->capture_default_str();
  cmd.add_option("--dilation", dilation, "dilation D or DHxDW")->capture_default_str();
}

Conv2dParams ConvShapeOptions::to_params() const {
  Conv2dParams p;
  p.batch = positive(batch, "--batch");
  p.in_channels = p.out_channels = positive(channels, "--channels");
  p.groups = groups == -1 ? p.in_channels : positive(groups, "--groups");
  p.input_height = positive(height, "--height");
  p.input_width = positive(width, "--width");
  const auto k = parse_pair(kernel, "--kernel");
  p.kernel_h = positive(k[0], "--kernel");
  p.kernel_w = positive(k[1], "--kernel");
  const auto s = parse_pair(stride, "--stride");
  p.stride_h = positive(s[0], "--stride");
  p.stride_w = positive(s[1], "--stride");
  const auto d = parse_pair(dilation, "--dilation");
  p.dilation_h = positive(d[0], "--dilation");
  p.dilation_w = positive(d[1], "--dilation");
  const auto pad = parse_padding(padding);
  p.pad_top = non_negative(pad[0], "--padding");
  p.pad_bottom = non_negative(pad[1], "--padding");
  p.pad_left = non_negative(pad[2], "--padding");
  p.pad_right = non_negative(pad[3], "--padding");
  p.validate();
  return p;
}

}  // namespace shardwise::cli
