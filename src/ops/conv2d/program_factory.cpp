#include "ops/conv2d/program_factory.hpp"

#include "ops/conv2d/kernels/depthwise_args.hpp"
#include "ops/conv2d/plan.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {

Program make_halo_program(const ParallelConfig& pc, const SlicePlan& slice, const StickSource& source,
                          std::uint32_t input_channels, const Buffer& halo, const Buffer& halo_config,
                          std::uint32_t halo_page_bytes) {
  Program program("depthwise halo");
  program.add_circular_buffer(pc.grid, CircularBufferConfig{kHaloCb, halo_page_bytes, slice.halo_sticks, DataType::BFLOAT16, &halo});
  const KernelHandle gather = program.add_kernel(
      "halo_gather", KernelRole::READER, pc.grid, halo_gather_kernel, HaloArgs{source, halo_page_bytes, input_channels, kHaloCb});
  for (const CorePlan& core : slice.cores) {
    const std::uint32_t channels = pc.shard_channels(core.channel_shard, input_channels);
    program.set_runtime_args(gather, core.core,
                             HaloCoreArgs{static_cast<std::uint32_t>(halo_config.address()), core.halo_runs,
                                          core.channel_shard * pc.channels_per_shard, channels});
  }
  return program;
}

Program make_depthwise_program(const DepthwiseProgramInputs& in) {
  const Conv2dPlan& plan = in.plan;
  const ParallelConfig& pc = plan.parallel;
  const Conv2dParams& p = in.params;
  const DepthwiseWeightLayout& wl = in.weights.layout;
  const std::uint32_t P = pc.channels_per_shard;
  const std::uint32_t K = p.kernel_positions();
  const std::uint32_t in_es = static_cast<std::uint32_t>(element_size(in.input_dtype));
  const std::uint32_t out_es = static_cast<std::uint32_t>(element_size(in.output_dtype));
  const std::uint32_t weight_tile_bytes = static_cast<std::uint32_t>(tile_size(in.weights.dtype));
  const std::uint32_t weight_tiles = wl.tiles_per_shard();
  const std::uint32_t bias_tiles = in.weights.bias ? wl.tiles_per_tile_row() : 0;

  Program program(fmt::format("depthwise conv2d ({})", to_string(pc.layout)));
  const std::uint32_t window_bytes = plan.block_sticks * K * P * in_es;
  program.add_circular_buffer(pc.grid, CircularBufferConfig{kInputCb, window_bytes, 2, in.input_dtype, nullptr});
  program.add_circular_buffer(pc.grid, CircularBufferConfig{kWeightCb, (weight_tiles + bias_tiles) * weight_tile_bytes, 1,
                                                            in.weights.dtype, nullptr});
  program.add_circular_buffer(pc.grid, CircularBufferConfig{kScratchCb, (weight_tiles * kTileElements + P) * 4, 1,
                                                            DataType::FLOAT32, nullptr});
  program.add_circular_buffer(pc.grid, CircularBufferConfig{kHaloCb, in.halo_page_bytes, in.slice.halo_sticks, in.input_dtype, &in.halo});
  // Output CB: one page per stick (ROW_MAJOR) or per row of tiles (TILE); the output
  // shard itself, or a double-buffered CB that the writer drains to DRAM.
  const bool tile_output = in.config.output_layout == Layout::TILE;
  const std::uint32_t out_page = tile_output ? P / kTileWidth * static_cast<std::uint32_t>(tile_size(in.output_dtype)) : P * out_es;
  if (plan.output_in_dram)
    program.add_circular_buffer(pc.grid, CircularBufferConfig{kOutputCb, out_page, tile_output ? 2 : 2 * plan.block_sticks,
                                                              in.output_dtype, nullptr});
  else
    program.add_circular_buffer(pc.grid, CircularBufferConfig{kOutputCb, out_page,
                                                              tile_output ? in.slice.shard_height / kTileHeight : in.slice.shard_height,
                                                              in.output_dtype, in.output.buffer.get()});
  const std::uint32_t sender_semaphore = program.add_semaphore(pc.grid, 0);
  const std::uint32_t receiver_semaphore = program.add_semaphore(pc.grid, 0);

  const DepthwiseReaderArgs reader_args{
      p.kernel_h, p.kernel_w, p.dilation_h, p.dilation_w, p.stride_h, p.stride_w,
      p.out_height(), p.out_width(), p.padded_height(), p.padded_width(),
      P * in_es, in.halo_page_bytes, plan.block_sticks,
      in.weights.weights.buffer->address_generator(),
      in.weights.bias ? in.weights.bias->buffer->address_generator() : InterleavedAddressGenerator{},
      weight_tile_bytes, weight_tiles, wl.tiles_per_tile_row(), wl.width() / kTileWidth, bias_tiles,
      sender_semaphore, receiver_semaphore, in.config.fault == InjectedFault::WEIGHTS_BY_ADDRESS_OFFSET,
      in.config.fault == InjectedFault::SKIP_WEIGHT_MULTICAST};
  const DepthwiseComputeArgs compute_args{K, P, plan.block_sticks, in.input_dtype, in.weights.dtype, in.output_dtype,
                                          in.config.output_layout, weight_tiles, bias_tiles, in.config.activation,
                                          in.config.bfloat16_accumulation, in.plan.numerics,
                                          in.config.math_fidelity, in.config.leaky_slope};
  const KernelHandle reader = program.add_kernel("reader_depthwise", KernelRole::READER, pc.grid, reader_depthwise, reader_args);
  const KernelHandle compute = program.add_kernel("compute_depthwise", KernelRole::COMPUTE, pc.grid, compute_depthwise, compute_args);

  KernelHandle writer = 0;
  if (plan.output_in_dram)
    writer = program.add_kernel("writer_depthwise", KernelRole::WRITER, pc.grid, writer_depthwise,
                                DepthwiseWriterArgs{in.output.buffer->address_generator(), P, out_es, tile_output, out_page,
                                                    static_cast<std::uint32_t>(in.output.cols() / kTileWidth)});
  const std::vector<WeightRole> roles = select_weight_roles(pc);
  for (std::uint32_t i = 0; i < in.slice.cores.size(); ++i) {
    const CorePlan& core = in.slice.cores[i];
    const WeightRole& role = roles[i];
    program.set_runtime_args(reader, core.core,
                             DepthwiseReaderCoreArgs{core.first_output, core.num_outputs, core.halo_first_stick, core.channel_shard,
                                                     role.reads_weights, role.sender, role.multicast, role.num_receivers});
    program.set_runtime_args(compute, core.core, DepthwiseComputeCoreArgs{core.num_outputs});
    if (plan.output_in_dram)
      program.set_runtime_args(writer, core.core,
                               DepthwiseWriterCoreArgs{core.first_output, core.num_outputs, core.channel_shard,
                                                       pc.shard_channels(core.channel_shard, p.out_channels)});
  }
  return program;
}

