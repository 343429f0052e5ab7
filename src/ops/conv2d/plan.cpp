// Planning a depthwise conv on the chip presets: the sharding (parallel_config), then
// L1 sizing, channel passes and stick slices so every core's buffers and CBs fit, and
// each slice's halo windows; Conv2dPlan::summary prints the result.
#include "ops/conv2d/plan.hpp"

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "ops/conv2d/halo.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

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
// The halo window of any n consecutive outputs, wherever they start: an upper bound on
// halo_window_size, in O(1). Outputs o .. o + n - 1 starting at column wo cross
// q = floor((wo + n - 1) / Wo) row ends; their top-left sticks then differ by
// q * s_h * Wp + (n - 1 - q * Wo) * s_w, plus, per image end crossed, the padded rows
// between images. The largest q (wo = Wo - 1) gives the largest span, since a row step
// (s_h * Wp) is at least Wo * s_w; where it is not, the column term is bounded by a
// whole row instead.
HaloWindowSize halo_window_bound(const Conv2dParams& p, std::uint64_t n) {
  const std::int64_t Wo = p.out_width(), Ho = p.out_height(), Wp = p.padded_width(), Hp = p.padded_height();
  const std::int64_t sh = p.stride_h, sw = p.stride_w, outputs = static_cast<std::int64_t>(n);
  const std::int64_t q = (Wo - 1 + outputs - 1) / Wo;
  const std::int64_t columns = std::max<std::int64_t>((outputs - 1 - q * Wo) * sw, (Wo - 1) * sw * (sh * Wp < Wo * sw ? 1 : 0));
  const std::int64_t images = q == 0 ? 0 : (q - 1) / Ho + 1;
  const std::int64_t image_gap = std::max<std::int64_t>(Hp - Ho * sh, 0) * Wp;
  const std::int64_t span = std::max<std::int64_t>(q * sh * Wp + columns + images * image_gap, 0);
  const std::uint64_t sticks = static_cast<std::uint64_t>(span) + std::uint64_t{p.dilated_kernel_h() - 1} * static_cast<std::uint64_t>(Wp) +
                               p.dilated_kernel_w();
  const std::uint64_t capped = std::min<std::uint64_t>(sticks, std::numeric_limits<std::uint32_t>::max() / 4);
  return {static_cast<std::uint32_t>(capped), static_cast<std::uint32_t>(3 * (capped / static_cast<std::uint64_t>(Wp) + 2))};
}

// Above this many stick blocks, sliced_l1_bytes sizes windows by halo_window_bound
// instead of walking them: the walk's cost grows with the output, and the planner runs
// it once per candidate slice count (a fuzzed layer took over 10 s).
constexpr std::uint64_t kMaxWindowWalk = 1u << 14;

std::uint64_t sliced_l1_bytes(const Conv2dParams& p, const Conv2dConfig& config, const ParallelConfig& pc,
                              const WeightFootprint& weights, std::uint64_t size, DataType in_dtype, DataType out_dtype) {
  const std::uint64_t total = p.output_sticks();
  SlicePlan largest;  // the largest halo and run count of any slice (all slices share the stick-block height)
  const std::uint64_t first_count = std::min(size, total);
  const std::uint32_t first_block = stick_block_height(first_count, pc.cores_nhw);
  const std::uint64_t walk = (total + size - 1) / size * ((first_count + first_block - 1) / first_block);
  if (walk > kMaxWindowWalk) {
    // The first slice is the largest (the last may be shorter), so its block is the tallest.
    const HaloWindowSize w = halo_window_bound(p, first_block);
    largest.shard_height = first_block;
    largest.halo_sticks = w.sticks;
    largest.max_runs = w.max_runs;
    return slice_l1_bytes(p, config, pc, weights, largest, block_sticks_for(p, pc, in_dtype), in_dtype, out_dtype, true);
  }
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

}  // namespace

Conv2dPlan make_conv2d_plan(const Conv2dParams& p, const Conv2dConfig& config, const Device& device, DataType in_dtype,
                     DataType out_dtype, const PreparedWeights& weights) {
  Conv2dPlan plan;
  plan.arch = device.arch().name;
  plan.numerics = numerics_in_force(config, device.arch());
  plan.math = chip_math_of(config);
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

  // One pass with a sharded output, if it fits (and no slices were asked for).
  if (pc.channel_passes == 1 && config.dram_slices.value_or(1) <= 1) {
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
  // Slices asked for: at least that many (as far as whole 32-stick units per stick block go).
  const std::uint64_t count = std::max(hi, std::min<std::uint64_t>(config.dram_slices.value_or(1), max_slices));
  const std::uint64_t size = slice_size(count);
  plan.output_in_dram = true;
  plan.requested_slices = config.dram_slices.value_or(0);
  plan.l1_bytes_per_core = 0;
  for (std::uint32_t pass = 0; pass < pc.channel_passes; ++pass)
    for (std::uint64_t first = 0; first < total; first += size) {
      plan.slices.push_back(plan_slice(p, pc, weights.layout, pass, first, std::min(size, total - first)));
      plan.l1_bytes_per_core = std::max(plan.l1_bytes_per_core, slice_l1_bytes(p, config, pc, footprint, plan.slices.back(),
                                                                                plan.block_sticks, in_dtype, out_dtype, true));
    }
  return plan;
}

std::string Conv2dPlan::numerics_summary() const {
  const char* dst = math.fp32_dest_acc ? "fp32 Dst" : "bf16 Dst";
  if (numerics == Numerics::CHIP) return fmt::format("chip ({}, {})", to_string(math.fidelity), dst);
  return fmt::format("exact (float32 products and sums{})", math.fp32_dest_acc ? "" : ", rounded to bfloat16 after each add");
}

std::string Conv2dPlan::summary() const {
  const ParallelConfig& pc = parallel;
  std::string s = fmt::format("  arch        {}\n  layout      {} ({})\n  cores       {} on grid {}\n  numerics    {}\n", arch,
                              to_string(pc.layout), pc.reason, pc.num_cores(), pc.grid.to_string(), numerics_summary());
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
  else if (output_in_dram && requested_slices > 1)
    s += fmt::format("  slices      {} of up to {} output sticks each, output DRAM interleaved ({} DRAM slices asked for)\n",
                     slices.size(), first.num_outputs, requested_slices);
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

void check_fits_dram(const Conv2dParams& p, const Arch& arch) {
  // In floating point: 4096 images of 196608^2 output sticks x 65536 channels overflow 64 bits.
  const double input_bytes = 2.0 * p.batch * p.input_height * p.input_width * p.in_channels;
  const double output_bytes = 2.0 * static_cast<double>(p.output_sticks()) * p.out_channels;
  const double dram = static_cast<double>(arch.num_dram_banks) * static_cast<double>(arch.dram_bank_size);
  if (input_bytes + output_bytes > dram)
    throw OutOfMemory(fmt::format("out of memory in DRAM: the layer {} has a {}x{} output; its input and output need {:.0f} bytes even "
                                  "in bfloat16, and {} has {:.0f} bytes of DRAM{}",
                                  p.to_string(), p.out_height(), p.out_width(), input_bytes + output_bytes, arch.name, dram,
                                  arch.is_host() ? " (the host memory budget; SHARDWISE_HOST_MEMORY sets it)" : ""));
}

ParallelConfig conv2d_parallel_config(const Conv2dParams& params, const Conv2dConfig& config, const Arch& arch) {
  params.validate();
  check_depthwise_supported(params);
  check_fits_dram(params, arch);
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

}  // namespace shardwise
