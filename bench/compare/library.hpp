#pragma once
// The libraries the benchmark compares, behind one small interface: prepare a conv once
// for a cell (weights packed, operator created, input placed), then run it again and
// again. Virtual calls happen once per conv, never inside one.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench_case.hpp"

namespace shardwise::bench {

class PreparedConv {
 public:
  virtual ~PreparedConv() = default;
  virtual void run() = 0;                            // the timed call
  virtual void read_output(std::span<float> nhwc) = 0;  // after run(); as float NHWC
  virtual std::string kernel() const = 0;            // which kernel / ISA the library runs
  // After a timed round: let the library's idle threads stop competing for the CPUs
  // the next library's round uses (their own time is not measured here).
  virtual void quiesce() {}
};

struct Library {
  std::string name;
  bool computes_conv;  // false for the copy floor: nothing to check against the reference
  bool (*supports)(Dtype dtype);
  // Everything done once before timing. `threads` is the thread count every library gets.
  std::unique_ptr<PreparedConv> (*prepare)(const Cell& cell, const CellData& data, unsigned threads);
};

Library shardwise_host_library();
Library onednn_library();
Library xnnpack_library();
Library copy_floor_library();  // memcpy of the input and output bytes over the same threads

// Every library above, in report order; `names` (comma-separated, empty = all) picks some.
std::vector<Library> libraries(const std::string& names = "");

}  // namespace shardwise::bench
