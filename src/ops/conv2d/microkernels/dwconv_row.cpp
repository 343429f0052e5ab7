// One source, compiled per SIMD target (AVX-512, AVX2, portable EMU128) by Highway;
// see dwconv_row.hpp for the layouts and the arithmetic.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/conv2d/microkernels/dwconv_row.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ops/conv2d/microkernels/dwconv_row.hpp"

#ifndef SHARDWISE_DWCONV_ROW_TABLE
#define SHARDWISE_DWCONV_ROW_TABLE
namespace shardwise {
// The row kernels of one target, indexed [input bf16][output bf16][activation]; one
// type for every target so that the dispatch table can return it.
struct DwRowKernelTable {
  DwRowFn fn[2][2][3];
  const char* target;
  std::size_t lanes;  // float32 lanes per vector
};
}  // namespace shardwise
#endif

HWY_BEFORE_NAMESPACE();
namespace shardwise::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

// --- loads and stores of one vector of channels, full or the first n lanes -----------
HWY_INLINE VF load_in(DF df, const float* p) { return hn::LoadU(df, p); }
HWY_INLINE VF load_in(DF df, const std::uint16_t* p) {
  const hn::Rebind<std::uint16_t, DF> d16;
  const hn::RebindToUnsigned<DF> d32;
  return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(d32, hn::LoadU(d16, p))));
}
HWY_INLINE VF load_in_n(DF df, const float* p, std::size_t n) { return hn::MaskedLoad(hn::FirstN(df, n), df, p); }
HWY_INLINE VF load_in_n(DF df, const std::uint16_t* p, std::size_t n) {
  const hn::Rebind<std::uint16_t, DF> d16;
  const hn::RebindToUnsigned<DF> d32;
  return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(d32, hn::MaskedLoad(hn::FirstN(d16, n), d16, p))));
}

// float32 -> bfloat16 bits: round to nearest even, NaN -> 0x7FC0 (core/bfloat16).
HWY_INLINE hn::Vec<hn::Rebind<std::uint16_t, DF>> to_bf16(DF df, VF v) {
  const hn::RebindToUnsigned<DF> d32;
  const hn::RebindToSigned<DF> di32;
  const hn::Rebind<std::uint16_t, DF> d16;
  const auto bits = hn::BitCast(d32, v);
  const auto lsb = hn::And(hn::ShiftRight<16>(bits), hn::Set(d32, 1u));
  auto rounded = hn::ShiftRight<16>(hn::Add(bits, hn::Add(hn::Set(d32, 0x7FFFu), lsb)));
  rounded = hn::IfThenElse(hn::RebindMask(d32, hn::IsNaN(v)), hn::Set(d32, 0x7FC0u), rounded);
  (void)df;
  return hn::DemoteTo(d16, hn::BitCast(di32, rounded));
}
HWY_INLINE void store_out(DF, VF v, float* p) { hn::StoreU(v, DF(), p); }
HWY_INLINE void store_out(DF df, VF v, std::uint16_t* p) { hn::StoreU(to_bf16(df, v), hn::Rebind<std::uint16_t, DF>(), p); }
HWY_INLINE void store_out_n(DF df, VF v, float* p, std::size_t n) { hn::BlendedStore(v, hn::FirstN(df, n), df, p); }
HWY_INLINE void store_out_n(DF df, VF v, std::uint16_t* p, std::size_t n) {
  const hn::Rebind<std::uint16_t, DF> d16;
  hn::BlendedStore(to_bf16(df, v), hn::FirstN(d16, n), d16, p);
}

template <Activation kAct>
HWY_INLINE VF activate(DF df, VF v) {
  if constexpr (kAct == Activation::RELU) return hn::Max(v, hn::Zero(df));
  if constexpr (kAct == Activation::RELU6) return hn::Min(hn::Max(v, hn::Zero(df)), hn::Set(df, 6.0f));
  return v;
}

// A register tile: kPixels output pixels x kVectors channel vectors starting at channel
// offset `c`. kMasked: one vector holding the last `tail` channels. kEdge: a single
// pixel near the row's ends, whose taps outside the row are skipped.
template <typename In, typename Out, Activation kAct, std::size_t kPixels, std::size_t kVectors, bool kMasked, bool kEdge>
HWY_INLINE void tile(const DwRowShape& s, const DwRowCall& call, std::uint32_t wo, std::size_t c, std::size_t tail) {
  const DF df;
  const std::size_t N = hn::Lanes(df);
  VF acc[kPixels][kVectors];
  for (std::size_t t = 0; t < kPixels; ++t)
    for (std::size_t v = 0; v < kVectors; ++v) acc[t][v] = hn::Zero(df);
  const std::int64_t first_col = std::int64_t{wo} * s.stride_w - s.pad_left;
  for (std::uint32_t r = 0; r < call.num_rows; ++r) {
    const In* row = static_cast<const In*>(call.rows[r]) + c;
    const float* wrow = call.weights + std::size_t{r} * s.kernel_w * s.packed_channels + c;
    for (std::uint32_t j = 0; j < s.kernel_w; ++j) {
      const std::int64_t col = first_col + std::int64_t{j} * s.dilation_w;
      if constexpr (kEdge) {
        if (col < 0 || col >= std::int64_t{s.in_width}) continue;
      }
      VF w[kVectors];
      for (std::size_t v = 0; v < kVectors; ++v) w[v] = hn::LoadU(df, wrow + std::size_t{j} * s.packed_channels + v * N);
      for (std::size_t t = 0; t < kPixels; ++t) {
        const In* x = row + static_cast<std::size_t>(col + std::int64_t(t * s.stride_w)) * s.in_pixel_stride;
        for (std::size_t v = 0; v < kVectors; ++v) {
          const VF xv = kMasked ? load_in_n(df, x + v * N, tail) : load_in(df, x + v * N);
          acc[t][v] = hn::MulAdd(xv, w[v], acc[t][v]);
        }
      }
    }
  }
  Out* out = static_cast<Out*>(call.out) + c + std::size_t{wo} * s.out_pixel_stride;
  for (std::size_t v = 0; v < kVectors; ++v) {
    const VF b = hn::LoadU(df, call.bias + c + v * N);
    for (std::size_t t = 0; t < kPixels; ++t) {
      const VF y = activate<kAct>(df, hn::Add(acc[t][v], b));
      if constexpr (kMasked) store_out_n(df, y, out + t * s.out_pixel_stride, tail);
      else store_out(df, y, out + t * s.out_pixel_stride + v * N);
    }
  }
}

