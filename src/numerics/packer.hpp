#pragma once
// The packer: Dst -> a CB in the output's dtype (chip-numerics.md section 5). It rounds
// to nearest with ties away from zero (the host's conversions round ties to even), turns
// NaN into infinity and denormal results into +0.
#include <cstdint>
#include <span>

#include "core/data_type.hpp"

namespace shardwise {

// Dst bits (either width: a bf16 Dst value has its low 16 bits zero, so the rounding
// leaves it unchanged) -> bfloat16 bits.
constexpr std::uint16_t pack_to_bfloat16(std::uint32_t dst) {
  const std::uint32_t sign = dst & 0x80000000u;
  const std::uint32_t magnitude = dst & 0x7FFFFFFFu;
  if (magnitude > 0x7F800000u) return static_cast<std::uint16_t>((sign | 0x7F800000u) >> 16);  // NaN -> infinity
  const std::uint32_t rounded = (magnitude + 0x8000u) >> 16;
  if ((rounded & 0x7F80u) == 0) return 0;  // zero or denormal, either sign: +0
  return static_cast<std::uint16_t>((sign >> 16) | rounded);
}

// Dst bits -> float32 bits: unchanged (a bf16 Dst value is a float32 already).
constexpr std::uint32_t pack_to_float32(std::uint32_t dst) { return dst; }

// 16 Dst values of one face row -> one bfloat8_b / bfloat4_b group: each value reduced
// to bfloat16 as above, then to 6 explicit mantissa bits (a second rounding, half-up);
// the shared exponent is the largest; each significand (implicit one + 7 bits) shifted
// right by (shared - own) + 1 with ties away from zero (a shift of 8 or more gives 0,
// 128 saturates to 127); bfloat4_b truncates that magnitude to 3 bits. A zero magnitude
// has no sign. Codes as core/block_float.hpp stores them.
std::uint8_t pack_block_float_group(std::span<const std::uint32_t, 16> dst, DataType dtype, std::span<std::uint8_t, 16> codes);

// A whole tile (1024 Dst values in tile memory order) -> tile_size(dtype) bytes in the
// layout of core/block_float.hpp.
void pack_block_float_tile_from_dst(std::span<const std::uint32_t> dst, DataType dtype, std::span<std::uint8_t> out);

}  // namespace shardwise
