// oneDNN (Debian libdnnl 2.6): convolution_forward, forward_inference, NHWC source and
// destination, weights as groups [C, 1, 1, kh, kw] in format_tag::any, reordered to the
// layout the chosen implementation wants once before timing; float32 bias. OpenMP
// threads set to the benchmark's thread count.
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/bfloat16.hpp"
#include "library.hpp"

namespace shardwise::bench {
namespace {

using dnnl::memory;

memory::data_type onednn_dtype(Dtype dtype) { return dtype == Dtype::FLOAT32 ? memory::data_type::f32 : memory::data_type::bf16; }

// Writes float values into a oneDNN memory of the cell's dtype.
void write_values(const memory& m, const std::vector<float>& values, Dtype dtype) {
  if (dtype == Dtype::FLOAT32) {
    std::copy(values.begin(), values.end(), static_cast<float*>(m.get_data_handle()));
    return;
  }
  auto* out = static_cast<std::uint16_t*>(m.get_data_handle());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = bfloat16::from_float(values[i]).bits;
}

class OnednnConv final : public PreparedConv {
 public:
  OnednnConv(const Cell& cell, const CellData& data, unsigned threads) : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    omp_set_num_threads(static_cast<int>(threads));
    const Layer& l = cell.layer;
    const memory::dim N = cell.batch, C = l.channels, H = l.height, W = l.width, k = l.kernel;
    const memory::dim Ho = cell.out_height(), Wo = cell.out_width(), s = l.stride, p = l.padding;
    const memory::data_type dt = onednn_dtype(cell.dtype);
    const memory::desc src_md({N, C, H, W}, dt, memory::format_tag::nhwc);
    const memory::desc dst_md({N, C, Ho, Wo}, dt, memory::format_tag::nhwc);
    const memory::desc any_weights({C, 1, 1, k, k}, dt, memory::format_tag::any);
    const memory::desc bias_md({C}, memory::data_type::f32, memory::format_tag::a);
    const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md,
                                               any_weights, bias_md, dst_md, {s, s}, {p, p}, {p, p});
    const dnnl::convolution_forward::primitive_desc pd(desc, engine_);
    impl_ = pd.impl_info_str();
    conv_ = dnnl::convolution_forward(pd);

    src_ = memory(src_md, engine_);
    dst_ = memory(dst_md, engine_);
    bias_ = memory(bias_md, engine_);
    weights_ = memory(pd.weights_desc(), engine_);
    write_values(src_, data.input, cell.dtype);
    write_values(bias_, data.bias, Dtype::FLOAT32);
    memory user_weights({{C, 1, 1, k, k}, dt, memory::format_tag::goihw}, engine_);
    write_values(user_weights, data.weight, cell.dtype);
    dnnl::reorder(user_weights, weights_).execute(stream_, user_weights, weights_);
    stream_.wait();
    dtype_ = cell.dtype;
  }

  void run() override {
    conv_.execute(stream_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_}, {DNNL_ARG_DST, dst_}});
    stream_.wait();
  }

  void read_output(std::span<float> nhwc) override {
    if (dtype_ == Dtype::FLOAT32) {
      const auto* out = static_cast<const float*>(dst_.get_data_handle());
      std::copy(out, out + nhwc.size(), nhwc.begin());
      return;
    }
    const auto* out = static_cast<const std::uint16_t*>(dst_.get_data_handle());
    for (std::size_t i = 0; i < nhwc.size(); ++i) nhwc[i] = bfloat16{out[i]}.to_float();
  }

  std::string kernel() const override { return impl_; }

 private:
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::convolution_forward conv_;
  memory src_, dst_, bias_, weights_;
  std::string impl_;
  Dtype dtype_ = Dtype::FLOAT32;
};

}  // namespace

Library onednn_library() {
  return {"onednn", true, [](Dtype) { return true; },
          [](const Cell& cell, const CellData& data, unsigned threads) -> std::unique_ptr<PreparedConv> {
            return std::make_unique<OnednnConv>(cell, data, threads);
          }};
}

}  // namespace shardwise::bench
