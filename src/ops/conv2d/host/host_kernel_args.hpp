#pragma once
// Typed arguments of the host preset's depthwise kernels (host_program.hpp).
#include <cstdint>

#include "device/kernel.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {

inline constexpr std::uint32_t kHostWindowCb = 0;  // window descriptors, one page per work item
inline constexpr std::uint32_t kHostWindowPages = 8;

// A window descriptor (one CB page): where one output row's channel block goes and
// which input rows its window reads. `row_address` follows the header: one main-memory
// address per valid kernel row (pixel 0, channel c0 of that input row); kernel rows
// that fall into the top or bottom padding are left out.
struct HostWindowHeader {
  std::uint64_t out_address;     // output pixel 0 of the row, channel c0
  std::uint32_t first_kernel_row;
  std::uint32_t num_rows;        // valid kernel rows
  std::uint32_t c0;
  std::uint32_t channels;
};

inline std::uint32_t host_window_page_bytes(std::uint32_t kernel_h) {
  return (static_cast<std::uint32_t>(sizeof(HostWindowHeader)) + 8 * kernel_h + 15) / 16 * 16;
}

// Work item i = output row (n*Ho + ho) i / channel_blocks, channel block i % channel_blocks.
struct HostReaderArgs {
  std::uint32_t kernel_h, dilation_h, stride_h, pad_top;
  std::uint32_t in_height, out_height;
  std::uint32_t channels, channel_blocks, block_channels;
  std::uint64_t input_address;      // the input buffer (DRAM, one bank): pixel p at + p * in_stick_bytes
  std::uint64_t in_stick_bytes;     // aligned page
  std::uint64_t in_row_bytes;       // W * in_stick_bytes
  std::uint64_t output_address;
  std::uint64_t out_stick_bytes;
  std::uint64_t out_row_bytes;      // Wo * out_stick_bytes
  std::uint32_t in_element_bytes, out_element_bytes;
};

struct HostComputeArgs {
  DwRowShape shape;
  DwRowFn microkernel;
  std::uint32_t kernel_h;
  std::uint64_t input_address, input_bytes;    // regions checked once per run
  std::uint64_t output_address, output_bytes;
  std::uint64_t weights_address, weights_bytes;  // packed [K][Cpad] + bias [Cpad], float32
  std::uint32_t in_element_bytes, out_element_bytes;
};

struct HostCoreArgs {
  std::uint64_t first_item;
  std::uint64_t num_items;
};

KernelCoroutine reader_depthwise_host(KernelContext& ctx);
KernelCoroutine compute_depthwise_host(KernelContext& ctx);

}  // namespace shardwise
