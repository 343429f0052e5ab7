#pragma once
// Machine presets as data (reference section 2).
//
// Per-core L1 map of the model (addresses are byte offsets in a core's L1):
//
//   0 ........................ firmware, never touched by ops
//   l1_unreserved_base ....... semaphores (kSemaphoreSlots x 16 B)
//   + semaphore region ....... circular buffers of the running program, growing up
//            ...               free
//            ...               L1 buffers (sharded / interleaved), allocated top-down
//   l1_size - l1_small_size .. L1_SMALL (small config tensors)
//   l1_size
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shardwise {

struct Arch {
  std::string name;
  std::uint32_t grid_x = 1;  // compute cores available to ops
  std::uint32_t grid_y = 1;
  std::uint32_t num_dram_banks = 1;
  std::uint64_t dram_bank_size = 0;
  std::uint32_t l1_size = 0;
  std::uint32_t l1_unreserved_base = 0;
  std::uint32_t l1_small_size = 0;
  std::uint32_t dram_read_alignment = 32;
  std::uint32_t dram_write_alignment = 16;
  std::uint32_t l1_alignment = 16;
  friend bool operator==(const Arch&, const Arch&) = default;

  std::uint32_t num_cores() const { return grid_x * grid_y; }
  // The `host` preset: cores are CPU cores, "DRAM" is main memory in one bank.
  bool is_host() const { return name == "host"; }
  // Interleaved DRAM pages are padded to this.
  std::uint32_t dram_alignment() const {
    return dram_read_alignment > dram_write_alignment ? dram_read_alignment : dram_write_alignment;
  }
};

inline constexpr std::uint32_t kSemaphoreSlots = 16;
inline constexpr std::uint32_t kSemaphoreStride = 16;  // one L1-aligned word each
inline constexpr std::uint32_t kMaxCircularBuffers = 32;

struct ArchOverrides {
  std::optional<std::uint32_t> grid_x;
  std::optional<std::uint32_t> grid_y;
  std::optional<std::uint32_t> l1_size;
};

// "wormhole_b0": 8x8 grid, 12 DRAM banks of 1 GiB, L1 1,499,136 B, DRAM alignment 32.
// "blackhole":   13x10 grid, 8 DRAM banks, DRAM alignment 64.
// "host":        one core per host hardware thread, L1 sized like one core's private
//                L2 cache, one DRAM bank (host memory).
// InvalidArgument naming the value otherwise.
Arch arch_preset(std::string_view name, const ArchOverrides& overrides = {});

// The host CPU's level-1 data cache per core, bytes (sysfs; 32 KiB when unknown). The
// host preset's L1 stands for the CPU's private L2; host kernels size their innermost
// blocking by this.
std::uint32_t host_l1d_bytes();

}  // namespace shardwise
