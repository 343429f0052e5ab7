#pragma once
// bfloat16: the top 16 bits of an IEEE float32 (reference section 1).
#include <bit>
#include <cstdint>

namespace shardwise {

struct bfloat16 {
  std::uint16_t bits = 0;

  // Round to nearest, ties to even. Finite values from 0x7F7F8000 up become infinity,
  // subnormals round like any value, every NaN becomes the canonical 0x7FC0.
  static bfloat16 from_float(float value) noexcept {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(value);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return bfloat16{0x7FC0};
    const std::uint32_t rounding_bias = 0x7FFFu + ((u >> 16) & 1u);
    return bfloat16{static_cast<std::uint16_t>((u + rounding_bias) >> 16)};
  }

  // Keeps the top 16 bits (NaN payloads that would vanish become the canonical NaN).
  static bfloat16 truncate(float value) noexcept {
    const std::uint32_t u = std::bit_cast<std::uint32_t>(value);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return bfloat16{0x7FC0};
    return bfloat16{static_cast<std::uint16_t>(u >> 16)};
  }

  float to_float() const noexcept { return std::bit_cast<float>(std::uint32_t{bits} << 16); }

  friend bool operator==(bfloat16, bfloat16) = default;
};

// float32 -> nearest bfloat16 -> float32: the value a bfloat16 tensor holds.
inline float round_to_bfloat16(float value) noexcept { return bfloat16::from_float(value).to_float(); }

}  // namespace shardwise
