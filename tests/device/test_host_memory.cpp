// The host memory behind DRAM banks (device/host_memory.hpp): a reservation larger than
// the address space falls back to halves; the memory is zeroed and writable; a
// reservation that cannot shrink enough is an OutOfMemory naming what it was for.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "device/host_memory.hpp"

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

}  // namespace
}  // namespace shardwise
