// dwconv_window.hpp, compiled for every SIMD target (Highway foreach_target).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/conv2d/microkernels/dwconv_window.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ops/conv2d/microkernels/dwconv_window.hpp"

HWY_BEFORE_NAMESPACE();
namespace shardwise::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;

template <bool kPartial>
HWY_INLINE hn::Vec<DF> load_w(DF df, const float* p, std::size_t n) {
  if constexpr (kPartial) return hn::MaskedLoad(hn::FirstN(df, n), df, p);
  else return hn::LoadU(df, p);
}
template <bool kPartial>
HWY_INLINE hn::Vec<DF> load_x(DF df, const float* p, std::size_t n) { return load_w<kPartial>(df, p, n); }
template <bool kPartial>
HWY_INLINE hn::Vec<DF> load_x(DF df, const std::uint16_t* p, std::size_t n) {
  const hn::Rebind<std::uint16_t, DF> d16;
  const hn::RebindToUnsigned<DF> d32;
  const auto bits = kPartial ? hn::MaskedLoad(hn::FirstN(d16, n), d16, p) : hn::LoadU(d16, p);
  return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(d32, bits)));
}

// kVectors vectors of channels from c (kPartial: one vector of the last n channels):
// the window positions in order. Several vectors at once, because each sum is a chain
// of dependent adds (one per window position): four chains keep the adder busy.
template <std::size_t kVectors, bool kPartial, typename In>
HWY_INLINE void window_vectors(const In* x, const float* w, std::uint32_t K, std::uint32_t P, std::size_t c, std::size_t n, float* acc) {
  const DF df;
  const std::size_t N = hn::Lanes(df);
  hn::Vec<DF> sum[kVectors];
  for (std::size_t v = 0; v < kVectors; ++v) sum[v] = hn::Zero(df);
  for (std::uint32_t k = 0; k < K; ++k) {
    const In* xk = x + std::size_t{k} * P + c;
    const float* wk = w + std::size_t{k} * P + c;
    for (std::size_t v = 0; v < kVectors; ++v)
      sum[v] = hn::Add(sum[v], hn::Mul(load_x<kPartial>(df, xk + v * N, n), load_w<kPartial>(df, wk + v * N, n)));
  }
  for (std::size_t v = 0; v < kVectors; ++v) {
    if constexpr (kPartial) hn::BlendedStore(sum[v], hn::FirstN(df, n), df, acc + c);
    else hn::StoreU(sum[v], df, acc + c + v * N);
  }
}

// Channels in vector lanes: blocks of four vectors, single vectors, then one masked
// vector for the last channels (masked loads and stores touch only the channels that exist).
template <typename In>
void WindowSum(const In* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc) {
  const std::size_t N = hn::Lanes(DF());
  std::size_t c = 0;
  for (; c + 4 * N <= P; c += 4 * N) window_vectors<4, false>(x, w, K, P, c, N, acc);
  for (; c + N <= P; c += N) window_vectors<1, false>(x, w, K, P, c, N, acc);
  if (c < P) window_vectors<1, true>(x, w, K, P, c, P - c, acc);
}

void WindowSumF32(const float* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc) { WindowSum(x, w, K, P, acc); }
void WindowSumBf16(const std::uint16_t* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc) { WindowSum(x, w, K, P, acc); }

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shardwise {
HWY_EXPORT(WindowSumF32);
HWY_EXPORT(WindowSumBf16);

void dw_window_sum(const float* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc) {
  HWY_DYNAMIC_DISPATCH(WindowSumF32)(x, w, K, P, acc);
}
void dw_window_sum(const std::uint16_t* x_bf16, const float* w, std::uint32_t K, std::uint32_t P, float* acc) {
  HWY_DYNAMIC_DISPATCH(WindowSumBf16)(x_bf16, w, K, P, acc);
}
}  // namespace shardwise
#endif
