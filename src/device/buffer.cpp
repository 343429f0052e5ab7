#include "device/buffer.hpp"

#include "core/error.hpp"
#include "device/device.hpp"

namespace shardwise {

Buffer::Buffer(Device& device, BufferConfig config, std::uint64_t address, std::uint32_t aligned_page_size,
               std::uint64_t bytes_per_bank, std::shared_ptr<void> memory_owner)
    : device_(device.lifetime()),
      config_(std::move(config)),
      address_(address),
      aligned_page_size_(aligned_page_size),
      bytes_per_bank_(bytes_per_bank),
      memory_owner_(std::move(memory_owner)) {}

Buffer::~Buffer() {
  if (const auto lifetime = device_.lock()) {
    std::lock_guard lock(lifetime->mutex);
    if (lifetime->device) lifetime->device->deallocate(*this);
  }
}

Device& Buffer::device() const {
  const auto lifetime = device_.lock();
  Device* device = nullptr;
  if (lifetime) {
    std::lock_guard lock(lifetime->mutex);
    device = lifetime->device;
  }
  if (!device) throw DeviceError(fmt::format("buffer '{}': its device has been closed", config_.name));
  return *device;
}

const BufferShardLayout& Buffer::shards() const {
  if (!config_.shards) throw InvalidArgument(fmt::format("buffer '{}' is not sharded", config_.name));
  return *config_.shards;
}

InterleavedAddressGenerator Buffer::address_generator() const {
  check_arg(!is_sharded(), "buffer '{}' is sharded: its pages are found by core, not by an interleaved address generator",
            config_.name);
  const Arch& arch = device().arch();
  const bool dram = config_.type == BufferType::DRAM;
  return InterleavedAddressGenerator{dram ? NocTarget::DRAM : NocTarget::L1, address_, config_.page_size,
                                     aligned_page_size_, dram ? arch.num_dram_banks : arch.num_cores(), arch.grid_x};
}

}  // namespace shardwise
