// The host program's L1 pass rule (host/host_work_split.hpp) on given caches, so that
// every machine checks the same cases: passes where consecutive output rows share two
// input rows or more, each pass at least 256 bytes of every pixel, none where the
// block's kernel_h input rows already fit three quarters of the L1.
#include <gtest/gtest.h>

#include "ops/conv2d/host/host_kernel_args.hpp"
#include "ops/conv2d/host/host_work_split.hpp"

namespace shardwise {
namespace {

Conv2dParams depthwise(std::uint32_t batch, std::uint32_t hw, std::uint32_t channels, std::uint32_t kernel, std::uint32_t stride) {
  Conv2dParams p;
  p.batch = batch;
  p.in_channels = p.out_channels = p.groups = channels;
  p.input_height = p.input_width = hw;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = kernel / 2;
  return p;
}

constexpr HostCaches kXeon{48 * 1024, 2 * 1024 * 1024};  // 48 KiB L1d, 2 MiB L2
constexpr HostCaches kZen4{32 * 1024, 1024 * 1024};

// mnv3_8 (14 x 14 x 672, 5 x 5 stride 2) at batch 32: each output row's five input rows
// are 188 KB of float32; passes of 64 channels (256 bytes of each pixel, 17.5 KB of
// rows: half the 48 KiB L1), the chunks cut to 4 rows so that their 11 input rows stay
// within a quarter of the L2.
TEST(HostWorkSplit, WideRowsGetL1Passes) {
  const HostWorkSplit s = split_host_work(depthwise(32, 14, 672, 5, 2), 2, 4, kXeon);
  EXPECT_EQ(s.channel_blocks, 1u);
  EXPECT_EQ(s.block_channels, 672u);
  EXPECT_EQ(s.pass_channels, 64u);
  EXPECT_EQ(s.chunk_rows, 4u);
  // bfloat16: the same bytes hold 128 channels per half L1 -> passes of 672 / 5 rounded up to 32.
  EXPECT_EQ(split_host_work(depthwise(32, 14, 672, 5, 2), 2, 2, kXeon).pass_channels, 160u);
}

// On a 32 KiB L1 half the L1 holds 32 float32 channels of those rows: 128 bytes per
// pixel, under the floor, so one pass over the block.
TEST(HostWorkSplit, NarrowPassesAreNotTaken) {
  const HostWorkSplit s = split_host_work(depthwise(32, 14, 672, 5, 2), 2, 4, kZen4);
  EXPECT_EQ(s.pass_channels, s.block_channels);
  EXPECT_EQ(s.chunk_rows, 7u);
  // 56 x 56 x 144 3 x 3 bfloat16: 32-channel passes would read 64 bytes of each pixel.
  const HostWorkSplit b = split_host_work(depthwise(32, 56, 144, 3, 1), 2, 2, kZen4);
  EXPECT_EQ(b.pass_channels, b.block_channels);
}

// mnv3_8 at batch 1: 8 blocks of 96 channels whose rows (26.9 KB) fit 3/4 of the L1.
TEST(HostWorkSplit, BlocksThatFitL1RunInOnePass) {
  const HostWorkSplit s = split_host_work(depthwise(1, 14, 672, 5, 2), 2, 4, kXeon);
  EXPECT_EQ(s.channel_blocks, 8u);
  EXPECT_EQ(s.block_channels, 96u);
  EXPECT_EQ(s.pass_channels, 96u);
}

// 3 x 3 stride 2 shares one input row between output rows: no passes however wide.
TEST(HostWorkSplit, NoPassesWithoutRowReuse) {
  const HostWorkSplit s = split_host_work(depthwise(32, 112, 96, 3, 2), 2, 4, kXeon);
  EXPECT_EQ(s.pass_channels, s.block_channels);
  // 14 x 14 x 576 3 x 3 stride 1 float32 (mnv2_4): 128 channels per pass.
  EXPECT_EQ(split_host_work(depthwise(32, 14, 576, 3, 1), 2, 4, kXeon).pass_channels, 128u);
}

// With the two-row kernels (row unit 2) a chunk is whole pairs of output rows but for
// an odd image's last row: mnv3_7 (28 x 28, 5 x 5) at batch 1 was cut into chunks of
// 2 or 3 rows, every third row then running alone; the cut still gives each of the two
// cores half the rows. Without the two-row kernels the cut is as before.
TEST(HostWorkSplit, TwoRowKernelsGetWholePairs) {
  for (std::uint32_t hw : {7u, 14u, 28u, 56u, 112u})
    for (std::uint32_t batch : {1u, 32u}) {
      SCOPED_TRACE(std::to_string(hw) + " rows, batch " + std::to_string(batch));
      const Conv2dParams p = depthwise(batch, hw, 120, 5, 1);
      const HostWorkSplit s = split_host_work(p, 2, 4, kXeon, 2);
      EXPECT_EQ(s.chunk_unit, 2u);
      std::uint64_t rows = 0;
      for (std::uint32_t i = 0; i < s.chunks_per_image; ++i) {
        const std::uint32_t begin = host_chunk_begin(i, hw, s.chunks_per_image, 2), end = host_chunk_begin(i + 1, hw, s.chunks_per_image, 2);
        EXPECT_EQ(begin % 2, 0u) << "chunk " << i;
        EXPECT_TRUE((end - begin <= s.chunk_rows && (end - begin) % 2 == 0) || end == hw) << "chunk " << i << ": " << end - begin << " rows";
        rows += end - begin;
      }
      EXPECT_EQ(rows, hw);
      EXPECT_EQ(std::uint64_t{batch} * s.chunks_per_image * s.channel_blocks % 2, 0u);
    }
  const HostWorkSplit one = split_host_work(depthwise(1, 28, 120, 5, 1), 2, 4, kXeon);
  EXPECT_EQ(one.chunk_unit, 1u);
  EXPECT_EQ(one.chunk_rows, 3u);
  EXPECT_EQ(split_host_work(depthwise(1, 28, 120, 5, 1), 2, 4, kXeon, 2).chunk_rows, 2u);
}

}  // namespace
}  // namespace shardwise
