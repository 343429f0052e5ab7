#include "npy.hpp"

#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>

#include "core/error.hpp"

namespace shardwise::npy {
namespace {
constexpr char kMagic[] = "\x93NUMPY";
}

Array load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  check_arg(in.good(), "cannot open '{}' for reading", path);
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  check_arg(data.size() >= 10 && std::memcmp(data.data(), kMagic, 6) == 0, "'{}' is not a .npy file", path);
  const int major = static_cast<unsigned char>(data[6]);
  check_arg(major >= 1 && major <= 3, "'{}': unsupported .npy version {}", path, major);
  std::size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(data[9])) << 8);
    offset = 10;
  } else {
    check_arg(data.size() >= 12, "'{}' is truncated", path);
    for (int i = 0; i < 4; ++i) header_len |= static_cast<std::size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    offset = 12;
  }
  check_arg(data.size() >= offset + header_len, "'{}' is truncated in its header", path);
  const std::string header(data.data() + offset, header_len);

  std::smatch m;
  check_arg(std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([^']*)'")), "'{}': header has no descr", path);
  check_arg(m[1] == "<f4", "'{}' holds dtype '{}': only little-endian float32 ('<f4') is accepted", path,
            m[1].str());
  check_arg(std::regex_search(header, m, std::regex("'fortran_order'\\s*:\\s*(True|False)")) && m[1] == "False",
            "'{}' is in Fortran order: only C order is accepted", path);
  check_arg(std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")), "'{}': header has no shape",
            path);
  Array array;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it)
    array.shape.push_back(std::stoll(it->str()));
  std::size_t count = 1;
  for (auto d : array.shape) count *= static_cast<std::size_t>(d);
  const std::size_t body = offset + header_len;
  check_arg(data.size() - body == count * 4, "'{}' has {} data bytes, its shape needs {}", path, data.size() - body,
            count * 4);
  array.values.resize(count);
  std::memcpy(array.values.data(), data.data() + body, count * 4);
  return array;
}

void save(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& values) {
  std::string dims;
  for (auto d : shape) dims += fmt::format("{}, ", d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  if (shape.size() == 1) dims.pop_back();  // "(n,)"
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  // The data starts on a 64-byte boundary; the header ends with '\n'.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  check_arg(out.good(), "cannot open '{}' for writing", path);
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const char len[2] = {static_cast<char>(header.size() & 0xFF), static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
  check_arg(out.good(), "writing '{}' failed", path);
}

}  // namespace shardwise::npy
