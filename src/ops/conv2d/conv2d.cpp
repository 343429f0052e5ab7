#include "ops/conv2d/conv2d.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "ops/conv2d/halo.hpp"
#include "ops/conv2d/host/host_program.hpp"
#include "ops/conv2d/program_factory.hpp"
#include "tensor/tile_layout.hpp"

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
  check_arg(output_dtype == DataType::BFLOAT16 || output_dtype == DataType::FLOAT32,
            "output dtype {} is not supported: use bfloat16 or float32", to_string(output_dtype));
}

// Outputs per input CB page: as many as fit a 64 KiB page, a divisor of 32.
std::uint32_t choose_block_sticks(std::uint32_t window_bytes) {
  std::uint32_t block = 32;
  while (block > 1 && block * window_bytes > 64 * 1024) block /= 2;
  return block;
}

std::uint64_t align16(std::uint64_t v) { return (v + 15) / 16 * 16; }

// Output sticks per stick block of a slice of `count` sticks: a multiple of 32.
std::uint32_t stick_block_height(std::uint64_t count, std::uint32_t cores_nhw) {
  const std::uint64_t unit = std::uint64_t{cores_nhw} * kTileHeight;
  return static_cast<std::uint32_t>(std::max<std::uint64_t>((count + unit - 1) / unit * kTileHeight, kTileHeight));
}

SlicePlan plan_slice(const Conv2dParams& p, const ParallelConfig& pc, const DepthwiseWeightLayout& weights,
                     std::uint32_t pass, std::uint64_t first, std::uint64_t count) {
  SlicePlan slice;
  slice.channel_pass = pass;
  slice.first_output = first;
  slice.num_outputs = count;
  slice.shard_height = stick_block_height(count, pc.cores_nhw);
  for (std::uint32_t b = 0; b < pc.cores_nhw; ++b) {
    const std::uint64_t begin = std::min<std::uint64_t>(count, std::uint64_t{b} * slice.shard_height);
    const std::uint64_t n = std::min<std::uint64_t>(slice.shard_height, count - begin);
    slice.windows.push_back(plan_halo_window(p, first + begin, static_cast<std::uint32_t>(n)));
    slice.halo_sticks = std::max(slice.halo_sticks, slice.windows.back().num_sticks);
    slice.max_runs = std::max<std::uint32_t>(slice.max_runs, static_cast<std::uint32_t>(slice.windows.back().runs.size()));
  }
  for (const CoreWork& w : pc.work) {
    const HaloWindow& window = slice.windows[w.nhw_block];
    const std::uint32_t shard = pc.shard_of(pass, w.channel_shard);
    slice.cores.push_back(CorePlan{w.core, w.nhw_block, shard, window.first_output, window.num_outputs,
                                   weights.tile_id(shard, 0), window.first_stick, window.num_sticks,
                                   static_cast<std::uint32_t>(window.runs.size())});
  }
  return slice;
}

// What the L1 sizing needs to know about the weights.
struct WeightFootprint {
  std::uint64_t weight_tiles = 0;  // per shard
  std::uint64_t bias_tiles = 0;
  DataType dtype = DataType::BFLOAT16;

  static WeightFootprint of(const DepthwiseWeightLayout& layout, bool bias, DataType dtype) {
    return {layout.tiles_per_shard(), bias ? layout.tiles_per_tile_row() : 0, dtype};
  }
};

