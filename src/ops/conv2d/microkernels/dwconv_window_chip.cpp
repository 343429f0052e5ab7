// dw_window_chip: the chip's arithmetic (numerics/, chip-numerics.md) for a vector of
// channels at a time, one channel per 32-bit lane, compiled for every SIMD target
// (Highway foreach_target). Each function mirrors the scalar one named in its comment,
// step for step in integer lanes: the same bits (tests/conv2d/test_dwconv_window_chip.cpp).
//
// Lane ranges that keep every step in 32 bits: a Dst significand < 2^24, a multiplier
// term (12-bit product << 13) < 2^25, a group sum term (<= 8 x 2^12) << 13 < 2^29; an
// alignment computes ((m << 1) + 2^d - sign) >> (d + 1) with d clamped to 30, which is 0
// for every such m (the scalar code's "d >= 31: 0"); the signed sum of Dst and two terms
// stays below 2^31.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/conv2d/microkernels/dwconv_window_chip.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include <bit>
#include <cstring>

#include "ops/conv2d/microkernels/dwconv_window_chip.hpp"

HWY_BEFORE_NAMESPACE();
namespace shardwise::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DU = hn::ScalableTag<std::uint32_t>;
using DI = hn::RebindToSigned<DU>;
using DF = hn::RebindToFloat<DU>;
using VU = hn::Vec<DU>;
using VI = hn::Vec<DI>;

// numerics/dst_accumulate.hpp DstTerm: sign 0/1, biased exponent (0 for a zero term), significand.
struct VTerm {
  VU sign;
  VI exponent;
  VU significand;
};

// bit_width(m) for m < 2^31, by the float exponent of pieces small enough to convert exactly.
HWY_INLINE VI bit_width(VU m) {
  const DU du;
  const DI di;
  const DF df;
  const VU high = hn::ShiftRight<12>(m);
  const auto width_of = [&](VU v) {  // v < 2^24: exact in float; 0 -> 0
    const VU bits = hn::BitCast(du, hn::ConvertTo(df, hn::BitCast(di, v)));
    return hn::Max(hn::Sub(hn::BitCast(di, hn::ShiftRight<23>(bits)), hn::Set(di, 126)), hn::Zero(di));
  };
  const auto use_high = hn::RebindMask(di, hn::Ne(high, hn::Zero(du)));
  return hn::IfThenElse(use_high, hn::Add(width_of(high), hn::Set(di, 12)), width_of(m));
}

// x >> count and x << count with per-lane counts.
HWY_INLINE VU shr(VU x, VI count) { return hn::Shr(x, hn::BitCast(DU(), count)); }
HWY_INLINE VU shl(VU x, VI count) { return hn::Shl(x, hn::BitCast(DU(), count)); }

// ((m << 1) + 2^d - bias) >> (d + 1), d = min(e - exponent, 30): the page's alignment,
// half-up on the two's-complement value with bias = sign (terms), on the magnitude with
// bias 0 (Dst).
HWY_INLINE VU align(VU m, VI d, VU bias) {
  const DI di;
  const DU du;
  const VI dd = hn::Min(d, hn::Set(di, 30));
  return shr(hn::Sub(hn::Add(hn::ShiftLeft<1>(m), shl(hn::Set(du, 1u), dd)), bias), hn::Add(dd, hn::Set(di, 1)));
}

