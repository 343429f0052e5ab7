// The first n 16-bit values at p as a vector, the other lanes zero, reading nothing
// past p + n (Highway's "-inl.h" pattern: included once per SIMD target).
//
// Why not hn::MaskedLoad: in Highway 1.0.3, below AVX-512, a MaskedLoad of 8- or
// 16-bit lanes is an aligned full-vector Load followed by the mask (x86_128-inl.h), so
// it reads up to a vector past the n values (AddressSanitizer caught it in the window
// sum's tail: a read past the end of the buffer, which at a page boundary would fault).
// AVX-512 has a true masked load for 16-bit lanes; elsewhere the n values are copied
// into a zeroed buffer first (tails only: once per row end).
#if defined(SHARDWISE_PARTIAL_LOAD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef SHARDWISE_PARTIAL_LOAD_INL_H_
#undef SHARDWISE_PARTIAL_LOAD_INL_H_
#else
#define SHARDWISE_PARTIAL_LOAD_INL_H_
#endif

#include <algorithm>
#include <cstring>

#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace shardwise::HWY_NAMESPACE {

template <class D16>
HWY_INLINE hwy::HWY_NAMESPACE::Vec<D16> load_u16_first_n(D16 d16, const std::uint16_t* p, std::size_t n) {
  namespace hn = hwy::HWY_NAMESPACE;
#if HWY_TARGET <= HWY_AVX3
  return hn::MaskedLoad(hn::FirstN(d16, n), d16, p);
#else
  HWY_ALIGN std::uint16_t buffer[HWY_MAX_BYTES / sizeof(std::uint16_t)] = {};
  std::memcpy(buffer, p, std::min(n, hn::Lanes(d16)) * sizeof(std::uint16_t));
  return hn::Load(d16, buffer);
#endif
}

}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // SHARDWISE_PARTIAL_LOAD_INL_H_ toggle
