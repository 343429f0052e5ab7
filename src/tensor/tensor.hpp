#pragma once
// Host tensors: a shape, a dtype, a layout and the bytes exactly as they would lie in
// device memory (row-major sticks, or tiles back to back with block-float tiles packed).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/data_type.hpp"
#include "tensor/shape.hpp"

namespace shardwise {

enum class Layout : std::uint8_t { ROW_MAJOR, TILE };
std::string_view to_string(Layout layout);
Layout parse_layout(std::string_view name);  // "row_major"/"rm", "tile"

class Tensor {
 public:
  Tensor() = default;

  // Builds a tensor from logical row-major values, converted to `dtype` and laid out in
  // `layout`. Block-float dtypes need TILE. Padding elements of a tile get `pad_value`.
  // `padded` (TILE only) widens the tile grid beyond the default rounding to 32, as
  // TT-NN's tensors with an explicit padded shape do.
  static Tensor from_vector(std::span<const float> values, const Shape& shape, DataType dtype = DataType::FLOAT32,
                            Layout layout = Layout::ROW_MAJOR, float pad_value = 0.0f,
                            const std::optional<Shape>& padded = std::nullopt);

  // Wraps bytes already in device format; their size must match the shape, dtype and
  // layout exactly.
  static Tensor from_bytes(std::vector<std::uint8_t> bytes, const Shape& shape, DataType dtype, Layout layout,
                           const std::optional<Shape>& padded = std::nullopt);

  // Logical values, row-major, as float (exact for every float dtype).
  std::vector<float> to_vector() const;

  // Same values in another layout / dtype. Block-float dtypes exist only in TILE layout.
  Tensor to_layout(Layout layout, float pad_value = 0.0f) const;
  Tensor to_dtype(DataType dtype) const;
  // Same data, new logical shape with the same volume (ROW_MAJOR only: a TILE tensor's
  // bytes depend on its last two dimensions).
  Tensor reshape(const Shape& shape) const;

  const Shape& logical_shape() const { return logical_shape_; }
  // The shape the bytes cover: the logical shape with the last two dimensions rounded
  // up to 32 in TILE layout; the logical shape in ROW_MAJOR.
  const Shape& padded_shape() const { return padded_shape_; }
  DataType dtype() const { return dtype_; }
  Layout layout() const { return layout_; }
  std::span<const std::uint8_t> bytes() const { return bytes_; }
  std::span<std::uint8_t> mutable_bytes() { return bytes_; }
  std::uint64_t num_tiles() const;  // TILE layout only

  // Number of bytes a tensor of this shape, dtype and layout occupies.
  static std::uint64_t storage_bytes(const Shape& shape, DataType dtype, Layout layout,
                                     const std::optional<Shape>& padded = std::nullopt);
  static Shape padded_shape_of(const Shape& shape, Layout layout);
  // The given padded shape after checking it suits `shape` (TILE: same rank, every
  // dim >= logical, last two multiples of 32, leading dims equal), or the default.
  static Shape checked_padded_shape(const Shape& shape, Layout layout, const std::optional<Shape>& padded);

 private:
  Tensor(Shape logical, Shape padded, DataType dtype, Layout layout, std::vector<std::uint8_t> bytes);

  Shape logical_shape_;
  Shape padded_shape_;
  DataType dtype_ = DataType::FLOAT32;
  Layout layout_ = Layout::ROW_MAJOR;
  std::vector<std::uint8_t> bytes_;
};

// Encodes `count` float values (in storage order) as `dtype` elements into `out`.
// Not for block-float (use the tile functions).
void encode_elements(std::span<const float> values, DataType dtype, std::uint8_t* out);
void decode_elements(const std::uint8_t* in, DataType dtype, std::span<float> values);

}  // namespace shardwise
