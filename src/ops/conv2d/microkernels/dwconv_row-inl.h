// Per-target helpers the row microkernels share (Highway's "-inl.h" pattern: included
// once per SIMD target from inside each kernel file's foreach_target pass): loads of
// one vector of channels (bfloat16 widened exactly), the float32 -> bfloat16 store, the
// fused activations, and the bias + activation + store of a finished register tile.
#if defined(SHARDWISE_DWCONV_ROW_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHARDWISE_DWCONV_ROW_INL_H_
#undef SHARDWISE_DWCONV_ROW_INL_H_
#else
#define SHARDWISE_DWCONV_ROW_INL_H_
#endif

#include <hwy/highway.h>

#include "ops/conv2d/microkernels/dwconv_row_prefetch.hpp"
#include "ops/conv2d/microkernels/partial_load-inl.h"
#include "ops/conv2d/microkernels/dwconv_row_table.hpp"

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
  return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(d32, load_u16_first_n(d16, p, n))));
}
// kMasked: only the first n lanes are read (the rest are zero).
template <bool kMasked, typename In>
HWY_INLINE VF load_channels(DF df, const In* p, std::size_t n) {
  if constexpr (kMasked) return load_in_n(df, p, n);
  else return load_in(df, p);
}

// float32 -> bfloat16 bits in the low half of each 32-bit lane: round to nearest
// even, NaN -> 0x7FC0 (core/bfloat16).
HWY_INLINE hn::Vec<hn::RebindToUnsigned<DF>> to_bf16_bits32(VF v) {
  const hn::RebindToUnsigned<DF> d32;
  const auto bits = hn::BitCast(d32, v);
  const auto lsb = hn::And(hn::ShiftRight<16>(bits), hn::Set(d32, 1u));
  const auto rounded = hn::ShiftRight<16>(hn::Add(bits, hn::Add(hn::Set(d32, 0x7FFFu), lsb)));
  return hn::IfThenElse(hn::RebindMask(d32, hn::IsNaN(v)), hn::Set(d32, 0x7FC0u), rounded);
}
HWY_INLINE hn::Vec<hn::Rebind<std::uint16_t, DF>> to_bf16(VF v) {
  const hn::RebindToSigned<DF> di32;
  return hn::DemoteTo(hn::Rebind<std::uint16_t, DF>(), hn::BitCast(di32, to_bf16_bits32(v)));
}
HWY_INLINE void store_out(VF v, float* p) { hn::StoreU(v, DF(), p); }
HWY_INLINE void store_out(VF v, std::uint16_t* p) { hn::StoreU(to_bf16(v), hn::Rebind<std::uint16_t, DF>(), p); }
HWY_INLINE void store_out_n(VF v, float* p, std::size_t n) {
  const DF df;
  hn::BlendedStore(v, hn::FirstN(df, n), df, p);
}
HWY_INLINE void store_out_n(VF v, std::uint16_t* p, std::size_t n) {
  const hn::Rebind<std::uint16_t, DF> d16;
  hn::BlendedStore(to_bf16(v), hn::FirstN(d16, n), d16, p);
}

// Streaming stores (DwRowShape::stream_output): `p` aligned to the vector's bytes.
HWY_INLINE void stream_out(VF v, float* p) { hn::Stream(v, DF(), p); }
HWY_INLINE void stream_out(VF v, std::uint16_t* p) { hn::Stream(to_bf16(v), hn::Rebind<std::uint16_t, DF>(), p); }

template <Activation kAct>
HWY_INLINE VF activate(DF df, VF v) {
  if constexpr (kAct == Activation::RELU) return hn::Max(v, hn::Zero(df));
  if constexpr (kAct == Activation::RELU6) return hn::Min(hn::Max(v, hn::Zero(df)), hn::Set(df, 6.0f));
  return v;
}

// A finished register tile: + bias, activation, converted and stored. Pixel t of the
// tile goes to out + t * out_pixel_stride (+ v * N); kMasked: one vector, its first
// `tail` lanes. `stream`: whole vectors with streaming stores (a partial vector stores
// normally); the choice is made once per tile.
template <typename Out, Activation kAct, std::size_t kPixels, std::size_t kVectors, bool kMasked>
HWY_INLINE void store_tile(const VF (&acc)[kPixels][kVectors], const float* bias, Out* out, std::size_t out_pixel_stride,
                           std::size_t tail, bool stream) {
  const DF df;
  const std::size_t N = hn::Lanes(df);
  const bool streamed = stream && (!kMasked || tail == N);
  for (std::size_t v = 0; v < kVectors; ++v) {
    const VF b = hn::LoadU(df, bias + v * N);
    for (std::size_t t = 0; t < kPixels; ++t) {
      const VF y = activate<kAct>(df, hn::Add(acc[t][v], b));
      Out* p = out + t * out_pixel_stride + v * N;  // kMasked: v is 0
      if (streamed) stream_out(y, p);
      else if constexpr (kMasked) store_out_n(y, p, tail);
      else store_out(y, p);
    }
  }
}

// --- bfloat16 in even/odd lane order (pack_even_odd_weights) ------------------------
// Two vectors of channels from one load of 2N bfloat16 values: lane i of the first
// holds channel 2i, of the second channel 2i+1, both widened exactly.
HWY_INLINE void load_even_odd(DF df, const std::uint16_t* p, VF& even, VF& odd) {
  const hn::RebindToUnsigned<DF> du;
  const auto v = hn::LoadU(du, reinterpret_cast<const std::uint32_t*>(p));
  even = hn::BitCast(df, hn::ShiftLeft<16>(v));
  odd = hn::BitCast(df, hn::And(v, hn::Set(du, 0xFFFF0000u)));
}
// The inverse for a bfloat16 output: 2N channels back in order, one store (`stream`:
// a streaming one, `p` aligned to the vector's bytes).
HWY_INLINE void store_even_odd(VF even, VF odd, std::uint16_t* p, bool stream) {
  const hn::RebindToUnsigned<DF> du;
  const auto packed = hn::Or(to_bf16_bits32(even), hn::ShiftLeft<16>(to_bf16_bits32(odd)));
  if (stream) hn::Stream(packed, du, reinterpret_cast<std::uint32_t*>(p));
  else hn::StoreU(packed, du, reinterpret_cast<std::uint32_t*>(p));
}

// The name's ISA part and the tile shape, for the kernel table.
template <std::size_t kVectors, std::size_t kPixels>
HWY_INLINE void describe(DwRowKernelTable& table) {
  table.target = hwy::TargetName(HWY_TARGET);
  table.channels_per_tile = kVectors * hn::Lanes(DF());
  table.pixels_per_tile = kPixels;
  // store_tile writes one vector of channels at a time.
  for (auto& in : table.store_bytes) {
    in[0] = hn::Lanes(DF()) * sizeof(float);
    in[1] = hn::Lanes(DF()) * sizeof(std::uint16_t);
  }
}

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SHARDWISE_DWCONV_ROW_INL_H_ toggle
