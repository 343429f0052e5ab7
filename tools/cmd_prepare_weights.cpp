// shardwise prepare-weights: the prepared depthwise weights alone (section 6).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "cli_common.hpp"
#include "core/error.hpp"
#include "core/host_memory_budget.hpp"
#include "npy.hpp"
#include "ops/conv2d/prepare_weights.hpp"

namespace shardwise::cli {
namespace {

struct PrepareOptions {
  std::int64_t channels = 0;
  std::string kernel = "3";
  std::int64_t shards = 1;
  std::string load_weights;
  bool debug_weights = false;
  std::string weights_dtype = "bfloat16";
  std::string layout = "rm";
  bool print_weights = false;
  std::string output;
};

void run_prepare(const PrepareOptions& o) {
  check_arg(o.channels >= 1 && o.channels <= 65536, "--channels {} must be between 1 and 65536", o.channels);
  const auto k = parse_pair(o.kernel, "--kernel");
  check_arg(k[0] >= 1 && k[1] >= 1 && k[0] <= 1024 && k[1] <= 1024, "--kernel '{}': each extent must be between 1 and 1024", o.kernel);
  check_arg(o.shards >= 1 && o.shards <= o.channels, "--shards {} must be between 1 and the channel count {}", o.shards, o.channels);
  check_arg(o.debug_weights != !o.load_weights.empty(), "give exactly one of --load-weights F.npy and --debug-weights");
  const DataType dtype = parse_data_type(o.weights_dtype);
  check_arg(is_floating_point(dtype), "--weights-dtype {}: allowed are bfloat16, float32, bfloat8_b, bfloat4_b", o.weights_dtype);
  const Layout layout = parse_layout(o.layout);
  const std::uint32_t C = static_cast<std::uint32_t>(o.channels), S = static_cast<std::uint32_t>(o.shards);
  const std::uint32_t K = static_cast<std::uint32_t>(k[0] * k[1]);

  // The weights, their [Hw, S*P] matrix and its tiles: a few float copies of C x K.
  check_host_memory(std::uint64_t{C} * K * 16, fmt::format("preparing {} channels x {} kernel positions", C, K));
  std::vector<float> values(std::size_t{C} * K);
  if (o.debug_weights) {
    for (std::uint32_t c = 0; c < C; ++c)
      for (std::uint32_t i = 0; i < K; ++i) values[std::size_t{c} * K + i] = static_cast<float>(i + 1);
  } else {
    npy::Array a = npy::load(o.load_weights);
    const std::vector<std::int64_t> expected{C, 1, k[0], k[1]};
    check_arg(a.shape == expected, "--load-weights '{}' has shape {}; [C, 1, kh, kw] = {} is needed", o.load_weights,
              npy::describe_shape(a.shape), npy::describe_shape(expected));
    values = std::move(a.values);
  }
  const Tensor weight = Tensor::from_vector(values, Shape{C, 1, k[0], k[1]});
  const DepthwiseWeightLayout wl(C, static_cast<std::uint32_t>(k[0]), static_cast<std::uint32_t>(k[1]), S);
  const std::vector<float> matrix = depthwise_weight_matrix(weight, S);
  if (o.print_weights) std::cout << format_weight_rows(matrix, wl.rows, wl.width());

  const bool npy_out = o.output.size() >= 4 && o.output.compare(o.output.size() - 4, 4, ".npy") == 0;
  if (layout == Layout::ROW_MAJOR) {
    if (npy_out) {
      npy::save(o.output, {wl.rows, wl.width()}, matrix);
      return;
    }
    write_file(o.output, std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(matrix.data()), matrix.size() * 4));
    return;
  }
  check_arg(!npy_out, "tile output '{}' is raw device bytes, not .npy", o.output);
  write_file(o.output, prepare_conv_weights(weight, S, dtype).bytes());
}

}  // namespace

void add_prepare_weights_command(CLI::App& app) {
  auto o = std::make_shared<PrepareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "prepare-weights",
      "Write prepared depthwise weights: rm = the [Hw, S*P] float32 matrix before tilizing (raw, or .npy);\n"
      "tile = the tilized bytes in the weights dtype, as they lie in DRAM (the raw format of `convert`)");
  cmd->add_option("--channels", o->channels, "channels C")->check(integer_text())->required();
  cmd->add_option("--kernel", o->kernel, "K or KHxKW")->capture_default_str();
  cmd->add_option("--shards", o->shards, "channel shards S (1 for HEIGHT, cores for WIDTH)")->check(integer_text())->capture_default_str();
  cmd->add_option("--load-weights", o->load_weights, "weights .npy: float32 [C, 1, kh, kw]");
  cmd->add_flag("--debug-weights", o->debug_weights, "each weight = its kernel position id + 1");
  cmd->add_option("--weights-dtype", o->weights_dtype, "tile layout dtype: bfloat16|float32|bfloat8_b|bfloat4_b")->capture_default_str();
  cmd->add_option("--layout", o->layout, "rm|tile")->capture_default_str();
  cmd->add_flag("--print-weights", o->print_weights, "print the matrix row by row, face by face");
  cmd->add_option("OUT", o->output, "output file")->required();
  cmd->callback([o] { run_prepare(*o); });
}

}  // namespace shardwise::cli
