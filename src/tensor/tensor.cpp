#include "tensor/tensor.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "core/bfloat16.hpp"
#include "core/block_float.hpp"
#include "core/error.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

void check_layout_supports(DataType dtype, Layout layout) {
  check_arg(!(is_block_float(dtype) && layout == Layout::ROW_MAJOR),
            "{} exists only in TILE layout (its exponents are shared by 16 values of a face row); "
            "ROW_MAJOR was requested",
            to_string(dtype));
}

// Values in storage order (padded, tile order in TILE layout) -> bytes.
std::vector<std::uint8_t> encode_storage(std::span<const float> storage, DataType dtype) {
  if (!is_block_float(dtype)) {
    std::vector<std::uint8_t> bytes(storage.size() * element_size(dtype));
    encode_elements(storage, dtype, bytes.data());
    return bytes;
  }
  const std::size_t tiles = storage.size() / kTileElements;
  const std::size_t tile_bytes = tile_size(dtype);
  std::vector<std::uint8_t> bytes(tiles * tile_bytes);
  for (std::size_t t = 0; t < tiles; ++t)
    pack_block_float_tile(storage.subspan(t * kTileElements, kTileElements), dtype,
                          std::span<std::uint8_t>(bytes.data() + t * tile_bytes, tile_bytes));
  return bytes;
}

std::vector<float> decode_storage(std::span<const std::uint8_t> bytes, DataType dtype, std::uint64_t count) {
  std::vector<float> storage(count);
  if (!is_block_float(dtype)) {
    decode_elements(bytes.data(), dtype, storage);
    return storage;
  }
  const std::size_t tile_bytes = tile_size(dtype);
  for (std::size_t t = 0; t < count / kTileElements; ++t)
    unpack_block_float_tile(bytes.subspan(t * tile_bytes, tile_bytes), dtype,
                            std::span<float>(storage.data() + t * kTileElements, kTileElements));
  return storage;
}

std::uint64_t matrix_batch(const Shape& shape) { return shape.rank() < 2 ? 1 : shape.volume() / (shape.back(0) * shape.back(1)); }
std::uint32_t matrix_rows(const Shape& shape) { return shape.rank() < 2 ? 1 : shape.back(1); }

}  // namespace

std::string_view to_string(Layout layout) { return layout == Layout::TILE ? "TILE" : "ROW_MAJOR"; }

Layout parse_layout(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "rm" || lower == "row_major" || lower == "row_major_layout") return Layout::ROW_MAJOR;
  if (lower == "tile" || lower == "tile_layout") return Layout::TILE;
  throw InvalidArgument(fmt::format("unknown layout '{}': allowed are rm (row_major) and tile", name));
}

void encode_elements(std::span<const float> values, DataType dtype, std::uint8_t* out) {
  switch (dtype) {
    case DataType::FLOAT32:
      std::memcpy(out, values.data(), values.size() * 4);
      return;
    case DataType::BFLOAT16:
      for (std::size_t i = 0; i < values.size(); ++i) {
        const std::uint16_t b = bfloat16::from_float(values[i]).bits;
        std::memcpy(out + 2 * i, &b, 2);
      }
      return;
    case DataType::UINT16:
      for (std::size_t i = 0; i < values.size(); ++i) {
        const auto v = static_cast<std::uint16_t>(values[i]);
        std::memcpy(out + 2 * i, &v, 2);
      }
      return;
    case DataType::UINT32:
      for (std::size_t i = 0; i < values.size(); ++i) {
        const auto v = static_cast<std::uint32_t>(values[i]);
        std::memcpy(out + 4 * i, &v, 4);
      }
      return;
    case DataType::INT32:
      for (std::size_t i = 0; i < values.size(); ++i) {
        const auto v = static_cast<std::int32_t>(values[i]);
        std::memcpy(out + 4 * i, &v, 4);
      }
      return;
    case DataType::BFLOAT8_B:
    case DataType::BFLOAT4_B:
      break;
  }
  throw InvalidArgument(fmt::format("{} values are packed per tile, not per element", to_string(dtype)));
}

void decode_elements(const std::uint8_t* in, DataType dtype, std::span<float> values) {
  switch (dtype) {
    case DataType::FLOAT32:
      std::memcpy(values.data(), in, values.size() * 4);
      return;
    case DataType::BFLOAT16:
      for (std::size_t i = 0; i < values.size(); ++i) {
        bfloat16 b;
        std::memcpy(&b.bits, in + 2 * i, 2);
        values[i] = b.to_float();
      }
      return;
    case DataType::UINT16:
      for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint16_t v;
        std::memcpy(&v, in + 2 * i, 2);
        values[i] = static_cast<float>(v);
      }
      return;
    case DataType::UINT32:
      for (std::size_t i = 0; i < values.size(); ++i) {
        std::uint32_t v;
        std::memcpy(&v, in + 4 * i, 4);
        values[i] = static_cast<float>(v);
      }
      return;
    case DataType::INT32:
      for (std::size_t i = 0; i < values.size(); ++i) {
        std::int32_t v;
        std::memcpy(&v, in + 4 * i, 4);
        values[i] = static_cast<float>(v);
      }
      return;
    case DataType::BFLOAT8_B:
    case DataType::BFLOAT4_B:
      break;
  }
  throw InvalidArgument(fmt::format("{} values are packed per tile, not per element", to_string(dtype)));
}

Shape Tensor::padded_shape_of(const Shape& shape, Layout layout) {
  if (layout == Layout::ROW_MAJOR) return shape;
  std::vector<std::uint32_t> dims = shape.dim_vector();
  dims.back() = round_up(dims.back(), kTileWidth);
  if (dims.size() >= 2) dims[dims.size() - 2] = round_up(dims[dims.size() - 2], kTileHeight);
  else dims.insert(dims.begin(), kTileHeight);  // a vector is one row of a 32-row tile
  return Shape(dims);
}