// numerics/dst_accumulate.hpp dst_accumulate, for kTerms terms.
template <bool kFp32, int kTerms>
HWY_INLINE VU accumulate(const VTerm* terms, VU dst) {
  const DU du;
  const DI di;
  const VI dst_exponent = hn::BitCast(di, hn::And(hn::ShiftRight<23>(dst), hn::Set(du, 0xFFu)));
  const VU dst_sign = hn::ShiftRight<31>(dst);
  const auto dst_zero = hn::Eq(dst_exponent, hn::Zero(di));
  VU dst_m = hn::IfThenZeroElse(hn::RebindMask(du, dst_zero), hn::Or(hn::And(dst, hn::Set(du, 0x7FFFFFu)), hn::Set(du, 0x800000u)));
  VI e = dst_exponent;
  for (int i = 0; i < kTerms; ++i) e = hn::Max(e, terms[i].exponent);

  dst_m = align(dst_m, hn::Sub(e, dst_exponent), hn::Zero(du));
  if constexpr (!kFp32) dst_m = hn::And(hn::Add(dst_m, hn::Set(du, 0x1000u)), hn::Set(du, ~0x1FFFu));
  VI sum = hn::BitCast(di, dst_m);
  sum = hn::IfThenElse(hn::RebindMask(di, hn::Eq(dst_sign, hn::Zero(du))), sum, hn::Neg(sum));
  for (int i = 0; i < kTerms; ++i) {
    VU m = align(terms[i].significand, hn::Sub(e, terms[i].exponent), terms[i].sign);
    if constexpr (!kFp32) m = hn::And(hn::Sub(hn::Add(m, hn::Set(du, 0x1000u)), terms[i].sign), hn::Set(du, ~0x1FFFu));
    const VI mi = hn::BitCast(di, m);
    sum = hn::Add(sum, hn::IfThenElse(hn::RebindMask(di, hn::Eq(terms[i].sign, hn::Zero(du))), mi, hn::Neg(mi)));
  }

  const auto negative = hn::Lt(sum, hn::Zero(di));
  const VU magnitude = hn::BitCast(du, hn::Abs(sum));
  const VI width = bit_width(magnitude);
  constexpr int kKept = kFp32 ? 24 : 8;
  // Dropped bits round half-up on the magnitude; fewer bits than kept shift left exactly.
  const VI drop = hn::Max(hn::Sub(width, hn::Set(di, kKept)), hn::Zero(di));
  const VU half = hn::ShiftRight<1>(shl(hn::Set(du, 1u), drop));
  VU m = shr(hn::Add(magnitude, half), drop);
  const VU carry = hn::ShiftRight<kKept>(m);  // rounding carried out: one more bit
  m = hn::Shr(m, carry);
  m = shl(m, hn::Sub(hn::Set(di, 24), hn::Min(width, hn::Set(di, kKept))));
  const VI exponent = hn::Add(hn::Add(e, hn::Sub(width, hn::Set(di, 24))), hn::BitCast(di, carry));

  const VU sign_bit = hn::IfThenElseZero(hn::RebindMask(du, negative), hn::Set(du, 0x80000000u));
  VU bits = hn::Or(sign_bit, hn::Or(hn::ShiftLeft<23>(hn::BitCast(du, exponent)), hn::And(m, hn::Set(du, 0x7FFFFFu))));
  bits = hn::IfThenElse(hn::RebindMask(du, hn::Gt(exponent, hn::Set(di, 254))), hn::Or(sign_bit, hn::Set(du, 0x7F800000u)), bits);
  const auto zero = hn::Or(hn::Or(hn::Lt(e, hn::Set(di, 1)), hn::Eq(sum, hn::Zero(di))), hn::Lt(exponent, hn::Set(di, 1)));
  return hn::IfThenZeroElse(hn::RebindMask(du, zero), bits);
}

// numerics/fpu.hpp fpu_partial_product: the 12-bit product (not yet shifted), its sign
// and exponent; zero lanes have product 0 and exponent 0.
template <int kPhase>
HWY_INLINE VTerm partial_product(VU a, VU b) {
  const DU du;
  const DI di;
  const VI ea = hn::BitCast(di, hn::And(hn::ShiftRight<23>(a), hn::Set(du, 0xFFu)));
  const VI eb = hn::BitCast(di, hn::And(hn::ShiftRight<23>(b), hn::Set(du, 0xFFu)));
  const VU sa = hn::Or(hn::And(hn::ShiftRight<13>(a), hn::Set(du, 0x3FFu)), hn::Set(du, 0x400u));
  const VU sb = hn::Or(hn::And(hn::ShiftRight<13>(b), hn::Set(du, 0x3FFu)), hn::Set(du, 0x400u));
  constexpr bool kALo = kPhase & 1, kBLo = kPhase & 2;
  const VU pa = kALo ? hn::And(hn::ShiftRight<1>(sa), hn::Set(du, 31u)) : hn::ShiftRight<6>(sa);
  const VU pb = kBLo ? hn::ShiftLeft<3>(hn::And(sb, hn::Set(du, 15u))) : hn::ShiftRight<4>(sb);
  const VI exponent = hn::Sub(hn::Add(ea, eb), hn::Set(di, 127 + (kALo ? 5 : 0) + (kBLo ? 7 : 0)));
  const auto zero = hn::Or(hn::Or(hn::Eq(ea, hn::Zero(di)), hn::Eq(eb, hn::Zero(di))), hn::Lt(exponent, hn::Set(di, 1)));
  return VTerm{hn::ShiftRight<31>(hn::Xor(a, b)), hn::IfThenZeroElse(zero, exponent),
               hn::IfThenZeroElse(hn::RebindMask(du, zero), pa * pb)};
}

// numerics/fpu.hpp fpu_multiply (phases 0..kPhases-1 into a zeroed Dst).
template <bool kFp32, int kPhases>
HWY_INLINE VU multiply(VU a, VU b) {
  VU dst = hn::Zero(DU());
  const auto phase = [&](auto p) {
    VTerm t = partial_product<decltype(p)::value>(a, b);
    t.significand = hn::ShiftLeft<13>(t.significand);
    dst = accumulate<kFp32, 1>(&t, dst);
  };
  phase(std::integral_constant<int, 0>());
  if constexpr (kPhases > 1) phase(std::integral_constant<int, 1>());
  if constexpr (kPhases > 2) phase(std::integral_constant<int, 2>());
  if constexpr (kPhases > 3) phase(std::integral_constant<int, 3>());
  return dst;
}

// Which lanes of a window's float products are exact, tracked per lane on each value
// doubled (the sign shifted out, the exponent field on top): the smallest of
// (2 * bits - 1), where a zero wraps to the largest value, and the largest 2 * bits.
struct ExactRange {
  VU lowest, highest;  // start at all ones and zero
};

// The last fidelity phase's exponent offset.
constexpr std::uint32_t last_phase_offset(int phases) { return phases == 4 ? 12 : phases == 3 ? 7 : phases == 2 ? 5 : 0; }

