// Buffers are created and freed from several threads at once (Python tensors dropped on
// one thread while another runs on the device), and may outlive their device, even when
// it is destroyed on another thread: the allocators stay consistent and nothing touches
// a destroyed device. Run under ThreadSanitizer by `make test-tsan`.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "device/device.hpp"

namespace shardwise {
namespace {

BufferConfig l1_buffer(const char* name, std::uint64_t pages) {
  return BufferConfig{name, BufferType::L1, TensorMemoryLayout::INTERLEAVED, pages, 1024, std::nullopt, false};
}

TEST(DeviceThreads, BuffersMadeAndFreedOnManyThreadsLeaveTheAllocatorWhole) {
  Device device(arch_preset("wormhole_b0"));
  const std::uint64_t free_before = device.l1_free_bytes();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&device, t] {
      std::vector<std::shared_ptr<Buffer>> kept;
      for (int i = 0; i < 2000; ++i) {
        kept.push_back(device.create_buffer(l1_buffer("churn", 64 + static_cast<std::uint64_t>((i * 7 + t) % 5) * 64)));
        if (kept.size() > 3) kept.erase(kept.begin() + (i % 3));  // freed out of order
        (void)device.l1_free_bytes();
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(device.l1_free_bytes(), free_before);
}

TEST(DeviceThreads, ABufferFreedWhileItsDeviceIsDestroyedOnAnotherThread) {
  for (int round = 0; round < 200; ++round) {
    auto device = std::make_unique<Device>(arch_preset("wormhole_b0"));
    std::vector<std::shared_ptr<Buffer>> buffers;
    for (int i = 0; i < 8; ++i) buffers.push_back(device->create_buffer(l1_buffer("outliving", 8)));
    std::atomic<bool> go{false};
    std::thread dropper([&] {
      while (!go.load()) {
      }
      buffers.clear();  // may run before, during or after the device's destruction
    });
    go.store(true);
    device.reset();
    dropper.join();
  }
}

TEST(DeviceThreads, AClosedDevicesBufferSaysSo) {
  auto device = std::make_unique<Device>(arch_preset("wormhole_b0"));
  const auto buffer = device->create_buffer(l1_buffer("orphan", 8));
  device.reset();
  EXPECT_THROW(buffer->device(), DeviceError);
}

}  // namespace
}  // namespace shardwise
