#pragma once
// The host preset's program factory (TT-NN's select_program_factory, by arch): the same
// plan -> program -> scheduler structure as the chip path, with kernels built for a CPU.
//
//   reader  per work item (a chunk of output rows of one image x one channel block) a
//           window descriptor through the CB: the chunk's output address and the
//           addresses of the valid input rows; no halo copy, no window sticks copied.
//   compute one row microkernel call per output row of the chunk (in L1 passes of
//           channels; microkernels/dwconv_row.hpp), reading the NHWC input in place in
//           main memory and writing the output in place; padding rows are absent from
//           the descriptor, padding columns are skipped for the few edge outputs.
// Work: about 4 items per core, each core a contiguous run of them, cut evenly (chunks
// differ by one row at most, blocks by one 32-channel group); channel blocks only when
// an image's rows are too few (DESIGN.md).
#include <memory>
#include <optional>

#include "ops/conv2d/conv2d.hpp"

namespace shardwise {

// Whether the host program runs this conv: the `host` preset, a DRAM-interleaved
// ROW_MAJOR input, ROW_MAJOR output, an activation the microkernels fuse, float32
// accumulation, no injected fault. Everything else takes the TT-faithful kernels.
bool host_program_applies(const Device& device, const DeviceTensor& input, const Conv2dConfig& config);

// The prepared weights and bias as the host microkernels read them: float32
// [K][Cpad] then a bias row [Cpad] (zeros past C and without bias), from the values
// the prepared tensors hold (block-float weights keep their quantisation). DRAM.
DeviceTensor pack_host_weights(Device& device, const PreparedWeights& prepared);

// `output`: write into this tensor (checked by conv2d) instead of allocating one.
Conv2dResult run_host_conv2d(const DeviceTensor& input, const PreparedWeights& weights, Device& device, const Conv2dParams& p,
                             const Conv2dConfig& config, const DeviceTensor* output = nullptr);

}  // namespace shardwise
