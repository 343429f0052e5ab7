// src/numerics/ against chip-numerics.md: its worked example and silicon results bit
// for bit, then against the slow value-level model of the page (chip_numerics_model.hpp)
// on random and special operands.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "chip_numerics_model.hpp"
#include "core/bfloat16.hpp"
#include "core/block_float.hpp"
#include "numerics/fpu.hpp"
#include "numerics/packer.hpp"
#include "numerics/src_unpack.hpp"

namespace shardwise {
namespace {

constexpr MathFidelity kFidelities[] = {MathFidelity::LOFI, MathFidelity::HIFI2, MathFidelity::HIFI3, MathFidelity::HIFI4};

std::uint32_t bits_of(float v) { return std::bit_cast<std::uint32_t>(v); }
float float_of(std::uint32_t bits) { return std::bit_cast<float>(bits); }
std::uint32_t bf16_src(float v) { return src_from_bfloat16(bfloat16::from_float(v).bits); }
ChipMath math(MathFidelity f, bool fp32_dest_acc) { return ChipMath{f, fp32_dest_acc}; }

// --- the page's worked example and silicon results -------------------------------

TEST(ChipNumericsPage, WorkedExampleEveryFidelityAndDst) {
  const std::uint32_t a = src_from_bfloat16(0x3FDB), b = src_from_bfloat16(0x3FB5);  // 1.7109375, 1.4140625
  const double fp32_dst[] = {2.373046875, 2.406005859375, 2.419189453125, 2.41937255859375};
  const double fp32_packed[] = {2.375, 2.40625, 2.421875, 2.421875};
  const double bf16_dst[] = {2.375, 2.40625, 2.421875, 2.421875};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(std::string(to_string(kFidelities[i])));
    const std::uint32_t wide = fpu_multiply(a, b, math(kFidelities[i], true));
    EXPECT_EQ(float_of(wide), fp32_dst[i]);
    EXPECT_EQ(bfloat16{pack_to_bfloat16(wide)}.to_float(), fp32_packed[i]);
    const std::uint32_t narrow = fpu_multiply(a, b, math(kFidelities[i], false));
    EXPECT_EQ(float_of(narrow), bf16_dst[i]);
    EXPECT_EQ(narrow & 0xFFFFu, 0u) << "a bf16 Dst value has no low bits";
  }
}

TEST(ChipNumericsPage, SiliconResultsWithBf16Dst) {
  const double expected[] = {10.4375, 10.4375, 10.5, 10.5};
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(float_of(fpu_multiply(bf16_src(1.3125f), bf16_src(7.96875f), math(kFidelities[i], false))), expected[i])
        << to_string(kFidelities[i]);
  EXPECT_EQ(float_of(fpu_multiply(bf16_src(-3.640625f), bf16_src(0.298828125f), math(MathFidelity::HIFI4, false))),
            -1.09375);
  for (MathFidelity f : {MathFidelity::HIFI3, MathFidelity::HIFI4})
    EXPECT_EQ(float_of(fpu_multiply(bf16_src(508.0f), bf16_src(748.0f), math(f, false))), 378880.0) << to_string(f);
}

TEST(ChipNumericsPage, Fp32DstPacksTiesAwayFromZero) {
  EXPECT_EQ(bfloat16{pack_to_bfloat16(bits_of(1.0f + 0x1p-8f))}.to_float(), 1.0078125f);
  EXPECT_EQ(bfloat16{pack_to_bfloat16(bits_of(-1.0f - 0x1p-8f))}.to_float(), -1.0078125f);
  // The host rounds the same tie to even.
  EXPECT_EQ(round_to_bfloat16(1.0f + 0x1p-8f), 1.0f);
}

// --- the unpacker --------------------------------------------------------------

TEST(ChipNumericsUnpack, Float32TruncatesPerDstWidth) {
  const float x = 1.0f + 0x1p-9f + 0x1p-12f + 0x1p-20f;
  EXPECT_EQ(float_of(src_from_float32(bits_of(x), true)), 1.0f + 0x1p-9f);  // 10 mantissa bits
  EXPECT_EQ(float_of(src_from_float32(bits_of(x), false)), 1.0f);           // 7 mantissa bits
  EXPECT_EQ(float_of(src_from_float32(bits_of(-x), true)), -(1.0f + 0x1p-9f));
  EXPECT_EQ(src_from_float32(bits_of(1e-40f), true), 0u);  // denormal: zero of its sign
  EXPECT_EQ(src_from_float32(bits_of(-1e-40f), false), 0x80000000u);
}

TEST(ChipNumericsUnpack, BlockFloatIsExactAndSignedZeroIsMinusInfinity) {
  for (int bits : {7, 3})
    for (int exponent : {1, 5, 100, 127, 200, 254})
      for (int code = 0; code < (2 << bits); ++code) {
        const std::uint32_t src = src_from_block_float(static_cast<std::uint8_t>(exponent), static_cast<std::uint8_t>(code), bits);
        const std::uint32_t magnitude = code & ((1 << bits) - 1);
        if (magnitude == 0) {
          EXPECT_EQ(src, code >> bits ? 0xFF800000u : 0u);
          continue;
        }
        const float value = decode_block_float_value(static_cast<std::uint8_t>(exponent), static_cast<std::uint8_t>(code), bits);
        if (std::fpclassify(value) == FP_SUBNORMAL)
          EXPECT_EQ(src & 0x7FFFFFFFu, 0u);
        else
          EXPECT_EQ(float_of(src), value) << "exponent " << exponent << " code " << code;
        EXPECT_EQ(src & 0xFFFFu, 0u) << "a bfloat16 value";
      }
}

// --- against the model: the multiply -------------------------------------------

// Random Src operands: bfloat16 patterns, float32 patterns through the unpacker, and
// one in eight with an extreme exponent (0, 1, 2, 254, 255 or far from 127).
struct OperandSource {
  std::mt19937_64 rng;
  bool fp32_dest_acc;
  std::uint32_t next() {
    std::uint32_t bits = static_cast<std::uint32_t>(rng());
    const std::uint32_t pick = static_cast<std::uint32_t>(rng() % 16);
    if (pick == 0) {
      static constexpr std::uint32_t kExponents[] = {0, 1, 2, 3, 6, 7, 64, 190, 250, 253, 254, 255};
      bits = (bits & 0x807FFFFFu) | (kExponents[rng() % 12] << 23);
    } else if (pick < 8) {
      bits = (bits & 0x807FFFFFu) | ((120u + static_cast<std::uint32_t>(rng() % 16)) << 23);  // near 1.0
    }
    return (rng() & 1) ? src_from_bfloat16(static_cast<std::uint16_t>(bits >> 16)) : src_from_float32(bits, fp32_dest_acc);
  }
};

class ChipMultiply : public testing::TestWithParam<std::tuple<MathFidelity, bool>> {};

TEST_P(ChipMultiply, MatchesTheModelOnAMillionRandomPairs) {
  const auto [fidelity, fp32_dest_acc] = GetParam();
  OperandSource source{std::mt19937_64(static_cast<std::uint64_t>(fidelity) * 2 + fp32_dest_acc), fp32_dest_acc};
  int mismatches = 0;
  for (int i = 0; i < 1'000'000 && mismatches < 5; ++i) {
    const std::uint32_t a = source.next(), b = source.next();
    const std::uint32_t got = fpu_multiply(a, b, math(fidelity, fp32_dest_acc));
    const std::uint32_t want = model::multiply(a, b, static_cast<int>(fidelity), fp32_dest_acc);
    if (got != want) {
      ++mismatches;
      ADD_FAILURE() << std::hex << "a " << a << " b " << b << ": got " << got << " model " << want;
    }
  }
}

TEST_P(ChipMultiply, SpecialOperandsMatchTheModel) {
  const auto [fidelity, fp32_dest_acc] = GetParam();
  const std::vector<std::uint32_t> specials = {
      0x00000000, 0x80000000,                          // zeros of both signs
      src_from_float32(0x00000001, fp32_dest_acc),     // a denormal, flushed
      0x00800000, 0x80800000, 0x01000000, 0x00FFE000,  // smallest exponents
      0x7F7FE000, 0xFF7FE000, 0x7F000000,              // largest finite
      0x7F800000, 0xFF800000, 0x7FC00000, 0xFFFFE000,  // infinities, NaN
      0x3F800000, 0xBF800000, 0x3FFFE000, 0x3F802000,  // 1, -1, just under 2, 1 + ulp
      0x1F800000, 0x20000000, 0x5F800000, 0x60000000,  // products near the exponent limits
      0x3FDB0000, 0x3FB50000, 0xC0690000, 0x3E990000,  // the page's operands
  };
  for (std::uint32_t a : specials)
    for (std::uint32_t b : specials) {
      const std::uint32_t src_a = fp32_dest_acc ? a : a & 0xFFFF0000u, src_b = fp32_dest_acc ? b : b & 0xFFFF0000u;
      EXPECT_EQ(fpu_multiply(src_a, src_b, math(fidelity, fp32_dest_acc)),
                model::multiply(src_a, src_b, static_cast<int>(fidelity), fp32_dest_acc))
          << std::hex << src_a << " x " << src_b;
    }
}

TEST_P(ChipMultiply, SpecialCasesBehaveAsThePageSays) {
  const auto [fidelity, fp32_dest_acc] = GetParam();
  const ChipMath m = math(fidelity, fp32_dest_acc);
  EXPECT_EQ(fpu_multiply(0x80000000u, bf16_src(3.0f), m), 0u) << "-0 x 3 is +0";
  EXPECT_EQ(fpu_multiply(bf16_src(-2.0f), 0x00000000u, m), 0u);
  EXPECT_EQ(fpu_multiply(0x00400000u, bf16_src(1.0f), m), 0u) << "a denormal is zero for the multiplier";
  EXPECT_EQ(fpu_multiply(bf16_src(0x1p-70f), bf16_src(0x1p-70f), m), 0u) << "exponent underflow gives +0";
  EXPECT_EQ(fpu_multiply(bf16_src(-0x1.fep100f), bf16_src(0x1.fep100f), m), 0xFF800000u) << "overflow: infinity, sign kept";
  // The page's steps read literally: after an overflowing phase 0, a later phase whose
  // partial product is 0 (1.0 has no lo bits) still sets the alignment exponent, shifts
  // the infinity out and sums to +0.
  EXPECT_EQ(fpu_multiply(bf16_src(-0x1p100f), bf16_src(0x1p100f), m), fidelity == MathFidelity::LOFI ? 0xFF800000u : 0u);
  EXPECT_EQ(fpu_multiply(0x7F800000u, bf16_src(-2.0f), m), 0xFF800000u);
  EXPECT_EQ(fpu_multiply(0x7FC00000u, bf16_src(1.0f), m) & 0x7FFFFFFFu, 0x7F800000u) << "NaN is read as a huge number";
  EXPECT_EQ(fpu_multiply(0x7F800000u, 0x00000000u, m), 0u) << "infinity x 0: the zero wins";
  EXPECT_EQ(float_of(fpu_multiply(bf16_src(-1.5f), bf16_src(1.0f), m)), -1.5f) << "exact in every fidelity";
}

std::string multiply_name(const testing::TestParamInfo<std::tuple<MathFidelity, bool>>& info) {
  return std::string(to_string(std::get<0>(info.param))) + (std::get<1>(info.param) ? "_fp32_dst" : "_bf16_dst");
}

INSTANTIATE_TEST_SUITE_P(Fidelities, ChipMultiply, testing::Combine(testing::ValuesIn(kFidelities), testing::Bool()),
                         multiply_name);

// --- against the model: the reduce, the add, the packer --------------------------

class ChipReduce : public testing::TestWithParam<std::tuple<MathFidelity, bool>> {};

TEST_P(ChipReduce, RandomSumsOfOneToFortyNineRowsMatchTheModel) {
  const auto [fidelity, fp32_dest_acc] = GetParam();
  std::mt19937_64 rng(40 + static_cast<std::uint64_t>(fidelity) * 2 + fp32_dest_acc);
  OperandSource source{std::mt19937_64(rng()), fp32_dest_acc};
  int mismatches = 0;
  for (int i = 0; i < 100'000 && mismatches < 5; ++i) {
    // mostly 1..16 rows (one face), sometimes the 25 and 49 of 5x5 and 7x7 windows
    const int pick = static_cast<int>(rng() % 10);
    const int rows = pick == 0 ? 25 : pick == 1 ? 49 : 1 + static_cast<int>(rng() % 16);
    std::vector<std::uint32_t> values(static_cast<std::size_t>(rows));
    for (auto& v : values) v = (rng() % 8 == 0) ? 0u : source.next();
    const std::uint32_t start = (rng() % 4 == 0) ? fpu_multiply(source.next(), kSrcOne, math(fidelity, fp32_dest_acc)) : 0u;
    const std::uint32_t got = fpu_reduce_rows(values.data(), rows, kSrcOne, math(fidelity, fp32_dest_acc), start);
    const std::uint32_t want = model::reduce(values, kSrcOne, static_cast<int>(fidelity), fp32_dest_acc, start);
    if (got != want) {
      ++mismatches;
      ADD_FAILURE() << std::hex << rows << " rows, first " << values[0] << ": got " << got << " model " << want;
    }
  }
}

TEST_P(ChipReduce, CancellationAndTiesMatchTheModel) {
  const auto [fidelity, fp32_dest_acc] = GetParam();
  const ChipMath m = math(fidelity, fp32_dest_acc);
  const std::vector<std::vector<float>> cases = {
      {1.5f, -1.5f},                                  // exact cancellation: +0
      {1.0f, -1.0f, 0x1p-20f},                        // a tiny survivor
      {1.0f, 0x1p-11f},                               // a tie below the 12-bit grid
      {-1.0f, -0x1p-11f},                             // the same tie, negative
      {1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 0x1p-12f, 0x1p-12f},
      {3.0f, -0x1p-3f, 0x1p-9f, 100.0f, -99.5f, 0.0f, 0.0f, 0.0f, -7.0f},
  };
  for (const auto& c : cases) {
    std::vector<std::uint32_t> rows;
    for (float v : c) rows.push_back(fp32_dest_acc ? src_from_float32(bits_of(v), true) : bf16_src(v));
    EXPECT_EQ(fpu_reduce_rows(rows.data(), static_cast<int>(rows.size()), kSrcOne, m, 0),
              model::reduce(rows, kSrcOne, static_cast<int>(fidelity), fp32_dest_acc, 0))
        << c.size() << " rows from " << c[0];
  }
  const std::uint32_t exact_cancel[] = {bf16_src(1.5f), bf16_src(-1.5f)};
  EXPECT_EQ(fpu_reduce_rows(exact_cancel, 2, kSrcOne, m, 0), 0u) << "a zero sum is +0";
}

TEST_P(ChipReduce, AddIntoDstMatchesTheModel) {
  const auto [fidelity, fp32_dest_acc] = GetParam();
  OperandSource source{std::mt19937_64(77 + static_cast<std::uint64_t>(fidelity)), fp32_dest_acc};
  for (int i = 0; i < 200'000; ++i) {
    const std::uint32_t dst = fpu_multiply(source.next(), source.next(), math(fidelity, fp32_dest_acc));
    const std::uint32_t src = source.next();
    ASSERT_EQ(fpu_add(dst, src, fp32_dest_acc), model::add_into_dst(dst, src, fp32_dest_acc))
        << std::hex << dst << " + " << src;
  }
}

INSTANTIATE_TEST_SUITE_P(Fidelities, ChipReduce, testing::Combine(testing::ValuesIn(kFidelities), testing::Bool()),
                         multiply_name);

TEST(ChipPacker, Bfloat16MatchesTheModelAndTheRules) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1'000'000; ++i) {
    const std::uint32_t dst = static_cast<std::uint32_t>(rng());
    ASSERT_EQ(pack_to_bfloat16(dst), model::pack_bfloat16(dst)) << std::hex << dst;
  }
  EXPECT_EQ(pack_to_bfloat16(0x7FC00001u), 0x7F80u) << "NaN becomes infinity";
  EXPECT_EQ(pack_to_bfloat16(0xFFC00000u), 0xFF80u);
  EXPECT_EQ(pack_to_bfloat16(0x80000000u), 0u) << "-0 becomes +0";
  EXPECT_EQ(pack_to_bfloat16(0x80400000u), 0u) << "a denormal becomes +0";
  EXPECT_EQ(pack_to_bfloat16(0x7F7FFFFFu), 0x7F80u) << "rounds up into infinity";
  EXPECT_EQ(pack_to_bfloat16(0x40190000u), 0x4019u) << "a bf16 Dst value is unchanged";
  EXPECT_EQ(pack_to_float32(0x3F800001u), 0x3F800001u);
}

