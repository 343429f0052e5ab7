// The probe's two kernels, compiled once per SIMD target and dispatched at run time:
// a register-resident FMA loop (12 independent accumulators, enough to cover the FMA
// latency on two ports) and a streaming read (4 accumulators).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "machine_kernels.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "machine_probe.hpp"

HWY_BEFORE_NAMESPACE();
namespace shardwise::bench::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

double FmaFlops(std::uint64_t iterations, float seed) {
  const hn::ScalableTag<float> d;
  const auto m = hn::Set(d, 0.999999f), a = hn::Set(d, 1e-7f);
  auto v0 = hn::Set(d, seed), v1 = hn::Add(v0, a), v2 = hn::Add(v1, a), v3 = hn::Add(v2, a), v4 = hn::Add(v3, a),
       v5 = hn::Add(v4, a), v6 = hn::Add(v5, a), v7 = hn::Add(v6, a), v8 = hn::Add(v7, a), v9 = hn::Add(v8, a),
       v10 = hn::Add(v9, a), v11 = hn::Add(v10, a);
  for (std::uint64_t i = 0; i < iterations; ++i) {
    v0 = hn::MulAdd(v0, m, a); v1 = hn::MulAdd(v1, m, a); v2 = hn::MulAdd(v2, m, a); v3 = hn::MulAdd(v3, m, a);
    v4 = hn::MulAdd(v4, m, a); v5 = hn::MulAdd(v5, m, a); v6 = hn::MulAdd(v6, m, a); v7 = hn::MulAdd(v7, m, a);
    v8 = hn::MulAdd(v8, m, a); v9 = hn::MulAdd(v9, m, a); v10 = hn::MulAdd(v10, m, a); v11 = hn::MulAdd(v11, m, a);
  }
  const auto sum = hn::Add(hn::Add(hn::Add(v0, v1), hn::Add(v2, v3)), hn::Add(hn::Add(hn::Add(v4, v5), hn::Add(v6, v7)),
                                                                             hn::Add(hn::Add(v8, v9), hn::Add(v10, v11))));
  // Keeps the loop alive: the result feeds the return value.
  return hn::GetLane(hn::SumOfLanes(d, sum)) == -1.0f ? 0.0 : static_cast<double>(iterations) * 12 * hn::Lanes(d) * 2;
}

float ReadSum(const float* data, std::size_t count) {
  const hn::ScalableTag<float> d;
  const std::size_t N = hn::Lanes(d);
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  for (std::size_t i = 0; i + 4 * N <= count; i += 4 * N) {
    s0 = hn::Add(s0, hn::LoadU(d, data + i));
    s1 = hn::Add(s1, hn::LoadU(d, data + i + N));
    s2 = hn::Add(s2, hn::LoadU(d, data + i + 2 * N));
    s3 = hn::Add(s3, hn::LoadU(d, data + i + 3 * N));
  }
  return hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
}

}  // namespace shardwise::bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shardwise::bench {

HWY_EXPORT(FmaFlops);
HWY_EXPORT(ReadSum);

double fma_flops(std::uint64_t iterations, float seed) { return HWY_DYNAMIC_DISPATCH(FmaFlops)(iterations, seed); }
float read_sum(const float* data, std::size_t count) { return HWY_DYNAMIC_DISPATCH(ReadSum)(data, count); }

std::string dispatched_simd_target() {
  const std::vector<std::int64_t> targets = hwy::SupportedAndGeneratedTargets();
  return targets.empty() ? "none" : hwy::TargetName(targets.front());
}

}  // namespace shardwise::bench
#endif
