// Choosing a row microkernel: the family by kernel width, stride and dilation, the SIMD
// target by what the CPU reports (Highway's dynamic dispatch), the variant by dtypes
// and activation.
#include <hwy/targets.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "ops/conv2d/microkernels/dwconv_row_table.hpp"

namespace shardwise {
namespace {

int activation_index(Activation a) { return a == Activation::NONE ? 0 : a == Activation::RELU ? 1 : 2; }
const char* short_name(DataType d) { return d == DataType::FLOAT32 ? "f32" : "bf16"; }

bool sliding_applies(const DwRowKernelKey& key) {
  return key.dilation_w == 1 && (key.stride_w == 1 || key.stride_w == 2) &&
         (key.kernel_w == 3 || key.kernel_w == 5 || key.kernel_w == 7);
}

DwRowKernelTable family_table(const DwRowKernelKey& key) {
  if (!sliding_applies(key)) return generic_row_kernels();
  if (key.kernel_w == 3) return sliding_row_kernels_k3();
  if (key.kernel_w == 5) return sliding_row_kernels_k5();
  return sliding_row_kernels_k7();
}

}  // namespace

void pack_even_odd_weights(std::span<const float> packed, std::uint32_t channels, std::uint32_t packed_channels, std::vector<float>& out) {
  constexpr std::uint32_t kGroup = 32;
  check_arg(packed_channels % kGroup == 0 && packed.size() % packed_channels == 0,
            "even/odd weights: {} packed values are not rows of {} channels", packed.size(), packed_channels);
  const std::size_t rows = packed.size() / packed_channels, first = out.size();
  out.resize(first + packed.size(), 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::uint32_t c = 0; c < channels; ++c) {
      const std::uint32_t lane = c / kGroup * kGroup + (c % 2) * (kGroup / 2) + c % kGroup / 2;
      out[first + r * packed_channels + lane] = packed[r * packed_channels + c];
    }
}

bool dw_row_supports(Activation a) { return a == Activation::NONE || a == Activation::RELU || a == Activation::RELU6; }

std::vector<std::int64_t> dw_row_targets() { return hwy::SupportedAndGeneratedTargets(); }

DwRowMicrokernel select_dw_row_microkernel(const DwRowKernelKey& key, std::int64_t target) {
  check_arg(dw_row_supports(key.activation), "the host row microkernels fuse none, relu and relu6, not {}", to_string(key.activation));
  check_arg((key.input == DataType::FLOAT32 || key.input == DataType::BFLOAT16) &&
                (key.output == DataType::FLOAT32 || key.output == DataType::BFLOAT16),
            "the host row microkernels take float32 or bfloat16, not {} -> {}", to_string(key.input), to_string(key.output));
  check_arg(key.kernel_w >= 1 && key.stride_w >= 1 && key.dilation_w >= 1,
            "the host row microkernels need kernel width, stride and dilation >= 1, not {}, {}, {}", key.kernel_w, key.stride_w,
            key.dilation_w);
  const bool sliding = sliding_applies(key);
  // The AVX512_BF16 pair kernels: bfloat16 input, sliding family, pair weights packed,
  // the CPU able, and no test restricting the Highway targets.
  const bool pairs = key.bf16_pairs && key.input == DataType::BFLOAT16 && sliding && target == 0 && dw_row_bf16_pairs_supported();
  if (target != 0) hwy::SetSupportedTargetsForTest(target);
  const DwRowKernelTable k = pairs ? bf16_pair_row_kernels(key.kernel_w) : family_table(key);
  if (target != 0) hwy::SetSupportedTargetsForTest(0);
  const std::string family = sliding ? fmt::format("k{}s{}", key.kernel_w, key.stride_w) : std::string("generic");
  const int in = key.input == DataType::BFLOAT16, out = key.output == DataType::BFLOAT16, act = activation_index(key.activation);
  const int stride = sliding ? static_cast<int>(key.stride_w) - 1 : 0;
  const DwRowFn two_rows = k.two_rows[in][out][act][stride];  // null in the pair kernels' table
  return {k.fn[in][out][act][stride],
          fmt::format("dwconv_row_{}_{}_{}_{}_{}_{}c{}p_{}", short_name(key.input), pairs ? "bf16pairs" : "f32acc", short_name(key.output),
                      to_string(key.activation), family, k.channels_per_tile, k.pixels_per_tile, k.target),
          pairs, two_rows,
          two_rows == nullptr ? std::string()
                              : fmt::format("dwconv_2rows_{}_f32acc_{}_{}_{}_{}c{}p_{}", short_name(key.input), short_name(key.output),
                                            to_string(key.activation), family, k.two_row_channels_per_tile, k.two_row_pixels_per_tile, k.target),
          static_cast<std::uint32_t>(k.store_bytes[in][out]), static_cast<std::uint32_t>(two_rows == nullptr ? 0 : k.two_row_store_bytes[out])};
}

}  // namespace shardwise
