#include "device/device_tensor.hpp"

#include <cstring>

#include "core/error.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

struct Geometry {
  std::uint64_t rows;
  std::uint32_t cols;
  std::uint32_t page_size;        // bytes of one page
  std::uint32_t page_cols;        // columns one page covers (ROW_MAJOR)
  std::uint64_t num_pages;        // interleaved page count
  std::uint32_t pages_per_shard;  // sharded
};

std::uint64_t div_up64(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

Geometry geometry(const Shape& padded, DataType dtype, Layout layout, const MemoryConfig& config) {
  Geometry g{};
  g.rows = padded.rows();
  g.cols = padded.cols();
  const bool sharded = config.is_sharded();
  const std::uint32_t sr = sharded ? config.shard_spec->shape[0] : 0;
  const std::uint32_t sc = sharded ? config.shard_spec->shape[1] : 0;
  if (layout == Layout::TILE) {
    g.page_size = static_cast<std::uint32_t>(tile_size(dtype));
    g.num_pages = g.rows / kTileHeight * (g.cols / kTileWidth);
    if (sharded) {
      check_arg(sr % kTileHeight == 0 && sc % kTileWidth == 0,
                "a TILE tensor's shard shape must be a multiple of 32x32, got [{}, {}]", sr, sc);
      g.pages_per_shard = sr / kTileHeight * (sc / kTileWidth);
    }
    return g;
  }
  const std::uint32_t es = static_cast<std::uint32_t>(element_size(dtype));
  g.page_cols = sharded ? sc : g.cols;
  g.page_size = g.page_cols * es;
  g.num_pages = g.rows;
  if (sharded) g.pages_per_shard = sr;
  return g;
}

// Calls fn(host_offset, bytes, shard_page) for every page of one shard that holds
// tensor data; pages or page parts past the tensor are left to padding.
template <typename Fn>
void for_each_shard_page(const Geometry& g, const ShardPlacement& p, const MemoryConfig& config, DataType dtype,
                         Layout layout, Fn&& fn) {
  const std::uint32_t sr = config.shard_spec->shape[0], sc = config.shard_spec->shape[1];
  if (layout == Layout::TILE) {
    const std::uint32_t tiles_per_row = g.cols / kTileWidth;
    const std::uint32_t shard_tile_rows = sr / kTileHeight, shard_tile_cols = sc / kTileWidth;
    const std::size_t tile_bytes = tile_size(dtype);
    for (std::uint32_t tr = 0; tr < shard_tile_rows; ++tr)
      for (std::uint32_t tc = 0; tc < shard_tile_cols; ++tc) {
        const std::uint64_t row_tile = std::uint64_t{p.row_block} * shard_tile_rows + tr;
        const std::uint64_t col_tile = std::uint64_t{p.col_block} * shard_tile_cols + tc;
        if (row_tile * kTileHeight >= g.rows || col_tile >= tiles_per_row) continue;
        fn((row_tile * tiles_per_row + col_tile) * tile_bytes, tile_bytes, tr * shard_tile_cols + tc);
      }
    return;
  }
  const std::size_t es = element_size(dtype);
  const std::uint64_t first_col = std::uint64_t{p.col_block} * sc;
  if (first_col >= g.cols) return;
  const std::uint64_t width = std::min<std::uint64_t>(sc, g.cols - first_col);
  for (std::uint32_t j = 0; j < sr; ++j) {
    const std::uint64_t row = std::uint64_t{p.row_block} * sr + j;
    if (row >= g.rows) break;
    fn((row * g.cols + first_col) * es, width * es, j);
  }
}

std::shared_ptr<Buffer> make_buffer(Device& device, const Geometry& g, const MemoryConfig& config,
                                    const std::string& name) {
  BufferConfig bc;
  bc.name = name;
  bc.type = config.buffer_type;
  bc.layout = config.memory_layout;
  bc.page_size = g.page_size;
  if (config.is_sharded()) {
    bc.shards = BufferShardLayout{config.shard_spec->grid, config.shard_spec->orientation, g.pages_per_shard};
    bc.num_pages = std::uint64_t{g.pages_per_shard} * config.shard_spec->grid.num_cores();
  } else {
    bc.num_pages = g.num_pages;
  }
  return device.create_buffer(std::move(bc));
}

}  // namespace