// L1 bytes one slice puts on each core: halo and config shards, the output shard (or,
// with a DRAM output, a double-buffered output CB), input, weight and scratch CBs.
std::uint64_t slice_l1_bytes(const Conv2dParams& p, const Conv2dConfig& config, const ParallelConfig& pc,
                             const WeightFootprint& weights, const SlicePlan& slice, std::uint32_t block_sticks,
                             DataType in_dtype, DataType out_dtype, bool output_in_dram) {
  const std::uint64_t P = pc.channels_per_shard;
  const std::uint64_t in_es = element_size(in_dtype), out_es = element_size(out_dtype);
  const bool tile = config.output_layout == Layout::TILE;
  const std::uint64_t tile_row_bytes = P / kTileWidth * tile_size(out_dtype);
  std::uint64_t out_bytes = 0;
  if (output_in_dram) out_bytes = tile ? 2 * tile_row_bytes : 2ull * block_sticks * P * out_es;
  else out_bytes = tile ? std::uint64_t{slice.shard_height} / kTileHeight * tile_row_bytes : std::uint64_t{slice.shard_height} * P * out_es;
  return align16(std::uint64_t{slice.halo_sticks} * P * in_es) + align16(std::uint64_t{slice.max_runs} * sizeof(HaloRun)) +
         align16(out_bytes) + 2 * align16(std::uint64_t{block_sticks} * p.kernel_positions() * P * in_es) +
         align16((weights.weight_tiles + weights.bias_tiles) * tile_size(weights.dtype)) +
         align16((weights.weight_tiles * kTileElements + P) * 4);
}

std::uint32_t block_sticks_for(const Conv2dParams& p, const ParallelConfig& pc, DataType in_dtype) {
  return choose_block_sticks(p.kernel_positions() * pc.channels_per_shard * static_cast<std::uint32_t>(element_size(in_dtype)));
}

// Bytes per core of the largest slice of `size` output sticks (a multiple of 32 per
// stick block), with a DRAM output. Every slice's windows are sized (cheaply: sticks
// exactly, runs bounded), since how many image rows a window spans depends on where
// it starts.
std::uint64_t sliced_l1_bytes(const Conv2dParams& p, const Conv2dConfig& config, const ParallelConfig& pc,
                              const WeightFootprint& weights, std::uint64_t size, DataType in_dtype, DataType out_dtype) {
  const std::uint64_t total = p.output_sticks();
  SlicePlan largest;  // the largest halo and run count of any slice (all slices share the stick-block height)
  for (std::uint64_t first = 0; first < total; first += size) {
    const std::uint64_t count = std::min(size, total - first);
    const std::uint32_t block = stick_block_height(count, pc.cores_nhw);
    largest.shard_height = std::max(largest.shard_height, block);
    for (std::uint64_t begin = 0; begin < count; begin += block) {
      const HaloWindowSize w = halo_window_size(p, first + begin, static_cast<std::uint32_t>(std::min<std::uint64_t>(block, count - begin)));
      largest.halo_sticks = std::max(largest.halo_sticks, w.sticks);
      largest.max_runs = std::max(largest.max_runs, w.max_runs);
    }
  }
  return slice_l1_bytes(p, config, pc, weights, largest, block_sticks_for(p, pc, in_dtype), in_dtype, out_dtype, true);
}

// L1 bytes an empty device of this arch has for an op's buffers and CBs.
std::uint64_t empty_device_l1(const Arch& arch) {
  return arch.l1_size - arch.l1_small_size - (arch.l1_unreserved_base + kSemaphoreSlots * kSemaphoreStride);
}

// The fewest channel passes whose smallest stick slice (32 sticks per stick block)
// fits `budget`; 1 when one pass fits, the most there can be when none does (the
// plan then reports the out-of-memory error with the bytes). Pass counts that would
// leave the last shard without channels are skipped.
std::uint32_t choose_channel_passes(const Conv2dParams& p, const Conv2dConfig& config, ParallelConfig pc, std::uint64_t budget) {
  const DataType in_dtype = DataType::FLOAT32;  // the larger activation dtype: a plan valid for both
  const DataType out_dtype = DataType::FLOAT32;
  const std::uint64_t unit = std::uint64_t{pc.cores_nhw} * kTileHeight;
  const std::uint32_t max_passes = std::max(1u, div_up(p.out_channels, kTileWidth) / pc.cores_c);
  std::uint32_t last_p = 0, chosen = 1;
  for (std::uint32_t passes = 1; passes <= max_passes; ++passes) {
    pc.set_channel_passes(passes, p.out_channels);
    if (pc.channels_per_shard == last_p) continue;  // same shard width as fewer passes
    last_p = pc.channels_per_shard;
    // Every shard must hold channels (the last of S may otherwise be empty).
    if ((pc.channel_shards() - 1) * pc.channels_per_shard >= p.out_channels) continue;
    const DepthwiseWeightLayout layout(p.out_channels, p.kernel_h, p.kernel_w, pc.channel_shards());
    const WeightFootprint weights = WeightFootprint::of(layout, true, config.weights_dtype);
    chosen = passes;
    if (sliced_l1_bytes(p, config, pc, weights, unit, in_dtype, out_dtype) <= budget) return passes;
  }
  return chosen;  // the most passes with no empty shard; the plan reports what does not fit
}

