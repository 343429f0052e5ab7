#include <gtest/gtest.h>

#include "core/error.hpp"
#include "tensor/memory_config.hpp"

namespace shardwise {
namespace {

TEST(CoreRangeSet, OrdersCoresByOrientation) {
  const CoreRangeSet set{{CoreRange{{0, 0}, {1, 1}}}};
  const auto row = set.cores(ShardOrientation::ROW_MAJOR);
  const auto col = set.cores(ShardOrientation::COL_MAJOR);
  ASSERT_EQ(row.size(), 4u);
  EXPECT_EQ(row[1], (CoreCoord{1, 0}));
  EXPECT_EQ(col[1], (CoreCoord{0, 1}));
}

TEST(CoreRangeSet, FirstCoresRowWise) {
  const auto set = CoreRangeSet::first_cores_row_wise(19, 8);
  EXPECT_EQ(set.num_cores(), 19u);
  ASSERT_EQ(set.ranges.size(), 2u);
  EXPECT_EQ(set.ranges[0], (CoreRange{{0, 0}, {7, 1}}));
  EXPECT_EQ(set.ranges[1], (CoreRange{{0, 2}, {2, 2}}));
  EXPECT_EQ(set.cores()[8], (CoreCoord{0, 1}));
  EXPECT_EQ(set.bounding_box(), (CoreRange{{0, 0}, {7, 2}}));
}

TEST(MemoryConfig, ValidatesShardedConfigs) {
  MemoryConfig::dram_interleaved().validate();
  MemoryConfig sharded{TensorMemoryLayout::HEIGHT_SHARDED, BufferType::L1, std::nullopt};
  EXPECT_THROW(sharded.validate(), InvalidArgument);
  sharded.shard_spec = ShardSpec{CoreRangeSet::first_cores_row_wise(2, 8), {32, 64}, ShardOrientation::ROW_MAJOR};
  sharded.validate();
  sharded.buffer_type = BufferType::DRAM;
  EXPECT_THROW(sharded.validate(), InvalidArgument);
  EXPECT_EQ(parse_tensor_memory_layout("width"), TensorMemoryLayout::WIDTH_SHARDED);
  EXPECT_EQ(parse_tensor_memory_layout("BLOCK_SHARDED"), TensorMemoryLayout::BLOCK_SHARDED);
  EXPECT_THROW(parse_tensor_memory_layout("diagonal"), InvalidArgument);
}

}  // namespace
}  // namespace shardwise
