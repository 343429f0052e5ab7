// The chip presets' window sum (microkernels/dwconv_window.hpp) on every SIMD target
// this CPU supports: bit for bit the scalar multiply-then-add loop the compute kernel
// ran before, for channel counts below, at and above the vector widths (masked tail)
// and window sizes 1 to 7x7, bfloat16 and float32 input; nothing past P is written.
#include <gtest/gtest.h>

#include <hwy/targets.h>

#include <cstring>
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

INSTANTIATE_TEST_SUITE_P(EveryTarget, DwWindowSum, testing::ValuesIn(dw_row_targets()),
                         [](const testing::TestParamInfo<std::int64_t>& info) { return std::string(hwy::TargetName(info.param)); });

}  // namespace
}  // namespace shardwise
