#include "numerics/packer.hpp"

#include "core/error.hpp"

namespace shardwise {

std::uint8_t pack_block_float_group(std::span<const std::uint32_t, 16> dst, DataType dtype, std::span<std::uint8_t, 16> codes) {
  check_arg(dtype == DataType::BFLOAT8_B || dtype == DataType::BFLOAT4_B,
            "the packer's block-float formats are bfloat8_b and bfloat4_b, not {}", to_string(dtype));
  std::uint16_t six_bits[16];
  std::uint32_t shared = 0;
  for (int i = 0; i < 16; ++i) {
    const std::uint16_t bf16 = pack_to_bfloat16(dst[i]);
    six_bits[i] = static_cast<std::uint16_t>((bf16 + 1u) & ~1u);
    const std::uint32_t exponent = (six_bits[i] >> 7) & 0xFFu;
    if (exponent > shared) shared = exponent;
  }
  for (int i = 0; i < 16; ++i) {
    const std::uint32_t exponent = (six_bits[i] >> 7) & 0xFFu;
    std::uint32_t magnitude = 0;
    if (exponent != 0) {
      const std::uint32_t significand = 0x80u | (six_bits[i] & 0x7Fu);
      const std::uint32_t shift = shared - exponent;
      magnitude = shift >= 8 ? 0u : (significand + (1u << shift)) >> (shift + 1);
      if (magnitude > 127) magnitude = 127;
    }
    if (dtype == DataType::BFLOAT4_B) magnitude >>= 4;
    const int bits = dtype == DataType::BFLOAT4_B ? 3 : 7;
    const std::uint32_t sign = magnitude == 0 ? 0u : (six_bits[i] >> 15) & 1u;
    codes[i] = static_cast<std::uint8_t>((sign << bits) | magnitude);
  }
  return static_cast<std::uint8_t>(shared);
}

void pack_block_float_tile_from_dst(std::span<const std::uint32_t> dst, DataType dtype, std::span<std::uint8_t> out) {
  check_arg(dst.size() == kTileElements, "a tile holds {} values, got {}", kTileElements, dst.size());
  check_arg(is_block_float(dtype) && out.size() == tile_size(dtype), "a packed {} tile is {} bytes, got {}",
            to_string(dtype), is_block_float(dtype) ? tile_size(dtype) : 0, out.size());
  constexpr std::uint32_t kGroups = kTileElements / 16;
  std::uint8_t codes[16];
  std::uint8_t* mantissas = out.data() + kGroups;
  for (std::uint32_t g = 0; g < kGroups; ++g) {
    out[g] = pack_block_float_group(std::span<const std::uint32_t, 16>(dst.data() + g * 16, 16), dtype, codes);
    for (std::uint32_t i = 0; i < 16; ++i) {
      if (dtype == DataType::BFLOAT8_B)
        mantissas[g * 16 + i] = codes[i];
      else if (i % 2 == 0)
        mantissas[(g * 16 + i) / 2] = static_cast<std::uint8_t>(codes[i] | (codes[i + 1] << 4));
    }
  }
}

}  // namespace shardwise
