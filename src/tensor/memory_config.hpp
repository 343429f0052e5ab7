#pragma once
// Where a tensor lives on a device, as a plain description (reference section 3).
// Storage itself comes with the device (device/).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shardwise {

struct CoreCoord {
  std::uint32_t x = 0;
  std::uint32_t y = 0;
  friend bool operator==(const CoreCoord&, const CoreCoord&) = default;
  std::string to_string() const;  // "(x,y)"
};

// Inclusive rectangle of cores.
struct CoreRange {
  CoreCoord start;
  CoreCoord end;
  std::uint32_t num_cores() const { return (end.x - start.x + 1) * (end.y - start.y + 1); }
  bool contains(CoreCoord c) const { return c.x >= start.x && c.x <= end.x && c.y >= start.y && c.y <= end.y; }
  std::string to_string() const;  // "(x0,y0)-(x1,y1)"
  friend bool operator==(const CoreRange&, const CoreRange&) = default;
};

enum class ShardOrientation : std::uint8_t { ROW_MAJOR, COL_MAJOR };

// A set of disjoint core rectangles.
struct CoreRangeSet {
  std::vector<CoreRange> ranges;

  friend bool operator==(const CoreRangeSet&, const CoreRangeSet&) = default;

  std::uint32_t num_cores() const;
  bool contains(CoreCoord c) const;
  // Bounding box of all ranges.
  CoreRange bounding_box() const;
  // Cores in shard order: ROW_MAJOR walks each range row by row (x fastest),
  // COL_MAJOR column by column (y fastest).
  std::vector<CoreCoord> cores(ShardOrientation orientation = ShardOrientation::ROW_MAJOR) const;
  std::string to_string() const;

  // The first `count` cores of a grid_x-wide grid taken row-wise, as rectangles.
  static CoreRangeSet first_cores_row_wise(std::uint32_t count, std::uint32_t grid_x);
};

enum class TensorMemoryLayout : std::uint8_t { INTERLEAVED, HEIGHT_SHARDED, WIDTH_SHARDED, BLOCK_SHARDED };
enum class BufferType : std::uint8_t { DRAM, L1 };

struct ShardSpec {
  CoreRangeSet grid;
  std::array<std::uint32_t, 2> shape{0, 0};  // [rows, cols] in elements
  ShardOrientation orientation = ShardOrientation::ROW_MAJOR;
  friend bool operator==(const ShardSpec&, const ShardSpec&) = default;
};

struct MemoryConfig {
  TensorMemoryLayout memory_layout = TensorMemoryLayout::INTERLEAVED;
  BufferType buffer_type = BufferType::DRAM;
  std::optional<ShardSpec> shard_spec;

  friend bool operator==(const MemoryConfig&, const MemoryConfig&) = default;

  bool is_sharded() const { return memory_layout != TensorMemoryLayout::INTERLEAVED; }
  // Sharded layouts need an L1 buffer and a shard spec with a non-empty grid and shard
  // shape; interleaved needs no shard spec. InvalidArgument otherwise.
  void validate() const;
  std::string to_string() const;

  static MemoryConfig dram_interleaved() { return {}; }
  static MemoryConfig l1_interleaved() { return {TensorMemoryLayout::INTERLEAVED, BufferType::L1, std::nullopt}; }
  static MemoryConfig sharded(TensorMemoryLayout layout, ShardSpec spec) { return {layout, BufferType::L1, std::move(spec)}; }
};

std::string_view to_string(TensorMemoryLayout layout);
std::string_view to_string(ShardOrientation orientation);
std::string_view to_string(BufferType type);
// "height", "height_sharded", "HEIGHT_SHARDED", ... and "interleaved".
TensorMemoryLayout parse_tensor_memory_layout(std::string_view name);
ShardOrientation parse_shard_orientation(std::string_view name);

}  // namespace shardwise
