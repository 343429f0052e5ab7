// Depthwise reader (reference section 7), one per working core.
//  1. Weights into the weight CB: a core that reads weights fetches its shard's tiles
//     (and bias tiles) from DRAM by tile id; if it has receivers it multicasts them
//     with the semaphore handshake: wait until every receiver has checked in on the
//     sender semaphore, multicast the data, then multicast VALID into the receivers'
//     semaphore. A receiver sets its semaphore INVALID, checks in with the sender and
//     waits for VALID.
//  2. For every output stick, the K sticks of its window from the halo shard into the
//     input CB, kernel position after kernel position (the order of the prepared
//     weights' flat vector w[k*P + c]), block_sticks outputs per CB page.
#include "device/kernel_context.hpp"
#include "ops/conv2d/kernels/depthwise_args.hpp"

namespace shardwise {
namespace {
constexpr std::uint32_t kInvalid = 0, kValid = 1;
}

KernelCoroutine reader_depthwise(KernelContext& ctx) {
  const auto& a = ctx.compile_args<DepthwiseReaderArgs>();
  const auto& core = ctx.runtime_args<DepthwiseReaderCoreArgs>();

  co_await ctx.cb_reserve_back(kWeightCb, 1);
  const std::uint32_t weights_l1 = ctx.get_write_ptr(kWeightCb);
  const std::uint32_t weight_bytes = (a.weight_tiles + a.bias_tiles) * a.weight_tile_bytes;
  const std::uint32_t sender_sem = ctx.get_semaphore(a.sender_semaphore);
  const std::uint32_t receiver_sem = ctx.get_semaphore(a.receiver_semaphore);
  if (core.reads_weights) {
    // Tile i of shard s: tile row i / (P/32), column s*(P/32) + i % (P/32); for
    // kernels up to 32 positions that is just s*(P/32) + i.
    std::uint32_t l1 = weights_l1;
    const std::uint32_t per_row = a.weight_tiles_per_row;
    for (std::uint32_t i = 0; i < a.weight_tiles; ++i, l1 += a.weight_tile_bytes) {
      const std::uint32_t id = (i / per_row) * a.weight_tile_row_stride + core.channel_shard * per_row + i % per_row;
      if (ctx.dprint_enabled()) ctx.dprint() << "weight tile " << i << ": global tile id " << id << "\n";
      if (a.weights_by_address_offset) {
        // The seed's step 8: a per-core base address plus byte offsets, read as if
        // the tiles lay one after another in one bank.
        ctx.noc_async_read(NocAddr::dram(0, a.weights.base_address + std::uint64_t{core.channel_shard * per_row + i} * a.weights.aligned_page_size),
                           l1, a.weights.page_size);
        continue;
      }
      ctx.noc_async_read_page(id, a.weights, l1);
    }
    for (std::uint32_t i = 0; i < a.bias_tiles; ++i, l1 += a.weight_tile_bytes)
      ctx.noc_async_read_page(core.channel_shard * a.bias_tiles + i, a.bias, l1);
    ctx.noc_async_read_barrier();
    if (core.num_receivers > 0) {
      co_await ctx.noc_semaphore_wait(sender_sem, core.num_receivers);
      ctx.noc_semaphore_set(sender_sem, 0);
      for (const CoreRange& r : core.multicast) {
        const std::uint32_t dests = r.num_cores() - (r.contains(ctx.core()) ? 1 : 0);
        if (!a.skip_weight_multicast) ctx.noc_async_write_multicast(weights_l1, {r, weights_l1}, weight_bytes, dests);
      }
      ctx.noc_async_write_barrier();
      ctx.noc_semaphore_set(receiver_sem, kValid);
      for (const CoreRange& r : core.multicast) {
        const std::uint32_t dests = r.num_cores() - (r.contains(ctx.core()) ? 1 : 0);
        ctx.noc_semaphore_set_multicast(receiver_sem, {r, receiver_sem}, dests);
      }
    }
  } else {
    ctx.noc_semaphore_set(receiver_sem, kInvalid);
    ctx.noc_semaphore_inc(ctx.get_noc_addr(core.weight_sender.x, core.weight_sender.y, sender_sem), 1);
    co_await ctx.noc_semaphore_wait(receiver_sem, kValid);
  }
  ctx.cb_push_back(kWeightCb, 1);

  // Window offsets of the K kernel positions, in halo sticks.
  const std::uint32_t K = a.kernel_h * a.kernel_w;
  std::vector<std::uint32_t> offsets(K);
  for (std::uint32_t k = 0; k < K; ++k)
    offsets[k] = (k / a.kernel_w) * a.dilation_h * a.padded_w + (k % a.kernel_w) * a.dilation_w;

  // As TT-Metal's pool/depthwise readers do: a window row is one NoC read when its
  // sticks are contiguous (no dilation, halo pages exactly one stick of this core's
  // channels); otherwise one read per stick.
  const bool row_reads = a.dilation_w == 1 && a.halo_page_bytes == a.stick_bytes;
  const std::uint32_t row_bytes = a.kernel_w * a.stick_bytes;
  const std::uint32_t halo = ctx.get_read_ptr(kHaloCb);
  const std::uint64_t per_image = std::uint64_t{a.out_h} * a.out_w;
  const std::uint64_t image_sticks = std::uint64_t{a.padded_h} * a.padded_w;
  std::uint64_t o = core.first_output;
  const std::uint64_t end = core.first_output + core.num_outputs;
  // Output o = (image n, row oh, column ow), stepped along without a division per stick.
  std::uint64_t n = o / per_image, oh = o % per_image / a.out_w, ow = o % a.out_w;
  while (o < end) {
    const std::uint32_t count = static_cast<std::uint32_t>(std::min<std::uint64_t>(a.block_sticks, end - o));
    co_await ctx.cb_reserve_back(kInputCb, 1);
    std::uint32_t dst = ctx.get_write_ptr(kInputCb);
    for (std::uint32_t i = 0; i < count; ++i, ++o) {
      const std::uint64_t top_left = n * image_sticks + oh * a.stride_h * a.padded_w + ow * a.stride_w;
      if (++ow == a.out_w) {
        ow = 0;
        if (++oh == a.out_h) oh = 0, ++n;
      }
      const std::uint32_t base = halo + static_cast<std::uint32_t>(top_left - core.halo_first_stick) * a.halo_page_bytes;
      if (row_reads) {  // one read per kernel row: its kernel_w sticks lie side by side in the halo and in the CB
        for (std::uint32_t r = 0; r < a.kernel_h; ++r, dst += row_bytes)
          ctx.noc_async_read(ctx.get_noc_addr(base + offsets[r * a.kernel_w] * a.halo_page_bytes), dst, row_bytes);
        continue;
      }
      for (std::uint32_t k = 0; k < K; ++k, dst += a.stick_bytes)
        ctx.noc_async_read(ctx.get_noc_addr(base + offsets[k] * a.halo_page_bytes), dst, a.stick_bytes);
    }
    ctx.noc_async_read_barrier();
    ctx.cb_push_back(kInputCb, 1);
  }
}

}  // namespace shardwise
