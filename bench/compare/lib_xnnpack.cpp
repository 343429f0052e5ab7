// XNNPACK (Debian libxnnpack, 2022-02): the NHWC float32 convolution with groups = C
// (one input and one output channel per group), created and set up once with the
// input and output pointers; each timed call is xnn_run_operator on a pthreadpool of
// the benchmark's thread count. XNNPACK chooses its depthwise microkernel internally
// and does not report which.
#include <pthreadpool.h>
#include <xnnpack.h>

#include <limits>

#include "core/error.hpp"
#include "library.hpp"
#include "pthreadpool_sleep.hpp"

namespace shardwise::bench {
namespace {

void check_xnn(xnn_status status, const char* what) {
  if (status != xnn_status_success) throw Error(fmt::format("XNNPACK: {} failed with status {}", what, static_cast<int>(status)));
}

class XnnpackConv final : public PreparedConv {
 public:
  XnnpackConv(const Cell& cell, const CellData& data, unsigned threads)
      : input_(data.input), output_(cell.output_elements()), pool_(pthreadpool_create(threads)) {
    check_xnn(xnn_initialize(nullptr), "xnn_initialize");
    const Layer& l = cell.layer;
    const float inf = std::numeric_limits<float>::infinity();
    check_xnn(xnn_create_convolution2d_nhwc_f32(l.padding, l.padding, l.padding, l.padding, l.kernel, l.kernel, l.stride, l.stride, 1,
                                                1, l.channels, 1, 1, l.channels, l.channels, data.weight.data(), data.bias.data(),
                                                -inf, inf, 0, &op_),
              "xnn_create_convolution2d_nhwc_f32");
    check_xnn(xnn_setup_convolution2d_nhwc_f32(op_, cell.batch, l.height, l.width, input_.data(), output_.data(), pool_),
              "xnn_setup_convolution2d_nhwc_f32");
  }
  ~XnnpackConv() override {
    if (op_) xnn_delete_operator(op_);
    pthreadpool_destroy(pool_);
  }

  void run() override { check_xnn(xnn_run_operator(op_, pool_), "xnn_run_operator"); }
  void quiesce() override { put_workers_to_sleep(pool_); }
  void read_output(std::span<float> nhwc) override { std::copy(output_.begin(), output_.end(), nhwc.begin()); }
  std::string kernel() const override { return "f32 convolution2d_nhwc, groups = C (depthwise microkernel chosen internally)"; }

 private:
  std::vector<float> input_, output_;
  pthreadpool_t pool_ = nullptr;
  xnn_operator_t op_ = nullptr;
};

}  // namespace

Library xnnpack_library() {
  return {"xnnpack", true, [](Dtype dtype) { return dtype == Dtype::FLOAT32; },
          [](const Cell& cell, const CellData& data, unsigned threads) -> std::unique_ptr<PreparedConv> {
            return std::make_unique<XnnpackConv>(cell, data, threads);
          }};
}

}  // namespace shardwise::bench