HWY_INLINE void track(ExactRange& range, VU bits) {
  const DU du;
  const VU doubled = hn::ShiftLeft<1>(bits);
  range.lowest = hn::Min(range.lowest, hn::Sub(doubled, hn::Set(du, 1u)));
  range.highest = hn::Max(range.highest, doubled);
}

// Every tracked value exact in every lane: zero, or an exponent field in [kLowestField, 253].
template <std::uint32_t kLowestField>
HWY_INLINE bool window_exact(const ExactRange& range) {
  const DU du;
  const auto low_ok = hn::Gt(range.lowest, hn::Set(du, (kLowestField << 24) - 2));
  const auto high_ok = hn::Lt(range.highest, hn::Set(du, 254u << 24));
  return hn::AllTrue(du, hn::And(low_ok, high_ok));
}

// multiply() with fp32 Dst where it needs no Dst arithmetic: with both exponent fields
// in [1, 254] and every phase's exponent in [1, 253], each phase's term lands in Dst
// exactly (a product of at most 10 x 11 significant bits, aligned by at most 13 places
// that hold zeros), so the result is the float value of the phases' partial products:
// LoFi A5*B7, HiFi2 A10*B7, HiFi3 A10*B7 + A5*(B - B7), HiFi4 A10*B (An, Bn: the operand
// cut to n significant bits). The weight's cut comes precomputed (ChipWeightTable).
// Whether a lane is exact is read off the float product: its exponent field is e0 or
// e0 + 1 (e0 = Ea + Eb - 127), so one in [lowest + 2, 253] proves the range (lowest:
// the last phase's exponent offset); a product of 0 is the chip's 0 too (a zero
// operand, a zero weight, or every phase below exponent 1), here possibly -0, which
// the reduce reads as +0 (a zero exponent field). Infinity and NaN products fall
// outside the range. The check runs once per window (ExactRange).
template <int kPhases, bool kBf16In>
HWY_INLINE VU multiply_fp32_table(VU a, const std::uint32_t* table, std::size_t count, std::size_t i, ExactRange& range) {
  const DU du;
  const DF df;
  const auto b = hn::BitCast(df, hn::LoadU(du, table + i));
  // A bfloat16 activation has 8 significant bits: the 10-bit cut leaves it as it is.
  const VU a_cut = kPhases == 1 ? hn::And(a, hn::Set(du, 0xFFF80000u)) : kBf16In ? a : hn::And(a, hn::Set(du, 0xFFFFC000u));
  auto product = hn::Mul(hn::BitCast(df, a_cut), b);
  if constexpr (kPhases == 3)
    product = hn::Add(product, hn::Mul(hn::BitCast(df, hn::And(a, hn::Set(du, 0xFFF80000u))),
                                       hn::BitCast(df, hn::LoadU(du, table + count + i))));
  const VU bits = hn::BitCast(du, product);
  track(range, bits);
  return bits;
}

// multiply() with bf16 Dst through float, phase by phase. The phases' products are
// A5*B7, (A10 - A5)*B7, A5*(B11 - B7), (A10 - A5)*(B11 - B7) (An, Bn: cut to n
// significant bits; all exact floats), all of the product's sign. Phase 0 lands in a
// zeroed Dst: its 12-bit product rounded to 8 bits, half-up on the magnitude (the
// bfloat16 rounding ties away from zero). Every later phase's exponent is at least 5
// below Dst's (Dst holds at least A5*B7), so Dst needs no alignment and the term aligns
// by at most 13 places that hold zeros; the term is then rounded to the TF32 grid at
// Dst's exponent (step g = 2^(Ed - 137)), half-up on its signed value: g *
// floor(T / g + 1/2), exact in float (T / g has at most 11 integer and 12 fraction
// bits); Dst plus the rounded term is exact (12 bits on g's grid), and its rounding to 8
// bits is bfloat16's ties away from zero again. That holds while every phase's
// exponent is in [1, 253] and g and 1/g are normal floats, which a final Dst with an
// exponent field in [max(lowest + 3, 13), 253] proves (Dst's exponent is e0, e0 + 1 or,
// rounded up, e0 + 2; lowest: the last phase's offset); a zero Dst is a zero operand's
// product (a zero weight has both planes 0). The check is ExactRange's, over the window.
template <int kPhases, bool kBf16In>
HWY_INLINE VU multiply_bf16_table(VU a, const std::uint32_t* table, std::size_t count, std::size_t i, ExactRange& range) {
  const DU du;
  const DF df;
  const auto round8 = [&](auto v) {  // to 8 significant bits, ties away from zero
    return hn::BitCast(df, hn::And(hn::Add(hn::BitCast(du, v), hn::Set(du, 0x8000u)), hn::Set(du, 0xFFFF0000u)));
  };
  const auto a5 = hn::BitCast(df, hn::And(a, hn::Set(du, 0xFFF80000u)));
  const auto b7 = hn::BitCast(df, hn::LoadU(du, table + i));
  auto dst = round8(hn::Mul(a5, b7));
  const auto add_phase = [&](auto term) {
    const VU dst_exponent = hn::And(hn::BitCast(du, dst), hn::Set(du, 0x7F800000u));
    const auto g = hn::BitCast(df, hn::Sub(dst_exponent, hn::Set(du, 10u << 23)));
    const auto inverse_g = hn::BitCast(df, hn::Sub(hn::Set(du, 264u << 23), dst_exponent));
    const auto rounded = hn::Floor(hn::MulAdd(term, inverse_g, hn::Set(df, 0.5f)));
    dst = round8(hn::MulAdd(rounded, g, dst));
  };
  if constexpr (kPhases > 1) {
    const auto a_lo = hn::Sub(hn::BitCast(df, hn::And(a, hn::Set(du, 0xFFFFC000u))), a5);
    add_phase(hn::Mul(a_lo, b7));
    if constexpr (kPhases > 2) {
      const auto b_lo = hn::BitCast(df, hn::LoadU(du, table + count + i));
      add_phase(hn::Mul(a5, b_lo));
      if constexpr (kPhases > 3) add_phase(hn::Mul(a_lo, b_lo));
    }
  }
  const VU bits = hn::BitCast(du, dst);
  track(range, bits);
  return bits;
}