std::vector<ShardPlacement> shard_placements(const MemoryConfig& config, std::uint64_t rows, std::uint32_t cols,
                                             Layout layout) {
  config.validate();
  const ShardSpec& spec = *config.shard_spec;
  const std::uint32_t sr = spec.shape[0], sc = spec.shape[1];
  if (layout == Layout::TILE)
    check_arg(sr % kTileHeight == 0 && sc % kTileWidth == 0,
              "a TILE tensor's shard shape must be a multiple of 32x32, got [{}, {}]", sr, sc);
  const std::uint64_t row_blocks = div_up64(rows, sr);
  const std::uint64_t col_blocks = div_up64(cols, sc);
  const std::vector<CoreCoord> cores = spec.grid.cores(spec.orientation);
  std::vector<ShardPlacement> out;
  switch (config.memory_layout) {
    case TensorMemoryLayout::HEIGHT_SHARDED:
      check_arg(sc >= cols, "HEIGHT_SHARDED shards hold whole rows: shard width {} must cover the tensor width {}", sc,
                cols);
      check_arg(row_blocks <= cores.size(), "{} rows in shards of {} need {} cores, the shard grid {} has {}", rows, sr,
                row_blocks, spec.grid.to_string(), cores.size());
      for (std::uint32_t i = 0; i < row_blocks; ++i) out.push_back({cores[i], i, 0});
      break;
    case TensorMemoryLayout::WIDTH_SHARDED:
      check_arg(sr >= rows, "WIDTH_SHARDED shards hold every row: shard height {} must cover the tensor's {} rows", sr,
                rows);
      check_arg(col_blocks <= cores.size(), "{} columns in shards of {} need {} cores, the shard grid {} has {}", cols,
                sc, col_blocks, spec.grid.to_string(), cores.size());
      for (std::uint32_t i = 0; i < col_blocks; ++i) out.push_back({cores[i], 0, i});
      break;
    case TensorMemoryLayout::BLOCK_SHARDED: {
      check_arg(spec.grid.ranges.size() == 1, "BLOCK_SHARDED needs one rectangle of cores, got {}", spec.grid.to_string());
      const CoreRange box = spec.grid.ranges.front();
      const bool row_major = spec.orientation == ShardOrientation::ROW_MAJOR;
      const std::uint32_t grid_rows = row_major ? box.end.y - box.start.y + 1 : box.end.x - box.start.x + 1;
      const std::uint32_t grid_cols = row_major ? box.end.x - box.start.x + 1 : box.end.y - box.start.y + 1;
      check_arg(row_blocks <= grid_rows && col_blocks <= grid_cols,
                "a {}x{} matrix in [{}, {}] shards needs {}x{} blocks, the {} grid {} has {}x{}", rows, cols, sr, sc,
                row_blocks, col_blocks, to_string(spec.orientation), box.to_string(), grid_rows, grid_cols);
      for (std::uint32_t rb = 0; rb < row_blocks; ++rb)
        for (std::uint32_t cb = 0; cb < col_blocks; ++cb) {
          const CoreCoord core = row_major ? CoreCoord{box.start.x + cb, box.start.y + rb}
                                           : CoreCoord{box.start.x + rb, box.start.y + cb};
          out.push_back({core, rb, cb});
        }
      break;
    }
    case TensorMemoryLayout::INTERLEAVED:
      throw InvalidArgument("shard placements need a sharded memory config, got INTERLEAVED");
  }
  return out;
}

DeviceTensor allocate_device_tensor(Device& device, const Shape& shape, DataType dtype, Layout layout,
                                    const MemoryConfig& config, const std::string& name,
                                    const std::optional<Shape>& padded_arg) {
  config.validate();
  check_arg(!(is_block_float(dtype) && layout == Layout::ROW_MAJOR), "{} exists only in TILE layout", to_string(dtype));
  const Shape padded = Tensor::checked_padded_shape(shape, layout, padded_arg);
  const Geometry g = geometry(padded, dtype, layout, config);
  if (config.is_sharded()) shard_placements(config, g.rows, g.cols, layout);  // validates the fit
  return DeviceTensor{make_buffer(device, g, config, name), shape, padded, dtype, layout, config};
}

DeviceTensor wrap_host_memory(std::span<std::uint8_t> bytes, const Shape& shape, DataType dtype, Device& device,
                              const std::string& name, std::shared_ptr<void> owner) {
  check_arg(dtype == DataType::BFLOAT16 || dtype == DataType::FLOAT32, "{}: only bfloat16 and float32 memory is wrapped, not {}",
            name, to_string(dtype));
  const MemoryConfig config = MemoryConfig::dram_interleaved();
  const Geometry g = geometry(shape, dtype, Layout::ROW_MAJOR, config);
  BufferConfig buffer{name, BufferType::DRAM, TensorMemoryLayout::INTERLEAVED, g.num_pages, g.page_size, std::nullopt, false};
  return DeviceTensor{device.wrap_host_memory(std::move(buffer), bytes, std::move(owner)), shape, shape, dtype, Layout::ROW_MAJOR,
                      config};
}

