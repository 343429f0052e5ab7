// shardwise convert: an R x C matrix between dtypes and layouts, as raw device bytes.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli_common.hpp"
#include "core/error.hpp"
#include "npy.hpp"
#include "tensor/tensor.hpp"

namespace shardwise::cli {
namespace {

struct Format {
  DataType dtype;
  Layout layout;
};

Format parse_format(const std::string& text, const std::string& flag) {
  const auto colon = text.find(':');
  check_arg(colon != std::string::npos, "{} '{}': expected DTYPE:LAYOUT, e.g. bfloat16:tile or float32:rm", flag, text);
  const DataType dtype = parse_data_type(text.substr(0, colon));
  check_arg(is_floating_point(dtype), "{} '{}': convert handles float32, bfloat16, bfloat8_b, bfloat4_b", flag, text);
  const Layout layout = parse_layout(text.substr(colon + 1));
  check_arg(!(is_block_float(dtype) && layout == Layout::ROW_MAJOR),
            "{} '{}': {} exists only in tile layout", flag, text, to_string(dtype));
  return {dtype, layout};
}

bool is_npy(const std::string& path) { return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npy") == 0; }

struct ConvertOptions {
  std::string shape;
  std::string from;
  std::string to;
  std::string input;
  std::string output;
};

void run_convert(const ConvertOptions& o) {
  const auto dims = parse_list(o.shape, "--shape");
  check_arg(dims.size() == 2, "--shape '{}': expected R,C", o.shape);
  const Shape shape(dims);
  const Format from = parse_format(o.from, "--from");
  const Format to = parse_format(o.to, "--to");

  Tensor tensor;
  if (is_npy(o.input)) {
    check_arg(from.dtype == DataType::FLOAT32 && from.layout == Layout::ROW_MAJOR,
              ".npy input '{}' holds float32 row-major data, but --from is '{}'", o.input, o.from);
    npy::Array array = npy::load(o.input);
    const std::vector<std::int64_t> expected(shape.dims().begin(), shape.dims().end());
    check_arg(array.shape == expected, "'{}' has shape {}, --shape {} needs {}", o.input, npy::describe_shape(array.shape), o.shape,
              npy::describe_shape(expected));
    tensor = Tensor::from_vector(array.values, shape);
  } else {
    std::ifstream in(o.input, std::ios::binary);
    check_arg(in.good(), "cannot open input '{}'", o.input);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    tensor = Tensor::from_bytes(std::move(bytes), shape, from.dtype, from.layout);
  }

  const Tensor converted = tensor.to_layout(Layout::TILE).to_dtype(to.dtype).to_layout(to.layout);
  if (is_npy(o.output)) {
    check_arg(to.dtype == DataType::FLOAT32 && to.layout == Layout::ROW_MAJOR,
              ".npy output '{}' holds float32 row-major data, but --to is '{}'", o.output, o.to);
    npy::save(o.output, dims, converted.to_vector());
    return;
  }
  write_file(o.output, converted.bytes());
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert",
      "Convert an R x C matrix between dtypes (float32, bfloat16, bfloat8_b, bfloat4_b) and layouts (rm, tile).\n"
      "Files hold raw little-endian bytes exactly as in device memory: tiles back to back, block-float tiles\n"
      "packed, tile data padded to multiples of 32 with zeros. .npy files are read and written for float32:rm.");
  cmd->add_option("--shape", options->shape, "R,C: logical rows and columns")->required();
  cmd->add_option("--from", options->from, "DTYPE:LAYOUT of the input, e.g. float32:rm")->required();
  cmd->add_option("--to", options->to, "DTYPE:LAYOUT of the output, e.g. bfloat8_b:tile")->required();
  cmd->add_option("IN", options->input, "input file")->required();
  cmd->add_option("OUT", options->output, "output file")->required();
  cmd->callback([options] { run_convert(*options); });
}

}  // namespace shardwise::cli
