#include "core/activation.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace shardwise {
namespace {
constexpr std::array<std::pair<Activation, std::string_view>, 9> kNames{{
    {Activation::NONE, "none"},
    {Activation::RELU, "relu"},
    {Activation::RELU6, "relu6"},
    {Activation::SILU, "silu"},
    {Activation::GELU, "gelu"},
    {Activation::SIGMOID, "sigmoid"},
    {Activation::TANH, "tanh"},
    {Activation::HARDSWISH, "hardswish"},
    {Activation::LEAKY_RELU, "leaky_relu"},
}};
}  // namespace

std::string_view to_string(Activation activation) {
  for (const auto& [value, name] : kNames)
    if (value == activation) return name;
  return "unknown";
}

Activation parse_activation(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.empty()) return Activation::NONE;
  for (const auto& [value, known] : kNames)
    if (known == lower) return value;
  std::string allowed;
  for (const auto& [value, known] : kNames) allowed += (allowed.empty() ? "" : ", ") + std::string(known);
  throw InvalidArgument(fmt::format("unknown activation '{}': allowed are {}", name, allowed));
}

}  // namespace shardwise
