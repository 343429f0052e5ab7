// The copy floor: what moving the layer's bytes costs with no arithmetic at all. One
// memcpy of (input + output bytes) / 2, split in equal chunks over the benchmark's
// threads (a pthreadpool, as XNNPACK uses): the same traffic as reading the input once
// and writing the output once. A memory-bound depthwise conv cannot beat it.
#include <pthreadpool.h>

#include <cstring>

#include <fmt/format.h>

#include "library.hpp"
#include "pthreadpool_sleep.hpp"

namespace shardwise::bench {
namespace {

class CopyFloor final : public PreparedConv {
 public:
  CopyFloor(const Cell& cell, unsigned threads)
      : bytes_(static_cast<std::size_t>((cell.input_elements() + cell.output_elements()) * element_bytes(cell.dtype) / 2)),
        source_(bytes_, 1),
        target_(bytes_),
        pool_(pthreadpool_create(threads)),
        chunks_(threads) {}
  ~CopyFloor() override { pthreadpool_destroy(pool_); }

  void run() override {
    const std::size_t chunk = (bytes_ + chunks_ - 1) / chunks_;
    pthreadpool_parallelize_1d(
        pool_,
        [&](std::size_t i) {
          const std::size_t begin = i * chunk, end = std::min(bytes_, begin + chunk);
          if (begin < end) std::memcpy(target_.data() + begin, source_.data() + begin, end - begin);
        },
        chunks_);
  }
  // Not a conv: nothing to compare (the benchmark never checks the copy floor).
  void quiesce() override { put_workers_to_sleep(pool_); }
  void read_output(std::span<float>) override {}
  std::string kernel() const override { return fmt::format("memcpy of {} bytes in {} chunks", bytes_, chunks_); }

 private:
  std::size_t bytes_;
  std::vector<unsigned char> source_, target_;
  pthreadpool_t pool_;
  std::size_t chunks_;
};

}  // namespace

Library copy_floor_library() {
  return {"copy", false, [](Dtype) { return true; },
          [](const Cell& cell, const CellData&, unsigned threads) -> std::unique_ptr<PreparedConv> {
            return std::make_unique<CopyFloor>(cell, threads);
          }};
}

}  // namespace shardwise::bench
