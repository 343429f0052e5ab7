// Host preset compute: the input, output and packed weights are main-memory regions
// checked once per run (the watcher's region check); each window descriptor's rows are
// checked against the input region, then one row microkernel call computes the whole
// output row for the descriptor's channel block, reading the input in place.
#include <vector>

#include "device/kernel_context.hpp"
#include "ops/conv2d/host/host_kernel_args.hpp"

namespace shardwise {

KernelCoroutine compute_depthwise_host(KernelContext& ctx) {
  const auto& a = ctx.compile_args<HostComputeArgs>();
  const auto& core = ctx.runtime_args<HostCoreArgs>();
  const std::uint8_t* input = ctx.main_memory<const std::uint8_t>(a.input_address, a.input_bytes);
  std::uint8_t* output = ctx.main_memory<std::uint8_t>(a.output_address, a.output_bytes);
  const float* weights = ctx.main_memory<const float>(a.weights_address, a.weights_bytes / sizeof(float));
  const std::uint32_t page_bytes = host_window_page_bytes(a.kernel_h);
  const std::uint64_t taps_per_row = std::uint64_t{a.shape.kernel_w} * a.shape.packed_channels;
  const float* bias = weights + std::uint64_t{a.kernel_h} * taps_per_row;
  std::vector<const void*> rows(a.kernel_h);

  for (std::uint64_t item = 0; item < core.num_items; ++item) {
    co_await ctx.cb_wait_front(kHostWindowCb, 1);
    const auto* page = ctx.l1_pointer<const std::uint8_t>(ctx.get_read_ptr(kHostWindowCb), page_bytes);
    const auto& h = *reinterpret_cast<const HostWindowHeader*>(page);
    const auto* addresses = reinterpret_cast<const std::uint64_t*>(page + sizeof(HostWindowHeader));
    // The row's last byte: pixel W-1 (Wo-1 for the output), channel c0 + channels - 1.
    const std::uint64_t in_extent = (std::uint64_t{a.shape.in_width - 1} * a.shape.in_pixel_stride + h.channels) * a.in_element_bytes;
    const std::uint64_t out_extent = (std::uint64_t{a.shape.out_width - 1} * a.shape.out_pixel_stride + h.channels) * a.out_element_bytes;
    if (h.num_rows > a.kernel_h || h.out_address < a.output_address || h.out_address + out_extent > a.output_address + a.output_bytes)
      throw DeviceError(fmt::format("watcher: core {} kernel '{}': window descriptor output 0x{:x} outside the output region",
                                    ctx.core().to_string(), ctx.kernel_name(), h.out_address));
    for (std::uint32_t r = 0; r < h.num_rows; ++r) {
      const std::uint64_t address = addresses[r];
      if (address < a.input_address || address + in_extent > a.input_address + a.input_bytes)
        throw DeviceError(fmt::format("watcher: core {} kernel '{}': window row 0x{:x} outside the input region [0x{:x}, 0x{:x})",
                                      ctx.core().to_string(), ctx.kernel_name(), address, a.input_address,
                                      a.input_address + a.input_bytes));
      rows[r] = input + (address - a.input_address);
    }
    const DwRowCall call{rows.data(), h.num_rows, weights + h.first_kernel_row * taps_per_row + h.c0, bias + h.c0,
                         output + (h.out_address - a.output_address), h.channels};
    a.microkernel(a.shape, call);
    ctx.cb_pop_front(kHostWindowCb, 1);
  }
}

}  // namespace shardwise
