// Weight and bias preparation against reference section 6.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <random>

#include "core/error.hpp"
#include "ops/conv2d/prepare_weights.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

struct LayoutCase {
  std::uint32_t channels, kh, kw, shards;
};

std::string layout_case_name(const ::testing::TestParamInfo<LayoutCase>& info) {
  const LayoutCase& c = info.param;
  return fmt::format("c{}_k{}x{}_shards{}", c.channels, c.kh, c.kw, c.shards);
}

std::vector<float> random_weights(std::size_t n) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> dist(-100, 100);  // small integers: exact in bfloat16
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(dist(rng) == 0 ? 1 : dist(rng));
  return v;
}

class WeightLayout : public ::testing::TestWithParam<LayoutCase> {};

// The section 6 formula, written out literally for K <= 32, against every element.
TEST_P(WeightLayout, MatrixMatchesSectionSixElementByElement) {
  const auto [C, kh, kw, S] = GetParam();
  const std::uint32_t K = kh * kw;
  const auto w = random_weights(std::size_t{C} * K);
  const Tensor weight = Tensor::from_vector(w, Shape{C, 1, kh, kw});
  const std::vector<float> m = depthwise_weight_matrix(weight, S);

  const std::uint32_t P = (((C + S - 1) / S) + 31) / 32 * 32;
  const std::uint32_t R = P / 16;
  const std::uint32_t Hw = (K * R + 31) / 32 * 32;
  ASSERT_EQ(m.size(), std::size_t{Hw} * S * P);
  std::vector<float> expected(m.size(), 0.0f);
  std::uint32_t remaining = C, first = 0;
  for (std::uint32_t s = 0; s < S; ++s) {
    const std::uint32_t cs = s + 1 < S ? std::min(P, remaining) : remaining;
    for (std::uint32_t k = 0; k < K; ++k)
      for (std::uint32_t j = 0; j < (cs + 15) / 16; ++j)
        for (std::uint32_t l = 0; l < 16; ++l) {
          const std::uint32_t a = k * R + j, f = a / 16, t = f / 4, q = f % 4;
          const std::uint32_t row = (q / 2) * 16 + a % 16, col = s * P + t * 32 + (q % 2) * 16 + l;
          const std::uint32_t c = j * 16 + l;
          expected[std::size_t{row} * S * P + col] = c < cs ? w[std::size_t{first + c} * K + k] : 0.0f;
        }
    remaining -= cs;
    first += cs;
  }
  for (std::size_t i = 0; i < m.size(); ++i)
    ASSERT_EQ(m[i], expected[i]) << "row " << i / (S * P) << " col " << i % (S * P);
}

// After tilizing, shard s's tiles hold the flat vector w[k*P + c].
void check_flat_vector(const LayoutCase& param) {
  const auto [C, kh, kw, S] = param;
  const std::uint32_t K = kh * kw;
  const auto w = random_weights(std::size_t{C} * K);
  const Tensor prepared = prepare_conv_weights(Tensor::from_vector(w, Shape{C, 1, kh, kw}), S, DataType::BFLOAT16);
  const DepthwiseWeightLayout layout(C, kh, kw, S);
  const std::uint32_t P = layout.channels_per_shard;
  EXPECT_EQ(prepared.logical_shape(), (Shape{1, 1, layout.rows, C}));
  EXPECT_EQ(prepared.padded_shape(), (Shape{1, 1, layout.rows, S * P}));
  const Tensor f32 = prepared.to_dtype(DataType::FLOAT32);
  for (std::uint32_t s = 0; s < S; ++s) {
    std::vector<float> flat;
    for (std::uint32_t i = 0; i < layout.tiles_per_shard(); ++i) {
      const float* tile = reinterpret_cast<const float*>(f32.bytes().data()) + std::size_t{layout.tile_id(s, i)} * kTileElements;
      flat.insert(flat.end(), tile, tile + kTileElements);
    }
    ASSERT_GE(flat.size(), std::size_t{K} * P);
    const std::uint32_t cs = layout.shard_channels(s);
    for (std::uint32_t k = 0; k < K; ++k)
      for (std::uint32_t c = 0; c < P; ++c)
        ASSERT_EQ(flat[std::size_t{k} * P + c], c < cs ? w[std::size_t{s * P + c} * K + k] : 0.0f)
            << "shard " << s << " k " << k << " c " << c;
    for (std::size_t i = std::size_t{K} * P; i < flat.size(); ++i) ASSERT_EQ(flat[i], 0.0f);
  }
}

TEST_P(WeightLayout, TilesHoldTheFlatVector) { check_flat_vector(GetParam()); }

// Beyond the reference: K > 32 continues the flat vector into further tile rows.
class LargeKernelLayout : public ::testing::TestWithParam<LayoutCase> {};
TEST_P(LargeKernelLayout, TilesHoldTheFlatVector) { check_flat_vector(GetParam()); }
INSTANTIATE_TEST_SUITE_P(BeyondK32, LargeKernelLayout,
                         ::testing::Values(LayoutCase{64, 7, 7, 1}, LayoutCase{96, 9, 9, 2}, LayoutCase{32, 1, 49, 1},
                                           LayoutCase{300, 7, 7, 3}),
                         layout_case_name);

