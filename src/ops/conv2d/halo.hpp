#pragma once
// Halo (reference section 7): before the conv runs, every core receives in L1 all the
// input sticks its outputs need, padding sticks included.
//
// Sticks are numbered in the padded image: p = n*Hp*Wp + h*Wp + w (Hp = H + pt + pb,
// Wp = W + pl + pr). Output o = (n, ho, wo) has its window's top-left stick at
//   tl(o) = n*Hp*Wp + ho*sh*Wp + wo*sw
// and its kernel position (i, j) at tl(o) + i*dh*Wp + j*dw. A core computing outputs
// [o0, o1) holds the padded sticks [tl(o0), tl(o1 - 1) + (dkh-1)*Wp + dkw - 1], in
// order, in its halo shard; the config tensor lists them as runs of input sticks or
// padding, so the gather kernel needs no arithmetic on image coordinates.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "device/device.hpp"
#include "device/device_tensor.hpp"
#include "device/kernel.hpp"
#include "ops/conv2d/conv2d_params.hpp"

namespace shardwise {

inline constexpr std::uint32_t kHaloPadding = 0xFFFFFFFFu;

struct HaloRun {
  std::uint32_t source;  // first input stick (index into N*H*W), or kHaloPadding
  std::uint32_t count;   // sticks
};

struct HaloWindow {
  std::uint64_t first_output = 0;
  std::uint32_t num_outputs = 0;
  std::uint64_t first_stick = 0;  // padded-image stick held at halo row 0
  std::uint32_t num_sticks = 0;
  std::vector<HaloRun> runs;
};

std::uint64_t window_top_left(const Conv2dParams& p, std::uint64_t output);

// The window of the outputs [first_output, first_output + num_outputs).
HaloWindow plan_halo_window(const Conv2dParams& p, std::uint64_t first_output, std::uint32_t num_outputs);

// The size of a window without planning its runs (for sizing L1): its sticks exactly,
// and a bound on its runs (at most padding, input, padding per padded row it touches).
struct HaloWindowSize {
  std::uint32_t sticks = 0;
  std::uint32_t max_runs = 0;
};
HaloWindowSize halo_window_size(const Conv2dParams& p, std::uint64_t first_output, std::uint32_t num_outputs);

// Where the gather kernel finds input stick i, channels [c0, c0 + count): an
// interleaved buffer (page id i, byte offset c0*es) or a sharded one (the core
// holding row i and column c0).
struct StickSource {
  bool sharded = false;
  InterleavedAddressGenerator pages;  // interleaved
  std::uint64_t base_address = 0;     // sharded: buffer address on every core
  std::uint32_t aligned_page_size = 0;
  std::uint32_t shard_rows = 0, shard_cols = 0;
  std::uint32_t col_blocks = 1;
  std::vector<CoreCoord> shard_cores;  // [row_block * col_blocks + col_block]
  std::uint32_t element_size = 2;

  static StickSource of(const DeviceTensor& input);
  NocAddr locate(std::uint32_t stick, std::uint32_t first_channel) const;
  // Channels from first_channel on that lie together in one page (a sharded source
  // splits a stick at its shard width).
  std::uint32_t channels_together(std::uint32_t first_channel, std::uint32_t count) const {
    return sharded ? std::min(count, shard_cols - first_channel % shard_cols) : count;
  }
  // How many of the sticks from `stick` on lie back to back in memory (so one read
  // can move them), when every stick is read whole.
  std::uint32_t contiguous_sticks(std::uint32_t stick, std::uint32_t count, std::uint32_t stick_bytes) const;
};

struct HaloCoreArgs {
  std::uint32_t runs_address;  // this core's config shard
  std::uint32_t num_runs;
  std::uint32_t first_channel;  // c0 of this core's channel shard
  std::uint32_t channels;       // real channels in the shard (<= P)
};

struct HaloArgs {
  StickSource source;
  std::uint32_t halo_page_bytes;   // one halo stick: P channels, aligned
  std::uint32_t input_channels;    // C: the full width of an input stick
  std::uint32_t halo_cb;           // the CB bound to the halo shard
};

KernelCoroutine halo_gather_kernel(KernelContext& ctx);

}  // namespace shardwise
