// Depthwise conv2d, weight/bias preparation and the comparison metrics. The Python
// layer (shardwise/conv2d.py) turns TT-NN's keyword arguments into Conv2dParams and
// Conv2dConfig and calls these.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "bindings.hpp"
#include "core/error.hpp"
#include "handles.hpp"
#include "ops/conv2d/conv2d.hpp"
#include "ops/reference/metrics.hpp"

namespace py = pybind11;

namespace shardwise::python {

namespace {

// conv2d's input as a ROW_MAJOR device tensor: a host tensor (or a TILE one) is moved
// into DRAM interleaved first, as TT-NN does with host inputs. Called with `device`'s
// run_mutex held (so a device input is read back with to_host_locked: to_host would
// take the same mutex again and wait forever).
DeviceTensor conv_input(const TensorHandle& input, DeviceHandle& device) {
  if (!input.on_host()) {
    check_arg(input.device.get() == &device, "conv2d: the input tensor is on another device than `device`");
    if (input.layout() == Layout::ROW_MAJOR) return input.device_tensor();
  }
  Tensor host = input.to_host_locked();
  // Block-float activations (bfloat8_b, bfloat4_b: TILE only) become bfloat16 sticks, as
  // TT-NN's halo untilizes them: exact, since a shared exponent and a mantissa of at
  // most 7 bits is a bfloat16 value.
  if (is_block_float(host.dtype())) host = host.to_dtype(DataType::BFLOAT16);
  if (host.layout() != Layout::ROW_MAJOR) host = host.to_layout(Layout::ROW_MAJOR);
  return to_device(host, device.get(), MemoryConfig::dram_interleaved(), "conv2d input");
}

PreparedWeights prepared_from(const TensorHandle& weight, const TensorHandle* bias, const DeviceHandle& device) {
  check_arg(weight.device.get() == &device, "conv2d: the prepared weights are on another device than `device`");
  PreparedWeights prepared{weight.device_tensor(), std::nullopt, *weight.weight_layout, weight.dtype(), std::nullopt};
  if (bias != nullptr) {
    check_arg(bias->prepared == PreparedRole::CONV_BIAS,
              "conv2d: with prepared weights the bias must be prepared too (prepare_conv_bias or a previous "
              "conv2d's return_weights_and_bias), got a {} tensor",
              bias->on_host() ? "host" : "device");
    check_arg(bias->device.get() == &device, "conv2d: the prepared bias is on another device than `device`");
    prepared.bias = bias->device_tensor();
  }
  return prepared;
}

struct Conv2dOutput {
  TensorHandle output;
  std::uint32_t out_height = 0;
  std::uint32_t out_width = 0;
  TensorHandle weight;
  std::optional<TensorHandle> bias;
  std::string plan;
  std::string layout;
  std::string grid;
  std::string reason;
  std::size_t slices = 1;
  std::uint32_t channel_passes = 1;
  std::uint32_t num_cores = 0;
  std::string numerics;  // the arithmetic in force, e.g. "chip (hifi4, fp32 Dst)"
};

Conv2dOutput run_conv2d(const TensorHandle& input, const TensorHandle& weight, std::optional<TensorHandle> bias,
                        const std::shared_ptr<DeviceHandle>& device, const Conv2dParams& params, const Conv2dConfig& config,
                        std::optional<TensorHandle> output) {
  check_arg(device != nullptr, "conv2d: device is None; open one with shardwise.open_device()");
  if (output) {
    check_arg(weight.prepared == PreparedRole::CONV_WEIGHTS, "conv2d into a given output tensor needs prepared weights");
    check_arg(!output->on_host() && output->device.get() == device.get(), "conv2d: the given output tensor must be on `device`");
  }
  check_arg(weight.prepared != PreparedRole::CONV_BIAS, "conv2d: weight_tensor is a prepared bias");
  if (bias) check_arg(bias->prepared != PreparedRole::CONV_WEIGHTS, "conv2d: bias_tensor is a prepared weight tensor");
  py::gil_scoped_release release;
  std::lock_guard lock(device->run_mutex);
  Device& dev = device->get();
  const DeviceTensor in = conv_input(input, *device);
  Conv2dResult result;
  if (weight.prepared == PreparedRole::CONV_WEIGHTS) {
    PreparedWeights prepared = prepared_from(weight, bias ? &*bias : nullptr, *device);
    const std::shared_ptr<Buffer> bias_buffer = prepared.bias ? prepared.bias->buffer : nullptr;
    if (weight.host_packed && weight.host_packed->bias_buffer == bias_buffer) prepared.host_packed = weight.host_packed->packed;
    result = conv2d(in, prepared, dev, params, config, output ? &output->device_tensor() : nullptr);
    if (result.prepared.host_packed && !prepared.host_packed)
      weight.host_packed = std::make_shared<HostPackedWeights>(HostPackedWeights{*result.prepared.host_packed, bias_buffer});
  } else {
    check_arg(!bias || bias->prepared == PreparedRole::NONE,
              "conv2d: a prepared bias needs the prepared weights it was made with, not host weights");
    std::optional<Tensor> host_bias;
    if (bias) host_bias = bias->to_host_locked();
    const Tensor host_weight = weight.to_host_locked();
    result = conv2d(in, host_weight, host_bias, dev, params, config);
  }
  const ParallelConfig& pc = result.plan->parallel;
  Conv2dOutput out{.output = TensorHandle::from_device_tensor(result.output, device),
                   .out_height = result.out_height,
                   .out_width = result.out_width,
                   .weight = TensorHandle::from_device_tensor(result.prepared.weights, device),
                   .bias = std::nullopt,
                   .plan = result.plan->summary(),
                   .layout = std::string(to_string(pc.layout)),
                   .grid = pc.grid.to_string(),
                   .reason = pc.reason,
                   .slices = result.plan->slices.size(),
                   .channel_passes = pc.channel_passes,
                   .num_cores = pc.num_cores(),
                   .numerics = result.plan->numerics_summary()};
  out.weight.prepared = PreparedRole::CONV_WEIGHTS;
  out.weight.weight_layout = result.prepared.layout;
  if (result.prepared.bias) {
    out.bias = TensorHandle::from_device_tensor(*result.prepared.bias, device);
    out.bias->prepared = PreparedRole::CONV_BIAS;
  }
  if (result.prepared.host_packed)  // the returned weights come back packed for the host program
    out.weight.host_packed = std::make_shared<HostPackedWeights>(
        HostPackedWeights{*result.prepared.host_packed, result.prepared.bias ? result.prepared.bias->buffer : nullptr});
  return out;
}

std::uint32_t shards_for(const Conv2dParams& params, const Conv2dConfig& config, const DeviceHandle& device) {
  return conv2d_parallel_config(params, config, device.get().arch()).channel_shards();
}

TensorHandle prepare_weights(const TensorHandle& weight, const std::shared_ptr<DeviceHandle>& device,
                             const Conv2dParams& params, const Conv2dConfig& config) {
  check_arg(device != nullptr, "prepare_conv_weights: device is None");
  check_arg(weight.prepared == PreparedRole::NONE, "prepare_conv_weights: the weights are prepared already");
  py::gil_scoped_release release;
  std::lock_guard lock(device->run_mutex);
  const Tensor host = weight.to_host_locked();
  const Shape& s = host.logical_shape();
  check_arg(s.rank() == 4 && s[0] == params.out_channels && s[1] == 1 && s[2] == params.kernel_h && s[3] == params.kernel_w,
            "prepare_conv_weights: weight shape {} does not match [C, 1, kh, kw] = [{}, 1, {}, {}]", s.to_string(),
            params.out_channels, params.kernel_h, params.kernel_w);
  const std::uint32_t shards = shards_for(params, config, *device);
  TensorHandle out = TensorHandle::from_device_tensor(
      to_device(prepare_conv_weights(host, shards, config.weights_dtype), device->get(), MemoryConfig::dram_interleaved(),
                "conv2d weights"),
      device);
  out.prepared = PreparedRole::CONV_WEIGHTS;
  out.weight_layout = DepthwiseWeightLayout(s[0], s[2], s[3], shards);
  return out;
}

TensorHandle prepare_bias(const TensorHandle& bias, const std::shared_ptr<DeviceHandle>& device, const Conv2dParams& params,
                          const Conv2dConfig& config) {
  check_arg(device != nullptr, "prepare_conv_bias: device is None");
  check_arg(bias.prepared == PreparedRole::NONE, "prepare_conv_bias: the bias is prepared already");
  py::gil_scoped_release release;
  std::lock_guard lock(device->run_mutex);
  const Tensor host = bias.to_host_locked();
  check_arg(host.logical_shape().volume() == params.out_channels, "prepare_conv_bias: bias shape {} does not hold {} values",
            host.logical_shape().to_string(), params.out_channels);
  const std::uint32_t shards = shards_for(params, config, *device);
  TensorHandle out = TensorHandle::from_device_tensor(
      to_device(prepare_conv_bias(host, params.out_channels, shards, config.weights_dtype), device->get(),
                MemoryConfig::dram_interleaved(), "conv2d bias"),
      device);
  out.prepared = PreparedRole::CONV_BIAS;
  return out;
}

// The [C, 1, kh, kw] weights / [1, 1, 1, C] bias exactly as a prepared tensor holds
// them (after its dtype's rounding): the inverse of the section 6 layout.
TensorHandle unprepare_weights(const TensorHandle& prepared) {
  check_arg(prepared.prepared == PreparedRole::CONV_WEIGHTS,
            "unprepare_conv_weights: the tensor is not prepared conv weights (prepare_conv_weights or conv2d's "
            "return_weights_and_bias make them)");
  const Tensor host = prepared.to_host();
  const DepthwiseWeightLayout& l = *prepared.weight_layout;
  return TensorHandle::from_host(Tensor::from_vector(unprepare_conv_weights(host, l), Shape{l.channels, 1, l.kernel_h, l.kernel_w}));
}

TensorHandle unprepare_bias(const TensorHandle& prepared) {
  check_arg(prepared.prepared == PreparedRole::CONV_BIAS,
            "unprepare_conv_bias: the tensor is not a prepared conv bias (prepare_conv_bias or conv2d's "
            "return_weights_and_bias make one)");
  const Tensor host = prepared.to_host();
  const std::uint32_t channels = host.logical_shape().back(0);
  return TensorHandle::from_host(Tensor::from_vector(unprepare_conv_bias(host, channels), Shape{1, 1, 1, channels}));
}

using DoubleArray = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::pair<std::span<const double>, std::span<const double>> same_size(const DoubleArray& expected, const DoubleArray& actual) {
  check_arg(expected.size() == actual.size(), "pcc: the tensors hold {} and {} values; they must hold the same number",
            expected.size(), actual.size());
  return {{expected.data(), static_cast<std::size_t>(expected.size())}, {actual.data(), static_cast<std::size_t>(actual.size())}};
}

}  // namespace

void bind_conv2d(py::module_& m) {
  py::class_<Conv2dParams>(m, "Conv2dParams", "Shapes of a conv2d call (the Python conv2d fills it from its keywords).")
      .def(py::init<>())
      .def_readwrite("batch", &Conv2dParams::batch)
      .def_readwrite("in_channels", &Conv2dParams::in_channels)
      .def_readwrite("out_channels", &Conv2dParams::out_channels)
      .def_readwrite("input_height", &Conv2dParams::input_height)
      .def_readwrite("input_width", &Conv2dParams::input_width)
      .def_readwrite("kernel_h", &Conv2dParams::kernel_h)
      .def_readwrite("kernel_w", &Conv2dParams::kernel_w)
      .def_readwrite("stride_h", &Conv2dParams::stride_h)
      .def_readwrite("stride_w", &Conv2dParams::stride_w)
      .def_readwrite("pad_top", &Conv2dParams::pad_top)
      .def_readwrite("pad_bottom", &Conv2dParams::pad_bottom)
      .def_readwrite("pad_left", &Conv2dParams::pad_left)
      .def_readwrite("pad_right", &Conv2dParams::pad_right)
      .def_readwrite("dilation_h", &Conv2dParams::dilation_h)
      .def_readwrite("dilation_w", &Conv2dParams::dilation_w)
      .def_readwrite("groups", &Conv2dParams::groups)
      .def("validate", &Conv2dParams::validate)
      .def("out_height", &Conv2dParams::out_height)
      .def("out_width", &Conv2dParams::out_width)
      .def("__repr__", &Conv2dParams::to_string);

  py::enum_<Activation>(m, "Activation")
      .value("NONE", Activation::NONE)
      .value("RELU", Activation::RELU)
      .value("RELU6", Activation::RELU6)
      .value("SILU", Activation::SILU)
      .value("GELU", Activation::GELU)
      .value("SIGMOID", Activation::SIGMOID)
      .value("TANH", Activation::TANH)
      .value("HARDSWISH", Activation::HARDSWISH)
      .value("LEAKY_RELU", Activation::LEAKY_RELU);
  m.def("parse_activation", [](const std::string& name) { return parse_activation(name); }, py::arg("name"));

  py::class_<Conv2dConfig>(m, "Conv2dConfigCore", "The C++ Conv2dConfig (the Python Conv2dConfig fills it).")
      .def(py::init<>())
      .def_readwrite("shard_layout", &Conv2dConfig::shard_layout)
      .def_readwrite("num_cores", &Conv2dConfig::num_cores)
      .def_readwrite("grid", &Conv2dConfig::grid)
      .def_readwrite("orientation", &Conv2dConfig::orientation)
      .def_readwrite("weights_dtype", &Conv2dConfig::weights_dtype)
      .def_readwrite("output_dtype", &Conv2dConfig::output_dtype)
      .def_readwrite("activation", &Conv2dConfig::activation)
      .def_readwrite("leaky_slope", &Conv2dConfig::leaky_slope)
      .def_readwrite("dram_slices", &Conv2dConfig::dram_slices)
      .def_readwrite("output_layout", &Conv2dConfig::output_layout)
      .def_readwrite("bfloat16_accumulation", &Conv2dConfig::bfloat16_accumulation)
      .def_property(
          "numerics",  // None (the arch's default), "chip" or "exact"
          [](const Conv2dConfig& c) -> std::optional<std::string> {
            if (!c.numerics) return std::nullopt;
            return std::string(to_string(*c.numerics));
          },
          [](Conv2dConfig& c, const std::optional<std::string>& name) {
            c.numerics = name ? std::optional<Numerics>(parse_numerics(*name)) : std::nullopt;
          })
      .def_property(
          "math_fidelity",  // "lofi", "hifi2", "hifi3", "hifi4"
          [](const Conv2dConfig& c) { return std::string(to_string(c.math_fidelity)); },
          [](Conv2dConfig& c, const std::string& name) { c.math_fidelity = parse_math_fidelity(name); });

  py::class_<Conv2dOutput>(m, "Conv2dOutput", "What one conv2d call returned and how it ran.")
      .def_readonly("output", &Conv2dOutput::output)
      .def_readonly("out_height", &Conv2dOutput::out_height)
      .def_readonly("out_width", &Conv2dOutput::out_width)
      .def_readonly("weight", &Conv2dOutput::weight)
      .def_readonly("bias", &Conv2dOutput::bias)
      .def_readonly("plan", &Conv2dOutput::plan)
      .def_readonly("shard_layout", &Conv2dOutput::layout)
      .def_readonly("grid", &Conv2dOutput::grid)
      .def_readonly("reason", &Conv2dOutput::reason)
      .def_readonly("slices", &Conv2dOutput::slices)
      .def_readonly("channel_passes", &Conv2dOutput::channel_passes)
      .def_readonly("num_cores", &Conv2dOutput::num_cores)
      .def_readonly("numerics", &Conv2dOutput::numerics);

  m.def("conv2d", &run_conv2d, py::arg("input"), py::arg("weight"), py::arg("bias"), py::arg("device"), py::arg("params"),
        py::arg("config"), py::arg("output") = py::none(),
        "Depthwise conv2d on the device model (see shardwise.conv2d); `output`: a device tensor the host program writes into.");
  m.def("prepare_conv_weights", &prepare_weights, py::arg("weight"), py::arg("device"), py::arg("params"),
        py::arg("config"));
  m.def("prepare_conv_bias", &prepare_bias, py::arg("bias"), py::arg("device"), py::arg("params"), py::arg("config"));

  m.def("unprepare_conv_weights", &unprepare_weights, py::arg("prepared_weight"));
  m.def("unprepare_conv_bias", &unprepare_bias, py::arg("prepared_bias"));

  m.def("pcc",
        [](const DoubleArray& expected, const DoubleArray& actual) {
          auto [e, a] = same_size(expected, actual);
          return reference::pcc(e, a);
        },
        py::arg("expected"), py::arg("actual"));
  m.def("compare",
        [](const DoubleArray& expected, const DoubleArray& actual) {
          auto [e, a] = same_size(expected, actual);
          const reference::Comparison c = reference::compare(e, a);
          const auto counts = [](const reference::NonFinite& n) { return py::dict(py::arg("nan") = n.nan, py::arg("inf") = n.inf); };
          return py::dict(py::arg("pcc") = c.pcc, py::arg("max_abs_err") = c.max_abs_err,
                          py::arg("norm_max_err") = c.norm_max_err,
                          py::arg("nonfinite") = py::dict(py::arg("expected") = counts(c.expected_nonfinite),
                                                          py::arg("actual") = counts(c.actual_nonfinite)));
        },
        py::arg("expected"), py::arg("actual"));
}

}  // namespace shardwise::python
