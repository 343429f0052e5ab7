// The depthwise conv with numerics CHIP on the chip presets, bit for bit against the
// reference's compute steps (chip-numerics.md section 6) composed from the test-only
// model of the page (tests/numerics/chip_numerics_model.hpp): every fidelity, both Dst
// widths, bfloat16 / float32 / bfloat8_b / bfloat4_b weights, bfloat16 and float32
// activations and outputs, windows of 3x3, 1xK, 5x5 (two faces) and 7x7, bias and relu6.
#include <gtest/gtest.h>

#include <bit>
#include <random>

#include <fmt/format.h>

#include "../numerics/chip_numerics_model.hpp"
#include "core/bfloat16.hpp"
#include "ops/conv2d/conv2d.hpp"
#include "ops/conv2d/prepare_weights.hpp"

namespace shardwise {
namespace {

struct ChipCase {
  const char* arch;
  std::uint32_t channels, height, width, kh, kw;
  DataType input_dtype, weights_dtype, output_dtype;
  MathFidelity fidelity;
  bool fp32_dest_acc;
  Activation activation;
  bool bias;
  Layout output_layout = Layout::ROW_MAJOR;
};

std::string chip_case_name(const testing::TestParamInfo<ChipCase>& info) {
  const ChipCase& c = info.param;
  return fmt::format("{}_c{}_{}x{}_k{}x{}_in_{}_w_{}_out_{}_{}_{}_{}{}{}", c.arch, c.channels, c.height, c.width, c.kh, c.kw,
                     to_string(c.input_dtype), to_string(c.weights_dtype), to_string(c.output_dtype), to_string(c.fidelity),
                     c.fp32_dest_acc ? "fp32dst" : "bf16dst", to_string(c.activation), c.bias ? "_bias" : "",
                     c.output_layout == Layout::TILE ? "_tile" : "");
}

// The model's Src value of a number the device holds in `dtype` (block-float and
// bfloat16 values are exact bfloat16 values; float32 is truncated by the unpacker).
std::uint32_t model_src(float value, DataType dtype, bool fp32_dest_acc) {
  const std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  return dtype == DataType::FLOAT32 ? model::unpack_float32(bits, fp32_dest_acc) : bits;
}

// Section 6 on the model: multiply, pack the products in the activation dtype, reduce
// with 1.0, add the bias, relu6 / relu, pack to the output dtype.
float model_output(const std::vector<std::uint32_t>& x, const std::vector<std::uint32_t>& w, std::optional<std::uint32_t> bias,
                   const ChipCase& c) {
  const int f = static_cast<int>(c.fidelity);
  std::vector<std::uint32_t> products;
  for (std::size_t k = 0; k < x.size(); ++k) {
    const std::uint32_t d = model::multiply(x[k], w[k], f, c.fp32_dest_acc);
    products.push_back(c.input_dtype == DataType::FLOAT32 ? model::unpack_float32(d, c.fp32_dest_acc)
                                                          : std::uint32_t{model::pack_bfloat16(d)} << 16);
  }
  std::uint32_t d = model::reduce(products, 0x3F800000u, f, c.fp32_dest_acc, 0);
  if (bias) d = model::add_into_dst(d, *bias, c.fp32_dest_acc);
  float v = std::bit_cast<float>(d);
  if (c.activation == Activation::RELU || c.activation == Activation::RELU6) v = v < 0.0f ? 0.0f : v;
  if (c.activation == Activation::RELU6 && v > 6.0f) v = 6.0f;
  d = std::bit_cast<std::uint32_t>(v);
  if (c.output_dtype == DataType::BFLOAT16) return bfloat16{model::pack_bfloat16(d)}.to_float();
  return std::bit_cast<float>(d);
}

class Conv2dChipNumerics : public testing::TestWithParam<ChipCase> {};

TEST_P(Conv2dChipNumerics, MatchesTheModelOfThePageBitForBit) {
  const ChipCase& c = GetParam();
  Conv2dParams p;
  p.in_channels = p.out_channels = p.groups = c.channels;
  p.input_height = c.height;
  p.input_width = c.width;
  p.kernel_h = c.kh;
  p.kernel_w = c.kw;
  p.pad_top = p.pad_bottom = c.kh / 2;
  p.pad_left = p.pad_right = c.kw / 2;
  Conv2dConfig config;
  config.weights_dtype = c.weights_dtype;
  config.output_dtype = c.output_dtype;
  config.activation = c.activation;
  config.output_layout = c.output_layout;
  config.math_fidelity = c.fidelity;
  config.bfloat16_accumulation = !c.fp32_dest_acc;
  // no config.numerics: CHIP is the chip presets' default

  const std::uint32_t C = c.channels, H = c.height, W = c.width, K = c.kh * c.kw;
  std::mt19937 rng(C * 31 + K);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(std::size_t{H} * W * C), w(std::size_t{C} * K), b(C);
  for (float& v : x) v = normal(rng);
  for (float& v : w) v = normal(rng);
  for (float& v : b) v = normal(rng) * 4.0f;

  Device device(arch_preset(c.arch));
  const Tensor host_x = Tensor::from_vector(x, Shape{1, 1, static_cast<std::int64_t>(H * W), C}, c.input_dtype);
  const DeviceTensor input = to_device(host_x, device, MemoryConfig::dram_interleaved(), "input");
  std::optional<Tensor> bias;
  if (c.bias) bias = Tensor::from_vector(b, Shape{C});
  const Conv2dResult r = conv2d(input, Tensor::from_vector(w, Shape{C, 1, c.kh, c.kw}), bias, device, p, config);
  ASSERT_EQ(r.plan->numerics, Numerics::CHIP);
  const std::vector<float> out = from_device(r.output).to_vector();

  // What the device holds: the input in its dtype, the weights and bias as prepared.
  const std::vector<float> held_x = host_x.to_vector();
  const std::vector<float> held_w = unprepare_conv_weights(from_device(r.prepared.weights), r.prepared.layout);  // [C][K]
  std::vector<float> held_b;
  if (c.bias) held_b = unprepare_conv_bias(from_device(*r.prepared.bias), C);

  int mismatches = 0;
  for (std::uint32_t ho = 0; ho < H; ++ho)
    for (std::uint32_t wo = 0; wo < W; ++wo)
      for (std::uint32_t ch = 0; ch < C; ++ch) {
        std::vector<std::uint32_t> xs, ws;
        for (std::uint32_t i = 0; i < c.kh; ++i)
          for (std::uint32_t j = 0; j < c.kw; ++j) {
            const int hi = static_cast<int>(ho + i) - static_cast<int>(c.kh / 2), wi = static_cast<int>(wo + j) - static_cast<int>(c.kw / 2);
            const bool inside = hi >= 0 && hi < static_cast<int>(H) && wi >= 0 && wi < static_cast<int>(W);
            const float xv = inside ? held_x[(static_cast<std::size_t>(hi) * W + static_cast<std::size_t>(wi)) * C + ch] : 0.0f;
            xs.push_back(model_src(xv, c.input_dtype, c.fp32_dest_acc));
            ws.push_back(model_src(held_w[std::size_t{ch} * K + i * c.kw + j], c.weights_dtype, c.fp32_dest_acc));
          }
        std::optional<std::uint32_t> bias_src;
        if (c.bias) bias_src = model_src(held_b[ch], c.weights_dtype, c.fp32_dest_acc);
        const float want = model_output(xs, ws, bias_src, c);
        const float got = out[(std::size_t{ho} * W + wo) * C + ch];
        if (std::bit_cast<std::uint32_t>(got) != std::bit_cast<std::uint32_t>(want) && ++mismatches <= 5)
          ADD_FAILURE() << "output (" << ho << "," << wo << ") channel " << ch << ": device " << got << " model " << want;
      }
  EXPECT_EQ(mismatches, 0);
}

std::vector<ChipCase> chip_cases() {
  std::vector<ChipCase> all;
  const DataType bf16 = DataType::BFLOAT16, f32 = DataType::FLOAT32;
  const MathFidelity fidelities[] = {MathFidelity::LOFI, MathFidelity::HIFI2, MathFidelity::HIFI3, MathFidelity::HIFI4};
  // Every fidelity and Dst width with each weights dtype, 3x3, bfloat16 in and out.
  for (MathFidelity f : fidelities)
    for (bool fp32_dst : {true, false})
      for (DataType wd : {bf16, f32, DataType::BFLOAT8_B, DataType::BFLOAT4_B})
        all.push_back({"wormhole_b0", 32, 6, 7, 3, 3, bf16, wd, bf16, f, fp32_dst, Activation::RELU6, true});
  // Windows: 1xK in one group, 5x5 over two faces, 7x7 over four; float32 in and out; TILE.
  for (MathFidelity f : {MathFidelity::LOFI, MathFidelity::HIFI4})
    for (bool fp32_dst : {true, false}) {
      all.push_back({"wormhole_b0", 64, 1, 12, 1, 5, bf16, bf16, bf16, f, fp32_dst, Activation::NONE, true});
      all.push_back({"blackhole", 48, 7, 6, 5, 5, bf16, DataType::BFLOAT8_B, f32, f, fp32_dst, Activation::NONE, true});
      all.push_back({"wormhole_b0", 32, 8, 8, 7, 7, f32, f32, f32, f, fp32_dst, Activation::RELU, false});
      all.push_back({"wormhole_b0", 32, 5, 9, 3, 3, f32, bf16, bf16, f, fp32_dst, Activation::RELU6, true, Layout::TILE});
    }
  return all;
}

INSTANTIATE_TEST_SUITE_P(Cases, Conv2dChipNumerics, testing::ValuesIn(chip_cases()), chip_case_name);

}  // namespace
}  // namespace shardwise
