// conv2d's parameter validation and planner on random parameter structs (mostly small,
// sometimes huge or zero) and configs, on the three arch presets: they plan, or throw
// InvalidArgument or OutOfMemory (the layer does not fit); never crash, hang, or throw
// anything else. The host memory budget is set low, so nothing large is allocated.
#include <cstdlib>
#include <memory>

#include "core/error.hpp"
#include "device/device.hpp"
#include "fuzz_input.hpp"
#include "ops/conv2d/conv2d.hpp"
#include "ops/conv2d/plan.hpp"

using namespace shardwise;

namespace {
Device& device_for(int arch) {
  static std::unique_ptr<Device> devices[3];
  static const char* const kNames[] = {"wormhole_b0", "blackhole", "host"};
  if (!devices[arch]) {
    setenv("SHARDWISE_HOST_MEMORY", "256M", 1);
    devices[arch] = std::make_unique<Device>(arch_preset(kNames[arch]));
  }
  return *devices[arch];
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  Device& device = device_for(in.byte() % 3);
  Conv2dParams p;
  p.batch = in.extent(4);
  p.in_channels = p.out_channels = p.groups = in.extent(200);
  if (in.byte() < 16) p.groups = in.extent(8);
  p.input_height = in.extent(64);
  p.input_width = in.extent(64);
  p.kernel_h = in.extent(9);
  p.kernel_w = in.extent(9);
  p.stride_h = in.extent(4);
  p.stride_w = in.extent(4);
  p.dilation_h = in.extent(3);
  p.dilation_w = in.extent(3);
  p.pad_top = in.extent(5);
  p.pad_bottom = in.extent(5);
  p.pad_left = in.extent(5);
  p.pad_right = in.extent(5);
  Conv2dConfig config;
  const std::uint8_t layout = in.byte() % 5;
  if (layout == 1) config.shard_layout = TensorMemoryLayout::HEIGHT_SHARDED;
  if (layout == 2) config.shard_layout = TensorMemoryLayout::WIDTH_SHARDED;
  if (layout == 3) config.shard_layout = TensorMemoryLayout::BLOCK_SHARDED;
  if (layout == 4) config.shard_layout = TensorMemoryLayout::INTERLEAVED;
  if (in.byte() < 32) config.num_cores = in.extent(70);
  if (in.byte() < 32) config.grid = CoreCoord{in.extent(10), in.extent(10)};
  constexpr DataType kWeights[] = {DataType::BFLOAT16, DataType::FLOAT32, DataType::BFLOAT8_B, DataType::BFLOAT4_B};
  config.weights_dtype = kWeights[in.byte() % 4];
  if (in.byte() < 32) config.dram_slices = in.extent(8);  // requested DRAM slices (any count: capped by the plan)
  const DataType act = in.byte() % 2 ? DataType::FLOAT32 : DataType::BFLOAT16;
  try {
    const ParallelConfig pc = conv2d_parallel_config(p, config, device.arch());
    PreparedWeights weights;
    weights.layout = DepthwiseWeightLayout(p.in_channels, p.kernel_h, p.kernel_w, pc.channel_shards());
    weights.dtype = config.weights_dtype;
    const Conv2dPlan plan = make_conv2d_plan(p, config, device, act, act, weights);
    if (plan.slices.empty()) std::abort();
  } catch (const InvalidArgument&) {
  } catch (const OutOfMemory&) {
  }
  return 0;
}
