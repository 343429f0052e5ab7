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

// The step after it, for float32 accumulation: y = act(acc + bias), stored as float32
// or bfloat16 (round to nearest even, NaN -> 0x7FC0). Bit for bit the scalar epilogue:
// relu is x > 0 ? x : 0; relu6 is fmin(fmax(x, 0), 6) as glibc computes it on x86-64
// (MAXSS/MINSS: the second operand when the two compare equal or one is NaN, so
// fmax(-0, 0) = +0 and fmax(NaN, 0) = 0), done as x > 0 ? x : 0, then r <= 6 ? r : 6
// (the test checks -0, NaN, infinities and 6). `activation` 0 none, 1 relu, 2 relu6.
void dw_window_finish(const float* acc, const float* bias, std::uint32_t P, int activation, float* out);
void dw_window_finish(const float* acc, const float* bias, std::uint32_t P, int activation, std::uint16_t* out_bf16);

}  // namespace shardwise
