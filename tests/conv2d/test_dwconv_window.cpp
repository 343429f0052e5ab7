// The chip presets' window sum (microkernels/dwconv_window.hpp) on every SIMD target
// this CPU supports: bit for bit the scalar multiply-then-add loop the compute kernel
// ran before, for channel counts below, at and above the vector widths (masked tail)
// and window sizes 1 to 7x7, bfloat16 and float32 input; nothing past P is written.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/bfloat16.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"
#include "ops/conv2d/microkernels/dwconv_window.hpp"

namespace shardwise {
namespace {

class DwWindowSum : public testing::TestWithParam<std::int64_t> {
 protected:
  void TearDown() override { hwy::SetSupportedTargetsForTest(0); }
};

TEST_P(DwWindowSum, MatchesTheScalarLoopBitForBit) {
  hwy::SetSupportedTargetsForTest(GetParam());
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (std::uint32_t P : {1u, 7u, 16u, 17u, 32u, 96u, 100u})
    for (std::uint32_t K : {1u, 9u, 25u, 49u}) {
      std::vector<float> x(std::size_t{K} * P), w(std::size_t{K} * P);
      std::vector<std::uint16_t> x16(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = round_to_bfloat16(normal(rng));
        x16[i] = bfloat16::from_float(x[i]).bits;
        w[i] = normal(rng);
      }
      std::vector<float> expected(P, 0.0f);
      for (std::uint32_t k = 0; k < K; ++k)
        for (std::uint32_t c = 0; c < P; ++c) {
          const float product = x[std::size_t{k} * P + c] * w[std::size_t{k} * P + c];
          expected[c] = expected[c] + product;
        }
      for (const bool bf16 : {false, true}) {
        std::vector<float> got(P + 8, -1.0f);
        if (bf16) dw_window_sum(x16.data(), w.data(), K, P, got.data());
        else dw_window_sum(x.data(), w.data(), K, P, got.data());
        SCOPED_TRACE(std::string(hwy::TargetName(GetParam())) + " P=" + std::to_string(P) + " K=" + std::to_string(K) + (bf16 ? " bf16" : " f32"));
        EXPECT_EQ(std::memcmp(got.data(), expected.data(), P * sizeof(float)), 0);
        for (std::uint32_t i = P; i < P + 8; ++i) EXPECT_EQ(got[i], -1.0f) << "wrote past the channels";
      }
    }
}

// The epilogue against the scalar one the compute kernel keeps for the other cases:
// relu x > 0 ? x : 0, relu6 std::fmin(std::fmax(x, 0), 6), bfloat16::from_float; with
// -0, NaN, infinities, 6 and its neighbours, bfloat16 rounding ties.
TEST_P(DwWindowSum, FinishMatchesTheScalarEpilogueBitForBit) {
  hwy::SetSupportedTargetsForTest(GetParam());
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  const float specials[] = {-0.0f, 0.0f, std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(), 6.0f,
                            std::nextafter(6.0f, 7.0f), std::nextafter(6.0f, 5.0f), 1.00390625f /* bf16 tie */, -3.0f};
  for (std::uint32_t P : {1u, 5u, 16u, 33u, 100u}) {
    std::vector<float> acc(P), bias(P);
    for (std::uint32_t c = 0; c < P; ++c) {
      acc[c] = c < std::size(specials) ? specials[c] : normal(rng);
      bias[c] = c < std::size(specials) ? -0.0f : c % 3 == 0 ? 0.0f : normal(rng);  // -0 keeps the specials as they are
    }
    for (int act = 0; act < 3; ++act) {
      std::vector<float> want(P), got(P + 4, -1.0f);
      std::vector<std::uint16_t> want16(P), got16(P + 4, 0xABCD);
      for (std::uint32_t c = 0; c < P; ++c) {
        const float x = acc[c] + bias[c];
        want[c] = act == 1 ? (x > 0.0f ? x : 0.0f) : act == 2 ? std::fmin(std::fmax(x, 0.0f), 6.0f) : x;
        want16[c] = bfloat16::from_float(want[c]).bits;
      }
      dw_window_finish(acc.data(), bias.data(), P, act, got.data());
      dw_window_finish(acc.data(), bias.data(), P, act, got16.data());
      SCOPED_TRACE(std::string(hwy::TargetName(GetParam())) + " P=" + std::to_string(P) + " activation " + std::to_string(act));
      EXPECT_EQ(std::memcmp(got.data(), want.data(), P * 4), 0);
      EXPECT_EQ(std::memcmp(got16.data(), want16.data(), P * 2), 0);
      EXPECT_EQ(got[P], -1.0f);
      EXPECT_EQ(got16[P], 0xABCD);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryTarget, DwWindowSum, testing::ValuesIn(dw_row_targets()),
                         [](const testing::TestParamInfo<std::int64_t>& info) { return std::string(hwy::TargetName(info.param)); });

}  // namespace
}  // namespace shardwise
