// The host program's cache entry (ops/conv2d/host/host_program.cpp): a repeated call
// with the same arguments reuses the cached program; a call that differs in any field
// of the parameters, the config or the input builds a new one; and whatever the cache
// holds, each call's output is bit for bit the output of a fresh device (no entry ever
// answers for arguments it was not built for).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "ops/conv2d/conv2d.hpp"

namespace shardwise {
namespace {

// A field added to either struct must be added to the variants below as well.
static_assert(sizeof(Conv2dParams) == 16 * sizeof(std::uint32_t), "Conv2dParams changed: add the new field to kVariants");
static_assert(sizeof(Conv2dConfig) == 56, "Conv2dConfig changed: add the new field to kVariants");

struct Call {
  Conv2dParams params;
  Conv2dConfig config;
  DataType input_dtype = DataType::FLOAT32;
};

Call base_call() {
  Call c;
  Conv2dParams& p = c.params;
  p.in_channels = p.out_channels = p.groups = 64;
  p.input_height = p.input_width = 12;
  p.kernel_h = p.kernel_w = 3;
  p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 1;
  c.config.weights_dtype = DataType::FLOAT32;
  return c;
}

struct Variant {
  const char* field;
  std::function<void(Call&)> change;
  bool host_program = true;  // false: the change takes the TT-faithful kernels (no cache entry)
  bool deterministic = true;  // false: an injected fault's output depends on what L1 held before
};

const std::vector<Variant> kVariants{
    {"batch", [](Call& c) { c.params.batch = 2; }},
    // in_channels, out_channels and groups are equal in a depthwise conv: they change together.
    {"channels", [](Call& c) { c.params.in_channels = c.params.out_channels = c.params.groups = 96; }},
    {"input_height", [](Call& c) { c.params.input_height = 13; }},
    {"input_width", [](Call& c) { c.params.input_width = 11; }},
    {"kernel_h", [](Call& c) { c.params.kernel_h = 5; }},
    {"kernel_w", [](Call& c) { c.params.kernel_w = 5; }},
    {"stride_h", [](Call& c) { c.params.stride_h = 2; }},
    {"stride_w", [](Call& c) { c.params.stride_w = 2; }},
    {"pad_top", [](Call& c) { c.params.pad_top = 0; }},
    {"pad_bottom", [](Call& c) { c.params.pad_bottom = 2; }},
    {"pad_left", [](Call& c) { c.params.pad_left = 0; }},
    {"pad_right", [](Call& c) { c.params.pad_right = 2; }},
    {"dilation_h", [](Call& c) { c.params.dilation_h = 2; }},
    {"dilation_w", [](Call& c) { c.params.dilation_w = 2; }},
    {"shard_layout", [](Call& c) { c.config.shard_layout = TensorMemoryLayout::WIDTH_SHARDED; }},
    {"num_cores", [](Call& c) { c.config.num_cores = 1; }},
    {"grid", [](Call& c) { c.config.grid = CoreCoord{1, 1}; }},
    {"orientation", [](Call& c) { c.config.orientation = ShardOrientation::COL_MAJOR; }},
    {"weights_dtype", [](Call& c) { c.config.weights_dtype = DataType::BFLOAT16; }},
    {"output_dtype", [](Call& c) { c.config.output_dtype = DataType::BFLOAT16; }},
    {"activation", [](Call& c) { c.config.activation = Activation::RELU6; }},
    {"leaky_slope", [](Call& c) { c.config.leaky_slope = 0.2f; }},
    {"dram_slices", [](Call& c) { c.config.dram_slices = 2; }, false},
    {"output_layout", [](Call& c) { c.config.output_layout = Layout::TILE; }, false},
    {"bfloat16_accumulation", [](Call& c) { c.config.bfloat16_accumulation = true; }, false},
    {"fault", [](Call& c) { c.config.fault = InjectedFault::SKIP_WEIGHT_MULTICAST; }, false, false},
    {"numerics", [](Call& c) { c.config.numerics = Numerics::CHIP; }, false},
    {"numerics exact, as the default", [](Call& c) { c.config.numerics = Numerics::EXACT; }},
    {"math_fidelity", [](Call& c) { c.config.math_fidelity = MathFidelity::LOFI; }},
    {"input dtype", [](Call& c) { c.input_dtype = DataType::BFLOAT16; }},
};

Device host_device() { return Device(arch_preset("host", ArchOverrides{2u, std::nullopt, std::nullopt}), DeviceOptions{{}, 2, std::nullopt}); }

// Runs the call on `device` and returns the output bytes.
std::vector<std::uint8_t> run(Device& device, const Call& c, Conv2dResult* result = nullptr) {
  const Conv2dParams& p = c.params;
  const std::uint32_t C = p.in_channels;
  std::vector<float> x(std::size_t{p.batch} * p.input_height * p.input_width * C), w(std::size_t{C} * p.kernel_h * p.kernel_w), b(C);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 11) % 23) / 11.0f - 1.0f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 7) / 7.0f;
  const DeviceTensor input = to_device(Tensor::from_vector(x, Shape{1, 1, static_cast<std::int64_t>(x.size() / C), C}, c.input_dtype),
                                       device, MemoryConfig::dram_interleaved(), "input");
  const ParallelConfig pc = conv2d_parallel_config(p, c.config, device.arch());
  const PreparedWeights prepared =
      prepare_depthwise_weights(device, Tensor::from_vector(w, Shape{C, 1, p.kernel_h, p.kernel_w}), Tensor::from_vector(b, Shape{C}),
                                pc.channel_shards(), c.config.weights_dtype);
  Conv2dResult r = conv2d(input, prepared, device, p, c.config);
  const Tensor out = from_device(r.output);
  std::vector<std::uint8_t> bytes(out.bytes().begin(), out.bytes().end());
  if (result) *result = std::move(r);
  return bytes;
}

TEST(HostProgramCache, ARepeatHitsAndEveryFieldMisses) {
  Device device = host_device();
  ProgramCache& cache = device.program_cache();
  const Call base = base_call();
  const std::vector<std::uint8_t> base_out = run(device, base);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(run(device, base), base_out);
  EXPECT_EQ(cache.hits(), 1u);

  for (const Variant& v : kVariants) {
    SCOPED_TRACE(v.field);
    Call call = base;
    v.change(call);
    const std::uint64_t hits = cache.hits(), misses = cache.misses();
    Conv2dResult result;
    const std::vector<std::uint8_t> out = run(device, call, &result);
    if (v.host_program) {
      EXPECT_NE(result.plan->host_microkernel, "");
      EXPECT_EQ(cache.misses(), misses + 1) << "a call differing in " << v.field << " reused a cached program";
      EXPECT_EQ(cache.hits(), hits);
      EXPECT_EQ(run(device, call), out);  // and now it is cached
      EXPECT_EQ(cache.hits(), hits + 1);
    } else {
      EXPECT_EQ(result.plan->host_microkernel, "");
      EXPECT_EQ(cache.misses(), misses);
      EXPECT_EQ(cache.hits(), hits);
    }
    if (!v.deterministic) continue;
    Device fresh = host_device();
    EXPECT_EQ(run(fresh, call), out) << "the cached device's output differs from a fresh device's";
  }
  // The base call still hits and still gives the same bytes.
  const std::uint64_t hits = cache.hits();
  EXPECT_EQ(run(device, base), base_out);
  EXPECT_EQ(cache.hits(), hits + 1);
}

}  // namespace
}  // namespace shardwise
