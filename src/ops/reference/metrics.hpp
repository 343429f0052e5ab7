#pragma once
// Comparison metrics between a result and the double-precision reference.
#include <cstdint>
#include <span>

namespace shardwise::reference {

// Pearson correlation as the reference system's test computes it (section 8):
//  - both all-NaN -> 1.0; exactly one all-NaN -> 0.0;
//  - exactly one of them all-zero -> 0.0;
//  - NaN and +-inf replaced by 0, then identical vectors -> 1.0;
//  - zero variance in either (the correlation is undefined; numpy's masked result,
//    which the reference treats as a pass) -> 1.0;
//  - otherwise the correlation coefficient.
double pcc(std::span<const double> expected, std::span<const double> actual);

// max |expected - actual| and that divided by max |expected| (0 when both are 0).
double max_abs_error(std::span<const double> expected, std::span<const double> actual);
double normalized_max_error(std::span<const double> expected, std::span<const double> actual);

// How many values of a tensor are NaN and how many are +-infinity.
struct NonFinite {
  std::uint64_t nan = 0;
  std::uint64_t inf = 0;
  std::uint64_t total() const { return nan + inf; }
};
NonFinite count_nonfinite(std::span<const float> values);
NonFinite count_nonfinite(std::span<const double> values);

struct Comparison {
  double pcc = 0;
  double max_abs_err = 0;
  double norm_max_err = 0;
  // Non-finite values on either side: the PCC above maps them to 0 (as the reference
  // system's test does), so it cannot be read as a verdict when these are non-zero.
  NonFinite expected_nonfinite, actual_nonfinite;
};
Comparison compare(std::span<const double> expected, std::span<const double> actual);

}  // namespace shardwise::reference
