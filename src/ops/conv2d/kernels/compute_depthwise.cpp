// Depthwise compute (reference section 7), one per working core. Once: unpack the
// weight (and bias) tiles into float32; the tiles' memory order already is the flat
// vector w[k*P + c]. Then for each output stick: multiply the K window sticks of the
// input CB element by element with the weights, reduce over K in float32 (or in
// bfloat16 when emulating the chip without fp32 accumulation), add the bias, apply
// the activation and pack the stick to the output CB in the output dtype; with TILE
// output, every 32 sticks are tilized into one row of tiles.
#include <cmath>
#include <cstring>
#include <vector>

#include "core/bfloat16.hpp"
#include "core/block_float.hpp"
#include "device/kernel_context.hpp"
#include "ops/conv2d/kernels/depthwise_args.hpp"
#include "numerics/src_unpack.hpp"
#include "ops/conv2d/microkernels/dwconv_window.hpp"
#include "ops/conv2d/microkernels/dwconv_window_chip.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

void unpack_tile(const std::uint8_t* tile, DataType dtype, float* out) {
  switch (dtype) {
    case DataType::FLOAT32:
      std::memcpy(out, tile, kTileElements * 4);
      return;
    case DataType::BFLOAT16:
      for (std::uint32_t i = 0; i < kTileElements; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, tile + 2 * i, 2);
        out[i] = bfloat16{bits}.to_float();
      }
      return;
    default:
      unpack_block_float_tile(std::span<const std::uint8_t>(tile, tile_size(dtype)), dtype,
                              std::span<float>(out, kTileElements));
  }
}

inline float load(const std::uint16_t* p, std::uint32_t i) { return bfloat16{p[i]}.to_float(); }
inline float load(const float* p, std::uint32_t i) { return p[i]; }

// acc[c] = sum_k x[k*P + c] * w[k*P + c]
// float32 accumulation: the SIMD window sum (microkernels/dwconv_window.hpp, the same
// multiply-then-add bits as a scalar loop); bfloat16 accumulation (the chip's bf16 Dst)
// rounds after every add, scalar.
template <typename In>
void accumulate_window(const In* x, const float* w, std::uint32_t K, std::uint32_t P, bool bf16_acc, float* acc) {
  if (!bf16_acc) {
    dw_window_sum(x, w, K, P, acc);
    return;
  }
  std::fill(acc, acc + P, 0.0f);
  for (std::uint32_t k = 0; k < K; ++k) {
    const In* xs = x + std::size_t{k} * P;
    const float* ws = w + std::size_t{k} * P;
    for (std::uint32_t c = 0; c < P; ++c) acc[c] = round_to_bfloat16(acc[c] + load(xs, c) * ws[c]);
  }
}

}  // namespace

