// The bfloat16 row kernels for CPUs with AVX512_BF16: the sliding window of
// dwconv_row_sliding-inl.h (kernel width 3, 5, 7, stride 1 or 2, dilation 1; 7 output
// pixels x 32 channels per register tile), with VDPBF16PS doing two multiply-adds per
// lane: the two bfloat16 values of a lane are the same channel and tap from two kernel
// rows, so two rows cost one instruction and no widening.
//
// Layouts (besides those of dwconv_row.hpp):
//   input pairs  for kernel rows (r, r+1) and a column, the 32 channels of each row are
//                loaded (64 bytes) and interleaved 16-bit-wise (VPUNPCKL/HWD): lane q of
//                the "lo" vector holds channel 8k+i (q = 4k+i, i < 4) of both rows, lane
//                q of "hi" channel 8k+4+i; row r in the lane's upper half, r+1 in the
//                lower. A lone last row is paired with zeros.
//   weights      `shape.pair_weights` elements after the float32 weights (same [kh*kw]
//                [Cpad] geometry, so call.weights + pair_weights is this row's entry):
//                per kernel row r and tap j, a uint32 per channel = bf16(w[r][j]) << 16
//                | bf16(w[r+1][j]) (w[kh] = 0), channels permuted in each 32-channel
//                group as the lanes above; then the bias, float32, permuted the same way.
//   output       the accumulators are in that lane order; bfloat16 results are packed
//                back with VPACKUSDW (which undoes the interleave), float32 ones with one
//                two-table permute per 16 channels.
// Arithmetic, per channel: acc = 0; for kernel row pairs top to bottom, for each tap j
// left to right (valid taps only): acc = fma(x[r][j], w[r][j], acc), then acc =
// fma(x[r+1][j], w[r+1][j], acc) (VDPBF16PS: upper half first, each product exact in
// float32 and rounded once, to nearest even); + bias, activation, conversion. So the
// float32 sums run in a different order from the other targets (row pairs interleaved
// by tap, not row by row), and as the instruction defines, bfloat16 subnormal inputs
// count as zero and subnormal sums are flushed to zero. Channels past the last whole
// 32-channel group take a masked group (zeros in the lanes past them); rows narrower
// than a tile go to the AVX-512 widening kernel.
// GCC 12's AVX-512 shift intrinsics start from _mm512_undefined_epi32(), which its
// -Wmaybe-uninitialized (and, inlined into the masked tiles, -Wuninitialized) reports
// falsely once inlined (a known GCC false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "core/bfloat16.hpp"
#include "core/error.hpp"
#include "ops/conv2d/microkernels/dwconv_row_prefetch.hpp"
#include "ops/conv2d/microkernels/dwconv_row_table.hpp"

#define SHARDWISE_BF16_PAIRS_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16")))
// The tile's functions, forced inline: GCC 12 left the edge tiles' column walk out of
// line, passing the accumulators through memory (7x7 pairs ran at 58-60 GFLOP/s on a
// Zen 4 then, 135-191 inlined).
#define SHARDWISE_BF16_PAIRS_TILE SHARDWISE_BF16_PAIRS_TARGET __attribute__((always_inline)) static inline

namespace shardwise {
namespace {

constexpr std::uint32_t kGroup = 32;  // channels per register tile (two 16-lane vectors)
constexpr std::size_t kPixels = 7;    // output pixels per register tile, as the widening kernels

// Lane position (0..31) of channel cc (0..31) of a group in the pair layout.
constexpr std::uint32_t pair_lane(std::uint32_t cc) {
  const std::uint32_t k = cc / 8, i = cc % 8;
  return i < 4 ? 4 * k + i : 16 + 4 * k + (i - 4);
}

template <Activation kAct>
SHARDWISE_BF16_PAIRS_TARGET inline __m512 activate(__m512 v) {
  if constexpr (kAct == Activation::RELU) return _mm512_max_ps(v, _mm512_setzero_ps());
  if constexpr (kAct == Activation::RELU6) return _mm512_min_ps(_mm512_max_ps(v, _mm512_setzero_ps()), _mm512_set1_ps(6.0f));
  return v;
}

// float32 -> bfloat16 in the low half of each lane: nearest even, NaN -> 0x7FC0 (core/bfloat16).
SHARDWISE_BF16_PAIRS_TARGET inline __m512i to_bf16_bits(__m512 v) {
  const __m512i bits = _mm512_castps_si512(v);
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1));
  const __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), lsb)), 16);
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_mov_epi32(rounded, nan, _mm512_set1_epi32(0x7FC0));
}

