#pragma once
// The host program's cut of a conv's work over the CPU cores (host_program.cpp builds
// the program from it; the reader and compute kernels walk it through
// host_kernel_args.hpp).
//
// How the work is cut into items (row chunk x channel block): a few items per core to
// balance the load; whole rows of channels wherever there are rows enough (a channel
// block reads part of every pixel's cache lines, which measured up to 1.9x slower
// than whole pixels on real layers), channel blocks only when rows are few.
//
// Within an item the compute kernel makes L1 passes: `pass_channels` channels at a
// time over all the chunk's output rows, so the kernel_h input rows one output row
// reads (for the pass's channels) stay in the CPU's L1 data cache for the next output
// row, which shares kernel_h - stride of them; without passes, wide layers (14 x 14 x
// 576, 28 x 28 x 192 at 7 x 7) read every input vector kernel_h times from L2. Passes
// re-read the chunk's input once per pass, so when there are passes the chunk is cut
// to keep its input rows within a quarter of the L2 (two hyperthreads may share it).
// Passes only where they pay: where consecutive output rows share two input rows or
// more, where a pass reads at least 256 bytes of each pixel, and where the block's
// kernel_h input rows do not already fit three quarters of the L1 (DESIGN.md has the
// measurements).
//
// The cores take contiguous runs of items, so the cuts are even: chunks of an image
// differ by one row at most and channel blocks by one 32-channel group at most
// (host_chunk_begin, host_block_begin), and where the rows allow it the items are a
// multiple of the cores. Before, with chunks of ceil(Ho / n) rows and blocks of
// round_up(C / n, 32) channels, one core of two got up to a third more work on the
// batch-1 layers (mnv3_8: 384 of 672 channels; effb0_11: 640 of 1152).
#include <cstdint>

#include "ops/conv2d/conv2d_params.hpp"

namespace shardwise {

struct HostWorkSplit {
  std::uint32_t chunk_rows = 1, chunks_per_image = 1;    // chunk_rows: the longest chunk's
  std::uint32_t chunk_unit = 1;                          // chunks are cut in whole units of this many rows (host_chunk_begin)
  std::uint32_t channel_blocks = 1, block_channels = 32;  // block_channels: the widest block's
  std::uint32_t pass_channels = 32;
};

struct HostCaches {
  std::uint64_t l1d_bytes = 0, l2_bytes = 0;
};

// The split of conv `p` with `in_es`-byte input elements over `cores` cores whose
// caches are `caches` (the L1 data cache per core, the L2 the arch gives a core), with
// row chunks cut in units of `row_unit` rows (2 where the two-row kernels run).
HostWorkSplit split_host_work(const Conv2dParams& p, std::uint32_t cores, std::uint32_t in_es, const HostCaches& caches,
                              std::uint32_t row_unit = 1);

}  // namespace shardwise
