#pragma once
// The matrix unit's operations as the depthwise conv uses them (chip-numerics.md
// sections 2 and 4), on Src values (numerics/src_unpack.hpp) into Dst
// (numerics/dst_accumulate.hpp).
//
// The multiplier is 5 bits (SrcA) by 7 bits (SrcB). With s = 1<<10 | the 10-bit mantissa:
//   SrcA: hi = s >> 6 (5 bits),        lo = (s >> 1) & 31 (weight 2^-5; bit 0 unused)
//   SrcB: hi = s >> 4 (7 bits),        lo = (s & 15) << 3 (weight 2^-7)
// Phase 0 = A.hi*B.hi, 1 = A.lo*B.hi, 2 = A.hi*B.lo, 3 = A.lo*B.lo: an exact product of
// at most 12 bits at biased exponent Ea + Eb - 127 (-5 for A.lo, -7 for B.lo). The math
// fidelity runs the first 1..4 phases, each accumulated into Dst and rounded there.
#include <cstdint>

#include "numerics/dst_accumulate.hpp"
#include "numerics/math_fidelity.hpp"

namespace shardwise {

// One phase's partial product: a 12-bit integer, its sign and exponent; `zero` when
// an operand's exponent field is 0 or the product's exponent is <= 0.
struct PartialProduct {
  std::uint32_t product = 0;
  std::uint32_t sign = 0;
  std::int32_t exponent = 0;
  bool zero = true;
};

inline PartialProduct fpu_partial_product(std::uint32_t src_a, std::uint32_t src_b, int phase) {
  const std::int32_t ea = static_cast<std::int32_t>((src_a >> 23) & 0xFFu);
  const std::int32_t eb = static_cast<std::int32_t>((src_b >> 23) & 0xFFu);
  PartialProduct p;
  if (ea == 0 || eb == 0) return p;
  const std::uint32_t sa = 0x400u | ((src_a >> 13) & 0x3FFu);
  const std::uint32_t sb = 0x400u | ((src_b >> 13) & 0x3FFu);
  const bool a_lo = phase & 1, b_lo = phase & 2;
  const std::uint32_t a = a_lo ? (sa >> 1) & 31u : sa >> 6;
  const std::uint32_t b = b_lo ? (sb & 15u) << 3 : sb >> 4;
  p.exponent = ea + eb - 127 - (a_lo ? 5 : 0) - (b_lo ? 7 : 0);
  if (p.exponent <= 0) {
    p.exponent = 0;
    return p;
  }
  p.product = a * b;
  p.sign = ((src_a ^ src_b) >> 31) & 1u;
  p.zero = false;
  return p;
}

// ELWMUL of one element into a zeroed Dst, phase after phase.
inline std::uint32_t fpu_multiply(std::uint32_t src_a, std::uint32_t src_b, ChipMath math) {
  std::uint32_t dst = 0;
  for (int phase = 0; phase < fidelity_phases(math.fidelity); ++phase) {
    const PartialProduct p = fpu_partial_product(src_a, src_b, phase);
    const DstTerm term{p.sign, p.exponent, std::uint64_t{p.product} << 13};
    dst = dst_accumulate(&term, 1, dst, math.fp32_dest_acc);
  }
  return dst;
}

// The sum of one group of up to 8 rows for one phase: each partial product aligned to
// the group's largest exponent on the 12-bit grid (ties away from zero), signed and
// added as an integer. A group of zero rows is a zero term; products that are 0 (a
// phase whose lo half is 0) still set the group's exponent.
inline DstTerm fpu_group_sum(const std::uint32_t* src_a, int rows, std::uint32_t src_b, int phase) {
  PartialProduct p[8];
  if (rows > 8) rows = 8;
  std::int32_t e = 0;
  for (int r = 0; r < rows; ++r) {
    p[r] = fpu_partial_product(src_a[r], src_b, phase);
    if (!p[r].zero && p[r].exponent > e) e = p[r].exponent;
  }
  if (e == 0) return DstTerm{};
  std::int64_t sum = 0;
  for (int r = 0; r < rows; ++r) {
    if (p[r].zero) continue;
    const std::int32_t d = e - p[r].exponent;
    const std::uint32_t aligned = d > 24 ? 0u : ((p[r].product << 1) + (1u << d)) >> (d + 1);
    sum += p[r].sign ? -static_cast<std::int64_t>(aligned) : static_cast<std::int64_t>(aligned);
  }
  const std::uint32_t sign = sum < 0 ? 1u : 0u;
  const std::uint64_t magnitude = static_cast<std::uint64_t>(sign ? -sum : sum);
  return DstTerm{sign, e, magnitude << 13};
}

// The reduce (GAPOOL with SrcB = `scalar`) of the rows of one face, for one column:
// up to 16 rows, rows 0-7 and 8-15 as two groups; per phase the two group sums are
// accumulated into `dst` as two terms.
inline std::uint32_t fpu_reduce_face(const std::uint32_t* src_a, int rows, std::uint32_t scalar, ChipMath math,
                                     std::uint32_t dst) {
  const int first = rows < 8 ? rows : 8;
  for (int phase = 0; phase < fidelity_phases(math.fidelity); ++phase) {
    const DstTerm groups[2] = {fpu_group_sum(src_a, first, scalar, phase),
                               fpu_group_sum(src_a + first, rows - first, scalar, phase)};
    dst = dst_accumulate(groups, 2, dst, math.fp32_dest_acc);
  }
  return dst;
}

// The sum of a column of any number of rows: faces of 16 rows in order into one Dst.
inline std::uint32_t fpu_reduce_rows(const std::uint32_t* src_a, int rows, std::uint32_t scalar, ChipMath math,
                                     std::uint32_t dst) {
  for (int first = 0; first < rows; first += 16)
    dst = fpu_reduce_face(src_a + first, rows - first < 16 ? rows - first : 16, scalar, math, dst);
  return dst;
}

// Element-wise add of a Src value into Dst (no fidelity phases).
inline std::uint32_t fpu_add(std::uint32_t dst, std::uint32_t src, bool fp32_dest_acc) {
  const std::int32_t e = static_cast<std::int32_t>((src >> 23) & 0xFFu);
  const DstTerm term = e == 0 ? DstTerm{} : DstTerm{src >> 31, e, 0x800000u | (src & 0x7FFFFFu)};
  return dst_accumulate(&term, 1, dst, fp32_dest_acc);
}

}  // namespace shardwise
