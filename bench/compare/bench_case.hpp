#pragma once
// One benchmark cell: a real depthwise layer (bench/layers.csv) at a batch size and an
// activation dtype, the data every library gets for it, and what the cell costs in
// FLOPs and bytes.
//
// Layouts shared by every library in the benchmark:
//   input  NHWC [N, H, W, C]      weight [C, kh, kw] (PyTorch's [C, 1, kh, kw])
//   bias   [C]                    output NHWC [N, Ho, Wo, C]
// With bfloat16 the values are bfloat16-representable floats, so each library holds
// exactly the same numbers and the double-precision reference sees them too.
#include <cstdint>
#include <string>
#include <vector>

#include "ops/conv2d/conv2d_params.hpp"

namespace shardwise::bench {

enum class Dtype : std::uint8_t { FLOAT32, BFLOAT16 };
const char* to_string(Dtype dtype);
Dtype parse_dtype(const std::string& name);  // InvalidArgument naming the allowed names
std::uint32_t element_bytes(Dtype dtype);

struct Layer {
  std::string name;
  std::string source;
  std::uint32_t height = 0, width = 0, channels = 0, kernel = 0, stride = 1, padding = 0;
};

// Reads a layers.csv (name,source,height,width,channels,kernel,stride,padding).
// InvalidArgument naming the file, line and value on a bad row.
std::vector<Layer> load_layers(const std::string& path);

struct Cell {
  Layer layer;
  std::uint32_t batch = 1;
  Dtype dtype = Dtype::FLOAT32;

  std::uint32_t out_height() const;
  std::uint32_t out_width() const;
  std::uint64_t input_elements() const;
  std::uint64_t output_elements() const;
  std::uint64_t weight_elements() const;
  double flops() const;  // 2 per multiply-add, plus the bias add
  // Bytes a conv must move at least: input read once, output written once, weights
  // and bias read once, each in the cell's dtype (bias in float32).
  double bytes() const;
  std::string label() const;  // "mnv2_1 float32 b1"
};

// The layer as shardwise's conv2d parameters (depthwise, square kernel, symmetric padding).
Conv2dParams conv2d_params(const Layer& layer, std::uint32_t batch);

struct CellData {
  std::vector<float> input;   // NHWC
  std::vector<float> weight;  // [C, kh, kw]
  std::vector<float> bias;    // [C]
};

// Normal(0, 1) input and weights, bias Normal(0, 1), rounded to the dtype; seeded.
CellData make_cell_data(const Cell& cell, std::uint64_t seed);

// The double-precision reference (ops/reference) on the same values, NHWC.
std::vector<double> reference_output(const Cell& cell, const CellData& data);

}  // namespace shardwise::bench
