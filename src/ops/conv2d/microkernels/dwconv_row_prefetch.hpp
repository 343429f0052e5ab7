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

template <typename In>
inline void prefetch_next_rows(const DwRowShape& s, const DwRowCall& call, std::int64_t begin, std::int64_t end) {
  begin = std::max<std::int64_t>(begin, 0);
  end = std::min<std::int64_t>(end, s.in_width);
  if (begin >= end) return;
  const std::size_t pixel_bytes = s.in_pixel_stride * sizeof(In), bytes = std::size_t{call.channels} * sizeof(In);
  for (std::uint32_t r = 0; r < call.num_next_rows; ++r) {
    const char* row = static_cast<const char*>(call.next_rows[r]);
    if (bytes == pixel_bytes) {  // whole pixels: one contiguous run
      for (std::size_t o = begin * pixel_bytes; o < end * pixel_bytes; o += 64) __builtin_prefetch(row + o, 0, 2);
      continue;
    }
    for (std::int64_t col = begin; col < end; ++col)
      for (std::size_t o = 0; o < bytes; o += 64) __builtin_prefetch(row + col * pixel_bytes + o, 0, 2);
  }
}

}  // namespace shardwise
