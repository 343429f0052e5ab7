#pragma once
// Device buffers (reference section 3).
//
//   interleaved: pages spread over banks, page id -> bank id % banks, offset
//                (id / banks) * aligned_page_size, one base address in every bank.
//   sharded:     L1 only; one shard per core of the shard grid, at one L1 address on
//                every core; a shard is `pages_per_shard` pages of aligned_page_size.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "device/noc_address.hpp"
#include "tensor/memory_config.hpp"

namespace shardwise {

class Device;
struct DeviceLifetime;

struct BufferShardLayout {
  CoreRangeSet grid;
  ShardOrientation orientation = ShardOrientation::ROW_MAJOR;
  std::uint32_t pages_per_shard = 0;
};

struct BufferConfig {
  std::string name;
  BufferType type = BufferType::DRAM;
  TensorMemoryLayout layout = TensorMemoryLayout::INTERLEAVED;
  std::uint64_t num_pages = 0;
  std::uint32_t page_size = 0;
  std::optional<BufferShardLayout> shards;  // sharded layouts only
  bool l1_small = false;                     // allocate in the L1_SMALL region
};

class Buffer {
 public:
  Buffer(Device& device, BufferConfig config, std::uint64_t address, std::uint32_t aligned_page_size,
         std::uint64_t bytes_per_bank, std::shared_ptr<void> memory_owner = nullptr);
  // A buffer may outlive its device (a result kept after close_device): it then frees
  // nothing, and any use of its device is a DeviceError instead of a dangling access.
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  const std::string& name() const { return config_.name; }
  BufferType type() const { return config_.type; }
  TensorMemoryLayout layout() const { return config_.layout; }
  bool is_sharded() const { return config_.layout != TensorMemoryLayout::INTERLEAVED; }
  std::uint64_t address() const { return address_; }
  std::uint32_t page_size() const { return config_.page_size; }
  std::uint32_t aligned_page_size() const { return aligned_page_size_; }
  std::uint64_t num_pages() const { return config_.num_pages; }
  // Bytes the buffer occupies in each bank (interleaved) or on each core (sharded).
  std::uint64_t bytes_per_bank() const { return bytes_per_bank_; }
  const BufferShardLayout& shards() const;
  bool l1_small() const { return config_.l1_small; }
  Device& device() const;

  // Interleaved buffers: the address generator kernels use to find page ids.
  InterleavedAddressGenerator address_generator() const;

 private:
  std::weak_ptr<DeviceLifetime> device_;
  BufferConfig config_;
  std::uint64_t address_;
  std::uint32_t aligned_page_size_;
  std::uint64_t bytes_per_bank_;
  // A buffer over caller memory (Device::wrap_host_memory): whatever keeps that memory
  // alive, released after the buffer is freed.
  std::shared_ptr<void> memory_owner_;
};

}  // namespace shardwise
