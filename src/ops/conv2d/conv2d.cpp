// conv2d's entry points: argument checks, weight preparation, and the choice of the
// program factory (host program or the chip presets' programs). Planning lives in
// plan.cpp, the chip programs in program_factory.cpp, the host program in host/.
#include "ops/conv2d/conv2d.hpp"

#include <cstring>

#include "core/error.hpp"
#include "numerics/packer.hpp"
#include "ops/conv2d/host/host_program.hpp"
#include "ops/conv2d/program_factory.hpp"

namespace shardwise {
namespace {

void validate_input(const DeviceTensor& input, const Conv2dParams& p) {
  check_arg(input.buffer != nullptr, "conv2d: the input tensor has no device buffer");
  check_arg(input.layout == Layout::ROW_MAJOR, "conv2d: the input must be ROW_MAJOR sticks, got {}", to_string(input.layout));
  check_arg(input.dtype == DataType::BFLOAT16 || input.dtype == DataType::FLOAT32,
            "conv2d: input dtype {} is not supported: use bfloat16 or float32", to_string(input.dtype));
  const Shape& s = input.logical_shape;
  const std::uint64_t sticks = std::uint64_t{p.batch} * p.input_height * p.input_width;
  const bool flat = s.rank() == 4 && s[0] == 1 && s[1] == 1 && s[2] == sticks && s[3] == p.in_channels;
  const bool nhwc = s.rank() == 4 && s[0] == p.batch && s[1] == p.input_height && s[2] == p.input_width && s[3] == p.in_channels;
  if (!flat && !nhwc)  // not check_arg: its arguments (the shape's text) would be built on every call
    throw InvalidArgument(fmt::format("conv2d: input shape {} does not match [1, 1, N*H*W, C] = [1, 1, {}, {}] or [N, H, W, C] = [{}, {}, {}, {}]",
                                      s.to_string(), sticks, p.in_channels, p.batch, p.input_height, p.input_width, p.in_channels));
}

void validate_config(const Conv2dConfig& c, DataType output_dtype) {
  check_arg(is_floating_point(c.weights_dtype), "weights dtype {} is not supported: use bfloat16, float32, bfloat8_b or bfloat4_b",
            to_string(c.weights_dtype));
  check_arg(output_dtype == DataType::BFLOAT16 || output_dtype == DataType::FLOAT32 || is_block_float(output_dtype),
            "output dtype {} is not supported: use bfloat16, float32, bfloat8_b or bfloat4_b", to_string(output_dtype));
  check_arg(!is_block_float(output_dtype) || c.output_layout == Layout::TILE,
            "output dtype {} needs output_layout TILE (its exponents are shared by 16 values of a face row); ROW_MAJOR was asked for",
            to_string(output_dtype));
}

// A block-float output, from the conv's float32 TILE output (the Dst values: an fp32
// Dst holds them, a bf16 Dst's are bfloat16 values): every tile packed as the chip's
// packer does with CHIP numerics (numerics/packer.hpp: through bfloat16, shared
// exponent per face row, ties away from zero), with the tensor library's conversion
// (round to nearest even) with EXACT numerics; placed as the float32 output was. The
// packing runs after the conv's programs, on the host side of the model.
DeviceTensor pack_block_float_output(const DeviceTensor& output, DataType dtype, Numerics numerics, Device& device) {
  const Tensor values = from_device(output);
  Tensor packed = values.to_dtype(dtype);  // EXACT; also sizes the storage for CHIP
  if (numerics == Numerics::CHIP) {
    const std::span<const std::uint8_t> in = values.bytes();
    const std::span<std::uint8_t> out = packed.mutable_bytes();
    const std::uint64_t in_tile = tile_size(DataType::FLOAT32), out_tile = tile_size(dtype);
    std::vector<std::uint32_t> dst(kTileElements);
    for (std::uint64_t t = 0; t < values.num_tiles(); ++t) {
      std::memcpy(dst.data(), in.data() + t * in_tile, in_tile);
      pack_block_float_tile_from_dst(dst, dtype, out.subspan(t * out_tile, out_tile));
    }
  }
  return to_device(packed, device, output.memory_config, "conv2d output");
}

// Which program factory runs the conv (TT-NN's select_program_factory): the host
// program on the `host` preset where it applies, the TT-faithful programs otherwise.
Conv2dResult run_conv2d(const DeviceTensor& input, const PreparedWeights& weights, Device& device, const Conv2dParams& p,
                        const Conv2dConfig& config) {
  const DataType output_dtype = config.output_dtype.value_or(input.dtype);
  validate_config(config, output_dtype);
  if (is_block_float(output_dtype)) {
    Conv2dConfig float_output = config;
    float_output.output_dtype = DataType::FLOAT32;
    Conv2dResult result = run_conv2d(input, weights, device, p, float_output);
    const DeviceTensor values = std::move(result.output);  // freed once packed
    result.output = pack_block_float_output(values, output_dtype, numerics_in_force(config, device.arch()), device);
    return result;
  }
  if (host_program_applies(device, input, config)) return run_host_conv2d(input, weights, device, p, config);
  return run_chip_conv2d(input, weights, device, p, config);
}

}  // namespace

PreparedWeights prepare_depthwise_weights(Device& device, const Tensor& weight, const std::optional<Tensor>& bias,
                                          std::uint32_t shards, DataType weights_dtype) {
  const Shape& s = weight.logical_shape();
  check_arg(s.rank() == 4 && s[1] == 1, "depthwise weights must be [C, 1, kh, kw], got {}", s.to_string());
  PreparedWeights prepared{to_device(prepare_conv_weights(weight, shards, weights_dtype), device, MemoryConfig::dram_interleaved(),
                                     "conv2d weights"),
                           std::nullopt, DepthwiseWeightLayout(s[0], s[2], s[3], shards), weights_dtype, std::nullopt};
  if (bias)
    prepared.bias = to_device(prepare_conv_bias(*bias, s[0], shards, weights_dtype), device, MemoryConfig::dram_interleaved(),
                              "conv2d bias");
  if (device.arch().is_host()) prepared.host_packed = pack_host_weights(device, prepared);
  return prepared;
}

Conv2dResult conv2d(const DeviceTensor& input, const Tensor& weight, const std::optional<Tensor>& bias, Device& device,
                    const Conv2dParams& params, const Conv2dConfig& config) {
  const ParallelConfig pc = conv2d_parallel_config(params, config, device.arch());
  validate_input(input, params);
  const Shape& ws = weight.logical_shape();
  check_arg(ws.rank() == 4 && ws[0] == params.out_channels && ws[1] == 1 && ws[2] == params.kernel_h && ws[3] == params.kernel_w,
            "conv2d: weight shape {} does not match [C, 1, kh, kw] = [{}, 1, {}, {}]", ws.to_string(), params.out_channels,
            params.kernel_h, params.kernel_w);
  if (bias)
    check_arg(bias->logical_shape().volume() == params.out_channels, "conv2d: bias shape {} does not hold {} values",
              bias->logical_shape().to_string(), params.out_channels);
  validate_config(config, config.output_dtype.value_or(input.dtype));
  const PreparedWeights prepared = prepare_depthwise_weights(device, weight, bias, pc.channel_shards(), config.weights_dtype);
  return run_conv2d(input, prepared, device, params, config);
}

Conv2dResult conv2d(const DeviceTensor& input, const PreparedWeights& prepared, Device& device, const Conv2dParams& params,
                    const Conv2dConfig& config, const DeviceTensor* output) {
  params.validate();
  check_depthwise_supported(params);
  check_fits_dram(params, device.arch());
  validate_input(input, params);
  if (!output) return run_conv2d(input, prepared, device, params, config);
  const DataType out_dtype = config.output_dtype.value_or(input.dtype);
  validate_config(config, out_dtype);
  check_arg(host_program_applies(device, input, config),
            "conv2d into a given output tensor: only the host preset's program writes into one (ROW_MAJOR DRAM input and "
            "output, an activation it fuses: none, relu or relu6; exact numerics, no requested slices)");
  const Shape& s = output->logical_shape;
  const bool flat = s.rank() == 4 && s[0] == 1 && s[1] == 1 && s[2] == params.output_sticks() && s[3] == params.out_channels;
  const bool nhwc = s.rank() == 4 && s[0] == params.batch && s[1] == params.out_height() && s[2] == params.out_width() &&
                    s[3] == params.out_channels;
  check_arg(output->buffer != nullptr && output->layout == Layout::ROW_MAJOR && output->dtype == out_dtype &&
                output->memory_config == MemoryConfig::dram_interleaved() && (flat || nhwc) &&
                output->buffer->aligned_page_size() == params.out_channels * element_size(out_dtype),
            "conv2d: the given output tensor must be ROW_MAJOR {} in DRAM, [1, 1, {}, {}] or [{}, {}, {}, {}] with unpadded "
            "pages; got {} {} {}",
            to_string(out_dtype), params.output_sticks(), params.out_channels, params.batch, params.out_height(),
            params.out_width(), params.out_channels, to_string(output->dtype), to_string(output->layout), s.to_string());
  return run_host_conv2d(input, prepared, device, params, config, output);
}

}  // namespace shardwise
