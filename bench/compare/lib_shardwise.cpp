// shardwise conv2d on the `host` preset, as a model runs a layer at inference: the
// device opened once, weights prepared once and reused, the input already on the
// device (DRAM interleaved); each timed call runs conv2d (the program cached after the
// first call) and returns a new output tensor (freed before the next call).
#include <fmt/format.h>

#include "library.hpp"
#include "ops/conv2d/conv2d.hpp"

namespace shardwise::bench {
namespace {

DataType device_dtype(Dtype dtype) { return dtype == Dtype::FLOAT32 ? DataType::FLOAT32 : DataType::BFLOAT16; }

class ShardwiseConv final : public PreparedConv {
 public:
  ShardwiseConv(const Cell& cell, const CellData& data, unsigned threads)
      : device_(arch_preset("host", ArchOverrides{threads, std::nullopt, std::nullopt}), DeviceOptions{{}, threads, std::nullopt}),
        params_(conv2d_params(cell.layer, cell.batch)) {
    const std::uint32_t C = cell.layer.channels, k = cell.layer.kernel;
    config_.weights_dtype = device_dtype(cell.dtype);
    const Tensor input = Tensor::from_vector(data.input, Shape{1, 1, static_cast<std::int64_t>(cell.input_elements() / C), C},
                                             device_dtype(cell.dtype));
    input_ = to_device(input, device_, MemoryConfig::dram_interleaved(), "bench input");
    const ParallelConfig pc = conv2d_parallel_config(params_, config_, device_.arch());
    prepared_ = prepare_depthwise_weights(device_, Tensor::from_vector(data.weight, Shape{C, 1, k, k}),
                                          Tensor::from_vector(data.bias, Shape{C}), pc.channel_shards(), config_.weights_dtype);
  }

  void run() override {
    result_ = {};  // free the previous output, as a model would before running the layer again
    result_ = conv2d(input_, prepared_, device_, params_, config_);
  }

  void read_output(std::span<float> nhwc) override {
    const std::vector<float> sticks = from_device(result_.output).to_vector();
    std::copy(sticks.begin(), sticks.end(), nhwc.begin());
  }

  std::string kernel() const override {
    const ParallelConfig& pc = result_.plan->parallel;
    if (!result_.plan->host_microkernel.empty())
      return fmt::format("host program on {} cores, {}", pc.num_cores(), result_.plan->host_microkernel);
    return fmt::format("host preset, TT-faithful kernels: {} on {} cores, {} slice(s)", to_string(pc.layout), pc.num_cores(),
                       result_.plan->slices.size());
  }

 private:
  Device device_;
  Conv2dParams params_;
  Conv2dConfig config_;
  DeviceTensor input_;
  PreparedWeights prepared_;
  Conv2dResult result_;
};

}  // namespace

Library shardwise_host_library() {
  return {"shardwise", true, [](Dtype) { return true; },
          [](const Cell& cell, const CellData& data, unsigned threads) -> std::unique_ptr<PreparedConv> {
            return std::make_unique<ShardwiseConv>(cell, data, threads);
          }};
}

}  // namespace shardwise::bench
