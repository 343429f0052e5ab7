// The sliding-window row kernels (kernel width kKw = 3, 5 or 7, stride 1 or 2, dilation
// 1), included once per SIMD target by dwconv_row_sliding_k{3,5,7}.cpp.
//
// A register tile is kPixels output pixels x kVectors channel vectors. Per valid kernel
// row it loads the row's kKw x kVectors weights into registers, then walks the
// (kPixels - 1) * kStride + kKw input columns the tile reads, left to right, loading each
// column's channels once (bfloat16 widened once) and feeding them to every output pixel
// whose window holds that column: input column i is tap j = i - t*kStride of pixel t.
// So an input vector is loaded once per kernel row instead of once per tap, and every
// index is a compile-time constant: the accumulators, the weights and the column stay
// in registers (the column loop and the tap loop are unrolled by parameter packs).
//
// Order of the float32 sums, per output: kernel rows top to bottom, within a row the
// taps left to right (valid taps only), each a fused multiply-add; then + bias. The
// same order as the generic kernels, on every target.
//
// Tiles near the row's ends (kEdge) test each column against [0, in_width) and skip the
// columns in the padding; all other tiles run without a test. Rows narrower than
// kPixels take 4-pixel, then 1-pixel tiles; the last tile of a row may overlap the one
// before it (it is shifted left to end at the last pixel, recomputing a few outputs
// with identical results) instead of needing a tile of every width. Pixel tiles outer,
// channel blocks inner: each pixel's channels are contiguous in NHWC, and a pass over
// one channel block at a time reads part of every pixel's cache lines (measured slower).
#if defined(SHARDWISE_DWCONV_ROW_SLIDING_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHARDWISE_DWCONV_ROW_SLIDING_INL_H_
#undef SHARDWISE_DWCONV_ROW_SLIDING_INL_H_
#else
#define SHARDWISE_DWCONV_ROW_SLIDING_INL_H_
#endif

#include <type_traits>
#include <utility>

#include "ops/conv2d/microkernels/dwconv_row-inl.h"

HWY_BEFORE_NAMESPACE();
namespace shardwise::HWY_NAMESPACE {

// Register tile widths: 2 vectors x 7 pixels (14 accumulators) with 32 vector registers
// (AVX-512); 1 vector x 7 pixels where there are 16 (AVX2) or lanes are scalar. Seven
// pixels because the real layers' output widths (112, 56, 28, 14, 7) are multiples of
// 7: no overlapping last tile there (8-pixel tiles measured slower on the 7- and 14-wide
// layers).
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr std::size_t kSlidingVectors = 2;
#else
constexpr std::size_t kSlidingVectors = 1;
#endif
constexpr std::size_t kSlidingPixels = 7;

// The two-row kernels (SlidingTwoRows): AVX-512 for every width, 2 rows x 7 pixels x 1
// vector; AVX2 for width 3 only, whose 16 registers hold 2 rows x 4 pixels (8
// accumulators), the two kernel rows' 6 weights and a column.
// kTwoRowMaxKw 0: none on this target.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr std::size_t kTwoRowPixels = 7, kTwoRowMaxKw = 7;
#elif HWY_TARGET == HWY_AVX2
constexpr std::size_t kTwoRowPixels = 4, kTwoRowMaxKw = 3;
#else
constexpr std::size_t kTwoRowPixels = 1, kTwoRowMaxKw = 0;
#endif

// kEvenOdd (bfloat16 in and out, 2 vectors): channels in even/odd lane order, the
// weights and bias from the even/odd copy (DwRowShape::even_odd_weights).
template <typename In, std::size_t kKw, std::size_t kStride, std::size_t kPixels, std::size_t kVectors, bool kMasked, bool kEdge,
          bool kEvenOdd = false>
struct SlidingTile {
  static constexpr std::size_t kColumns = (kPixels - 1) * kStride + kKw;
  using Acc = VF[kPixels][kVectors];
  using Weights = VF[kKw][kVectors];

  // Column I is tap J of output pixel (I - J) / kStride, when that is whole and in the tile.
  template <std::size_t I, std::size_t J>
  static HWY_INLINE void tap(const VF (&x)[kVectors], const Weights& w, Acc& acc) {
    if constexpr (I >= J && (I - J) % kStride == 0 && (I - J) / kStride < kPixels) {
      constexpr std::size_t t = (I - J) / kStride;
      for (std::size_t v = 0; v < kVectors; ++v) acc[t][v] = hn::MulAdd(x[v], w[J][v], acc[t][v]);
    }
  }

