#pragma once
// Data types of tensors, with their sizes as stored in device memory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shardwise {

enum class DataType : std::uint8_t { FLOAT32, BFLOAT16, BFLOAT8_B, BFLOAT4_B, UINT16, UINT32, INT32 };

inline constexpr std::uint32_t kTileHeight = 32;
inline constexpr std::uint32_t kTileWidth = 32;
inline constexpr std::uint32_t kFaceHeight = 16;
inline constexpr std::uint32_t kFaceWidth = 16;
inline constexpr std::uint32_t kTileElements = kTileHeight * kTileWidth;  // 1024
inline constexpr std::uint32_t kFaceElements = kFaceHeight * kFaceWidth;  // 256

// Block floating point: 16 values of a face row share one exponent.
bool is_block_float(DataType dtype);
bool is_floating_point(DataType dtype);

// Bytes per element for element-addressable types; InvalidArgument for block-float
// types, whose elements only exist inside a packed tile.
std::size_t element_size(DataType dtype);

// Bytes of one 32x32 tile: 4096 (float32), 2048 (bfloat16), 1088 (bfloat8_b),
// 576 (bfloat4_b), 2048 (uint16), 4096 (uint32, int32).
std::size_t tile_size(DataType dtype);

// Lower-case name as the CLI and Python spell it: "float32", "bfloat8_b", ...
std::string_view to_string(DataType dtype);

// Parses a name (case-insensitive); InvalidArgument naming the value and the
// allowed names otherwise.
DataType parse_data_type(std::string_view name);

}  // namespace shardwise
