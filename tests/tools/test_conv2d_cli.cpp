// `shardwise conv2d` and `prepare-weights` as a user runs them.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <limits>
#include <string>

#include "npy.hpp"

namespace shardwise {
namespace {

struct Outcome {
  int status;
  std::string output;  // stdout and stderr
};

Outcome run(const std::string& args) {
  const std::string command = std::string(SHARDWISE_CLI_PATH) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

const std::string kCase = "conv2d ";  // defaults: 64 channels, 8x8, 3x3, padding 1

struct BadFlag {
  std::string flags;
  std::string message;  // part of the error that names the value
};

class Conv2dCliBadInput : public ::testing::TestWithParam<BadFlag> {};

TEST_P(Conv2dCliBadInput, ExitsNonZeroNamingTheValue) {
  const Outcome o = run(kCase + GetParam().flags);
  EXPECT_NE(o.status, 0) << o.output;
  EXPECT_NE(o.output.find(GetParam().message), std::string::npos) << o.output;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, Conv2dCliBadInput,
    ::testing::Values(BadFlag{"--arch grayskull", "'grayskull'"}, BadFlag{"--batch 0", "--batch 0"},
                      BadFlag{"--channels -4", "--channels -4"}, BadFlag{"--groups 4", "groups=4"},
                      BadFlag{"--height 0", "--height 0"}, BadFlag{"--kernel 3x", "--kernel '3x'"},
                      BadFlag{"--kernel 11", "does not fit"}, BadFlag{"--stride 0", "--stride 0"},
                      BadFlag{"--padding 1,2,3", "--padding '1,2,3'"}, BadFlag{"--padding -1", "--padding -1"},
                      BadFlag{"--dilation 0x1", "--dilation 0"}, BadFlag{"--shard diagonal", "'diagonal'"},
                      BadFlag{"--cores 0", "--cores 0"}, BadFlag{"--cores 65", "--cores 65"},
                      BadFlag{"--shard width --cores 3", "--cores 3"}, BadFlag{"--grid 9x1", "grid 9x1"},
                      BadFlag{"--grid 0x2", "--grid '0x2'"}, BadFlag{"--dtype int32", "--dtype int32"},
                      BadFlag{"--dtype bfloat8_b", "--dtype bfloat8_b"}, BadFlag{"--weights-dtype float16", "'float16'"},
                      BadFlag{"--activation tanh", "'tanh'"}, BadFlag{"--output-layout diagonal", "'diagonal'"},
                      BadFlag{"--orientation sideways", "'sideways'"}, BadFlag{"--repeat 0", "--repeat 0"},
                      BadFlag{"--dprint-cores 1", "--dprint-cores '1'"}, BadFlag{"--load-input /nonexistent.npy", "/nonexistent.npy"},
                      BadFlag{"--cores 1 --grid 1x1", "exclusive"}, BadFlag{"--min-pcc 2", "--min-pcc 2"},
                      BadFlag{"--l1-size 1000", "L1 size 1000"}, BadFlag{"--arch-grid 0x1", "--arch-grid '0x1'"},
                      BadFlag{"--l1-size 130000", "out of memory"}));

TEST(Conv2dCli, JsonReportAndNpyExchange) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("shardwise_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<float> input(2 * 32 * 6 * 6), weight(32 * 9), bias(32);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>(i % 7) - 3.0f;
  for (std::size_t i = 0; i < weight.size(); ++i) weight[i] = static_cast<float>(i % 5) - 2.0f;
  for (std::size_t i = 0; i < bias.size(); ++i) bias[i] = static_cast<float>(i);
  npy::save((dir / "in.npy").string(), {2, 32, 6, 6}, input);
  npy::save((dir / "w.npy").string(), {32, 1, 3, 3}, weight);
  npy::save((dir / "b.npy").string(), {32}, bias);
  const Outcome o = run("conv2d --channels 32 --height 6 --width 6 --batch 2 --shard height --json --load-input " + (dir / "in.npy").string() + " --load-weights " +
                        (dir / "w.npy").string() + " --load-bias " + (dir / "b.npy").string() + " --save-output " +
                        (dir / "out.npy").string());
  ASSERT_EQ(o.status, 0) << o.output;
  const auto j = nlohmann::json::parse(o.output);
  EXPECT_EQ(j["output_shape"], (std::vector<int>{2, 32, 6, 6}));
  EXPECT_EQ(j["shard_layout"], "HEIGHT_SHARDED");
  EXPECT_GE(j["pcc"].get<double>(), 0.9999);
  for (const char* key : {"max_abs_err", "norm_max_err", "num_cores", "grid", "l1_bytes_per_core", "time_ms"})
    EXPECT_TRUE(j.contains(key)) << key;
  const npy::Array out = npy::load((dir / "out.npy").string());
  EXPECT_EQ(out.shape, (std::vector<std::int64_t>{2, 32, 6, 6}));
  // Small integers: exact in bfloat16, so the output equals the hand-checkable sum.
  // Output (n=0, c=0, 0, 0): taps (1,1),(1,2),(2,1),(2,2) of the 3x3 kernel over input rows/cols 0-1.
  double expected = bias[0];
  for (int i = 0; i < 2; ++i)
    for (int jj = 0; jj < 2; ++jj) expected += input[i * 6 + jj] * weight[(i + 1) * 3 + (jj + 1)];
  EXPECT_EQ(out.values[0], static_cast<float>(expected));
  fs::remove_all(dir);
}

// NaN or Inf anywhere fails the run (exit 1) with the counts, unless --allow-nonfinite:
// the PCC maps them to 0 and printed 0.999999 / 1.000000 for such runs before.
TEST(Conv2dCli, NonFiniteValuesAreCountedAndFailTheVerdict) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("shardwise_nonfinite_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::vector<float> input(32 * 6 * 6, 1.0f), all_nan(32 * 6 * 6, std::numeric_limits<float>::quiet_NaN()), bias(32, 0.5f);
  input[3 * 36 + 2 * 6 + 2] = std::numeric_limits<float>::quiet_NaN();  // channel 3, row 2, column 2: 9 outputs see it
  bias[5] = std::numeric_limits<float>::infinity();                      // channel 5: all 36 outputs
  npy::save((dir / "one_nan.npy").string(), {1, 32, 6, 6}, input);
  npy::save((dir / "all_nan.npy").string(), {1, 32, 6, 6}, all_nan);
  npy::save((dir / "inf_bias.npy").string(), {32}, bias);
  const std::string base = "conv2d --channels 32 --height 6 --width 6 --dtype float32 --weights-dtype float32 ";

  Outcome o = run(base + "--load-input " + (dir / "one_nan.npy").string());
  EXPECT_EQ(o.status, 1) << o.output;
  EXPECT_NE(o.output.find("nonfinite   input 1 NaN 0 Inf, output 9 NaN 0 Inf, reference 9 NaN 0 Inf"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("pcc         not a verdict"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("--allow-nonfinite"), std::string::npos) << o.output;

  o = run(base + "--json --load-input " + (dir / "all_nan.npy").string());
  EXPECT_EQ(o.status, 1) << o.output;
  o = run(base + "--json --allow-nonfinite --load-input " + (dir / "all_nan.npy").string());
  ASSERT_EQ(o.status, 0) << o.output;
  auto j = nlohmann::json::parse(o.output);
  EXPECT_TRUE(j["pcc"].is_null());
  EXPECT_EQ(j["nonfinite"]["input"]["nan"], 32 * 36);
  EXPECT_EQ(j["nonfinite"]["output"]["nan"], 32 * 36);

  o = run(base + "--json --allow-nonfinite --load-bias " + (dir / "inf_bias.npy").string());
  ASSERT_EQ(o.status, 0) << o.output;
  j = nlohmann::json::parse(o.output);
  EXPECT_EQ(j["nonfinite"]["bias"]["inf"], 1);
  EXPECT_EQ(j["nonfinite"]["output"]["inf"], 36);
  EXPECT_EQ(j["nonfinite"]["input"]["nan"], 0);
  fs::remove_all(dir);
}

TEST(Conv2dCli, NotDepthwiseIsANamedNotSupportedError) {
  const Outcome o = run("conv2d --channels 32 --groups 1 --height 6 --width 6");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(o.output.find("not supported"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("groups=1"), std::string::npos) << o.output;
}

TEST(PrepareWeightsCli, TileBytesAndRowMajorMatrix) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("shardwise_prep_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Outcome o = run("prepare-weights --channels 64 --kernel 3x3 --shards 2 --debug-weights --print-weights " + (dir / "w.npy").string());
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_NE(o.output.find("Row  0: F0[ 1,  1,  1,  1...] F1[ 9,  9,  9,  9...]"), std::string::npos) << o.output;
  const npy::Array m = npy::load((dir / "w.npy").string());
  EXPECT_EQ(m.shape, (std::vector<std::int64_t>{32, 64}));
  o = run("prepare-weights --channels 64 --kernel 3 --shards 2 --debug-weights --layout tile --weights-dtype bfloat8_b " +
          (dir / "w.bf8").string());
  ASSERT_EQ(o.status, 0) << o.output;
  EXPECT_EQ(fs::file_size(dir / "w.bf8"), 2u * 1088);
  EXPECT_NE(run("prepare-weights --channels 64 --shards 0 --debug-weights x").status, 0);
  EXPECT_NE(run("prepare-weights --channels 64 --shards 2 " + (dir / "x").string()).status, 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shardwise