// `mask`: the channels of the group to store (all 32, or the row's last channels:
// kMasked stores only those, never streamed).
template <typename Out, Activation kAct, bool kMasked>
SHARDWISE_BF16_PAIRS_TARGET inline void store_group(__m512 lo, __m512 hi, const float* bias, Out* out, bool stream, __mmask32 mask) {
  lo = activate<kAct>(_mm512_add_ps(lo, _mm512_loadu_ps(bias)));
  hi = activate<kAct>(_mm512_add_ps(hi, _mm512_loadu_ps(bias + 16)));
  if constexpr (sizeof(Out) == 2) {
    // Per 128-bit block: lo's 4 channels then hi's 4, i.e. channels 8k..8k+7 in order.
    const __m512i packed = _mm512_packus_epi32(to_bf16_bits(lo), to_bf16_bits(hi));
    if constexpr (kMasked) _mm512_mask_storeu_epi16(out, mask, packed);
    else if (stream) _mm512_stream_si512(reinterpret_cast<__m512i*>(out), packed);  // DwRowShape::stream_output
    else _mm512_storeu_si512(out, packed);
  } else {
    const __m512i first = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    const __m512i second = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
    const __m512 a = _mm512_permutex2var_ps(lo, first, hi), b = _mm512_permutex2var_ps(lo, second, hi);
    if constexpr (kMasked) {
      _mm512_mask_storeu_ps(out, static_cast<__mmask16>(mask), a);
      _mm512_mask_storeu_ps(out + 16, static_cast<__mmask16>(mask >> 16), b);
    } else if (stream) {
      _mm512_stream_ps(out, a);
      _mm512_stream_ps(out + 16, b);
    } else {
      _mm512_storeu_ps(out, a);
      _mm512_storeu_ps(out + 16, b);
    }
  }
}

// kMasked: the row's last channels, fewer than a group (`mask` holds them): loaded with
// zeros in the others (AVX-512 masked loads read nothing past them), stored masked.
template <std::size_t kKw, std::size_t kStride, bool kEdge, bool kMasked>
struct PairTile {
  static constexpr std::size_t kColumns = (kPixels - 1) * kStride + kKw;

  // Column I of the row pair: tap J of output pixel (I - J) / kStride, when whole and in the tile.
  template <std::size_t I, std::size_t... J>
  SHARDWISE_BF16_PAIRS_TILE void column(std::index_sequence<J...>, const std::uint16_t* upper, const std::uint16_t* lower,
                                        std::int64_t col0, std::int64_t width, std::int64_t pixel,
                                        __mmask32 mask, const __m512bh (&w)[kKw][2], __m512 (&acc)[kPixels][2]) {
    if constexpr (kEdge) {
      const std::int64_t col = col0 + static_cast<std::int64_t>(I);
      if (col < 0 || col >= width) return;  // padding column: its taps are skipped
    }
    const std::int64_t offset = (col0 + static_cast<std::int64_t>(I)) * pixel;
    __m512i a, b = _mm512_setzero_si512();
    if constexpr (kMasked) {
      a = _mm512_maskz_loadu_epi16(mask, upper + offset);
      if (lower) b = _mm512_maskz_loadu_epi16(mask, lower + offset);
    } else {
      a = _mm512_loadu_si512(upper + offset);
      if (lower) b = _mm512_loadu_si512(lower + offset);
    }
    const __m512bh lo = reinterpret_cast<__m512bh>(_mm512_unpacklo_epi16(b, a));
    const __m512bh hi = reinterpret_cast<__m512bh>(_mm512_unpackhi_epi16(b, a));
    (tap<I, J>(lo, hi, w, acc), ...);
  }

  template <std::size_t I, std::size_t J>
  SHARDWISE_BF16_PAIRS_TILE void tap(__m512bh lo, __m512bh hi, const __m512bh (&w)[kKw][2], __m512 (&acc)[kPixels][2]) {
    if constexpr (I >= J && (I - J) % kStride == 0 && (I - J) / kStride < kPixels) {
      constexpr std::size_t t = (I - J) / kStride;
      acc[t][0] = _mm512_dpbf16_ps(acc[t][0], lo, w[J][0]);
      acc[t][1] = _mm512_dpbf16_ps(acc[t][1], hi, w[J][1]);
    }
  }

