// shardwise conv2d: one depthwise conv on a device model, checked against the reference.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli_common.hpp"
#include "conv2d_runner.hpp"
#include "conv_options.hpp"
#include "core/error.hpp"
#include "npy.hpp"

namespace shardwise::cli {
namespace {

struct Conv2dOptions {
  ConvShapeOptions shape;
  std::string arch = "wormhole_b0";
  std::optional<std::int64_t> l1_size;
  std::string arch_grid;
  std::string shard = "auto";
  std::optional<std::int64_t> cores;
  std::string grid;
  std::string orientation = "row_major";
  std::string dtype = "bfloat16";
  std::string weights_dtype = "bfloat16";
  std::string output_layout = "row_major";
  std::string activation = "none";
  double leaky_slope = kDefaultLeakySlope;
  std::uint32_t dram_slices = 0;  // 0: as many as L1 needs
  bool bfloat16_accumulation = false;
  std::string numerics;       // empty: the arch's default
  std::string math_fidelity = "hifi4";
  bool bias = false;
  std::uint64_t seed = 0;
  std::int64_t repeat = 1;
  bool debug_weights = false;
  bool print_weights = false;
  std::string dprint_cores;
  std::string dprint_dir;
  std::string watcher;
  std::string load_input, load_weights, load_bias, save_output;
  bool json = false;
  double min_pcc = 0.985;
  bool allow_nonfinite = false;
};

std::vector<CoreCoord> parse_cores(const std::string& text) {
  std::vector<CoreCoord> cores;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(';', start), text.size());
    const auto xy = parse_list(text.substr(start, end - start), "--dprint-cores");
    check_arg(xy.size() == 2 && xy[0] >= 0 && xy[1] >= 0, "--dprint-cores '{}': expected x,y[;x,y...]", text);
    cores.push_back({static_cast<std::uint32_t>(xy[0]), static_cast<std::uint32_t>(xy[1])});
    start = end + 1;
  }
  return cores;
}

// The array of `path`, whose shape must be `expected` exactly (`layout` names its axes).
std::vector<float> load_npy(const std::string& path, const std::vector<std::int64_t>& expected, const std::string& what,
                            const char* layout) {
  npy::Array a = npy::load(path);
  const bool nhwc = expected.size() == 4 && a.shape == std::vector<std::int64_t>{expected[0], expected[2], expected[3], expected[1]};
  check_arg(a.shape == expected, "{} '{}' has shape {}; this conv needs {} {}{}", what, path, npy::describe_shape(a.shape), layout,
            npy::describe_shape(expected), nhwc ? " (it looks NHWC: transpose it to NCHW, e.g. x.transpose(0, 3, 1, 2))" : "");
  return std::move(a.values);
}

