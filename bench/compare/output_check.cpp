#include "output_check.hpp"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "ops/reference/metrics.hpp"

namespace shardwise::bench {

CheckResult check_output(Dtype dtype, std::span<const double> expected, std::span<const float> actual) {
  CheckResult r;
  if (expected.size() != actual.size()) {
    r.summary = fmt::format("FAILED: {} output values, the reference has {}", actual.size(), expected.size());
    return r;
  }
  std::size_t non_finite = 0;
  for (float v : actual) non_finite += !std::isfinite(v);
  const std::vector<double> got(actual.begin(), actual.end());
  const reference::Comparison c = reference::compare(expected, got);
  r.pcc = c.pcc;
  r.max_abs_err = c.max_abs_err;
  r.norm_max_err = c.norm_max_err;
  const double min_pcc = dtype == Dtype::FLOAT32 ? 0.99999 : 0.999;
  const double max_norm = dtype == Dtype::FLOAT32 ? 1e-5 : 2e-2;
  r.ok = non_finite == 0 && c.pcc >= min_pcc && c.norm_max_err <= max_norm;
  r.summary = fmt::format("pcc {:.7f} max abs {:.2g} norm {:.2g}", c.pcc, c.max_abs_err, c.norm_max_err);
  if (!r.ok)
    r.summary += fmt::format(" FAILED: needs pcc >= {} and norm <= {:g}, no NaN/inf ({} found)", min_pcc, max_norm, non_finite);
  return r;
}

}  // namespace shardwise::bench
