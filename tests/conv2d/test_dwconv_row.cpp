// The host row microkernels (microkernels/dwconv_row.hpp) on every SIMD target this CPU
// supports, against a plain double-precision row computed here: channel counts below,
// at and above the vector widths (masked tails), kernel widths 1-9 (both families: the
// sliding one for 3, 5, 7 at stride 1 and 2, the generic one otherwise), strides, dilation,
// padding wider than the kernel's reach, bfloat16 and float32 in and out, each fused
// activation. Guard bytes around the output row and past every input row catch
// out-of-bounds writes and prove the masked tails read nothing they should not need.
#include <gtest/gtest.h>

#include <hwy/cache_control.h>
#include <hwy/targets.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>

#include "core/bfloat16.hpp"
#include "core/error.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {
namespace {

struct RowCase {
  std::uint32_t channels, kernel_w, kernel_rows, stride, dilation, pad_left, in_width;
};

constexpr std::uint8_t kGuard = 0xA5;

double activate(Activation a, double x) {
  if (a == Activation::RELU) return std::max(x, 0.0);
  if (a == Activation::RELU6) return std::min(std::max(x, 0.0), 6.0);
  return x;
}

// `bytes` copied to the end of a mapping followed by an inaccessible page: a read past
// them faults (the test dies) instead of reading guard values it then masks away.
class EndsAtGuardPage {
 public:
  explicit EndsAtGuardPage(const std::vector<std::uint8_t>& bytes) {
    const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    data_pages_ = (bytes.size() + page - 1) / page * page;
    size_ = data_pages_ + page;
    base_ = static_cast<std::uint8_t*>(mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    EXPECT_NE(base_, MAP_FAILED);
    EXPECT_EQ(mprotect(base_ + data_pages_, page, PROT_NONE), 0);
    data_ = base_ + data_pages_ - bytes.size();
    std::memcpy(data_, bytes.data(), bytes.size());
  }
  ~EndsAtGuardPage() { munmap(base_, size_); }
  EndsAtGuardPage(const EndsAtGuardPage&) = delete;
  EndsAtGuardPage& operator=(const EndsAtGuardPage&) = delete;
  const std::uint8_t* data() const { return data_; }

 private:
  std::uint8_t* base_ = nullptr;
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0, data_pages_ = 0;
};

struct RowOptions {
  // The AVX512_BF16 pair kernels (bfloat16 input; weights rounded to bfloat16 and packed
  // twice), also checked bit for bit against their documented order.
  bool pairs = false;
  // bfloat16 in and out also get the even/odd weight copy (the AVX-512 tiles read it).
  bool even_odd = true;
  // Each input row ends (its last pixel's last channel, no gap after it) at an
  // inaccessible page.
  bool guard_page = false;
  // The output row and every pixel start on a 64-byte boundary (pixel gaps still
  // guarded), as DwRowShape::stream_output needs; `stream` sets it.
  bool aligned_output = false;
  bool stream = false;
  // The two-row kernel (DwRowMicrokernel::two_rows): kernel_rows + 1 input rows, two
  // output rows with guard bytes between them, each also the same bits as the one-row
  // kernel's call for its rows.
  bool two_rows = false;
};

// Runs one case on one target and checks it; the output row's bytes go to `result`.
void run_case(const RowCase& rc, DataType in_dtype, DataType out_dtype, Activation act, std::int64_t target,
              std::vector<std::uint8_t>* result = nullptr, const RowOptions& options = {}) {
  const bool pairs = options.pairs, even_odd = options.even_odd, guard_page = options.guard_page;
  const std::uint32_t C = rc.channels, kw = rc.kernel_w, R = rc.kernel_rows, W = rc.in_width;
  const std::uint32_t out_rows = options.two_rows ? 2 : 1, in_rows = R + out_rows - 1;
  const std::uint32_t span = (kw - 1) * rc.dilation + 1;
  const std::uint32_t Wo = (W + 2 * rc.pad_left - span) / rc.stride + 1;
  const std::uint32_t Cpad = (C + kPackedChannelAlign - 1) / kPackedChannelAlign * kPackedChannelAlign;
  const std::size_t in_es = in_dtype == DataType::FLOAT32 ? 4 : 2, out_es = out_dtype == DataType::FLOAT32 ? 4 : 2;
  // Pixel strides wider than C: the gaps are guards.
  const std::uint32_t in_stride = C + 3;
  const bool aligned = options.aligned_output || options.stream;
  const std::uint32_t out_align = aligned ? static_cast<std::uint32_t>(64 / out_es) : 1;
  const std::uint32_t out_stride = (C + 5 + out_align - 1) / out_align * out_align;

  std::mt19937 rng(C * 131 + kw * 7 + rc.stride);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> x(in_rows, std::vector<float>(std::size_t{W} * C));
  // Each input row in its own buffer with guard bytes in every pixel gap and after the row.
  std::vector<std::vector<std::uint8_t>> rows(in_rows, std::vector<std::uint8_t>((std::size_t{W} * in_stride + 64) * in_es, kGuard));
  std::vector<const void*> row_ptrs(in_rows);
  for (std::uint32_t r = 0; r < in_rows; ++r) {
    for (std::uint32_t p = 0; p < W; ++p)
      for (std::uint32_t c = 0; c < C; ++c) {
        float v = normal(rng);
        if (in_dtype == DataType::BFLOAT16) v = round_to_bfloat16(v);
        x[r][std::size_t{p} * C + c] = v;
        std::uint8_t* dst = rows[r].data() + (std::size_t{p} * in_stride + c) * in_es;
        if (in_dtype == DataType::FLOAT32) std::memcpy(dst, &v, 4);
        else {
          const std::uint16_t bits = bfloat16::from_float(v).bits;
          std::memcpy(dst, &bits, 2);
        }
      }
    row_ptrs[r] = rows[r].data();
  }
  std::vector<std::unique_ptr<EndsAtGuardPage>> guarded;
  if (guard_page)
    for (std::uint32_t r = 0; r < in_rows; ++r) {
      const std::size_t used = (std::size_t{W - 1} * in_stride + C) * in_es;  // up to the last channel of the last pixel
      guarded.push_back(std::make_unique<EndsAtGuardPage>(std::vector<std::uint8_t>(rows[r].begin(), rows[r].begin() + used)));
      row_ptrs[r] = guarded.back()->data();
    }
  std::vector<float> weights(std::size_t{R * kw + 1} * Cpad, 0.0f);
  for (std::uint32_t k = 0; k < R * kw; ++k)
    for (std::uint32_t c = 0; c < C; ++c) weights[std::size_t{k} * Cpad + c] = normal(rng);
  for (std::uint32_t c = 0; c < C; ++c) weights[std::size_t{R * kw} * Cpad + c] = normal(rng);
  std::uint64_t pair_weights = 0, even_odd_weights = 0;
  const std::vector<float> natural = [&] {
    if (pairs)
      for (std::size_t i = 0; i < std::size_t{R * kw} * Cpad; ++i) weights[i] = round_to_bfloat16(weights[i]);
    return weights;
  }();
  if (even_odd && in_dtype == DataType::BFLOAT16 && out_dtype == DataType::BFLOAT16) {
    even_odd_weights = weights.size();
    pack_even_odd_weights(natural, C, Cpad, weights);
  }
  if (pairs) {
    pair_weights = weights.size();
    ASSERT_TRUE(pack_bf16_pair_weights(natural, R, kw, C, Cpad, weights));
    ASSERT_EQ(weights.size(), pair_weights + natural.size());
  }

  // The output row(s) between guards (256 bytes between two rows); with aligned_output
  // they start on a 64-byte boundary (the buffer's own alignment is the allocator's: the
  // rows move up to 63 bytes in).
  const std::size_t row_bytes = std::size_t{Wo} * out_stride * out_es, row_step = row_bytes + 256;
  std::vector<std::uint8_t> out(64 + 2 * 256 + out_rows * row_step, kGuard);
  const std::size_t shift = aligned ? (64 - reinterpret_cast<std::uintptr_t>(out.data() + 256) % 64) % 64 : 0;
  const std::size_t guard_bytes = 256 + shift;
  DwRowShape shape{kw, rc.dilation, rc.stride, W, rc.pad_left, Wo, in_stride, out_stride, Cpad, even_odd_weights, pair_weights, options.stream};
  DwRowCall call{row_ptrs.data(), R, weights.data(), weights.data() + std::size_t{R * kw} * Cpad, out.data() + guard_bytes, C};
  call.second_out = row_step / out_es;
  const DwRowMicrokernel kernel =
      select_dw_row_microkernel(DwRowKernelKey{in_dtype, out_dtype, act, kw, rc.stride, rc.dilation, pairs}, pairs ? 0 : target);
  ASSERT_EQ(kernel.bf16_pairs, pairs) << kernel.name;
  SCOPED_TRACE(kernel.name + " C=" + std::to_string(C) + " kw=" + std::to_string(kw) + " stride=" + std::to_string(rc.stride) +
               " dilation=" + std::to_string(rc.dilation) + " pad=" + std::to_string(rc.pad_left) + " W=" + std::to_string(W));
  if (options.two_rows) {
    ASSERT_NE(kernel.two_rows, nullptr) << kernel.name;
    kernel.two_rows(shape, call);
  } else {
    kernel.fn(shape, call);
  }
  if (options.stream) hwy::FlushStream();

  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::size_t o = (i - guard_bytes) / row_step, in_row = (i - guard_bytes) % row_step;
    const bool guard = i < guard_bytes || o >= out_rows || in_row >= row_bytes || (in_row / out_es) % out_stride >= C;
    if (guard) {
      ASSERT_EQ(out[i], kGuard) << "byte " << i << " outside the output channels was written";
    }
  }
  for (std::uint32_t r = 0; r < in_rows; ++r)
    for (std::uint32_t p = 0; p < W; ++p)
      for (std::size_t b = C * in_es; b < in_stride * in_es; ++b) ASSERT_EQ(rows[r][p * in_stride * in_es + b], kGuard);

