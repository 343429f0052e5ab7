#include "ops/conv2d/host/host_work_split.hpp"

#include <algorithm>

#include "ops/conv2d/host/host_kernel_args.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {

HostWorkSplit split_host_work(const Conv2dParams& p, std::uint32_t cores, std::uint32_t in_es, const HostCaches& caches,
                              std::uint32_t row_unit) {
  const std::uint32_t C = p.in_channels, Ho = p.out_height();
  const std::uint64_t target_items = 4ull * cores;
  const std::uint64_t rows = std::uint64_t{p.batch} * Ho;
  HostWorkSplit s;
  // Chunks are cut in whole units of row_unit rows (host_chunk_begin); below, chunk
  // lengths count units. With two-row kernels (row_unit 2) every chunk but an odd
  // image's last is whole pairs: chunks of odd length ran every third row of mnv3_7's
  // and convnext_13's chunks of 3 with the one-row kernel.
  s.chunk_unit = std::max(row_unit, 1u);
  // Row chunks: as long as the items still number target_items (at most 32 rows).
  const std::uint32_t units = div_up(Ho, s.chunk_unit), max_units = Ho <= 32 ? units : 32 / s.chunk_unit;
  std::uint32_t chunk_units =
      static_cast<std::uint32_t>(std::clamp<std::uint64_t>(std::uint64_t{p.batch} * units / target_items, 1, max_units));
  // Channels whose kernel_h input rows fill half the L1 data cache (whole 32-channel groups, at least one).
  const std::uint64_t per_channel = std::uint64_t{p.kernel_h} * p.input_width * in_es;
  // Only where consecutive output rows share two input rows or more (k3 at stride 2
  // shares one: mnv2_2 float32 batch 1 measured 0.78x oneDNN with passes, 0.89x without).
  const bool reuse = std::uint64_t{p.kernel_h} * p.dilation_h >= std::uint64_t{p.stride_h} + 2 * p.dilation_h;
  const std::uint32_t fitting_channels =
      static_cast<std::uint32_t>(std::max<std::uint64_t>(caches.l1d_bytes / 2 / per_channel / 32 * 32, 32));
  // And only where a pass still reads a good part of each pixel: a narrow pass reads a
  // short piece of every pixel (a bfloat16 pass of 32 channels: 64 of C = 144's 288
  // bytes, across two cache lines for every other pixel), which measured slower than
  // no passes at all on a Zen 4 machine with a 32 KiB L1, where the rule above gives
  // 32 channels on nearly every layer (bench_compare, the 13 layers with passes, both
  // dtypes and batches, two runs: geomean 1.02x and 1.09x oneDNN with such passes,
  // 1.21x and 1.17x without; bfloat16 batch 32 mnv2_3 8.8 against 3.5-5.3 ms). The floor
  // was 512 bytes until the twelfth session; at 256 the 14-wide 5x5 layers at batch 32
  // get passes of 64 float32 channels on a 48 KiB L1 (a Xeon: mnv3_8 611-720 -> 478-488
  // us, 0.81-0.83x -> 1.03-1.07x oneDNN; effb0_10 1323-1358 -> 1028-1087 us, DESIGN.md).
  constexpr std::uint64_t kMinPassBytes = 256;
  // No passes: one pass over the whole block, also when C rounds up to a wider block.
  const std::uint32_t all_channels = round_up(C, 32);
  const std::uint32_t l1_channels =
      reuse && fitting_channels * std::uint64_t{in_es} >= kMinPassBytes ? std::min(fitting_channels, all_channels) : all_channels;
  if (l1_channels < C) {
    const std::uint64_t in_row_bytes = std::uint64_t{p.input_width} * C * in_es;
    while (chunk_units > 1 &&
           host_window_rows(std::min(chunk_units * s.chunk_unit, Ho), p.kernel_h, p.stride_h, p.dilation_h) * in_row_bytes > caches.l2_bytes / 4)
      --chunk_units;
  }
  // Chunks of one row reuse nothing (an item's L1 passes run over its rows, each output
  // row sharing kernel_h - stride input rows with the next): when the rows are too few
  // for chunks of two, items are whole images x channel blocks instead, if the channels
  // make blocks enough (the blocks also keep an item's input within the L2). Batch 1
  // float32, 2 cores, shardwise's time / oneDNN's, bench_compare before -> after in one
  // session: mnv2_4 1.00 -> 0.91, mnv3_8 1.01 -> 0.92, effb0_11 0.86 -> 0.75,
  // convnext_15 0.78 -> 0.71 (and bfloat16 likewise, e.g. mnv2_5 0.82 -> 0.75).
  const std::uint32_t groups = (C + 31) / 32;
  if (rows < 2 * target_items && std::uint64_t{p.batch} * groups >= target_items) chunk_units = max_units;
  s.chunks_per_image = div_up(units, chunk_units);
  // Few rows: channel blocks until there are enough items (or blocks of 32 channels),
  // in whole 32-channel groups.
  const std::uint64_t chunks = std::uint64_t{p.batch} * s.chunks_per_image;
  if (chunks < target_items)
    s.channel_blocks = static_cast<std::uint32_t>(std::min<std::uint64_t>((target_items + chunks - 1) / chunks, groups));
  // Items a multiple of the cores, where the rows allow one more chunk per image.
  while (std::uint64_t{p.batch} * s.chunks_per_image * s.channel_blocks % cores != 0 && s.chunks_per_image < units) ++s.chunks_per_image;
  s.chunk_rows = std::min(div_up(units, s.chunks_per_image) * s.chunk_unit, Ho);
  s.block_channels = (groups + s.channel_blocks - 1) / s.channel_blocks * 32;
  // Passes of equal width over each block, in whole 32-channel groups (the AVX512_BF16
  // kernels permute channels within 32-channel groups counted from channel 0).
  // A block whose kernel_h input rows fit three quarters of the L1 stays there without
  // passes (with the 256-byte floor, mnv3_8's 96-channel blocks at batch 1 made two
  // passes and ran 0.90x as fast).
  const bool block_fits_l1 = std::uint64_t{s.block_channels} * per_channel <= caches.l1d_bytes * 3 / 4;
  const std::uint32_t passes = block_fits_l1 ? 1 : div_up(s.block_channels, l1_channels);
  s.pass_channels = round_up(div_up(s.block_channels, passes), 32);
  return s;
}

}  // namespace shardwise
