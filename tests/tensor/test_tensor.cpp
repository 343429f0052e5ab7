#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/bfloat16.hpp"
#include "core/block_float.hpp"
#include "core/error.hpp"
#include "tensor/tensor.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST(Tensor, RowMajorFloat32KeepsValuesAndBytes) {
  const std::vector<float> v{1, 2, 3, 4, 5, 6};
  const Tensor t = Tensor::from_vector(v, Shape{2, 3});
  EXPECT_EQ(t.to_vector(), v);
  ASSERT_EQ(t.bytes().size(), 24u);
  float second;
  std::memcpy(&second, t.bytes().data() + 4, 4);
  EXPECT_EQ(second, 2.0f);
  EXPECT_EQ(t.padded_shape(), t.logical_shape());
}

TEST(Tensor, TileLayoutPadsTheLastTwoDimsAndBatchesTheRest) {
  const Shape shape{2, 3, 40, 20};
  const auto v = random_values(shape.volume(), 1);
  const Tensor t = Tensor::from_vector(v, shape, DataType::FLOAT32, Layout::TILE);
  EXPECT_EQ(t.padded_shape(), (Shape{2, 3, 64, 32}));
  EXPECT_EQ(t.num_tiles(), 2u * 3 * 2 * 1);
  EXPECT_EQ(t.bytes().size(), t.num_tiles() * 4096);
  EXPECT_EQ(t.to_vector(), v);
  // Element (b=1, c=2, r=33, col=5): matrix 5, tile row 1 -> tile 5*2+1 = 11, (1, 5) inside.
  float x;
  std::memcpy(&x, t.bytes().data() + (11 * 1024 + tile_element_index(1, 5)) * 4, 4);
  EXPECT_EQ(x, v[((1 * 3 + 2) * 40 + 33) * 20 + 5]);
}

TEST(Tensor, Bfloat16RoundsToNearestEven) {
  const std::vector<float> v{1.00390625f, 1.01171875f, -3.0f};
  const Tensor t = Tensor::from_vector(v, Shape{3}, DataType::BFLOAT16);
  EXPECT_EQ(t.to_vector(), (std::vector<float>{1.0f, 1.015625f, -3.0f}));
  EXPECT_EQ(t.bytes().size(), 6u);
}

TEST(Tensor, BlockFloatOnlyInTileLayout) {
  const std::vector<float> v(64, 1.0f);
  try {
    Tensor::from_vector(v, Shape{8, 8}, DataType::BFLOAT8_B, Layout::ROW_MAJOR);
    FAIL() << "block float accepted in ROW_MAJOR";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("bfloat8_b"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("ROW_MAJOR"), std::string::npos);
  }
  const Tensor tiled = Tensor::from_vector(v, Shape{8, 8}, DataType::FLOAT32, Layout::TILE);
  EXPECT_THROW(tiled.to_dtype(DataType::BFLOAT4_B).to_layout(Layout::ROW_MAJOR), InvalidArgument);
}

TEST(Tensor, BlockFloatTileBytesEqualThePackedTiles) {
  const auto v = random_values(32 * 64, 3);
  const Tensor t = Tensor::from_vector(v, Shape{32, 64}, DataType::BFLOAT8_B, Layout::TILE);
  ASSERT_EQ(t.bytes().size(), 2u * 1088);
  std::vector<float> tiled(2048);
  tilize(v.data(), 1, 32, 64, 0.0f, tiled.data());
  std::vector<std::uint8_t> expected(1088);
  pack_block_float_tile(std::span<const float>(tiled).subspan(1024, 1024), DataType::BFLOAT8_B, expected);
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), t.bytes().begin() + 1088));
}

TEST(Tensor, ConversionsBetweenAllFloatTypes) {
  const Shape shape{33, 70};
  const auto v = random_values(shape.volume(), 5);
  const Tensor f32 = Tensor::from_vector(v, shape, DataType::FLOAT32, Layout::TILE);
  for (DataType to : {DataType::BFLOAT16, DataType::BFLOAT8_B, DataType::BFLOAT4_B}) {
    const Tensor converted = f32.to_dtype(to);
    EXPECT_EQ(converted.bytes().size(), converted.num_tiles() * tile_size(to));
    const auto back = converted.to_dtype(DataType::FLOAT32).to_vector();
    const double tolerance = to == DataType::BFLOAT16 ? 0.01 : to == DataType::BFLOAT8_B ? 0.07 : 1.0;
    for (std::size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(back[i], v[i], tolerance) << to_string(to) << " " << i;
  }
  // bfloat16 -> float32 -> bfloat16 is lossless.
  const Tensor bf = f32.to_dtype(DataType::BFLOAT16);
  EXPECT_TRUE(std::equal(bf.bytes().begin(), bf.bytes().end(),
                         bf.to_dtype(DataType::FLOAT32).to_dtype(DataType::BFLOAT16).bytes().begin()));
}

TEST(Tensor, LayoutRoundTripKeepsValues) {
  const Shape shape{3, 17, 45};
  const auto v = random_values(shape.volume(), 9);
  const Tensor rm = Tensor::from_vector(v, shape, DataType::BFLOAT16);
  const Tensor back = rm.to_layout(Layout::TILE).to_layout(Layout::ROW_MAJOR);
  EXPECT_TRUE(std::equal(rm.bytes().begin(), rm.bytes().end(), back.bytes().begin()));
}

TEST(Tensor, BadInputNamesTheValue) {
  const std::vector<float> v(6);
  try {
    Tensor::from_vector(v, Shape{2, 4});
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("[2, 4]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tensor::from_bytes(std::vector<std::uint8_t>(10), Shape{2, 3}, DataType::FLOAT32, Layout::ROW_MAJOR),
               InvalidArgument);
  try {
    Shape s{4, 0, 3};
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("is 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW((Shape{-2, 3}), InvalidArgument);
  try {
    Shape s{1, 2, 3, 4, 5, 6, 7, 8, 9};
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("rank 9"), std::string::npos) << e.what();
  }
  const Shape eight{1, 2, 3, 4, 5, 6, 7, 8};
  EXPECT_EQ(eight.volume(), 40320u);
  EXPECT_EQ(eight.back(), 8u);
  EXPECT_THROW(eight[8], std::out_of_range);
  EXPECT_THROW((Shape{2, 3}).back(2), std::out_of_range);
  EXPECT_NE((Shape{2, 3}), (Shape{2, 3, 1}));
  EXPECT_THROW(parse_layout("tiled"), InvalidArgument);
  EXPECT_THROW(Tensor::from_vector(v, Shape{6}).reshape(Shape{4}), InvalidArgument);
}

}  // namespace
}  // namespace shardwise
