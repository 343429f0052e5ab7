#pragma once
// A library's output against the double-precision reference, with per-dtype bounds:
// a library that disagrees is reported and not timed.
#include <span>
#include <string>

#include "bench_case.hpp"

namespace shardwise::bench {

struct CheckResult {
  bool ok = false;
  double pcc = 0;
  double max_abs_err = 0;
  double norm_max_err = 0;  // max abs error / max |reference|
  std::string summary;      // "pcc 0.9999998 max abs 1.2e-06 norm 3.1e-07" (+ " FAILED: why")
};

// Bounds: float32 PCC >= 0.99999 and normalized max error <= 1e-5 (float32 sums of up
// to 49 products); bfloat16 PCC >= 0.999 and normalized max error <= 2e-2 (one
// bfloat16 rounding of the output, 2^-8 relative, plus the accumulation order).
// A NaN or infinity in the output fails.
CheckResult check_output(Dtype dtype, std::span<const double> expected, std::span<const float> actual);

}  // namespace shardwise::bench
