#include "ops/conv2d/halo.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "device/kernel_context.hpp"

namespace shardwise {

std::uint64_t window_top_left(const Conv2dParams& p, std::uint64_t o) {
  const std::uint64_t per_image = std::uint64_t{p.out_height()} * p.out_width();
  const std::uint64_t n = o / per_image, rest = o % per_image;
  const std::uint64_t ho = rest / p.out_width(), wo = rest % p.out_width();
  return n * p.padded_height() * p.padded_width() + ho * p.stride_h * p.padded_width() + wo * p.stride_w;
}

namespace {

// The last padded-image stick the windows of outputs [first_output, first_output + n) touch.
std::uint64_t window_last_stick(const Conv2dParams& p, std::uint64_t first_output, std::uint32_t n) {
  return window_top_left(p, first_output + n - 1) + std::uint64_t{p.dilated_kernel_h() - 1} * p.padded_width() +
         p.dilated_kernel_w() - 1;
}

}  // namespace

HaloWindowSize halo_window_size(const Conv2dParams& p, std::uint64_t first_output, std::uint32_t num_outputs) {
  if (num_outputs == 0) return {};
  const std::uint64_t sticks = window_last_stick(p, first_output, num_outputs) - window_top_left(p, first_output) + 1;
  return {static_cast<std::uint32_t>(sticks), static_cast<std::uint32_t>(3 * (sticks / p.padded_width() + 2))};
}

HaloWindow plan_halo_window(const Conv2dParams& p, std::uint64_t first_output, std::uint32_t num_outputs) {
  HaloWindow w;
  w.first_output = first_output;
  w.num_outputs = num_outputs;
  if (num_outputs == 0) return w;
  const std::uint64_t Wp = p.padded_width(), Hp = p.padded_height();
  w.first_stick = window_top_left(p, first_output);
  const std::uint64_t last = window_last_stick(p, first_output, num_outputs);
  w.num_sticks = static_cast<std::uint32_t>(last - w.first_stick + 1);
  auto add = [&](std::uint32_t source, std::uint32_t count) {
    if (count == 0) return;
    if (!w.runs.empty()) {
      HaloRun& back = w.runs.back();
      const bool both_pad = back.source == kHaloPadding && source == kHaloPadding;
      const bool follows = back.source != kHaloPadding && source != kHaloPadding && back.source + back.count == source;
      if (both_pad || follows) {
        back.count += count;
        return;
      }
    }
    w.runs.push_back({source, count});
  };
  // Walk the padded image row segment by row segment.
  for (std::uint64_t s = w.first_stick; s <= last;) {
    const std::uint64_t n = s / (Hp * Wp), h = (s / Wp) % Hp, col = s % Wp;
    const std::uint64_t row_end = std::min<std::uint64_t>(last + 1, s - col + Wp);  // exclusive
    const bool real_row = h >= p.pad_top && h < p.pad_top + p.input_height;
    std::uint64_t c = col;
    const std::uint64_t end_col = col + (row_end - s);
    if (!real_row) {
      add(kHaloPadding, static_cast<std::uint32_t>(end_col - c));
    } else {
      const std::uint64_t real_begin = p.pad_left, real_end = p.pad_left + p.input_width;
      const std::uint64_t left = std::min(end_col, std::max(c, real_begin));
      add(kHaloPadding, static_cast<std::uint32_t>(left - c));
      const std::uint64_t right = std::min(end_col, real_end);
      if (right > left) {
        const std::uint64_t input_stick =
            (n * p.input_height + (h - p.pad_top)) * p.input_width + (left - p.pad_left);
        add(static_cast<std::uint32_t>(input_stick), static_cast<std::uint32_t>(right - left));
      }
      add(kHaloPadding, static_cast<std::uint32_t>(end_col - std::max(left, right)));
    }
    s = row_end;
  }
  return w;
}

StickSource StickSource::of(const DeviceTensor& input) {
  StickSource s;
  s.element_size = static_cast<std::uint32_t>(shardwise::element_size(input.dtype));
  const Buffer& buffer = *input.buffer;
  if (!buffer.is_sharded()) {
    s.pages = buffer.address_generator();
    return s;
  }
  s.sharded = true;
  s.base_address = buffer.address();
  s.aligned_page_size = buffer.aligned_page_size();
  s.shard_rows = input.memory_config.shard_spec->shape[0];
  s.shard_cols = input.memory_config.shard_spec->shape[1];
  const auto placements = shard_placements(input.memory_config, input.rows(), input.cols(), input.layout);
  std::uint32_t row_blocks = 0;
  s.col_blocks = 0;
  for (const auto& pl : placements) {
    row_blocks = std::max(row_blocks, pl.row_block + 1);
    s.col_blocks = std::max(s.col_blocks, pl.col_block + 1);
  }
  s.shard_cores.assign(std::size_t{row_blocks} * s.col_blocks, CoreCoord{});
  for (const auto& pl : placements) s.shard_cores[std::size_t{pl.row_block} * s.col_blocks + pl.col_block] = pl.core;
  return s;
}

NocAddr StickSource::locate(std::uint32_t stick, std::uint32_t first_channel) const {
  if (!sharded) return pages.get_noc_addr(stick, first_channel * element_size);
  const std::uint32_t rb = stick / shard_rows, cb = first_channel / shard_cols;
  const CoreCoord core = shard_cores[std::size_t{rb} * col_blocks + cb];
  return NocAddr::l1(core, base_address + std::uint64_t{stick % shard_rows} * aligned_page_size +
                               std::uint64_t{first_channel % shard_cols} * element_size);
}

std::uint32_t StickSource::contiguous_sticks(std::uint32_t stick, std::uint32_t count, std::uint32_t stick_bytes) const {
  if (!sharded) {
    if (pages.num_banks != 1 || pages.aligned_page_size != stick_bytes || pages.page_size != stick_bytes) return 1;
    return count;
  }
  if (aligned_page_size != stick_bytes || shard_cols * element_size != stick_bytes) return 1;
  return std::min(count, shard_rows - stick % shard_rows);
}

KernelCoroutine halo_gather_kernel(KernelContext& ctx) {
  const auto& args = ctx.compile_args<HaloArgs>();
  const auto& core = ctx.runtime_args<HaloCoreArgs>();
  const StickSource& source = args.source;
  const std::uint32_t es = source.element_size;
  const std::uint32_t page = args.halo_page_bytes;
  const bool whole_sticks = core.first_channel == 0 && core.channels == args.input_channels && core.channels * es == page;

  const HaloRun* runs = ctx.l1_pointer<const HaloRun>(core.runs_address, core.num_runs);
  std::uint32_t total = 0;
  for (std::uint32_t r = 0; r < core.num_runs; ++r) total += runs[r].count;
  co_await ctx.cb_reserve_back(args.halo_cb, total);
  const std::uint32_t halo = ctx.get_write_ptr(args.halo_cb);
  // Padding sticks, and channels past the shard's real ones, hold the pad value 0.
  if (!whole_sticks) std::memset(ctx.l1_pointer<std::uint8_t>(halo, std::uint64_t{total} * page), 0, std::uint64_t{total} * page);

  std::uint32_t row = 0;
  for (std::uint32_t r = 0; r < core.num_runs; ++r) {
    const HaloRun run = runs[r];
    if (run.source == kHaloPadding) {
      if (whole_sticks)
        std::memset(ctx.l1_pointer<std::uint8_t>(halo + row * page, std::uint64_t{run.count} * page), 0,
                    std::uint64_t{run.count} * page);
      row += run.count;
      continue;
    }
    for (std::uint32_t i = 0; i < run.count;) {
      const std::uint32_t together = whole_sticks ? source.contiguous_sticks(run.source + i, run.count - i, page) : 1;
      if (together > 1) {
        ctx.noc_async_read(source.locate(run.source + i, 0), halo + (row + i) * page, together * page);
        i += together;
        continue;
      }
      // One stick, in as many pieces as the source's shards split its channels.
      for (std::uint32_t c = 0; c < core.channels;) {
        const std::uint32_t piece = source.channels_together(core.first_channel + c, core.channels - c);
        ctx.noc_async_read(source.locate(run.source + i, core.first_channel + c), halo + (row + i) * page + c * es, piece * es);
        c += piece;
      }
      ++i;
    }
    row += run.count;
  }
  ctx.noc_async_read_barrier();
  ctx.cb_push_back(args.halo_cb, total);
}

}  // namespace shardwise
