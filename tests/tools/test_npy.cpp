#include <gtest/gtest.h>

#include <filesystem>
#include <cmath>
#include <fstream>
#include <limits>

#include "core/error.hpp"
#include "npy.hpp"

namespace shardwise {
namespace {

namespace fs = std::filesystem;

TEST(Npy, SaveLoadRoundTrip) {
  const fs::path file = fs::temp_directory_path() / ("shardwise_npy_" + std::to_string(::getpid()) + ".npy");
  const std::vector<float> values{1.5f, -2.0f, 3.25f, 0.0f, 1e-30f, 7.0f};
  npy::save(file.string(), {1, 2, 3}, values);
  // numpy's format: magic, version 1.0, header padded so data starts at a multiple of 64.
  std::ifstream in(file, std::ios::binary);
  std::string head(10, '\0');
  in.read(head.data(), 10);
  EXPECT_EQ(head.substr(1, 5), "NUMPY");
  const std::size_t header_len = static_cast<unsigned char>(head[8]) | (static_cast<unsigned char>(head[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  const npy::Array array = npy::load(file.string());
  EXPECT_EQ(array.shape, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(array.values, values);
  fs::remove(file);
}

// A .npy file from its parts: version, header text (padded and ended with '\n' unless
// `raw_header`), and data bytes.
fs::path write_npy(const std::string& name, const std::string& header_text, const std::string& data, int major = 1,
                   bool raw_header = false) {
  const fs::path file = fs::temp_directory_path() / ("shardwise_npy_" + std::to_string(::getpid()) + "_" + name + ".npy");
  std::string header = header_text;
  if (!raw_header) {
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header.push_back('\n');
  }
  std::ofstream out(file, std::ios::binary);
  out.write("\x93NUMPY", 6);
  out.put(static_cast<char>(major));
  out.put(0);
  const std::size_t len = header.size();
  out.put(static_cast<char>(len & 0xFF));
  out.put(static_cast<char>((len >> 8) & 0xFF));
  if (major >= 2) {
    out.put(0);
    out.put(0);
  }
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return file;
}

std::string bytes_of(const auto& values) { return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(values[0])); }

std::string load_error(const fs::path& file) {
  try {
    npy::load(file.string());
  } catch (const InvalidArgument& e) {
    fs::remove(file);
    return e.what();
  }
  fs::remove(file);
  return "(accepted)";
}

TEST(Npy, Float64IsRoundedAndFloat16WidenedExactly) {
  const std::vector<double> f8{1.0, 1.0 + 0x1p-30, -2.5, 1e300};
  npy::Array a = npy::load(write_npy("f8", "{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", bytes_of(f8)).string());
  EXPECT_EQ(a.values, (std::vector<float>{1.0f, 1.0f, -2.5f, std::numeric_limits<float>::infinity()}));
  // 1.0, -2.0, the smallest subnormal (2^-24), 65504 (the largest), +inf, NaN.
  const std::vector<std::uint16_t> f2{0x3C00, 0xC000, 0x0001, 0x7BFF, 0x7C00, 0x7E00};
  a = npy::load(write_npy("f2", "{\"descr\": \"<f2\", \"fortran_order\": False, \"shape\": (2, 3)}", bytes_of(f2), 2).string());
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.values[0], 1.0f);
  EXPECT_EQ(a.values[1], -2.0f);
  EXPECT_EQ(a.values[2], 0x1p-24f);
  EXPECT_EQ(a.values[3], 65504.0f);
  EXPECT_EQ(a.values[4], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(a.values[5]));
}

TEST(Npy, ZeroSizedAndScalarArraysLoad) {
  npy::Array a = npy::load(write_npy("empty", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 32, 6, 6), }", "").string());
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{0, 32, 6, 6}));
  EXPECT_TRUE(a.values.empty());
  a = npy::load(write_npy("scalar", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", bytes_of(std::vector<float>{2.0f})).string());
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ(a.values, std::vector<float>{2.0f});
}

struct BadNpy {
  const char* name;
  std::string header;
  std::string data;
  std::string message;  // part of the error
  int major = 1;
  bool raw_header = false;
};

TEST(Npy, CorruptFilesAreRefusedByName) {
  const std::string four(16, '\0');  // four float32 zeros
  const std::vector<BadNpy> cases = {
      {"big_endian", "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four, "dtype '>f4'"},
      {"int32", "{'descr': '<i4', 'fortran_order': False, 'shape': (4,), }", four, "dtype '<i4'"},
      {"complex", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", four, "dtype '<c8'"},
      {"fortran", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four, "Fortran order"},
      {"negative", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }", four, "negative dimension"},
      {"huge_dim", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", four, "dimension above"},
      {"overflow", "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", four, "more than"},
      {"short_data", "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four, "16 data bytes"},
      {"long_data", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", four, "promises shape (3,)"},
      {"no_shape", "{'descr': '<f4', 'fortran_order': False, }", four, "all required"},
      {"extra_key", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", four, "unexpected or repeated key 'x'"},
      {"twice", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,)}", four, "repeated key 'descr'"},
      {"not_a_dict", "['descr', '<f4']", four, "expected '{'"},
      {"trailing", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,)} junk", four, "text after"},
      {"bad_bool", "{'descr': '<f4', 'fortran_order': 0, 'shape': (4,)}", four, "True or False"},
      {"unterminated", "{'descr': '<f4, 'fortran_order': False, 'shape': (4,)}", four, "expected ',' or '}'"},
      {"no_newline", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four, "newline", 1, true},
      {"version", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four, "version 4.0", 4},
  };
  for (const BadNpy& c : cases) {
    const std::string message = load_error(write_npy(c.name, c.header, c.data, c.major, c.raw_header));
    EXPECT_NE(message.find(c.message), std::string::npos) << c.name << ": " << message;
    EXPECT_NE(message.find(c.name), std::string::npos) << c.name << ": the message names the file: " << message;
  }
}

TEST(Npy, MissingTruncatedAndDirectoryPathsAreNamed) {
  EXPECT_NE(load_error("/nonexistent/file.npy").find("'/nonexistent/file.npy': no such file"), std::string::npos);
  const fs::path dir = fs::temp_directory_path() / ("shardwise_npy_dir_" + std::to_string(::getpid()) + ".npy");
  fs::create_directories(dir);
  EXPECT_NE(load_error(dir).find("not a regular file"), std::string::npos);
  const fs::path file = fs::temp_directory_path() / ("shardwise_npy_trunc_" + std::to_string(::getpid()) + ".npy");
  {
    std::ofstream out(file, std::ios::binary);
    out.write("\x93NUMPY\x01\x00\xff\x00{'descr'", 17);  // claims a 255-byte header
  }
  EXPECT_NE(load_error(file).find("truncated"), std::string::npos);
  {
    std::ofstream out(file, std::ios::binary);
    const std::string zip = "PK\x03\x04 not numpy";
    out.write(zip.data(), static_cast<std::streamsize>(zip.size()));
  }
  EXPECT_NE(load_error(file).find("is not a .npy file"), std::string::npos);
}

}  // namespace
}  // namespace shardwise
