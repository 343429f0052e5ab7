#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "core/bfloat16.hpp"

namespace shardwise {
namespace {

std::uint16_t rne(std::uint32_t float_bits) { return bfloat16::from_float(std::bit_cast<float>(float_bits)).bits; }

TEST(Bfloat16, ExactValuesKeepTheirBits) {
  EXPECT_EQ(rne(0x3F800000), 0x3F80);  // 1.0
  EXPECT_EQ(rne(0xC0490000), 0xC049);
  EXPECT_EQ(rne(0x00000000), 0x0000);
  EXPECT_EQ(rne(0x80000000), 0x8000);  // -0 keeps its sign
}

TEST(Bfloat16, TiesRoundToEven) {
  EXPECT_EQ(rne(0x3F808000), 0x3F80);  // halfway, 0x3F80 is even
  EXPECT_EQ(rne(0x3F818000), 0x3F82);  // halfway, 0x3F81 is odd -> up
  EXPECT_EQ(rne(0x3F808001), 0x3F81);  // just above half
  EXPECT_EQ(rne(0x3F807FFF), 0x3F80);  // just below half
  EXPECT_EQ(rne(0xBF818000), 0xBF82);  // negative ties the same way
}

TEST(Bfloat16, SubnormalsRoundLikeAnyValue) {
  EXPECT_EQ(rne(0x00008000), 0x0000);
  EXPECT_EQ(rne(0x00018000), 0x0002);
  EXPECT_EQ(rne(0x00010001), 0x0001);
}

TEST(Bfloat16, OverflowGoesToInfinityAndInfinityIsKept) {
  EXPECT_EQ(rne(0x7F7F7FFF), 0x7F7F);  // largest value that stays finite
  EXPECT_EQ(rne(0x7F7F8000), 0x7F80);  // from here up: infinity
  EXPECT_EQ(rne(0x7F800000), 0x7F80);
  EXPECT_EQ(rne(0xFF800000), 0xFF80);
}

TEST(Bfloat16, EveryNanBecomesCanonical) {
  EXPECT_EQ(rne(0x7FC00000), 0x7FC0);
  EXPECT_EQ(rne(0xFFC00001), 0x7FC0);  // sign and payload dropped
  EXPECT_EQ(rne(0x7F800001), 0x7FC0);  // a NaN whose top 16 bits would read as infinity
  EXPECT_TRUE(std::isnan(bfloat16{0x7FC0}.to_float()));
}

TEST(Bfloat16, TruncationKeepsTopBits) {
  EXPECT_EQ(bfloat16::truncate(std::bit_cast<float>(0x3F81FFFFu)).bits, 0x3F81);
  EXPECT_EQ(bfloat16::truncate(std::bit_cast<float>(0x7F7FFFFFu)).bits, 0x7F7F);
  EXPECT_EQ(bfloat16::truncate(std::numeric_limits<float>::quiet_NaN()).bits, 0x7FC0);
}

TEST(Bfloat16, ToFloatIsExact) {
  EXPECT_EQ(bfloat16{0x3F80}.to_float(), 1.0f);
  EXPECT_EQ(bfloat16{0xC000}.to_float(), -2.0f);
  EXPECT_EQ(round_to_bfloat16(1.00390625f), 1.0f);
}

}  // namespace
}  // namespace shardwise