// The reduce with SrcB = 1.0 (B.hi = 64, B.lo = 0): phase 0 multiplies A.hi by 64 at
// A's exponent, phase 1 A.lo by 64 at A's exponent - 5 (a zero term from exponent 5
// down), phases 2 and 3 multiply by 0 at A's exponent - 7 and - 12. So one row's two
// products and one alignment distance serve both phases with work, and the zero phases
// only need their group exponents.
struct ReduceRow {
  VU hi, lo;    // A.hi * 64, A.lo * 64 (0 where the phase's term is zero)
  VI exponent;  // A's exponent field (0 for a zero row)
  VU sign;
};

HWY_INLINE ReduceRow reduce_row(VU a) {
  const DU du;
  const DI di;
  const VI ea = hn::BitCast(di, hn::And(hn::ShiftRight<23>(a), hn::Set(du, 0xFFu)));
  const auto zero = hn::RebindMask(du, hn::Eq(ea, hn::Zero(di)));
  const auto lo_zero = hn::RebindMask(du, hn::Lt(ea, hn::Set(di, 6)));
  const VU sa = hn::Or(hn::And(hn::ShiftRight<13>(a), hn::Set(du, 0x3FFu)), hn::Set(du, 0x400u));
  return ReduceRow{hn::IfThenZeroElse(zero, hn::ShiftLeft<6>(hn::ShiftRight<6>(sa))),
                   hn::IfThenZeroElse(lo_zero, hn::ShiftLeft<6>(hn::And(hn::ShiftRight<1>(sa), hn::Set(du, 31u)))), ea,
                   hn::ShiftRight<31>(a)};
}

// A group exponent minus a phase's offset; 0 (a zero term) when that is not positive.
HWY_INLINE VI phase_exponent(VI group_exponent, int offset) {
  const DI di;
  const VI e = hn::Sub(group_exponent, hn::Set(di, offset));
  return hn::IfThenElseZero(hn::Gt(e, hn::Zero(di)), e);
}

HWY_INLINE VTerm term_of_sum(VI sum, VI exponent) {
  const DU du;
  const DI di;
  return VTerm{hn::IfThenElseZero(hn::RebindMask(du, hn::Lt(sum, hn::Zero(di))), hn::Set(du, 1u)), exponent,
               hn::ShiftLeft<13>(hn::BitCast(du, hn::Abs(sum)))};
}

// numerics/fpu.hpp fpu_group_sum with SrcB = 1.0 for `rows` (0..8) rows: the terms of
// phases 0 and 1 (each product aligned to the group's largest exponent on the 12-bit
// grid, ties away from zero, signed and summed) and the group's exponent field.
struct GroupTerms {
  VTerm phase0, phase1;
  VI exponent;
};

HWY_INLINE GroupTerms group_sums(const ReduceRow* row, int rows) {
  const DU du;
  const DI di;
  VI e = hn::Zero(di);
  for (int r = 0; r < rows; ++r) e = hn::Max(e, row[r].exponent);
  VI sum0 = hn::Zero(di), sum1 = hn::Zero(di);
  for (int r = 0; r < rows; ++r) {
    // The distance to the group's exponent is the same in both phases (a row whose
    // phase-1 term is zero has lo = 0 and adds 0 at any distance).
    const VI d = hn::Sub(e, row[r].exponent);
    const auto positive = hn::RebindMask(di, hn::Eq(row[r].sign, hn::Zero(du)));
    const VI a0 = hn::BitCast(di, align(row[r].hi, d, hn::Zero(du)));
    const VI a1 = hn::BitCast(di, align(row[r].lo, d, hn::Zero(du)));
    sum0 = hn::Add(sum0, hn::IfThenElse(positive, a0, hn::Neg(a0)));
    sum1 = hn::Add(sum1, hn::IfThenElse(positive, a1, hn::Neg(a1)));
  }
  return GroupTerms{term_of_sum(sum0, e), term_of_sum(sum1, phase_exponent(e, 5)), e};
}

