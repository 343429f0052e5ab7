#include "bench_case.hpp"

#include <charconv>
#include <fstream>
#include <random>
#include <sstream>

#include "core/bfloat16.hpp"
#include "core/error.hpp"
#include "ops/reference/conv2d_reference.hpp"

namespace shardwise::bench {

const char* to_string(Dtype dtype) { return dtype == Dtype::FLOAT32 ? "float32" : "bfloat16"; }

Dtype parse_dtype(const std::string& name) {
  if (name == "float32") return Dtype::FLOAT32;
  if (name == "bfloat16") return Dtype::BFLOAT16;
  throw InvalidArgument(fmt::format("dtype '{}' is not benchmarked: use float32 or bfloat16", name));
}

std::uint32_t element_bytes(Dtype dtype) { return dtype == Dtype::FLOAT32 ? 4 : 2; }

std::vector<Layer> load_layers(const std::string& path) {
  std::ifstream in(path);
  check_arg(in.good(), "cannot read the layer table '{}'", path);
  std::string line;
  std::getline(in, line);
  check_arg(line == "name,source,height,width,channels,kernel,stride,padding",
            "{}: header '{}' is not name,source,height,width,channels,kernel,stride,padding", path, line);
  std::vector<Layer> layers;
  for (int number = 2; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream row(line);
    for (std::string f; std::getline(row, f, ',');) fields.push_back(f);
    check_arg(fields.size() == 8, "{} line {}: {} fields, expected 8", path, number, fields.size());
    Layer layer{fields[0], fields[1]};
    std::uint32_t* numbers[] = {&layer.height, &layer.width, &layer.channels, &layer.kernel, &layer.stride, &layer.padding};
    for (int i = 0; i < 6; ++i) {
      const std::string& f = fields[2 + i];
      const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), *numbers[i]);
      check_arg(ec == std::errc{} && end == f.data() + f.size() && *numbers[i] < 100000,
                "{} line {}: '{}' is not a size between 0 and 99999", path, number, f);
    }
    check_arg(layer.height && layer.width && layer.channels && layer.kernel && layer.stride,
              "{} line {}: height, width, channels, kernel and stride must be at least 1", path, number);
    check_arg(layer.height + 2 * layer.padding >= layer.kernel && layer.width + 2 * layer.padding >= layer.kernel,
              "{} line {}: the {}x{} kernel does not fit the padded input", path, number, layer.kernel, layer.kernel);
    layers.push_back(layer);
  }
  check_arg(!layers.empty(), "{} lists no layers", path);
  return layers;
}

Conv2dParams conv2d_params(const Layer& l, std::uint32_t batch) {
  Conv2dParams p;
  p.batch = batch;
  p.in_channels = p.out_channels = p.groups = l.channels;
  p.input_height = l.height;
  p.input_width = l.width;
  p.kernel_h = p.kernel_w = l.kernel;
  p.stride_h = p.stride_w = l.stride;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = l.padding;
  return p;
}

std::uint32_t Cell::out_height() const { return (layer.height + 2 * layer.padding - layer.kernel) / layer.stride + 1; }
std::uint32_t Cell::out_width() const { return (layer.width + 2 * layer.padding - layer.kernel) / layer.stride + 1; }
std::uint64_t Cell::input_elements() const { return std::uint64_t{batch} * layer.height * layer.width * layer.channels; }
std::uint64_t Cell::output_elements() const { return std::uint64_t{batch} * out_height() * out_width() * layer.channels; }
std::uint64_t Cell::weight_elements() const { return std::uint64_t{layer.channels} * layer.kernel * layer.kernel; }

double Cell::flops() const {
  return static_cast<double>(output_elements()) * (2.0 * layer.kernel * layer.kernel + 1.0);
}

double Cell::bytes() const {
  return static_cast<double>(input_elements() + output_elements() + weight_elements()) * element_bytes(dtype) +
         4.0 * layer.channels;
}

std::string Cell::label() const { return fmt::format("{} {} b{}", layer.name, to_string(dtype), batch); }

CellData make_cell_data(const Cell& cell, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  auto fill = [&](std::uint64_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = cell.dtype == Dtype::BFLOAT16 ? round_to_bfloat16(normal(engine)) : normal(engine);
    return v;
  };
  CellData data;
  data.input = fill(cell.input_elements());
  data.weight = fill(cell.weight_elements());
  data.bias = fill(cell.layer.channels);
  return data;
}

std::vector<double> reference_output(const Cell& cell, const CellData& data) {
  const Layer& l = cell.layer;
  const std::uint64_t C = l.channels, H = l.height, W = l.width;
  std::vector<float> nchw(data.input.size());
  for (std::uint64_t n = 0; n < cell.batch; ++n)
    for (std::uint64_t h = 0; h < H; ++h)
      for (std::uint64_t w = 0; w < W; ++w)
        for (std::uint64_t c = 0; c < C; ++c) nchw[((n * C + c) * H + h) * W + w] = data.input[((n * H + h) * W + w) * C + c];
  reference::Conv2dParams p;
  p.batch = cell.batch;
  p.in_channels = p.out_channels = p.groups = C;
  p.height = H;
  p.width = W;
  p.kernel_h = p.kernel_w = l.kernel;
  p.stride_h = p.stride_w = l.stride;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = l.padding;
  const std::vector<double> out = reference::conv2d(p, nchw, data.weight, data.bias);
  const std::uint64_t Ho = cell.out_height(), Wo = cell.out_width();
  std::vector<double> nhwc(out.size());
  for (std::uint64_t n = 0; n < cell.batch; ++n)
    for (std::uint64_t c = 0; c < C; ++c)
      for (std::uint64_t h = 0; h < Ho; ++h)
        for (std::uint64_t w = 0; w < Wo; ++w) nhwc[((n * Ho + h) * Wo + w) * C + c] = out[((n * C + c) * Ho + h) * Wo + w];
  return nhwc;
}

}  // namespace shardwise::bench
