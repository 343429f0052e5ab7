#include "conv2d_runner.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "core/bfloat16.hpp"
#include "core/error.hpp"
#include "core/host_memory_budget.hpp"
#include "ops/reference/conv2d_reference.hpp"

namespace shardwise {
namespace {

std::vector<float> normal(std::size_t n, std::uint64_t seed, float scale) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(engine);
  return v;
}

// The values a tensor of `dtype` holds (block-float weights keep bfloat16 values
// here: their quantisation depends on the prepared layout, and the PCC bounds for
// them measure exactly that loss).
std::vector<float> representable(std::vector<float> v, DataType dtype) {
  if (dtype == DataType::FLOAT32) return v;
  for (auto& x : v) x = round_to_bfloat16(x);
  return v;
}

}  // namespace

ConvRun run_conv_case(const ConvCase& c) {
  const Conv2dParams& p = c.params;
  p.validate();
  check_depthwise_supported(p);
  check_arg(c.dtype == DataType::BFLOAT16 || c.dtype == DataType::FLOAT32, "input dtype {} is not supported: use bfloat16 or float32",
            to_string(c.dtype));
  check_arg(c.repeat >= 1 && c.repeat <= 100000, "--repeat {} must be between 1 and 100000", c.repeat);
  const std::uint32_t C = p.in_channels, K = p.kernel_positions();
  const std::size_t input_count = std::size_t{p.batch} * C * p.input_height * p.input_width;
  check_fits_dram(p, arch_preset(c.arch, c.arch_overrides));
  // What this run holds on the host at its peak, per input value: the values, the
  // sticks, the host tensor, the device copy, the reference's double copy (~24 bytes);
  // per output value: the device output read back, NCHW floats, the reference and the
  // comparison's doubles (~32 bytes, 48 with block-float weights' second reference).
  const double output_count = static_cast<double>(p.output_sticks()) * p.out_channels;
  const double host_bytes = 24.0 * static_cast<double>(input_count) + (is_block_float(c.config.weights_dtype) ? 48.0 : 32.0) * output_count;
  check_host_memory(host_bytes > 1.8e19 ? ~0ull : static_cast<std::uint64_t>(host_bytes),
                    fmt::format("this conv2d run ({} input and {:.0f} output values, with the reference)", input_count, output_count));

  std::vector<float> input = c.input ? *c.input : normal(input_count, c.seed, 1.0f);
  check_arg(input.size() == input_count, "input holds {} values, [N, C, H, W] = [{}, {}, {}, {}] needs {}", input.size(), p.batch,
            C, p.input_height, p.input_width, input_count);
  std::vector<float> weight;
  if (c.weight) {
    weight = *c.weight;
  } else if (c.debug_weights) {
    weight.resize(std::size_t{C} * K);
    for (std::uint32_t ch = 0; ch < C; ++ch)
      for (std::uint32_t k = 0; k < K; ++k) weight[std::size_t{ch} * K + k] = static_cast<float>(k + 1);
  } else {
    weight = normal(std::size_t{C} * K, c.seed + 1, 1.0f);
  }
  check_arg(weight.size() == std::size_t{C} * K, "weights hold {} values, [C, 1, kh, kw] = [{}, 1, {}, {}] needs {}", weight.size(),
            C, p.kernel_h, p.kernel_w, std::size_t{C} * K);
  std::optional<std::vector<float>> bias;
  if (c.bias_values) bias = *c.bias_values;
  else if (c.bias) bias = normal(C, c.seed + 2, 10.0f);  // the reference test's bias: random * 10
  if (bias) check_arg(bias->size() == C, "bias holds {} values, {} channels need {}", bias->size(), C, C);

  input = representable(input, c.dtype);
  weight = representable(weight, is_block_float(c.config.weights_dtype) ? DataType::BFLOAT16 : c.config.weights_dtype);
  if (bias) *bias = representable(*bias, is_block_float(c.config.weights_dtype) ? DataType::BFLOAT16 : c.config.weights_dtype);

  // NCHW -> sticks [1, 1, N*H*W, C].
  const std::uint32_t H = p.input_height, W = p.input_width;
  std::vector<float> sticks(input_count);
  for (std::uint32_t n = 0; n < p.batch; ++n)
    for (std::uint32_t ch = 0; ch < C; ++ch)
      for (std::uint32_t h = 0; h < H; ++h)
        for (std::uint32_t w = 0; w < W; ++w)
          sticks[((std::size_t{n} * H + h) * W + w) * C + ch] = input[((std::size_t{n} * C + ch) * H + h) * W + w];

  DeviceOptions options;
  options.dprint = c.dprint;
  options.watcher = c.watcher;
  Device device(arch_preset(c.arch, c.arch_overrides), options);
  const Tensor host_input = Tensor::from_vector(sticks, Shape{1, 1, static_cast<std::int64_t>(std::size_t{p.batch} * H * W), C}, c.dtype);
  const DeviceTensor device_input = to_device(host_input, device, c.input_memory, "conv2d input");
  const Tensor host_weight = Tensor::from_vector(weight, Shape{C, 1, p.kernel_h, p.kernel_w});
  std::optional<Tensor> host_bias;
  if (bias) host_bias = Tensor::from_vector(*bias, Shape{C});

  ConvRun run;
  run.watcher = device.watcher();
  std::vector<double> times;
  run.result = conv2d(device_input, host_weight, host_bias, device, p, c.config);
  const PreparedWeights prepared = run.result.prepared;
  device.dprint_options() = {};  // kernel prints come from the first run only
  // Output sticks [N*Ho*Wo, C] -> NCHW.
  const auto nchw_output = [&](const DeviceTensor& output) {
    const std::vector<float> out_sticks = from_device(output).to_vector();
    const std::uint32_t Ho = p.out_height(), Wo = p.out_width();
    std::vector<float> nchw(out_sticks.size());
    for (std::uint32_t n = 0; n < p.batch; ++n)
      for (std::uint32_t ch = 0; ch < C; ++ch)
        for (std::uint32_t h = 0; h < Ho; ++h)
          for (std::uint32_t w = 0; w < Wo; ++w)
            nchw[((std::size_t{n} * C + ch) * Ho + h) * Wo + w] = out_sticks[((std::size_t{n} * Ho + h) * Wo + w) * C + ch];
    return nchw;
  };
  std::vector<float> exact_output;  // chip numerics: the same conv in float32, for the report
  if (run.result.plan->numerics == Numerics::CHIP) {
    run.result = {};  // its output may hold the L1 the second run needs
    Conv2dConfig exact = c.config;
    exact.numerics = Numerics::EXACT;
    exact_output = nchw_output(conv2d(device_input, prepared, device, p, exact).output);
  }
  for (unsigned i = 0; i < c.repeat; ++i) {
    run.result = {};  // free the previous output, as a model would before running the layer again
    const auto start = std::chrono::steady_clock::now();
    run.result = conv2d(device_input, prepared, device, p, c.config);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  run.median_ms = times[times.size() / 2];

  run.output = nchw_output(run.result.output);

  reference::Conv2dParams rp;
  rp.batch = p.batch;
  rp.in_channels = rp.out_channels = rp.groups = C;
  rp.height = H;
  rp.width = W;
  rp.kernel_h = p.kernel_h;
  rp.kernel_w = p.kernel_w;
  rp.stride_h = p.stride_h;
  rp.stride_w = p.stride_w;
  rp.pad_top = p.pad_top;
  rp.pad_bottom = p.pad_bottom;
  rp.pad_left = p.pad_left;
  rp.pad_right = p.pad_right;
  rp.dilation_h = p.dilation_h;
  rp.dilation_w = p.dilation_w;
  rp.activation = c.config.activation;
  rp.leaky_slope = c.config.leaky_slope;
  if (is_block_float(c.config.weights_dtype)) {
    // Block-float weights and bias: the reference takes the values the device holds
    // (read back and un-laid-out), so the comparison checks the device's arithmetic;
    // the format's own quantisation is measured separately (quantization_pcc).
    const std::vector<double> unquantized = reference::conv2d(rp, input, weight, bias ? std::span<const float>(*bias) : std::span<const float>());
    const PreparedWeights& held = run.result.prepared;
    weight = unprepare_conv_weights(from_device(held.weights), held.layout);
    if (bias) bias = unprepare_conv_bias(from_device(*held.bias), C);
    const std::vector<double> actual(run.output.begin(), run.output.end());
    run.quantization_pcc = reference::pcc(unquantized, actual);
  }
  run.reference = reference::conv2d(rp, input, weight, bias ? std::span<const float>(*bias) : std::span<const float>());
  const std::vector<double> actual(run.output.begin(), run.output.end());
  run.comparison = reference::compare(run.reference, actual);
  if (!exact_output.empty()) run.exact_numerics_pcc = reference::compare(run.reference, std::vector<double>(exact_output.begin(), exact_output.end())).pcc;
  run.input_nonfinite = reference::count_nonfinite(input);
  run.weights_nonfinite = reference::count_nonfinite(weight);
  if (bias) run.bias_nonfinite = reference::count_nonfinite(*bias);
  run.weight_matrix = depthwise_weight_matrix(host_weight, run.result.prepared.layout.shards);
  return run;
}

}  // namespace shardwise
