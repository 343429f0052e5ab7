// bench_compare: shardwise's depthwise conv on the `host` preset against oneDNN, XNNPACK
// and the copy floor, on the real layers of bench/layers.csv, in one process, on the
// same threads, the same way (see cell_runner.hpp). Also measures the machine (FMA
// peak, L2/L3/DRAM read bandwidth) and times the chip presets as an emulator.
//
// Writes into --out: compare.csv (one row per library, layer, dtype, batch),
// machine.json, emulator.csv. bench/compare/bench_report.py turns them (and the torch
// companion's torch.csv) into the Markdown table and the plots. Exit codes: 0 all
// libraries agreed with the reference, 1 a library disagreed or failed, 2 bad options.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench_case.hpp"
#include "cell_runner.hpp"
#include "conv2d_runner.hpp"
#include "core/error.hpp"
#include "device/worker_pool.hpp"
#include "library.hpp"
#include "machine_probe.hpp"

namespace shardwise::bench {
namespace {

struct Options {
  std::string layers_path = SHARDWISE_BENCH_LAYERS;
  std::string layer_names;  // comma-separated subset, empty = all
  std::string batches = "1,32";
  std::string dtypes = "float32,bfloat16";
  std::string libraries;
  std::string out = "build/bench-results";
  std::string emulator_arch = "wormhole_b0";
  unsigned threads = static_cast<unsigned>(allowed_cpus().size());  // the CPUs this process may use
  unsigned check_batch = 1;
  unsigned emulator_repeat = 3;
  TimingOptions timing;
  bool quick = false;
  bool no_emulator = false;
  bool no_probe = false;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream s(text);
  for (std::string p; std::getline(s, p, ',');)
    if (!p.empty()) parts.push_back(p);
  return parts;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::vector<Cell> cells_of(const Options& o) {
  std::vector<Layer> layers = load_layers(o.layers_path);
  if (!o.layer_names.empty()) {
    const std::vector<std::string> wanted = split(o.layer_names);
    for (const std::string& name : wanted)
      check_arg(std::any_of(layers.begin(), layers.end(), [&](const Layer& l) { return l.name == name; }),
                "--layer-names: '{}' is not in {}", name, o.layers_path);
    std::erase_if(layers, [&](const Layer& l) { return std::find(wanted.begin(), wanted.end(), l.name) == wanted.end(); });
  }
  std::vector<Cell> cells;
  for (const std::string& b : split(o.batches)) {
    unsigned batch = 0;
    check_arg(std::sscanf(b.c_str(), "%u", &batch) == 1 && batch >= 1 && batch <= 1024 && std::to_string(batch) == b,
              "--batches: '{}' is not a batch size between 1 and 1024", b);
    for (const std::string& d : split(o.dtypes))
      for (const Layer& l : layers) cells.push_back(Cell{l, batch, parse_dtype(d)});
  }
  check_arg(!cells.empty(), "nothing to benchmark: --batches and --dtypes must name at least one each");
  return cells;
}

void write_emulator(const Options& o, const std::vector<Layer>& layers, std::ofstream& csv) {
  csv << "arch,layer,batch,median_ms,pcc,layout,cores\n";
  for (const Layer& l : layers) {
    ConvCase c;
    c.arch = o.emulator_arch;
    c.params = conv2d_params(l, 1);
    c.bias = true;
    c.config.activation = Activation::RELU6;
    c.repeat = o.emulator_repeat;
    const ConvRun run = run_conv_case(c);
    const ParallelConfig& pc = run.result.plan->parallel;
    csv << fmt::format("{},{},1,{:.4f},{:.7f},{},{}\n", o.emulator_arch, l.name, run.median_ms, run.comparison.pcc,
                       to_string(pc.layout), pc.num_cores());
    std::cout << fmt::format("emulator {} {}: {:.3f} ms, pcc {:.7f}\n", o.emulator_arch, l.name, run.median_ms, run.comparison.pcc)
              << std::flush;
  }
}

int run(const Options& o) {
  check_arg(o.threads >= 1 && o.threads <= 64, "--threads {} must be between 1 and 64", o.threads);
  check_arg(o.timing.rounds >= 1 && o.timing.rounds <= 1000, "--rounds {} must be between 1 and 1000", o.timing.rounds);
  check_arg(o.timing.settle_ms <= 10000, "--settle-ms {} must be at most 10000", o.timing.settle_ms);
  if (!o.no_emulator) arch_preset(o.emulator_arch);  // a bad --emulator-arch fails now, not after the timing
  const std::vector<Cell> cells = cells_of(o);
  const std::vector<Library> libs = libraries(o.libraries);
  std::filesystem::create_directories(o.out);

  if (!o.no_probe) {
    std::cout << "probing the machine (FMA peak, L2/L3/DRAM read bandwidth) ...\n" << std::flush;
    const MachineInfo m = probe_machine(o.threads, o.quick);
    std::ofstream(o.out + "/machine.json") << m.to_json() << "\n";
    const std::string bf16_peak = m.peak_bf16_gflops > 0 ? fmt::format(" (bfloat16 dot products {:.0f})", m.peak_bf16_gflops) : "";
    std::cout << fmt::format("{}, {} threads, {}; peak {:.0f} GFLOP/s{}, read L2 {:.0f} / L3 {:.0f} / DRAM {:.0f} GB/s ({})\n",
                             m.cpu_model, m.threads, m.isa_flags, m.peak_gflops, bf16_peak, m.l2_gbps, m.l3_gbps, m.dram_gbps,
                             m.simd_target);
  }

  std::ofstream csv(o.out + "/compare.csv");
  csv << "library,layer,dtype,batch,threads,median_us,p10_us,p90_us,gbps,gflops,bytes,flops,check,kernel,error\n";
  bool all_ok = true;
  for (const Cell& cell : cells) {
    const CellData data = make_cell_data(cell, 1234);
    const std::vector<double> expected = cell.batch == o.check_batch ? reference_output(cell, data) : std::vector<double>{};
    const std::vector<LibraryResult> results = run_cell(cell, data, expected, libs, o.threads, o.timing);
    std::string line = cell.label() + ":";
    for (const LibraryResult& r : results) {
      if (!r.error.empty() && r.error.find("not supported") == std::string::npos) all_ok = false;
      const double us = r.timing ? r.timing->median_us : 0;
      csv << fmt::format("{},{},{},{},{},{:.3f},{:.3f},{:.3f},{:.3f},{:.3f},{:.0f},{:.0f},{},{},{}\n", r.library, cell.layer.name,
                         to_string(cell.dtype), cell.batch, o.threads, us, r.timing ? r.timing->p10_us : 0,
                         r.timing ? r.timing->p90_us : 0, us > 0 ? cell.bytes() / us / 1e3 : 0, us > 0 ? cell.flops() / us / 1e3 : 0,
                         cell.bytes(), cell.flops(), csv_field(r.check ? r.check->summary : "not checked"), csv_field(r.kernel),
                         csv_field(r.error));
      line += r.timing ? fmt::format(" {} {:.1f} us", r.library, us) : fmt::format(" {} [{}]", r.library, r.error);
    }
    csv.flush();
    std::cout << line << "\n" << std::flush;
  }

  if (!o.no_emulator) {
    std::ofstream emu(o.out + "/emulator.csv");
    std::vector<Layer> layers;
    for (const Cell& c : cells)
      if (std::none_of(layers.begin(), layers.end(), [&](const Layer& l) { return l.name == c.layer.name; })) layers.push_back(c.layer);
    write_emulator(o, layers, emu);
  }
  if (!all_ok) std::cerr << "bench_compare: a library disagreed with the reference or failed (see the check and error columns)\n";
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace shardwise::bench

int main(int argc, char** argv) {
  using namespace shardwise::bench;
  Options o;
  CLI::App app{"shardwise depthwise conv against oneDNN, XNNPACK and the copy floor, on the real layers"};
  app.add_option("--layers", o.layers_path, "layer table (name,source,height,width,channels,kernel,stride,padding)");
  app.add_option("--layer-names", o.layer_names, "comma-separated subset of the layers");
  app.add_option("--batches", o.batches, "comma-separated batch sizes");
  app.add_option("--dtypes", o.dtypes, "comma-separated: float32, bfloat16");
  app.add_option("--libraries", o.libraries, "comma-separated subset of shardwise,onednn,xnnpack,copy");
  app.add_option("--threads", o.threads, "threads every library gets (default: every core)");
  app.add_option("--rounds", o.timing.rounds, "timed rounds per library and cell");
  app.add_option("--round-ms", o.timing.round_ms, "length of one round");
  app.add_option("--warmup-ms", o.timing.warmup_ms, "untimed calls before the rounds");
  app.add_option("--settle-ms", o.timing.settle_ms, "idle time before each round (other libraries' threads stop spinning)");
  app.add_option("--check-batch", o.check_batch, "cells of this batch are checked against the reference (0: none)");
  app.add_option("--out", o.out, "output folder");
  app.add_option("--emulator-arch", o.emulator_arch, "chip preset timed as an emulator (batch 1)");
  app.add_flag("--no-emulator", o.no_emulator, "skip the chip-preset emulation timing");
  app.add_flag("--no-probe", o.no_probe, "skip the machine probe");
  app.add_flag("--quick", o.quick, "batch 1 only, shorter rounds");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (o.quick) {
    if (app.count("--batches") == 0) o.batches = "1";
    if (app.count("--rounds") == 0) o.timing.rounds = 7;
    if (app.count("--round-ms") == 0) o.timing.round_ms = 8;
  }
  try {
    return run(o);
  } catch (const shardwise::InvalidArgument& e) {
    std::cerr << "bench_compare: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "bench_compare: " << e.what() << "\n";
    return 1;
  }
}
