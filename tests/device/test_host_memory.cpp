// The host memory behind DRAM banks (device/host_memory.hpp): a reservation larger than
// the address space falls back to halves; the memory is zeroed and writable; a
// reservation that cannot shrink enough is an OutOfMemory naming what it was for. And
// caller memory wrapped as a host-preset buffer: read and written in place, its owner
// held by the buffer, refused where it cannot map one to one.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/error.hpp"
#include "device/device_tensor.hpp"
#include "device/host_memory.hpp"
#include "device_test_util.hpp"

namespace shardwise {
namespace {

TEST(HostMemory, FallsBackToWhatTheHostReserves) {
  const std::uint64_t huge = 1ull << 62;  // beyond any x86-64 / arm64 address space
  HostMemoryRegion region(huge, "a test bank", 1ull << 24);
  EXPECT_LT(region.size(), huge);
  EXPECT_GE(region.size(), 1ull << 24);
  ASSERT_NE(region.data(), nullptr);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(region.data()) % (2u << 20), 0u);  // huge-page aligned
  region.data()[0] = 1;
  region.data()[(1ull << 24) - 1] = 2;
  EXPECT_EQ(region.data()[4096], 0);  // zeroed pages
}

TEST(HostMemory, ANeedThatCannotShrinkIsNamed) {
  try {
    HostMemoryRegion region(1ull << 62, "a test bank");  // no smaller size allowed
    FAIL() << "reserved " << region.size() << " bytes";
  } catch (const OutOfMemory& e) {
    EXPECT_NE(std::string(e.what()).find("a test bank"), std::string::npos) << e.what();
  }
}


// ---- caller memory wrapped as a host-preset DRAM buffer (Device::wrap_host_memory) ----

TEST(WrappedHostMemory, IsReadAndWrittenInPlace) {
  Device device = testing::make_device("host", 2);
  std::vector<float> memory(4 * 16);
  for (std::size_t i = 0; i < memory.size(); ++i) memory[i] = static_cast<float>(i);
  auto owner = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owner;
  {
    const DeviceTensor t = wrap_host_memory({reinterpret_cast<std::uint8_t*>(memory.data()), memory.size() * 4}, Shape{4, 16},
                                            DataType::FLOAT32, device, "wrapped", std::move(owner));
    EXPECT_GE(t.buffer->address(), Device::kExternalDramBase);
    EXPECT_EQ(from_device(t).to_vector(), memory);  // reads see the caller's values
    const std::vector<float> twos(64, 2.0f);
    const DeviceTensor written = to_device(Tensor::from_vector(twos, Shape{4, 16}), device, MemoryConfig::dram_interleaved());
    std::vector<std::uint8_t> bytes(256);
    read_from_device(written, bytes);
    device.write(NocAddr::dram(0, t.buffer->address() + 64), std::span<const std::uint8_t>(bytes.data(), 64));
    EXPECT_EQ(memory[16], 2.0f);  // a write lands in the caller's memory
    EXPECT_EQ(memory[15], 15.0f);
    std::vector<std::uint8_t> past(64);
    EXPECT_THROW(device.read(NocAddr::dram(0, t.buffer->address() + 256 - 32), past), DeviceError);  // past the region
    EXPECT_FALSE(watch.expired());  // the buffer keeps the memory's owner
  }
  EXPECT_TRUE(watch.expired());  // released with the buffer
}

TEST(WrappedHostMemory, RefusesWhatCannotMapOneToOne) {
  std::vector<float> memory(64);
  const std::span<std::uint8_t> bytes{reinterpret_cast<std::uint8_t*>(memory.data()), memory.size() * 4};
  Device chip = testing::make_device("wormhole_b0", 1);
  EXPECT_THROW(wrap_host_memory(bytes, Shape{4, 16}, DataType::FLOAT32, chip), InvalidArgument);  // 12 banks, not host memory
  Device host = testing::make_device("host", 1);
  try {
    wrap_host_memory(bytes.first(48 * 4), Shape{4, 12}, DataType::FLOAT32, host);  // 48-byte rows: padded pages
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("padded to 64"), std::string::npos) << e.what();
  }
  EXPECT_THROW(wrap_host_memory(bytes, Shape{2, 16}, DataType::FLOAT32, host), InvalidArgument);  // size mismatch
}

}  // namespace
}  // namespace shardwise
