// `shardwise convert` run as a separate process, checked byte for byte against the library.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "npy.hpp"
#include "tensor/tensor.hpp"

namespace shardwise {
namespace {

namespace fs = std::filesystem;

class ConvertCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("shardwise_convert_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static int run(const std::string& args) {
    const std::string command = std::string(SHARDWISE_CLI_PATH) + " " + args + " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  static void write(const std::string& file, std::span<const std::uint8_t> bytes) {
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  static std::vector<std::uint8_t> read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
};

std::vector<float> random_matrix(std::size_t n) {
  std::mt19937 rng(11);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST_F(ConvertCli, BytesEqualTheLibraryForEachFormat) {
  const Shape shape{40, 50};
  const auto values = random_matrix(shape.volume());
  const Tensor source = Tensor::from_vector(values, shape);
  write(path("in.f32"), source.bytes());
  for (const char* dtype : {"float32", "bfloat16", "bfloat8_b", "bfloat4_b"}) {
    const std::string out = path(std::string(dtype) + ".tile");
    ASSERT_EQ(run("convert --shape 40,50 --from float32:rm --to " + std::string(dtype) + ":tile " + path("in.f32") +
                  " " + out),
              0)
        << dtype;
    const Tensor expected = Tensor::from_vector(values, shape, parse_data_type(dtype), Layout::TILE);
    const auto got = read(out);
    ASSERT_EQ(got.size(), expected.bytes().size()) << dtype;
    EXPECT_TRUE(std::equal(got.begin(), got.end(), expected.bytes().begin())) << dtype;

    // And back to row-major float32: the values the tile format holds.
    ASSERT_EQ(run("convert --shape 40,50 --from " + std::string(dtype) + ":tile --to float32:rm " + out + " " +
                  path("back.f32")),
              0);
    const auto back = read(path("back.f32"));
    const Tensor expected_tensor = Tensor::from_vector(expected.to_vector(), shape);
    const auto expected_back = expected_tensor.bytes();
    ASSERT_EQ(back.size(), expected_back.size());
    EXPECT_TRUE(std::equal(back.begin(), back.end(), expected_back.begin())) << dtype;
  }
}

TEST_F(ConvertCli, RowMajorBfloat16AndNpy) {
  const Shape shape{3, 5};
  const auto values = random_matrix(shape.volume());
  npy::save(path("in.npy"), {3, 5}, values);
  ASSERT_EQ(run("convert --shape 3,5 --from float32:rm --to bfloat16:rm " + path("in.npy") + " " + path("o.bf16")), 0);
  const auto bf16 = read(path("o.bf16"));
  const Tensor expected = Tensor::from_vector(values, shape, DataType::BFLOAT16);
  ASSERT_EQ(bf16.size(), 30u);
  EXPECT_TRUE(std::equal(bf16.begin(), bf16.end(), expected.bytes().begin()));
  ASSERT_EQ(run("convert --shape 3,5 --from bfloat16:rm --to float32:rm " + path("o.bf16") + " " + path("o.npy")), 0);
  const npy::Array back = npy::load(path("o.npy"));
  EXPECT_EQ(back.shape, (std::vector<std::int64_t>{3, 5}));
  EXPECT_EQ(back.values, expected.to_vector());
}

TEST_F(ConvertCli, BadInputExitsNonZero) {
  write(path("in.f32"), std::vector<std::uint8_t>(24));
  EXPECT_NE(run("convert --shape 2,3 --from float32:rm --to bfloat8_b:rm " + path("in.f32") + " " + path("o")), 0);
  EXPECT_NE(run("convert --shape 2,3 --from float16:rm --to float32:rm " + path("in.f32") + " " + path("o")), 0);
  EXPECT_NE(run("convert --shape 2,4 --from float32:rm --to float32:tile " + path("in.f32") + " " + path("o")), 0);
  EXPECT_NE(run("convert --shape 0,3 --from float32:rm --to float32:tile " + path("in.f32") + " " + path("o")), 0);
  EXPECT_NE(run("convert --shape 2,-3 --from float32:rm --to float32:tile " + path("in.f32") + " " + path("o")), 0);
  EXPECT_NE(run("convert --shape 2,3 --from float32:rm --to float32:tile " + path("missing") + " " + path("o")), 0);
  EXPECT_NE(run("convert --shape 2,3 --from float32 --to float32:tile " + path("in.f32") + " " + path("o")), 0);
  EXPECT_EQ(run("convert --shape 2,3 --from float32:rm --to float32:tile " + path("in.f32") + " " + path("o")), 0);
}

TEST_F(ConvertCli, HelpAndVersion) {
  EXPECT_EQ(run("--help"), 0);
  EXPECT_EQ(run("--version"), 0);
  EXPECT_EQ(run("convert --help"), 0);
  EXPECT_NE(run("no-such-command"), 0);
  EXPECT_EQ(run("reference --channels 8 --height 5 --width 5"), 0);
  EXPECT_NE(run("reference --channels 0"), 0);
  EXPECT_NE(run("reference --kernel 3y3"), 0);
}

}  // namespace
}  // namespace shardwise
