#pragma once
// Runs one cell for every library in the same way: prepare, run once, check the output
// against the double-precision reference (when asked), warm up, then time rounds that
// interleave the libraries (so a noisy neighbour slows all of them alike). A library
// that fails its check, or throws, is reported and not timed.
#include <optional>
#include <string>
#include <vector>

#include "bench_case.hpp"
#include "library.hpp"
#include "output_check.hpp"

namespace shardwise::bench {

struct TimingOptions {
  unsigned rounds = 11;    // timed rounds per library
  double round_ms = 15;    // each round runs the conv this long (at least once)
  double warmup_ms = 30;   // untimed calls first (at least two)
  // Idle time before each round, so that the other libraries' idle threads have stopped
  // spinning: libgomp's (oneDNN's OpenMP) spin about 8-10 ms after a parallel region on
  // the 2-vCPU Zen 5 dev machine (process CPU time over a sleep after one region), and
  // one still spinning on a core takes half of it from the next library's round.
  unsigned settle_ms = 20;
};

struct Timing {
  double median_us = 0, p10_us = 0, p90_us = 0;  // per call, over the rounds' averages
  unsigned rounds = 0;
  unsigned calls_per_round = 0;
};

struct LibraryResult {
  std::string library;
  std::string kernel;               // what the library ran (oneDNN's impl_info_str, ...)
  std::optional<CheckResult> check;  // when checked
  std::optional<Timing> timing;     // absent when the library failed or does not support the dtype
  std::string error;                // why it was not timed
};

// `expected`: the reference output (NHWC) to check against, or empty to skip the check.
std::vector<LibraryResult> run_cell(const Cell& cell, const CellData& data, const std::vector<double>& expected,
                                    const std::vector<Library>& libraries, unsigned threads, const TimingOptions& options);

}  // namespace shardwise::bench
