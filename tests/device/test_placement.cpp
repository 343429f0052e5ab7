// Interleaved placement and sharded round trips (reference section 3).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cstring>

#include "core/error.hpp"
#include "device_test_util.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

using testing::iota_values;

class InterleavedPlacement : public ::testing::TestWithParam<std::tuple<const char*, int>> {};

// Every page sits in bank id % banks at base + (id / banks) * aligned_page_size.
TEST_P(InterleavedPlacement, PagesFollowTheFormula) {
  const auto [arch_name, width] = GetParam();
  Device device = testing::make_device(arch_name);
  const Arch& arch = device.arch();
  const std::uint32_t rows = 37;
  const Tensor host = Tensor::from_vector(iota_values(rows * width), Shape{1, 1, rows, width}, DataType::BFLOAT16);
  const DeviceTensor dt = to_device(host, device, MemoryConfig::dram_interleaved());
  const std::uint32_t page = static_cast<std::uint32_t>(width) * 2;
  const std::uint32_t aligned = (page + arch.dram_alignment() - 1) / arch.dram_alignment() * arch.dram_alignment();
  EXPECT_EQ(dt.buffer->aligned_page_size(), aligned);
  for (std::uint32_t id = 0; id < rows; ++id) {
    std::vector<std::uint8_t> got(page);
    device.read(NocAddr::dram(id % arch.num_dram_banks, dt.buffer->address() + (id / arch.num_dram_banks) * aligned), got);
    EXPECT_EQ(std::memcmp(got.data(), host.bytes().data() + std::size_t{id} * page, page), 0) << "page " << id;
    const NocAddr generated = dt.buffer->address_generator().get_noc_addr(id);
    EXPECT_EQ(generated.bank, id % arch.num_dram_banks);
    EXPECT_EQ(generated.address, dt.buffer->address() + (id / arch.num_dram_banks) * aligned);
  }
  EXPECT_EQ(from_device(dt).to_vector(), host.to_vector());
}

// 12 banks (wormhole_b0, 32-byte alignment) and 8 (blackhole, 64); page sizes 100 and
// 46 bytes need padding, 2048 does not.
INSTANTIATE_TEST_SUITE_P(Banks, InterleavedPlacement,
                         ::testing::Combine(::testing::Values("wormhole_b0", "blackhole"), ::testing::Values(50, 23, 1024)),
                         [](const ::testing::TestParamInfo<std::tuple<const char*, int>>& info) {
                           return fmt::format("{}_width{}", std::get<0>(info.param), std::get<1>(info.param));
                         });

TEST(InterleavedPlacement, TilesAreOnePagePerTile) {
  Device device = testing::make_device("wormhole_b0");
  const Tensor host = Tensor::from_vector(iota_values(64 * 96), Shape{64, 96}, DataType::BFLOAT8_B, Layout::TILE);
  const DeviceTensor dt = to_device(host, device, MemoryConfig::dram_interleaved());
  EXPECT_EQ(dt.buffer->page_size(), 1088u);
  EXPECT_EQ(dt.buffer->aligned_page_size(), 1088u);
  for (std::uint32_t id = 0; id < 6; ++id) {
    std::vector<std::uint8_t> got(1088);
    device.read(NocAddr::dram(id % 12, dt.buffer->address()), got);
    EXPECT_EQ(std::memcmp(got.data(), host.bytes().data() + id * 1088, 1088), 0) << "tile " << id;
  }
  const Tensor back = from_device(dt);
  EXPECT_TRUE(std::equal(back.bytes().begin(), back.bytes().end(), host.bytes().begin()));
}

struct ShardCase {
  TensorMemoryLayout layout;
  ShardOrientation orientation;
  CoreRangeSet grid;
  std::array<std::uint32_t, 2> shard;
  Layout tensor_layout;
};

class ShardedRoundTrip : public ::testing::TestWithParam<ShardCase> {};

