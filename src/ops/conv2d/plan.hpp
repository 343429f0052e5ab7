#pragma once
// The chip presets' conv plan (plan.cpp): layout and grid, channel passes, stick slices
// sized to L1, halo windows per slice. The host preset plans in host/host_program.cpp.
#include "ops/conv2d/conv2d.hpp"

namespace shardwise {

// InvalidArgument / OutOfMemory naming the values when the prepared weights do not
// match the conv or no slicing fits L1.
Conv2dPlan make_conv2d_plan(const Conv2dParams& p, const Conv2dConfig& config, const Device& device, DataType in_dtype,
                            DataType out_dtype, const PreparedWeights& weights);

}  // namespace shardwise
