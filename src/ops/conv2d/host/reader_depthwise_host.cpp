// Host preset reader: instead of copying K window sticks per output (what a Tensix
// reader must do), it passes one window descriptor per work item (a chunk of output
// rows x a channel block) through the CB: where the chunk's output goes and the
// main-memory address of every input row its windows read, padding rows left out. The
// compute kernel reads those rows in place.
#include <algorithm>

#include "device/kernel_context.hpp"
#include "ops/conv2d/host/host_kernel_args.hpp"

namespace shardwise {

KernelCoroutine reader_depthwise_host(KernelContext& ctx) {
  const auto& a = ctx.compile_args<HostReaderArgs>();
  const auto& core = ctx.runtime_args<HostCoreArgs>();
  const std::uint32_t page_bytes =
      host_window_page_bytes(host_window_rows(a.chunk_rows, a.kernel_h, a.stride_h, a.dilation_h));
  for (std::uint64_t item = core.first_item; item < core.first_item + core.num_items; ++item) {
    const std::uint64_t chunk = item / a.channel_blocks;
    const std::uint32_t block = static_cast<std::uint32_t>(item % a.channel_blocks);
    const std::uint64_t n = chunk / a.chunks_per_image;
    const std::uint32_t i = static_cast<std::uint32_t>(chunk % a.chunks_per_image);
    const std::uint32_t ho = host_chunk_begin(i, a.out_height, a.chunks_per_image, a.chunk_unit);
    const std::uint32_t out_rows = host_chunk_begin(i + 1, a.out_height, a.chunks_per_image, a.chunk_unit) - ho;
    // Input rows the chunk reads, clipped to the image: [first, last).
    const std::int64_t top = std::int64_t{ho} * a.stride_h - a.pad_top;
    const std::int64_t bottom = top + host_window_rows(out_rows, a.kernel_h, a.stride_h, a.dilation_h);
    const std::int64_t first = std::max<std::int64_t>(top, 0);
    const std::int64_t last = std::max(first, std::min<std::int64_t>(bottom, a.in_height));

    co_await ctx.cb_reserve_back(kHostWindowCb, 1);
    auto* page = ctx.l1_pointer<std::uint8_t>(ctx.get_write_ptr(kHostWindowCb), page_bytes);
    auto* header = reinterpret_cast<HostWindowHeader*>(page);
    const std::uint32_t c0 = host_block_begin(block, a.channels, a.channel_blocks);
    header->out_address =
        core.output_address + (n * a.out_height + ho) * a.out_row_bytes + std::uint64_t{c0} * a.out_element_bytes;
    header->top = static_cast<std::int32_t>(top);
    header->first_in_row = static_cast<std::uint32_t>(first);
    header->num_in_rows = static_cast<std::uint32_t>(last - first);
    header->out_rows = out_rows;
    header->c0 = c0;
    header->channels = host_block_begin(block + 1, a.channels, a.channel_blocks) - c0;
    auto* rows = reinterpret_cast<std::uint64_t*>(page + sizeof(HostWindowHeader));
    for (std::int64_t r = first; r < last; ++r)
      rows[r - first] = core.input_address + (n * a.in_height + static_cast<std::uint64_t>(r)) * a.in_row_bytes +
                        std::uint64_t{c0} * a.in_element_bytes;
    ctx.cb_push_back(kHostWindowCb, 1);
  }
}

}  // namespace shardwise
