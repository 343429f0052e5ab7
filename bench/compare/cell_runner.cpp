#include "cell_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <thread>

#include <fmt/format.h>

namespace shardwise::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double percentile(std::vector<double> sorted, double q) {
  std::sort(sorted.begin(), sorted.end());
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos)), hi = std::min(sorted.size() - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

struct Contender {
  std::size_t result_index;
  std::unique_ptr<PreparedConv> conv;
  unsigned calls_per_round = 1;
  std::vector<double> per_call_us;
};

}  // namespace

std::vector<LibraryResult> run_cell(const Cell& cell, const CellData& data, const std::vector<double>& expected,
                                    const std::vector<Library>& libraries, unsigned threads, const TimingOptions& options) {
  std::vector<LibraryResult> results;
  std::vector<Contender> contenders;
  for (const Library& library : libraries) {
    LibraryResult& r = results.emplace_back();
    r.library = library.name;
    if (!library.supports(cell.dtype)) {
      r.error = fmt::format("{} is not supported", to_string(cell.dtype));
      continue;
    }
    try {
      std::unique_ptr<PreparedConv> conv = library.prepare(cell, data, threads);
      conv->run();
      r.kernel = conv->kernel();
      if (!expected.empty() && library.computes_conv) {
        std::vector<float> out(cell.output_elements());
        conv->read_output(out);
        r.check = check_output(cell.dtype, expected, out);
        if (!r.check->ok) {
          r.error = "disagrees with the reference: " + r.check->summary;
          continue;
        }
      }
      // Warm-up, which also estimates the call time.
      unsigned calls = 0;
      const auto start = Clock::now();
      do {
        conv->run();
        ++calls;
      } while (calls < 2 || seconds_since(start) * 1e3 < options.warmup_ms);
      const double per_call_ms = seconds_since(start) * 1e3 / calls;
      Contender c{results.size() - 1, std::move(conv), 1, {}};
      c.calls_per_round = static_cast<unsigned>(std::clamp(options.round_ms / per_call_ms, 1.0, 100000.0));
      contenders.push_back(std::move(c));
    } catch (const std::exception& e) {
      r.error = e.what();
    }
  }
  for (unsigned round = 0; round < options.rounds; ++round)
    for (Contender& c : contenders) {
      // Let the previous library's thread pool stop spinning (OpenMP and shardwise's pool
      // spin for a while after a call, pthreadpool's are sent to sleep by quiesce(); on
      // two vCPUs a spinning pool slows whoever runs next), then one untimed call so
      // that this library's own pool is awake: every library's round starts alike.
      std::this_thread::sleep_for(std::chrono::milliseconds(options.settle_ms));
      c.conv->run();
      const auto start = Clock::now();
      for (unsigned i = 0; i < c.calls_per_round; ++i) c.conv->run();
      c.per_call_us.push_back(seconds_since(start) * 1e6 / c.calls_per_round);
      c.conv->quiesce();
    }
  for (Contender& c : contenders)
    results[c.result_index].timing = Timing{percentile(c.per_call_us, 0.5), percentile(c.per_call_us, 0.1),
                                            percentile(c.per_call_us, 0.9), options.rounds, c.calls_per_round};
  return results;
}

}  // namespace shardwise::bench
