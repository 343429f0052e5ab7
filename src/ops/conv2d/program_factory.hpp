#pragma once
// Program factories of the depthwise conv: the halo program, and the conv program
// whose weight distribution depends on the sharding (TT-NN's select_program_factory):
//   HEIGHT: the first core reads all weight tiles and multicasts them to the others;
//   WIDTH:  every core reads its own shard's tiles (start tile core_index * P/32);
//   BLOCK:  the first core of each channel column reads the column's tiles and
//           multicasts them down the column.
// With a DRAM output (a sliced layer) a writer kernel drains the output CB into the
// interleaved output by page id.
#include <vector>

#include "device/program.hpp"
#include "ops/conv2d/conv2d.hpp"
#include "ops/conv2d/halo.hpp"

namespace shardwise {

// Who reads weights and who receives them from whom.
struct WeightRole {
  bool reads_weights = false;
  CoreCoord sender;
  std::vector<CoreRange> multicast;
  std::uint32_t num_receivers = 0;
};

std::vector<WeightRole> weight_roles_height(const ParallelConfig& pc);
std::vector<WeightRole> weight_roles_width(const ParallelConfig& pc);
std::vector<WeightRole> weight_roles_block(const ParallelConfig& pc);
std::vector<WeightRole> select_weight_roles(const ParallelConfig& pc);

struct DepthwiseProgramInputs {
  const Conv2dParams& params;
  const Conv2dConfig& config;
  const Conv2dPlan& plan;
  const SlicePlan& slice;
  const PreparedWeights& weights;
  DataType input_dtype;
  DataType output_dtype;
  const Buffer& halo;
  const DeviceTensor& output;  // sharded (bound to the output CB) or DRAM (a writer drains the CB)
  std::uint32_t halo_page_bytes;
};

Program make_halo_program(const ParallelConfig& pc, const SlicePlan& slice, const StickSource& source,
                          std::uint32_t input_channels, const Buffer& halo, const Buffer& halo_config,
                          std::uint32_t halo_page_bytes);
Program make_depthwise_program(const DepthwiseProgramInputs& in);

// The chip presets' path of conv2d (conv2d.cpp picks it or the host program): plans,
// then runs the halo and conv programs slice by slice.
Conv2dResult run_chip_conv2d(const DeviceTensor& input, const PreparedWeights& weights, Device& device, const Conv2dParams& p,
                             const Conv2dConfig& config);

}  // namespace shardwise
