#pragma once
// Tensors on the device: a buffer plus the description of what it holds, and the host
// <-> device transfers that place pages and shards exactly as reference section 3 says.
//
// A tensor is seen as a 2D matrix: rows = every dimension but the last (sticks, for a
// [1, 1, N*H*W, C] activation), cols = the last dimension (padded to 32 in TILE).
//   pages:  ROW_MAJOR -> one row (interleaved, HEIGHT) or one row's slice of the shard
//           width (WIDTH, BLOCK); TILE -> one tile.
//   shards: shard (row block rb, column block cb) covers rows [rb*sr, rb*sr+sr) and
//           cols [cb*sc, cb*sc+sc); parts past the tensor are zero padding.
//           HEIGHT: shard i = rb on the i-th core of the grid (in orientation order);
//           WIDTH: shard i = cb on the i-th core;
//           BLOCK: ROW_MAJOR -> rb = y - y0, cb = x - x0; COL_MAJOR -> rb = x - x0, cb = y - y0.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "device/buffer.hpp"
#include "device/device.hpp"
#include "tensor/memory_config.hpp"
#include "tensor/tensor.hpp"

namespace shardwise {

struct DeviceTensor {
  std::shared_ptr<Buffer> buffer;
  Shape logical_shape;
  Shape padded_shape;
  DataType dtype = DataType::BFLOAT16;
  Layout layout = Layout::ROW_MAJOR;
  MemoryConfig memory_config;

  std::uint64_t rows() const { return padded_shape.rows(); }
  std::uint32_t cols() const { return padded_shape.cols(); }
};

struct ShardPlacement {
  CoreCoord core;
  std::uint32_t row_block = 0;
  std::uint32_t col_block = 0;
};

// Where each shard of a rows x cols matrix goes. InvalidArgument when the shards do not
// fit the grid or the shard shape does not suit the layout.
std::vector<ShardPlacement> shard_placements(const MemoryConfig& config, std::uint64_t rows, std::uint32_t cols,
                                             Layout layout);

DeviceTensor to_device(const Tensor& tensor, Device& device, const MemoryConfig& config,
                       const std::string& name = "tensor");
Tensor from_device(const DeviceTensor& tensor);
// The same transfers on bytes the caller holds, in a host Tensor's storage format for
// (shape, dtype, layout): one copy each way, no host Tensor in between (the torch module
// moves torch memory this way). The span's size must be Tensor::storage_bytes exactly.
DeviceTensor to_device(std::span<const std::uint8_t> bytes, const Shape& shape, DataType dtype, Layout layout, Device& device,
                       const MemoryConfig& config, const std::string& name = "tensor",
                       const std::optional<Shape>& padded = std::nullopt);
void read_from_device(const DeviceTensor& tensor, std::span<std::uint8_t> bytes);
// The host preset only: a ROW_MAJOR DRAM-interleaved tensor over the caller's bytes (its
// storage format for shape and dtype, bfloat16 or float32), no copy: reads see and
// writes change the caller's memory, which must outlive the tensor's buffer. Refused
// (InvalidArgument) where pages would need padding: a row of shape.back() elements
// must be a multiple of the DRAM alignment.
DeviceTensor wrap_host_memory(std::span<std::uint8_t> bytes, const Shape& shape, DataType dtype, Device& device,
                              const std::string& name = "wrapped host memory", std::shared_ptr<void> owner = nullptr);
// An uninitialised device tensor of this shape (for op outputs).
DeviceTensor allocate_device_tensor(Device& device, const Shape& shape, DataType dtype, Layout layout,
                                    const MemoryConfig& config, const std::string& name,
                                    const std::optional<Shape>& padded = std::nullopt);

}  // namespace shardwise
