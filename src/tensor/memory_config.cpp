#include "tensor/memory_config.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"

namespace shardwise {
namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}
}  // namespace

std::string CoreCoord::to_string() const { return fmt::format("({},{})", x, y); }
std::string CoreRange::to_string() const { return fmt::format("{}-{}", start.to_string(), end.to_string()); }

std::uint32_t CoreRangeSet::num_cores() const {
  std::uint32_t n = 0;
  for (const auto& r : ranges) n += r.num_cores();
  return n;
}

bool CoreRangeSet::contains(CoreCoord c) const {
  return std::any_of(ranges.begin(), ranges.end(), [&](const CoreRange& r) { return r.contains(c); });
}

CoreRange CoreRangeSet::bounding_box() const {
  check_arg(!ranges.empty(), "an empty core range set has no bounding box");
  CoreRange box = ranges.front();
  for (const auto& r : ranges) {
    box.start.x = std::min(box.start.x, r.start.x);
    box.start.y = std::min(box.start.y, r.start.y);
    box.end.x = std::max(box.end.x, r.end.x);
    box.end.y = std::max(box.end.y, r.end.y);
  }
  return box;
}

std::vector<CoreCoord> CoreRangeSet::cores(ShardOrientation orientation) const {
  std::vector<CoreCoord> out;
  out.reserve(num_cores());
  for (const auto& r : ranges) {
    if (orientation == ShardOrientation::ROW_MAJOR) {
      for (std::uint32_t y = r.start.y; y <= r.end.y; ++y)
        for (std::uint32_t x = r.start.x; x <= r.end.x; ++x) out.push_back({x, y});
    } else {
      for (std::uint32_t x = r.start.x; x <= r.end.x; ++x)
        for (std::uint32_t y = r.start.y; y <= r.end.y; ++y) out.push_back({x, y});
    }
  }
  return out;
}

std::string CoreRangeSet::to_string() const {
  std::vector<std::string> parts;
  for (const auto& r : ranges) parts.push_back(r.to_string());
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

CoreRangeSet CoreRangeSet::first_cores_row_wise(std::uint32_t count, std::uint32_t grid_x) {
  check_arg(count >= 1 && grid_x >= 1, "need at least one core and a grid at least one core wide (got {} cores, width {})",
            count, grid_x);
  CoreRangeSet set;
  const std::uint32_t full_rows = count / grid_x;
  const std::uint32_t rest = count % grid_x;
  if (full_rows > 0) set.ranges.push_back({{0, 0}, {grid_x - 1, full_rows - 1}});
  if (rest > 0) set.ranges.push_back({{0, full_rows}, {rest - 1, full_rows}});
  return set;
}

void MemoryConfig::validate() const {
  if (!is_sharded()) {
    check_arg(!shard_spec.has_value(), "an INTERLEAVED memory config takes no shard spec");
    return;
  }
  check_arg(buffer_type == BufferType::L1, "{} tensors live in L1, not {}", shardwise::to_string(memory_layout),
            shardwise::to_string(buffer_type));
  check_arg(shard_spec.has_value(), "{} needs a shard spec", shardwise::to_string(memory_layout));
  check_arg(shard_spec->grid.num_cores() >= 1, "the shard grid of a {} tensor is empty", shardwise::to_string(memory_layout));
  check_arg(shard_spec->shape[0] >= 1 && shard_spec->shape[1] >= 1,
            "shard shape [{}, {}] must be at least [1, 1]", shard_spec->shape[0], shard_spec->shape[1]);
}

std::string MemoryConfig::to_string() const {
  if (!shard_spec) return fmt::format("{} {}", shardwise::to_string(memory_layout), shardwise::to_string(buffer_type));
  return fmt::format("{} {} grid={} shard=[{}, {}] {}", shardwise::to_string(memory_layout),
                     shardwise::to_string(buffer_type), shard_spec->grid.to_string(), shard_spec->shape[0],
                     shard_spec->shape[1], shardwise::to_string(shard_spec->orientation));
}

std::string_view to_string(TensorMemoryLayout layout) {
  switch (layout) {
    case TensorMemoryLayout::INTERLEAVED: return "INTERLEAVED";
    case TensorMemoryLayout::HEIGHT_SHARDED: return "HEIGHT_SHARDED";
    case TensorMemoryLayout::WIDTH_SHARDED: return "WIDTH_SHARDED";
    case TensorMemoryLayout::BLOCK_SHARDED: return "BLOCK_SHARDED";
  }
  return "unknown";
}

std::string_view to_string(ShardOrientation orientation) {
  return orientation == ShardOrientation::ROW_MAJOR ? "ROW_MAJOR" : "COL_MAJOR";
}

std::string_view to_string(BufferType type) { return type == BufferType::DRAM ? "DRAM" : "L1"; }

TensorMemoryLayout parse_tensor_memory_layout(std::string_view name) {
  const std::string s = lower(name);
  if (s == "interleaved") return TensorMemoryLayout::INTERLEAVED;
  if (s == "height" || s == "height_sharded") return TensorMemoryLayout::HEIGHT_SHARDED;
  if (s == "width" || s == "width_sharded") return TensorMemoryLayout::WIDTH_SHARDED;
  if (s == "block" || s == "block_sharded") return TensorMemoryLayout::BLOCK_SHARDED;
  throw InvalidArgument(fmt::format(
      "unknown memory layout '{}': allowed are interleaved, height_sharded, width_sharded, block_sharded", name));
}

ShardOrientation parse_shard_orientation(std::string_view name) {
  const std::string s = lower(name);
  if (s == "row_major") return ShardOrientation::ROW_MAJOR;
  if (s == "col_major") return ShardOrientation::COL_MAJOR;
  throw InvalidArgument(fmt::format("unknown shard orientation '{}': allowed are row_major, col_major", name));
}

}  // namespace shardwise