ConvCase make_case(const Conv2dOptions& o) {
  ConvCase c;
  c.arch = o.arch;
  if (o.l1_size) {
    check_arg(*o.l1_size >= 1 && *o.l1_size <= (1ll << 30), "--l1-size {} must be between 1 and 2^30 bytes", *o.l1_size);
    c.arch_overrides.l1_size = static_cast<std::uint32_t>(*o.l1_size);
  }
  if (!o.arch_grid.empty()) {
    const auto g = parse_pair(o.arch_grid, "--arch-grid");
    check_arg(g[0] >= 1 && g[1] >= 1 && g[0] <= 64 && g[1] <= 64, "--arch-grid '{}': each extent must be between 1 and 64",
              o.arch_grid);
    c.arch_overrides.grid_x = static_cast<std::uint32_t>(g[0]);
    c.arch_overrides.grid_y = static_cast<std::uint32_t>(g[1]);
  }
  const Arch arch = arch_preset(c.arch, c.arch_overrides);  // validates the arch and overrides before anything runs
  c.params = o.shape.to_params();
  check_depthwise_supported(c.params);
  const Conv2dParams& p = c.params;
  if (o.shard != "auto") {
    const auto bad_shard = [&] { return InvalidArgument(fmt::format("--shard '{}': allowed are auto, height, width, block", o.shard)); };
    try {
      c.config.shard_layout = parse_tensor_memory_layout(o.shard);
    } catch (const InvalidArgument&) {
      throw bad_shard();
    }
    if (*c.config.shard_layout == TensorMemoryLayout::INTERLEAVED) throw bad_shard();
  }
  check_arg(!(o.cores && !o.grid.empty()), "--cores and --grid are exclusive: give one");
  check_arg(!(o.cores && c.config.shard_layout == TensorMemoryLayout::BLOCK_SHARDED),
            "--cores {} does not apply to --shard block, whose cores form a 2D grid: give --grid XxY instead", o.cores.value_or(0));
  if (o.cores) {
    check_arg(*o.cores >= 1 && *o.cores <= arch.num_cores(), "--cores {} must be between 1 and {} (the {}x{} grid of {})", *o.cores,
              arch.num_cores(), arch.grid_x, arch.grid_y, arch.name);
    c.config.num_cores = static_cast<std::uint32_t>(*o.cores);
  }
  if (!o.grid.empty()) {
    const auto g = parse_pair(o.grid, "--grid");
    check_arg(g[0] >= 1 && g[1] >= 1 && g[0] <= 64 && g[1] <= 64, "--grid '{}': each extent must be between 1 and 64", o.grid);
    c.config.grid = CoreCoord{static_cast<std::uint32_t>(g[0]), static_cast<std::uint32_t>(g[1])};
  }
  c.config.orientation = parse_shard_orientation(o.orientation);
  c.dtype = parse_data_type(o.dtype);
  check_arg(c.dtype == DataType::BFLOAT16 || c.dtype == DataType::FLOAT32, "--dtype {}: allowed are bfloat16, float32", o.dtype);
  c.config.weights_dtype = parse_data_type(o.weights_dtype);
  check_arg(is_floating_point(c.config.weights_dtype), "--weights-dtype {}: allowed are bfloat16, float32, bfloat8_b, bfloat4_b",
            o.weights_dtype);
  c.config.output_layout = parse_layout(o.output_layout);
  c.config.activation = parse_activation(o.activation);
  check_arg(std::isfinite(o.leaky_slope), "--leaky-slope {}: must be a finite number", o.leaky_slope);
  c.config.leaky_slope = static_cast<float>(o.leaky_slope);
  if (o.dram_slices > 0) c.config.dram_slices = o.dram_slices;
  c.config.bfloat16_accumulation = o.bfloat16_accumulation;
  if (!o.numerics.empty()) c.config.numerics = parse_numerics(o.numerics);
  c.config.math_fidelity = parse_math_fidelity(o.math_fidelity);
  c.bias = o.bias || !o.load_bias.empty();
  c.seed = o.seed;
  check_arg(o.repeat >= 1 && o.repeat <= 100000, "--repeat {} must be between 1 and 100000", o.repeat);
  c.repeat = static_cast<unsigned>(o.repeat);
  c.debug_weights = o.debug_weights;
  check_arg(!(o.debug_weights && !o.load_weights.empty()), "--debug-weights and --load-weights are exclusive");
  if (!o.dprint_cores.empty()) c.dprint.cores = parse_cores(o.dprint_cores);
  for (const CoreCoord core : c.dprint.cores)
    check_arg(core.x < arch.grid_x && core.y < arch.grid_y, "--dprint-cores: core ({},{}) is outside the {}x{} grid of {} (x < {}, y < {})",
              core.x, core.y, arch.grid_x, arch.grid_y, arch.name, arch.grid_x, arch.grid_y);
  c.dprint.directory = o.dprint_dir;
  if (!o.dprint_dir.empty()) {
    // Made here, so that a path that cannot be a folder is bad input named up front, not a
    // filesystem error after the run.
    std::error_code ec;
    std::filesystem::create_directories(o.dprint_dir, ec);
    check_arg(!ec && std::filesystem::is_directory(o.dprint_dir), "--dprint-dir '{}' cannot be used as a folder for the prints: {}",
              o.dprint_dir, ec ? ec.message() : "it exists and is not a folder");
  }
  if (!o.watcher.empty()) {
    check_arg(o.watcher == "on" || o.watcher == "off", "--watcher '{}': allowed are on, off", o.watcher);
    c.watcher = o.watcher == "on";
  }
  if (!o.load_input.empty())
    c.input = load_npy(o.load_input, {p.batch, p.in_channels, p.input_height, p.input_width}, "--load-input", "NCHW");
  if (!o.load_weights.empty()) c.weight = load_npy(o.load_weights, {p.in_channels, 1, p.kernel_h, p.kernel_w}, "--load-weights", "[C, 1, kh, kw]");
  if (!o.load_bias.empty()) c.bias_values = load_npy(o.load_bias, {p.in_channels}, "--load-bias", "[C]");
  check_arg(o.min_pcc >= -1.0 && o.min_pcc <= 1.0, "--min-pcc {} must be between -1 and 1", o.min_pcc);
  return c;
}

