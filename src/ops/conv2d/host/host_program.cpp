#include "ops/conv2d/host/host_program.hpp"

#include <algorithm>
#include <memory>

#include "core/error.hpp"
#include "device/program.hpp"
#include "ops/conv2d/host/host_kernel_args.hpp"
#include "ops/conv2d/host/host_work_split.hpp"
#include "ops/conv2d/microkernels/dwconv_row.hpp"
#include "tensor/tile_layout.hpp"

namespace shardwise {
namespace {

std::uint32_t packed_channels(std::uint32_t channels) { return round_up(channels, kPackedChannelAlign); }

}  // namespace

bool host_program_applies(const Device& device, const DeviceTensor& input, const Conv2dConfig& config) {
  const Arch& arch = device.arch();
  return arch.is_host() && arch.num_dram_banks == 1 && input.memory_config.buffer_type == BufferType::DRAM &&
         input.layout == Layout::ROW_MAJOR && config.output_layout == Layout::ROW_MAJOR && dw_row_supports(config.activation) &&
         !config.bfloat16_accumulation && numerics_in_force(config, arch) == Numerics::EXACT && config.fault == InjectedFault::NONE &&
         config.dram_slices.value_or(1) <= 1;  // slices asked for: the TT-faithful programs run them
}

// The AVX512_BF16 pair kernels (microkernels/dwconv_row_bf16_pairs.cpp):
// SHARDWISE_BF16_PAIRS=1 asks for them on every shape they cover (where the CPU has the
// instruction), 0 for the widening kernels; unset or `auto`, they run where they are the
// better choice: on a CPU that runs VDPBF16PS at the FMA rate
// (dw_row_bf16_pairs_preferred) and for stride-1 rows. On a Xeon (Sapphire Rapids) it
// retires at a quarter of the FMA rate (1.65 vs 6.7 G instructions/s on one core,
// bench_microkernels InstructionRate) and the pair kernels ran the bfloat16 layers at
// 0.89x oneDNN against 1.29x for the widening ones; on a Zen 4 and a Zen 5 at the FMA
// rate, where they run 7x7 windows 1.2-1.7x faster. With stride 2 each interleaved
// column pair feeds half as many outputs, and on the Zen 5 the widening kernels were
// faster (DESIGN.md). Their results differ from the widening kernels' in summation order.
enum class Bf16Pairs { OFF, ON, AUTO };

Bf16Pairs bf16_pairs_setting() {
  const char* env = std::getenv("SHARDWISE_BF16_PAIRS");
  const std::string value = env ? env : "auto";
  check_arg(value == "0" || value == "1" || value == "auto", "SHARDWISE_BF16_PAIRS='{}': allowed are 0, 1 and auto", value);
  return value == "auto" ? Bf16Pairs::AUTO : value == "1" ? Bf16Pairs::ON : Bf16Pairs::OFF;
}

// Whether prepared weights get the pair copy: wherever the pair kernels may run.
bool use_bf16_pairs() {
  const Bf16Pairs setting = bf16_pairs_setting();
  return setting == Bf16Pairs::AUTO ? dw_row_bf16_pairs_preferred() : setting == Bf16Pairs::ON && dw_row_bf16_pairs_supported();
}

// Whether a conv whose weights have the pair copy runs the pair kernels.
bool bf16_pairs_suit(const Conv2dParams& p) { return bf16_pairs_setting() == Bf16Pairs::ON || p.stride_w == 1; }

DeviceTensor pack_host_weights(Device& device, const PreparedWeights& prepared) {
  const DepthwiseWeightLayout& l = prepared.layout;
  const std::uint32_t C = l.channels, K = l.kernel_h * l.kernel_w, Cpad = packed_channels(C);
  const std::vector<float> weights = unprepare_conv_weights(from_device(prepared.weights), l);  // [C][K]
  std::vector<float> packed(std::size_t{K + 1} * Cpad, 0.0f);
  for (std::uint32_t c = 0; c < C; ++c)
    for (std::uint32_t k = 0; k < K; ++k) packed[std::size_t{k} * Cpad + c] = weights[std::size_t{c} * K + k];
  if (prepared.bias) {
    const std::vector<float> bias = unprepare_conv_bias(from_device(*prepared.bias), C);
    std::copy(bias.begin(), bias.end(), packed.begin() + std::size_t{K} * Cpad);
  }
  // Copies after the float32 [K+1][Cpad] rows: the even/odd order (bfloat16 in and out
  // on AVX-512), then, with the AVX512_BF16 pair kernels asked for (use_bf16_pairs) and
  // bfloat16 weight values, the pair copy.
  const std::vector<float> natural = packed;
  pack_even_odd_weights(natural, C, Cpad, packed);
  const std::uint32_t copies = use_bf16_pairs() && (l.kernel_w == 3 || l.kernel_w == 5 || l.kernel_w == 7) &&
                                       pack_bf16_pair_weights(natural, l.kernel_h, l.kernel_w, C, Cpad, packed)
                                   ? 3
                                   : 2;
  return to_device(Tensor::from_vector(packed, Shape{1, 1, copies * (K + 1), Cpad}), device, MemoryConfig::dram_interleaved(),
                   "conv2d host-packed weights");
}

namespace {

// Everything the host program depends on except buffer addresses: a cached program
// is reused only for an equal key (the comparison is derived from every field).
struct HostProgramKey {
  Conv2dParams params;
  Conv2dConfig config;
  Arch arch;
  DataType input_dtype = DataType::FLOAT32;
  Layout input_layout = Layout::ROW_MAJOR;
  MemoryConfig input_memory;
  std::uint64_t input_page_bytes = 0, input_bytes = 0, weights_bytes = 0;  // the buffers' geometry
  std::uint64_t output_page_bytes = 0, output_bytes = 0;

