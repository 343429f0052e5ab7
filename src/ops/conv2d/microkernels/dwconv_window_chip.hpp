#pragma once
// The depthwise compute of one output stick in the chip's arithmetic: the reference's
// steps of chip-numerics.md section 6 on numerics/ (the chip presets with numerics
// CHIP). For each channel c of the window x[k*P + c] (K window sticks of P channels):
//   1. multiply:  Dst_k = ELWMUL(SrcA = x[k, c], SrcB = w[k, c]) at the fidelity
//   2. pack the products to the activation dtype (bfloat16, or float32 for float32
//      activations), then unpack them into SrcA again (float32: truncated)
//   3. reduce:    Dst = sum of the K products, faces of 16 rows, groups of 8 rows,
//                 SrcB = 1.0 at the same fidelity, into a zeroed Dst
//   4. bias:      Dst += bias[c] (element-wise add, no fidelity phases)
//   5. activation on the Dst value: relu and relu6 exact; silu and gelu in float32 (an
//                 approximation of the chip's SFPU), rounded to bfloat16 in bf16 Dst
//   6. pack to the output dtype (ties away from zero)
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/activation.hpp"
#include "core/data_type.hpp"
#include "numerics/math_fidelity.hpp"

namespace shardwise {

struct ChipWindowShape {
  std::uint32_t kernel_positions = 0;  // K
  std::uint32_t channels = 0;          // P
  ChipMath math;
  DataType input_dtype = DataType::BFLOAT16;   // bfloat16 or float32
  DataType output_dtype = DataType::BFLOAT16;  // bfloat16 or float32
  Activation activation = Activation::NONE;
  float leaky_slope = static_cast<float>(kDefaultLeakySlope);  // LEAKY_RELU
};

// weights: K*P Src values (numerics/src_unpack.hpp), w[k*P + c]; bias: P Src values or
// null. out[c]: the packed output's value (exactly representable in the output dtype).
// products: scratch for K values.
// What the multiply of dw_window_chip needs of each weight, computed once per kernel
// (the weights do not change): for weight i of K*P, plane 0 holds the SrcB value cut to
// the bits the fidelity multiplies by the activation's top bits (fp32 Dst: all of them
// at HiFi4, else 7; bf16 Dst: 7, the later phases come one by one), plane 1 the bits
// after the first 7 (B.lo), both as float bits; both 0 for a weight whose exponent field
// is 0 (its products are +0).
struct ChipWeightTable {
  static constexpr std::size_t kPlanes = 2;
  std::size_t count = 0;              // K * P
  std::vector<std::uint32_t> planes;  // kPlanes * count
};
ChipWeightTable make_chip_weight_table(const std::uint32_t* weights, std::size_t count, ChipMath math);

// products: scratch for K * 64 values. SIMD across channels (Highway's best target,
// dwconv_window_chip.cpp), the same bits as dw_window_chip_scalar.
void dw_window_chip(const void* window, const std::uint32_t* weights, const std::uint32_t* bias, const ChipWindowShape& shape,
                    const ChipWeightTable& table, std::uint32_t* products, float* out);
inline constexpr std::uint32_t kChipProductLanes = 64;  // products scratch: K * kChipProductLanes values

// One channel at a time through numerics/ (the definition the SIMD kernels match), for
// channels [first_channel, P).
void dw_window_chip_scalar(const void* window, const std::uint32_t* weights, const std::uint32_t* bias,
                           const ChipWindowShape& shape, std::uint32_t* products, float* out, std::uint32_t first_channel = 0);

}  // namespace shardwise