Conv2dPlan make_plan(const Conv2dParams& p, const Conv2dConfig& config, const Device& device, DataType in_dtype,
                     DataType out_dtype, const PreparedWeights& weights) {
  Conv2dPlan plan;
  plan.arch = device.arch().name;
  plan.parallel = conv2d_parallel_config(p, config, device.arch());
  const ParallelConfig& pc = plan.parallel;
  check_arg(weights.layout.shards == pc.channel_shards() && weights.layout.channels == p.in_channels &&
                weights.layout.kernel_h == p.kernel_h && weights.layout.kernel_w == p.kernel_w,
            "the prepared weights are laid out for {} channels, kernel {}x{}, {} channel shard(s); this conv needs {} "
            "channels, kernel {}x{}, {} shard(s)",
            weights.layout.channels, weights.layout.kernel_h, weights.layout.kernel_w, weights.layout.shards,
            p.in_channels, p.kernel_h, p.kernel_w, pc.channel_shards());
  const WeightFootprint footprint = WeightFootprint::of(weights.layout, weights.bias.has_value(), weights.dtype);
  plan.block_sticks = block_sticks_for(p, pc, in_dtype);
  // Circular buffers sit at the bottom of L1, below every buffer (the op's own halo
  // buffers included): what counts is the free space under the lowest buffer, not the
  // largest free block (an output still held from an earlier call may split L1).
  plan.l1_available = device.l1_lowest_buffer_address() - device.l1_cb_region_begin();
  const std::uint64_t total = p.output_sticks();

  // One pass with a sharded output, if it fits.
  if (pc.channel_passes == 1) {
    SlicePlan whole = plan_slice(p, pc, weights.layout, 0, 0, total);
    plan.l1_bytes_per_core = slice_l1_bytes(p, config, pc, footprint, whole, plan.block_sticks, in_dtype, out_dtype, false);
    if (plan.l1_bytes_per_core <= plan.l1_available) {
      plan.slices.push_back(std::move(whole));
      return plan;
    }
  }
  // Otherwise the fewest slices (per channel pass) whose largest fits, each a multiple
  // of 32 sticks per stick block; the output goes to DRAM.
  const std::uint64_t unit = std::uint64_t{pc.cores_nhw} * kTileHeight;
  const std::uint64_t max_slices = (total + unit - 1) / unit;
  auto slice_size = [&](std::uint64_t n) { return ((total + n - 1) / n + unit - 1) / unit * unit; };
  auto bytes_for = [&](std::uint64_t n) {
    return sliced_l1_bytes(p, config, pc, footprint, slice_size(n), in_dtype, out_dtype);
  };
  if (const std::uint64_t bytes = bytes_for(max_slices); bytes > plan.l1_available)
    throw OutOfMemory(fmt::format(
        "out of memory in L1: the depthwise layer {} on {} needs {} bytes per core even in slices of {} output sticks "
        "and {} channel pass(es) of {} channels; {} bytes are free per core",
        p.to_string(), device.arch().name, bytes, unit, pc.channel_passes, pc.channels_per_shard, plan.l1_available));
  std::uint64_t lo = 1, hi = max_slices;  // bytes_for(hi) fits; find the fewest slices that fit
  while (lo < hi) {
    const std::uint64_t mid = (lo + hi) / 2;
    if (bytes_for(mid) <= plan.l1_available) hi = mid;
    else lo = mid + 1;
  }
  const std::uint64_t size = slice_size(hi);
  plan.output_in_dram = true;
  plan.l1_bytes_per_core = 0;
  for (std::uint32_t pass = 0; pass < pc.channel_passes; ++pass)
    for (std::uint64_t first = 0; first < total; first += size) {
      plan.slices.push_back(plan_slice(p, pc, weights.layout, pass, first, std::min(size, total - first)));
      plan.l1_bytes_per_core = std::max(plan.l1_bytes_per_core, slice_l1_bytes(p, config, pc, footprint, plan.slices.back(),
                                                                                plan.block_sticks, in_dtype, out_dtype, true));
    }
  return plan;
}

