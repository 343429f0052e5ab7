// Depthwise writer, for layers that run in slices: output sticks (or rows of tiles)
// leave the output CB for the DRAM-interleaved output tensor, addressed by page id.
// A core writes only its shard's channels: stick o at page o, byte offset s*P*es; tile
// row r's tile t at id r * tiles_per_row + s*P/32 + t.
#include "device/kernel_context.hpp"
#include "ops/conv2d/kernels/depthwise_args.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {

KernelCoroutine writer_depthwise(KernelContext& ctx) {
  const auto& a = ctx.compile_args<DepthwiseWriterArgs>();
  const auto& core = ctx.runtime_args<DepthwiseWriterCoreArgs>();
  if (core.channels == 0) co_return;  // an empty trailing channel shard writes nothing
  if (!a.tile_output) {
    for (std::uint32_t j = 0; j < core.num_outputs; ++j) {
      co_await ctx.cb_wait_front(kOutputCb, 1);
      ctx.noc_async_write(ctx.get_read_ptr(kOutputCb),
                          a.output.get_noc_addr(static_cast<std::uint32_t>(core.first_output + j),
                                                core.channel_shard * a.channels * a.element_size),
                          core.channels * a.element_size);
      ctx.noc_async_write_barrier();
      ctx.cb_pop_front(kOutputCb, 1);
    }
    co_return;
  }
  const std::uint32_t tiles = a.channels / kTileWidth;
  const std::uint32_t tile_bytes = a.page_bytes / tiles;
  const std::uint32_t rows = (core.num_outputs + kTileHeight - 1) / kTileHeight;
  for (std::uint32_t r = 0; r < rows; ++r) {
    co_await ctx.cb_wait_front(kOutputCb, 1);
    const std::uint32_t tile_row = static_cast<std::uint32_t>(core.first_output / kTileHeight) + r;
    for (std::uint32_t t = 0; t < tiles; ++t) {
      const std::uint32_t column = core.channel_shard * tiles + t;
      if (column >= a.tiles_per_row) break;  // the shard's padding past the tensor
      ctx.noc_async_write(ctx.get_read_ptr(kOutputCb) + t * tile_bytes, a.output.get_noc_addr(tile_row * a.tiles_per_row + column),
                          tile_bytes);
    }
    ctx.noc_async_write_barrier();
    ctx.cb_pop_front(kOutputCb, 1);
  }
}

}  // namespace shardwise