  template <std::size_t... I>
  SHARDWISE_BF16_PAIRS_TILE void columns(std::index_sequence<I...>, const std::uint16_t* upper, const std::uint16_t* lower,
                                         std::int64_t col0, std::int64_t width, std::int64_t pixel, __mmask32 mask,
                                         const __m512bh (&w)[kKw][2], __m512 (&acc)[kPixels][2]) {
    (column<I>(std::make_index_sequence<kKw>(), upper, lower, col0, width, pixel, mask, w, acc), ...);
  }

  // Output pixels [wo, wo + kPixels), channels [c, c + 32) (kMasked: those in `mask`).
  template <typename Out, Activation kAct>
  SHARDWISE_BF16_PAIRS_TILE void run(const DwRowShape& s, const DwRowCall& call, std::int64_t wo, std::size_t c,
                                     __mmask32 mask) {
    __m512 acc[kPixels][2];
    for (std::size_t t = 0; t < kPixels; ++t) acc[t][0] = acc[t][1] = _mm512_setzero_ps();
    const std::int64_t col0 = wo * static_cast<std::int64_t>(kStride) - s.pad_left;
    const std::int64_t pixel = static_cast<std::int64_t>(s.in_pixel_stride);
    const auto* pairs = reinterpret_cast<const std::uint32_t*>(call.weights + s.pair_weights);
    for (std::uint32_t r = 0; r < call.num_rows; r += 2) {
      const std::uint32_t* wr = pairs + std::size_t{r} * kKw * s.packed_channels + c;
      __m512bh w[kKw][2];
      for (std::size_t j = 0; j < kKw; ++j)
        for (std::size_t h = 0; h < 2; ++h)
          w[j][h] = reinterpret_cast<__m512bh>(_mm512_loadu_si512(wr + j * s.packed_channels + h * 16));
      const auto* upper = static_cast<const std::uint16_t*>(call.rows[r]) + c;
      const auto* lower = r + 1 < call.num_rows ? static_cast<const std::uint16_t*>(call.rows[r + 1]) + c : nullptr;
      columns(std::make_index_sequence<kColumns>(), upper, lower, col0, s.in_width, pixel, mask, w, acc);
    }
    const float* bias = call.bias + s.pair_weights + c;
    Out* out = static_cast<Out*>(call.out) + c + wo * s.out_pixel_stride;
    for (std::size_t t = 0; t < kPixels; ++t)
      store_group<Out, kAct, kMasked>(acc[t][0], acc[t][1], bias, out + t * s.out_pixel_stride, s.stream_output, mask);
  }
};

template <typename Out, Activation kAct, std::size_t kKw, std::size_t kStride>
SHARDWISE_BF16_PAIRS_TARGET void PairRow(const DwRowShape& s, const DwRowCall& call) {
  const std::uint32_t whole = call.channels / kGroup * kGroup, tail = call.channels - whole;
  const __mmask32 tail_mask = static_cast<__mmask32>((std::uint64_t{1} << tail) - 1);
  const std::int64_t out_width = s.out_width;
  constexpr std::int64_t kColumns = PairTile<kKw, kStride, false, false>::kColumns;
  if (out_width >= static_cast<std::int64_t>(kPixels)) {
    for (std::int64_t wo = 0;; wo += kPixels) {
      if (wo + static_cast<std::int64_t>(kPixels) > out_width) wo = out_width - kPixels;  // the last tile overlaps
      const std::int64_t col0 = wo * static_cast<std::int64_t>(kStride) - s.pad_left;
      const bool edge = col0 < 0 || col0 + kColumns > static_cast<std::int64_t>(s.in_width);
      // Each pixel tile across all channels, the last group masked: a pixel's channels
      // are read and written in one sweep (a second sweep for the last channels, by
      // the widening kernel, measured 0.63x oneDNN against 1.16-1.33x for C = 120
      // bfloat16 batch 32, mnv3_7: it re-read each row's lines and rewrote the output's).
      for (std::size_t c = 0; c < whole; c += kGroup) {
        if (edge) PairTile<kKw, kStride, true, false>::template run<Out, kAct>(s, call, wo, c, ~__mmask32{0});
        else PairTile<kKw, kStride, false, false>::template run<Out, kAct>(s, call, wo, c, ~__mmask32{0});
      }
      if (tail > 0) {
        if (edge) PairTile<kKw, kStride, true, true>::template run<Out, kAct>(s, call, wo, whole, tail_mask);
        else PairTile<kKw, kStride, false, true>::template run<Out, kAct>(s, call, wo, whole, tail_mask);
      }
      const bool last = wo + static_cast<std::int64_t>(kPixels) >= out_width;
      prefetch_next_rows<std::uint16_t>(s, call, wo == 0 ? 0 : col0, last ? s.in_width : col0 + kPixels * kStride);
      if (last) break;
    }
    return;
  }
  // Rows narrower than a tile: the widening kernel (the same call: its float32 and
  // even/odd weights lie before the pair copy in the packed weights).
  static const DwRowFn widening =
      select_dw_row_microkernel(DwRowKernelKey{DataType::BFLOAT16, sizeof(Out) == 2 ? DataType::BFLOAT16 : DataType::FLOAT32, kAct, kKw,
                                               kStride, 1, false})
          .fn;
  widening(s, call);
}