  if (options.two_rows) {  // each row the one-row kernel's bits for its input rows
    for (std::uint32_t o = 0; o < 2; ++o) {
      std::vector<std::uint8_t> one(row_bytes + 64, kGuard);
      std::uint8_t* one_row = one.data() + (64 - reinterpret_cast<std::uintptr_t>(one.data()) % 64) % 64;
      DwRowShape one_shape = shape;
      one_shape.stream_output = false;
      DwRowCall one_call = call;
      one_call.rows = row_ptrs.data() + o;
      one_call.out = one_row;
      kernel.fn(one_shape, one_call);
      for (std::size_t b = 0; b < row_bytes; ++b) {
        if ((b / out_es) % out_stride < C) {
          ASSERT_EQ(out[guard_bytes + o * row_step + b], one_row[b]) << "output row " << o << " byte " << b << " differs from the one-row kernel";
        }
      }
    }
  }

  // Pixel wo of output row o (of out_rows) against the reference.
  for (std::uint32_t row_pixel = 0; row_pixel < out_rows * Wo; ++row_pixel)
    for (std::uint32_t c = 0, o = row_pixel / Wo, wo = row_pixel % Wo; c < C; ++c) {
      double acc = 0, scale = 0;
      for (std::uint32_t r = 0; r < R; ++r)
        for (std::uint32_t j = 0; j < kw; ++j) {
          const std::int64_t col = std::int64_t{wo} * rc.stride - rc.pad_left + std::int64_t{j} * rc.dilation;
          if (col < 0 || col >= W) continue;
          const double term = double{x[r + o][std::size_t(col) * C + c]} * weights[std::size_t{r * kw + j} * Cpad + c];
          acc += term;
          scale += std::fabs(term);
        }
      const double expected = activate(act, acc + weights[std::size_t{R * kw} * Cpad + c]);
      const std::uint8_t* p = out.data() + guard_bytes + o * row_step + (std::size_t{wo} * out_stride + c) * out_es;
      double got;
      if (out_dtype == DataType::FLOAT32) {
        float f;
        std::memcpy(&f, p, 4);
        got = f;
      } else {
        std::uint16_t bits;
        std::memcpy(&bits, p, 2);
        got = bfloat16{bits}.to_float();
      }
      if (pairs) {  // the pair kernels' order, bit for bit (every channel of rows of 7 pixels or more, the last group masked)
        const bool paired = Wo >= 7;
        float sum = 0.0f;
        for (std::uint32_t r = 0; r < R; r += paired ? 2 : 1)
          for (std::uint32_t j = 0; j < kw; ++j) {
            const std::int64_t col = std::int64_t{wo} * rc.stride - rc.pad_left + std::int64_t{j};
            if (col < 0 || col >= W) continue;
            for (std::uint32_t q = r; q < (paired ? std::min(r + 2, R) : r + 1); ++q)
              sum = std::fma(x[q][std::size_t(col) * C + c], weights[std::size_t{q * kw + j} * Cpad + c], sum);
          }
        if (!paired) {  // the widening kernel: rows outer, taps inner
          sum = 0.0f;
          for (std::uint32_t r = 0; r < R; ++r)
            for (std::uint32_t j = 0; j < kw; ++j) {
              const std::int64_t col = std::int64_t{wo} * rc.stride - rc.pad_left + std::int64_t{j};
              if (col >= 0 && col < W) sum = std::fma(x[r][std::size_t(col) * C + c], weights[std::size_t{r * kw + j} * Cpad + c], sum);
            }
        }
        const float y = static_cast<float>(activate(act, sum + weights[std::size_t{R * kw} * Cpad + c]));
        const float want = out_dtype == DataType::FLOAT32 ? y : bfloat16::from_float(y).to_float();
        ASSERT_EQ(static_cast<float>(got), want) << "pair order: pixel " << wo << " channel " << c;
      }
      // float32: the sum's rounding; bfloat16 output: one rounding of the result.
      const double tolerance = out_dtype == DataType::FLOAT32 ? 1e-5 * (scale + 1.0) : std::fabs(expected) / 128 + 1e-5 * (scale + 1.0);
      ASSERT_NEAR(got, expected, tolerance) << "output row " << o << " pixel " << wo << " channel " << c;
    }
  if (result) result->assign(out.begin() + guard_bytes, out.begin() + guard_bytes + out_rows * row_step);
}

class DwRowTest : public testing::TestWithParam<std::int64_t> {};

const std::vector<RowCase> kCases{
      {1, 3, 3, 1, 1, 1, 9},    {15, 3, 3, 1, 1, 1, 12},  {16, 3, 2, 1, 1, 1, 17},  {17, 3, 3, 2, 1, 1, 23},
      {32, 1, 1, 1, 1, 0, 7},   {33, 5, 5, 2, 1, 2, 14},  {40, 7, 7, 1, 1, 3, 7},   {64, 3, 3, 1, 2, 2, 19},
      {72, 5, 4, 1, 1, 2, 28},  {100, 7, 3, 1, 1, 3, 56}, {120, 5, 5, 1, 3, 6, 11}, {144, 9, 1, 2, 1, 4, 30},
      {7, 3, 3, 1, 1, 5, 4},    {48, 1, 1, 2, 1, 0, 9},
      // The sliding family's tile shapes: wide rows, rows of 4-7 outputs (overlapping
      // 4-pixel tiles), under 4 outputs (1-pixel tiles), stride 2, whole and masked vectors.
      {144, 3, 3, 2, 1, 1, 112}, {64, 5, 5, 1, 1, 2, 6},  {40, 7, 7, 2, 1, 3, 5},   {96, 3, 1, 1, 1, 0, 5},
      {33, 7, 2, 2, 1, 3, 30},   {160, 5, 3, 2, 1, 2, 17}, {8, 3, 3, 1, 1, 1, 57}};

TEST_P(DwRowTest, MatchesTheReferenceWithGuardsIntact) {
  for (const RowCase& rc : kCases)
    for (DataType in : {DataType::FLOAT32, DataType::BFLOAT16})
      for (DataType out : {DataType::FLOAT32, DataType::BFLOAT16})
        for (Activation act : {Activation::NONE, Activation::RELU, Activation::RELU6}) {
          run_case(rc, in, out, act, GetParam());
          if (in == DataType::BFLOAT16 && out == DataType::BFLOAT16) run_case(rc, in, out, act, GetParam(), nullptr, RowOptions{.even_odd = false});
          if (HasFatalFailure()) return;
        }
}

// The masked tails read nothing past the row's last channel: Highway 1.0.3's
// MaskedLoad of 16-bit lanes below AVX-512 read a whole vector (partial_load-inl.h).
TEST_P(DwRowTest, TailsReadNothingPastTheRow) {
  for (const RowCase& rc : kCases)
    for (DataType in : {DataType::FLOAT32, DataType::BFLOAT16}) {
      run_case(rc, in, DataType::FLOAT32, Activation::NONE, GetParam(), nullptr, RowOptions{.guard_page = true});
      if (HasFatalFailure()) return;
    }
}

// Streaming stores (DwRowShape::stream_output): the same bits as ordinary stores into
// the same aligned row, the reference met and every guard byte intact, whole vectors
// and masked tails (the tails take ordinary stores), each dtype pair.
TEST_P(DwRowTest, StreamedOutputIsTheSameBits) {
  for (const RowCase& rc : kCases)
    for (DataType in : {DataType::FLOAT32, DataType::BFLOAT16})
      for (DataType out : {DataType::FLOAT32, DataType::BFLOAT16}) {
        std::vector<std::uint8_t> stored, streamed;
        run_case(rc, in, out, Activation::RELU6, GetParam(), &stored, RowOptions{.aligned_output = true});
        run_case(rc, in, out, Activation::RELU6, GetParam(), &streamed, RowOptions{.stream = true});
        if (HasFatalFailure()) return;
        ASSERT_EQ(stored, streamed) << "C=" << rc.channels << " kw=" << rc.kernel_w << " stride=" << rc.stride;
      }
}

// The two-row kernels (float32 input, sliding family, on the targets that have them):
// both rows against the reference and bit for bit against the one-row kernel, guards
// intact (also between the rows), nothing read past an input row, streamed stores.
TEST_P(DwRowTest, TwoRowsAreTheOneRowKernelsBits) {
  const std::string target = hwy::TargetName(GetParam());
  std::size_t covered = 0;
  for (const RowCase& rc : kCases) {
    const DwRowMicrokernel k =
        select_dw_row_microkernel(DwRowKernelKey{DataType::FLOAT32, DataType::FLOAT32, Activation::NONE, rc.kernel_w, rc.stride, rc.dilation}, GetParam());
    // The sliding family has them for every width and stride on AVX-512, for width 3 on AVX2.
    const bool sliding = k.name.find("_generic_") == std::string::npos;
    const bool expected = sliding && (target.rfind("AVX3", 0) == 0 || (target == "AVX2" && rc.kernel_w == 3));
    EXPECT_EQ(k.two_rows != nullptr, expected) << k.name;
    if (k.two_rows == nullptr) continue;
    ++covered;
    for (DataType out : {DataType::FLOAT32, DataType::BFLOAT16})
      for (Activation act : {Activation::NONE, Activation::RELU6}) {
        run_case(rc, DataType::FLOAT32, out, act, GetParam(), nullptr, RowOptions{.two_rows = true});
        run_case(rc, DataType::FLOAT32, out, act, GetParam(), nullptr, RowOptions{.guard_page = true, .two_rows = true});
        run_case(rc, DataType::FLOAT32, out, act, GetParam(), nullptr, RowOptions{.stream = true, .two_rows = true});
        if (HasFatalFailure()) return;
      }
  }
  if (covered == 0) GTEST_SKIP() << target << " has no two-row kernels";
  EXPECT_GE(covered, target == "AVX2" ? 8u : 15u);
}

// What a kernel says one of its stores writes (DwRowMicrokernel::store_bytes, the host
// program's whole-line test for streaming stores): one vector of channels, N lanes as
// the generic family's name gives them (its tiles are 2 vectors wide), except the
// even/odd bfloat16 tiles of 2N channels on 16-lane targets and the pair kernels'
// 64-byte groups. So AVX2 (N = 8) says 32 bytes for float32: half a line.
TEST_P(DwRowTest, StoreBytesAreWhatTheTilesWrite) {
  const auto lanes = [&](DataType in, DataType out) {
    const DwRowMicrokernel generic = select_dw_row_microkernel(DwRowKernelKey{in, out, Activation::NONE, 9, 1, 1}, GetParam());
    const std::size_t at = generic.name.find("_generic_") + 9;
    return std::stoul(generic.name.substr(at)) / 2;
  };
  for (DataType in : {DataType::FLOAT32, DataType::BFLOAT16})
    for (DataType out : {DataType::FLOAT32, DataType::BFLOAT16})
      for (std::uint32_t kw : {3u, 9u}) {
        SCOPED_TRACE(std::string(to_string(in)) + " -> " + std::string(to_string(out)) + " k" + std::to_string(kw));
        const std::size_t N = lanes(in, out), es = element_size(out);
        const DwRowMicrokernel k = select_dw_row_microkernel(DwRowKernelKey{in, out, Activation::NONE, kw, 1, 1}, GetParam());
        const bool even_odd = kw == 3 && in == DataType::BFLOAT16 && out == DataType::BFLOAT16 && N == 16;
        EXPECT_EQ(k.store_bytes, even_odd ? 2 * N * es : N * es) << k.name;
        EXPECT_EQ(k.two_row_store_bytes, k.two_rows == nullptr ? 0 : N * es) << k.two_rows_name;
        if (std::string(hwy::TargetName(GetParam())) == "AVX2" && out == DataType::FLOAT32) {
          EXPECT_EQ(k.store_bytes, 32u);
        }
      }
  if (dw_row_bf16_pairs_supported() && GetParam() == dw_row_targets().front()) {
    for (DataType out : {DataType::FLOAT32, DataType::BFLOAT16})
      EXPECT_EQ(select_dw_row_microkernel(DwRowKernelKey{DataType::BFLOAT16, out, Activation::NONE, 5, 1, 1, true}).store_bytes, 64u);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryTarget, DwRowTest, testing::ValuesIn(dw_row_targets()),
                         [](const testing::TestParamInfo<std::int64_t>& info) { return std::string(hwy::TargetName(info.param)); });

// The AVX512_BF16 pair kernels, where the CPU has them: the sliding cases (and wider
// ones: several 32-channel groups, a tail, lone last rows), against the reference and
// bit for bit against their documented order.
TEST(DwRowBf16Pairs, MatchTheReferenceAndTheirOrder) {
  if (!dw_row_bf16_pairs_supported()) GTEST_SKIP() << "this CPU has no AVX512_BF16";
  const std::vector<RowCase> cases{{32, 3, 3, 1, 1, 1, 9},   {64, 3, 2, 1, 1, 1, 17},  {96, 3, 1, 2, 1, 1, 30},   {160, 5, 5, 1, 1, 2, 14},
                                   {200, 5, 3, 2, 1, 2, 29}, {64, 7, 7, 1, 1, 3, 7},   {96, 7, 4, 1, 1, 3, 56},   {33, 3, 3, 1, 1, 1, 20},
                                   {144, 3, 3, 2, 1, 1, 112}, {64, 5, 5, 1, 1, 2, 6}, {40, 7, 7, 2, 1, 3, 5},
                                   {40, 3, 19, 1, 1, 1, 14},   // nine row pairs and a lone row
                                   // only a masked group, several groups and a masked one
                                   {1, 3, 3, 1, 1, 1, 9},      {17, 5, 5, 2, 1, 2, 23}, {120, 5, 5, 1, 1, 2, 28}};
  for (const RowCase& rc : cases)
    for (DataType out : {DataType::FLOAT32, DataType::BFLOAT16})
      for (Activation act : {Activation::NONE, Activation::RELU6}) {
        run_case(rc, DataType::BFLOAT16, out, act, 0, nullptr, RowOptions{.pairs = true});
        run_case(rc, DataType::BFLOAT16, out, act, 0, nullptr, RowOptions{.pairs = true, .stream = true});
        // The masked last group reads nothing past the row's last channel.
        run_case(rc, DataType::BFLOAT16, out, act, 0, nullptr, RowOptions{.pairs = true, .guard_page = true});
        if (HasFatalFailure()) return;
      }
}

TEST(DwRowBf16Pairs, NotForWeightsThatAreNotBfloat16) {
  std::vector<float> packed(std::size_t{9 + 1} * 64, 0.5f), out;
  EXPECT_TRUE(pack_bf16_pair_weights(packed, 3, 3, 64, 64, out));
  out.clear();
  packed[5] = 0.1f;  // not a bfloat16 value
  EXPECT_FALSE(pack_bf16_pair_weights(packed, 3, 3, 64, 64, out));
  packed[5] = std::numeric_limits<float>::infinity();
  EXPECT_FALSE(pack_bf16_pair_weights(packed, 3, 3, 64, 64, out));
  EXPECT_TRUE(out.empty());
}

TEST(DwRowEvenOdd, WeightsAreEvenThenOddChannelsPerGroup) {
  std::vector<float> packed(2 * 64), out{-1.0f};
  for (std::size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<float>(i % 64);
  pack_even_odd_weights(packed, 40, 64, out);
  ASSERT_EQ(out.size(), 1 + packed.size());
  EXPECT_EQ(out[0], -1.0f);  // appended
  for (std::size_t row = 0; row < 2; ++row) {
    const float* r = out.data() + 1 + row * 64;
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(r[i], 2.0f * i);           // even channels of the first group
      EXPECT_EQ(r[16 + i], 2.0f * i + 1);  // odd ones
    }
    for (int i = 0; i < 4; ++i) EXPECT_EQ(r[32 + i], 32.0f + 2 * i);  // second group: channels 32..39 only
    EXPECT_EQ(r[48], 33.0f);
    EXPECT_EQ(r[36], 0.0f);  // channel 40 does not exist
  }
}

// The SIMD targets differ in tile shapes, not in the order of the sums: same bits.
TEST(DwRowTargets, SimdTargetsAgreeBitForBit) {
  std::vector<std::int64_t> simd;
  for (std::int64_t t : dw_row_targets())
    if (t != HWY_SCALAR && t != HWY_EMU128) simd.push_back(t);
  if (simd.size() < 2) GTEST_SKIP() << "this CPU runs one SIMD target";
  for (const RowCase& rc : kCases)
    for (DataType in : {DataType::FLOAT32, DataType::BFLOAT16})
      for (DataType out : {DataType::FLOAT32, DataType::BFLOAT16}) {
        std::vector<std::uint8_t> first, other;
        run_case(rc, in, out, Activation::RELU6, simd.front(), &first);
        for (std::size_t i = 1; i < simd.size(); ++i) {
          run_case(rc, in, out, Activation::RELU6, simd[i], &other);
          ASSERT_EQ(first, other) << hwy::TargetName(simd[i]) << " differs from " << hwy::TargetName(simd.front()) << " C=" << rc.channels
                                  << " kw=" << rc.kernel_w << " stride=" << rc.stride;
        }
      }
}

TEST(DwRowSelection, NamesTheKernelAndRejectsWhatItCannotFuse) {
  const DwRowMicrokernel k = select_dw_row_microkernel(DwRowKernelKey{DataType::BFLOAT16, DataType::FLOAT32, Activation::RELU6, 3, 2, 1});
  EXPECT_NE(k.fn, nullptr);
  EXPECT_NE(k.name.find("dwconv_row_bf16_f32acc_f32_relu6_k3s2_"), std::string::npos) << k.name;
  EXPECT_NE(k.name.find(hwy::TargetName(dw_row_targets().front())), std::string::npos) << k.name;
  // Widths, strides and dilations the sliding family does not cover take the generic one.
  for (const DwRowKernelKey key : {DwRowKernelKey{DataType::FLOAT32, DataType::FLOAT32, Activation::NONE, 3, 1, 2},
                                   DwRowKernelKey{DataType::FLOAT32, DataType::FLOAT32, Activation::NONE, 9, 1, 1},
                                   DwRowKernelKey{DataType::FLOAT32, DataType::FLOAT32, Activation::NONE, 5, 3, 1}})
    EXPECT_NE(select_dw_row_microkernel(key).name.find("_generic_"), std::string::npos);
  EXPECT_NE(select_dw_row_microkernel(DwRowKernelKey{DataType::FLOAT32, DataType::FLOAT32, Activation::NONE, 7, 1, 1}).name.find("_k7s1_"),
            std::string::npos);
  // The two-row kernels: float32 input only, named by their tile (one vector of lanes).
  const DwRowMicrokernel f32 = select_dw_row_microkernel(DwRowKernelKey{DataType::FLOAT32, DataType::BFLOAT16, Activation::RELU6, 5, 1, 1});
  if (f32.two_rows != nullptr)
    EXPECT_NE(f32.two_rows_name.find("dwconv_2rows_f32_f32acc_bf16_relu6_k5s1_16c7p_"), std::string::npos) << f32.two_rows_name;
  else
    EXPECT_EQ(f32.two_rows_name, "");
  EXPECT_EQ(k.two_rows, nullptr);
  EXPECT_EQ(k.two_rows_name, "");
  EXPECT_FALSE(dw_row_supports(Activation::GELU));
  EXPECT_THROW(select_dw_row_microkernel(DwRowKernelKey{DataType::FLOAT32, DataType::FLOAT32, Activation::SILU, 3, 1, 1}), InvalidArgument);
  EXPECT_THROW(select_dw_row_microkernel(DwRowKernelKey{DataType::FLOAT32, DataType::FLOAT32, Activation::NONE, 3, 0, 1}), InvalidArgument);
  EXPECT_GE(dw_row_targets().size(), 2u);  // at least the best SIMD target and the portable one
}

}  // namespace
}  // namespace shardwise
