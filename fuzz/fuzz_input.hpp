#pragma once
// Reading a fuzzer's bytes as typed values: each call takes the next bytes (zeros once
// they run out), so every input, however short, decodes to something.
#include <cstddef>
#include <cstdint>
#include <span>

namespace shardwise::fuzz {

class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) : bytes_(data, size) {}

  std::uint8_t byte() { return pos_ < bytes_.size() ? bytes_[pos_++] : 0; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(byte()) << (8 * i);
    return v;
  }
  // Mostly small values (the planner's interesting range), sometimes any 32-bit value.
  std::uint32_t extent(std::uint32_t small_max) {
    const std::uint8_t kind = byte();
    if (kind < 224) return byte() % (small_max + 1);
    if (kind < 248) return u32() % 70000;
    return u32();
  }
  std::span<const std::uint8_t> rest() const { return bytes_.subspan(pos_ < bytes_.size() ? pos_ : bytes_.size()); }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace shardwise::fuzz
