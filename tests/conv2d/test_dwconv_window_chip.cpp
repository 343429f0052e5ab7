// The SIMD chip window (microkernels/dwconv_window_chip.cpp) on every SIMD target this
// CPU supports: bit for bit the scalar one (numerics/ channel by channel), for every
// fidelity, both Dst widths, bfloat16 / float32 activations and outputs, none / relu /
// relu6 / silu, with and without bias, windows of 1 to 49 positions (one to four
// faces), channel counts that are and are not a multiple of the vector, and operands
// that include zeros of both signs, denormals, infinities, NaN and extreme exponents.
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

TEST_P(DwWindowChip, MatchesTheScalarChipWindowBitForBit) {
  hwy::SetSupportedTargetsForTest(GetParam());
  std::mt19937 rng(11);
  int cases = 0;
  for (std::uint32_t P : {32u, 40u, 64u})
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
  EXPECT_EQ(cases, 3 * 7 * 4 * 2 * 2);
}

INSTANTIATE_TEST_SUITE_P(EveryTarget, DwWindowChip, testing::ValuesIn(dw_row_targets()),
                         [](const testing::TestParamInfo<std::int64_t>& info) { return std::string(hwy::TargetName(info.param)); });

}  // namespace
}  // namespace shardwise