// group_sums through float. With SrcB = 1.0 a row's phase-0 product is A5 (the row cut
// to 5 significant bits) and its phase-1 product A10 - A5 (the next 5 bits), both on the
// 12-bit grid of the row's own exponent; aligning one to the group's largest exponent e
// keeps round_half_up(|x|) with x = A5 * 2^(137 - e), or (A10 - A5) * 2^(142 - e), the
// product as a multiple of the grid step at e (exact: a power-of-two scale). In float,
// x + copysign(0.5, x) truncated toward zero is sign(x) * floor(|x| + 0.5): exact where
// the distance is at most 19 (|x| has at most 11 integer and 13 fraction bits), and 0
// beyond, where |x| < 2^-9 and the sum cannot round up to 1. The integer sums of at most
// 8 such values are the page's group sums. Lanes where the scales leave float's normal
// range (e outside [15, 250]) or a row's phase-1 term is zero by its exponent (1..5)
// are left to group_sums: returns false if any lane has one.
HWY_INLINE bool group_sums_float(const std::uint32_t* products, std::size_t N, int rows, GroupTerms& out) {
  const DU du;
  const DI di;
  const DF df;
  const auto row = [&](int r) { return hn::LoadU(du, products + static_cast<std::size_t>(r) * N); };
  VI e = hn::Zero(di);
  VU lowest = hn::Set(du, ~0u);  // min over rows of (exponent - 1), a zero row wrapping to 2^32 - 1
  for (int r = 0; r < rows; ++r) {
    const VU exponent = hn::And(hn::ShiftRight<23>(row(r)), hn::Set(du, 0xFFu));
    e = hn::Max(e, hn::BitCast(di, exponent));
    lowest = hn::Min(lowest, hn::Sub(exponent, hn::Set(du, 1u)));
  }
  const auto in_range = hn::Or(hn::Eq(e, hn::Zero(di)), hn::And(hn::Gt(e, hn::Set(di, 14)), hn::Lt(e, hn::Set(di, 251))));
  const VI lowest_signed = hn::BitCast(di, lowest);  // -1: every row zero
  const auto rows_ok = hn::Or(hn::Gt(lowest_signed, hn::Set(di, 4)), hn::Eq(lowest_signed, hn::Set(di, -1)));
  if (!hn::AllTrue(di, hn::And(in_range, rows_ok))) return false;
  // 2^(137 - e) and 2^(142 - e) as floats (1.0 for an all-zero group, whose sums are 0).
  const auto zero_group = hn::RebindMask(du, hn::Eq(e, hn::Zero(di)));
  const auto scale0 = hn::BitCast(df, hn::IfThenElse(zero_group, hn::Set(du, 0x3F800000u), hn::ShiftLeft<23>(hn::BitCast(du, hn::Sub(hn::Set(di, 264), e)))));
  const auto scale1 = hn::BitCast(df, hn::IfThenElse(zero_group, hn::Set(du, 0x3F800000u), hn::ShiftLeft<23>(hn::BitCast(du, hn::Sub(hn::Set(di, 269), e)))));
  // The rounded terms are integers below 2^12 in magnitude: their float sums are exact.
  auto sum0 = hn::Zero(df), sum1 = hn::Zero(df);
  for (int r = 0; r < rows; ++r) {
    const auto half = hn::BitCast(df, hn::Or(hn::And(row(r), hn::Set(du, 0x80000000u)), hn::Set(du, 0x3F000000u)));  // +-0.5
    const auto a5 = hn::BitCast(df, hn::And(row(r), hn::Set(du, 0xFFF80000u)));
    const auto a10 = hn::BitCast(df, hn::And(row(r), hn::Set(du, 0xFFFFC000u)));
    sum0 = hn::Add(sum0, hn::Trunc(hn::MulAdd(a5, scale0, half)));
    sum1 = hn::Add(sum1, hn::Trunc(hn::MulAdd(hn::Sub(a10, a5), scale1, half)));
  }
  out = GroupTerms{term_of_sum(hn::ConvertTo(di, sum0), e), term_of_sum(hn::ConvertTo(di, sum1), phase_exponent(e, 5)), e};
  return true;
}

// A phase whose products are all 0 (2 and 3): its two group terms are zeros that still
// set the alignment exponent. They change Dst only where Dst is not zero and a group
// exponent exceeds Dst's (Dst is then rounded to the coarser grid); elsewhere the
// accumulation returns Dst unchanged, so it runs only when some lane needs it.
template <bool kFp32>
HWY_INLINE VU zero_phase(const GroupTerms& lower, const GroupTerms& upper, int offset, VU dst) {
  const DU du;
  const DI di;
  const VTerm zeros[2] = {VTerm{hn::Zero(du), phase_exponent(lower.exponent, offset), hn::Zero(du)},
                          VTerm{hn::Zero(du), phase_exponent(upper.exponent, offset), hn::Zero(du)}};
  const VI dst_exponent = hn::BitCast(di, hn::And(hn::ShiftRight<23>(dst), hn::Set(du, 0xFFu)));
  const auto changes = hn::And(hn::Gt(dst_exponent, hn::Zero(di)),
                               hn::Gt(hn::Max(zeros[0].exponent, zeros[1].exponent), dst_exponent));
  if (HWY_LIKELY(hn::AllFalse(di, changes))) return dst;
  return accumulate<kFp32, 2>(zeros, dst);
}

