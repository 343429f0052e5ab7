#pragma once
// Depthwise conv2d on the device model, in the style of TT-NN:
//
//   conv2d(input, weight, bias, device, params, config)
//
// input: a device tensor of sticks [1, 1, N*H*W, C] (or [N, H, W, C]), ROW_MAJOR,
// bfloat16 or float32, interleaved or sharded. weight: host [C, 1, kh, kw]; bias:
// optional host [C]. The result holds the output device tensor [1, 1, N*Ho*Wo, C],
// sharded like the work, plus the prepared weights and bias (pass them to the
// PreparedWeights overload to skip preparation) and the plan that ran.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "device/device.hpp"
#include "device/device_tensor.hpp"
#include "ops/conv2d/conv2d_config.hpp"
#include "ops/conv2d/conv2d_params.hpp"
#include "ops/conv2d/halo.hpp"
#include "ops/conv2d/parallel_config.hpp"
#include "ops/conv2d/prepare_weights.hpp"

namespace shardwise {

struct PreparedWeights {
  DeviceTensor weights;              // [1, 1, Hw, C] tiles, DRAM interleaved
  std::optional<DeviceTensor> bias;  // [1, 1, 32, C] tiles, DRAM interleaved
  DepthwiseWeightLayout layout;
  DataType dtype = DataType::BFLOAT16;
  // `host` preset: the same weights and bias packed once for the host microkernels
  // (host/host_program.hpp); absent elsewhere (then packed per call if needed).
  std::optional<DeviceTensor> host_packed;
};

struct CorePlan {
  CoreCoord core;
  std::uint32_t nhw_block = 0;
  std::uint32_t channel_shard = 0;  // of the S weight shards: pass * cores_c + the core's channel split
  std::uint64_t first_output = 0;
  std::uint32_t num_outputs = 0;
  std::uint32_t weight_start_tile = 0;  // first weight tile id it reads (or receives)
  std::uint64_t halo_first_stick = 0;  // padded-image stick at halo row 0
  std::uint32_t halo_sticks = 0;
  std::uint32_t halo_runs = 0;
};

// One pass over a range of output sticks: a halo program, then the conv program.
struct SlicePlan {
  std::uint32_t channel_pass = 0;  // which channel shards (see ParallelConfig::channel_passes)
  std::uint64_t first_output = 0;
  std::uint64_t num_outputs = 0;
  std::uint32_t shard_height = 32;  // outputs per stick block in this slice (multiple of 32)
  std::uint32_t halo_sticks = 1;    // halo shard height (max over cores)
  std::uint32_t max_runs = 1;       // halo config runs (max over cores)
  std::vector<CorePlan> cores;
  std::vector<HaloWindow> windows;  // per stick block
};

// A layer runs in one slice when its halo, output shard and CBs fit in L1; otherwise
// in slices of output sticks, each writing its part of a DRAM-interleaved output; and
// when even a slice of 32 sticks per core does not fit, also in channel passes (the
// parallel config's). Only when no split fits is it an out-of-memory error.
struct Conv2dPlan {
  std::string arch;
  ParallelConfig parallel;
  std::uint32_t block_sticks = 32;      // outputs per input CB page
  std::uint64_t l1_bytes_per_core = 0;  // buffers + CBs this op places in each core's L1 (largest slice)
  std::uint64_t l1_available = 0;       // what the device had free for them
  bool output_in_dram = false;          // sliced: the output is DRAM interleaved
  std::uint32_t requested_slices = 0;   // Conv2dConfig::dram_slices when slices were asked for
  std::vector<SlicePlan> slices;        // pass after pass, stick slices within a pass
  std::string host_microkernel;         // the host program's microkernel; empty on the chip path
  Numerics numerics = Numerics::EXACT;  // the arithmetic in force (numerics_in_force)
  ChipMath math;                        // with CHIP: fidelity and Dst width
  std::string numerics_summary() const;  // "chip (hifi4, fp32 Dst)", "exact (float32, bf16 Dst)"
  std::uint64_t stick_slices() const { return slices.size() / parallel.channel_passes; }
  const std::vector<CorePlan>& cores() const { return slices.front().cores; }
  std::string summary() const;          // the readable plan the CLI prints
};

struct Conv2dResult {
  DeviceTensor output;
  std::uint32_t out_height = 0;
  std::uint32_t out_width = 0;
  PreparedWeights prepared;
  // Shared with the program cache: a repeated call copies a pointer, not the plan.
  std::shared_ptr<const Conv2dPlan> plan;
};

// The shard split a conv will use (for preparing weights ahead of time), including the
// channel passes a layer needs when a slice of 32 output sticks per core does not fit
// the arch's L1 in one pass (decided from the arch alone, so prepared weights stay
// valid for every call with the same parameters and config).
ParallelConfig conv2d_parallel_config(const Conv2dParams& params, const Conv2dConfig& config, const Arch& arch);

// OutOfMemory, with the bytes, when the layer's input and output cannot fit the arch's
// DRAM even in bfloat16: checked before planning, whose work grows with the output.
void check_fits_dram(const Conv2dParams& params, const Arch& arch);

// Host weights -> device, laid out for `shards` channel shards.
PreparedWeights prepare_depthwise_weights(Device& device, const Tensor& weight, const std::optional<Tensor>& bias,
                                          std::uint32_t shards, DataType weights_dtype);

Conv2dResult conv2d(const DeviceTensor& input, const Tensor& weight, const std::optional<Tensor>& bias, Device& device,
                    const Conv2dParams& params, const Conv2dConfig& config = {});
// `output` (optional): the host program writes the result into this tensor instead of
// allocating one (a buffer wrapping the caller's memory: no copy out). It must be
// ROW_MAJOR, DRAM interleaved, [1, 1, N*Ho*Wo, C] or [N, Ho, Wo, C] in the output
// dtype, with unpadded pages; a call the host program does not run refuses it.
Conv2dResult conv2d(const DeviceTensor& input, const PreparedWeights& prepared, Device& device,
                    const Conv2dParams& params, const Conv2dConfig& config = {}, const DeviceTensor* output = nullptr);

}  // namespace shardwise
