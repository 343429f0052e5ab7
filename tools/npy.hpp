#pragma once
// numpy .npy files (format versions 1-3) holding little-endian float32 in C order: the
// exchange format with numpy and PyTorch.
#include <cstdint>
#include <string>
#include <vector>

namespace shardwise::npy {

struct Array {
  std::vector<std::int64_t> shape;
  std::vector<float> values;
};

// InvalidArgument naming the file and what is wrong (not .npy, not '<f4', Fortran order,
// truncated) otherwise.
Array load(const std::string& path);
void save(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& values);

}  // namespace shardwise::npy