  // `p` points at column I (col0 + I of the row) and moves on by one pixel.
  template <std::size_t I, std::size_t... J>
  static HWY_INLINE void column(std::index_sequence<J...>, const In*& p, std::int64_t col0, std::int64_t width, std::int64_t pixel,
                                std::size_t tail, const Weights& w, Acc& acc) {
    const In* x_ptr = p;
    p += pixel;
    if constexpr (kEdge) {
      const std::int64_t col = col0 + static_cast<std::int64_t>(I);
      if (col < 0 || col >= width) return;  // padding column: its taps are skipped
    }
    const DF df;
    const std::size_t N = hn::Lanes(df);
    VF x[kVectors];
    if constexpr (kEvenOdd) {
      static_assert(kVectors == 2 && !kMasked && sizeof(In) == 2);
      load_even_odd(df, x_ptr, x[0], x[1]);
    } else {
      for (std::size_t v = 0; v < kVectors; ++v) x[v] = load_channels<kMasked>(df, x_ptr + v * N, tail);
    }
    (tap<I, J>(x, w, acc), ...);
  }

  template <std::size_t... I>
  static HWY_INLINE void columns(std::index_sequence<I...>, const In* p, std::int64_t col0, std::int64_t width, std::int64_t pixel,
                                 std::size_t tail, const Weights& w, Acc& acc) {
    (column<I>(std::make_index_sequence<kKw>(), p, col0, width, pixel, tail, w, acc), ...);
  }

  // Output pixels [wo, wo + kPixels), channels [c, c + kVectors * N) (kMasked: the `tail`
  // channels from c, one vector).
  template <typename Out, Activation kAct>
  static HWY_INLINE void run(const DwRowShape& s, const DwRowCall& call, std::int64_t wo, std::size_t c, std::size_t tail) {
    const DF df;
    const std::size_t N = hn::Lanes(df);
    Acc acc;
    for (std::size_t t = 0; t < kPixels; ++t)
      for (std::size_t v = 0; v < kVectors; ++v) acc[t][v] = hn::Zero(df);
    const std::int64_t col0 = wo * static_cast<std::int64_t>(kStride) - s.pad_left;
    const std::int64_t pixel = static_cast<std::int64_t>(s.in_pixel_stride);
    const float* weights = call.weights + (kEvenOdd ? s.even_odd_weights : 0);
    for (std::uint32_t r = 0; r < call.num_rows; ++r) {
      const float* wr = weights + std::size_t{r} * kKw * s.packed_channels + c;
      Weights w;
      for (std::size_t j = 0; j < kKw; ++j)
        for (std::size_t v = 0; v < kVectors; ++v) w[j][v] = hn::LoadU(df, wr + j * s.packed_channels + v * N);
      // Pointer arithmetic in integers: for edge tiles col0 may lie before the row.
      const In* p = reinterpret_cast<const In*>(reinterpret_cast<std::uintptr_t>(static_cast<const In*>(call.rows[r]) + c) +
                                                static_cast<std::uintptr_t>(col0 * pixel * static_cast<std::int64_t>(sizeof(In))));
      columns(std::make_index_sequence<kColumns>(), p, col0, s.in_width, pixel, tail, w, acc);
    }
    Out* out = static_cast<Out*>(call.out) + c + wo * s.out_pixel_stride;
    if constexpr (kEvenOdd) {
      const float* bias = call.bias + s.even_odd_weights + c;
      const VF b0 = hn::LoadU(df, bias), b1 = hn::LoadU(df, bias + N);
      for (std::size_t t = 0; t < kPixels; ++t)
        store_even_odd(activate<kAct>(df, hn::Add(acc[t][0], b0)), activate<kAct>(df, hn::Add(acc[t][1], b1)), out + t * s.out_pixel_stride, s.stream_output);
    } else {
      store_tile<Out, kAct, kPixels, kVectors, kMasked>(acc, call.bias + c, out, s.out_pixel_stride, tail, s.stream_output);
    }
  }
};

// Two output rows in one call (the two-row kernels, DwRowCall::second_out): input row
// i of the call's num_rows + 1 feeds the upper output row with kernel row i and the
// lower one with kernel row i - 1, so each input column is loaded once for both rows'
// taps (twice the multiply-adds per load of the one-row tile). One vector of channels
// x kPixels pixels x 2 rows of accumulators (14 on AVX-512, 8 on AVX2), plus the two
// kernel rows' weights and one column: at most 29 of the 32 vector registers (kKw = 7)
// on AVX-512, 15 of the 16 on AVX2 (kKw = 3).
// Each row's taps are the one-vector one-row tile's (SlidingTile::tap).
template <typename In, std::size_t kKw, std::size_t kStride, std::size_t kPixels, bool kMasked, bool kEdge>
struct SlidingTwoRowTile {
  using OneRow = SlidingTile<In, kKw, kStride, kPixels, 1, kMasked, kEdge>;
  static constexpr std::size_t kColumns = OneRow::kColumns;
  using Acc = typename OneRow::Acc;
  using Weights = typename OneRow::Weights;

