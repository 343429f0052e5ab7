#include "ops/conv2d/prepare_weights.hpp"

#include <cmath>

#include "core/error.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {

DepthwiseWeightLayout::DepthwiseWeightLayout(std::uint32_t c, std::uint32_t kh, std::uint32_t kw, std::uint32_t s)
    : channels(c), kernel_h(kh), kernel_w(kw), shards(s) {
  check_arg(c >= 1 && kh >= 1 && kw >= 1, "weights [{}, 1, {}, {}]: every dimension must be at least 1", c, kh, kw);
  check_arg(s >= 1 && s <= c, "{} channel shards for {} channels: need 1 to {} shards", s, c, c);
  channels_per_shard = round_up(div_up(c, s), kTileWidth);
  rows = round_up(kernel_positions() * face_rows_per_stick(), kTileHeight);
}

std::uint32_t DepthwiseWeightLayout::shard_channels(std::uint32_t shard) const {
  const std::uint32_t first = first_channel(shard);
  return first >= channels ? 0 : std::min(channels_per_shard, channels - first);
}

std::uint32_t DepthwiseWeightLayout::tile_id(std::uint32_t shard, std::uint32_t i) const {
  const std::uint32_t per_row = tiles_per_tile_row();
  return (i / per_row) * (width() / kTileWidth) + shard * per_row + i % per_row;
}

namespace {

// Calls fn(channel, kernel position, matrix row, matrix column) for every weight the
// section 6 layout places: the one mapping both directions share.
template <typename Fn>
void for_each_weight_position(const DepthwiseWeightLayout& layout, Fn&& fn) {
  const std::uint32_t P = layout.channels_per_shard, R = layout.face_rows_per_stick();
  const std::uint32_t per_row = layout.tiles_per_tile_row();
  for (std::uint32_t s = 0; s < layout.shards; ++s) {
    const std::uint32_t cs = layout.shard_channels(s);
    for (std::uint32_t k = 0; k < layout.kernel_positions(); ++k)
      for (std::uint32_t j = 0; j < div_up(cs, 16); ++j) {
        const std::uint32_t a = k * R + j, f = a / 16, t = f / 4, q = f % 4;
        const std::uint32_t row = (t / per_row) * kTileHeight + (q / 2) * 16 + a % 16;
        for (std::uint32_t l = 0; l < 16 && j * 16 + l < cs; ++l)
          fn(layout.first_channel(s) + j * 16 + l, k, row, s * P + (t % per_row) * kTileWidth + (q % 2) * 16 + l);
      }
  }
}

DepthwiseWeightLayout layout_of(const Tensor& weight, std::uint32_t shards) {
  const Shape& shape = weight.logical_shape();
  check_arg(shape.rank() == 4 && shape[1] == 1, "depthwise weights must be [C, 1, kh, kw], got {}", shape.to_string());
  return DepthwiseWeightLayout(shape[0], shape[2], shape[3], shards);
}

}  // namespace

std::vector<float> depthwise_weight_matrix(const Tensor& weight, std::uint32_t shards) {
  const DepthwiseWeightLayout layout = layout_of(weight, shards);
  const std::vector<float> w = weight.to_vector();
  std::vector<float> matrix(std::size_t{layout.rows} * layout.width(), 0.0f);
  for_each_weight_position(layout, [&](std::uint32_t c, std::uint32_t k, std::uint32_t row, std::uint32_t col) {
    matrix[std::size_t{row} * layout.width() + col] = w[std::size_t{c} * layout.kernel_positions() + k];
  });
  return matrix;
}

std::vector<float> unprepare_conv_weights(const Tensor& prepared, const DepthwiseWeightLayout& layout) {
  check_arg(prepared.layout() == Layout::TILE && prepared.padded_shape() == (Shape{1, 1, layout.rows, layout.width()}),
            "prepared weights {} ({}) do not have the [1, 1, {}, {}] tile layout of {} channels, kernel {}x{}, {} shard(s)",
            prepared.padded_shape().to_string(), to_string(prepared.layout()), layout.rows, layout.width(), layout.channels,
            layout.kernel_h, layout.kernel_w, layout.shards);
  // The whole padded matrix: its columns past C hold weights too.
  const Tensor full = Tensor::from_bytes(std::vector<std::uint8_t>(prepared.bytes().begin(), prepared.bytes().end()),
                                         prepared.padded_shape(), prepared.dtype(), Layout::TILE);
  const std::vector<float> matrix = full.to_vector();
  std::vector<float> w(std::size_t{layout.channels} * layout.kernel_positions(), 0.0f);
  for_each_weight_position(layout, [&](std::uint32_t c, std::uint32_t k, std::uint32_t row, std::uint32_t col) {
    w[std::size_t{c} * layout.kernel_positions() + k] = matrix[std::size_t{row} * layout.width() + col];
  });
  return w;
}

