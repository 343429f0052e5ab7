#pragma once
// The unpacker: data in a CB -> the 19-bit SrcA / SrcB registers (chip-numerics.md
// section 1). A Src value is held here as float32 bits whose low 13 mantissa bits are
// zero (sign, 8-bit exponent, 10-bit mantissa: TF32). The unpacker truncates, it
// never rounds.
#include <cstdint>
#include <span>

#include "core/data_type.hpp"

namespace shardwise {

inline constexpr std::uint32_t kSrcOne = 0x3F800000u;  // 1.0, the reduce's scalar

// float32 data: TF32 (drop 13 bits) with fp32 Dst, bfloat16 (drop 16 bits) with bf16
// Dst; a zero or denormal becomes a zero of its sign.
constexpr std::uint32_t src_from_float32(std::uint32_t bits, bool fp32_dest_acc) {
  if ((bits & 0x7F800000u) == 0) return bits & 0x80000000u;
  return bits & (fp32_dest_acc ? 0xFFFFE000u : 0xFFFF0000u);
}

// bfloat16 data: exact.
constexpr std::uint32_t src_from_bfloat16(std::uint16_t bits) { return std::uint32_t{bits} << 16; }

// One block-float element (shared exponent, sign + magnitude code with `mantissa_bits`
// magnitude bits, as core/block_float.hpp stores it): exactly its bfloat16 value. A zero
// magnitude with the sign set unpacks as -infinity, as on the chip; a value too small
// for a normal exponent is a zero (the multiplier flushes it anyway).
constexpr std::uint32_t src_from_block_float(std::uint8_t shared_exponent, std::uint8_t code, int mantissa_bits) {
  const std::uint32_t magnitude = code & ((1u << mantissa_bits) - 1u);
  const std::uint32_t sign = (static_cast<std::uint32_t>(code) >> mantissa_bits) & 1u;
  if (magnitude == 0) return sign ? 0xFF800000u : 0u;
  int leading = 0;  // position of the leading one
  while ((magnitude >> (leading + 1)) != 0) ++leading;
  // value = magnitude * 2^(shared - 127 - (mantissa_bits - 1))
  const int exponent = static_cast<int>(shared_exponent) - (mantissa_bits - 1 - leading);
  if (exponent <= 0) return sign << 31;
  const std::uint32_t fraction = (magnitude & ((1u << leading) - 1u)) << (23 - leading);
  return (sign << 31) | (static_cast<std::uint32_t>(exponent) << 23) | fraction;
}

// A whole tile of `dtype` (float32, bfloat16, bfloat8_b or bfloat4_b; tile memory order)
// -> 1024 Src values, as the unpacker would load it.
void unpack_tile_to_src(std::span<const std::uint8_t> tile, DataType dtype, bool fp32_dest_acc, std::span<std::uint32_t> src);

}  // namespace shardwise