INSTANTIATE_TEST_SUITE_P(Section6, WeightLayout,
                         ::testing::Values(LayoutCase{64, 3, 3, 1}, LayoutCase{64, 3, 3, 2}, LayoutCase{48, 3, 3, 2},
                                           LayoutCase{480, 3, 3, 8}, LayoutCase{96, 5, 5, 3}, LayoutCase{32, 1, 3, 1},
                                           LayoutCase{144, 5, 5, 1}, LayoutCase{40, 3, 1, 2}),
                         layout_case_name);


TEST(WeightLayout, FortyEightChannelsOnTwoShardsSplit32And16) {
  const DepthwiseWeightLayout l(48, 3, 3, 2);
  EXPECT_EQ(l.channels_per_shard, 32u);
  EXPECT_EQ(l.shard_channels(0), 32u);
  EXPECT_EQ(l.shard_channels(1), 16u);
  const DepthwiseWeightLayout big(480, 3, 3, 8);
  EXPECT_EQ(big.channels_per_shard, 64u);
  EXPECT_EQ(big.shard_channels(6), 64u);
  EXPECT_EQ(big.shard_channels(7), 32u);
  EXPECT_EQ(big.tile_id(3, 1), 7u);  // core_index * tiles_per_core + i
}

TEST(WeightLayout, SeedDebugWeightsPrintFaceByFace) {
  std::vector<float> w(64 * 9);
  for (std::uint32_t c = 0; c < 64; ++c)
    for (std::uint32_t k = 0; k < 9; ++k) w[c * 9 + k] = static_cast<float>(k + 1);
  const auto m = depthwise_weight_matrix(Tensor::from_vector(w, Shape{64, 1, 3, 3}), 2);
  const std::string text = format_weight_rows(m, 32, 64);
  EXPECT_NE(text.find("Row  0: F0[ 1,  1,  1,  1...] F1[ 9,  9,  9,  9...] F2[ 1,  1,  1,  1...] F3[ 9,  9,  9,  9...]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("Row  2: F0[ 2,  2,  2,  2...] F1[ 0,  0,  0,  0...]"), std::string::npos) << text;
}

TEST(WeightLayout, BlockFloatIsConvertedAfterTilizing) {
  const auto w = random_weights(96 * 9);
  const Tensor weight = Tensor::from_vector(w, Shape{96, 1, 3, 3});
  const Tensor f32 = prepare_conv_weights(weight, 3, DataType::FLOAT32);
  for (DataType d : {DataType::BFLOAT8_B, DataType::BFLOAT4_B}) {
    const Tensor bfp = prepare_conv_weights(weight, 3, d);
    const Tensor expected = f32.to_dtype(d);
    ASSERT_EQ(bfp.bytes().size(), expected.bytes().size());
    EXPECT_TRUE(std::equal(bfp.bytes().begin(), bfp.bytes().end(), expected.bytes().begin())) << to_string(d);
  }
}

TEST(BiasLayout, RowZeroHoldsTheBias) {
  std::vector<float> b(48);
  for (std::uint32_t c = 0; c < 48; ++c) b[c] = static_cast<float>(c) - 20.0f;
  const Tensor bias = prepare_conv_bias(Tensor::from_vector(b, Shape{48}), 48, 2, DataType::FLOAT32);
  EXPECT_EQ(bias.padded_shape(), (Shape{1, 1, 32, 64}));
  const float* tiles = reinterpret_cast<const float*>(bias.bytes().data());
  for (std::uint32_t col = 0; col < 64; ++col)
    for (std::uint32_t row = 0; row < 32; ++row) {
      const float v = tiles[(col / 32) * kTileElements + tile_element_index(row, col % 32)];
      EXPECT_EQ(v, row == 0 && col < 48 ? b[col] : 0.0f) << row << "," << col;
    }
}

TEST(WeightLayout, BadInputNamesTheValue) {
  EXPECT_THROW(depthwise_weight_matrix(Tensor::from_vector(std::vector<float>(18), Shape{2, 1, 3, 3}), 3), InvalidArgument);
  EXPECT_THROW(depthwise_weight_matrix(Tensor::from_vector(std::vector<float>(36), Shape{2, 2, 3, 3}), 1), InvalidArgument);
  EXPECT_THROW(prepare_conv_bias(Tensor::from_vector(std::vector<float>(5), Shape{5}), 6, 1, DataType::BFLOAT16), InvalidArgument);
  EXPECT_THROW(prepare_conv_weights(Tensor::from_vector(std::vector<float>(9), Shape{1, 1, 3, 3}), 1, DataType::INT32),
               InvalidArgument);
}

}  // namespace
}  // namespace shardwise

namespace shardwise {
namespace {

TEST(WeightLayout, UnprepareInvertsPrepare) {
  for (auto [C, kh, kw, S] : {LayoutCase{48, 3, 3, 2}, LayoutCase{480, 3, 3, 8}, LayoutCase{96, 7, 7, 3}}) {
    const auto w = random_weights(std::size_t{C} * kh * kw);
    const Tensor weight = Tensor::from_vector(w, Shape{C, 1, kh, kw});
    const DepthwiseWeightLayout layout(C, kh, kw, S);
    EXPECT_EQ(unprepare_conv_weights(prepare_conv_weights(weight, S, DataType::BFLOAT16), layout), w);
    // Block float: what comes back is each value as its shared exponent allows.
    const auto bf8 = unprepare_conv_weights(prepare_conv_weights(weight, S, DataType::BFLOAT8_B), layout);
    for (std::size_t i = 0; i < w.size(); ++i) ASSERT_NEAR(bf8[i], w[i], 1.0) << i;  // |w| <= 100: one unit is <= 1
  }
}

}  // namespace
}  // namespace shardwise