// numerics/fpu.hpp fpu_reduce_rows with SrcB = 1.0: faces of 16 rows, two groups of 8,
// the phases of each face in order. For kVecs vectors of channels at once, vector v's
// products at products + v * K * N: each face's accumulations are one long dependent
// chain per vector (a Dst value through 2-4 alignments and roundings), and two
// independent chains side by side let the CPU overlap them (K = 49: 4-8 % faster than
// one vector at a time, bench_microkernels ChipWindow; DESIGN.md).
template <bool kFp32, int kPhases, std::size_t kVecs>
HWY_INLINE void reduce(const std::uint32_t* products, int K, std::size_t N, VU (&dst)[kVecs]) {
  const DU du;
  for (std::size_t v = 0; v < kVecs; ++v) dst[v] = hn::Zero(du);
  for (int first = 0; first < K; first += 16) {
    const int rows = K - first < 16 ? K - first : 16;
    const int lower_rows = rows < 8 ? rows : 8;
    GroupTerms lower[kVecs], upper[kVecs];
    for (std::size_t v = 0; v < kVecs; ++v) {
      // The rows are read from `products` where they are needed: a local copy of the
      // face (rows is not a constant) compiled to a `rep movsq` that took 5 % of the
      // window's time.
      const std::uint32_t* face_products = products + (v * static_cast<std::size_t>(K) + static_cast<std::size_t>(first)) * N;
      if (!group_sums_float(face_products, N, lower_rows, lower[v]) ||
          !group_sums_float(face_products + static_cast<std::size_t>(lower_rows) * N, N, rows - lower_rows, upper[v])) {
        ReduceRow face[16];
        for (int r = 0; r < rows; ++r) face[r] = reduce_row(hn::LoadU(du, face_products + static_cast<std::size_t>(r) * N));
        lower[v] = group_sums(face, lower_rows);
        upper[v] = group_sums(face + lower_rows, rows - lower_rows);
      }
    }
    for (std::size_t v = 0; v < kVecs; ++v) {
      const VTerm phase0[2] = {lower[v].phase0, upper[v].phase0};
      dst[v] = accumulate<kFp32, 2>(phase0, dst[v]);
    }
    if constexpr (kPhases > 1) {
      for (std::size_t v = 0; v < kVecs; ++v) {
        const VTerm phase1[2] = {lower[v].phase1, upper[v].phase1};
        dst[v] = accumulate<kFp32, 2>(phase1, dst[v]);
      }
    }
    if constexpr (kPhases > 2)
      for (std::size_t v = 0; v < kVecs; ++v) dst[v] = zero_phase<kFp32>(lower[v], upper[v], 7, dst[v]);
    if constexpr (kPhases > 3)
      for (std::size_t v = 0; v < kVecs; ++v) dst[v] = zero_phase<kFp32>(lower[v], upper[v], 12, dst[v]);
  }
}

// numerics/packer.hpp pack_to_bfloat16, as float32 bits (low half zero).
HWY_INLINE VU pack_bfloat16_bits(VU dst) {
  const DU du;
  const VU sign = hn::And(dst, hn::Set(du, 0x80000000u));
  const VU magnitude = hn::And(dst, hn::Set(du, 0x7FFFFFFFu));
  VU rounded = hn::And(hn::Add(magnitude, hn::Set(du, 0x8000u)), hn::Set(du, 0xFFFF0000u));
  rounded = hn::IfThenElse(hn::Gt(magnitude, hn::Set(du, 0x7F800000u)), hn::Set(du, 0x7F800000u), rounded);  // NaN -> infinity
  const auto tiny = hn::Eq(hn::And(rounded, hn::Set(du, 0x7F800000u)), hn::Zero(du));
  return hn::IfThenZeroElse(tiny, hn::Or(sign, rounded));
}

// numerics/src_unpack.hpp src_from_float32.
template <bool kFp32>
HWY_INLINE VU src_from_float32(VU bits) {
  const DU du;
  const auto tiny = hn::Eq(hn::And(bits, hn::Set(du, 0x7F800000u)), hn::Zero(du));
  return hn::IfThenElse(tiny, hn::And(bits, hn::Set(du, 0x80000000u)), hn::And(bits, hn::Set(du, kFp32 ? 0xFFFFE000u : 0xFFFF0000u)));
}

// A bfloat16 activation as SrcA bits; one with a zero exponent field as 0 (its mantissa
// bits may not be zero: the float shortcuts would read a subnormal, the page a zero).
HWY_INLINE VU load_activation(const std::uint16_t* x, std::size_t i) {
  const DU du;
  const VU a = hn::ShiftLeft<16>(hn::PromoteTo(du, hn::LoadU(hn::Rebind<std::uint16_t, DU>(), x + i)));
  return hn::IfThenZeroElse(hn::Eq(hn::And(a, hn::Set(du, 0x7F800000u)), hn::Zero(du)), a);
}

// Steps 1-6 of dwconv_window_chip.hpp for channels [c, c + N).
template <bool kBf16In, bool kFp32>
HWY_INLINE VU load_src(const void* window, std::size_t i) {
  if constexpr (kBf16In) return load_activation(static_cast<const std::uint16_t*>(window), i);
  const DU du;
  return src_from_float32<kFp32>(hn::BitCast(du, hn::LoadU(DF(), static_cast<const float*>(window) + i)));
}

