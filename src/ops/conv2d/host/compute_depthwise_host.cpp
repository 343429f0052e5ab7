// Host preset compute: the input, output and packed weights are main-memory regions
// checked once per run (the watcher's region check); each window descriptor's input
// rows and output rows are checked against those regions once, then one row
// microkernel call per output row of the chunk (or per two rows, where the program has
// a two-row kernel and both rows read the same kernel rows) computes the row for the
// descriptor's channel block, reading the input in place. The chunk's rows run back to
// back, so the input rows consecutive output rows share are still in the CPU's caches.
#include <array>
#include <vector>

#include <hwy/cache_control.h>

#include "device/kernel_context.hpp"
#include "ops/conv2d/host/host_kernel_args.hpp"

namespace shardwise {
namespace {

[[noreturn]] void outside(const KernelContext& ctx, const char* what, std::uint64_t address, std::uint64_t begin, std::uint64_t end) {
  throw DeviceError(fmt::format("watcher: core {} kernel '{}': window descriptor {} 0x{:x} outside the region [0x{:x}, 0x{:x})",
                                ctx.core().to_string(), ctx.kernel_name(), what, address, begin, end));
}

}  // namespace

KernelCoroutine compute_depthwise_host(KernelContext& ctx) {
  const auto& a = ctx.compile_args<HostComputeArgs>();
  const auto& core = ctx.runtime_args<HostCoreArgs>();
  const std::uint8_t* input = ctx.main_memory<const std::uint8_t>(core.input_address, a.input_bytes);
  std::uint8_t* output = ctx.main_memory<std::uint8_t>(core.output_address, a.output_bytes);
  const float* weights = ctx.main_memory<const float>(core.weights_address, a.weights_bytes / sizeof(float));
  const std::uint32_t page_bytes = host_window_page_bytes(a.max_in_rows);
  const std::uint64_t taps_per_row = std::uint64_t{a.shape.kernel_w} * a.shape.packed_channels;
  const float* bias = weights + std::uint64_t{a.kernel_h} * taps_per_row;
  // One call's valid input rows (kernel_h, one more for two output rows), then the next
  // call's new ones (up to kernel_h + 1; beyond the inline array they spill to the heap
  // once per run).
  std::array<const void*, 32> inline_rows{};
  std::vector<const void*> heap_rows(2 * a.kernel_h + 2 > inline_rows.size() ? 2 * a.kernel_h + 2 : 0);
  const void** rows = heap_rows.empty() ? inline_rows.data() : heap_rows.data();
  const void** next_rows = rows + a.kernel_h + 1;
  // Streaming stores need every pixel 64-byte aligned in the CPU's address space: the
  // program checked the pixel stride; a buffer over caller memory may start anywhere.
  DwRowShape shape = a.shape;
  shape.stream_output = shape.stream_output && reinterpret_cast<std::uintptr_t>(output) % 64 == 0;

  for (std::uint64_t item = 0; item < core.num_items; ++item) {
    co_await ctx.cb_wait_front(kHostWindowCb, 1);
    const auto* page = ctx.l1_pointer<const std::uint8_t>(ctx.get_read_ptr(kHostWindowCb), page_bytes);
    const auto& h = *reinterpret_cast<const HostWindowHeader*>(page);
    const auto* addresses = reinterpret_cast<const std::uint64_t*>(page + sizeof(HostWindowHeader));
    // The extent of one row from its address: pixel W-1 (Wo-1 for the output), channel c0 + channels - 1.
    const std::uint64_t in_extent = (std::uint64_t{a.shape.in_width - 1} * a.shape.in_pixel_stride + h.channels) * a.in_element_bytes;
    const std::uint64_t out_extent =
        std::uint64_t{h.out_rows - 1} * a.out_row_bytes +
        (std::uint64_t{a.shape.out_width - 1} * a.shape.out_pixel_stride + h.channels) * a.out_element_bytes;
    const std::uint64_t in_end = core.input_address + a.input_bytes, out_end = core.output_address + a.output_bytes;
    if (h.num_in_rows > a.max_in_rows || h.out_rows == 0 || h.out_address < core.output_address || h.out_address + out_extent > out_end)
      outside(ctx, "output", h.out_address, core.output_address, out_end);
    for (std::uint32_t r = 0; r < h.num_in_rows; ++r)
      if (addresses[r] < core.input_address || addresses[r] + in_extent > in_end)
        outside(ctx, "input row", addresses[r], core.input_address, in_end);

    // Channel passes outer, output rows inner: one pass's kernel_h input rows stay in
    // the CPU's L1 from one output row to the next.
    for (std::uint32_t c = 0; c < h.channels; c += a.pass_channels) {
      const std::uint32_t pass = std::min(a.pass_channels, h.channels - c);
      const auto row_address = [&](std::int64_t in_row) -> const void* {
        if (in_row < h.first_in_row || in_row - h.first_in_row >= h.num_in_rows)
          outside(ctx, "input row index", static_cast<std::uint64_t>(in_row), h.first_in_row, std::uint64_t{h.first_in_row} + h.num_in_rows);
        return input + (addresses[in_row - h.first_in_row] - core.input_address) + std::uint64_t{c} * a.in_element_bytes;
      };
      // Kernel rows [first, first + count) are those whose input row top + i*dilation
      // lies in the image (padding rows are left out).
      const auto valid_kernel_rows = [&](std::int64_t top, std::uint32_t& first, std::uint32_t& count) {
        first = 0;
        count = 0;
        for (std::uint32_t i = 0; i < a.kernel_h; ++i) {
          const std::int64_t in_row = top + std::int64_t{i} * a.dilation_h;
          if (in_row < 0 || in_row >= std::int64_t{a.in_height}) continue;
          if (count == 0) first = i;
          ++count;
        }
      };
      for (std::uint32_t j = 0; j < h.out_rows;) {
        const std::int64_t top = h.top + std::int64_t{j} * a.stride_h;
        std::uint32_t first = 0, count = 0;
        valid_kernel_rows(top, first, count);
        for (std::uint32_t i = 0; i < count; ++i) rows[i] = row_address(top + std::int64_t{first + i} * a.dilation_h);
        // Two output rows in one call (vertical stride and dilation 1) where the next
        // row reads the same kernel rows: it adds one input row below this row's.
        std::uint32_t out_rows = 1;
        if (a.two_row_microkernel != nullptr && j + 1 < h.out_rows && count > 0) {
          std::uint32_t next_first = 0, next_count = 0;
          valid_kernel_rows(top + 1, next_first, next_count);
          if (next_first == first && next_count == count) {
            rows[count] = row_address(top + first + count);
            out_rows = 2;
          }
        }
        // The input rows of the next call (its two rows where there is a two-row
        // kernel) that this call does not read: prefetched.
        std::uint32_t next_count = 0;
        if (a.prefetch_next_rows && j + out_rows < h.out_rows) {
          const std::int64_t next_top = top + std::int64_t{out_rows} * a.stride_h;
          const std::uint32_t next_rows_read = a.kernel_h + (a.two_row_microkernel != nullptr && j + out_rows + 1 < h.out_rows ? 1 : 0);
          for (std::uint32_t i = 0; i < next_rows_read; ++i) {
            const std::int64_t in_row = next_top + std::int64_t{i} * a.dilation_h;
            if (in_row < h.first_in_row || in_row - h.first_in_row >= h.num_in_rows) continue;
            // Shared with this call when a multiple of the dilation below kernel_h (plus
            // the second row's one more).
            const std::int64_t offset = in_row - top;
            if (offset % a.dilation_h == 0 && offset / a.dilation_h < std::int64_t{a.kernel_h + out_rows - 1}) continue;
            next_rows[next_count++] = row_address(in_row);
          }
        }
        DwRowCall call{rows, count, weights + first * taps_per_row + h.c0 + c, bias + h.c0 + c,
                       output + (h.out_address - core.output_address) + j * a.out_row_bytes + std::uint64_t{c} * a.out_element_bytes,
                       pass};
        call.next_rows = next_rows;
        call.num_next_rows = next_count;
        if (out_rows == 2) {
          call.second_out = a.out_row_bytes / a.out_element_bytes;
          a.two_row_microkernel(shape, call);
        } else {
          a.microkernel(shape, call);
        }
        j += out_rows;
      }
    }
    ctx.cb_pop_front(kHostWindowCb, 1);
  }
  // Streaming stores are weakly ordered: fenced once, before the kernel's end is
  // signalled to the thread that reads the output. Not per row: the fence waits for
  // the lines to leave the core (a variant fencing every row measured slower than no
  // streaming at all, DESIGN.md).
  if (shape.stream_output) hwy::FlushStream();
}

}  // namespace shardwise
