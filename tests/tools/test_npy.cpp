#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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

TEST(Npy, RejectsOtherDtypes) {
  const fs::path file = fs::temp_directory_path() / ("shardwise_npy_f8_" + std::to_string(::getpid()) + ".npy");
  {
    std::ofstream out(file, std::ios::binary);
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }";
    header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
    header.push_back('\n');
    out.write("\x93NUMPY\x01\x00", 8);
    const char len[2] = {static_cast<char>(header.size()), 0};
    out.write(len, 2);
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    out.write("\0\0\0\0\0\0\0\0", 8);
  }
  try {
    npy::load(file.string());
    FAIL();
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("<f8"), std::string::npos) << e.what();
  }
  fs::remove(file);
  EXPECT_THROW(npy::load("/nonexistent/file.npy"), InvalidArgument);
}

}  // namespace
}  // namespace shardwise
