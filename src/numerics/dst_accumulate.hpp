#pragma once
// Accumulating into Dst (chip-numerics.md section 3). Every FPU result (each fidelity
// phase of a multiply, each pair of reduce group sums, a bias add) goes through this
// one step: align the terms and Dst to the largest exponent (each with its own rounding),
// in bf16 Dst round them to the TF32 grid, add exactly, normalise, and in bf16 Dst round
// the sum to 8 significant bits, ties away from zero.
//
// A Dst value is float32 bits (bf16 Dst: the low 16 bits are zero); exponent field 0
// reads as zero. A term is sign, biased exponent and significand, value
// (-1)^sign * significand * 2^(exponent - 150): a 24-bit significand has its leading one
// at bit 23, as Dst's own; a 12-bit multiplier product is placed as product << 13.
#include <bit>
#include <cstdint>

namespace shardwise {

struct DstTerm {
  std::uint32_t sign = 0;         // 0 or 1
  std::int32_t exponent = 0;      // biased; 0 (with significand 0) for a zero term
  std::uint64_t significand = 0;  // up to 32 bits
};

// Dst's new bits after adding `count` terms to `dst` (both Dst widths).
inline std::uint32_t dst_accumulate(const DstTerm* terms, int count, std::uint32_t dst, bool fp32_dest_acc) {
  const std::int32_t dst_exponent = static_cast<std::int32_t>((dst >> 23) & 0xFFu);
  const std::uint32_t dst_sign = dst >> 31;
  std::uint64_t dst_m = dst_exponent == 0 ? 0 : (0x800000u | (dst & 0x7FFFFFu));
  std::int32_t e = dst_exponent;
  for (int i = 0; i < count; ++i) e = terms[i].exponent > e ? terms[i].exponent : e;
  if (e <= 0) return 0;

  // Align Dst: half-up on the magnitude (ties away from zero).
  if (const std::int32_t d = e - dst_exponent; d > 0) dst_m = d >= 31 ? 0 : (dst_m + (std::uint64_t{1} << (d - 1))) >> d;
  if (!fp32_dest_acc) dst_m = (dst_m + 0x1000u) & ~std::uint64_t{0x1FFF};
  std::int64_t sum = dst_sign ? -static_cast<std::int64_t>(dst_m) : static_cast<std::int64_t>(dst_m);
  for (int i = 0; i < count; ++i) {
    // Align a term: half-up on its two's-complement value (a negative tie goes to zero).
    std::uint64_t m = terms[i].significand;
    const std::uint32_t s = terms[i].sign;
    if (const std::int32_t d = e - terms[i].exponent; d > 0) m = d >= 31 ? 0 : (m + (std::uint64_t{1} << (d - 1)) - s) >> d;
    if (!fp32_dest_acc) m = (m + 0x1000u - s) & ~std::uint64_t{0x1FFF};
    sum += s ? -static_cast<std::int64_t>(m) : static_cast<std::int64_t>(m);
  }
  if (sum == 0) return 0;

  const std::uint32_t sign = sum < 0 ? 1u : 0u;
  std::uint64_t m = sign ? static_cast<std::uint64_t>(-sum) : static_cast<std::uint64_t>(sum);
  const int width = std::bit_width(m);
  // Keep 24 significant bits (fp32 Dst) or 8 (bf16 Dst); the dropped bits round half-up
  // on the magnitude. Fewer bits shift left exactly.
  const int kept = fp32_dest_acc ? 24 : 8;
  std::int32_t exponent = e + (width - 24);
  if (width > kept) {
    const int shift = width - kept;
    m = (m + (std::uint64_t{1} << (shift - 1))) >> shift;
    if (m >> kept) {  // rounding carried out: one more bit
      m >>= 1;
      ++exponent;
    }
    m <<= 24 - kept;
  } else {
    m <<= 24 - width;
  }
  if (exponent <= 0) return 0;
  if (exponent >= 255) return (sign << 31) | 0x7F800000u;
  return (sign << 31) | (static_cast<std::uint32_t>(exponent) << 23) | (static_cast<std::uint32_t>(m) & 0x7FFFFFu);
}

}  // namespace shardwise