// Steps 1-2 for window position k: the product in Dst, packed in the activation dtype
// and unpacked into SrcA again.
template <bool kFp32, int kPhases, bool kBf16In>
HWY_INLINE void product_generic(const void* window, const std::uint32_t* w, std::size_t i, std::uint32_t* product) {
  const DU du;
  const VU dst = multiply<kFp32, kPhases>(load_src<kBf16In, kFp32>(window, i), hn::LoadU(du, w + i));
  hn::StoreU(kBf16In ? pack_bfloat16_bits(dst) : src_from_float32<kFp32>(dst), du, product);
}

// Steps 1-2 for every window position of channels [c, c + N): the products, packed and
// unpacked into SrcA, at products + k * N.
template <bool kFp32, int kPhases, bool kBf16In>
HWY_INLINE void window_products(const void* window, const std::uint32_t* w, const ChipWeightTable& table, std::uint32_t K,
                                std::uint32_t P, std::size_t c, std::uint32_t* products) {
  const DU du;
  const std::size_t N = hn::Lanes(du);
  if constexpr (kFp32) {
    // Every product through the float path; if any lane of any product was outside its
    // exact range, all products of these lanes again through the page's phases.
    ExactRange range{hn::Set(du, ~0u), hn::Zero(du)};
    for (std::uint32_t k = 0; k < K; ++k) {
      const std::size_t i = std::size_t{k} * P + c;
      const VU dst = multiply_fp32_table<kPhases, kBf16In>(load_src<kBf16In, kFp32>(window, i), table.planes.data(), table.count, i, range);
      // The packer on a normal number or a zero: ties away from zero to bfloat16, or float32 truncated into SrcA.
      const VU packed = kBf16In ? hn::And(hn::Add(dst, hn::Set(du, 0x8000u)), hn::Set(du, 0xFFFF0000u))
                                : hn::And(dst, hn::Set(du, 0xFFFFE000u));
      hn::StoreU(packed, du, products + std::size_t{k} * N);
    }
    if (HWY_UNLIKELY(!window_exact<last_phase_offset(kPhases) + 2>(range)))
      for (std::uint32_t k = 0; k < K; ++k)
        product_generic<kFp32, kPhases, kBf16In>(window, w, std::size_t{k} * P + c, products + std::size_t{k} * N);
  } else {
    // The same with bf16 Dst: Dst's values are bfloat16 already, so packing them to the
    // activation dtype (bfloat16, or float32 truncated into SrcA) keeps them.
    ExactRange range{hn::Set(du, ~0u), hn::Zero(du)};
    for (std::uint32_t k = 0; k < K; ++k) {
      const std::size_t i = std::size_t{k} * P + c;
      const VU dst = multiply_bf16_table<kPhases, kBf16In>(load_src<kBf16In, kFp32>(window, i), table.planes.data(), table.count, i, range);
      hn::StoreU(dst, du, products + std::size_t{k} * N);
    }
    if (HWY_UNLIKELY(!window_exact<(last_phase_offset(kPhases) + 3 > 13 ? last_phase_offset(kPhases) + 3 : 13)>(range)))
      for (std::uint32_t k = 0; k < K; ++k)
        product_generic<kFp32, kPhases, kBf16In>(window, w, std::size_t{k} * P + c, products + std::size_t{k} * N);
  }
}

// Steps 3-6 for channels [c, c + N) from their reduced Dst. The activation (0 none,
// 1 relu, 2 relu6) and the output dtype are the same for every vector of a call:
// run-time branches outside the per-element work.
template <bool kFp32>
HWY_INLINE void window_epilogue(VU dst, const std::uint32_t* bias, int act, bool bf16_out, std::size_t c, float* out) {
  const DU du;
  const DI di;
  if (bias) {  // numerics/fpu.hpp fpu_add
    const VU b = hn::LoadU(du, bias + c);
    const VI eb = hn::BitCast(di, hn::And(hn::ShiftRight<23>(b), hn::Set(du, 0xFFu)));
    const auto b_zero = hn::RebindMask(du, hn::Eq(eb, hn::Zero(di)));
    const VTerm t{hn::ShiftRight<31>(b), eb,
                  hn::IfThenZeroElse(b_zero, hn::Or(hn::And(b, hn::Set(du, 0x7FFFFFu)), hn::Set(du, 0x800000u)))};
    dst = accumulate<kFp32, 1>(&t, dst);
  }
  if (act != 0) {  // relu, relu6 (a Dst value is never NaN or -0)
    dst = hn::IfThenZeroElse(hn::RebindMask(du, hn::Lt(hn::BitCast(di, dst), hn::Zero(di))), dst);
    if (act == 2) dst = hn::BitCast(du, hn::Min(hn::BitCast(di, dst), hn::Set(di, 0x40C00000)));  // positive floats order as integers
  }
  if (bf16_out) dst = pack_bfloat16_bits(dst);
  hn::StoreU(hn::BitCast(DF(), dst), DF(), out + c);
}

