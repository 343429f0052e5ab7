#pragma once
// What the machine can do, measured by the benchmark itself so that every cell's
// physical bound comes from the machine the cell ran on: the CPU's name, cores, SIMD
// flags and cache sizes (from /proc and /sys), its float32 FMA peak (and bfloat16
// dot-product peak, with AVX512_BF16) and its read
// bandwidth from L2, L3 and DRAM (small Highway kernels on every benchmark thread).
#include <cstdint>
#include <string>

namespace shardwise::bench {

struct MachineInfo {
  std::string cpu_model;
  unsigned threads = 1;
  std::string isa_flags;        // the SIMD flags that matter here, as /proc/cpuinfo names them
  std::string simd_target;      // the Highway target the probes dispatched to
  std::uint64_t l2_bytes = 0;   // per core
  std::uint64_t l3_bytes = 0;   // total, as the OS reports it
  double peak_gflops = 0;       // float32 multiply-adds (2 FLOPs each), all threads
  // bfloat16 dot products (VDPBF16PS: two multiply-adds per float32 lane, 4 FLOPs),
  // all threads; 0 on a CPU without AVX512_BF16.
  double peak_bf16_gflops = 0;
  double l2_gbps = 0, l3_gbps = 0, dram_gbps = 0;  // read bandwidth, all threads
  std::string to_json() const;
};

// `quick` measures for less time (about 1 s instead of 3 s).
MachineInfo probe_machine(unsigned threads, bool quick);

// The Highway kernels the probe times (runtime-dispatched; defined in machine_kernels.cpp).
double fma_flops(std::uint64_t iterations, float seed);  // runs the loop; returns the FLOPs done
// The same with VDPBF16PS (machine_probe.cpp, x86 intrinsics); 0 without AVX512_BF16.
double dpbf16_flops(std::uint64_t iterations, float seed);
float read_sum(const float* data, std::size_t count);    // count: a multiple of 64
std::string dispatched_simd_target();

}  // namespace shardwise::bench