template <std::size_t kKw, Activation kAct>
void fill(DwRowKernelTable& k, int a) {
  k.fn[1][0][a][0] = PairRow<float, kAct, kKw, 1>;
  k.fn[1][1][a][0] = PairRow<std::uint16_t, kAct, kKw, 1>;
  k.fn[1][0][a][1] = PairRow<float, kAct, kKw, 2>;
  k.fn[1][1][a][1] = PairRow<std::uint16_t, kAct, kKw, 2>;
}

template <std::size_t kKw>
DwRowKernelTable pair_table() {
  DwRowKernelTable k;
  fill<kKw, Activation::NONE>(k, 0);
  fill<kKw, Activation::RELU>(k, 1);
  fill<kKw, Activation::RELU6>(k, 2);
  k.target = "AVX512BF16";
  k.channels_per_tile = kGroup;
  k.pixels_per_tile = kPixels;
  // store_group: 64-byte stores (16 float32 channels, or the group's 32 bfloat16).
  k.store_bytes[1][0] = k.store_bytes[1][1] = 64;
  return k;
}

}  // namespace

bool dw_row_bf16_pairs_supported() {
  static const bool supported = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                                __builtin_cpu_supports("avx512bf16");
  return supported;
}

bool dw_row_bf16_pairs_preferred() {
  static const bool preferred = dw_row_bf16_pairs_supported() && __builtin_cpu_is("amd");
  return preferred;
}

DwRowKernelTable bf16_pair_row_kernels(std::uint32_t kernel_w) {
  if (kernel_w == 3) return pair_table<3>();
  if (kernel_w == 5) return pair_table<5>();
  return pair_table<7>();
}

bool pack_bf16_pair_weights(std::span<const float> packed, std::uint32_t kernel_h, std::uint32_t kernel_w, std::uint32_t channels,
                            std::uint32_t packed_channels, std::vector<float>& out) {
  const std::size_t taps = std::size_t{kernel_h} * kernel_w, Cpad = packed_channels;
  check_arg(packed.size() == (taps + 1) * Cpad && Cpad % kGroup == 0, "bfloat16 pair weights: {} packed values for {} taps x {} channels",
            packed.size(), taps, Cpad);
  // Only finite, bfloat16-exact weights (a lone last row is paired with zero inputs:
  // 0 x finite adds nothing, 0 x Inf would add a NaN the other kernels never compute).
  for (std::size_t i = 0; i < taps * Cpad; ++i)
    if (!std::isfinite(packed[i]) || round_to_bfloat16(packed[i]) != packed[i]) return false;
  std::vector<float> pairs((taps + 1) * Cpad, 0.0f);
  for (std::uint32_t r = 0; r < kernel_h; ++r)
    for (std::uint32_t j = 0; j < kernel_w; ++j)
      for (std::uint32_t c = 0; c < channels; ++c) {
        const std::uint32_t upper = bfloat16::from_float(packed[(std::size_t{r} * kernel_w + j) * Cpad + c]).bits;
        const std::uint32_t lower = r + 1 < kernel_h ? bfloat16::from_float(packed[(std::size_t{r + 1} * kernel_w + j) * Cpad + c]).bits : 0;
        const std::uint32_t value = upper << 16 | lower;
        std::memcpy(&pairs[(std::size_t{r} * kernel_w + j) * Cpad + c / kGroup * kGroup + pair_lane(c % kGroup)], &value, 4);
      }
  for (std::uint32_t c = 0; c < channels; ++c) pairs[taps * Cpad + c / kGroup * kGroup + pair_lane(c % kGroup)] = packed[taps * Cpad + c];
  out.insert(out.end(), pairs.begin(), pairs.end());
  return true;
}

}  // namespace shardwise
