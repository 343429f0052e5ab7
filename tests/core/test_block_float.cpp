#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "core/block_float.hpp"
#include "core/error.hpp"

namespace shardwise {
namespace {

float f(std::uint32_t bits) { return std::bit_cast<float>(bits); }

struct Group {
  std::uint8_t exponent;
  std::array<std::uint8_t, 16> codes;
};

Group encode(std::array<float, 16> values, int bits) {
  Group g{};
  g.exponent = encode_block_float_group(values, bits, g.codes);
  return g;
}

TEST(BlockFloat8, PowersOfTwoAndSigns) {
  const Group g = encode({1.0f, 0.5f, 0.25f, -1.0f, -0.5f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 7);
  EXPECT_EQ(g.exponent, 127);
  const std::array<std::uint8_t, 16> expected{0x40, 0x20, 0x10, 0xC0, 0xA0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(g.codes, expected);
}

TEST(BlockFloat8, ReferenceExampleDropsAlignmentBitsBeforeRounding) {
  // Section 1 step 3: 0x3F020001 in a row whose shared exponent is 127 encodes as 0x20
  // (exact rounding would give 0x21).
  const Group g = encode({1.0f, f(0x3F020001), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 7);
  EXPECT_EQ(g.exponent, 127);
  EXPECT_EQ(g.codes[1], 0x20);
}

TEST(BlockFloat8, TiesRoundToEvenAndSaturate) {
  const Group g = encode({f(0x3F810000),  // 1+1/128: magnitude 64.5 -> 64
                          f(0x3F830000),  // 65.5 -> 66
                          f(0x3F830001),  // just above 65.5 -> 66
                          f(0x3F828000),  // 65.25 -> 65
                          f(0x3FFF0000),  // 127.5 would round to 128: saturates at 127
                          f(0x3FFFFFFF),  // 127.99...: saturates at 127
                          f(0xBFFF0000),  // negative saturation keeps the sign
                          0, 0, 0, 0, 0, 0, 0, 0, 0},
                         7);
  EXPECT_EQ(g.exponent, 127);
  EXPECT_EQ(g.codes[0], 64);
  EXPECT_EQ(g.codes[1], 66);
  EXPECT_EQ(g.codes[2], 66);
  EXPECT_EQ(g.codes[3], 65);
  EXPECT_EQ(g.codes[4], 127);
  EXPECT_EQ(g.codes[5], 127);
  EXPECT_EQ(g.codes[6], 0x80 | 127);
}

TEST(BlockFloat8, ZerosAndUnderflowClearTheSign) {
  const Group g = encode({-0.0f, f(0x80000001) /* negative subnormal */, 4.0f, -f(0x2F800000) /* 2^-32 */, 0, 0, 0, 0,
                          0, 0, 0, 0, 0, 0, 0, 0},
                         7);
  EXPECT_EQ(g.exponent, 129);
  EXPECT_EQ(g.codes[0], 0x00);
  EXPECT_EQ(g.codes[1], 0x00);
  EXPECT_EQ(g.codes[2], 0x40);
  EXPECT_EQ(g.codes[3], 0x00);  // shifted out entirely: magnitude 0, sign cleared
}

TEST(BlockFloat8, RowWhoseMaxIsSubnormalEncodesAsZeros) {
  std::array<float, 16> values{};
  for (int i = 0; i < 16; ++i) values[i] = f(0x00000100u * (i + 1)) * (i % 2 ? -1.0f : 1.0f);
  const Group g = encode(values, 7);
  EXPECT_EQ(g.exponent, 0);
  for (auto c : g.codes) EXPECT_EQ(c, 0);
}

TEST(BlockFloat8, InfinityAndNanSetTheExponentTo255) {
  const Group g =
      encode({std::numeric_limits<float>::infinity(), 1.0f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 7);
  EXPECT_EQ(g.exponent, 255);
  EXPECT_EQ(g.codes[0], 64);
  EXPECT_EQ(g.codes[1], 0);  // 2^-128 of the row maximum: gone
  EXPECT_TRUE(std::isinf(decode_block_float_value(255, 64, 7)));
  EXPECT_TRUE(std::isnan(decode_block_float_value(255, 65, 7)));
}

TEST(BlockFloat8, DecodeAssemblesTheBits) {
  EXPECT_EQ(decode_block_float_value(127, 0x40, 7), 1.0f);
  EXPECT_EQ(decode_block_float_value(127, 0x20, 7), 0.5f);
  EXPECT_EQ(decode_block_float_value(127, 0x7F, 7), 127.0f / 64.0f);
  EXPECT_EQ(decode_block_float_value(130, 0x80 | 0x03, 7), -3.0f * 8.0f / 64.0f);
  EXPECT_EQ(decode_block_float_value(127, 0x80, 7), 0.0f);  // -0 code decodes as +0
  EXPECT_FALSE(std::signbit(decode_block_float_value(127, 0x80, 7)));
  EXPECT_EQ(decode_block_float_value(1, 0x01, 7), std::ldexp(1.0f, 1 - 127 - 6));  // tiny: still exact
}

TEST(BlockFloat4, HandComputedNibbles) {
  const Group g = encode({1.0f, 0.5f, 0.25f, 0.125f, 0.375f, -0.75f, -1.0f, 1.875f, 0, 0, 0, 0, 0, 0, 0, 0}, 3);
  EXPECT_EQ(g.exponent, 127);
  // 0.125 -> 0.5 units ties to 0; 0.375 -> 1.5 units ties to 2; 1.875 -> 7.5 saturates at 7.
  const std::array<std::uint8_t, 16> expected{4, 2, 1, 0, 2, 0x8 | 3, 0x8 | 4, 7, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(g.codes, expected);
  EXPECT_EQ(decode_block_float_value(127, 0x8 | 3, 3), -0.75f);
}

TEST(BlockFloatTile, PackedLayoutExponentsThenMantissas) {
  std::vector<float> tile(1024, 0.0f);
  tile[0] = 1.0f;      // group 0
  tile[16] = -2.0f;    // group 1
  tile[17] = 0.5f;
  tile[1023] = 3.0f;   // last group (face 3, row 15)
  std::vector<std::uint8_t> bf8(1088), bf4(576);
  pack_block_float_tile(tile, DataType::BFLOAT8_B, bf8);
  pack_block_float_tile(tile, DataType::BFLOAT4_B, bf4);
  EXPECT_EQ(bf8[0], 127);
  EXPECT_EQ(bf8[1], 128);
  EXPECT_EQ(bf8[63], 128);
  EXPECT_EQ(bf8[2], 0);
  EXPECT_EQ(bf8[64 + 0], 0x40);
  EXPECT_EQ(bf8[64 + 16], 0xC0);
  EXPECT_EQ(bf8[64 + 17], 0x10);
  EXPECT_EQ(bf8[64 + 1023], 0x60);  // 3.0 = 1.5 * 2^1
  EXPECT_EQ(bf4[64 + 0], 0x04);
  EXPECT_EQ(bf4[64 + 8], 0x1C);      // element 16 (-2: 0xC) low nibble, element 17 (0.5: 0x1) high
  EXPECT_EQ(bf4[64 + 511], 0x60);    // element 1023 (3.0: 6) in the high nibble

  std::vector<float> back(1024);
  unpack_block_float_tile(bf8, DataType::BFLOAT8_B, back);
  EXPECT_EQ(back, tile);
}

TEST(BlockFloatTile, RoundTripErrorBounds) {
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 3.0f);
  for (auto [dtype, bits] : {std::pair{DataType::BFLOAT8_B, 7}, std::pair{DataType::BFLOAT4_B, 3}}) {
    std::vector<float> tile(1024), back(1024);
    for (auto& v : tile) v = dist(rng);
    std::vector<std::uint8_t> packed(tile_size(dtype));
    pack_block_float_tile(tile, dtype, packed);
    unpack_block_float_tile(packed, dtype, back);
    for (int g = 0; g < 64; ++g) {
      const int exponent = packed[g];
      // One unit of the group's magnitude: rounding costs half, saturation at most one.
      const float unit = std::ldexp(1.0f, exponent - 127 - (bits - 1));
      for (int i = 0; i < 16; ++i) {
        const int k = g * 16 + i;
        EXPECT_LE(std::fabs(tile[k] - back[k]), unit) << to_string(dtype) << " element " << k;
      }
    }
  }
}

TEST(BlockFloatTile, WrongSizesAreErrors) {
  std::vector<float> tile(1000);
  std::vector<std::uint8_t> out(1088);
  EXPECT_THROW(pack_block_float_tile(tile, DataType::BFLOAT8_B, out), InvalidArgument);
  std::vector<float> ok(1024);
  EXPECT_THROW(pack_block_float_tile(ok, DataType::BFLOAT16, out), InvalidArgument);
}

}  // namespace
}  // namespace shardwise
