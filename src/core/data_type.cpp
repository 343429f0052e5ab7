#include "core/data_type.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include "core/error.hpp"

namespace shardwise {
namespace {

constexpr std::array<std::pair<DataType, std::string_view>, 7> kNames{{
    {DataType::FLOAT32, "float32"},
    {DataType::BFLOAT16, "bfloat16"},
    {DataType::BFLOAT8_B, "bfloat8_b"},
    {DataType::BFLOAT4_B, "bfloat4_b"},
    {DataType::UINT16, "uint16"},
    {DataType::UINT32, "uint32"},
    {DataType::INT32, "int32"},
}};

}  // namespace

bool is_block_float(DataType dtype) { return dtype == DataType::BFLOAT8_B || dtype == DataType::BFLOAT4_B; }

bool is_floating_point(DataType dtype) {
  return dtype == DataType::FLOAT32 || dtype == DataType::BFLOAT16 || is_block_float(dtype);
}

std::size_t element_size(DataType dtype) {
  switch (dtype) {
    case DataType::FLOAT32:
    case DataType::UINT32:
    case DataType::INT32:
      return 4;
    case DataType::BFLOAT16:
    case DataType::UINT16:
      return 2;
    case DataType::BFLOAT8_B:
    case DataType::BFLOAT4_B:
      break;
  }
  throw InvalidArgument(fmt::format("{} has no per-element size: block-float values exist only inside packed tiles",
                                    to_string(dtype)));
}

std::size_t tile_size(DataType dtype) {
  // Block float: 64 shared exponents (one per face row) then the mantissas.
  if (dtype == DataType::BFLOAT8_B) return 64 + kTileElements;
  if (dtype == DataType::BFLOAT4_B) return 64 + kTileElements / 2;
  return kTileElements * element_size(dtype);
}

std::string_view to_string(DataType dtype) {
  for (const auto& [value, name] : kNames)
    if (value == dtype) return name;
  return "unknown";
}

DataType parse_data_type(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const auto& [value, known] : kNames)
    if (known == lower) return value;
  throw InvalidArgument(fmt::format(
      "unknown dtype '{}': allowed are float32, bfloat16, bfloat8_b, bfloat4_b, uint16, uint32, int32", name));
}

}  // namespace shardwise
