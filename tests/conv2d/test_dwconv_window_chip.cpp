// The SIMD chip window (microkernels/dwconv_window_chip.cpp) on every SIMD target this
// CPU supports: bit for bit the scalar one (numerics/ channel by channel), for every
// fidelity, both Dst widths, bfloat16 / float32 activations and outputs, none / relu /
// relu6 / silu, with and without bias, windows of 1 to 49 positions (one to four
// faces), channel counts that are and are not a multiple of the vector, and two kinds
// of operands: ones that include zeros of both signs, denormals, infinities, NaN and
// extreme exponents (most vectors then take the integer lanes), and finite ones spread
// over 80 binades with short significands (ties) that keep the float shortcuts busy
// at every alignment distance; and finite ones whose products reach the ends of the
// exponent range.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/bfloat16.hpp"
#include "numerics/src_unpack.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"
#include "ops/conv2d/microkernels/dwconv_window_chip.hpp"

namespace shardwise {
namespace {

class DwWindowChip : public testing::TestWithParam<std::int64_t> {
 protected:
  void TearDown() override { hwy::SetSupportedTargetsForTest(0); }
};

// Mostly N(0, 1), one value in sixteen special.
float operand(std::mt19937& rng) {
  static const float kSpecials[] = {0.0f, -0.0f, 1e-40f, -1e-39f, std::numeric_limits<float>::infinity(),
                                    -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                                    0x1p-120f, -0x1p120f, 0x1.fep127f, 1.0f, -1.5f, 6.0f, 0x1p-7f};
  std::normal_distribution<float> normal(0.0f, 1.0f);
  if (rng() % 16 == 0) return kSpecials[rng() % std::size(kSpecials)];
  return normal(rng) * (rng() % 4 == 0 ? 100.0f : 1.0f);
}

// Finite and normal: N(0, 1) scaled by 2^-40..2^40, one value in four cut to 3
// significant bits (alignments that end on a tie), one in thirty-two zero.
float finite_operand(std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  if (rng() % 32 == 0) return rng() % 2 ? 0.0f : -0.0f;
  float v = std::ldexp(normal(rng), static_cast<int>(rng() % 81) - 40);
  if (rng() % 4 == 0) v = std::bit_cast<float>(std::bit_cast<std::uint32_t>(v) & 0xFFF00000u);
  return v == 0.0f || std::fpclassify(v) == FP_SUBNORMAL ? 1.0f : v;
}

// Products at the ends of the exponent range: tiny ones whose later phases fall below
// exponent 1, and huge ones whose product overflows.
float tiny_operand(std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  return std::ldexp(normal(rng), -63 + static_cast<int>(rng() % 8));
}
float huge_operand(std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  return std::ldexp(normal(rng), 60 + static_cast<int>(rng() % 4));
}

void expect_simd_matches_scalar(std::int64_t target, float (*operand)(std::mt19937&)) {
  hwy::SetSupportedTargetsForTest(target);
  std::mt19937 rng(11);
  int cases = 0;
  for (std::uint32_t P : {32u, 40u, 48u, 64u})  // 48: a two-vector step then a one-vector one on AVX-512
    for (std::uint32_t K : {1u, 3u, 9u, 16u, 17u, 25u, 49u})
      for (MathFidelity f : {MathFidelity::LOFI, MathFidelity::HIFI2, MathFidelity::HIFI3, MathFidelity::HIFI4})
        for (bool fp32_dst : {true, false})
          for (DataType in : {DataType::BFLOAT16, DataType::FLOAT32}) {
            const DataType out = (K + P) % 2 ? DataType::BFLOAT16 : DataType::FLOAT32;
            const Activation act = static_cast<Activation>(rng() % 4);  // none, relu, relu6, silu
            const bool with_bias = rng() % 2;
            const ChipWindowShape shape{K, P, ChipMath{f, fp32_dst}, in, out, act};
            std::vector<float> x(std::size_t{K} * P);
            std::vector<std::uint16_t> x16(x.size());
            std::vector<std::uint32_t> w(x.size()), bias(P);
            for (std::size_t i = 0; i < x.size(); ++i) {
              x[i] = operand(rng);
              x16[i] = bfloat16::truncate(x[i]).bits;
              w[i] = src_from_bfloat16(bfloat16::truncate(operand(rng)).bits);
            }
            for (auto& b : bias) b = src_from_float32(std::bit_cast<std::uint32_t>(operand(rng)), fp32_dst);
            const void* window = in == DataType::FLOAT32 ? static_cast<const void*>(x.data()) : static_cast<const void*>(x16.data());
            std::vector<std::uint32_t> products(std::size_t{K} * kChipProductLanes);
            std::vector<float> want(P), got(P);
            dw_window_chip_scalar(window, w.data(), with_bias ? bias.data() : nullptr, shape, products.data(), want.data());
            const ChipWeightTable table = make_chip_weight_table(w.data(), w.size(), shape.math);
            dw_window_chip(window, w.data(), with_bias ? bias.data() : nullptr, shape, table, products.data(), got.data());
            for (std::uint32_t c = 0; c < P; ++c)
              ASSERT_EQ(std::bit_cast<std::uint32_t>(got[c]), std::bit_cast<std::uint32_t>(want[c]))
                  << "channel " << c << " of " << P << ", K " << K << ", " << to_string(f) << (fp32_dst ? " fp32" : " bf16")
                  << " Dst, in " << to_string(in) << ", out " << to_string(out) << ", " << to_string(act)
                  << (with_bias ? " bias" : "") << ": simd " << got[c] << " scalar " << want[c];
            ++cases;
          }
  EXPECT_EQ(cases, 4 * 7 * 4 * 2 * 2);
}

TEST_P(DwWindowChip, MatchesTheScalarChipWindowBitForBit) { expect_simd_matches_scalar(GetParam(), &operand); }

TEST_P(DwWindowChip, MatchesTheScalarChipWindowBitForBitOnFiniteOperands) {
  expect_simd_matches_scalar(GetParam(), &finite_operand);
}

TEST_P(DwWindowChip, MatchesTheScalarChipWindowBitForBitNearUnderflow) { expect_simd_matches_scalar(GetParam(), &tiny_operand); }

TEST_P(DwWindowChip, MatchesTheScalarChipWindowBitForBitNearOverflow) { expect_simd_matches_scalar(GetParam(), &huge_operand); }

INSTANTIATE_TEST_SUITE_P(EveryTarget, DwWindowChip, testing::ValuesIn(dw_row_targets()),
                         [](const testing::TestParamInfo<std::int64_t>& info) { return std::string(hwy::TargetName(info.param)); });

}  // namespace
}  // namespace shardwise
