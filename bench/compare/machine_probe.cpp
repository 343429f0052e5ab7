#include "machine_probe.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <nlohmann/json.hpp>

namespace shardwise::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string cpuinfo_field(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key, 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(std::min(line.size(), colon + 2));
    }
  return "";
}

std::string simd_flags() {
  std::stringstream all(cpuinfo_field("flags"));
  const std::vector<std::string> wanted{"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl",
                                        "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_bf16", "avx_vnni"};
  std::string flags;
  for (std::string f; all >> f;)
    if (std::find(wanted.begin(), wanted.end(), f) != wanted.end()) flags += (flags.empty() ? "" : " ") + f;
  return flags.empty() ? "none reported" : flags;
}

// Size of the cpu0 cache of this level (data or unified), 0 when the OS does not say.
std::uint64_t cache_bytes(int level) {
  for (int index = 0; index < 8; ++index) {
    const std::string dir = fmt::format("/sys/devices/system/cpu/cpu0/cache/index{}/", index);
    std::ifstream lv(dir + "level"), type(dir + "type"), size(dir + "size");
    int l = 0;
    std::string t, s;
    if (!(lv >> l) || !(type >> t) || !(size >> s)) break;
    if (l != level || t == "Instruction" || s.empty()) continue;
    std::uint64_t value = std::strtoull(s.c_str(), nullptr, 10);
    if (s.back() == 'K') value <<= 10;
    if (s.back() == 'M') value <<= 20;
    return value;
  }
  return 0;
}

// Runs body(thread) on `threads` threads started together; returns the slowest thread's seconds.
double run_together(unsigned threads, const std::function<void(unsigned)>& body) {
  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> seconds(threads);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      const auto start = Clock::now();
      body(t);
      seconds[t] = std::chrono::duration<double>(Clock::now() - start).count();
    });
  while (ready.load() < threads) {
  }
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  return *std::max_element(seconds.begin(), seconds.end());
}

#if defined(__x86_64__)
// 12 independent VDPBF16PS accumulators, as the FMA loop: 64 FLOPs per instruction.
__attribute__((target("avx512f,avx512bf16"))) double dpbf16_loop(std::uint64_t iterations, float seed) {
  const __m512bh x = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0.5f), _mm512_set1_ps(0.25f));
  __m512 a[12];
  for (int i = 0; i < 12; ++i) a[i] = _mm512_set1_ps(seed + static_cast<float>(i));
  for (std::uint64_t k = 0; k < iterations; ++k)
    for (int i = 0; i < 12; ++i) a[i] = _mm512_dpbf16_ps(a[i], x, x);
  __m512 sum = a[0];
  for (int i = 1; i < 12; ++i) sum = _mm512_add_ps(sum, a[i]);
  float lanes[16];
  _mm512_storeu_ps(lanes, sum);
  // Keeps the loop alive: the result feeds the return value.
  return lanes[0] + lanes[15] == -1.0f ? 0.0 : static_cast<double>(iterations) * 12 * 64;
}
#endif

// Float32 FMA or bfloat16 dot-product peak of all threads (`flops_of` runs the loop).
double measure_peak_gflops(unsigned threads, double budget_s, double (*flops_of)(std::uint64_t, float)) {
  std::uint64_t iterations = 1 << 16;
  while (run_together(1, [&](unsigned) { flops_of(iterations, 1.0f); }) < budget_s / 20) iterations *= 2;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<double> flops(threads);
    const double s = run_together(threads, [&](unsigned t) { flops[t] = flops_of(iterations, 1.0f + t); });
    double total = 0;
    for (double f : flops) total += f;
    best = std::max(best, total / s / 1e9);
  }
  return best;
}

// Read bandwidth with `bytes_per_thread` of private data per thread, each buffer first
// touched by its own thread.
double measure_read_gbps(unsigned threads, std::size_t bytes_per_thread, double budget_s) {
  const std::size_t count = std::max<std::size_t>(64, bytes_per_thread / sizeof(float) / 64 * 64);
  std::vector<std::unique_ptr<float[]>> buffers(threads);
  run_together(threads, [&](unsigned t) {
    buffers[t].reset(new float[count]);
    std::fill_n(buffers[t].get(), count, 1.0f);
  });
  std::vector<float> sink(threads);
  unsigned passes = 1;
  while (run_together(1, [&](unsigned) { for (unsigned p = 0; p < passes; ++p) sink[0] += read_sum(buffers[0].get(), count); }) <
         budget_s / 10)
    passes *= 2;
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    const double s = run_together(threads, [&](unsigned t) {
      for (unsigned p = 0; p < passes; ++p) sink[t] += read_sum(buffers[t].get(), count);
    });
    best = std::max(best, static_cast<double>(threads) * passes * count * sizeof(float) / s / 1e9);
  }
  return best;
}

bool has_dpbf16() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
  return false;
#endif
}

}  // namespace

double dpbf16_flops(std::uint64_t iterations, float seed) {
#if defined(__x86_64__)
  if (has_dpbf16()) return dpbf16_loop(iterations, seed);
#endif
  (void)iterations;
  (void)seed;
  return 0;
}

std::string MachineInfo::to_json() const {
  return nlohmann::json{{"cpu_model", cpu_model},     {"threads", threads},     {"isa_flags", isa_flags},
                        {"simd_target", simd_target}, {"l2_bytes", l2_bytes},   {"l3_bytes", l3_bytes},
                        {"peak_gflops", peak_gflops}, {"peak_bf16_gflops", peak_bf16_gflops},
                        {"l2_gbps", l2_gbps},         {"l3_gbps", l3_gbps},
                        {"dram_gbps", dram_gbps}}
      .dump(2);
}

MachineInfo probe_machine(unsigned threads, bool quick) {
  MachineInfo m;
  m.cpu_model = cpuinfo_field("model name");
  m.threads = threads;
  m.isa_flags = simd_flags();
  m.simd_target = dispatched_simd_target();
  m.l2_bytes = cache_bytes(2) ? cache_bytes(2) : (1u << 20);
  m.l3_bytes = cache_bytes(3);
  const double budget = quick ? 0.05 : 0.15;
  m.peak_gflops = measure_peak_gflops(threads, budget, fma_flops);
  if (has_dpbf16()) m.peak_bf16_gflops = measure_peak_gflops(threads, budget, dpbf16_flops);
  // L2: half of each core's L2. L3: half of the L3 (at least 4x the L2s, at most 64
  // MiB in all). DRAM: 4x the L3, between 512 MiB and 1 GiB in all.
  const std::uint64_t l2_total = m.l2_bytes * threads;
  const std::uint64_t l3_total = std::clamp<std::uint64_t>(m.l3_bytes / 2, 4 * l2_total, 64ull << 20);
  const std::uint64_t dram_total = std::clamp<std::uint64_t>(4 * m.l3_bytes, 512ull << 20, 1ull << 30);
  m.l2_gbps = measure_read_gbps(threads, m.l2_bytes / 2, budget);
  m.l3_gbps = measure_read_gbps(threads, l3_total / threads, budget);
  m.dram_gbps = measure_read_gbps(threads, dram_total / threads, budget * 2);
  return m;
}

}  // namespace shardwise::bench
