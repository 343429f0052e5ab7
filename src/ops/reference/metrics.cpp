#include "ops/reference/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace shardwise::reference {
namespace {

void check_sizes(std::span<const double> a, std::span<const double> b) {
  check_arg(a.size() == b.size(), "cannot compare {} values with {} values", a.size(), b.size());
  check_arg(!a.empty(), "cannot compare empty vectors");
}

bool all_nan(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}
bool any_nonzero(std::span<const double> v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return x != 0.0; });
}
double finite_or_zero(double x) { return std::isfinite(x) ? x : 0.0; }

}  // namespace

double pcc(std::span<const double> expected, std::span<const double> actual) {
  check_sizes(expected, actual);
  const bool nan_e = all_nan(expected), nan_a = all_nan(actual);
  if (nan_e && nan_a) return 1.0;
  if (nan_e || nan_a) return 0.0;
  if (any_nonzero(expected) != any_nonzero(actual)) return 0.0;

  const std::size_t n = expected.size();
  std::vector<double> e(n), a(n);
  std::transform(expected.begin(), expected.end(), e.begin(), finite_or_zero);
  std::transform(actual.begin(), actual.end(), a.begin(), finite_or_zero);
  if (e == a) return 1.0;

  double mean_e = 0, mean_a = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean_e += e[i];
    mean_a += a[i];
  }
  mean_e /= static_cast<double>(n);
  mean_a /= static_cast<double>(n);
  double cov = 0, var_e = 0, var_a = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double de = e[i] - mean_e, da = a[i] - mean_a;
    cov += de * da;
    var_e += de * de;
    var_a += da * da;
  }
  if (var_e == 0.0 || var_a == 0.0) return 1.0;
  return std::clamp(cov / std::sqrt(var_e * var_a), -1.0, 1.0);
}

double max_abs_error(std::span<const double> expected, std::span<const double> actual) {
  check_sizes(expected, actual);
  double worst = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double d = std::fabs(expected[i] - actual[i]);
    if (std::isnan(d)) return d;
    worst = std::max(worst, d);
  }
  return worst;
}

double normalized_max_error(std::span<const double> expected, std::span<const double> actual) {
  const double err = max_abs_error(expected, actual);
  double scale = 0;
  for (double x : expected) scale = std::max(scale, std::fabs(x));
  if (scale == 0.0) return err;
  return err / scale;
}

namespace {
template <typename T>
NonFinite count(std::span<const T> values) {
  NonFinite n;
  for (const T v : values) {
    n.nan += std::isnan(v) ? 1 : 0;
    n.inf += std::isinf(v) ? 1 : 0;
  }
  return n;
}
}  // namespace

NonFinite count_nonfinite(std::span<const float> values) { return count(values); }
NonFinite count_nonfinite(std::span<const double> values) { return count(values); }

Comparison compare(std::span<const double> expected, std::span<const double> actual) {
  return {pcc(expected, actual), max_abs_error(expected, actual), normalized_max_error(expected, actual), count_nonfinite(expected),
          count_nonfinite(actual)};
}

}  // namespace shardwise::reference
