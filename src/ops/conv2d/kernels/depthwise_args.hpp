#pragma once
// Typed arguments of the depthwise conv kernels, shared by the program factory and
// the kernels. Compile-time arguments are the same on every core; runtime arguments
// differ per core.
#include <cstdint>
#include <vector>

#include "core/activation.hpp"
#include "device/kernel.hpp"
#include "core/data_type.hpp"
#include "device/noc_address.hpp"
#include "numerics/math_fidelity.hpp"
#include "tensor/tensor.hpp"

namespace shardwise {

// Circular buffers of the depthwise program.
enum DepthwiseCb : std::uint32_t {
  kInputCb = 0,    // windows: block_sticks outputs x K sticks x P channels per page, 2 pages
  kWeightCb = 1,   // the shard's weight tiles, then its bias tiles (one page)
  kOutputCb = 2,   // bound to the output shard: one page per output stick (or tile row)
  kHaloCb = 3,     // bound to the halo shard: one page per halo stick
  kScratchCb = 4,  // compute's float32 copy of the weights and bias
};

struct DepthwiseReaderArgs {
  std::uint32_t kernel_h, kernel_w, dilation_h, dilation_w, stride_h, stride_w;
  std::uint32_t out_h, out_w, padded_h, padded_w;
  std::uint32_t stick_bytes;       // P channels of the input dtype
  std::uint32_t halo_page_bytes;   // one halo stick, aligned
  std::uint32_t block_sticks;      // outputs per input CB page
  InterleavedAddressGenerator weights;
  InterleavedAddressGenerator bias;
  std::uint32_t weight_tile_bytes;
  std::uint32_t weight_tiles;           // per shard
  std::uint32_t weight_tiles_per_row;   // per shard and tile row: P/32
  std::uint32_t weight_tile_row_stride; // tile ids between tile rows: S*P/32
  std::uint32_t bias_tiles;             // per shard, 0 without bias
  std::uint32_t sender_semaphore;
  std::uint32_t receiver_semaphore;
  bool weights_by_address_offset;  // injected fault
  bool skip_weight_multicast;      // injected fault
};

struct DepthwiseReaderCoreArgs {
  std::uint64_t first_output;
  std::uint32_t num_outputs;
  std::uint64_t halo_first_stick;   // padded-image stick at halo row 0
  std::uint32_t channel_shard;      // s: which weight tiles
  bool reads_weights;               // reads its shard's tiles from DRAM
  CoreCoord weight_sender;          // receivers: who multicasts to them
  std::vector<CoreRange> multicast; // senders: receiver rectangles
  std::uint32_t num_receivers;      // senders: receivers in all rectangles
};

struct DepthwiseComputeArgs {
  std::uint32_t kernel_positions;  // K
  std::uint32_t channels;          // P
  std::uint32_t block_sticks;
  DataType input_dtype;            // bfloat16 or float32
  DataType weights_dtype;          // any float dtype, tiles
  DataType output_dtype;           // bfloat16 or float32
  Layout output_layout;            // ROW_MAJOR: a stick per page; TILE: 32 sticks per tile row
  std::uint32_t weight_tiles;
  std::uint32_t bias_tiles;
  Activation activation;
  bool bfloat16_accumulation;
  Numerics numerics;               // CHIP: the chip's arithmetic (microkernels/dwconv_window_chip.hpp)
  MathFidelity math_fidelity;
  float leaky_slope;               // LEAKY_RELU
};

struct DepthwiseComputeCoreArgs {
  std::uint32_t num_outputs;
};

// Sliced layers: the writer drains the output CB into the DRAM-interleaved output.
struct DepthwiseWriterArgs {
  InterleavedAddressGenerator output;  // pages: sticks of C (ROW_MAJOR) or tiles (TILE)
  std::uint32_t channels;              // P
  std::uint32_t element_size;          // output dtype
  bool tile_output;
  std::uint32_t page_bytes;            // output CB page: a stick of P, or a row of P/32 tiles
  std::uint32_t tiles_per_row;         // TILE: tiles across the output's padded width
};

struct DepthwiseWriterCoreArgs {
  std::uint64_t first_output;
  std::uint32_t num_outputs;
  std::uint32_t channel_shard;
  std::uint32_t channels;  // real channels in the shard
};

KernelCoroutine reader_depthwise(KernelContext& ctx);
KernelCoroutine writer_depthwise(KernelContext& ctx);
KernelCoroutine compute_depthwise(KernelContext& ctx);

}  // namespace shardwise
