// dwconv_window.hpp, compiled for every SIMD target (Highway foreach_target).
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/conv2d/microkernels/dwconv_window.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ops/conv2d/microkernels/dwconv_window.hpp"
#include "ops/conv2d/microkernels/partial_load-inl.h"

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
  const auto bits = kPartial ? load_u16_first_n(d16, p, n) : hn::LoadU(d16, p);
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

// --- the epilogue ------------------------------------------------------------------
template <int kAct>
HWY_INLINE hn::Vec<DF> finish_activate(DF df, hn::Vec<DF> x) {
  if constexpr (kAct == 1) return hn::IfThenElseZero(hn::Gt(x, hn::Zero(df)), x);
  if constexpr (kAct == 2) {
    const auto r = hn::IfThenElseZero(hn::Gt(x, hn::Zero(df)), x);  // NaN -> 0, -0 -> +0, as glibc's fmaxf(x, 0)
    const auto six = hn::Set(df, 6.0f);
    return hn::IfThenElse(hn::Le(r, six), r, six);
  }
  return x;
}
template <bool kPartial>
HWY_INLINE void store_finished(DF df, hn::Vec<DF> y, float* out, std::size_t n) {
  if constexpr (kPartial) hn::BlendedStore(y, hn::FirstN(df, n), df, out);
  else hn::StoreU(y, df, out);
}
template <bool kPartial>
HWY_INLINE void store_finished(DF /*df*/, hn::Vec<DF> y, std::uint16_t* out, std::size_t n) {
  const hn::RebindToUnsigned<DF> du;
  const hn::Rebind<std::uint16_t, DF> d16;
  const auto bits = hn::BitCast(du, y);
  const auto lsb = hn::And(hn::ShiftRight<16>(bits), hn::Set(du, 1u));
  auto rounded = hn::ShiftRight<16>(hn::Add(bits, hn::Add(hn::Set(du, 0x7FFFu), lsb)));
  rounded = hn::IfThenElse(hn::RebindMask(du, hn::IsNaN(y)), hn::Set(du, 0x7FC0u), rounded);
  const auto half = hn::DemoteTo(d16, hn::BitCast(hn::RebindToSigned<DF>(), rounded));
  if constexpr (kPartial) hn::BlendedStore(half, hn::FirstN(d16, n), d16, out);
  else hn::StoreU(half, d16, out);
}
template <int kAct, typename Out>
void Finish(const float* acc, const float* bias, std::uint32_t P, Out* out) {
  const DF df;
  const std::size_t N = hn::Lanes(df);
  std::size_t c = 0;
  for (; c + N <= P; c += N)
    store_finished<false>(df, finish_activate<kAct>(df, hn::Add(hn::LoadU(df, acc + c), hn::LoadU(df, bias + c))), out + c, N);
  if (c < P) {
    const auto m = hn::FirstN(df, P - c);
    const auto y = hn::Add(hn::MaskedLoad(m, df, acc + c), hn::MaskedLoad(m, df, bias + c));
    store_finished<true>(df, finish_activate<kAct>(df, y), out + c, P - c);
  }
}
template <typename Out>
void FinishAny(const float* acc, const float* bias, std::uint32_t P, int activation, Out* out) {
  if (activation == 1) Finish<1>(acc, bias, P, out);
  else if (activation == 2) Finish<2>(acc, bias, P, out);
  else Finish<0>(acc, bias, P, out);
}
void FinishF32(const float* acc, const float* bias, std::uint32_t P, int activation, float* out) { FinishAny(acc, bias, P, activation, out); }
void FinishBf16(const float* acc, const float* bias, std::uint32_t P, int activation, std::uint16_t* out) {
  FinishAny(acc, bias, P, activation, out);
}

void WindowSumF32(const float* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc) { WindowSum(x, w, K, P, acc); }
void WindowSumBf16(const std::uint16_t* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc) { WindowSum(x, w, K, P, acc); }

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shardwise {
HWY_EXPORT(WindowSumF32);
HWY_EXPORT(WindowSumBf16);
HWY_EXPORT(FinishF32);
HWY_EXPORT(FinishBf16);

void dw_window_finish(const float* acc, const float* bias, std::uint32_t P, int activation, float* out) {
  HWY_DYNAMIC_DISPATCH(FinishF32)(acc, bias, P, activation, out);
}
void dw_window_finish(const float* acc, const float* bias, std::uint32_t P, int activation, std::uint16_t* out_bf16) {
  HWY_DYNAMIC_DISPATCH(FinishBf16)(acc, bias, P, activation, out_bf16);
}

void dw_window_sum(const float* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc) {
  HWY_DYNAMIC_DISPATCH(WindowSumF32)(x, w, K, P, acc);
}
void dw_window_sum(const std::uint16_t* x_bf16, const float* w, std::uint32_t K, std::uint32_t P, float* acc) {
  HWY_DYNAMIC_DISPATCH(WindowSumBf16)(x_bf16, w, K, P, acc);
}
}  // namespace shardwise
#endif
