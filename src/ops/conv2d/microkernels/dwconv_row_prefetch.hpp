#pragma once
// Software prefetch into L2 of the next output row's new input rows (call.next_rows),
// the part input columns [begin, end) of them hold: a row kernel calls it once per
// pixel tile for the columns that tile moved past, so the next row's input streams in
// from memory while this row computes (the hardware prefetchers stop at 4 KiB pages
// and see a row only once its first lines miss). Target-independent: every row kernel
// family includes it.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {

// One cache line into L2. An asm statement on x86: GCC 12 at -O2 deletes loops whose
// only effect is __builtin_prefetch (it found this header's loops free of side effects
// and dropped them whole: no prefetch instruction was left in the kernels).
inline void prefetch_l2(const char* p) {
#if defined(__x86_64__) || defined(__i386__)
  __asm__ volatile("prefetcht1 %0" : : "m"(*p));
#else
  __builtin_prefetch(p, 0, 2);
#endif
}

template <typename In>
inline void prefetch_next_rows(const DwRowShape& s, const DwRowCall& call, std::int64_t begin, std::int64_t end) {
  begin = std::max<std::int64_t>(begin, 0);
  end = std::min<std::int64_t>(end, s.in_width);
  if (begin >= end) return;
  const std::size_t pixel_bytes = s.in_pixel_stride * sizeof(In), bytes = std::size_t{call.channels} * sizeof(In);
  for (std::uint32_t r = 0; r < call.num_next_rows; ++r) {
    const char* row = static_cast<const char*>(call.next_rows[r]);
    if (bytes == pixel_bytes) {  // whole pixels: one contiguous run
      for (std::size_t o = begin * pixel_bytes; o < end * pixel_bytes; o += 64) prefetch_l2(row + o);
      continue;
    }
    for (std::int64_t col = begin; col < end; ++col)
      for (std::size_t o = 0; o < bytes; o += 64) prefetch_l2(row + col * pixel_bytes + o);
  }
}

}  // namespace shardwise
