// shardwise reference: the double-precision reference conv on a case, with a summary.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "conv_options.hpp"
#include "core/bfloat16.hpp"
#include "core/error.hpp"
#include "core/host_memory_budget.hpp"
#include "npy.hpp"
#include "ops/reference/conv2d_reference.hpp"

namespace shardwise::cli {
namespace {

struct ReferenceOptions {
  ConvShapeOptions shape;
  std::string activation = "none";
  bool bias = false;
  std::uint64_t seed = 0;
  bool json = false;
  std::string save_output;
};

void run_reference(const ReferenceOptions& o) {
  const Conv2dParams cp = o.shape.to_params();
  reference::Conv2dParams p;
  p.batch = cp.batch;
  p.in_channels = cp.in_channels;
  p.out_channels = cp.out_channels;
  p.height = cp.input_height;
  p.width = cp.input_width;
  p.groups = cp.groups;
  p.kernel_h = cp.kernel_h;
  p.kernel_w = cp.kernel_w;
  p.stride_h = cp.stride_h;
  p.stride_w = cp.stride_w;
  p.dilation_h = cp.dilation_h;
  p.dilation_w = cp.dilation_w;
  p.pad_top = cp.pad_top;
  p.pad_bottom = cp.pad_bottom;
  p.pad_left = cp.pad_left;
  p.pad_right = cp.pad_right;
  p.activation = parse_activation(o.activation);
  p.validate();
  // Before allocating: the input (values and their bfloat16 copy) and the double output.
  const double input_count = static_cast<double>(p.batch) * static_cast<double>(p.in_channels) * static_cast<double>(p.height) *
                             static_cast<double>(p.width);
  const double output_count = static_cast<double>(p.batch) * static_cast<double>(p.out_channels) * static_cast<double>(p.out_height()) *
                              static_cast<double>(p.out_width());
  const double bytes = 8.0 * input_count + 8.0 * output_count;
  check_host_memory(bytes > 1.8e19 ? ~0ull : static_cast<std::uint64_t>(bytes),
                    fmt::format("this reference run ({:.0f} input and {:.0f} output values)", input_count, output_count));

  // bfloat16-representable inputs, as a bfloat16 run would see them.
  auto to_bf16 = [](std::vector<float> v) {
    for (auto& x : v) x = round_to_bfloat16(x);
    return v;
  };
  const auto input = to_bf16(random_normal(static_cast<std::size_t>(p.batch * p.in_channels * p.height * p.width), o.seed));
  const auto weight = to_bf16(random_normal(
      static_cast<std::size_t>(p.out_channels * (p.in_channels / p.groups) * p.kernel_h * p.kernel_w), o.seed + 1));
  std::vector<float> bias;
  if (o.bias) bias = to_bf16(random_normal(static_cast<std::size_t>(p.out_channels), o.seed + 2));

  const std::vector<double> out = reference::conv2d(p, input, weight, bias);
  const auto [lo, hi] = std::minmax_element(out.begin(), out.end());
  double sum = 0;
  for (double v : out) sum += v;
  const std::vector<std::int64_t> shape{p.batch, p.out_channels, p.out_height(), p.out_width()};

  if (!o.save_output.empty()) npy::save(o.save_output, shape, std::vector<float>(out.begin(), out.end()));
  if (o.json) {
    nlohmann::json j = {{"output_shape", shape}, {"min", *lo}, {"max", *hi}, {"sum", sum}, {"groups", p.groups}};
    std::cout << j.dump() << "\n";
    return;
  }
  std::cout << fmt::format(
      "reference conv2d (double precision)\n"
      "  input    [N={}, C={}, H={}, W={}]  groups={}  kernel {}x{}  stride {}x{}  padding t{} b{} l{} r{}  "
      "dilation {}x{}  activation {}{}\n"
      "  output   [{}]\n"
      "  values   min {:.6g}  max {:.6g}  sum {:.9g}\n",
      p.batch, p.in_channels, p.height, p.width, p.groups, p.kernel_h, p.kernel_w, p.stride_h, p.stride_w, p.pad_top,
      p.pad_bottom, p.pad_left, p.pad_right, p.dilation_h, p.dilation_w, to_string(p.activation),
      o.bias ? "  bias" : "", fmt::join(shape, ", "), *lo, *hi, sum);
}

}  // namespace

void add_reference_command(CLI::App& app) {
  auto o = std::make_shared<ReferenceOptions>();
  CLI::App* cmd = app.add_subcommand("reference", "Run the double-precision reference conv2d on random inputs");
  o->shape.add_to(*cmd);
  cmd->add_option("--activation", o->activation, "none|relu|relu6|silu|gelu|sigmoid|tanh|hardswish|leaky_relu (slope 0.01)")->capture_default_str();
  cmd->add_flag("--bias", o->bias, "add a random bias");
  cmd->add_option("--seed", o->seed, "random seed")->check(unsigned_integer_text())->capture_default_str();
  cmd->add_flag("--json", o->json, "print one JSON object");
  cmd->add_option("--save-output", o->save_output, "write the output as float32 NCHW .npy");
  cmd->callback([o] { run_reference(*o); });
}

}  // namespace shardwise::cli
