#pragma once
// Depthwise weight and bias preparation (reference section 6). Pure host functions:
// they lay the weights out once, on the host, and never look at a device.
//
// For shard s of S (P = round_up(ceil(C/S), 32) channels each, R = P/16 face rows per
// stick), kernel position k = i_h*kw + i_w, sub-row j < ceil(Cs/16), lane l < 16:
//   a = k*R + j;  f = a/16 (face);  t = f/4 (tile of the shard);  q = f%4 (face in tile)
//   row = (t / (P/32))*32 + (q/2)*16 + a%16
//   col = s*P + (t % (P/32))*32 + (q%2)*16 + l
//   value = W[first_channel(s) + j*16 + l, 0, i_h, i_w]
// into a zero-filled [Hw, S*P] matrix, Hw = round_up(K*R, 32). After tilizing, the
// shard's tiles (tile row r: ids r*S*P/32 + s*P/32 + [0, P/32)) hold the flat vector
// w[k*P + c]: kernel position after kernel position, the order in which the reader
// lays a window's sticks into its CB.
//
// For K <= 32, t < P/32 and the formula is the reference's, bit for bit (only rows
// 0..31 are written). The reference stops there; shardwise continues the flat vector
// into the next tile rows (t / (P/32)), so 7x7, 9x9 or 1x49 kernels need
// ceil(K/32) tile rows per shard. Hw = round_up(K*R, 32) always has room for them.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/data_type.hpp"
#include "tensor/tensor.hpp"

namespace shardwise {

struct DepthwiseWeightLayout {
  DepthwiseWeightLayout() = default;
  std::uint32_t channels = 0;        // C
  std::uint32_t kernel_h = 0;
  std::uint32_t kernel_w = 0;
  std::uint32_t shards = 1;          // S
  std::uint32_t channels_per_shard = 32;  // P
  std::uint32_t rows = 32;                // Hw

  DepthwiseWeightLayout(std::uint32_t channels, std::uint32_t kernel_h, std::uint32_t kernel_w, std::uint32_t shards);
  std::uint32_t kernel_positions() const { return kernel_h * kernel_w; }
  std::uint32_t face_rows_per_stick() const { return channels_per_shard / 16; }  // R
  std::uint32_t tiles_per_tile_row() const { return channels_per_shard / 32; }   // per shard
  std::uint32_t tile_rows_used() const { return (kernel_positions() + 31) / 32; }
  std::uint32_t tiles_per_shard() const { return tiles_per_tile_row() * tile_rows_used(); }
  std::uint32_t width() const { return shards * channels_per_shard; }  // S*P
  std::uint32_t first_channel(std::uint32_t shard) const { return shard * channels_per_shard; }
  std::uint32_t shard_channels(std::uint32_t shard) const;
  // Tile id (in the tilized [Hw, S*P] tensor) of the i-th tile of shard s, i in
  // [0, tiles_per_shard()): what a reader passes to the address generator.
  std::uint32_t tile_id(std::uint32_t shard, std::uint32_t i) const;
};

// The [Hw, S*P] float32 matrix before tilizing. weight: [C, 1, kh, kw], any float dtype.
std::vector<float> depthwise_weight_matrix(const Tensor& weight, std::uint32_t shards);

// Weights ready for DRAM: the matrix tilized as [1, 1, Hw, S*P] with logical shape
// [1, 1, Hw, C], in weights_dtype (bfloat16, float32, bfloat8_b, bfloat4_b; block-float
// dtypes are converted after tilizing).
Tensor prepare_conv_weights(const Tensor& weight, std::uint32_t shards, DataType weights_dtype);

// Bias [C] (or [1, 1, 1, C]) as a [1, 1, 32, S*P] tile tensor: row 0 holds bias[c] in
// column c, everything else zero; in weights_dtype.
Tensor prepare_conv_bias(const Tensor& bias, std::uint32_t channels, std::uint32_t shards, DataType weights_dtype);

// The exact inverse: [C, 1, kh, kw] values (row-major) as the prepared tensor holds
// them, i.e. after its dtype's rounding. What a reference must use to check the
// device's arithmetic on block-float weights.
std::vector<float> unprepare_conv_weights(const Tensor& prepared, const DepthwiseWeightLayout& layout);
std::vector<float> unprepare_conv_bias(const Tensor& prepared, std::uint32_t channels);

// "Row  0: F0[ 1, 1, 1, 1...] F1[ 9, 9, 9, 9...]": the matrix row by row, 16-column
// face by face, first values of each (the seeds' debugging view). Rows past the last
// nonzero row are summarised.
std::string format_weight_rows(const std::vector<float>& matrix, std::uint32_t rows, std::uint32_t width);

}  // namespace shardwise
