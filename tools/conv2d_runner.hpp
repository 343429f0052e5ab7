#pragma once
// One depthwise conv case end to end: inputs (random from a seed, debug weights, or
// given), the conv on a device model, the double-precision reference on the same
// dtype-rounded inputs, and the comparison. Shared by the CLI and the tests.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "device/arch.hpp"
#include "device/device.hpp"
#include "ops/conv2d/conv2d.hpp"
#include "ops/reference/metrics.hpp"

namespace shardwise {

struct ConvCase {
  std::string arch = "wormhole_b0";
  ArchOverrides arch_overrides;
  Conv2dParams params;
  Conv2dConfig config;
  DataType dtype = DataType::BFLOAT16;  // input (activations) dtype
  bool bias = false;
  std::uint64_t seed = 0;
  bool debug_weights = false;  // weight = kernel position id + 1
  MemoryConfig input_memory = MemoryConfig::dram_interleaved();
  std::optional<std::vector<float>> input;   // NCHW
  std::optional<std::vector<float>> weight;  // [C, 1, kh, kw]
  std::optional<std::vector<float>> bias_values;
  unsigned repeat = 1;
  DprintOptions dprint;
  std::optional<bool> watcher;  // DeviceOptions::watcher (unset: SHARDWISE_WATCHER, else the preset's default)
};

struct ConvRun {
  Conv2dResult result;
  std::vector<float> output;        // NCHW, as float
  std::vector<double> reference;    // NCHW
  reference::Comparison comparison;  // against the reference on the values the device holds
  // NaN / +-infinity in what the run used (after rounding to the dtypes) and produced.
  reference::NonFinite input_nonfinite, weights_nonfinite, bias_nonfinite;
  bool has_nonfinite() const {
    return input_nonfinite.total() + weights_nonfinite.total() + bias_nonfinite.total() + comparison.actual_nonfinite.total() +
               comparison.expected_nonfinite.total() != 0;
  }
  // Block-float weights: PCC against the reference on the unquantised (bfloat16)
  // weights and bias, i.e. including the format's loss. NaN otherwise.
  double quantization_pcc = std::numeric_limits<double>::quiet_NaN();
  // With numerics CHIP: the PCC the same conv reaches with numerics EXACT (float32
  // arithmetic), so a report shows what the chip's arithmetic costs. NaN otherwise.
  double exact_numerics_pcc = std::numeric_limits<double>::quiet_NaN();
  double median_ms = 0;
  bool watcher = true;  // whether the watcher checked the run
  std::vector<float> weight_matrix;  // the [Hw, S*P] prepared matrix before tilizing
};

// InvalidArgument for bad parameters; DeviceError when the device refuses the run.
ConvRun run_conv_case(const ConvCase& c);

}  // namespace shardwise
