#include "ops/conv2d/parallel_config.hpp"

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {

std::uint32_t largest_divisor_with_padding(std::uint32_t count, std::uint32_t max_divisor) {
  std::uint32_t divisor = std::max(1u, max_divisor);
  std::uint32_t padded = round_up(count, divisor);
  while (divisor > 1 && padded - count >= padded / divisor) {
    --divisor;
    padded = round_up(count, divisor);
  }
  return divisor;
}

std::uint32_t ParallelConfig::shard_channels(std::uint32_t shard, std::uint32_t channels) const {
  const std::uint32_t first = shard * channels_per_shard;
  if (first >= channels) return 0;
  return std::min(channels_per_shard, channels - first);
}

void ParallelConfig::set_channel_passes(std::uint32_t passes, std::uint32_t channels) {
  channel_passes = passes;
  channels_per_shard = round_up(div_up(channels, channel_shards()), kTileWidth);
}

ParallelConfig choose_parallel_config(const Conv2dParams& p, const Conv2dConfig& config, const Arch& arch) {
  const std::uint32_t grid_x = config.grid ? config.grid->x : arch.grid_x;
  const std::uint32_t grid_y = config.grid ? config.grid->y : arch.grid_y;
  check_arg(grid_x >= 1 && grid_y >= 1 && grid_x <= arch.grid_x && grid_y <= arch.grid_y,
            "grid {}x{} does not fit the {}x{} compute grid of {}", grid_x, grid_y, arch.grid_x, arch.grid_y, arch.name);
  const std::uint32_t max_cores = grid_x * grid_y;
  const std::uint64_t sticks = p.output_sticks();
  const std::uint32_t nhw_tiles = static_cast<std::uint32_t>((sticks + kTileHeight - 1) / kTileHeight);
  const std::uint32_t c_tiles = div_up(p.out_channels, kTileWidth);
  if (config.num_cores)
    check_arg(*config.num_cores >= 1 && *config.num_cores <= max_cores, "{} cores requested (num_cores; the CLI's --cores): it must be between 1 and {} ({}x{} grid)",
              *config.num_cores, max_cores, grid_x, grid_y);

  ParallelConfig pc;
  pc.orientation = config.orientation;
  if (config.shard_layout) {
    pc.layout = *config.shard_layout;
    pc.reason = fmt::format("{} as requested", to_string(pc.layout));
  } else {
    // The layout that keeps the most cores busy, as TT-NN's shard selection does:
    // HEIGHT while it uses nearly as many cores as the others (it keeps each window's
    // channels on one core and needs no weight multicast per column), else BLOCK, else
    // WIDTH. Layers with over 256 channels prefer BLOCK over HEIGHT when both are close
    // (each core would otherwise hold every channel's halo and weights). With an exact
    // core count asked for (num_cores) BLOCK is not a candidate: its grid is 2D.
    const bool row_major = config.orientation == ShardOrientation::ROW_MAJOR;
    const std::uint32_t height_cores = largest_divisor_with_padding(nhw_tiles, std::min(max_cores, nhw_tiles));
    const std::uint32_t width_cores = largest_divisor_with_padding(c_tiles, std::min(max_cores, c_tiles));
    const std::uint32_t nhw_extent = row_major ? grid_y : grid_x, c_extent = row_major ? grid_x : grid_y;
    const std::uint32_t block_cores = config.num_cores ? 0
                                                       : largest_divisor_with_padding(nhw_tiles, std::min(nhw_extent, nhw_tiles)) *
                                                             largest_divisor_with_padding(c_tiles, std::min(c_extent, c_tiles));
    const std::uint32_t best = std::max({height_cores, width_cores, block_cores});
    auto near_best = [&](std::uint32_t cores) { return cores * 5 >= best * 4; };  // within 80 %
    const bool wide = p.out_channels > 256;
    if (c_tiles == 1 || (near_best(height_cores) && !(wide && near_best(block_cores) && block_cores > height_cores)))
      pc.layout = TensorMemoryLayout::HEIGHT_SHARDED;
    else if (block_cores >= width_cores)
      pc.layout = TensorMemoryLayout::BLOCK_SHARDED;
    else
      pc.layout = TensorMemoryLayout::WIDTH_SHARDED;
    pc.reason = fmt::format("auto: {} output-stick tiles x {} channel tiles on a {}x{} grid; cores used: HEIGHT {}, WIDTH {}, "
                            "BLOCK {} -> {}",
                            nhw_tiles, c_tiles, grid_x, grid_y, height_cores, width_cores,
                            config.num_cores ? std::string("n/a with num_cores") : std::to_string(block_cores),
                            to_string(pc.layout));
  }
  check_arg(pc.layout != TensorMemoryLayout::INTERLEAVED, "a depthwise conv runs sharded: INTERLEAVED is not a work split");

  switch (pc.layout) {
    case TensorMemoryLayout::HEIGHT_SHARDED: {
      if (config.num_cores) {
        check_arg(*config.num_cores <= nhw_tiles, "--cores {}: HEIGHT sharding has only {} tiles of output sticks to split",
                  *config.num_cores, nhw_tiles);
        pc.cores_nhw = *config.num_cores;
      } else {
        pc.cores_nhw = largest_divisor_with_padding(nhw_tiles, std::min(max_cores, nhw_tiles));
      }
      pc.cores_c = 1;
      pc.grid = CoreRangeSet::first_cores_row_wise(pc.cores_nhw, grid_x);
      const auto cores = pc.grid.cores();
      for (std::uint32_t i = 0; i < pc.cores_nhw; ++i) pc.work.push_back({cores[i], i, 0});
      break;
    }
    case TensorMemoryLayout::WIDTH_SHARDED: {
      if (config.num_cores) {
        check_arg(*config.num_cores <= c_tiles, "--cores {}: WIDTH sharding has only {} tiles of channels ({}) to split",
                  *config.num_cores, c_tiles, p.out_channels);
        pc.cores_c = *config.num_cores;
      } else {
        pc.cores_c = largest_divisor_with_padding(c_tiles, std::min(max_cores, c_tiles));
      }
      pc.cores_nhw = 1;
      pc.grid = CoreRangeSet::first_cores_row_wise(pc.cores_c, grid_x);
      const auto cores = pc.grid.cores();
      for (std::uint32_t i = 0; i < pc.cores_c; ++i) pc.work.push_back({cores[i], 0, i});
      break;
    }
    case TensorMemoryLayout::BLOCK_SHARDED: {
      const bool row_major = config.orientation == ShardOrientation::ROW_MAJOR;
      const std::uint32_t nhw_extent = row_major ? grid_y : grid_x;
      const std::uint32_t c_extent = row_major ? grid_x : grid_y;
      pc.cores_nhw = largest_divisor_with_padding(nhw_tiles, std::min(nhw_extent, nhw_tiles));
      pc.cores_c = largest_divisor_with_padding(c_tiles, std::min(c_extent, c_tiles));
      const std::uint32_t x_count = row_major ? pc.cores_c : pc.cores_nhw;
      const std::uint32_t y_count = row_major ? pc.cores_nhw : pc.cores_c;
      pc.grid = CoreRangeSet{{CoreRange{{0, 0}, {x_count - 1, y_count - 1}}}};
      for (std::uint32_t y = 0; y < y_count; ++y)
        for (std::uint32_t x = 0; x < x_count; ++x)
          pc.work.push_back({{x, y}, row_major ? y : x, row_major ? x : y});
      break;
    }
    case TensorMemoryLayout::INTERLEAVED:
      break;
  }
  pc.set_channel_passes(1, p.out_channels);
  pc.reason += fmt::format("; {} core(s): {} stick split(s) x {} channel split(s)", pc.num_cores(), pc.cores_nhw, pc.cores_c);
  return pc;
}

}  // namespace shardwise
