// The host preset's program (ops/conv2d/host): the real layers of bench/layers.csv end
// to end through the row microkernels, float32 and bfloat16, bias and relu6, batch 1
// and 2, against the double-precision reference; and the cases that must keep the
// TT-faithful kernels on the host preset.
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <cstdlib>
#include <cstring>

#include "conv2d_runner.hpp"
#include "core/error.hpp"
#include "ops/conv2d/host/host_kernel_args.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"

namespace shardwise {
namespace {

struct HostLayer {
  const char* name;
  std::uint32_t hw, channels, kernel, stride, padding;
};

// bench/layers.csv
const HostLayer kLayers[] = {{"mnv2_1", 112, 32, 3, 1, 1},   {"mnv2_2", 112, 96, 3, 2, 1},   {"mnv2_3", 56, 144, 3, 1, 1},
                             {"mnv2_4", 14, 576, 3, 1, 1},   {"mnv2_5", 7, 960, 3, 1, 1},    {"mnv3_6", 56, 72, 5, 2, 2},
                             {"mnv3_7", 28, 120, 5, 1, 2},   {"mnv3_8", 14, 672, 5, 2, 2},   {"effb0_9", 56, 144, 5, 2, 2},
                             {"effb0_10", 14, 672, 5, 1, 2}, {"effb0_11", 7, 1152, 5, 1, 2}, {"convnext_12", 56, 96, 7, 1, 3},
                             {"convnext_13", 28, 192, 7, 1, 3}, {"convnext_14", 14, 384, 7, 1, 3}, {"convnext_15", 7, 768, 7, 1, 3}};

ConvCase host_case(const HostLayer& l, DataType dtype, std::uint32_t batch) {
  ConvCase c;
  c.arch = "host";
  Conv2dParams& p = c.params;
  p.batch = batch;
  p.in_channels = p.out_channels = p.groups = l.channels;
  p.input_height = p.input_width = l.hw;
  p.kernel_h = p.kernel_w = l.kernel;
  p.stride_h = p.stride_w = l.stride;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = l.padding;
  c.dtype = dtype;
  c.config.weights_dtype = dtype;
  c.config.activation = Activation::RELU6;
  c.bias = true;
  c.seed = l.channels + batch;
  return c;
}

class HostRealLayers : public testing::TestWithParam<HostLayer> {};

// Batch 1 with the watcher on (every window descriptor and region checked against the
// chip's rules), batch 2 with the host preset's default (off).
TEST_P(HostRealLayers, MatchTheReference) {
  for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16})
    for (std::uint32_t batch : {1u, 2u}) {
      ConvCase c = host_case(GetParam(), dtype, batch);
      if (batch == 1) c.watcher = true;
      const ConvRun run = run_conv_case(c);
      EXPECT_EQ(run.watcher, batch == 1);
      SCOPED_TRACE(std::string(to_string(dtype)) + " batch " + std::to_string(batch));
      EXPECT_NE(run.result.plan->host_microkernel, "");  // the host program ran
      // Two output rows per call: float32 input, vertical stride 1, a target with the kernels.
      const HostLayer& l = GetParam();
      const bool two_rows = dtype == DataType::FLOAT32 && l.stride == 1 &&
                            select_dw_row_microkernel(DwRowKernelKey{dtype, dtype, Activation::RELU6, l.kernel, l.stride, 1}).two_rows != nullptr;
      EXPECT_EQ(run.result.plan->parallel.reason.find("two output rows per call") != std::string::npos, two_rows) << run.result.plan->parallel.reason;
      EXPECT_GE(run.comparison.pcc, 0.99999);
      EXPECT_LE(run.comparison.norm_max_err, dtype == DataType::FLOAT32 ? 1e-5 : 1e-2);
    }
}

INSTANTIATE_TEST_SUITE_P(Layers, HostRealLayers, testing::ValuesIn(kLayers),
                         [](const testing::TestParamInfo<HostLayer>& info) { return std::string(info.param.name); });

