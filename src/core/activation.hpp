#pragma once
// Names of the activations a conv may fuse. The arithmetic lives with each user (the
// reference computes its own in double precision).
#include <cstdint>
#include <string_view>

namespace shardwise {

enum class Activation : std::uint8_t { NONE, RELU, RELU6, SILU, GELU };

std::string_view to_string(Activation activation);
// Case-insensitive; "" means NONE. InvalidArgument naming the value otherwise.
Activation parse_activation(std::string_view name);

}  // namespace shardwise
