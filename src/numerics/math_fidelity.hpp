#pragma once
// How the chip's matrix unit is asked to compute (chip-numerics.md sections 2-3): the
// math fidelity (how many multiplier passes run) and the width of Dst. And the switch
// between modelling that arithmetic and computing in exact float32.
#include <cstdint>
#include <string_view>

namespace shardwise {

// Fidelity phases run, in this order: LoFi {0}, HiFi2 {0,1}, HiFi3 {0,1,2}, HiFi4 {0,1,2,3}.
enum class MathFidelity : std::uint8_t { LOFI, HIFI2, HIFI3, HIFI4 };

inline constexpr int fidelity_phases(MathFidelity fidelity) { return static_cast<int>(fidelity) + 1; }

// "lofi", "hifi2", "hifi3", "hifi4" (TT-NN spells them LoFi, HiFi2, ...).
std::string_view to_string(MathFidelity fidelity);
// Case-insensitive; InvalidArgument naming the value and the allowed names otherwise.
MathFidelity parse_math_fidelity(std::string_view name);

// EXACT: products and sums in float32 (the host preset's default, where speed matters).
// CHIP: the chip's unpack / fidelity-phase multiply / Dst rounding / packer, bit for bit
// (the default on the chip presets).
enum class Numerics : std::uint8_t { EXACT, CHIP };

std::string_view to_string(Numerics numerics);
Numerics parse_numerics(std::string_view name);

// The compute config's arithmetic knobs, as TT-NN's compute kernel config holds them.
struct ChipMath {
  MathFidelity fidelity = MathFidelity::HIFI4;  // TT-NN's default for conv
  bool fp32_dest_acc = true;                    // fp32 Dst; false: bf16 Dst
  friend bool operator==(const ChipMath&, const ChipMath&) = default;
};

}  // namespace shardwise
