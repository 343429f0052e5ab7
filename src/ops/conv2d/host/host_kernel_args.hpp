#pragma once
// Typed arguments of the host preset's depthwise kernels (host_program.hpp).
#include <cstdint>

#include "device/kernel.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {

inline constexpr std::uint32_t kHostWindowCb = 0;  // window descriptors, one page per work item
inline constexpr std::uint32_t kHostWindowPages = 4;

// A work item is a run of output rows of one image (a row chunk) x one channel block.
// Its window descriptor (one CB page): where the chunk's first output row goes and the
// main-memory address of every input row the chunk's windows read (pixel 0, channel c0),
// rows in the top or bottom padding left out. `top` is the input row kernel row 0 of
// the first output row reads (negative in the top padding); output row j of the chunk
// reads input rows top + j*stride + i*dilation, i < kernel_h, of which those inside the
// image are listed from `first_in_row` on.
struct HostWindowHeader {
  std::uint64_t out_address;  // output pixel 0 of the chunk's first row, channel c0
  std::int32_t top;
  std::uint32_t first_in_row;  // input row of the first listed address
  std::uint32_t num_in_rows;   // addresses that follow the header
  std::uint32_t out_rows;      // output rows in the chunk
  std::uint32_t c0;
  std::uint32_t channels;
};

// Input rows a chunk of `out_rows` output rows reads at most.
inline std::uint32_t host_window_rows(std::uint32_t out_rows, std::uint32_t kernel_h, std::uint32_t stride_h,
                                      std::uint32_t dilation_h) {
  return (out_rows - 1) * stride_h + (kernel_h - 1) * dilation_h + 1;
}

inline std::uint32_t host_window_page_bytes(std::uint32_t max_in_rows) {
  return (static_cast<std::uint32_t>(sizeof(HostWindowHeader)) + 8 * max_in_rows + 15) / 16 * 16;
}

// Chunk i of an image's `rows` output rows cut into `chunks`, in whole units of `unit`
// rows (2 where the two-row kernels run, so that no chunk leaves a row unpaired; the
// last unit is short when `rows` is odd): rows [begin(i), begin(i + 1)), sizes that
// differ by one unit at most (a chunk of ceil(rows / chunks) rows and a short last one
// gave one core of two 15 of mnv3_7's 28 rows and the other 13).
inline std::uint32_t host_chunk_begin(std::uint32_t i, std::uint32_t rows, std::uint32_t chunks, std::uint32_t unit = 1) {
  const std::uint64_t units = (std::uint64_t{rows} + unit - 1) / unit;
  const std::uint64_t begin = std::uint64_t{i} * units / chunks * unit;
  return static_cast<std::uint32_t>(begin < rows ? begin : rows);
}

// Channel block b of `blocks`: whole 32-channel groups [b * G / blocks, (b + 1) * G / blocks)
// of the G = ceil(channels / 32), clipped to the channels; widths differ by one group at
// most (blocks of round_up(C / blocks, 32) gave mnv2_5's 960 channels in 8 blocks one
// core 512 channels and the other 448).
inline std::uint32_t host_block_begin(std::uint32_t b, std::uint32_t channels, std::uint32_t blocks) {
  const std::uint64_t groups = (std::uint64_t{channels} + 31) / 32;
  const std::uint64_t begin = b * groups / blocks * 32;
  return static_cast<std::uint32_t>(begin < channels ? begin : channels);
}

// Work item i: row chunk i / channel_blocks (chunks_per_image per image, of at most
// chunk_rows rows, cut in units of chunk_unit rows: host_chunk_begin), channel block
// i % channel_blocks (host_block_begin).
struct HostReaderArgs {
  std::uint32_t kernel_h, dilation_h, stride_h, pad_top;
  std::uint32_t in_height, out_height;
  std::uint32_t chunk_rows, chunks_per_image, chunk_unit;
  std::uint32_t channels, channel_blocks;
  std::uint64_t in_stick_bytes;     // aligned page: input pixel p at input_address + p * in_stick_bytes
  std::uint64_t in_row_bytes;       // W * in_stick_bytes
  std::uint64_t out_stick_bytes;
  std::uint64_t out_row_bytes;      // Wo * out_stick_bytes
  std::uint32_t in_element_bytes, out_element_bytes;
};

struct HostComputeArgs {
  DwRowShape shape;
  DwRowFn microkernel;
  DwRowFn two_row_microkernel;              // two output rows per call (vertical stride and dilation 1), or null
  std::uint32_t kernel_h, dilation_h, stride_h, in_height;
  std::uint32_t max_in_rows;                // per descriptor
  std::uint32_t pass_channels;              // channels per L1 pass over the chunk's rows
  std::uint64_t out_row_bytes;              // Wo * output stick
  std::uint64_t input_bytes, output_bytes;  // the regions checked once per run
  std::uint64_t weights_bytes;              // packed [K][Cpad] + bias [Cpad], float32
  std::uint32_t in_element_bytes, out_element_bytes;
  bool prefetch_next_rows;                  // software prefetch of the next output row's input (host_program.cpp)
};

// Per core, for both kernels: the work items and the buffers' addresses (runtime
// arguments, as in TT-Metal, so that a cached program runs on new buffers).
struct HostCoreArgs {
  std::uint64_t first_item;
  std::uint64_t num_items;
  std::uint64_t input_address;    // DRAM (one bank) addresses
  std::uint64_t output_address;
  std::uint64_t weights_address;
};

KernelCoroutine reader_depthwise_host(KernelContext& ctx);
KernelCoroutine compute_depthwise_host(KernelContext& ctx);

}  // namespace shardwise
