#include "ops/conv2d/host/host_program.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "device/program.hpp"
#include "ops/conv2d/host/host_kernel_args.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {
namespace {

std::uint64_t round_up(std::uint64_t v, std::uint64_t m) { return (v + m - 1) / m * m; }

std::uint32_t packed_channels(std::uint32_t channels) { return static_cast<std::uint32_t>(round_up(channels, kPackedChannelAlign)); }

}  // namespace

bool host_program_applies(const Device& device, const DeviceTensor& input, const Conv2dConfig& config) {
  const Arch& arch = device.arch();
  return arch.is_host() && arch.num_dram_banks == 1 && input.memory_config.buffer_type == BufferType::DRAM &&
         input.layout == Layout::ROW_MAJOR && config.output_layout == Layout::ROW_MAJOR && dw_row_supports(config.activation) &&
         !config.bfloat16_accumulation && config.fault == InjectedFault::NONE;
}

DeviceTensor pack_host_weights(Device& device, const PreparedWeights& prepared) {
  const DepthwiseWeightLayout& l = prepared.layout;
  const std::uint32_t C = l.channels, K = l.kernel_h * l.kernel_w, Cpad = packed_channels(C);
  const std::vector<float> weights = unprepare_conv_weights(from_device(prepared.weights), l);  // [C][K]
  std::vector<float> packed(std::size_t{K + 1} * Cpad, 0.0f);
  for (std::uint32_t c = 0; c < C; ++c)
    for (std::uint32_t k = 0; k < K; ++k) packed[std::size_t{k} * Cpad + c] = weights[std::size_t{c} * K + k];
  if (prepared.bias) {
    const std::vector<float> bias = unprepare_conv_bias(from_device(*prepared.bias), C);
    std::copy(bias.begin(), bias.end(), packed.begin() + std::size_t{K} * Cpad);
  }
  return to_device(Tensor::from_vector(packed, Shape{1, 1, K + 1, Cpad}), device, MemoryConfig::dram_interleaved(),
                   "conv2d host-packed weights");
}

