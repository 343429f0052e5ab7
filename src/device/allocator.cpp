#include "device/allocator.hpp"

#include "core/error.hpp"

namespace shardwise {
namespace {
std::uint64_t align_up(std::uint64_t v, std::uint64_t a) { return (v + a - 1) / a * a; }
std::uint64_t align_down(std::uint64_t v, std::uint64_t a) { return v / a * a; }
}  // namespace

LockstepAllocator::LockstepAllocator(std::string what, std::uint64_t begin, std::uint64_t end, std::uint32_t alignment)
    : what_(std::move(what)), begin_(align_up(begin, alignment)), end_(align_down(end, alignment)), alignment_(alignment) {}

std::uint64_t LockstepAllocator::allocate(std::uint64_t size, bool bottom_up, const std::string& name) {
  check_arg(size > 0, "buffer '{}' has size 0", name);
  const std::uint64_t need = align_up(size, alignment_);
  // Walk the gaps between blocks; keep the first (bottom-up) or last (top-down) fit.
  std::uint64_t chosen = 0;
  bool found = false;
  std::uint64_t cursor = begin_;
  auto consider = [&](std::uint64_t gap_begin, std::uint64_t gap_end) {
    if (gap_end < gap_begin || gap_end - gap_begin < need) return;
    if (bottom_up && !found) {
      chosen = gap_begin;
      found = true;
    } else if (!bottom_up) {
      chosen = gap_end - need;
      found = true;
    }
  };
  for (const auto& [address, block] : blocks_) {
    consider(cursor, address);
    cursor = address + align_up(block.size, alignment_);
  }
  consider(cursor, end_);
  if (!found)
    throw OutOfMemory(fmt::format("out of memory in {}: buffer '{}' needs {} bytes, {} bytes are free in all "
                                  "(largest free block {} bytes)",
                                  what_, name, need, free_bytes(), largest_free_block()));
  blocks_.emplace(chosen, Block{chosen, need, name});
  return chosen;
}

void LockstepAllocator::free(std::uint64_t address) { blocks_.erase(address); }

const LockstepAllocator::Block* LockstepAllocator::find(std::uint64_t address, std::uint64_t size) const {
  auto it = blocks_.upper_bound(address);
  if (it == blocks_.begin()) return nullptr;
  --it;
  const Block& b = it->second;
  return (address >= b.address && address + size <= b.address + b.size) ? &b : nullptr;
}

std::uint64_t LockstepAllocator::lowest_allocated() const { return blocks_.empty() ? end_ : blocks_.begin()->first; }

std::uint64_t LockstepAllocator::highest_allocated_end() const {
  if (blocks_.empty()) return begin_;
  const Block& last = blocks_.rbegin()->second;
  return last.address + last.size;
}

std::uint64_t LockstepAllocator::free_bytes() const {
  std::uint64_t used = 0;
  for (const auto& [a, b] : blocks_) used += b.size;
  return (end_ - begin_) - used;
}

std::uint64_t LockstepAllocator::largest_free_block() const {
  std::uint64_t best = 0, cursor = begin_;
  for (const auto& [address, block] : blocks_) {
    if (address > cursor) best = std::max(best, address - cursor);
    cursor = address + block.size;
  }
  if (end_ > cursor) best = std::max(best, end_ - cursor);
  return best;
}

}  // namespace shardwise
