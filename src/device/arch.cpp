#include "device/arch.hpp"

#include <algorithm>
#include <fstream>
#include <thread>

#include "core/error.hpp"
#include "core/host_memory_budget.hpp"
#include "device/worker_pool.hpp"

namespace shardwise {
namespace {

constexpr std::uint64_t kGiB = 1ull << 30;

// Firmware region at the bottom of L1. The chip's exact figure depends on the firmware
// release; the model reserves a fixed 100 KiB so that address 0 is never valid for ops.
constexpr std::uint32_t kL1FirmwareBytes = 100 * 1024;
constexpr std::uint32_t kL1SmallBytes = 16 * 1024;  // as the reference's test suite opens the device

// Size of cache `index` of CPU 0 as sysfs reports it ("48K", "2048K", "2M"); 0 if unknown.
std::uint64_t sysfs_cache_bytes(int index) {
  std::ifstream in(fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/size", index));
  std::string text;
  if (!(in >> text) || text.empty()) return 0;
  std::uint64_t value = 0;
  try {
    value = std::stoull(text);
  } catch (...) {
    return 0;
  }
  const char unit = text.back();
  if (unit == 'K') value *= 1024;
  if (unit == 'M') value *= 1024 * 1024;
  return value;
}

std::uint32_t host_l2_bytes() {
  const std::uint64_t value = sysfs_cache_bytes(2);
  return value >= 256 * 1024 && value < (1ull << 31) ? static_cast<std::uint32_t>(value) : 1u << 20;
}

}  // namespace

std::uint32_t host_l1d_bytes() {
  static const std::uint32_t bytes = [] {
    const std::uint64_t value = sysfs_cache_bytes(0);  // index 0: the level-1 data cache on x86 and arm64 Linux
    return value >= 16 * 1024 && value <= 1024 * 1024 ? static_cast<std::uint32_t>(value) : 32u * 1024;
  }();
  return bytes;
}

Arch arch_preset(std::string_view name, const ArchOverrides& overrides) {
  Arch arch;
  if (name == "wormhole_b0") {
    arch = Arch{"wormhole_b0", 8, 8, 12, kGiB, 1'499'136, kL1FirmwareBytes, kL1SmallBytes, 32, 16, 16};
  } else if (name == "blackhole") {
    arch = Arch{"blackhole", 13, 10, 8, kGiB, 1'499'136, kL1FirmwareBytes, kL1SmallBytes, 64, 64, 16};
  } else if (name == "host") {
    const unsigned threads = static_cast<unsigned>(allowed_cpus().size());  // the CPUs this process may use
    // A host "core" keeps the firmware and L1_SMALL regions small: its whole L1 is a
    // cache-sized working set. Its DRAM is host memory: at most the host memory budget.
    arch = Arch{"host", threads == 0 ? 1u : threads, 1, 1, std::min(64 * kGiB, host_memory_budget()), host_l2_bytes(), 1024, 4096, 32, 16, 16};
  } else {
    throw InvalidArgument(fmt::format("unknown arch '{}': allowed are wormhole_b0, blackhole, host", name));
  }
  if (overrides.grid_x) {
    check_arg(*overrides.grid_x >= 1 && *overrides.grid_x <= 64, "grid x = {} must be between 1 and 64", *overrides.grid_x);
    arch.grid_x = *overrides.grid_x;
  }
  if (overrides.grid_y) {
    check_arg(*overrides.grid_y >= 1 && *overrides.grid_y <= 64, "grid y = {} must be between 1 and 64", *overrides.grid_y);
    arch.grid_y = *overrides.grid_y;
  }
  if (overrides.l1_size) {
    const std::uint32_t minimum = arch.l1_unreserved_base + kSemaphoreSlots * kSemaphoreStride + arch.l1_small_size + 4096;
    check_arg(*overrides.l1_size >= minimum && *overrides.l1_size <= (1u << 30),
              "L1 size {} must be between {} and 2^30 bytes on {}", *overrides.l1_size, minimum, arch.name);
    arch.l1_size = *overrides.l1_size;
  }
  return arch;
}

}  // namespace shardwise
