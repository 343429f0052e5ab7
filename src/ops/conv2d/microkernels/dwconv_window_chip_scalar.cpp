// The scalar chip window: numerics/ element by element. The SIMD kernels
// (dwconv_window_chip.cpp) are tested against it, and it takes what they leave (silu,
// gelu, channel counts that are not a multiple of the vector).
#include "ops/conv2d/microkernels/dwconv_window_chip.hpp"

#include <bit>
#include <cmath>
#include <cstring>

#include "core/bfloat16.hpp"
#include "numerics/fpu.hpp"
#include "numerics/packer.hpp"
#include "numerics/src_unpack.hpp"

namespace shardwise {
namespace {

// Step 5 on a Dst value.
std::uint32_t activate_dst(Activation activation, std::uint32_t dst, bool fp32_dest_acc, float leaky_slope) {
  constexpr std::uint32_t kSix = 0x40C00000u;  // 6.0, exact in both Dst widths
  switch (activation) {
    case Activation::NONE: return dst;
    case Activation::RELU: return (dst >> 31) ? 0u : dst;
    case Activation::RELU6:
      if (dst >> 31) return 0u;
      return std::bit_cast<float>(dst) > 6.0f ? kSix : dst;
    default: {  // the SFPU's functions, here in float32 (chip-numerics.md does not specify them)
      const float y = activation_value(activation, std::bit_cast<float>(dst), leaky_slope);
      const std::uint32_t bits = std::bit_cast<std::uint32_t>(y);
      return fp32_dest_acc ? bits : std::uint32_t{bfloat16::from_float(y).bits} << 16;
    }
  }
}

template <typename Load>
void window_chip(Load load, const std::uint32_t* weights, const std::uint32_t* bias, const ChipWindowShape& s,
                 std::uint32_t* products, float* out, std::uint32_t first_channel) {
  const std::uint32_t K = s.kernel_positions, P = s.channels;
  const bool fp32 = s.math.fp32_dest_acc;
  const bool bf16_products = s.input_dtype != DataType::FLOAT32;
  for (std::uint32_t c = first_channel; c < P; ++c) {
    for (std::uint32_t k = 0; k < K; ++k) {
      const std::size_t i = std::size_t{k} * P + c;
      const std::uint32_t dst = fpu_multiply(load(i), weights[i], s.math);
      products[k] = bf16_products ? src_from_bfloat16(pack_to_bfloat16(dst)) : src_from_float32(pack_to_float32(dst), fp32);
    }
    std::uint32_t dst = fpu_reduce_rows(products, static_cast<int>(K), kSrcOne, s.math, 0);
    if (bias) dst = fpu_add(dst, bias[c], fp32);
    dst = activate_dst(s.activation, dst, fp32, s.leaky_slope);
    out[c] = s.output_dtype == DataType::BFLOAT16 ? bfloat16{pack_to_bfloat16(dst)}.to_float()
                                                  : std::bit_cast<float>(pack_to_float32(dst));
  }
}

}  // namespace

void dw_window_chip_scalar(const void* window, const std::uint32_t* weights, const std::uint32_t* bias,
                           const ChipWindowShape& shape, std::uint32_t* products, float* out, std::uint32_t first_channel) {
  if (shape.input_dtype == DataType::FLOAT32) {
    const auto* x = static_cast<const std::uint8_t*>(window);
    const bool fp32 = shape.math.fp32_dest_acc;
    window_chip(
        [x, fp32](std::size_t i) {
          std::uint32_t bits;
          std::memcpy(&bits, x + 4 * i, 4);
          return src_from_float32(bits, fp32);
        },
        weights, bias, shape, products, out, first_channel);
  } else {
    const auto* x = static_cast<const std::uint16_t*>(window);
    window_chip([x](std::size_t i) { return src_from_bfloat16(x[i]); }, weights, bias, shape, products, out, first_channel);
  }
}

}  // namespace shardwise