// SHARDWISE_BF16_PAIRS: 1, the AVX512_BF16 pair kernels where the CPU has them; 0, the
// widening kernels; unset or auto, the pairs where dw_row_bf16_pairs_preferred and the
// stride is 1 (the real layers end to end each way: mnv2_1 and convnext_13 stride 1,
// mnv3_8 stride 2); any other value is refused by name.
TEST(HostProgram, Bf16PairKernelsOnRequestAndWherePreferred) {
  struct Unset {
    ~Unset() { unsetenv("SHARDWISE_BF16_PAIRS"); }
  } unset;
  enum class Expect { SUPPORTED, NEVER, PREFERRED_STRIDE_1 };
  const std::vector<std::pair<const char*, Expect>> settings{
      {"1", Expect::SUPPORTED}, {"0", Expect::NEVER}, {"auto", Expect::PREFERRED_STRIDE_1}, {nullptr, Expect::PREFERRED_STRIDE_1}};
  for (const auto& [value, expect] : settings) {
    if (value) setenv("SHARDWISE_BF16_PAIRS", value, 1);
    else unsetenv("SHARDWISE_BF16_PAIRS");
    for (const HostLayer& layer : {kLayers[0], kLayers[7], kLayers[12]}) {
      const bool pairs = expect == Expect::SUPPORTED            ? dw_row_bf16_pairs_supported()
                         : expect == Expect::PREFERRED_STRIDE_1 ? dw_row_bf16_pairs_preferred() && layer.stride == 1
                                                                : false;
      const ConvRun run = run_conv_case(host_case(layer, DataType::BFLOAT16, 1));
      SCOPED_TRACE(std::string(layer.name) + " SHARDWISE_BF16_PAIRS=" + (value ? value : "(unset)"));
      EXPECT_EQ(run.result.plan->host_microkernel.find("bf16pairs") != std::string::npos, pairs) << run.result.plan->host_microkernel;
      EXPECT_GE(run.comparison.pcc, 0.99999);
      EXPECT_LE(run.comparison.norm_max_err, 1e-2);
    }
  }
  setenv("SHARDWISE_BF16_PAIRS", "yes", 1);
  try {
    run_conv_case(host_case(kLayers[0], DataType::BFLOAT16, 1));
    ADD_FAILURE() << "SHARDWISE_BF16_PAIRS=yes was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("SHARDWISE_BF16_PAIRS='yes'"), std::string::npos) << e.what();
  }
}

// Kernels taller than the compute kernel's inline row arrays (2 x 17 + 2 rows > 32; float32
// in two-row calls).
TEST(HostProgram, TallKernelsMatchTheReference) {
  for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16}) {
    ConvCase c = host_case(HostLayer{"tall", 20, 48, 3, 1, 1}, dtype, 2);
    c.params.kernel_h = 17;
    c.params.pad_top = c.params.pad_bottom = 8;
    const ConvRun run = run_conv_case(c);
    SCOPED_TRACE(to_string(dtype));
    EXPECT_NE(run.result.plan->host_microkernel, "");
    EXPECT_GE(run.comparison.pcc, 0.99999);
    EXPECT_LE(run.comparison.norm_max_err, dtype == DataType::FLOAT32 ? 1e-5 : 1e-2);
  }
}

// A layer at batch 1 on 2 host cores with a 64 KiB "L2" each (the host preset's L1),
// the watcher on, through the host program and within the reference's bounds.
ConvRun run_with_small_l2(const HostLayer& layer, DataType dtype) {
  ConvCase c = host_case(layer, dtype, 1);
  c.arch_overrides = ArchOverrides{2, 1, 64 * 1024};
  c.watcher = true;
  ConvRun run = run_conv_case(c);
  EXPECT_NE(run.result.plan->host_microkernel, "");
  EXPECT_GE(run.comparison.pcc, 0.99999);
  EXPECT_LE(run.comparison.norm_max_err, dtype == DataType::FLOAT32 ? 1e-5 : 1e-2);
  return run;
}

// The next-row prefetch is on only for inputs larger than 4x the cores' L2 (the host
// preset's L1): with a 64 KiB "L2" on 2 cores, mnv2_3 at batch 1 (1.8 MB in float32)
// takes it, batch 1 of mnv2_5 (188 KB) does not; results are the same either way.
TEST(HostProgram, NextRowPrefetchOnlyForLargeInputs) {
  for (const HostLayer& layer : {kLayers[2], kLayers[4]})
    for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16}) {
      SCOPED_TRACE(std::string(layer.name) + " " + std::string(to_string(dtype)));
      const ConvRun run = run_with_small_l2(layer, dtype);
      const std::uint64_t input_bytes = std::uint64_t{layer.hw} * layer.hw * layer.channels * element_size(dtype);
      EXPECT_EQ(run.result.plan->parallel.reason.find("next rows prefetched") != std::string::npos, input_bytes > 4 * 2 * 64 * 1024)
          << run.result.plan->parallel.reason;
    }
}