  friend bool operator==(const HostProgramKey&, const HostProgramKey&) = default;
};

// What a call builds once: the program (kernels, CB, per-core work), its kernel
// handles and the plan it reports.
struct HostProgramEntry {
  Program program{"depthwise conv2d (host)"};
  KernelHandle reader = 0, compute = 0;
  std::shared_ptr<const Conv2dPlan> plan;  // plan->parallel.work: the cores that run, with their runtime args
};

HostProgramEntry build_host_program(const Device& device, const Conv2dParams& p, const Conv2dConfig& config, DataType in_dtype,
                                    DataType out_dtype, std::uint64_t in_stick_bytes, std::uint64_t out_stick_bytes,
                                    std::uint64_t input_bytes, std::uint64_t output_bytes, std::uint64_t weights_bytes) {
  const std::uint32_t C = p.in_channels, Ho = p.out_height(), Wo = p.out_width();
  const std::uint32_t cores_available = device.arch().num_cores();
  const std::uint32_t in_es = static_cast<std::uint32_t>(element_size(in_dtype));
  const std::uint32_t out_es = static_cast<std::uint32_t>(element_size(out_dtype));

  // The packed weights (pack_host_weights): [K+1][Cpad] floats, then the even/odd copy,
  // then the bfloat16 pair copy when they are three times that.
  const std::uint64_t copy_floats = (std::uint64_t{p.kernel_h * p.kernel_w} + 1) * packed_channels(C);
  const std::uint64_t copies = weights_bytes / (copy_floats * sizeof(float));
  const bool run_pairs = copies == 3 && bf16_pairs_suit(p);
  const DwRowMicrokernel kernel = select_dw_row_microkernel(
      DwRowKernelKey{in_dtype, out_dtype, config.activation, p.kernel_w, p.stride_w, p.dilation_w, run_pairs});
  // Two output rows per call where the kernel family has them and the rows are one
  // input row apart (DESIGN.md: each input column then feeds both rows' taps).
  const DwRowFn two_rows = p.stride_h == 1 && p.dilation_h == 1 ? kernel.two_rows : nullptr;
  const HostWorkSplit split =
      split_host_work(p, cores_available, in_es, HostCaches{host_l1d_bytes(), device.arch().l1_size}, two_rows != nullptr ? 2 : 1);
  const std::uint32_t blocks = split.channel_blocks, block_channels = split.block_channels;
  const std::uint64_t rows = std::uint64_t{p.batch} * Ho;
  const std::uint64_t items = std::uint64_t{p.batch} * split.chunks_per_image * blocks;
  const std::uint32_t cores = static_cast<std::uint32_t>(std::min<std::uint64_t>(cores_available, items));
  const std::uint64_t per_core = (items + cores - 1) / cores;
  const std::uint32_t max_in_rows = host_window_rows(split.chunk_rows, p.kernel_h, p.stride_h, p.dilation_h);
  const std::uint32_t pass_channels = split.pass_channels;

  DwRowShape shape;
  shape.kernel_w = p.kernel_w;
  shape.dilation_w = p.dilation_w;
  shape.stride_w = p.stride_w;
  shape.in_width = p.input_width;
  shape.pad_left = p.pad_left;
  shape.out_width = Wo;
  shape.in_pixel_stride = in_stick_bytes / in_es;
  shape.out_pixel_stride = out_stick_bytes / out_es;
  shape.packed_channels = packed_channels(C);
  shape.even_odd_weights = copies >= 2 ? copy_floats : 0;
  if (kernel.bf16_pairs) shape.pair_weights = 2 * copy_floats;

  // Software prefetch of the next output row's new input rows only for inputs of more
  // than 4x the cores' private L2 caches together (the host preset's L1 stands for one):
  // those stream from the shared L3 or DRAM, where it measured up to 1.5x faster
  // (batch 32: effb0_9 float32 2990 -> 2027 us, mnv2_2 bfloat16 5428 -> 3464 us); on
  // smaller inputs, still hot in the shared cache from the last call, it cost 3-17 %
  // (batch 1 float32: mnv3_6 22.6 -> 26.5 us, mnv2_2 95.1 -> 107.4 us). bench_compare,
  // 2 threads, with and without it in one session.
  const bool prefetch = input_bytes > 4ull * cores_available * device.arch().l1_size;
  // Streaming stores where a call's input and output together are larger than the
  // cores' L2 caches together, so that the output's lines leave for L3 or memory anyway:
  // a streaming store writes a whole line without first reading it (no read for
  // ownership), so the memory traffic drops from 3 to 2 bytes per output byte. (Until
  // the twelfth session the output alone had to be larger: mnv2_2 float32 batch 1,
  // 4.8 MB in and 1.2 MB out, read its output lines back from L3 on every call.) Only
  // where every pixel is whole 64-byte lines (each line then takes whole streaming
  // stores of one tile: lines shared by two pixels, written part by part, measured
  // slower than not streaming), and where each of the kernels' stores writes whole
  // lines: not on AVX2, whose 8-channel float32 tiles write half lines (simulated on
  // an AVX-512 Xeon with the AVX2 kernels, batch 32 float32: convnext_15 1377 / 1360
  // -> 869 / 911 us without streaming, convnext_14 2791 -> 2129 / 2138, effb0_11 866 /
  // 823 -> 660 / 654, mnv2_5 413 / 404 -> 334 / 334). The compute kernel also checks
  // the buffer's address per run. DESIGN.md has the measurements.
  const bool whole_line_stores = kernel.store_bytes % 64 == 0 && (two_rows == nullptr || kernel.two_row_store_bytes % 64 == 0);
  shape.stream_output = input_bytes + output_bytes > std::uint64_t{cores_available} * device.arch().l1_size && out_stick_bytes % 64 == 0 &&
                        std::uint64_t{C} * out_es % 64 == 0 && whole_line_stores;

  HostProgramEntry entry;
  auto plan_ptr = std::make_shared<Conv2dPlan>();
  Conv2dPlan& plan = *plan_ptr;
  entry.plan = plan_ptr;
  plan.arch = device.arch().name;
  plan.numerics = Numerics::EXACT;
  plan.math = chip_math_of(config);
  plan.output_in_dram = true;
  plan.host_microkernel = two_rows != nullptr ? fmt::format("{} + {}", kernel.name, kernel.two_rows_name) : kernel.name;
  ParallelConfig& pc = plan.parallel;
  pc.layout = TensorMemoryLayout::HEIGHT_SHARDED;
  pc.grid = CoreRangeSet{{CoreRange{{0, 0}, {cores - 1, 0}}}};
  pc.cores_nhw = cores;
  pc.channels_per_shard = block_channels;
  pc.reason = fmt::format("host program: {} output rows in chunks of up to {} x {} channel block(s) of up to {} over {} core(s), L1 passes of "
                          "{} channels, input read in place{}{}, microkernel {}{}", rows, split.chunk_rows, blocks, block_channels, cores,
                          pass_channels, prefetch ? ", next rows prefetched" : "", shape.stream_output ? ", output streamed" : "",
                          plan.host_microkernel, two_rows != nullptr ? " (two output rows per call)" : "");
  SlicePlan& slice = plan.slices.emplace_back();
  slice.num_outputs = p.output_sticks();
  // Output sticks per core, at most.
  slice.shard_height = static_cast<std::uint32_t>((per_core + blocks - 1) / blocks * split.chunk_rows * Wo);

  Program& program = entry.program;
  program.add_circular_buffer(pc.grid, CircularBufferConfig{kHostWindowCb, host_window_page_bytes(max_in_rows), kHostWindowPages,
                                                            DataType::UINT32, nullptr});
  const HostReaderArgs reader_args{p.kernel_h,
                                   p.dilation_h,
                                   p.stride_h,
                                   p.pad_top,
                                   p.input_height,
                                   Ho,
                                   split.chunk_rows,
                                   split.chunks_per_image,
                                   split.chunk_unit,
                                   C,
                                   blocks,
                                   in_stick_bytes,
                                   std::uint64_t{p.input_width} * in_stick_bytes,
                                   out_stick_bytes,
                                   std::uint64_t{Wo} * out_stick_bytes,
                                   in_es,
                                   out_es};
  const HostComputeArgs compute_args{shape,       kernel.fn,     two_rows,     p.kernel_h,   p.dilation_h,
                                     p.stride_h,  p.input_height, max_in_rows, pass_channels, std::uint64_t{Wo} * out_stick_bytes,
                                     input_bytes, output_bytes,  weights_bytes, in_es,
                                     out_es,      prefetch};
  entry.reader = program.add_kernel("reader_depthwise_host", KernelRole::READER, pc.grid, reader_depthwise_host, reader_args);
  entry.compute = program.add_kernel("compute_depthwise_host", KernelRole::COMPUTE, pc.grid, compute_depthwise_host, compute_args);
  // First (end 0) or past-the-end (end 1) output row, over the batch, of an item's chunk.
  const auto chunk_row = [&](std::uint64_t item, std::uint32_t end) {
    const std::uint64_t chunk = item / blocks, n = chunk / split.chunks_per_image;
    return n * Ho + host_chunk_begin(static_cast<std::uint32_t>(chunk % split.chunks_per_image) + end, Ho, split.chunks_per_image,
                                    split.chunk_unit);
  };
  for (std::uint32_t i = 0; i < cores; ++i) {
    const std::uint64_t first = std::min(items, i * per_core), count = std::min(items, first + per_core) - first;
    const CoreCoord core{i, 0};
    program.set_runtime_args(entry.reader, core, HostCoreArgs{first, count, 0, 0, 0});
    program.set_runtime_args(entry.compute, core, HostCoreArgs{first, count, 0, 0, 0});
    pc.work.push_back(CoreWork{core, i, 0});
    // Output sticks of the core's chunks (the rows of every chunk it has a block of).
    const std::uint64_t row0 = chunk_row(first, 0), row1 = count == 0 ? row0 : chunk_row(first + count - 1, 1);
    slice.cores.push_back(CorePlan{core, i, 0, row0 * Wo, static_cast<std::uint32_t>((row1 - row0) * Wo), 0, 0, 0, 0});
  }
  return entry;
}

}  // namespace

Conv2dResult run_host_conv2d(const DeviceTensor& input, const PreparedWeights& weights, Device& device, const Conv2dParams& p,
                             const Conv2dConfig& config, const DeviceTensor* output) {
  const DataType out_dtype = config.output_dtype.value_or(input.dtype);
  std::optional<DeviceTensor> packed_now;
  if (!weights.host_packed) packed_now = pack_host_weights(device, weights);
  const DeviceTensor& packed = weights.host_packed ? *weights.host_packed : *packed_now;

  Conv2dResult result;
  result.output = output ? *output
                         : allocate_device_tensor(device, Shape{1, 1, static_cast<std::int64_t>(p.output_sticks()), p.in_channels},
                                                  out_dtype, Layout::ROW_MAJOR, MemoryConfig::dram_interleaved(), "conv2d output");
  const Buffer& in_buf = *input.buffer;
  const Buffer& out_buf = *result.output.buffer;
  const Buffer& w_buf = *packed.buffer;

  HostProgramKey key{p,
                     config,
                     device.arch(),
                     input.dtype,
                     input.layout,
                     input.memory_config,
                     in_buf.aligned_page_size(),
                     in_buf.bytes_per_bank(),
                     w_buf.bytes_per_bank(),
                     out_buf.aligned_page_size(),
                     out_buf.bytes_per_bank()};
  HostProgramEntry* entry = device.program_cache().find<HostProgramEntry>(key);
  if (!entry)
    entry = &device.program_cache().insert(std::move(key), build_host_program(device, p, config, input.dtype, out_dtype,
                                                                              in_buf.aligned_page_size(), out_buf.aligned_page_size(),
                                                                              in_buf.bytes_per_bank(), out_buf.bytes_per_bank(),
                                                                              w_buf.bytes_per_bank()));
  // This call's buffers: the only arguments that change between calls with equal keys.
  for (const CoreWork& work : entry->plan->parallel.work)
    for (const KernelHandle kernel : {entry->reader, entry->compute}) {
      // Written only when they changed: a worker thread then finds its arguments'
      // cache line still shared instead of modified by this thread.
      HostCoreArgs& args = entry->program.runtime_args<HostCoreArgs>(kernel, work.core);
      if (args.input_address != in_buf.address()) args.input_address = in_buf.address();
      if (args.output_address != out_buf.address()) args.output_address = out_buf.address();
      if (args.weights_address != w_buf.address()) args.weights_address = w_buf.address();
    }
  device.run(entry->program);
  result.plan = entry->plan;
  result.out_height = p.out_height();
  result.out_width = p.out_width();
  result.prepared = weights;
  result.prepared.host_packed = packed;  // packed now or before: the caller may keep it
  return result;
}

}  // namespace shardwise