// One channel group (kVectors vectors, or the masked tail) across the whole row.
template <typename In, typename Out, Activation kAct, std::size_t kVectors, bool kMasked>
HWY_INLINE void row_span(const DwRowShape& s, const DwRowCall& call, std::size_t c, std::size_t tail) {
  constexpr std::size_t kPixels = 4;
  std::uint32_t wo = 0;
  for (; wo < s.interior_begin; ++wo) tile<In, Out, kAct, 1, kVectors, kMasked, true>(s, call, wo, c, tail);
  for (; wo + kPixels <= s.interior_end; wo += kPixels) tile<In, Out, kAct, kPixels, kVectors, kMasked, false>(s, call, wo, c, tail);
  for (; wo < s.interior_end; ++wo) tile<In, Out, kAct, 1, kVectors, kMasked, false>(s, call, wo, c, tail);
  for (; wo < s.out_width; ++wo) tile<In, Out, kAct, 1, kVectors, kMasked, true>(s, call, wo, c, tail);
}

template <typename In, typename Out, Activation kAct>
void DwRow(const DwRowShape& s, const DwRowCall& call) {
  const std::size_t N = hn::Lanes(DF());
  std::size_t c = 0;
  for (; c + 2 * N <= call.channels; c += 2 * N) row_span<In, Out, kAct, 2, false>(s, call, c, 0);
  for (; c + N <= call.channels; c += N) row_span<In, Out, kAct, 1, false>(s, call, c, 0);
  if (c < call.channels) row_span<In, Out, kAct, 1, true>(s, call, c, call.channels - c);
}

template <Activation kAct>
void fill(DwRowKernelTable& k, int a) {
  k.fn[0][0][a] = DwRow<float, float, kAct>;
  k.fn[0][1][a] = DwRow<float, std::uint16_t, kAct>;
  k.fn[1][0][a] = DwRow<std::uint16_t, float, kAct>;
  k.fn[1][1][a] = DwRow<std::uint16_t, std::uint16_t, kAct>;
}

DwRowKernelTable GetRowKernels() {
  DwRowKernelTable k{};
  fill<Activation::NONE>(k, 0);
  fill<Activation::RELU>(k, 1);
  fill<Activation::RELU6>(k, 2);
  k.target = hwy::TargetName(HWY_TARGET);
  k.lanes = hn::Lanes(DF());
  return k;
}

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include <fmt/format.h>

#include "core/error.hpp"

namespace shardwise {

HWY_EXPORT(GetRowKernels);

namespace {
int activation_index(Activation a) { return a == Activation::NONE ? 0 : a == Activation::RELU ? 1 : 2; }
const char* short_name(DataType d) { return d == DataType::FLOAT32 ? "f32" : "bf16"; }
}  // namespace

bool dw_row_supports(Activation a) { return a == Activation::NONE || a == Activation::RELU || a == Activation::RELU6; }

std::vector<std::int64_t> dw_row_targets() { return hwy::SupportedAndGeneratedTargets(); }

DwRowMicrokernel select_dw_row_microkernel(DataType input, DataType output, Activation activation, std::int64_t target) {
  check_arg(dw_row_supports(activation), "the host row microkernels fuse none, relu and relu6, not {}", to_string(activation));
  check_arg((input == DataType::FLOAT32 || input == DataType::BFLOAT16) && (output == DataType::FLOAT32 || output == DataType::BFLOAT16),
            "the host row microkernels take float32 or bfloat16, not {} -> {}", to_string(input), to_string(output));
  if (target != 0) hwy::SetSupportedTargetsForTest(target);
  const DwRowKernelTable k = HWY_DYNAMIC_DISPATCH(GetRowKernels)();
  if (target != 0) hwy::SetSupportedTargetsForTest(0);
  return {k.fn[input == DataType::BFLOAT16][output == DataType::BFLOAT16][activation_index(activation)],
          fmt::format("dwconv_row_{}_f32acc_{}_{}_{}c4p_{}", short_name(input), short_name(output), to_string(activation), 2 * k.lanes,
                      k.target)};
}

}  // namespace shardwise
#endif