// Streaming stores for the output only when the input and output together are larger
// than the cores' L2 together (the host preset's L1: 64 KiB here, on 2 cores) and every
// pixel is whole 64-byte lines: mnv2_3 float32 (576-byte pixels, 1.8 MB out), mnv2_5
// float32 (188 KB out) and mnv2_5 bfloat16 (94 KB in, 94 KB out: not by the output
// alone) stream; mnv2_3 bfloat16 (288-byte pixels) and mnv3_7 (480 / 240-byte pixels)
// do not; and none where the kernels' stores write parts of lines (AVX2: 8 channels;
// DwRowMicrokernel::store_bytes). The results meet the reference either way (and the
// microkernel tests prove the same bits).
// Every SIMD target this CPU supports (the host program's kernels restricted to it).
TEST(HostProgram, OutputStreamedOnlyWhenLargeAndAligned) {
  struct Restore {
    ~Restore() { hwy::SetSupportedTargetsForTest(0); }
  } restore;
  for (const std::int64_t target : dw_row_targets())
    for (const HostLayer& layer : {kLayers[2], kLayers[4], kLayers[6]})
      for (DataType dtype : {DataType::FLOAT32, DataType::BFLOAT16}) {
        SCOPED_TRACE(std::string(hwy::TargetName(target)) + " " + std::string(layer.name) + " " + std::string(to_string(dtype)));
        hwy::SetSupportedTargetsForTest(target);
        const ConvRun run = run_with_small_l2(layer, dtype);
        hwy::SetSupportedTargetsForTest(0);
        EXPECT_NE(run.result.plan->host_microkernel.find(hwy::TargetName(target)), std::string::npos) << run.result.plan->host_microkernel;
        const std::uint64_t pixel_bytes = layer.channels * element_size(dtype);
        const std::uint64_t out_hw = (layer.hw + 2 * layer.padding - layer.kernel) / layer.stride + 1;
        const std::uint64_t in_out_bytes = (std::uint64_t{layer.hw} * layer.hw + out_hw * out_hw) * pixel_bytes;
        const std::uint32_t stride = layer.stride;
        const DwRowMicrokernel kernel =
            select_dw_row_microkernel(DwRowKernelKey{dtype, dtype, Activation::NONE, layer.kernel, stride, 1}, target);
        const bool whole_lines = kernel.store_bytes % 64 == 0 && (stride != 1 || kernel.two_row_store_bytes % 64 == 0);
        const bool expected = in_out_bytes > 2 * 64 * 1024 && pixel_bytes % 64 == 0 && whole_lines;
        EXPECT_EQ(run.result.plan->parallel.reason.find("output streamed") != std::string::npos, expected) << run.result.plan->parallel.reason;
      }
}

// How the host program cuts the work on 2 cores (8 items wanted): row chunks where an
// image has rows enough (mnv2_1: 112 rows in chunks of 14); whole images x channel
// blocks where it has not and the channels make 8 blocks (mnv2_5: 7 rows, 960 channels
// in 8 blocks of 128), so that each item's L1 passes run over several rows; one-row
// chunks when the channels are too few for that (7 rows of 32 channels), or chunks of
// one pair of rows where the two-row kernels run (float32 on AVX-512).
TEST(HostProgram, FewRowsGiveWholeImagesInChannelBlocks) {
  struct Case {
    HostLayer layer;
    const char* split;
    const char* split_in_pairs;
  };
  for (const Case& k : {Case{kLayers[0], "112 output rows in chunks of up to 14 x 1 channel block(s) of up to 32 over 2 core(s)", nullptr},
                        Case{kLayers[4], "7 output rows in chunks of up to 7 x 8 channel block(s) of up to 128 over 2 core(s)", nullptr},
                        Case{HostLayer{"narrow", 7, 32, 3, 1, 1}, "7 output rows in chunks of up to 1 x 1 channel block(s) of up to 32 over 2 core(s)",
                             "7 output rows in chunks of up to 2 x 1 channel block(s) of up to 32 over 2 core(s)"}}) {
    ConvCase c = host_case(k.layer, DataType::FLOAT32, 1);
    c.arch_overrides = ArchOverrides{2, 1, std::nullopt};
    const ConvRun run = run_conv_case(c);
    SCOPED_TRACE(k.layer.name);
    const bool pairs = run.result.plan->host_microkernel.find("2rows") != std::string::npos;
    const char* split = pairs && k.split_in_pairs != nullptr ? k.split_in_pairs : k.split;
    EXPECT_NE(run.result.plan->parallel.reason.find(split), std::string::npos) << run.result.plan->parallel.reason;
    EXPECT_GE(run.comparison.pcc, 0.99999);
    EXPECT_LE(run.comparison.norm_max_err, 1e-5);
  }
}

