#pragma once
// numpy .npy files (format versions 1-3) holding little-endian float32 in C order: the
// exchange format with numpy and PyTorch.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace shardwise::npy {

struct Array {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

// Validated as strictly as numpy: magic, version (1.0, 2.0, 3.0), header length within
// the file and ending in a newline, the header dictionary (descr, fortran_order, shape,
// nothing else), C order, no negative or overflowing dimension, and exactly as many
// data bytes as the header promises. dtype '<f4'; '<f8' is rounded to the nearest
// float32 and '<f2' widened exactly. InvalidArgument naming the file and what is wrong.
Array load(const std::string& path);
// The same checks on a file's bytes in memory; `path` names it in errors.
Array parse(std::span<const std::uint8_t> file, const std::string& path);
// "(2, 3)", "(5,)", "()": a shape as numpy prints it.
std::string describe_shape(const std::vector<std::int64_t>& shape);
void save(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& values);

}  // namespace shardwise::npy
