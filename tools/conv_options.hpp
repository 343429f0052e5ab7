#pragma once
// The conv-shape flags shared by `reference`, `conv2d` and `prepare-weights`.
#include <cstdint>
#include <string>

#include "ops/conv2d/conv2d_params.hpp"

namespace CLI {
class App;
}

namespace shardwise::cli {

struct ConvShapeOptions {
  std::int64_t batch = 1, channels = 64, height = 8, width = 8;
  std::int64_t groups = -1;  // default: channels (depthwise)
  std::string kernel = "3", stride = "1", padding = "1", dilation = "1";

  // Flags: --batch --channels --groups --height --width --kernel --stride --padding --dilation.
  void add_to(CLI::App& cmd);
  // InvalidArgument naming the flag and value for anything out of range.
  Conv2dParams to_params() const;
};

}  // namespace shardwise::cli