  template <bool kUpper, bool kLower, std::size_t I, std::size_t... J>
  static HWY_INLINE void column(std::index_sequence<J...>, const In*& p, std::int64_t col0, std::int64_t width, std::int64_t pixel,
                                std::size_t tail, const Weights& w_upper, const Weights& w_lower, Acc& upper, Acc& lower) {
    const In* x_ptr = p;
    p += pixel;
    if constexpr (kEdge) {
      const std::int64_t col = col0 + static_cast<std::int64_t>(I);
      if (col < 0 || col >= width) return;
    }
    const VF x[1] = {load_channels<kMasked>(DF(), x_ptr, tail)};
    if constexpr (kUpper) (OneRow::template tap<I, J>(x, w_upper, upper), ...);
    if constexpr (kLower) (OneRow::template tap<I, J>(x, w_lower, lower), ...);
  }

  template <bool kUpper, bool kLower, std::size_t... I>
  static HWY_INLINE void sweep(std::index_sequence<I...>, const In* p, std::int64_t col0, std::int64_t width, std::int64_t pixel,
                               std::size_t tail, const Weights& w_upper, const Weights& w_lower, Acc& upper, Acc& lower) {
    (column<kUpper, kLower, I>(std::make_index_sequence<kKw>(), p, col0, width, pixel, tail, w_upper, w_lower, upper, lower), ...);
  }

