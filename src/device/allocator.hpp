#pragma once
// First-fit allocator over an address range, used in lockstep: one allocation reserves
// the same address range in every bank (every DRAM bank, or every core's L1), as
// TT-Metal's allocator does. That is what gives interleaved buffers one base address
// in every bank and sharded buffers one L1 address on every core.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace shardwise {

class LockstepAllocator {
 public:
  struct Block {
    std::uint64_t address;
    std::uint64_t size;
    std::string name;
  };

  LockstepAllocator(std::string what, std::uint64_t begin, std::uint64_t end, std::uint32_t alignment);

  // Lowest fitting address (bottom_up) or highest (top-down). OutOfMemory naming the
  // buffer, the bytes requested, the largest free block and `what` when nothing fits.
  std::uint64_t allocate(std::uint64_t size, bool bottom_up, const std::string& name);
  void free(std::uint64_t address);

  // The allocated block containing [address, address + size), or nullptr.
  const Block* find(std::uint64_t address, std::uint64_t size) const;
  std::uint64_t lowest_allocated() const;  // `end` when empty
  std::uint64_t highest_allocated_end() const;  // `begin` when empty
  std::uint64_t free_bytes() const;
  std::uint64_t largest_free_block() const;
  std::uint64_t begin() const { return begin_; }
  std::uint64_t end() const { return end_; }

 private:
  std::string what_;
  std::uint64_t begin_, end_;
  std::uint32_t alignment_;
  std::map<std::uint64_t, Block> blocks_;  // by address
};

}  // namespace shardwise