Shape Tensor::checked_padded_shape(const Shape& shape, Layout layout, const std::optional<Shape>& padded) {
  if (!padded) return padded_shape_of(shape, layout);
  check_arg(layout == Layout::TILE, "an explicit padded shape needs TILE layout");
  const Shape minimum = padded_shape_of(shape, layout);
  bool ok = padded->rank() == minimum.rank() && padded->back(0) % kTileWidth == 0 && padded->back(1) % kTileHeight == 0;
  for (std::size_t i = 0; ok && i < minimum.rank(); ++i)
    ok = i + 2 >= minimum.rank() ? (*padded)[i] >= minimum[i] : (*padded)[i] == minimum[i];
  check_arg(ok, "padded shape {} does not suit logical shape {} in TILE layout", padded->to_string(), shape.to_string());
  return *padded;
}

std::uint64_t Tensor::storage_bytes(const Shape& shape, DataType dtype, Layout layout, const std::optional<Shape>& padded_arg) {
  check_layout_supports(dtype, layout);
  const Shape padded = checked_padded_shape(shape, layout, padded_arg);
  if (layout == Layout::TILE) return padded.volume() / kTileElements * tile_size(dtype);
  return padded.volume() * element_size(dtype);
}

Tensor::Tensor(Shape logical, Shape padded, DataType dtype, Layout layout, std::vector<std::uint8_t> bytes)
    : logical_shape_(std::move(logical)),
      padded_shape_(std::move(padded)),
      dtype_(dtype),
      layout_(layout),
      bytes_(std::move(bytes)) {}

Tensor Tensor::from_vector(std::span<const float> values, const Shape& shape, DataType dtype, Layout layout,
                           float pad_value, const std::optional<Shape>& padded_arg) {
  check_layout_supports(dtype, layout);
  check_arg(values.size() == shape.volume(), "shape {} holds {} values but {} were given", shape.to_string(),
            shape.volume(), values.size());
  const Shape padded = checked_padded_shape(shape, layout, padded_arg);
  if (layout == Layout::ROW_MAJOR) return Tensor(shape, padded, dtype, layout, encode_storage(values, dtype));
  std::vector<float> storage(padded.volume());
  tilize(values.data(), matrix_batch(shape), matrix_rows(shape), shape.back(), matrix_rows(padded), padded.back(),
         pad_value, storage.data());
  return Tensor(shape, padded, dtype, layout, encode_storage(storage, dtype));
}

Tensor Tensor::from_bytes(std::vector<std::uint8_t> bytes, const Shape& shape, DataType dtype, Layout layout,
                          const std::optional<Shape>& padded_arg) {
  const std::uint64_t expected = storage_bytes(shape, dtype, layout, padded_arg);
  check_arg(bytes.size() == expected, "a {} {} tensor of shape {} takes {} bytes, got {}", to_string(dtype),
            to_string(layout), shape.to_string(), expected, bytes.size());
  return Tensor(shape, checked_padded_shape(shape, layout, padded_arg), dtype, layout, std::move(bytes));
}

std::vector<float> Tensor::to_vector() const {
  std::vector<float> storage = decode_storage(bytes_, dtype_, padded_shape_.volume());
  if (layout_ == Layout::ROW_MAJOR) return storage;
  std::vector<float> values(logical_shape_.volume());
  untilize(storage.data(), matrix_batch(logical_shape_), matrix_rows(logical_shape_), logical_shape_.back(),
           matrix_rows(padded_shape_), padded_shape_.back(), values.data());
  return values;
}

Tensor Tensor::to_layout(Layout layout, float pad_value) const {
  if (layout == layout_) return *this;
  check_layout_supports(dtype_, layout);
  const std::vector<float> values = to_vector();
  return from_vector(values, logical_shape_, dtype_, layout, pad_value);  // back to the default padding
}

Tensor Tensor::to_dtype(DataType dtype) const {
  if (dtype == dtype_) return *this;
  check_layout_supports(dtype, layout_);
  // Convert in storage order so tile padding keeps its values.
  const std::vector<float> storage = decode_storage(bytes_, dtype_, padded_shape_.volume());
  return Tensor(logical_shape_, padded_shape_, dtype, layout_, encode_storage(storage, dtype));
}

Tensor Tensor::reshape(const Shape& shape) const {
  check_arg(shape.volume() == logical_shape_.volume(), "cannot reshape {} ({} values) to {} ({} values)",
            logical_shape_.to_string(), logical_shape_.volume(), shape.to_string(), shape.volume());
  check_arg(layout_ == Layout::ROW_MAJOR || (shape.back(0) == logical_shape_.back(0) &&
                                             matrix_rows(shape) == matrix_rows(logical_shape_)),
            "a TILE tensor {} can only be reshaped in its leading dimensions, not to {}", logical_shape_.to_string(),
            shape.to_string());
  if (layout_ == Layout::ROW_MAJOR) return Tensor(shape, shape, dtype_, layout_, bytes_);
  std::vector<std::uint32_t> padded = padded_shape_of(shape, layout_).dim_vector();
  padded[padded.size() - 1] = padded_shape_.back(0);  // keep an explicit tile padding
  padded[padded.size() - 2] = padded_shape_.back(1);
  return Tensor(shape, Shape(padded), dtype_, layout_, bytes_);
}

std::uint64_t Tensor::num_tiles() const {
  check_arg(layout_ == Layout::TILE, "num_tiles() needs a TILE tensor, this one is {}", to_string(layout_));
  return padded_shape_.volume() / kTileElements;
}

}  // namespace shardwise
