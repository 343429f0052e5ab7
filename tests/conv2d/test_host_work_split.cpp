// The host program's L1 pass rule (host/host_work_split.hpp) on given caches, so that
// every machine checks the same cases: passes where consecutive output rows share two
// input rows or more, each pass at least 256 bytes of every pixel, none where the
// block's kernel_h input rows already fit three quarters of the L1.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace shardwise
