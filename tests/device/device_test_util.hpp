#pragma once
// Helpers shared by the device tests.
#include <cstdint>
#include <numeric>
#include <vector>

#include "device/device.hpp"
#include "device/device_tensor.hpp"

namespace shardwise::testing {

inline Device make_device(const char* arch = "wormhole_b0", unsigned threads = 0, std::optional<bool> watcher = std::nullopt) {
  DeviceOptions options;
  options.host_threads = threads;
  options.watcher = watcher;
  return Device(arch_preset(arch), options);
}

// Distinct values 0, 1, 2, ... (exactly representable in bfloat16 up to 256).
inline std::vector<float> iota_values(std::size_t n, float start = 0.0f) {
  std::vector<float> v(n);
  std::iota(v.begin(), v.end(), start);
  return v;
}

// A one-page-per-entry DRAM buffer a test kernel can write results into.
inline std::shared_ptr<Buffer> result_buffer(Device& device, std::uint32_t pages, std::uint32_t page_size) {
  return device.create_buffer(BufferConfig{"results", BufferType::DRAM, TensorMemoryLayout::INTERLEAVED, pages, page_size, {}, false});
}

template <typename T>
std::vector<T> read_page(Device& device, const Buffer& buffer, std::uint32_t page, std::size_t count) {
  std::vector<T> out(count);
  device.read(buffer.address_generator().get_noc_addr(page),
              std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out.data()), count * sizeof(T)));
  return out;
}

}  // namespace shardwise::testing
