#include "core/block_float.hpp"

#include <bit>
#include <cmath>

#include "core/error.hpp"

namespace shardwise {
namespace {

constexpr int kGroupSize = 16;
constexpr int kGroups = kTileElements / kGroupSize;  // 64

int mantissa_bits_of(DataType dtype) {
  if (dtype == DataType::BFLOAT8_B) return 7;
  if (dtype == DataType::BFLOAT4_B) return 3;
  throw InvalidArgument(fmt::format("{} is not a block-float dtype: allowed are bfloat8_b, bfloat4_b", to_string(dtype)));
}

std::uint32_t exponent_field(float value) { return (std::bit_cast<std::uint32_t>(value) >> 23) & 0xFFu; }

// Magnitude of one value aligned to the shared exponent, rounded to `mantissa_bits`.
std::uint32_t encode_magnitude(std::uint32_t bits, std::uint32_t shared_exponent, int mantissa_bits) {
  const std::uint32_t own_exponent = (bits >> 23) & 0xFFu;
  if (own_exponent == 0) return 0;  // zero and subnormals encode as 0
  const std::uint32_t shift = shared_exponent - own_exponent;
  if (shift >= 24) return 0;
  // Alignment drops bits outright: they take no part in the rounding below.
  const std::uint32_t aligned = ((bits & 0x7FFFFFu) | 0x800000u) >> shift;
  const int drop = 24 - mantissa_bits;
  std::uint32_t kept = aligned >> drop;
  const std::uint32_t rest = aligned & ((1u << drop) - 1u);
  const std::uint32_t half = 1u << (drop - 1);
  if (rest > half || (rest == half && (kept & 1u))) ++kept;
  const std::uint32_t max_magnitude = (1u << mantissa_bits) - 1u;
  return kept > max_magnitude ? max_magnitude : kept;  // saturate: the exponent never grows
}

}  // namespace

std::uint8_t encode_block_float_group(std::span<const float> values, int mantissa_bits, std::span<std::uint8_t> codes) {
  std::uint32_t shared = 0;
  for (int i = 0; i < kGroupSize; ++i) {
    const std::uint32_t e = exponent_field(values[i]);
    if (e > shared) shared = e;
  }
  for (int i = 0; i < kGroupSize; ++i) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(values[i]);
    const std::uint32_t magnitude = encode_magnitude(bits, shared, mantissa_bits);
    const std::uint32_t sign = magnitude == 0 ? 0u : (bits >> 31);
    codes[i] = static_cast<std::uint8_t>((sign << mantissa_bits) | magnitude);
  }
  return static_cast<std::uint8_t>(shared);
}

float decode_block_float_value(std::uint8_t shared_exponent, std::uint8_t code, int mantissa_bits) {
  const std::uint32_t magnitude = code & ((1u << mantissa_bits) - 1u);
  if (magnitude == 0) return 0.0f;
  const std::uint32_t sign = (code >> mantissa_bits) & 1u;
  const int leading = std::bit_width(magnitude) - 1;  // position of the leading one
  const int normalise = mantissa_bits - 1 - leading;
  const int exponent = static_cast<int>(shared_exponent) - normalise;
  if (exponent <= 0) {
    // Too small for a normal float32: the value itself, m * 2^(e - 127 - (bits - 1)).
    const float v = std::ldexp(static_cast<float>(magnitude), shared_exponent - 127 - (mantissa_bits - 1));
    return sign ? -v : v;
  }
  const std::uint32_t fraction = (magnitude & ((1u << leading) - 1u)) << (23 - leading);
  return std::bit_cast<float>((sign << 31) | (static_cast<std::uint32_t>(exponent) << 23) | fraction);
}

void pack_block_float_tile(std::span<const float> tile_values, DataType dtype, std::span<std::uint8_t> out) {
  const int bits = mantissa_bits_of(dtype);
  check_arg(tile_values.size() == kTileElements, "a tile holds {} values, got {}", kTileElements, tile_values.size());
  check_arg(out.size() == tile_size(dtype), "a packed {} tile is {} bytes, got a buffer of {}", to_string(dtype),
            tile_size(dtype), out.size());
  std::uint8_t codes[kGroupSize];
  std::uint8_t* mantissas = out.data() + kGroups;
  for (int g = 0; g < kGroups; ++g) {
    out[g] = encode_block_float_group(tile_values.subspan(g * kGroupSize, kGroupSize), bits, codes);
    if (bits == 7) {
      for (int i = 0; i < kGroupSize; ++i) mantissas[g * kGroupSize + i] = codes[i];
    } else {
      for (int i = 0; i < kGroupSize; i += 2)
        mantissas[(g * kGroupSize + i) / 2] = static_cast<std::uint8_t>(codes[i] | (codes[i + 1] << 4));
    }
  }
}

void unpack_block_float_tile(std::span<const std::uint8_t> packed, DataType dtype, std::span<float> tile_values) {
  const int bits = mantissa_bits_of(dtype);
  check_arg(packed.size() == tile_size(dtype), "a packed {} tile is {} bytes, got {}", to_string(dtype),
            tile_size(dtype), packed.size());
  check_arg(tile_values.size() == kTileElements, "a tile holds {} values, got {}", kTileElements, tile_values.size());
  const std::uint8_t* mantissas = packed.data() + kGroups;
  for (int i = 0; i < static_cast<int>(kTileElements); ++i) {
    const std::uint8_t exponent = packed[i / kGroupSize];
    const std::uint8_t code =
        bits == 7 ? mantissas[i] : static_cast<std::uint8_t>((mantissas[i / 2] >> ((i & 1) * 4)) & 0xFu);
    tile_values[i] = decode_block_float_value(exponent, code, bits);
  }
}

}  // namespace shardwise
