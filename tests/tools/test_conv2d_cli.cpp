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

// A bad command line: the exit code the README promises (2 bad input, 3 device
// failure) and a part of the message that names the bad value or what is allowed.
struct BadCommand {
  std::string name;  // the test's name
  std::string args;
  int exit_code;
  std::string message;
};

class BadCliInput : public ::testing::TestWithParam<BadCommand> {};

TEST_P(BadCliInput, ExitsWithTheDocumentedCodeNamingTheValue) {
  const Outcome o = run(GetParam().args);
  EXPECT_EQ(o.status, GetParam().exit_code) << GetParam().args << "\n" << o.output;
  EXPECT_NE(o.output.find(GetParam().message), std::string::npos) << GetParam().args << "\n" << o.output;
}

const std::string kMissing = "/nonexistent/shardwise_missing.npy";

INSTANTIATE_TEST_SUITE_P(
    Commands, BadCliInput,
    ::testing::Values(
        // conv2d: the arch and its overrides
        BadCommand{"UnknownArch", "conv2d --arch grayskull", 2, "'grayskull'"},
        BadCommand{"L1TooSmall", "conv2d --l1-size 1000", 2, "L1 size 1000"},
        BadCommand{"L1TooLarge", "conv2d --l1-size 4294967296", 2, "--l1-size 4294967296"},
        BadCommand{"L1NotInteger", "conv2d --l1-size 1MB", 2, "'1MB' is not an integer"},
        BadCommand{"ArchGridZero", "conv2d --arch-grid 0x1", 2, "--arch-grid '0x1'"},
        BadCommand{"ArchGridMalformed", "conv2d --arch-grid 8by8", 2, "--arch-grid '8by8'"},
        BadCommand{"L1FullOfNothing", "conv2d --l1-size 130000", 3, "out of memory"},
        // conv2d: the layer's shape
        BadCommand{"BatchZero", "conv2d --batch 0", 2, "--batch 0"},
        BadCommand{"BatchFraction", "conv2d --batch 1.5", 2, "'1.5' is not an integer"},
        BadCommand{"BatchTooLarge", "conv2d --batch 5000", 2, "batch 5000"},
        BadCommand{"ChannelsNegative", "conv2d --channels -4", 2, "--channels -4"},
        BadCommand{"ChannelsOverflow", "conv2d --channels 99999999999999999999", 2, "'99999999999999999999' is not an integer"},
        BadCommand{"ChannelsTooMany", "conv2d --channels 70000", 2, "channels 70000"},
        BadCommand{"GroupsNotDepthwise", "conv2d --groups 4", 2, "groups=4"},
        BadCommand{"HeightZero", "conv2d --height 0", 2, "--height 0"},
        BadCommand{"WidthText", "conv2d --width eight", 2, "'eight' is not an integer"},
        BadCommand{"KernelMalformed", "conv2d --kernel 3x", 2, "--kernel '3x'"},
        BadCommand{"KernelTooLarge", "conv2d --kernel 11", 2, "does not fit"},
        BadCommand{"KernelThreeAxes", "conv2d --kernel 3x3x3", 2, "--kernel '3x3x3'"},
        BadCommand{"StrideZero", "conv2d --stride 0", 2, "--stride 0"},
        BadCommand{"PaddingThreeValues", "conv2d --padding 1,2,3", 2, "--padding '1,2,3'"},
        BadCommand{"PaddingNegative", "conv2d --padding -1", 2, "--padding -1"},
        BadCommand{"PaddingHuge", "conv2d --padding 1000000", 2, "padding top is 1000000: it must be at most 65536"},
        BadCommand{"OutputBeyondDram", "conv2d --channels 32 --padding 60000", 3, "120006x120006 output"},
        BadCommand{"OutputBeyondHostMemory", "conv2d --arch host --channels 32 --padding 60000", 3, "host memory budget"},
        BadCommand{"DilationZero", "conv2d --dilation 0x1", 2, "--dilation 0"},
        BadCommand{"DilationTooWide", "conv2d --dilation 5", 2, "does not fit"},
        // conv2d: layout and cores
        BadCommand{"ShardUnknown", "conv2d --shard diagonal", 2, "--shard 'diagonal': allowed are auto, height, width, block"},
        BadCommand{"ShardInterleaved", "conv2d --shard interleaved", 2, "allowed are auto, height, width, block"},
        BadCommand{"CoresZero", "conv2d --cores 0", 2, "--cores 0 must be between 1 and 64"},
        BadCommand{"CoresBeyondGrid", "conv2d --cores 65", 2, "--cores 65 must be between 1 and 64"},
        BadCommand{"CoresFarBeyondGrid", "conv2d --cores 5000", 2, "--cores 5000 must be between 1 and 64"},
        BadCommand{"CoresWidthUneven", "conv2d --shard width --cores 3", 2, "--cores 3"},
        BadCommand{"CoresWithBlock", "conv2d --shard block --cores 4", 2, "--cores 4 does not apply to --shard block"},
        BadCommand{"CoresAndGrid", "conv2d --cores 1 --grid 1x1", 2, "exclusive"},
        BadCommand{"GridBeyondArch", "conv2d --grid 9x1", 2, "grid 9x1"},
        BadCommand{"GridZero", "conv2d --grid 0x2", 2, "--grid '0x2'"},
        BadCommand{"OrientationUnknown", "conv2d --orientation sideways", 2, "'sideways'"},
        // conv2d: dtypes and activation
        BadCommand{"DtypeInteger", "conv2d --dtype int32", 2, "--dtype int32"},
        BadCommand{"DtypeBlockFloat", "conv2d --dtype bfloat8_b", 2, "--dtype bfloat8_b"},
        BadCommand{"WeightsDtypeUnknown", "conv2d --weights-dtype float16", 2, "'float16'"},
        BadCommand{"ActivationUnknown", "conv2d --activation softplus", 2, "'softplus'"},
        BadCommand{"LeakySlopeNotFinite", "conv2d --activation leaky_relu --leaky-slope nan", 2, "--leaky-slope"},
        BadCommand{"OutputLayoutUnknown", "conv2d --output-layout diagonal", 2, "'diagonal'"},
        // conv2d: run options
        BadCommand{"RepeatZero", "conv2d --repeat 0", 2, "--repeat 0"},
        BadCommand{"RepeatScientific", "conv2d --repeat 1e3", 2, "'1e3' is not an integer"},
        BadCommand{"SeedNegative", "conv2d --seed -1", 2, "'-1' is not an integer between 0 and 2^64-1"},
        BadCommand{"MinPccAboveOne", "conv2d --min-pcc 2", 2, "--min-pcc 2"},
        BadCommand{"MinPccUnreachable", "conv2d --min-pcc 1 --weights-dtype bfloat4_b", 1, "below --min-pcc 1"},
        BadCommand{"WatcherUnknown", "conv2d --watcher maybe", 2, "--watcher 'maybe': allowed are on, off"},
        BadCommand{"DprintCoresMalformed", "conv2d --dprint-cores 1", 2, "--dprint-cores '1'"},
        BadCommand{"DprintCoresOutsideGrid", "conv2d --dprint-cores 99,99", 2, "core (99,99) is outside the 8x8 grid"},
        BadCommand{"DprintDirIsAFile", "conv2d --dprint-cores 0,0 --dprint-dir /proc/self/cmdline", 2, "--dprint-dir '/proc/self/cmdline'"},
        BadCommand{"DebugAndLoadedWeights", "conv2d --debug-weights --load-weights " + kMissing, 2, "exclusive"},
        BadCommand{"LoadInputMissing", "conv2d --load-input " + kMissing, 2, "shardwise_missing.npy': no such file"},
        BadCommand{"LoadInputDirectory", "conv2d --load-input /tmp", 2, "'/tmp': it is not a regular file"},
        BadCommand{"LoadBiasNotNpy", "conv2d --load-bias /proc/self/cmdline", 2, "is not a .npy file"},
        BadCommand{"UnknownFlag", "conv2d --bogus", 2, "--bogus"},
        BadCommand{"FlagWithoutValue", "conv2d --channels", 2, "--channels"},
        // the other subcommands
        BadCommand{"NoCommand", "", 2, "no command given: the commands are convert, reference, conv2d, prepare-weights"},
        BadCommand{"UnknownCommand", "deconv", 2, "unknown command 'deconv': the commands are"},
        BadCommand{"PrepareWithoutChannels", "prepare-weights --debug-weights /tmp/shardwise_unused.npy", 2, "--channels is required"},
        BadCommand{"PrepareShardsBeyondChannels", "prepare-weights --channels 4 --shards 8 --debug-weights /tmp/shardwise_unused.npy", 2,
                   "--shards 8"},
        BadCommand{"PrepareKernelTooLarge", "prepare-weights --channels 4 --kernel 2000 --debug-weights /tmp/shardwise_unused.npy", 2,
                   "--kernel '2000'"},
        BadCommand{"PrepareLayoutUnknown", "prepare-weights --channels 4 --layout csv --debug-weights /tmp/shardwise_unused.npy", 2, "csv"},
        BadCommand{"PrepareMissingWeights", "prepare-weights --channels 4 --load-weights " + kMissing + " /tmp/shardwise_unused.npy", 2,
                   "no such file"},
        BadCommand{"ConvertShapeMalformed", "convert --shape 40 --from float32:rm --to bfloat16:tile /dev/null /tmp/shardwise_unused.bin", 2,
                   "40"},
        BadCommand{"ConvertDtypeUnknown", "convert --shape 4,4 --from float64:rm --to bfloat16:tile /dev/null /tmp/shardwise_unused.bin", 2,
                   "float64"},
        BadCommand{"ConvertInputMissing", "convert --shape 4,4 --from float32:rm --to bfloat16:tile " + kMissing + " /tmp/shardwise_unused.bin",
                   2, "shardwise_missing.npy"},
        BadCommand{"ConvertInputTooShort", "convert --shape 4,4 --from float32:rm --to bfloat16:tile /dev/null /tmp/shardwise_unused.bin", 2,
                   "bytes"},
        BadCommand{"ReferenceBeyondHostMemory", "reference --channels 65536 --height 65536 --width 65536", 3, "host memory budget"},
        BadCommand{"PrepareBeyondHostMemory", "prepare-weights --channels 65536 --kernel 1024 --debug-weights /tmp/shardwise_unused.npy", 3,
                   "host memory budget"},
        BadCommand{"ConvertBeyondItsBytes", "convert --shape 1000000,1000000 --from float32:rm --to bfloat16:tile /dev/null /tmp/shardwise_unused.bin",
                   2, "4000000000000 bytes"},
        BadCommand{"ReferenceKernelTooLarge", "reference --kernel 11", 2, "does not fit"},
        BadCommand{"ReferenceSeedNegative", "reference --seed -5", 2, "'-5' is not an integer between 0 and 2^64-1"}),
    [](const ::testing::TestParamInfo<BadCommand>& info) { return info.param.name; });

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
  // Exact numerics: NaN propagates as in float32 (the chip's packer turns it into Inf, below).
  const std::string base = "conv2d --channels 32 --height 6 --width 6 --dtype float32 --weights-dtype float32 --numerics exact ";

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

  // Chip numerics: the multiplier reads a NaN as a huge number and the packer never
  // writes NaN: the output holds infinities (and no NaN), still a failed verdict.
  o = run("conv2d --channels 32 --height 6 --width 6 --dtype float32 --weights-dtype float32 --numerics chip --json --load-input " +
          (dir / "one_nan.npy").string());
  EXPECT_EQ(o.status, 1) << o.output;
  j = nlohmann::json::parse(o.output.substr(0, o.output.find('\n')));
  EXPECT_EQ(j["nonfinite"]["output"]["nan"], 0);
  EXPECT_GT(j["nonfinite"]["output"]["inf"], 0);
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
