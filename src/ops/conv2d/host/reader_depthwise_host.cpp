// Host preset reader: instead of copying K window sticks per output (what a Tensix
// reader must do), it passes one window descriptor per work item through the CB: the
// output row's address and the main-memory addresses of the input rows the window
// reads, padding rows left out. The compute kernel reads those rows in place.
#include "device/kernel_context.hpp"
#include "ops/conv2d/host/host_kernel_args.hpp"

namespace shardwise {

KernelCoroutine reader_depthwise_host(KernelContext& ctx) {
  const auto& a = ctx.compile_args<HostReaderArgs>();
  const auto& core = ctx.runtime_args<HostCoreArgs>();
  const std::uint32_t page_bytes = host_window_page_bytes(a.kernel_h);
  for (std::uint64_t item = core.first_item; item < core.first_item + core.num_items; ++item) {
    const std::uint64_t row = item / a.channel_blocks;
    const std::uint32_t block = static_cast<std::uint32_t>(item % a.channel_blocks);
    const std::uint64_t n = row / a.out_height, ho = row % a.out_height;
    const std::int64_t top = static_cast<std::int64_t>(ho * a.stride_h) - a.pad_top;  // input row of kernel row 0
    // Kernel rows i with 0 <= top + i*dh < H: a contiguous range [first, last).
    std::uint32_t first = 0, last = a.kernel_h;
    while (first < last && top + std::int64_t{first} * a.dilation_h < 0) ++first;
    while (last > first && top + std::int64_t{last - 1} * a.dilation_h >= std::int64_t{a.in_height}) --last;

    co_await ctx.cb_reserve_back(kHostWindowCb, 1);
    auto* page = ctx.l1_pointer<std::uint8_t>(ctx.get_write_ptr(kHostWindowCb), page_bytes);
    auto* header = reinterpret_cast<HostWindowHeader*>(page);
    const std::uint32_t c0 = block * a.block_channels;
    header->out_address = a.output_address + row * a.out_row_bytes + std::uint64_t{c0} * a.out_element_bytes;
    header->first_kernel_row = first;
    header->num_rows = last - first;
    header->c0 = c0;
    header->channels = std::min(a.block_channels, a.channels - c0);
    auto* rows = reinterpret_cast<std::uint64_t*>(page + sizeof(HostWindowHeader));
    for (std::uint32_t i = first; i < last; ++i) {
      const std::uint64_t in_row = n * a.in_height + static_cast<std::uint64_t>(top + std::int64_t{i} * a.dilation_h);
      rows[i - first] = a.input_address + in_row * a.in_row_bytes + std::uint64_t{c0} * a.in_element_bytes;
    }
    ctx.cb_push_back(kHostWindowCb, 1);
  }
}

}  // namespace shardwise