TEST(ChipPacker, BlockFloatGroupsMatchTheModel) {
  std::mt19937_64 rng(6);
  for (DataType dtype : {DataType::BFLOAT8_B, DataType::BFLOAT4_B}) {
    const int bits = dtype == DataType::BFLOAT8_B ? 7 : 3;
    for (int i = 0; i < 100'000; ++i) {
      std::uint32_t dst[16];
      const std::uint32_t base = 100u + static_cast<std::uint32_t>(rng() % 60);
      for (auto& d : dst) {
        d = static_cast<std::uint32_t>(rng());
        if (rng() % 4 != 0) d = (d & 0x807FFFFFu) | ((base + static_cast<std::uint32_t>(rng() % 12)) << 23);  // a shared range
        if (rng() % 16 == 0) d &= 0x80000000u;                                                           // zeros
      }
      std::uint8_t codes[16], want[16];
      const std::uint8_t shared = pack_block_float_group(std::span<const std::uint32_t, 16>(dst, 16), dtype, codes);
      ASSERT_EQ(shared, model::pack_block_float(dst, bits, want));
      for (int j = 0; j < 16; ++j) ASSERT_EQ(codes[j], want[j]) << to_string(dtype) << " element " << j << std::hex << " " << dst[j];
    }
  }
}

