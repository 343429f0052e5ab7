#include <gtest/gtest.h>

#include <fmt/format.h>

#include <numeric>
#include <vector>

#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

TEST(TileLayout, ElementIndexFollowsFaces) {
  EXPECT_EQ(tile_element_index(0, 0), 0u);
  EXPECT_EQ(tile_element_index(0, 15), 15u);
  EXPECT_EQ(tile_element_index(1, 0), 16u);
  EXPECT_EQ(tile_element_index(0, 16), 256u);
  EXPECT_EQ(tile_element_index(15, 31), 511u);
  EXPECT_EQ(tile_element_index(16, 0), 512u);
  EXPECT_EQ(tile_element_index(16, 16), 768u);
  EXPECT_EQ(tile_element_index(31, 31), 1023u);
}

// Every element of a 2x3 tile matrix (64 x 96) lands at the section 1 index.
TEST(TileLayout, EveryElementLandsAtTheReferenceIndex) {
  const std::uint32_t rows = 64, cols = 96;
  std::vector<std::uint32_t> src(rows * cols);
  std::iota(src.begin(), src.end(), 0u);
  std::vector<std::uint32_t> dst(rows * cols);
  tilize(src.data(), 1, rows, cols, 0u, dst.data());
  for (std::uint32_t r = 0; r < rows; ++r)
    for (std::uint32_t c = 0; c < cols; ++c) {
      const std::uint32_t tile = (r / 32) * (cols / 32) + c / 32;
      const std::uint32_t rr = r % 32, cc = c % 32;
      const std::uint32_t index = tile * 1024 + ((rr / 16) * 2 + cc / 16) * 256 + (rr % 16) * 16 + cc % 16;
      ASSERT_EQ(dst[index], r * cols + c) << "element (" << r << ", " << c << ")";
    }
}

TEST(TileLayout, PaddingGetsThePadValue) {
  std::vector<float> src(3 * 5, 1.0f);
  std::vector<float> dst(1024);
  tilize(src.data(), 1, 3, 5, -7.0f, dst.data());
  EXPECT_EQ(dst[tile_element_index(2, 4)], 1.0f);
  EXPECT_EQ(dst[tile_element_index(2, 5)], -7.0f);
  EXPECT_EQ(dst[tile_element_index(3, 0)], -7.0f);
  EXPECT_EQ(dst[tile_element_index(31, 31)], -7.0f);
}

class TileRoundTrip : public ::testing::TestWithParam<std::tuple<int, int, int>> {};

TEST_P(TileRoundTrip, UntilizeInvertsTilize) {
  const auto [batch, rows, cols] = GetParam();
  std::vector<int> src(static_cast<std::size_t>(batch * rows * cols));
  std::iota(src.begin(), src.end(), 1);
  std::vector<int> tiled(static_cast<std::size_t>(batch) * round_up(rows, 32) * round_up(cols, 32));
  tilize(src.data(), batch, rows, cols, -1, tiled.data());
  std::vector<int> back(src.size());
  untilize(tiled.data(), batch, rows, cols, back.data());
  EXPECT_EQ(back, src);
}

INSTANTIATE_TEST_SUITE_P(Shapes, TileRoundTrip,
                         ::testing::Combine(::testing::Values(1, 3), ::testing::Values(1, 16, 31, 32, 33, 65, 100),
                                            ::testing::Values(1, 15, 32, 47, 64, 129)),
                         [](const ::testing::TestParamInfo<std::tuple<int, int, int>>& info) {
                           return fmt::format("b{}_{}x{}", std::get<0>(info.param), std::get<1>(info.param), std::get<2>(info.param));
                         });

}  // namespace
}  // namespace shardwise
