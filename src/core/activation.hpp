#pragma once
// The activations a conv may fuse: their names, and their value as the kernels compute
// it (activation_value; the reference evaluates the same template in double, keeping its
// own NaN-propagating relu and relu6).
#include <cmath>
#include <cstdint>
#include <string_view>

namespace shardwise {

enum class Activation : std::uint8_t { NONE, RELU, RELU6, SILU, GELU, SIGMOID, TANH, HARDSWISH, LEAKY_RELU };

// Leaky relu's slope for negative inputs when none is given (torch's and TT-NN's default).
inline constexpr double kDefaultLeakySlope = 0.01;

// The activation of x as the kernels compute it in float (relu6 of NaN is 0, as x86's
// MAXSS/MINSS give): gelu in its erf form, hardswish x * min(max(x + 3, 0), 6) / 6,
// leaky relu x for x >= 0 and slope * x below. The reference uses it in double for
// the smooth ones (reference/conv2d_reference.cpp).
template <typename T>
T activation_value(Activation activation, T x, T leaky_slope) {
  switch (activation) {
    case Activation::NONE: return x;
    case Activation::RELU: return x > T(0) ? x : T(0);
    case Activation::RELU6: return std::fmin(std::fmax(x, T(0)), T(6));
    case Activation::SILU: return x / (T(1) + std::exp(-x));
    case Activation::GELU: return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
    case Activation::SIGMOID: return T(1) / (T(1) + std::exp(-x));
    case Activation::TANH: return std::tanh(x);
    case Activation::HARDSWISH: return x * std::fmin(std::fmax(x + T(3), T(0)), T(6)) / T(6);
    case Activation::LEAKY_RELU: return x >= T(0) ? x : leaky_slope * x;
  }
  return x;
}

std::string_view to_string(Activation activation);
// Case-insensitive; "" means NONE. InvalidArgument naming the value otherwise.
Activation parse_activation(std::string_view name);

}  // namespace shardwise
