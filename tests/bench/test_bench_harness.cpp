// The side-by-side benchmark's harness (bench/compare): it runs a tiny layer through
// every library and checks each against the double-precision reference, and its check
// rejects wrong output (a library that disagrees is reported, not timed). Not timed.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "bench_case.hpp"
#include "cell_runner.hpp"
#include "core/error.hpp"
#include "library.hpp"
#include "output_check.hpp"

namespace shardwise::bench {
namespace {

Cell tiny_cell(Dtype dtype, std::uint32_t stride = 1) { return Cell{Layer{"tiny", "test", 9, 7, 40, 3, stride, 1}, 2, dtype}; }

TimingOptions short_timing() { return TimingOptions{2, 0.1, 0.1}; }

TEST(BenchHarness, EveryLibraryRunsATinyLayerAndAgreesWithTheReference) {
  for (Dtype dtype : {Dtype::FLOAT32, Dtype::BFLOAT16})
    for (std::uint32_t stride : {1u, 2u}) {
      const Cell cell = tiny_cell(dtype, stride);
      const CellData data = make_cell_data(cell, 7);
      const std::vector<double> expected = reference_output(cell, data);
      const std::vector<LibraryResult> results = run_cell(cell, data, expected, libraries(), 2, short_timing());
      ASSERT_EQ(results.size(), 4u);
      for (const LibraryResult& r : results) {
        SCOPED_TRACE(r.library + " " + to_string(dtype) + " stride " + std::to_string(stride));
        if (r.library == "xnnpack" && dtype == Dtype::BFLOAT16) {
          EXPECT_FALSE(r.timing.has_value());
          EXPECT_NE(r.error.find("not supported"), std::string::npos);
          continue;
        }
        EXPECT_EQ(r.error, "");
        ASSERT_TRUE(r.timing.has_value());
        EXPECT_GT(r.timing->median_us, 0);
        EXPECT_LE(r.timing->p10_us, r.timing->median_us);
        EXPECT_LE(r.timing->median_us, r.timing->p90_us);
        EXPECT_FALSE(r.kernel.empty());
        if (r.library == "copy") {
          EXPECT_FALSE(r.check.has_value());  // the copy floor computes nothing
        } else {
          ASSERT_TRUE(r.check.has_value());
          EXPECT_TRUE(r.check->ok) << r.check->summary;
        }
      }
    }
}

TEST(BenchHarness, CheckRejectsAWrongOutput) {
  const Cell cell = tiny_cell(Dtype::FLOAT32);
  const CellData data = make_cell_data(cell, 3);
  const std::vector<double> expected = reference_output(cell, data);
  std::vector<float> right(expected.begin(), expected.end());
  EXPECT_TRUE(check_output(Dtype::FLOAT32, expected, right).ok);

  std::vector<float> off_by_one_value = right;
  off_by_one_value[17] += 0.5f;  // one element wrong: PCC stays high, the max error does not
  const CheckResult one = check_output(Dtype::FLOAT32, expected, off_by_one_value);
  EXPECT_FALSE(one.ok);
  EXPECT_NE(one.summary.find("FAILED"), std::string::npos);

  std::vector<float> shifted(right.size());
  std::copy(right.begin() + 1, right.end(), shifted.begin());  // a layout bug: everything off by one channel
  EXPECT_FALSE(check_output(Dtype::BFLOAT16, expected, shifted).ok);

  std::vector<float> with_nan = right;
  with_nan[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(check_output(Dtype::FLOAT32, expected, with_nan).ok);

  right.pop_back();
  EXPECT_FALSE(check_output(Dtype::FLOAT32, expected, right).ok);
}

// A library whose output is wrong (oneDNN's, with one value changed) is reported and
// not timed.
class Corrupted final : public PreparedConv {
 public:
  explicit Corrupted(std::unique_ptr<PreparedConv> inner) : inner_(std::move(inner)) {}
  void run() override { inner_->run(); }
  void read_output(std::span<float> nhwc) override {
    inner_->read_output(nhwc);
    nhwc[3] += 1.0f;
  }
  std::string kernel() const override { return "corrupted " + inner_->kernel(); }

 private:
  std::unique_ptr<PreparedConv> inner_;
};

TEST(BenchHarness, ALibraryThatDisagreesIsReportedNotTimed) {
  Library broken{"broken", true, [](Dtype) { return true; },
                 [](const Cell& cell, const CellData& data, unsigned threads) -> std::unique_ptr<PreparedConv> {
                   return std::make_unique<Corrupted>(onednn_library().prepare(cell, data, threads));
                 }};
  const Cell cell = tiny_cell(Dtype::FLOAT32);
  const CellData data = make_cell_data(cell, 5);
  const std::vector<LibraryResult> results =
      run_cell(cell, data, reference_output(cell, data), {onednn_library(), broken}, 1, short_timing());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].timing.has_value());
  EXPECT_FALSE(results[1].timing.has_value());
  ASSERT_TRUE(results[1].check.has_value());
  EXPECT_FALSE(results[1].check->ok);
  EXPECT_NE(results[1].error.find("disagrees with the reference"), std::string::npos);
}

TEST(BenchHarness, LayerTableLoadsAndRejectsBadRows) {
  const std::vector<Layer> layers = load_layers(SHARDWISE_BENCH_LAYERS);
  ASSERT_EQ(layers.size(), 15u);
  EXPECT_EQ(layers.front().name, "mnv2_1");
  EXPECT_EQ(layers.back().kernel, 7u);
  const std::string path = testing::TempDir() + "bad_layers.csv";
  std::ofstream(path) << "name,source,height,width,channels,kernel,stride,padding\nx,y,8,8,-3,3,1,1\n";
  EXPECT_THROW(load_layers(path), InvalidArgument);
  EXPECT_THROW(load_layers(path + ".missing"), InvalidArgument);
  EXPECT_THROW(libraries("onednn,mkl"), InvalidArgument);
  EXPECT_THROW(parse_dtype("float16"), InvalidArgument);
}

}  // namespace
}  // namespace shardwise::bench
