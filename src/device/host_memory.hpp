#pragma once
// Host memory behind the model's DRAM banks: one reservation of a bank's whole size
// (virtual address space only; the OS hands out zeroed pages on first touch), so a
// bank never moves or grows by copying, and backed by transparent huge pages where the
// OS allows them (madvise). Huge pages matter for speed, not correctness: with 4 KiB
// pages the physical placement of a buffer, and so its conflicts in the CPU's
// physically indexed L2, changes from run to run (host preset timings measured
// bimodal); a 2 MiB page maps an aligned 2 MiB of the buffer contiguously.
#include <cstddef>
#include <cstdint>

namespace shardwise {

class HostMemoryRegion {
 public:
  HostMemoryRegion() = default;
  // OutOfMemory naming `what` when the address space cannot be reserved. With
  // `min_bytes` < bytes, a refused reservation is retried at half the size down to
  // min_bytes (0: never; a system with strict overcommit refuses large reservations even
  // with MAP_NORESERVE); size() says what was reserved.
  HostMemoryRegion(std::uint64_t bytes, const char* what, std::uint64_t min_bytes = 0);
  HostMemoryRegion(HostMemoryRegion&& other) noexcept;
  HostMemoryRegion& operator=(HostMemoryRegion&& other) noexcept;
  HostMemoryRegion(const HostMemoryRegion&) = delete;
  HostMemoryRegion& operator=(const HostMemoryRegion&) = delete;
  ~HostMemoryRegion();

  std::uint8_t* data() const { return data_; }
  std::uint64_t size() const { return size_; }

 private:
  void release();
  void* mapping_ = nullptr;  // the mapping as the OS returned it (data_ is aligned inside)
  std::uint64_t mapping_bytes_ = 0;
  std::uint8_t* data_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace shardwise
