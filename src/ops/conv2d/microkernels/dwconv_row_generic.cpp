// The generic row kernels: any kernel width, stride and dilation (the sliding-window
// kernels in dwconv_row_sliding-inl.h take the common widths faster). One source,
// compiled per SIMD target by Highway; see dwconv_row.hpp for the layouts and the
// arithmetic.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/conv2d/microkernels/dwconv_row_generic.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ops/conv2d/microkernels/dwconv_row-inl.h"

HWY_BEFORE_NAMESPACE();
namespace shardwise::HWY_NAMESPACE {

// Output pixels per register tile: 8 x 2 vectors (16 accumulators) where there are 32
// vector registers (AVX-512), 4 x 2 elsewhere (AVX2 has 16).
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr std::size_t kWidePixels = 8;
#else
constexpr std::size_t kWidePixels = 4;
#endif

// Tap (r, j) of a register tile: pixels t in [lo, hi) read input column
// col0 + t*stride of kernel row r. kWhole: all kPixels pixels (the common case, one
// straight run of FMAs); otherwise pixels outside [lo, hi) lie in the left or right
// padding and are skipped.
template <typename In, std::size_t kPixels, std::size_t kVectors, bool kMasked, bool kWhole>
HWY_INLINE void tap(const DwRowShape& s, const DwRowCall& call, std::uint32_t r, std::uint32_t j, std::int64_t col0, std::int64_t lo,
                    std::int64_t hi, std::size_t c, std::size_t tail, VF (&acc)[kPixels][kVectors]) {
  const DF df;
  const std::size_t N = hn::Lanes(df);
  const std::int64_t pixel = static_cast<std::int64_t>(s.in_pixel_stride);
  const std::int64_t step = static_cast<std::int64_t>(s.stride_w) * pixel;
  const In* x = static_cast<const In*>(call.rows[r]) + c + (col0 + lo * s.stride_w) * pixel;  // pixel lo: inside the row
  const float* wp = call.weights + (std::size_t{r} * s.kernel_w + j) * s.packed_channels + c;
  VF w[kVectors];
  for (std::size_t v = 0; v < kVectors; ++v) w[v] = hn::LoadU(df, wp + v * N);
  for (std::size_t t = 0; t < kPixels; ++t) {
    if constexpr (!kWhole) {
      if (static_cast<std::int64_t>(t) < lo || static_cast<std::int64_t>(t) >= hi) continue;
    }
    const In* xt = x + (static_cast<std::int64_t>(t) - lo) * step;
    for (std::size_t v = 0; v < kVectors; ++v) acc[t][v] = hn::MulAdd(load_channels<kMasked>(df, xt + v * N, tail), w[v], acc[t][v]);
  }
}

// A register tile: kPixels output pixels from `wo` x kVectors channel vectors from
// channel offset `c` (kMasked: one vector holding the last `tail` channels). Taps in
// row-major order (kernel rows top to bottom, taps left to right), as the sliding
// kernels sum them.
template <typename In, typename Out, Activation kAct, std::size_t kPixels, std::size_t kVectors, bool kMasked>
HWY_INLINE void tile(const DwRowShape& s, const DwRowCall& call, std::uint32_t wo, std::size_t c, std::size_t tail) {
  const DF df;
  VF acc[kPixels][kVectors];
  for (std::size_t t = 0; t < kPixels; ++t)
    for (std::size_t v = 0; v < kVectors; ++v) acc[t][v] = hn::Zero(df);
  const std::int64_t first_col = std::int64_t{wo} * s.stride_w - s.pad_left;
  const std::int64_t stride = s.stride_w, width = s.in_width;
  for (std::uint32_t r = 0; r < call.num_rows; ++r)
    for (std::uint32_t j = 0; j < s.kernel_w; ++j) {
      const std::int64_t col0 = first_col + std::int64_t{j} * s.dilation_w;  // pixel 0's input column for this tap
      if (col0 >= 0 && col0 + static_cast<std::int64_t>(kPixels - 1) * stride < width) {  // no division on this path
        tap<In, kPixels, kVectors, kMasked, true>(s, call, r, j, col0, 0, kPixels, c, tail, acc);
        continue;
      }
      // Near the ends: pixels t with 0 <= col0 + t*stride < width.
      const std::int64_t lo = col0 >= 0 ? 0 : (-col0 + stride - 1) / stride;
      const std::int64_t hi = col0 >= width ? 0 : std::min<std::int64_t>(kPixels, (width - col0 + stride - 1) / stride);
      if (lo < hi) tap<In, kPixels, kVectors, kMasked, false>(s, call, r, j, col0, lo, hi, c, tail, acc);
    }
  store_tile<Out, kAct, kPixels, kVectors, kMasked>(acc, call.bias + c, static_cast<Out*>(call.out) + c + std::size_t{wo} * s.out_pixel_stride,
                                                    s.out_pixel_stride, tail, s.stream_output);
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
  // After each pixel tile, prefetch the next row's input columns it moved past.
  const std::int64_t stride = s.stride_w, pad = s.pad_left;
  std::uint32_t wo = 0;
  for (; wo + kWidePixels <= s.out_width; wo += kWidePixels) {
    pixel_tile<In, Out, kAct, kWidePixels>(s, call, wo);
    prefetch_next_rows<In>(s, call, wo == 0 ? 0 : wo * stride - pad, (wo + kWidePixels) * stride - pad);
  }
  if constexpr (kWidePixels > 4)
    for (; wo + 4 <= s.out_width; wo += 4) {
      pixel_tile<In, Out, kAct, 4>(s, call, wo);
      prefetch_next_rows<In>(s, call, wo == 0 ? 0 : wo * stride - pad, (wo + 4) * stride - pad);
    }
  for (; wo < s.out_width; ++wo) pixel_tile<In, Out, kAct, 1>(s, call, wo);
  prefetch_next_rows<In>(s, call, wo * stride - pad, s.in_width);
}

template <Activation kAct>
void fill(DwRowKernelTable& k, int a) {
  k.fn[0][0][a][0] = DwRow<float, float, kAct>;
  k.fn[0][1][a][0] = DwRow<float, std::uint16_t, kAct>;
  k.fn[1][0][a][0] = DwRow<std::uint16_t, float, kAct>;
  k.fn[1][1][a][0] = DwRow<std::uint16_t, std::uint16_t, kAct>;
}

DwRowKernelTable Generic() {
  DwRowKernelTable k;
  fill<Activation::NONE>(k, 0);
  fill<Activation::RELU>(k, 1);
  fill<Activation::RELU6>(k, 2);
  describe<2, kWidePixels>(k);
  return k;
}

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shardwise {
HWY_EXPORT(Generic);
DwRowKernelTable generic_row_kernels() { return HWY_DYNAMIC_DISPATCH(Generic)(); }
}  // namespace shardwise
#endif