// "input 1 NaN 2 Inf, output 3 NaN": the tensors that hold non-finite values.
std::string describe_nonfinite(const ConvRun& run) {
  const std::pair<const char*, reference::NonFinite> parts[] = {{"input", run.input_nonfinite},
                                                                {"weights", run.weights_nonfinite},
                                                                {"bias", run.bias_nonfinite},
                                                                {"output", run.comparison.actual_nonfinite},
                                                                {"reference", run.comparison.expected_nonfinite}};
  std::string text;
  for (const auto& [name, n] : parts)
    if (n.total() != 0) text += fmt::format("{}{} {} NaN {} Inf", text.empty() ? "" : ", ", name, n.nan, n.inf);
  return text;
}

nlohmann::json nonfinite_json(const ConvRun& run) {
  const auto entry = [](const reference::NonFinite& n) { return nlohmann::json{{"nan", n.nan}, {"inf", n.inf}}; };
  return {{"input", entry(run.input_nonfinite)},   {"weights", entry(run.weights_nonfinite)},
          {"bias", entry(run.bias_nonfinite)},     {"output", entry(run.comparison.actual_nonfinite)},
          {"reference", entry(run.comparison.expected_nonfinite)}};
}

void run_conv2d(const Conv2dOptions& o) {
  const ConvCase c = make_case(o);
  const ConvRun run = run_conv_case(c);
  const Conv2dParams& p = c.params;
  const Conv2dPlan& plan = *run.result.plan;
  const std::vector<std::int64_t> out_shape{p.batch, p.out_channels, run.result.out_height, run.result.out_width};
  if (!o.save_output.empty()) npy::save(o.save_output, out_shape, run.output);
  const CoreRange box = plan.parallel.grid.bounding_box();
  const bool nonfinite = run.has_nonfinite();

  if (o.json) {
    nlohmann::json cores = nlohmann::json::array();
    for (const CorePlan& core : plan.cores())
      cores.push_back({{"core", {core.core.x, core.core.y}}, {"first_output", core.first_output}, {"num_outputs", core.num_outputs},
                       {"channel_shard", core.channel_shard}, {"weight_start_tile", core.weight_start_tile}});
    // With non-finite values the PCC (which maps them to 0) is no verdict: null here.
    const nlohmann::json j = {{"pcc", nonfinite ? nlohmann::json(nullptr) : nlohmann::json(run.comparison.pcc)},
                              {"pcc_nonfinite_as_zero", run.comparison.pcc},
                              {"nonfinite", nonfinite_json(run)},
                              {"max_abs_err", run.comparison.max_abs_err},
                              {"norm_max_err", run.comparison.norm_max_err},
                              {"output_shape", out_shape},
                              {"arch", plan.arch},
                              {"shard_layout", std::string(to_string(plan.parallel.layout))},
                              {"layout_reason", plan.parallel.reason},
                              {"num_cores", plan.parallel.num_cores()},
                              {"grid", {box.end.x + 1, box.end.y + 1}},
                              {"shard_shape", {plan.slices.front().shard_height, plan.parallel.channels_per_shard}},
                              {"slices", plan.slices.size()},
                              {"channel_passes", plan.parallel.channel_passes},
                              {"stick_slices", plan.stick_slices()},
                              {"output_memory", plan.output_in_dram ? "DRAM_INTERLEAVED" : "L1_SHARDED"},
                              {"l1_bytes_per_core", plan.l1_bytes_per_core},
                              {"numerics", std::string(to_string(plan.numerics))},
                              {"math_fidelity", std::string(to_string(plan.math.fidelity))},
                              {"fp32_dest_acc_en", plan.math.fp32_dest_acc},
                              {"exact_numerics_pcc", std::isnan(run.exact_numerics_pcc) ? nlohmann::json(nullptr)
                                                                                        : nlohmann::json(run.exact_numerics_pcc)},
                              {"time_ms", run.median_ms},
                              {"watcher", run.watcher},
                              {"quantization_pcc", std::isnan(run.quantization_pcc) ? nlohmann::json(nullptr)
                                                                                    : nlohmann::json(run.quantization_pcc)},
                              {"repeat", c.repeat},
                              {"cores", cores}};
    std::cout << j.dump() << "\n";
  } else {
    std::cout << fmt::format("shardwise conv2d: depthwise {}\n", p.to_string());
    std::cout << "plan\n" << plan.summary();
    if (o.print_weights) {
      const DepthwiseWeightLayout& wl = run.result.prepared.layout;
      std::cout << fmt::format("prepared weights: [{}, {}] = [Hw, S*P] before tilizing ({} shard(s) of {} channels)\n", wl.rows,
                               wl.width(), wl.shards, wl.channels_per_shard)
                << format_weight_rows(run.weight_matrix, wl.rows, wl.width());
    }
    const std::string pcc_line =
        nonfinite ? fmt::format("  nonfinite   {}\n  pcc         not a verdict ({:.6f} with every NaN and Inf taken as 0)\n",
                                describe_nonfinite(run), run.comparison.pcc)
                  : std::isnan(run.exact_numerics_pcc)
                        ? fmt::format("  pcc         {:.6f}\n", run.comparison.pcc)
                        : fmt::format("  pcc         {:.6f} with the chip's arithmetic ({}); {:.6f} with exact float32 numerics\n",
                                      run.comparison.pcc, plan.numerics_summary(), run.exact_numerics_pcc);
    std::cout << fmt::format(
        "result\n  output      [{}] (N, C, Ho, Wo), {}\n{}  max abs err {:.6g}\n  norm max err {:.6g}\n"
        "{}  time        {:.3f} ms median over {} run(s), watcher {}\n",
        fmt::join(out_shape, ", "), to_string(c.config.output_dtype.value_or(c.dtype)), pcc_line,
        run.comparison.max_abs_err, run.comparison.norm_max_err,
        std::isnan(run.quantization_pcc)
            ? std::string()
            : fmt::format("  (the reference uses the {} weights and bias as the device holds them; against the unquantised "
                          "bfloat16 ones the PCC is {:.6f})\n",
                          to_string(c.config.weights_dtype), run.quantization_pcc),
        run.median_ms, c.repeat, run.watcher ? "on" : "off");
  }
  if (nonfinite && !o.allow_nonfinite)
    throw Error(fmt::format("non-finite values ({}): the PCC cannot tell whether the conv is right (--allow-nonfinite accepts them "
                            "and judges by the PCC with NaN and Inf taken as 0)",
                            describe_nonfinite(run)));
  if (!(run.comparison.pcc >= o.min_pcc))
    throw Error(fmt::format("PCC {:.6f} against the reference is below --min-pcc {}", run.comparison.pcc, o.min_pcc));
}

}  // namespace

