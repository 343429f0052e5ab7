#pragma once
// How a conv2d call should run: sharding, cores, dtypes, fused activation, output layout.
#include <cstdint>
#include <optional>

#include "core/activation.hpp"
#include "core/data_type.hpp"
#include "tensor/memory_config.hpp"
#include "tensor/tensor.hpp"

namespace shardwise {

// Deliberate kernel bugs, for kernel developers to see what a broken data flow does
// to the result (the seeds' failing steps) and for tests that prove the checks fail.
enum class InjectedFault : std::uint8_t {
  NONE,
  WEIGHTS_BY_ADDRESS_OFFSET,  // read weight tiles at base + offset in one bank, not by page id
  SKIP_WEIGHT_MULTICAST,      // senders hand out the VALID flag without multicasting the data
};

struct Conv2dConfig {
  std::optional<TensorMemoryLayout> shard_layout;  // nullopt: chosen automatically
  std::optional<std::uint32_t> num_cores;          // HEIGHT / WIDTH: exactly this many cores
  std::optional<CoreCoord> grid;                   // available grid (x, y); BLOCK uses it as its grid
  ShardOrientation orientation = ShardOrientation::ROW_MAJOR;
  DataType weights_dtype = DataType::BFLOAT16;
  std::optional<DataType> output_dtype;  // default: the input's dtype
  Activation activation = Activation::NONE;
  Layout output_layout = Layout::ROW_MAJOR;
  bool bfloat16_accumulation = false;  // emulate the chip without fp32 accumulation
  InjectedFault fault = InjectedFault::NONE;
  friend bool operator==(const Conv2dConfig&, const Conv2dConfig&) = default;
};

}  // namespace shardwise
