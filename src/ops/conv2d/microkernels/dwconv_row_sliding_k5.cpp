// The sliding-window row kernels of width 5 (dwconv_row_sliding-inl.h), compiled for
// every SIMD target; one file per width so that the widths compile in parallel.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/conv2d/microkernels/dwconv_row_sliding_k5.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "ops/conv2d/microkernels/dwconv_row_sliding-inl.h"

HWY_BEFORE_NAMESPACE();
namespace shardwise::HWY_NAMESPACE {
DwRowKernelTable SlidingK5() { return sliding_table<5>(); }
}  // namespace shardwise::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace shardwise {
HWY_EXPORT(SlidingK5);
DwRowKernelTable sliding_row_kernels_k5() { return HWY_DYNAMIC_DISPATCH(SlidingK5)(); }
}  // namespace shardwise
#endif
