#pragma once
// Depthwise conv row microkernels for the host preset: one call computes one output
// row (all Wo pixels) for a range of channels, reading the NHWC input in place; the
// two-row kernels (DwRowMicrokernel::two_rows) compute two rows one input row apart.
//
// Layouts (the contract callers keep; the kernels check nothing):
//   input rows  `rows[r]` points at pixel 0, channel c0 of the input row that kernel row
//               `first_row + r` reads; pixels are `in_pixel_stride` elements apart.
//               Padding rows are simply absent (the caller passes the valid rows only);
//               padding columns are skipped per tap for the few edge outputs (no
//               padded copy of the input exists).
//   weights     float32, packed once at preparation as [K][Cpad] then a bias row [Cpad]
//               (Cpad = round_up(C, kPackedChannelAlign), zeros past C); `weights`
//               points at kernel row first_row, channel c0; `bias` at channel c0.
//   output      `out` points at pixel 0, channel c0 of the output row; pixels are
//               `out_pixel_stride` elements apart. With `stream_output`, `out` and
//               every pixel (out_pixel_stride * element size) are 64-byte aligned and c0
//               is a multiple of 32: the kernels then write whole vectors with
//               streaming stores (a last, partial vector with an ordinary masked
//               store), and the caller fences (hwy::FlushStream) before another thread
//               reads the output.
// Channels sit in vector lanes. Two families (see their files for the register tiles):
//   sliding  (dwconv_row_sliding-inl.h) kernel width 3, 5 or 7, stride 1 or 2, dilation
//            1: each input column is loaded once per kernel row and fed to every output
//            pixel whose window holds it; 2 vectors x 7 pixels per tile on AVX-512.
//   generic  (dwconv_row_generic.cpp) any width, stride and dilation: one load per tap.
//   two-row  (dwconv_row_sliding-inl.h, AVX-512, float32 input) the sliding family's
//            widths and strides for two output rows at once: 2 rows x 7 pixels x 1
//            vector, each input column loaded once for both rows' taps.
// All take whole vectors of channels, then one masked vector for the last channels
// (masked loads and stores: nothing past `channels` is read or written).
//
// Arithmetic, the same order in both families and on every target: per channel,
// acc = 0; for each valid kernel row top to bottom, for each kernel column left to right
// whose input column is inside the row: acc = fma(x, w, acc) (taps in padding are
// skipped, not multiplied by zero); then acc + bias, the activation, and the conversion
// to the output dtype (bfloat16: round to nearest even, NaN -> 0x7FC0, as
// core/bfloat16). bfloat16 input is widened to float32 exactly. The SIMD targets give
// the same bits; the portable SCALAR target rounds each product before the add (no FMA
// instruction), so it agrees with them to within that rounding.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/activation.hpp"
#include "core/data_type.hpp"

