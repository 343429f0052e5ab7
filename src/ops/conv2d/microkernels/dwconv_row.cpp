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
  std::size_t wide_pixels;  // output pixels per register tile
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

// Output pixels per register tile: 8 x 2 vectors (16 accumulators) where there are 32
// vector registers (AVX-512), 4 x 2 elsewhere (AVX2 has 16).
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr std::size_t kWidePixels = 8;
#else
constexpr std::size_t kWidePixels = 4;
#endif

// One tap (kernel column) of a register tile over every valid kernel row: pixels t
// in [lo, hi) read input column col0 + t*stride. kWhole: all kPixels pixels (the common
// case, one straight run of FMAs); otherwise pixels outside [lo, hi) lie in the
// left or right padding and are skipped.
template <typename In, std::size_t kPixels, std::size_t kVectors, bool kMasked, bool kWhole>
HWY_INLINE void tap(const DwRowShape& s, const DwRowCall& call, std::uint32_t j, std::int64_t col0, std::int64_t lo,
                    std::int64_t hi, std::size_t c, std::size_t tail, VF (&acc)[kPixels][kVectors]) {
  const DF df;
  const std::size_t N = hn::Lanes(df);
  const std::int64_t pixel = static_cast<std::int64_t>(s.in_pixel_stride);
  const std::int64_t step = static_cast<std::int64_t>(s.stride_w) * pixel;
  for (std::uint32_t r = 0; r < call.num_rows; ++r) {
    const In* x = static_cast<const In*>(call.rows[r]) + c + (col0 + lo * s.stride_w) * pixel;  // pixel lo: inside the row
    const float* wp = call.weights + (std::size_t{r} * s.kernel_w + j) * s.packed_channels + c;
    VF w[kVectors];
    for (std::size_t v = 0; v < kVectors; ++v) w[v] = hn::LoadU(df, wp + v * N);
    for (std::size_t t = 0; t < kPixels; ++t) {
      if constexpr (!kWhole) {
        if (static_cast<std::int64_t>(t) < lo || static_cast<std::int64_t>(t) >= hi) continue;
      }
      const In* xt = x + (static_cast<std::int64_t>(t) - lo) * step;
      for (std::size_t v = 0; v < kVectors; ++v) {
        const VF xv = kMasked ? load_in_n(df, xt + v * N, tail) : load_in(df, xt + v * N);
        acc[t][v] = hn::MulAdd(xv, w[v], acc[t][v]);
      }
    }
  }
}

// A register tile: kPixels output pixels from `wo` x kVectors channel vectors from
// channel offset `c` (kMasked: one vector holding the last `tail` channels).
template <typename In, typename Out, Activation kAct, std::size_t kPixels, std::size_t kVectors, bool kMasked>
HWY_INLINE void tile(const DwRowShape& s, const DwRowCall& call, std::uint32_t wo, std::size_t c, std::size_t tail) {
  const DF df;
  const std::size_t N = hn::Lanes(df);
  VF acc[kPixels][kVectors];
  for (std::size_t t = 0; t < kPixels; ++t)
    for (std::size_t v = 0; v < kVectors; ++v) acc[t][v] = hn::Zero(df);
  const std::int64_t first_col = std::int64_t{wo} * s.stride_w - s.pad_left;
  const std::int64_t stride = s.stride_w, width = s.in_width;
  for (std::uint32_t j = 0; j < s.kernel_w; ++j) {
    const std::int64_t col0 = first_col + std::int64_t{j} * s.dilation_w;  // pixel 0's input column for this tap
    if (col0 >= 0 && col0 + static_cast<std::int64_t>(kPixels - 1) * stride < width) {  // no division on this path
      tap<In, kPixels, kVectors, kMasked, true>(s, call, j, col0, 0, kPixels, c, tail, acc);
      continue;
    }
    // Near the ends: pixels t with 0 <= col0 + t*stride < width.
    const std::int64_t lo = col0 >= 0 ? 0 : (-col0 + stride - 1) / stride;
    const std::int64_t hi = col0 >= width ? 0 : std::min<std::int64_t>(kPixels, (width - col0 + stride - 1) / stride);
    if (lo < hi) tap<In, kPixels, kVectors, kMasked, false>(s, call, j, col0, lo, hi, c, tail, acc);
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

// kPixels output pixels from `wo` across every channel: 2-vector blocks, then one
// vector, then the masked tail. Channels inner, so each pixel's channels (contiguous in
// NHWC) are read and written in order.
template <typename In, typename Out, Activation kAct, std::size_t kPixels>
HWY_INLINE void pixel_tile(const DwRowShape& s, const DwRowCall& call, std::uint32_t wo) {
  const std::size_t N = hn::Lanes(DF());
  std::size_t c = 0;
  for (; c + 2 * N <= call.channels; c += 2 * N) tile<In, Out, kAct, kPixels, 2, false>(s, call, wo, c, 0);
  for (; c + N <= call.channels; c += N) tile<In, Out, kAct, kPixels, 1, false>(s, call, wo, c, 0);
  if (c < call.channels) tile<In, Out, kAct, kPixels, 1, true>(s, call, wo, c, call.channels - c);
}

template <typename In, typename Out, Activation kAct>
void DwRow(const DwRowShape& s, const DwRowCall& call) {
  std::uint32_t wo = 0;
  for (; wo + kWidePixels <= s.out_width; wo += kWidePixels) pixel_tile<In, Out, kAct, kWidePixels>(s, call, wo);
  if constexpr (kWidePixels > 4)
    for (; wo + 4 <= s.out_width; wo += 4) pixel_tile<In, Out, kAct, 4>(s, call, wo);
  for (; wo < s.out_width; ++wo) pixel_tile<In, Out, kAct, 1>(s, call, wo);
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
  k.wide_pixels = kWidePixels;
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
          fmt::format("dwconv_row_{}_f32acc_{}_{}_{}c{}p_{}", short_name(input), short_name(output), to_string(activation), 2 * k.lanes,
                      k.wide_pixels, k.target)};
}

}  // namespace shardwise
#endif