KernelCoroutine compute_depthwise(KernelContext& ctx) {
  const auto& a = ctx.compile_args<DepthwiseComputeArgs>();
  const auto& core = ctx.runtime_args<DepthwiseComputeCoreArgs>();
  const std::uint32_t K = a.kernel_positions, P = a.channels;

  co_await ctx.cb_wait_front(kWeightCb, 1);
  co_await ctx.cb_reserve_back(kScratchCb, 1);
  const std::size_t tile_bytes = tile_size(a.weights_dtype);
  const std::uint8_t* tiles = ctx.l1_pointer<const std::uint8_t>(ctx.get_read_ptr(kWeightCb), (a.weight_tiles + a.bias_tiles) * tile_bytes);
  float* weights = ctx.l1_pointer<float>(ctx.get_write_ptr(kScratchCb), std::size_t{a.weight_tiles} * kTileElements + P);
  float* bias = weights + std::size_t{a.weight_tiles} * kTileElements;
  // CHIP: the same scratch holds Src values (float32 bits) instead of floats.
  const bool chip = a.numerics == Numerics::CHIP;
  const ChipWindowShape chip_shape{K, P, ChipMath{a.math_fidelity, !a.bfloat16_accumulation}, a.input_dtype, a.output_dtype, a.activation,
                                    a.leaky_slope};
  auto* weight_src = reinterpret_cast<std::uint32_t*>(weights);
  auto* bias_src = reinterpret_cast<std::uint32_t*>(bias);
  for (std::uint32_t t = 0; t < a.weight_tiles; ++t) {
    if (chip)
      unpack_tile_to_src(std::span<const std::uint8_t>(tiles + t * tile_bytes, tile_bytes), a.weights_dtype,
                         chip_shape.math.fp32_dest_acc, std::span<std::uint32_t>(weight_src + t * kTileElements, kTileElements));
    else
      unpack_tile(tiles + t * tile_bytes, a.weights_dtype, weights + t * kTileElements);
  }
  std::fill(bias, bias + P, 0.0f);
  std::vector<float> tile(kTileElements);
  std::vector<std::uint32_t> tile_src(kTileElements);
  for (std::uint32_t t = 0; t < a.bias_tiles; ++t) {
    const std::uint8_t* bias_tile = tiles + (a.weight_tiles + t) * tile_bytes;
    if (chip) {
      unpack_tile_to_src(std::span<const std::uint8_t>(bias_tile, tile_bytes), a.weights_dtype, chip_shape.math.fp32_dest_acc, tile_src);
      for (std::uint32_t c = 0; c < kTileWidth; ++c) bias_src[t * kTileWidth + c] = tile_src[tile_element_index(0, c)];
    } else {
      unpack_tile(bias_tile, a.weights_dtype, tile.data());
      for (std::uint32_t c = 0; c < kTileWidth; ++c) bias[t * kTileWidth + c] = tile[tile_element_index(0, c)];
    }
  }
  ctx.cb_pop_front(kWeightCb, 1);
  std::vector<std::uint32_t> chip_products(chip ? std::size_t{K} * kChipProductLanes : 0);
  const ChipWeightTable chip_table = chip ? make_chip_weight_table(weight_src, std::size_t{K} * P, chip_shape.math) : ChipWeightTable{};

  const std::uint32_t in_es = static_cast<std::uint32_t>(element_size(a.input_dtype));
  const std::uint32_t out_es = static_cast<std::uint32_t>(element_size(a.output_dtype));
  const bool tile_output = a.output_layout == Layout::TILE;
  std::vector<float> acc(P);
  // TILE output: 32 finished sticks are gathered here, then tilized as one tile row.
  std::vector<float> tile_row(tile_output ? std::size_t{kTileHeight} * P : 0, 0.0f);
  std::vector<float> tiled(tile_row.size());
  std::uint32_t rows_in_tile_row = 0;
  // The SIMD epilogue (microkernels/dwconv_window.hpp) where it gives the same bits.
  const bool simd_finish = !chip && !a.bfloat16_accumulation && !tile_output &&
                           (a.output_dtype == DataType::BFLOAT16 || a.output_dtype == DataType::FLOAT32) &&
                           (a.activation == Activation::NONE || a.activation == Activation::RELU || a.activation == Activation::RELU6);
  const int simd_activation = a.activation == Activation::RELU ? 1 : a.activation == Activation::RELU6 ? 2 : 0;

  for (std::uint32_t done = 0; done < core.num_outputs;) {
    const std::uint32_t count = std::min(a.block_sticks, core.num_outputs - done);
    co_await ctx.cb_wait_front(kInputCb, 1);
    const std::uint8_t* in = ctx.l1_pointer<const std::uint8_t>(ctx.get_read_ptr(kInputCb), std::size_t{count} * K * P * in_es);
    for (std::uint32_t i = 0; i < count; ++i) {
      const std::uint8_t* window = in + std::size_t{i} * K * P * in_es;
      if (chip)  // bias, activation and the output rounding included: acc holds the output's values
        dw_window_chip(window, weight_src, a.bias_tiles ? bias_src : nullptr, chip_shape, chip_table, chip_products.data(), acc.data());
      else if (a.input_dtype == DataType::BFLOAT16)
        accumulate_window(reinterpret_cast<const std::uint16_t*>(window), weights, K, P, a.bfloat16_accumulation, acc.data());
      else
        accumulate_window(reinterpret_cast<const float*>(window), weights, K, P, a.bfloat16_accumulation, acc.data());
      if (simd_finish) {  // float32 accumulation, none/relu/relu6, ROW_MAJOR output: one SIMD pass
        co_await ctx.cb_reserve_back(kOutputCb, 1);
        const std::uint32_t dst = ctx.get_write_ptr(kOutputCb);
        if (a.output_dtype == DataType::BFLOAT16)
          dw_window_finish(acc.data(), bias, P, simd_activation, ctx.l1_pointer<std::uint16_t>(dst, P));
        else
          dw_window_finish(acc.data(), bias, P, simd_activation, ctx.l1_pointer<float>(dst, P));
        ctx.cb_push_back(kOutputCb, 1);
        continue;
      }
      for (std::uint32_t c = 0; !chip && c < P; ++c) {
        float v = acc[c] + bias[c];
        if (a.bfloat16_accumulation) v = round_to_bfloat16(v);
        acc[c] = activation_value(a.activation, v, a.leaky_slope);
      }
      if (!tile_output) {
        co_await ctx.cb_reserve_back(kOutputCb, 1);
        encode_elements(std::span<const float>(acc.data(), P), a.output_dtype,
                        ctx.l1_pointer<std::uint8_t>(ctx.get_write_ptr(kOutputCb), std::size_t{P} * out_es));
        ctx.cb_push_back(kOutputCb, 1);
        continue;
      }
      std::copy(acc.begin(), acc.end(), tile_row.begin() + std::size_t{rows_in_tile_row} * P);
      if (++rows_in_tile_row == kTileHeight || done + i + 1 == core.num_outputs) {
        // A partial last tile row keeps zeros in its unused sticks.
        std::fill(tile_row.begin() + std::size_t{rows_in_tile_row} * P, tile_row.end(), 0.0f);
        tilize(tile_row.data(), 1, kTileHeight, P, 0.0f, tiled.data());
        co_await ctx.cb_reserve_back(kOutputCb, 1);
        encode_elements(tiled, a.output_dtype,
                        ctx.l1_pointer<std::uint8_t>(ctx.get_write_ptr(kOutputCb), tiled.size() * out_es));
        ctx.cb_push_back(kOutputCb, 1);
        rows_in_tile_row = 0;
      }
    }
    ctx.cb_pop_front(kInputCb, 1);
    done += count;
  }
}

}  // namespace shardwise