Conv2dResult run_host_conv2d(const DeviceTensor& input, const PreparedWeights& weights, Device& device, const Conv2dParams& p,
                             const Conv2dConfig& config) {
  const DataType out_dtype = config.output_dtype.value_or(input.dtype);
  const std::uint32_t C = p.in_channels, Ho = p.out_height(), Wo = p.out_width();
  const std::uint32_t in_es = static_cast<std::uint32_t>(element_size(input.dtype));
  const std::uint32_t out_es = static_cast<std::uint32_t>(element_size(out_dtype));
  std::optional<DeviceTensor> packed_now;
  if (!weights.host_packed) packed_now = pack_host_weights(device, weights);
  const DeviceTensor& packed = weights.host_packed ? *weights.host_packed : *packed_now;

  Conv2dResult result;
  result.output = allocate_device_tensor(device, Shape{1, 1, static_cast<std::int64_t>(p.output_sticks()), C}, out_dtype,
                                         Layout::ROW_MAJOR, MemoryConfig::dram_interleaved(), "conv2d output");
  const Buffer& in_buf = *input.buffer;
  const Buffer& out_buf = *result.output.buffer;
  const Buffer& w_buf = *packed.buffer;

  // Work split: rows over cores, channel blocks (multiples of 32) when rows are few.
  const std::uint32_t cores_available = device.arch().num_cores();
  const std::uint64_t rows = std::uint64_t{p.batch} * Ho;
  std::uint32_t blocks = 1;
  if (rows < 4ull * cores_available)
    blocks = std::min<std::uint32_t>(static_cast<std::uint32_t>((4ull * cores_available + rows - 1) / rows), (C + 31) / 32);
  const std::uint32_t block_channels = static_cast<std::uint32_t>(round_up((C + blocks - 1) / blocks, 32));
  blocks = (C + block_channels - 1) / block_channels;
  const std::uint64_t items = rows * blocks;
  const std::uint32_t cores = static_cast<std::uint32_t>(std::min<std::uint64_t>(cores_available, items));
  const std::uint64_t per_core = (items + cores - 1) / cores;

  DwRowShape shape;
  shape.kernel_w = p.kernel_w;
  shape.dilation_w = p.dilation_w;
  shape.stride_w = p.stride_w;
  shape.in_width = p.input_width;
  shape.pad_left = p.pad_left;
  shape.out_width = Wo;
  shape.in_pixel_stride = in_buf.aligned_page_size() / in_es;
  shape.out_pixel_stride = out_buf.aligned_page_size() / out_es;
  shape.packed_channels = packed_channels(C);
  const DwRowMicrokernel kernel =
      select_dw_row_microkernel(DwRowKernelKey{input.dtype, out_dtype, config.activation, p.kernel_w, p.stride_w, p.dilation_w});

  Conv2dPlan& plan = result.plan;
  plan.arch = device.arch().name;
  plan.output_in_dram = true;
  plan.host_microkernel = kernel.name;
  ParallelConfig& pc = plan.parallel;
  pc.layout = TensorMemoryLayout::HEIGHT_SHARDED;
  pc.grid = CoreRangeSet{{CoreRange{{0, 0}, {cores - 1, 0}}}};
  pc.cores_nhw = cores;
  pc.channels_per_shard = block_channels;
  pc.reason = fmt::format("host program: {} output rows x {} channel block(s) of {} over {} core(s), input read in place, "
                          "microkernel {}", rows, blocks, block_channels, cores, kernel.name);
  SlicePlan& slice = plan.slices.emplace_back();
  slice.num_outputs = p.output_sticks();
  slice.shard_height = static_cast<std::uint32_t>((per_core + blocks - 1) / blocks * Wo);  // output sticks per core, at most

  Program program("depthwise conv2d (host)");
  program.add_circular_buffer(pc.grid, CircularBufferConfig{kHostWindowCb, host_window_page_bytes(p.kernel_h), kHostWindowPages,
                                                            DataType::UINT32, nullptr});
  const HostReaderArgs reader_args{p.kernel_h, p.dilation_h, p.stride_h, p.pad_top, p.input_height, Ho, C, blocks, block_channels,
                                   in_buf.address(), in_buf.aligned_page_size(),
                                   std::uint64_t{p.input_width} * in_buf.aligned_page_size(), out_buf.address(),
                                   out_buf.aligned_page_size(), std::uint64_t{Wo} * out_buf.aligned_page_size(), in_es, out_es};
  const HostComputeArgs compute_args{shape, kernel.fn, p.kernel_h, in_buf.address(), in_buf.bytes_per_bank(), out_buf.address(),
                                     out_buf.bytes_per_bank(), w_buf.address(), w_buf.bytes_per_bank(), in_es, out_es};
  const KernelHandle reader = program.add_kernel("reader_depthwise_host", KernelRole::READER, pc.grid, reader_depthwise_host, reader_args);
  const KernelHandle compute =
      program.add_kernel("compute_depthwise_host", KernelRole::COMPUTE, pc.grid, compute_depthwise_host, compute_args);
  for (std::uint32_t i = 0; i < cores; ++i) {
    const std::uint64_t first = std::min(items, i * per_core), count = std::min(items, first + per_core) - first;
    const CoreCoord core{i, 0};
    program.set_runtime_args(reader, core, HostCoreArgs{first, count});
    program.set_runtime_args(compute, core, HostCoreArgs{first, count});
    pc.work.push_back(CoreWork{core, i, 0});
    slice.cores.push_back(CorePlan{core, i, 0, first / blocks * Wo, static_cast<std::uint32_t>(count * Wo / blocks), 0, 0, 0, 0});
  }
  device.run(program);
  result.out_height = Ho;
  result.out_width = Wo;
  result.prepared = weights;
  return result;
}

}  // namespace shardwise
