#pragma once
// The row kernels one SIMD target offers for one kernel family, as the kernel files
// export them to the selector (dwconv_row.cpp). Internal to the microkernels folder.
#include <cstddef>
#include <cstdint>

#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {

struct DwRowKernelTable {
  // [input bfloat16][output bfloat16][activation: none, relu, relu6][stride - 1];
  // the generic family fills stride index 0 only (its stride is a run-time value).
  DwRowFn fn[2][2][3][2] = {};
  DwRowFn two_rows[2][2][3][2] = {};  // the two-row kernels where the target has them
  const char* target = "";
  std::size_t channels_per_tile = 0;  // channels in the widest register tile
  std::size_t pixels_per_tile = 0;    // output pixels in the widest register tile
  std::size_t two_row_channels_per_tile = 0;  // the two-row kernels' tile: 2 rows x two_row_pixels_per_tile pixels
  std::size_t two_row_pixels_per_tile = 0;
  // [input bfloat16][output bfloat16]: the fewest bytes of a pixel one output store of
  // the one-row tiles writes (DwRowMicrokernel::store_bytes), and of the two-row tiles
  // [output bfloat16].
  std::size_t store_bytes[2][2] = {};
  std::size_t two_row_store_bytes[2] = {};
};

// The families, each compiled for every target (Highway dynamic dispatch on the
// currently allowed targets: the best this CPU supports unless a test restricts them).
DwRowKernelTable generic_row_kernels();     // any kernel width, stride and dilation
DwRowKernelTable sliding_row_kernels_k3();  // kernel width 3, stride 1 or 2, dilation 1
DwRowKernelTable sliding_row_kernels_k5();
DwRowKernelTable sliding_row_kernels_k7();
// bfloat16 input only ([1][*][*][*]), kernel width 3, 5 or 7; needs the CPU's AVX512_BF16.
DwRowKernelTable bf16_pair_row_kernels(std::uint32_t kernel_w);

}  // namespace shardwise