// Steps 1-6 for channels [c, c + kVecs * N): the products of each vector of channels,
// then their reductions side by side.
template <bool kFp32, int kPhases, bool kBf16In, std::size_t kVecs>
HWY_INLINE void window_lanes(const void* window, const std::uint32_t* w, const std::uint32_t* bias, const ChipWeightTable& table,
                             int act, bool bf16_out, std::uint32_t K, std::uint32_t P, std::size_t c, std::uint32_t* products,
                             float* out) {
  const std::size_t N = hn::Lanes(DU());
  for (std::size_t v = 0; v < kVecs; ++v)
    window_products<kFp32, kPhases, kBf16In>(window, w, table, K, P, c + v * N, products + v * K * N);
  VU dst[kVecs];
  reduce<kFp32, kPhases, kVecs>(products, static_cast<int>(K), N, dst);
  for (std::size_t v = 0; v < kVecs; ++v) window_epilogue<kFp32>(dst[v], bias, act, bf16_out, c + v * N, out);
}

template <bool kFp32, int kPhases, bool kBf16In>
void WindowTyped(const void* window, const std::uint32_t* w, const std::uint32_t* bias, const ChipWindowShape& s,
                 const ChipWeightTable& table, int act, std::uint32_t* products, float* out) {
  const std::size_t N = hn::Lanes(DU());
  const bool bf16_out = s.output_dtype == DataType::BFLOAT16;
  std::size_t c = 0;
  // Two vectors at a time where the products scratch (K x kChipProductLanes values) holds them.
  if (2 * N <= kChipProductLanes)
    for (; c + 2 * N <= s.channels; c += 2 * N)
      window_lanes<kFp32, kPhases, kBf16In, 2>(window, w, bias, table, act, bf16_out, s.kernel_positions, s.channels, c, products, out);
  for (; c + N <= s.channels; c += N)
    window_lanes<kFp32, kPhases, kBf16In, 1>(window, w, bias, table, act, bf16_out, s.kernel_positions, s.channels, c, products, out);
}

using WindowFn = void (*)(const void*, const std::uint32_t*, const std::uint32_t*, const ChipWindowShape&, const ChipWeightTable&,
                          int, std::uint32_t*, float*);

template <bool kFp32, int kPhases>
WindowFn pick_in(bool bf16_in) {
  return bf16_in ? &WindowTyped<kFp32, kPhases, true> : &WindowTyped<kFp32, kPhases, false>;
}
template <bool kFp32>
WindowFn pick_phases(int phases, bool bf16_in) {
  switch (phases) {
    case 1: return pick_in<kFp32, 1>(bf16_in);
    case 2: return pick_in<kFp32, 2>(bf16_in);
    case 3: return pick_in<kFp32, 3>(bf16_in);
    default: return pick_in<kFp32, 4>(bf16_in);
  }
}

// The lanes' share: whole vectors of channels with none, relu or relu6; returns the
// channels done (the caller's scalar code takes the rest).
std::uint32_t Window(const void* window, const std::uint32_t* w, const std::uint32_t* bias, const ChipWindowShape& s,
                     const ChipWeightTable& table, std::uint32_t* products, float* out) {
  const std::size_t N = hn::Lanes(DU());
  if (N > kChipProductLanes) return 0;
  if (table.count != std::size_t{s.kernel_positions} * s.channels) return 0;
  const int act = s.activation == Activation::RELU ? 1 : s.activation == Activation::RELU6 ? 2 : s.activation == Activation::NONE ? 0 : -1;
  if (act < 0) return 0;
  const int phases = fidelity_phases(s.math.fidelity);
  const bool bf16_in = s.input_dtype != DataType::FLOAT32;
  const WindowFn fn = s.math.fp32_dest_acc ? pick_phases<true>(phases, bf16_in) : pick_phases<false>(phases, bf16_in);
  fn(window, w, bias, s, table, act, products, out);
  return static_cast<std::uint32_t>(s.channels / N * N);
}

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shardwise {
HWY_EXPORT(Window);

ChipWeightTable make_chip_weight_table(const std::uint32_t* weights, std::size_t count, ChipMath math) {
  ChipWeightTable table;
  table.count = count;
  table.planes.assign(ChipWeightTable::kPlanes * count, 0);
  const int phases = fidelity_phases(math.fidelity);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint32_t b = weights[i];
    if ((b & 0x7F800000u) == 0) continue;  // a zero exponent field: the product is +0 (both planes 0)
    const std::uint32_t b7 = b & 0xFFFE0000u;
    table.planes[i] = phases == 4 && math.fp32_dest_acc ? b : b7;
    table.planes[count + i] = std::bit_cast<std::uint32_t>(std::bit_cast<float>(b) - std::bit_cast<float>(b7));  // exact
  }
  return table;
}

void dw_window_chip(const void* window, const std::uint32_t* weights, const std::uint32_t* bias, const ChipWindowShape& shape,
                    const ChipWeightTable& table, std::uint32_t* products, float* out) {
  const std::uint32_t done = HWY_DYNAMIC_DISPATCH(Window)(window, weights, bias, shape, table, products, out);
  if (done < shape.channels) dw_window_chip_scalar(window, weights, bias, shape, products, out, done);
}
}  // namespace shardwise
#endif
