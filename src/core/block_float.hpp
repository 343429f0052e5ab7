#pragma once
// bfloat8_b / bfloat4_b tile packing (reference section 1).
//
// A tile's 1024 values, taken in tile memory order (face 0 row-major, then faces 1, 2,
// 3), fall into 64 groups of 16 consecutive values: one face row each. Every group
// shares one 8-bit exponent. Packed tile:
//   bytes [0, 64)        the 64 shared exponents, group after group
//   bytes [64, ...)      the mantissas in the same element order:
//                          bfloat8_b: one byte per value, sign in bit 7, 7-bit magnitude
//                          bfloat4_b: one nibble per value, sign in bit 3, 3-bit
//                                     magnitude, even element in the low nibble
#include <cstdint>
#include <span>

#include "core/data_type.hpp"

namespace shardwise {

// Packs 1024 floats in tile memory order into `out` (tile_size(dtype) bytes).
// dtype must be BFLOAT8_B or BFLOAT4_B.
void pack_block_float_tile(std::span<const float> tile_values, DataType dtype, std::span<std::uint8_t> out);

// Inverse of pack_block_float_tile: 1024 floats in tile memory order.
void unpack_block_float_tile(std::span<const std::uint8_t> packed, DataType dtype, std::span<float> tile_values);

// One group of 16 values: writes the shared exponent and 16 sign+magnitude codes
// (magnitude in the low `mantissa_bits` bits, sign just above). Exposed for tests.
std::uint8_t encode_block_float_group(std::span<const float> values, int mantissa_bits, std::span<std::uint8_t> codes);
float decode_block_float_value(std::uint8_t shared_exponent, std::uint8_t code, int mantissa_bits);

}  // namespace shardwise
