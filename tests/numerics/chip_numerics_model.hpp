#pragma once
// A second, slow implementation of chip-numerics.md, written from the page for the
// tests only and sharing no code with src/numerics/. Where src/numerics/ shifts integer
// significands, this one works on exact values: a Dyadic is num * 2^exp, every rounding
// rule of the page is "round this value to a multiple of 2^g" with a named tie rule, and
// exponents are the page's nominal (biased) exponents carried beside the values.
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <vector>

namespace shardwise::model {

__extension__ typedef __int128 i128;  // GCC and clang; -Wpedantic wants the marker

struct Dyadic {
  i128 num = 0;
  int exp = 0;  // value = num * 2^exp
};

enum class Tie { TOWARD_POSITIVE, AWAY_FROM_ZERO };

inline i128 abs128(i128 v) { return v < 0 ? -v : v; }

inline int floor_log2(i128 magnitude) {  // magnitude > 0
  int k = -1;
  while (magnitude > 0) {
    magnitude >>= 1;
    ++k;
  }
  return k;
}

// The binade of a non-zero value: 2^k <= |v| < 2^(k+1).
inline int binade(Dyadic v) { return floor_log2(abs128(v.num)) + v.exp; }

// v rounded to a multiple of 2^g, ties by `tie`.
inline Dyadic round_to_grid(Dyadic v, int g, Tie tie) {
  if (v.num == 0 || v.exp >= g) return v;
  const int shift = g - v.exp;
  if (shift > 120) return Dyadic{0, g};
  const i128 unit = i128{1} << shift;
  const i128 magnitude = abs128(v.num);
  i128 q = magnitude / unit;
  const i128 r = magnitude - q * unit;
  const i128 half = unit / 2;
  const bool negative = v.num < 0;
  if (r > half) ++q;
  else if (r == half) {
    // toward +infinity: up for a positive value, down (toward zero) for a negative one
    if (tie == Tie::AWAY_FROM_ZERO || !negative) ++q;
  }
  return Dyadic{negative ? -q : q, g};
}

// Drops (truncates toward zero) everything below `bits` significant bits.
inline Dyadic truncate_bits(Dyadic v, int bits) {
  if (v.num == 0) return v;
  const int g = binade(v) - (bits - 1);
  if (v.exp >= g) return v;
  const i128 unit = i128{1} << (g - v.exp);
  return Dyadic{v.num / unit, g};  // C++ division truncates toward zero
}

inline Dyadic add(Dyadic a, Dyadic b) {
  if (a.num == 0) return b;
  if (b.num == 0) return a;
  const int e = a.exp < b.exp ? a.exp : b.exp;
  if (a.exp - e > 100 || b.exp - e > 100) std::abort();  // the page never adds values this far apart
  return Dyadic{(a.num << (a.exp - e)) + (b.num << (b.exp - e)), e};
}

inline Dyadic sub(Dyadic a, Dyadic b) { return add(a, Dyadic{-b.num, b.exp}); }
inline Dyadic mul(Dyadic a, Dyadic b) { return Dyadic{a.num * b.num, a.exp + b.exp}; }

// A register value: its exact value and its exponent field.
struct Reg {
  Dyadic value;
  int exponent_field = 0;
  bool negative = false;
};

// float32 bits (exponent field 1..255 read as a normal number, 0 as zero).
inline Reg reg_from_bits(std::uint32_t bits) {
  Reg r;
  r.negative = bits >> 31;
  r.exponent_field = static_cast<int>((bits >> 23) & 0xFF);
  if (r.exponent_field == 0) return r;
  const i128 significand = (bits & 0x7FFFFF) | 0x800000;
  r.value = Dyadic{r.negative ? -significand : significand, r.exponent_field - 150};
  return r;
}

// A value back to float32 bits, given the exponent it was normalised at.
inline std::uint32_t bits_from_value(Dyadic v) {
  if (v.num == 0) return 0;
  const int k = binade(v);
  const int field = k + 127;
  if (field <= 0) return 0;
  const std::uint32_t sign = v.num < 0 ? 0x80000000u : 0u;
  if (field >= 255) return sign | 0x7F800000u;
  const Dyadic at24 = round_to_grid(v, k - 23, Tie::AWAY_FROM_ZERO);  // exact here: v has <= 24 bits
  const i128 significand = abs128(at24.num) << (at24.exp - (k - 23));
  return sign | (static_cast<std::uint32_t>(field) << 23) | (static_cast<std::uint32_t>(significand) & 0x7FFFFF);
}

// Unpacking (section 1): float32 truncated to 11 (fp32 Dst) or 8 (bf16 Dst) significant bits.
inline std::uint32_t unpack_float32(std::uint32_t bits, bool fp32_dst) {
  const Reg r = reg_from_bits(bits);
  if (r.exponent_field == 0) return bits & 0x80000000u;
  if (r.exponent_field == 255) return bits & (fp32_dst ? 0xFFFFE000u : 0xFFFF0000u);  // not a number's value
  return bits_from_value(truncate_bits(r.value, fp32_dst ? 11 : 8));
}

// A nominal term: its value and the exponent the page gives it.
struct Term {
  Dyadic value;
  int exponent = 0;
  bool zero = true;
};

// Section 2: phase p of a * b, as values: A's 11-bit significand cut into its top 5 bits
// (hi) and the next 5 (lo; the last bit never used), B's into its top 7 (hi) and the
// last 4 (lo).
inline Term phase_product(std::uint32_t a_bits, std::uint32_t b_bits, int phase) {
  const Reg a = reg_from_bits(a_bits), b = reg_from_bits(b_bits);
  Term t;
  if (a.exponent_field == 0 || b.exponent_field == 0) return t;
  // |a|, |b| as exact values with 11-bit significands (exponent field 255 read as a number too).
  const Dyadic abs_a{((a_bits >> 13) & 0x3FF) | 0x400, a.exponent_field - 137};
  const Dyadic abs_b{((b_bits >> 13) & 0x3FF) | 0x400, b.exponent_field - 137};
  const Dyadic a_hi = truncate_bits(abs_a, 5);
  const Dyadic a_lo = sub(truncate_bits(abs_a, 10), a_hi);
  const Dyadic b_hi = truncate_bits(abs_b, 7);
  const Dyadic b_lo = sub(abs_b, b_hi);
  const bool use_a_lo = phase == 1 || phase == 3, use_b_lo = phase >= 2;
  t.exponent = a.exponent_field + b.exponent_field - 127 - (use_a_lo ? 5 : 0) - (use_b_lo ? 7 : 0);
  if (t.exponent <= 0) {
    t.exponent = 0;
    return t;
  }
  t.value = mul(use_a_lo ? a_lo : a_hi, use_b_lo ? b_lo : b_hi);
  if (a.negative != b.negative) t.value.num = -t.value.num;
  t.zero = false;
  return t;
}

// Section 3, on values: grid 2^(e-150) for the alignment; bf16 Dst: then the TF32 grid
// 2^(e-137); the exact sum rounded to 24 (fp32 Dst) or 8 (bf16 Dst) significant bits, ties
// away from zero.
inline std::uint32_t accumulate(const std::vector<Term>& terms, std::uint32_t dst_bits, bool fp32_dst) {
  const Reg d = reg_from_bits(dst_bits);
  int e = d.exponent_field;
  for (const Term& t : terms)
    if (!t.zero && t.exponent > e) e = t.exponent;
  if (e <= 0) return 0;
  Dyadic sum = round_to_grid(d.value, e - 150, Tie::AWAY_FROM_ZERO);
  if (!fp32_dst) sum = round_to_grid(sum, e - 137, Tie::AWAY_FROM_ZERO);
  for (const Term& t : terms) {
    if (t.zero) continue;
    Dyadic v = round_to_grid(t.value, e - 150, Tie::TOWARD_POSITIVE);
    if (!fp32_dst) v = round_to_grid(v, e - 137, Tie::TOWARD_POSITIVE);
    sum = add(sum, v);
  }
  if (sum.num == 0) return 0;
  const int kept = fp32_dst ? 24 : 8;
  return bits_from_value(round_to_grid(sum, binade(sum) - (kept - 1), Tie::AWAY_FROM_ZERO));
}

inline int phases_of(int fidelity) { return fidelity + 1; }  // 0 LoFi .. 3 HiFi4

inline std::uint32_t multiply(std::uint32_t a, std::uint32_t b, int fidelity, bool fp32_dst) {
  std::uint32_t dst = 0;
  for (int p = 0; p < phases_of(fidelity); ++p) dst = accumulate({phase_product(a, b, p)}, dst, fp32_dst);
  return dst;
}

// Section 4: a group's products rounded to the 12-bit grid of its largest exponent,
// 2^(eg - 137), ties away from zero, and summed.
inline Term group_sum(const std::uint32_t* rows, int count, std::uint32_t scalar, int phase) {
  std::vector<Term> products;
  int eg = 0;
  for (int r = 0; r < count; ++r) {
    products.push_back(phase_product(rows[r], scalar, phase));
    if (!products.back().zero && products.back().exponent > eg) eg = products.back().exponent;
  }
  Term g;
  if (eg == 0) return g;
  for (const Term& p : products)
    if (!p.zero) g.value = add(g.value, round_to_grid(p.value, eg - 137, Tie::AWAY_FROM_ZERO));
  g.exponent = eg;
  g.zero = false;
  return g;
}

inline std::uint32_t reduce(const std::vector<std::uint32_t>& rows, std::uint32_t scalar, int fidelity, bool fp32_dst,
                            std::uint32_t dst) {
  for (std::size_t face = 0; face < rows.size(); face += 16) {
    const int n = static_cast<int>(rows.size() - face < 16 ? rows.size() - face : 16);
    const int first = n < 8 ? n : 8;
    for (int p = 0; p < phases_of(fidelity); ++p)
      dst = accumulate({group_sum(rows.data() + face, first, scalar, p),
                        group_sum(rows.data() + face + first, n - first, scalar, p)},
                       dst, fp32_dst);
  }
  return dst;
}

inline std::uint32_t add_into_dst(std::uint32_t dst, std::uint32_t src, bool fp32_dst) {
  const Reg s = reg_from_bits(src);
  Term t;
  if (s.exponent_field != 0) t = Term{s.value, s.exponent_field, false};
  return accumulate({t}, dst, fp32_dst);
}

// Section 5: Dst -> bfloat16, ties away from zero; NaN -> infinity; tiny -> +0.
inline std::uint16_t pack_bfloat16(std::uint32_t dst) {
  const std::uint32_t sign = dst & 0x80000000u;
  const int field = static_cast<int>((dst >> 23) & 0xFF);
  if (field == 255) return static_cast<std::uint16_t>((sign | 0x7F800000u) >> 16);
  if (field == 0) {
    // A denormal Dst pattern (never produced by the FPU): rounded at bfloat16's denormal
    // spacing 2^-133; only a result that reaches the normal range keeps its value.
    const std::int64_t m = dst & 0x7FFFFF;
    const Dyadic rounded = round_to_grid(Dyadic{(dst >> 31) ? -m : m, -149}, -133, Tie::AWAY_FROM_ZERO);
    return binade(rounded.num == 0 ? Dyadic{} : rounded) >= -126 && rounded.num != 0 ? static_cast<std::uint16_t>(bits_from_value(rounded) >> 16) : 0;
  }
  const Dyadic v = reg_from_bits(dst).value;
  const std::uint32_t bits = bits_from_value(round_to_grid(v, binade(v) - 7, Tie::AWAY_FROM_ZERO));
  return static_cast<std::uint16_t>(bits >> 16);
}

// Section 5: 16 Dst values -> shared exponent and bfloat8_b (7) / bfloat4_b (3) codes.
inline std::uint8_t pack_block_float(const std::uint32_t* dst, int mantissa_bits, std::uint8_t* codes) {
  Dyadic six[16];
  int field[16];
  int shared = 0;
  for (int i = 0; i < 16; ++i) {
    const std::uint32_t h = std::uint32_t{pack_bfloat16(dst[i])} << 16;
    field[i] = static_cast<int>((h >> 23) & 0xFF);
    six[i] = Dyadic{};
    if (field[i] != 0 && field[i] != 255) {
      const Dyadic v = reg_from_bits(h).value;
      six[i] = round_to_grid(v, binade(v) - 6, Tie::AWAY_FROM_ZERO);
      field[i] = binade(six[i]) + 127;
    } else if (field[i] == 255) {
      six[i] = Dyadic{(h >> 31) ? -128 : 128, 255 - 127 - 7};  // infinity read as 1.0 x 2^128
    }
    if (field[i] > shared) shared = field[i];
  }
  for (int i = 0; i < 16; ++i) {
    i128 magnitude = 0;
    if (six[i].num != 0 && shared - field[i] < 8) {
      // the code's unit is 2^(shared - 127 - 6)
      magnitude = abs128(round_to_grid(six[i], shared - 133, Tie::AWAY_FROM_ZERO).num);
      const int exp = round_to_grid(six[i], shared - 133, Tie::AWAY_FROM_ZERO).exp;
      magnitude <<= exp - (shared - 133);
      if (magnitude > 127) magnitude = 127;
    }
    if (mantissa_bits == 3) magnitude >>= 4;
    const std::uint32_t sign = magnitude != 0 && six[i].num < 0 ? 1u : 0u;
    codes[i] = static_cast<std::uint8_t>((sign << mantissa_bits) | static_cast<std::uint32_t>(magnitude));
  }
  return static_cast<std::uint8_t>(shared);
}

}  // namespace shardwise::model