namespace {
// The pages of an interleaved buffer as runs of host bytes: (NoC address, offset, size).
// Where every page is in one bank and pages are not padded (the host preset's DRAM),
// they lie back to back and the whole tensor is one run: one checked transfer instead of
// one per stick. Otherwise one run per page.
template <typename Transfer>
void for_each_interleaved_run(const Buffer& buffer, const Geometry& g, Transfer&& transfer) {
  const InterleavedAddressGenerator pages = buffer.address_generator();
  if (g.num_pages == 0) return;
  if (pages.num_banks == 1 && pages.aligned_page_size == g.page_size) {
    transfer(pages.get_noc_addr(0), 0, std::uint64_t{g.num_pages} * g.page_size);
    return;
  }
  for (std::uint32_t i = 0; i < g.num_pages; ++i) transfer(pages.get_noc_addr(i), std::uint64_t{i} * g.page_size, g.page_size);
}

// The padded shape a host Tensor of `dt` is stored with: TILE's; none in ROW_MAJOR.
std::optional<Shape> tile_padding(const DeviceTensor& dt) {
  return dt.layout == Layout::TILE ? std::optional<Shape>(dt.padded_shape) : std::nullopt;
}
}  // namespace

DeviceTensor to_device(const Tensor& tensor, Device& device, const MemoryConfig& config, const std::string& name) {
  return to_device(tensor.bytes(), tensor.logical_shape(), tensor.dtype(), tensor.layout(), device, config, name,
                   tensor.layout() == Layout::TILE ? std::optional<Shape>(tensor.padded_shape()) : std::nullopt);
}

DeviceTensor to_device(std::span<const std::uint8_t> bytes, const Shape& shape, DataType dtype, Layout layout, Device& device,
                       const MemoryConfig& config, const std::string& name, const std::optional<Shape>& padded) {
  const std::uint64_t expected = Tensor::storage_bytes(shape, dtype, layout, padded);
  check_arg(bytes.size() == expected, "to_device: {} bytes given for a {} {} {} tensor of {} bytes", bytes.size(), shape.to_string(),
            to_string(dtype), to_string(layout), expected);
  DeviceTensor dt = allocate_device_tensor(device, shape, dtype, layout, config, name, padded);
  const Geometry g = geometry(dt.padded_shape, dt.dtype, dt.layout, config);
  const Buffer& buffer = *dt.buffer;
  if (!config.is_sharded()) {
    for_each_interleaved_run(buffer, g, [&](NocAddr at, std::uint64_t offset, std::uint64_t size) {
      device.write(at, bytes.subspan(offset, size));
    });
    return dt;
  }
  std::vector<std::uint8_t> zeros(buffer.bytes_per_bank(), 0);
  for (const ShardPlacement& p : shard_placements(config, g.rows, g.cols, dt.layout)) {
    device.write(NocAddr::l1(p.core, buffer.address()), zeros);  // padding of partial shards
    for_each_shard_page(g, p, config, dt.dtype, dt.layout, [&](std::uint64_t offset, std::uint64_t size, std::uint32_t page) {
      device.write(NocAddr::l1(p.core, buffer.address() + std::uint64_t{page} * buffer.aligned_page_size()),
                   bytes.subspan(offset, size));
    });
  }
  return dt;
}

void read_from_device(const DeviceTensor& dt, std::span<std::uint8_t> bytes) {
  check_arg(dt.buffer != nullptr, "from_device: the device tensor has no buffer");
  const std::uint64_t expected = Tensor::storage_bytes(dt.logical_shape, dt.dtype, dt.layout, tile_padding(dt));
  check_arg(bytes.size() == expected, "from_device: {} bytes given for a {} {} {} tensor of {} bytes", bytes.size(),
            dt.logical_shape.to_string(), to_string(dt.dtype), to_string(dt.layout), expected);
  const Geometry g = geometry(dt.padded_shape, dt.dtype, dt.layout, dt.memory_config);
  Device& device = dt.buffer->device();
  const Buffer& buffer = *dt.buffer;
  if (!dt.memory_config.is_sharded()) {
    for_each_interleaved_run(buffer, g, [&](NocAddr at, std::uint64_t offset, std::uint64_t size) {
      device.read(at, bytes.subspan(offset, size));
    });
    return;
  }
  for (const ShardPlacement& p : shard_placements(dt.memory_config, g.rows, g.cols, dt.layout))
    for_each_shard_page(g, p, dt.memory_config, dt.dtype, dt.layout, [&](std::uint64_t offset, std::uint64_t size, std::uint32_t page) {
      device.read(NocAddr::l1(p.core, buffer.address() + std::uint64_t{page} * buffer.aligned_page_size()), bytes.subspan(offset, size));
    });
}

Tensor from_device(const DeviceTensor& dt) {
  const std::optional<Shape> padded = tile_padding(dt);
  std::vector<std::uint8_t> bytes(Tensor::storage_bytes(dt.logical_shape, dt.dtype, dt.layout, padded));
  read_from_device(dt, bytes);
  return Tensor::from_bytes(std::move(bytes), dt.logical_shape, dt.dtype, dt.layout, padded);
}

}  // namespace shardwise