TEST(ChipPacker, BlockFloatHandExample) {
  // 1.0, 1 + 3/128 (bf16 0x3F83: six-bit rounding gives 0x3F84, 1.03125), 0.25, -0.75, 2^-9, zeros.
  std::uint32_t dst[16] = {bits_of(1.0f), bits_of(1.0f + 3.0f / 128), bits_of(0.25f), bits_of(-0.75f), bits_of(0x1p-9f)};
  std::uint8_t codes[16];
  EXPECT_EQ(pack_block_float_group(std::span<const std::uint32_t, 16>(dst, 16), DataType::BFLOAT8_B, codes), 127);
  EXPECT_EQ(codes[0], 64);       // 1.0 = 64 / 64
  EXPECT_EQ(codes[1], 66);       // 1.03125 = 66 / 64
  EXPECT_EQ(codes[2], 16);       // 0.25
  EXPECT_EQ(codes[3], 128 | 48); // -0.75
  EXPECT_EQ(codes[4], 0);        // 2^-9 is a shift of 9: 0
  EXPECT_EQ(codes[5], 0);
  EXPECT_EQ(pack_block_float_group(std::span<const std::uint32_t, 16>(dst, 16), DataType::BFLOAT4_B, codes), 127);
  EXPECT_EQ(codes[0], 4);
  EXPECT_EQ(codes[3], 8 | 3);
}

}  // namespace
}  // namespace shardwise
