#pragma once
// How a conv2d call should run: sharding, cores, dtypes, fused activation, output layout.
#include <cstdint>
#include <optional>

#include "core/activation.hpp"
#include "core/data_type.hpp"
#include "device/arch.hpp"
#include "numerics/math_fidelity.hpp"
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
  bool bfloat16_accumulation = false;  // bf16 Dst: the chip without fp32 accumulation (fp32_dest_acc_en = false)
  // The arithmetic: nullopt means the arch's default (CHIP on wormhole_b0 / blackhole,
  // EXACT on host). CHIP follows chip-numerics.md with this fidelity and Dst width.
  std::optional<Numerics> numerics;
  MathFidelity math_fidelity = MathFidelity::HIFI4;
  InjectedFault fault = InjectedFault::NONE;
  friend bool operator==(const Conv2dConfig&, const Conv2dConfig&) = default;
};

// The numerics a call runs with on `arch`.
inline Numerics numerics_in_force(const Conv2dConfig& config, const Arch& arch) {
  return config.numerics.value_or(arch.is_host() ? Numerics::EXACT : Numerics::CHIP);
}

inline ChipMath chip_math_of(const Conv2dConfig& config) { return ChipMath{config.math_fidelity, !config.bfloat16_accumulation}; }

}  // namespace shardwise