// The work cuts are even: an image's row chunks differ by one row at most and channel
// blocks by one 32-channel group at most, covering everything once, blocks starting on
// whole groups; and on 2 cores the batch-1 layers cut into row chunks give each core
// the same number of output rows (mnv3_7's 28 rows were 15 + 13 with chunks of 3 and a
// short last one).
TEST(HostProgram, WorkCutsAreEven) {
  for (std::uint32_t rows : {1u, 7u, 14u, 28u, 56u, 112u})
    for (std::uint32_t chunks = 1; chunks <= rows; ++chunks) {
      SCOPED_TRACE(std::to_string(rows) + " rows in " + std::to_string(chunks) + " chunks");
      ASSERT_EQ(host_chunk_begin(0, rows, chunks), 0u);
      ASSERT_EQ(host_chunk_begin(chunks, rows, chunks), rows);
      for (std::uint32_t i = 0; i < chunks; ++i) {
        const std::uint32_t size = host_chunk_begin(i + 1, rows, chunks) - host_chunk_begin(i, rows, chunks);
        ASSERT_TRUE(size == rows / chunks || size == rows / chunks + 1) << "chunk " << i << ": " << size << " rows";
      }
    }
  // In units of two rows (the two-row kernels): chunks of whole pairs, differing by one
  // pair at most; an odd image's last pair is its last row alone.
  for (std::uint32_t rows : {1u, 7u, 14u, 28u, 56u, 112u}) {
    const std::uint32_t pairs = (rows + 1) / 2;
    for (std::uint32_t chunks = 1; chunks <= pairs; ++chunks) {
      SCOPED_TRACE(std::to_string(rows) + " rows in " + std::to_string(chunks) + " chunks of pairs");
      ASSERT_EQ(host_chunk_begin(0, rows, chunks, 2), 0u);
      ASSERT_EQ(host_chunk_begin(chunks, rows, chunks, 2), rows);
      for (std::uint32_t i = 0; i < chunks; ++i) {
        const std::uint32_t begin = host_chunk_begin(i, rows, chunks, 2), end = host_chunk_begin(i + 1, rows, chunks, 2);
        ASSERT_EQ(begin % 2, 0u) << "chunk " << i;
        const std::uint32_t size_pairs = (end - begin + 1) / 2;
        ASSERT_TRUE(size_pairs == pairs / chunks || size_pairs == pairs / chunks + 1) << "chunk " << i << ": " << end - begin << " rows";
      }
    }
  }
  for (std::uint32_t channels : {1u, 32u, 72u, 144u, 672u, 960u, 1152u})
    for (std::uint32_t blocks = 1; blocks <= (channels + 31) / 32; ++blocks) {
      SCOPED_TRACE(std::to_string(channels) + " channels in " + std::to_string(blocks) + " blocks");
      const std::uint32_t groups = (channels + 31) / 32;
      ASSERT_EQ(host_block_begin(0, channels, blocks), 0u);
      ASSERT_EQ(host_block_begin(blocks, channels, blocks), channels);
      for (std::uint32_t b = 0; b < blocks; ++b) {
        const std::uint32_t begin = host_block_begin(b, channels, blocks), end = host_block_begin(b + 1, channels, blocks);
        ASSERT_EQ(begin % 32, 0u) << "block " << b;
        const std::uint32_t block_groups = (end - begin + 31) / 32;
        ASSERT_TRUE(block_groups == groups / blocks || block_groups == groups / blocks + 1) << "block " << b << ": " << block_groups;
      }
    }
  for (const HostLayer& layer : kLayers) {
    ConvCase c = host_case(layer, DataType::FLOAT32, 1);
    c.arch_overrides = ArchOverrides{2, 1, std::nullopt};
    const ConvRun run = run_conv_case(c);
    const auto& cores = run.result.plan->slices.at(0).cores;
    SCOPED_TRACE(std::string(layer.name) + ": " + run.result.plan->parallel.reason);
    ASSERT_EQ(cores.size(), 2u);
    if (run.result.plan->parallel.reason.find(" x 1 channel block(s)") == std::string::npos) continue;  // split by channels
    EXPECT_EQ(cores[0].num_outputs, cores[1].num_outputs);
    EXPECT_EQ(cores[0].first_output + cores[0].num_outputs, cores[1].first_output);
  }
}