// The chip presets' conv: the plan, then per slice the halo program and the conv
// program (TT-NN's program factories), outputs sharded like the work or in DRAM.
Conv2dResult run_chip_conv2d(const DeviceTensor& input, const PreparedWeights& weights, Device& device, const Conv2dParams& p,
                             const Conv2dConfig& config) {
  const DataType out_dtype = config.output_dtype.value_or(input.dtype);
  Conv2dResult result;
  result.plan = std::make_shared<const Conv2dPlan>(make_conv2d_plan(p, config, device, input.dtype, out_dtype, weights));
  const Conv2dPlan& plan = *result.plan;
  const ParallelConfig& pc = plan.parallel;

  const std::uint32_t P = pc.channels_per_shard;
  const std::uint32_t halo_page = P * static_cast<std::uint32_t>(element_size(input.dtype));
  const Shape out_shape{1, 1, static_cast<std::int64_t>(p.output_sticks()), p.out_channels};
  if (plan.output_in_dram)
    result.output = allocate_device_tensor(device, out_shape, out_dtype, config.output_layout, MemoryConfig::dram_interleaved(),
                                           "conv2d output");
  const StickSource source = StickSource::of(input);
  for (const SlicePlan& slice : plan.slices) {
    // Halo shards and their config (runs), one shard per working core.
    auto halo = device.create_buffer(BufferConfig{"conv2d halo", BufferType::L1, pc.layout,
                                                  std::uint64_t{slice.halo_sticks} * pc.num_cores(), halo_page,
                                                  BufferShardLayout{pc.grid, pc.orientation, slice.halo_sticks}, false});
    auto halo_config = device.create_buffer(BufferConfig{"conv2d halo config", BufferType::L1, pc.layout, pc.num_cores(),
                                                         slice.max_runs * static_cast<std::uint32_t>(sizeof(HaloRun)),
                                                         BufferShardLayout{pc.grid, pc.orientation, 1}, false});
    for (const CorePlan& core : slice.cores) {
      const auto& runs = slice.windows[core.nhw_block].runs;
      device.write(NocAddr::l1(core.core, halo_config->address()),
                   std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(runs.data()), runs.size() * sizeof(HaloRun)));
    }
      Program halo_program = make_halo_program(pc, slice, source, p.in_channels, *halo, *halo_config, halo_page);
    device.run(halo_program);

    // Output: [1, 1, N*Ho*Wo, C], sharded like the work (one slice) or in DRAM.
    if (!plan.output_in_dram)
      result.output = allocate_device_tensor(device, out_shape, out_dtype, config.output_layout,
                                             MemoryConfig::sharded(pc.layout, ShardSpec{pc.grid, {slice.shard_height, P}, pc.orientation}),
                                             "conv2d output");
    Program program = make_depthwise_program(DepthwiseProgramInputs{p, config, plan, slice, weights, input.dtype, out_dtype,
                                                                    *halo, result.output, halo_page});
    device.run(program);
  }
  result.out_height = p.out_height();
  result.out_width = p.out_width();
  result.prepared = weights;
  return result;
}

}  // namespace shardwise
