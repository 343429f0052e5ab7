#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "ops/reference/metrics.hpp"

namespace shardwise::reference {
namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

TEST(Pcc, IdenticalVectorsGiveOne) {
  const std::vector<double> a{1, 2, 3, 4};
  EXPECT_EQ(pcc(a, a), 1.0);
}

TEST(Pcc, LinearRelationsGivePlusOrMinusOne) {
  const std::vector<double> a{1, 2, 3, 4}, b{3, 5, 7, 9}, c{-1, -2, -3, -4};
  EXPECT_NEAR(pcc(a, b), 1.0, 1e-15);
  EXPECT_NEAR(pcc(a, c), -1.0, 1e-15);
}

TEST(Pcc, KnownValue) {
  const std::vector<double> a{1, 2, 3}, b{1, 3, 2};
  EXPECT_NEAR(pcc(a, b), 0.5, 1e-15);
}

TEST(Pcc, NanAndInfAreReplacedByZero) {
  const std::vector<double> a{1, kNan, 3, kInf}, b{1, 0, 3, 0};
  EXPECT_EQ(pcc(a, b), 1.0);
  const std::vector<double> all_nan{kNan, kNan};
  EXPECT_EQ(pcc(all_nan, all_nan), 1.0);
  EXPECT_EQ(pcc(all_nan, std::vector<double>{1, 2}), 0.0);
}

TEST(Pcc, ConstantVectorsGiveANumber) {
  const std::vector<double> a{2, 2, 2}, b{3, 3, 3};
  const double value = pcc(a, b);
  EXPECT_FALSE(std::isnan(value));
  EXPECT_EQ(value, 1.0);
  EXPECT_FALSE(std::isnan(pcc(a, std::vector<double>{1, 2, 3})));
}

TEST(Pcc, OneAllZeroGivesZero) {
  EXPECT_EQ(pcc(std::vector<double>{0, 0, 0}, std::vector<double>{0, 1, 0}), 0.0);
}

TEST(Errors, MaxAbsAndNormalized) {
  const std::vector<double> expected{1, -4, 2}, actual{1.5, -4, 1};
  EXPECT_EQ(max_abs_error(expected, actual), 1.0);
  EXPECT_EQ(normalized_max_error(expected, actual), 0.25);
  const auto c = compare(expected, actual);
  EXPECT_EQ(c.max_abs_err, 1.0);
  EXPECT_LT(c.pcc, 1.0);
  EXPECT_THROW(pcc(expected, std::vector<double>{1}), InvalidArgument);
}

}  // namespace
}  // namespace shardwise::reference