  template <typename Out, Activation kAct>
  static HWY_INLINE void run(const DwRowShape& s, const DwRowCall& call, std::int64_t wo, std::size_t c, std::size_t tail) {
    const DF df;
    Acc upper, lower;
    for (std::size_t t = 0; t < kPixels; ++t) upper[t][0] = lower[t][0] = hn::Zero(df);
    const std::int64_t col0 = wo * static_cast<std::int64_t>(kStride) - s.pad_left;
    const std::int64_t pixel = static_cast<std::int64_t>(s.in_pixel_stride);
    const auto row = [&](std::uint32_t i) {
      return reinterpret_cast<const In*>(reinterpret_cast<std::uintptr_t>(static_cast<const In*>(call.rows[i]) + c) +
                                         static_cast<std::uintptr_t>(col0 * pixel * static_cast<std::int64_t>(sizeof(In))));
    };
    const auto load_weights = [&](std::uint32_t r, Weights& w) {
      const float* wr = call.weights + std::size_t{r} * kKw * s.packed_channels + c;
      for (std::size_t j = 0; j < kKw; ++j) w[j][0] = hn::LoadU(df, wr + j * s.packed_channels);
    };
    const auto columns = std::make_index_sequence<kColumns>();
    Weights w_upper, w_lower;
    load_weights(0, w_upper);
    sweep<true, false>(columns, row(0), col0, s.in_width, pixel, tail, w_upper, w_upper, upper, lower);
    for (std::uint32_t i = 1; i < call.num_rows; ++i) {
      load_weights(i, w_upper);
      load_weights(i - 1, w_lower);
      sweep<true, true>(columns, row(i), col0, s.in_width, pixel, tail, w_upper, w_lower, upper, lower);
    }
    load_weights(call.num_rows - 1, w_lower);
    sweep<false, true>(columns, row(call.num_rows), col0, s.in_width, pixel, tail, w_lower, w_lower, upper, lower);
    Out* out = static_cast<Out*>(call.out) + c + wo * s.out_pixel_stride;
    store_tile<Out, kAct, kPixels, 1, kMasked>(upper, call.bias + c, out, s.out_pixel_stride, tail, s.stream_output);
    store_tile<Out, kAct, kPixels, 1, kMasked>(lower, call.bias + c, out + call.second_out, s.out_pixel_stride, tail, s.stream_output);
  }
};

template <typename In, typename Out, Activation kAct, std::size_t kKw, std::size_t kStride, std::size_t kPixels>
HWY_INLINE void two_row_pixels(const DwRowShape& s, const DwRowCall& call, std::int64_t wo) {
  const std::size_t N = hn::Lanes(DF());
  constexpr std::int64_t kColumns = SlidingTwoRowTile<In, kKw, kStride, kPixels, false, false>::kColumns;
  const std::int64_t col0 = wo * static_cast<std::int64_t>(kStride) - s.pad_left;
  const bool edge = col0 < 0 || col0 + kColumns > static_cast<std::int64_t>(s.in_width);
  std::size_t c = 0;
  for (; c + N <= call.channels; c += N) {
    if (edge) SlidingTwoRowTile<In, kKw, kStride, kPixels, false, true>::template run<Out, kAct>(s, call, wo, c, N);
    else SlidingTwoRowTile<In, kKw, kStride, kPixels, false, false>::template run<Out, kAct>(s, call, wo, c, N);
  }
  if (c < call.channels) {
    const std::size_t tail = std::size_t{call.channels} - c;
    if (edge) SlidingTwoRowTile<In, kKw, kStride, kPixels, true, true>::template run<Out, kAct>(s, call, wo, c, tail);
    else SlidingTwoRowTile<In, kKw, kStride, kPixels, true, false>::template run<Out, kAct>(s, call, wo, c, tail);
  }
}

// The register tiles of pixels [wo, wo + kPixels) across every channel: whole
// kVectors-wide blocks, then masked single vectors. Channels inner, so that each
// pixel's channels (contiguous in NHWC) are read and written in order.
template <typename In, typename Out, Activation kAct, std::size_t kKw, std::size_t kStride, std::size_t kPixels>
HWY_INLINE void sliding_pixels(const DwRowShape& s, const DwRowCall& call, std::int64_t wo) {
  const std::size_t N = hn::Lanes(DF());
  constexpr std::size_t V = kSlidingVectors;
  constexpr std::int64_t kColumns = SlidingTile<In, kKw, kStride, kPixels, V, false, false>::kColumns;
  const std::int64_t col0 = wo * static_cast<std::int64_t>(kStride) - s.pad_left;
  const bool edge = col0 < 0 || col0 + kColumns > static_cast<std::int64_t>(s.in_width);
  std::size_t c = 0;
  // bfloat16 in and out on two-vector tiles, with the even/odd weights there: one load
  // and two bit operations widen 2N channels (else a load and two operations per N).
  constexpr bool kEvenOddCapable = V == 2 && sizeof(In) == 2 && sizeof(Out) == 2;
  if constexpr (kEvenOddCapable) {
    if (s.even_odd_weights != 0 && N == 16) {  // pack_even_odd_weights' 32-channel groups
      for (; c + V * N <= call.channels; c += V * N) {
        if (edge) SlidingTile<In, kKw, kStride, kPixels, V, false, true, true>::template run<Out, kAct>(s, call, wo, c, 0);
        else SlidingTile<In, kKw, kStride, kPixels, V, false, false, true>::template run<Out, kAct>(s, call, wo, c, 0);
      }
    }
  }
  for (; c + V * N <= call.channels; c += V * N) {
    if (edge) SlidingTile<In, kKw, kStride, kPixels, V, false, true>::template run<Out, kAct>(s, call, wo, c, 0);
    else SlidingTile<In, kKw, kStride, kPixels, V, false, false>::template run<Out, kAct>(s, call, wo, c, 0);
  }
  for (; c < call.channels; c += N) {
    const std::size_t tail = std::min(N, std::size_t{call.channels} - c);
    if (edge) SlidingTile<In, kKw, kStride, kPixels, 1, true, true>::template run<Out, kAct>(s, call, wo, c, tail);
    else SlidingTile<In, kKw, kStride, kPixels, 1, true, false>::template run<Out, kAct>(s, call, wo, c, tail);
  }
}

// Every pixel tile of the row, the last one shifted left to end at the row's last
// pixel: tiles of kWidestPixels (kSlidingPixels, or kTwoRowPixels), or of 4 or 1 for
// narrower rows. `tile(pixels, wo)` computes the tile of pixels [wo, wo + pixels)
// (pixels a std::integral_constant).
// After each tile, the next call's input columns that it moved past are prefetched.
template <typename In, std::size_t kStride, std::size_t kWidestPixels, typename Tile>
HWY_INLINE void row_tiles(const DwRowShape& s, const DwRowCall& call, const Tile& tile) {
  const auto tiles = [&](auto pixels) {
    constexpr std::int64_t kPixels = decltype(pixels)::value;
    const std::int64_t out_width = s.out_width;
    for (std::int64_t wo = 0;; wo += kPixels) {
      if (wo + kPixels > out_width) wo = out_width - kPixels;
      tile(pixels, wo);
      const bool last = wo + kPixels >= out_width;
      // The columns this tile moved past (the first tile from 0, the last to the end).
      const std::int64_t begin = wo == 0 ? 0 : wo * static_cast<std::int64_t>(kStride) - s.pad_left;
      const std::int64_t end = last ? s.in_width : (wo + kPixels) * static_cast<std::int64_t>(kStride) - s.pad_left;
      prefetch_next_rows<In>(s, call, begin, end);
      if (last) break;
    }
  };
  if (s.out_width >= kWidestPixels) tiles(std::integral_constant<std::size_t, kWidestPixels>());
  else if (s.out_width >= 4) tiles(std::integral_constant<std::size_t, 4>());
  else tiles(std::integral_constant<std::size_t, 1>());
}

// One output row: pixel tiles outer, channel blocks inner.
template <typename In, typename Out, Activation kAct, std::size_t kKw, std::size_t kStride>
void SlidingRow(const DwRowShape& s, const DwRowCall& call) {
  row_tiles<In, kStride, kSlidingPixels>(s, call, [&](auto pixels, std::int64_t wo) {
    sliding_pixels<In, Out, kAct, kKw, kStride, decltype(pixels)::value>(s, call, wo);
  });
}

// Two output rows (DwRowCall::second_out), the same tiles.
template <typename In, typename Out, Activation kAct, std::size_t kKw, std::size_t kStride>
void SlidingTwoRows(const DwRowShape& s, const DwRowCall& call) {
  row_tiles<In, kStride, kTwoRowPixels>(s, call, [&](auto pixels, std::int64_t wo) {
    two_row_pixels<In, Out, kAct, kKw, kStride, decltype(pixels)::value>(s, call, wo);
  });
}

template <std::size_t kKw, Activation kAct>
void fill_sliding(DwRowKernelTable& k, int a) {
  k.fn[0][0][a][0] = SlidingRow<float, float, kAct, kKw, 1>;
  k.fn[0][1][a][0] = SlidingRow<float, std::uint16_t, kAct, kKw, 1>;
  k.fn[1][0][a][0] = SlidingRow<std::uint16_t, float, kAct, kKw, 1>;
  k.fn[1][1][a][0] = SlidingRow<std::uint16_t, std::uint16_t, kAct, kKw, 1>;
  k.fn[0][0][a][1] = SlidingRow<float, float, kAct, kKw, 2>;
  k.fn[0][1][a][1] = SlidingRow<float, std::uint16_t, kAct, kKw, 2>;
  k.fn[1][0][a][1] = SlidingRow<std::uint16_t, float, kAct, kKw, 2>;
  k.fn[1][1][a][1] = SlidingRow<std::uint16_t, std::uint16_t, kAct, kKw, 2>;
  if constexpr (kKw <= kTwoRowMaxKw) {
    k.two_rows[0][0][a][0] = SlidingTwoRows<float, float, kAct, kKw, 1>;
    k.two_rows[0][1][a][0] = SlidingTwoRows<float, std::uint16_t, kAct, kKw, 1>;
    k.two_rows[0][0][a][1] = SlidingTwoRows<float, float, kAct, kKw, 2>;
    k.two_rows[0][1][a][1] = SlidingTwoRows<float, std::uint16_t, kAct, kKw, 2>;
  }
}

template <std::size_t kKw>
DwRowKernelTable sliding_table() {
  DwRowKernelTable k;
  fill_sliding<kKw, Activation::NONE>(k, 0);
  fill_sliding<kKw, Activation::RELU>(k, 1);
  fill_sliding<kKw, Activation::RELU6>(k, 2);
  describe<kSlidingVectors, kSlidingPixels>(k);
  // bfloat16 in and out on the even/odd tiles (the host program always packs the even/odd
  // weights): one store of 2N channels (sliding_pixels).
  if (kSlidingVectors == 2 && hn::Lanes(DF()) == 16) k.store_bytes[1][1] = 2 * hn::Lanes(DF()) * sizeof(std::uint16_t);
  if constexpr (kKw <= kTwoRowMaxKw) {
    k.two_row_channels_per_tile = hn::Lanes(DF());
    k.two_row_pixels_per_tile = kTwoRowPixels;
    k.two_row_store_bytes[0] = hn::Lanes(DF()) * sizeof(float);
    k.two_row_store_bytes[1] = hn::Lanes(DF()) * sizeof(std::uint16_t);
  }
  return k;
}

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SHARDWISE_DWCONV_ROW_SLIDING_INL_H_ toggle
