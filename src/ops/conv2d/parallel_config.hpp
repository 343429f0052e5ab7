#pragma once
// Which cores do which part of a depthwise conv (reference section 4).
//
//   HEIGHT: n cores split the N*Ho*Wo output sticks, each holds all channels.
//   WIDTH:  n cores split the channels, each computes every output stick.
//   BLOCK:  a grid; with ROW_MAJOR orientation its rows split the sticks and its
//           columns the channels (COL_MAJOR: the other way round).
// The output sticks per stick block depend on how the layer is sliced (see
// SlicePlan::shard_height). Channels go to shards in multiples of 32 (section 6): P = round_up(ceil(C/S), 32)
// per shard, so channel c always lands in column c of the [.., S*P] layouts.
#include <cstdint>
#include <string>
#include <vector>

#include "device/arch.hpp"
#include "ops/conv2d/conv2d_config.hpp"
#include "ops/conv2d/conv2d_params.hpp"

namespace shardwise {

struct CoreWork {
  CoreCoord core;
  std::uint32_t nhw_block = 0;      // which slice of output sticks
  std::uint32_t channel_shard = 0;  // which slice of channels
};

struct ParallelConfig {
  TensorMemoryLayout layout = TensorMemoryLayout::HEIGHT_SHARDED;
  ShardOrientation orientation = ShardOrientation::ROW_MAJOR;
  CoreRangeSet grid;                // every working core
  std::uint32_t cores_nhw = 1;      // splits of the output sticks
  std::uint32_t cores_c = 1;        // splits of the channels over cores
  // Channel passes: when even the smallest slice of output sticks does not fit L1, the
  // channels are also split in time. Pass i gives the core with channel split s the
  // channel shard i*cores_c + s, so the weights are laid out for S = cores_c * passes
  // shards and every pass reads its own shard's tiles (as WIDTH does, in time).
  std::uint32_t channel_passes = 1;
  std::uint32_t channels_per_shard = 32;  // P, of the S shards
  std::vector<CoreWork> work;       // one per working core
  std::string reason;               // how the layout and counts were chosen

  std::uint32_t num_cores() const { return static_cast<std::uint32_t>(work.size()); }
  std::uint32_t channel_shards() const { return cores_c * channel_passes; }  // S
  std::uint32_t shard_of(std::uint32_t pass, std::uint32_t channel_split) const { return pass * cores_c + channel_split; }
  // Sets the passes and P = round_up(ceil(C / S), 32).
  void set_channel_passes(std::uint32_t passes, std::uint32_t channels);
  // Real channels of shard s (the last may hold fewer, or none).
  std::uint32_t shard_channels(std::uint32_t shard, std::uint32_t channels) const;
};

// TT-NN's rule: the largest n <= max_divisor for which rounding `count` up to a
// multiple of n wastes less than one n-th of the result (less than a core's share).
std::uint32_t largest_divisor_with_padding(std::uint32_t count, std::uint32_t max_divisor);

// InvalidArgument for overrides that cannot work (more cores than the grid, more
// than there is work, a BLOCK grid of 1 core in a dimension that needs more, ...).
ParallelConfig choose_parallel_config(const Conv2dParams& params, const Conv2dConfig& config, const Arch& arch);

}  // namespace shardwise