void add_conv2d_command(CLI::App& app) {
  auto o = std::make_shared<Conv2dOptions>();
  CLI::App* cmd = app.add_subcommand("conv2d", "Run a depthwise conv2d on a device model and compare it with the reference");
  o->shape.add_to(*cmd);
  cmd->add_option("--arch", o->arch, "wormhole_b0|blackhole|host")->capture_default_str();
  cmd->add_option("--l1-size", o->l1_size, "override the arch's L1 bytes per core")->check(integer_text());
  cmd->add_option("--arch-grid", o->arch_grid, "XxY: override the arch's compute grid");
  cmd->add_option("--shard", o->shard, "auto|height|width|block")->capture_default_str();
  cmd->add_option("--cores", o->cores, "HEIGHT/WIDTH: use exactly N cores")->check(integer_text());
  cmd->add_option("--grid", o->grid, "XxY: the core grid to use (BLOCK's grid)");
  cmd->add_option("--orientation", o->orientation, "BLOCK grid orientation: row_major|col_major")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "activations: bfloat16|float32")->capture_default_str();
  cmd->add_option("--weights-dtype", o->weights_dtype, "bfloat16|float32|bfloat8_b|bfloat4_b")->capture_default_str();
  cmd->add_option("--output-layout", o->output_layout, "row_major|tile")->capture_default_str();
  cmd->add_option("--activation", o->activation, "none|relu|relu6|silu|gelu|sigmoid|tanh|hardswish|leaky_relu")->capture_default_str();
  cmd->add_option("--leaky-slope", o->leaky_slope, "leaky_relu's slope below 0")->capture_default_str();
  cmd->add_option("--dram-slices", o->dram_slices, "run in at least this many output slices with a DRAM output (TT-NN's DRAM slice config; 0: as L1 needs)")
      ->capture_default_str();
  cmd->add_flag("--bfloat16-accumulation", o->bfloat16_accumulation,
                "bf16 Dst (TT-NN's fp32_dest_acc_en = false): with --numerics chip the chip's bf16 Dst rounding, with exact "
                "float32 sums rounded to bfloat16 after each add");
  cmd->add_option("--numerics", o->numerics,
                  "chip|exact: the chip's arithmetic (chip-numerics.md: fidelity phases, Dst and packer rounding) or float32 "
                  "(default: chip on wormhole_b0 and blackhole, exact on host)");
  cmd->add_option("--math-fidelity", o->math_fidelity, "lofi|hifi2|hifi3|hifi4: multiplier passes with --numerics chip")
      ->capture_default_str();
  cmd->add_flag("--bias", o->bias, "add a random bias (random * 10, as the reference's test)");
  cmd->add_option("--seed", o->seed, "random seed")->check(unsigned_integer_text())->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "runs to time (median reported)")->check(integer_text())->capture_default_str();
  cmd->add_flag("--debug-weights", o->debug_weights, "each weight = its kernel position id + 1");
  cmd->add_flag("--print-weights", o->print_weights, "print the prepared weights row by row, face by face");
  cmd->add_option("--dprint-cores", o->dprint_cores, "kernel prints from cores x,y[;x,y]");
  cmd->add_option("--dprint-dir", o->dprint_dir, "write kernel prints to one file per core and role here");
  cmd->add_option("--watcher", o->watcher,
                  "on|off: check every kernel memory access against the chip's rules (default: SHARDWISE_WATCHER, else on for "
                  "the chip presets, off for host)");
  cmd->add_option("--load-input", o->load_input, "input from .npy: float32 NCHW");
  cmd->add_option("--load-weights", o->load_weights, "weights from .npy: float32 [C, 1, kh, kw]");
  cmd->add_option("--load-bias", o->load_bias, "bias from .npy: float32 [C]");
  cmd->add_option("--save-output", o->save_output, "output to .npy: float32 NCHW");
  cmd->add_flag("--json", o->json, "print one JSON object instead of the report");
  cmd->add_option("--min-pcc", o->min_pcc, "exit non-zero when the PCC is below this")->capture_default_str();
  cmd->add_flag("--allow-nonfinite", o->allow_nonfinite,
                "accept NaN/Inf in the input, weights, bias or output (else exit 1: the PCC maps them to 0)");
  cmd->callback([o] { run_conv2d(*o); });
}

}  // namespace shardwise::cli