Conv2dResult run_conv2d(const DeviceTensor& input, const PreparedWeights& weights, Device& device, const Conv2dParams& p,
                        const Conv2dConfig& config) {
  const DataType out_dtype = config.output_dtype.value_or(input.dtype);
  validate_config(config, out_dtype);
  if (host_program_applies(device, input, config)) return run_host_conv2d(input, weights, device, p, config);
  Conv2dResult result;
  result.plan = make_plan(p, config, device, input.dtype, out_dtype, weights);
  const Conv2dPlan& plan = result.plan;
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

}  // namespace

std::string Conv2dPlan::summary() const {
  const ParallelConfig& pc = parallel;
  std::string s = fmt::format("  arch        {}\n  layout      {} ({})\n  cores       {} on grid {}\n", arch,
                              to_string(pc.layout), pc.reason, pc.num_cores(), pc.grid.to_string());
  const SlicePlan& first = slices.front();
  if (!host_microkernel.empty()) {
    s += "  program     host kernels (window descriptors, input read in place)\n";
    for (const CorePlan& c : first.cores)
      s += fmt::format("  core {:7} outputs [{}, {})\n", c.core.to_string(), c.first_output, c.first_output + c.num_outputs);
    return s;
  }
  s += fmt::format("  shards      output [{}, {}] per core (sticks x channels), halo {} sticks, {} outputs per window page\n",
                   first.shard_height, pc.channels_per_shard, first.halo_sticks, block_sticks);
  s += fmt::format("  L1          {} bytes per core for this op's buffers and CBs ({} free)\n", l1_bytes_per_core, l1_available);
  if (pc.channel_passes > 1)
    s += fmt::format("  slices      {} = {} channel pass(es) x {} slice(s) of up to {} output sticks, output DRAM interleaved\n",
                     slices.size(), pc.channel_passes, stick_slices(), first.num_outputs);
  else if (output_in_dram)
    s += fmt::format("  slices      {} of up to {} output sticks each, output DRAM interleaved (a sharded output does not fit L1)\n",
                     slices.size(), first.num_outputs);
  else
    s += "  slices      1 (the whole layer fits L1; output sharded like the work)\n";
  for (const CorePlan& c : first.cores)
    s += fmt::format("  core {:7} outputs [{}, {}) channels shard {} weight start tile {} halo {} sticks in {} runs\n",
                     c.core.to_string(), c.first_output, c.first_output + c.num_outputs, c.channel_shard, c.weight_start_tile,
                     c.halo_sticks, c.halo_runs);
  if (slices.size() > 1) s += fmt::format("  (per-core ranges shown for slice 1 of {})\n", slices.size());
  return s;
}

ParallelConfig conv2d_parallel_config(const Conv2dParams& params, const Conv2dConfig& config, const Arch& arch) {
  params.validate();
  check_depthwise_supported(params);
  ParallelConfig pc = choose_parallel_config(params, config, arch);
  const std::uint32_t passes = choose_channel_passes(params, config, pc, empty_device_l1(arch));
  if (passes > 1) {
    pc.set_channel_passes(passes, params.out_channels);
    pc.reason += fmt::format("; {} channel passes of {} channels (a slice of 32 output sticks per core with all {} "
                             "channels of a core does not fit L1)",
                             passes, pc.channels_per_shard, div_up(params.out_channels, pc.cores_c));
  }
  return pc;
}

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
                    const Conv2dConfig& config) {
  params.validate();
  check_depthwise_supported(params);
  validate_input(input, params);
  return run_conv2d(input, prepared, device, params, config);
}

}  // namespace shardwise
