#include "device/host_memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <utility>

#include "core/error.hpp"

namespace shardwise {
namespace {

constexpr std::uint64_t kHugePage = 2ull << 20;

}  // namespace

HostMemoryRegion::HostMemoryRegion(std::uint64_t bytes, const char* what, std::uint64_t min_bytes) : size_(bytes) {
  if (bytes == 0) return;
  while (true) {
    // One huge page more than asked, so that data_ can start on a huge-page boundary.
    mapping_bytes_ = size_ + kHugePage;
    mapping_ = mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping_ != MAP_FAILED) break;
    mapping_ = nullptr;
    if (size_ / 2 < (min_bytes == 0 ? bytes : min_bytes))  // 0: no smaller size
      throw OutOfMemory(fmt::format("host memory: cannot reserve {} bytes of address space for {}", size_, what));
    size_ /= 2;
  }
  const auto base = reinterpret_cast<std::uintptr_t>(mapping_);
  data_ = reinterpret_cast<std::uint8_t*>((base + kHugePage - 1) / kHugePage * kHugePage);
#ifdef MADV_HUGEPAGE
  madvise(data_, size_, MADV_HUGEPAGE);  // advice only: without THP the pages stay 4 KiB
#endif
}

HostMemoryRegion::HostMemoryRegion(HostMemoryRegion&& other) noexcept { *this = std::move(other); }

HostMemoryRegion& HostMemoryRegion::operator=(HostMemoryRegion&& other) noexcept {
  if (this != &other) {
    release();
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapping_bytes_ = std::exchange(other.mapping_bytes_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

HostMemoryRegion::~HostMemoryRegion() { release(); }

void HostMemoryRegion::release() {
  if (mapping_) munmap(mapping_, mapping_bytes_);
  mapping_ = nullptr;
}

}  // namespace shardwise