namespace shardwise {

inline constexpr std::uint32_t kPackedChannelAlign = 64;

// Constant for a whole conv.
struct DwRowShape {
  std::uint32_t kernel_w = 1, dilation_w = 1, stride_w = 1;
  std::uint32_t in_width = 1, pad_left = 0, out_width = 1;
  std::uint64_t in_pixel_stride = 0, out_pixel_stride = 0;  // elements
  std::uint32_t packed_channels = 0;                          // Cpad
  // Elements from the float32 weights to their even/odd copy (pack_even_odd_weights:
  // the AVX-512 kernels' bfloat16 -> bfloat16 tiles read it); 0 when there is none.
  std::uint64_t even_odd_weights = 0;
  // Elements from the float32 weights to their bfloat16 pair copy (the AVX512_BF16
  // kernels, dwconv_row_bf16_pairs.cpp); 0 when there is none.
  std::uint64_t pair_weights = 0;
  // Write the output with streaming (non-temporal) stores: they write whole cache lines
  // without first reading them (no read for ownership), a third less memory traffic
  // for outputs larger than the caches; see the output contract above.
  bool stream_output = false;
};

// One row.
struct DwRowCall {
  const void* const* rows = nullptr;  // num_rows pointers
  std::uint32_t num_rows = 0;
  const float* weights = nullptr;
  const float* bias = nullptr;
  void* out = nullptr;
  std::uint32_t channels = 0;  // c1 - c0
  // Optional: the input rows the next output row reads and this one does not (same
  // form as `rows`); the kernel prefetches them into L2 as it goes.
  const void* const* next_rows = nullptr;
  std::uint32_t num_next_rows = 0;
  // Two-row kernels (DwRowMicrokernel::two_rows) only: `rows` holds num_rows + 1
  // pointers, the second output row reads rows[1..num_rows] with the same kernel rows
  // and is written at out + second_out elements.
  std::uint64_t second_out = 0;
};

using DwRowFn = void (*)(const DwRowShape&, const DwRowCall&);

struct DwRowMicrokernel {
  DwRowFn fn = nullptr;
  std::string name;  // e.g. "dwconv_row_bf16_f32acc_bf16_relu6_k3s2_32c7p_AVX3"
  bool bf16_pairs = false;  // reads the bfloat16 pair weights (DwRowShape::pair_weights)
  DwRowFn two_rows = nullptr;  // two output rows per call, where the target has such kernels
  std::string two_rows_name;   // e.g. "dwconv_2rows_f32_f32acc_f32_relu6_k3s1_16c7p_AVX3"; empty without them
  // The fewest contiguous bytes of a pixel's output one store of the kernel writes (of
  // the two-row kernel: two_row_store_bytes), with the weights as the host program packs
  // them: streaming stores pay only where these are whole 64-byte lines (a line written
  // in parts by streaming stores leaves the core in parts; DwRowShape::stream_output).
  std::uint32_t store_bytes = 0;
  std::uint32_t two_row_store_bytes = 0;
};

// Activations the microkernels fuse (the others run on the TT-faithful kernels).
bool dw_row_supports(Activation activation);

// What a row kernel is specialised on.
struct DwRowKernelKey {
  DataType input = DataType::FLOAT32;
  DataType output = DataType::FLOAT32;
  Activation activation = Activation::NONE;
  std::uint32_t kernel_w = 1, stride_w = 1, dilation_w = 1;
  // The weights also come as bfloat16 row pairs (pack_bf16_pair_weights): bfloat16
  // input on the sliding family then runs on the AVX512_BF16 kernels where the CPU has them.
  bool bf16_pairs = false;
};

// The best kernel for this CPU and key (chosen once per program; pass the result
// around): the sliding-window family for kernel widths 3, 5, 7 at stride 1 or 2 and
// dilation 1, the generic family otherwise. `target` 0 = the best SIMD target the CPU
// supports; otherwise a Highway target bit the CPU supports (tests, benchmarks).
DwRowMicrokernel select_dw_row_microkernel(const DwRowKernelKey& key, std::int64_t target = 0);

// Highway targets compiled in and supported by this CPU, best first (for tests).
std::vector<std::int64_t> dw_row_targets();

// Appends to `out` the even/odd copy of `packed` ([kh*kw][Cpad] float32 weights then
// the [Cpad] bias): in each 32-channel group, the 16 even channels then the 16 odd ones.
// bfloat16 input widens to float32 without a shuffle in that order (a lane of two
// bfloat16 values: the even channel is the lane shifted left 16, the odd one the lane
// with its low half cleared), so the AVX-512 kernels read these weights for bfloat16
// in and out, and pack their results back to channel order with one shift and OR.
void pack_even_odd_weights(std::span<const float> packed, std::uint32_t channels, std::uint32_t packed_channels, std::vector<float>& out);

// Whether this CPU runs the AVX512_BF16 kernels (VDPBF16PS).
bool dw_row_bf16_pairs_supported();

// Whether they are the better choice on this CPU: where VDPBF16PS runs at the FMA rate
// (AMD's Zen 4 and later: two multiply-adds per lane and instruction), not where it
// runs at a fraction of it (Intel's Sapphire Rapids: a quarter). Decided by the CPU's
// vendor, once, so that a machine always takes the same kernels (their sums run in
// another order; dwconv_row_bf16_pairs.cpp). DESIGN.md has the measurements.
bool dw_row_bf16_pairs_preferred();

// Appends to `out` the bfloat16 pair copy of `packed` ([kh*kw][Cpad] float32 weights
// then the [Cpad] bias, as the layouts above) in the AVX512_BF16 kernels' order (see
// dwconv_row_bf16_pairs.cpp); false, appending nothing, if a weight is not finite or
// not exactly a bfloat16 (those kernels multiply bfloat16 weights).
bool pack_bf16_pair_weights(std::span<const float> packed, std::uint32_t kernel_h, std::uint32_t kernel_w, std::uint32_t channels,
                            std::uint32_t packed_channels, std::vector<float>& out);

}  // namespace shardwise
