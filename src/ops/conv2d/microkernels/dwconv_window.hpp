#pragma once
// The chip presets' depthwise compute step on the host CPU: one output stick's window
// sum, acc[c] = sum over window positions k (in order) of x[k][c] * w[k][c], for the
// P channels of a core's shard. The window is the K sticks the reader copied into the
// input CB (P values each, bfloat16 or float32); the weights are float32 [K][P].
//
// Arithmetic exactly as the scalar loop it replaces: per channel, acc = 0, then for
// each k, acc = acc + round(x * w) (a multiply, then an add: no fused multiply-add, so
// every SIMD target gives the bits the reference kernels always gave). SIMD with
// runtime dispatch (Highway): the chip presets' emulation runs this for every output.
#include <cstdint>

namespace shardwise {

void dw_window_sum(const float* x, const float* w, std::uint32_t K, std::uint32_t P, float* acc);
void dw_window_sum(const std::uint16_t* x_bf16, const float* w, std::uint32_t K, std::uint32_t P, float* acc);

}  // namespace shardwise