std::vector<float> unprepare_conv_bias(const Tensor& prepared, std::uint32_t channels) {
  const Tensor full = Tensor::from_bytes(std::vector<std::uint8_t>(prepared.bytes().begin(), prepared.bytes().end()),
                                         prepared.padded_shape(), prepared.dtype(), Layout::TILE);
  const std::vector<float> rows = full.to_vector();
  return std::vector<float>(rows.begin(), rows.begin() + channels);
}

Tensor prepare_conv_weights(const Tensor& weight, std::uint32_t shards, DataType weights_dtype) {
  check_arg(is_floating_point(weights_dtype), "weights dtype {} is not allowed: use bfloat16, float32, bfloat8_b or bfloat4_b",
            to_string(weights_dtype));
  const DepthwiseWeightLayout layout = layout_of(weight, shards);
  const std::vector<float> matrix = depthwise_weight_matrix(weight, shards);
  // Tilize the whole [1, 1, Hw, S*P] matrix, then give it the logical shape
  // [1, 1, Hw, C]: the columns past C stay in the tile padding, and they do hold
  // weights (a partial shard's second face), so they must be tilized, not padded.
  const Tensor full = Tensor::from_vector(matrix, Shape{1, 1, layout.rows, layout.width()}, DataType::FLOAT32, Layout::TILE);
  const Tensor tiled = Tensor::from_bytes(std::vector<std::uint8_t>(full.bytes().begin(), full.bytes().end()),
                                          Shape{1, 1, layout.rows, layout.channels}, DataType::FLOAT32, Layout::TILE,
                                          full.padded_shape());
  return tiled.to_dtype(weights_dtype);
}

Tensor prepare_conv_bias(const Tensor& bias, std::uint32_t channels, std::uint32_t shards, DataType weights_dtype) {
  check_arg(is_floating_point(weights_dtype), "bias dtype {} is not allowed: use bfloat16, float32, bfloat8_b or bfloat4_b",
            to_string(weights_dtype));
  check_arg(bias.logical_shape().volume() == channels, "bias has shape {} ({} values), expected {} values (one per channel)",
            bias.logical_shape().to_string(), bias.logical_shape().volume(), channels);
  const DepthwiseWeightLayout layout(channels, 1, 1, shards);
  const std::vector<float> values = bias.to_vector();
  std::vector<float> rows(std::size_t{kTileHeight} * channels, 0.0f);
  std::copy(values.begin(), values.end(), rows.begin());
  return Tensor::from_vector(rows, Shape{1, 1, kTileHeight, channels}, DataType::FLOAT32, Layout::TILE, 0.0f,
                             Shape{1, 1, kTileHeight, layout.width()})
      .to_dtype(weights_dtype);
}

std::string format_weight_rows(const std::vector<float>& matrix, std::uint32_t rows, std::uint32_t width) {
  auto value = [](float v) { return v == std::floor(v) && std::fabs(v) < 1e6 ? fmt::format("{:2.0f}", v) : fmt::format("{:.3g}", v); };
  std::uint32_t last_nonzero = 0;
  for (std::uint32_t r = 0; r < rows; ++r)
    for (std::uint32_t c = 0; c < width; ++c)
      if (matrix[std::size_t{r} * width + c] != 0.0f) last_nonzero = r;
  std::string out;
  const std::uint32_t shown = std::min(rows, std::max(last_nonzero + 1, std::min(rows, 32u)));
  for (std::uint32_t r = 0; r < shown; ++r) {
    out += fmt::format("Row {:2d}:", r);
    for (std::uint32_t f = 0; f < width / 16; ++f) {
      const float* face = &matrix[std::size_t{r} * width + f * 16];
      out += fmt::format(" F{}[{}, {}, {}, {}...]", f, value(face[0]), value(face[1]), value(face[2]), value(face[3]));
    }
    out += "\n";
  }
  if (shown < rows) out += fmt::format("Rows {}-{}: all zero\n", shown, rows - 1);
  return out;
}

}  // namespace shardwise
