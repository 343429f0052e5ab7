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
  float leaky_slope = static_cast<float>(kDefaultLeakySlope);  // LEAKY_RELU's slope below 0
  Layout output_layout = Layout::ROW_MAJOR;
  bool bfloat16_accumulation = false;  // bf16 Dst: the chip without fp32 accumulation (fp32_dest_acc_en = false)
  // The arithmetic: nullopt means the arch's default (CHIP on wormhole_b0 / blackhole,
  // EXACT on host). CHIP follows chip-numerics.md with this fidelity and Dst width.
  std::optional<Numerics> numerics;
  MathFidelity math_fidelity = MathFidelity::HIFI4;
  // Output-stick slices asked for (TT-NN's Conv2dSliceConfig with a DRAM height or
  // width slice type and num_slices): the layer runs in at least this many slices,
  // each a halo and a conv program writing its part of a DRAM-interleaved output, even
  // when fewer would fit L1 (more when it needs more). nullopt: as many as L1 needs.
  std::optional<std::uint32_t> dram_slices;
  InjectedFault fault = InjectedFault::NONE;
  friend bool operator==(const Conv2dConfig&, const Conv2dConfig&) = default;
};

// The numerics a call runs with on `arch`.
inline Numerics numerics_in_force(const Conv2dConfig& config, const Arch& arch) {
  return config.numerics.value_or(arch.is_host() ? Numerics::EXACT : Numerics::CHIP);
}

inline ChipMath chip_math_of(const Conv2dConfig& config) { return ChipMath{config.math_fidelity, !config.bfloat16_accumulation}; }

}  // namespace shardwise