// The tensor comes back unchanged, and each core's L1 holds exactly its shard: row
// block rb and column block cb, zero past the tensor.
TEST_P(ShardedRoundTrip, EachCoreHoldsItsShard) {
  const ShardCase& c = GetParam();
  Device device = testing::make_device("wormhole_b0");
  const std::uint32_t rows = 100, cols = 96;
  const std::vector<float> values = iota_values(rows * cols, 1.0f);
  const Tensor host = Tensor::from_vector(values, Shape{1, 1, rows, cols}, DataType::FLOAT32, c.tensor_layout);
  const MemoryConfig config = MemoryConfig::sharded(c.layout, ShardSpec{c.grid, c.shard, c.orientation});
  const DeviceTensor dt = to_device(host, device, config);
  EXPECT_EQ(from_device(dt).to_vector(), values);

  const std::uint32_t sr = c.shard[0], sc = c.shard[1];
  const auto placements = shard_placements(config, dt.rows(), dt.cols(), c.tensor_layout);
  for (const ShardPlacement& p : placements) {
    std::vector<float> shard(std::size_t{sr} * sc);
    device.read(NocAddr::l1(p.core, dt.buffer->address()),
                std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(shard.data()), shard.size() * 4));
    if (c.tensor_layout == Layout::TILE) {
      std::vector<float> untiled(shard.size());
      untilize(shard.data(), 1, sr, sc, untiled.data());
      shard = untiled;
    }
    for (std::uint32_t r = 0; r < sr; ++r)
      for (std::uint32_t col = 0; col < sc; ++col) {
        const std::uint32_t gr = p.row_block * sr + r, gc = p.col_block * sc + col;
        const float expected = (gr < rows && gc < cols) ? values[gr * cols + gc] : 0.0f;
        ASSERT_EQ(shard[r * sc + col], expected) << "core " << p.core.to_string() << " shard element (" << r << ", " << col << ")";
      }
  }
}

const CoreRangeSet kRow4{{CoreRange{{0, 0}, {3, 0}}}};
const CoreRangeSet kBlock3x2{{CoreRange{{1, 1}, {3, 2}}}};

INSTANTIATE_TEST_SUITE_P(
    Layouts, ShardedRoundTrip,
    ::testing::Values(
        ShardCase{TensorMemoryLayout::HEIGHT_SHARDED, ShardOrientation::ROW_MAJOR, kRow4, {32, 96}, Layout::ROW_MAJOR},
        ShardCase{TensorMemoryLayout::HEIGHT_SHARDED, ShardOrientation::ROW_MAJOR, CoreRangeSet::first_cores_row_wise(11, 8), {10, 96}, Layout::ROW_MAJOR},
        ShardCase{TensorMemoryLayout::HEIGHT_SHARDED, ShardOrientation::ROW_MAJOR, kRow4, {32, 96}, Layout::TILE},
        ShardCase{TensorMemoryLayout::WIDTH_SHARDED, ShardOrientation::ROW_MAJOR, kRow4, {100, 32}, Layout::ROW_MAJOR},
        ShardCase{TensorMemoryLayout::WIDTH_SHARDED, ShardOrientation::ROW_MAJOR, kRow4, {128, 32}, Layout::TILE},
        ShardCase{TensorMemoryLayout::WIDTH_SHARDED, ShardOrientation::ROW_MAJOR, kRow4, {100, 24}, Layout::ROW_MAJOR},
        ShardCase{TensorMemoryLayout::BLOCK_SHARDED, ShardOrientation::ROW_MAJOR, kBlock3x2, {64, 32}, Layout::ROW_MAJOR},
        ShardCase{TensorMemoryLayout::BLOCK_SHARDED, ShardOrientation::COL_MAJOR, kBlock3x2, {34, 48}, Layout::ROW_MAJOR},
        ShardCase{TensorMemoryLayout::BLOCK_SHARDED, ShardOrientation::ROW_MAJOR, kBlock3x2, {64, 32}, Layout::TILE}),
    [](const ::testing::TestParamInfo<ShardCase>& info) {
      const ShardCase& c = info.param;
      return fmt::format("{}_{}_{}cores_shard{}x{}_{}", to_string(c.layout), to_string(c.orientation), c.grid.num_cores(), c.shard[0],
                         c.shard[1], to_string(c.tensor_layout));
    });

TEST(ShardedRoundTrip, ShardsThatDoNotFitAreErrors) {
  Device device = testing::make_device("wormhole_b0");
  const Tensor host = Tensor::from_vector(iota_values(100 * 64), Shape{100, 64});
  EXPECT_THROW(to_device(host, device,
                         MemoryConfig::sharded(TensorMemoryLayout::HEIGHT_SHARDED, ShardSpec{kRow4, {16, 64}, ShardOrientation::ROW_MAJOR})),
               InvalidArgument);  // 7 shards on 4 cores
  EXPECT_THROW(to_device(host, device,
                         MemoryConfig::sharded(TensorMemoryLayout::HEIGHT_SHARDED, ShardSpec{kRow4, {32, 32}, ShardOrientation::ROW_MAJOR})),
               InvalidArgument);  // height shards must hold whole rows
  EXPECT_THROW(to_device(host, device, MemoryConfig::sharded(TensorMemoryLayout::HEIGHT_SHARDED,
                                                             ShardSpec{CoreRangeSet{{CoreRange{{0, 0}, {8, 0}}}}, {32, 64}, ShardOrientation::ROW_MAJOR})),
               InvalidArgument);  // x = 8 is outside the 8x8 grid
}

}  // namespace
}  // namespace shardwise