// The host program reads an input and writes an output that wrap the caller's memory
// (no copy either way): the same bits as with device-allocated tensors; a call the
// host program does not run, or an output of the wrong shape, is refused.
TEST(HostProgram, WritesIntoAGivenOutputOverCallerMemory) {
  Device device(arch_preset("host", ArchOverrides{2u, std::nullopt, std::nullopt}), DeviceOptions{{}, 2, std::nullopt});
  Conv2dParams p;
  p.in_channels = p.out_channels = p.groups = 64;
  p.input_height = p.input_width = 9;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  Conv2dConfig config;
  config.weights_dtype = DataType::FLOAT32;
  std::vector<float> x(9 * 9 * 64), w(64 * 9), b(64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 11) % 13) / 6.0f - 1.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i) / 64.0f;
  const PreparedWeights prepared = prepare_depthwise_weights(device, Tensor::from_vector(w, Shape{64, 1, 3, 3}),
                                                             Tensor::from_vector(b, Shape{64}), 1, DataType::FLOAT32);
  const DeviceTensor input = to_device(Tensor::from_vector(x, Shape{1, 1, 81, 64}), device, MemoryConfig::dram_interleaved());
  const std::vector<float> expected = from_device(conv2d(input, prepared, device, p, config).output).to_vector();

  std::vector<float> out(81 * 64, -7.0f);
  const std::span<std::uint8_t> out_bytes{reinterpret_cast<std::uint8_t*>(out.data()), out.size() * 4};
  const DeviceTensor target = wrap_host_memory(out_bytes, Shape{1, 9, 9, 64}, DataType::FLOAT32, device);
  const DeviceTensor wrapped_input =
      wrap_host_memory({reinterpret_cast<std::uint8_t*>(x.data()), x.size() * 4}, Shape{1, 1, 81, 64}, DataType::FLOAT32, device);
  const Conv2dResult result = conv2d(wrapped_input, prepared, device, p, config, &target);
  EXPECT_EQ(result.output.buffer, target.buffer);
  EXPECT_EQ(std::memcmp(out.data(), expected.data(), out.size() * 4), 0);  // bit for bit, written in place

  // A program that streams its output (a 10 KiB "L2" per core: the 20.25 KiB output is
  // larger than two) into caller memory 64-byte aligned or not: the kernel streams only
  // into the aligned one, and both get the same bits.
  Device small(arch_preset("host", ArchOverrides{2u, std::nullopt, 10u * 1024}), DeviceOptions{{}, 2, std::nullopt});
  const PreparedWeights small_prepared = prepare_depthwise_weights(small, Tensor::from_vector(w, Shape{64, 1, 3, 3}),
                                                                   Tensor::from_vector(b, Shape{64}), 1, DataType::FLOAT32);
  std::vector<float> wide(out.size() + 64);
  for (std::size_t offset : {0ul, 8ul, 4ul}) {  // floats past a 64-byte boundary
    float* first = wide.data() + (64 - reinterpret_cast<std::uintptr_t>(wide.data()) % 64) % 64 / 4 + offset;
    std::fill(wide.begin(), wide.end(), -7.0f);
    const DeviceTensor streamed = wrap_host_memory({reinterpret_cast<std::uint8_t*>(first), out.size() * 4}, Shape{1, 9, 9, 64},
                                                   DataType::FLOAT32, small);
    const DeviceTensor small_input = to_device(Tensor::from_vector(x, Shape{1, 1, 81, 64}), small, MemoryConfig::dram_interleaved());
    const Conv2dResult r = conv2d(small_input, small_prepared, small, p, config, &streamed);
    EXPECT_NE(r.plan->parallel.reason.find("output streamed"), std::string::npos) << r.plan->parallel.reason;
    EXPECT_EQ(std::memcmp(first, expected.data(), out.size() * 4), 0) << "offset " << offset;
  }

  const DeviceTensor wrong = wrap_host_memory(out_bytes, Shape{1, 1, 162, 32}, DataType::FLOAT32, device);
  EXPECT_THROW(conv2d(input, prepared, device, p, config, &wrong), InvalidArgument);
  Conv2dConfig gelu = config;
  gelu.activation = Activation::GELU;  // the TT-faithful kernels: no given output
  EXPECT_THROW(conv2d(input, prepared, device, p, gelu, &target), InvalidArgument);
}

TEST(HostProgram, ChipOnlyFeaturesKeepTheFaithfulKernels) {
  ConvCase c = host_case(kLayers[3], DataType::BFLOAT16, 1);
  c.config.bfloat16_accumulation = true;  // the chip's bf16 Dst: not a host microkernel
  ConvRun run = run_conv_case(c);
  EXPECT_EQ(run.result.plan->host_microkernel, "");
  EXPECT_GE(run.comparison.pcc, 0.999);
  c.config.bfloat16_accumulation = false;
  c.config.activation = Activation::GELU;
  run = run_conv_case(c);
  EXPECT_EQ(run.result.plan->host_microkernel, "");
  EXPECT_GE(run.comparison.pcc, 0.9999);
}

}  // namespace
}  // namespace shardwise
