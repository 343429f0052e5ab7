#include "numerics/src_unpack.hpp"

#include <cstring>

#include "core/error.hpp"

namespace shardwise {

void unpack_tile_to_src(std::span<const std::uint8_t> tile, DataType dtype, bool fp32_dest_acc, std::span<std::uint32_t> src) {
  check_arg(is_floating_point(dtype) && tile.size() == tile_size(dtype) && src.size() == kTileElements,
            "unpack_tile_to_src: a {} tile of {} bytes into {} values", to_string(dtype), tile.size(), src.size());
  switch (dtype) {
    case DataType::FLOAT32:
      for (std::uint32_t i = 0; i < kTileElements; ++i) {
        std::uint32_t bits;
        std::memcpy(&bits, tile.data() + 4 * i, 4);
        src[i] = src_from_float32(bits, fp32_dest_acc);
      }
      return;
    case DataType::BFLOAT16:
      for (std::uint32_t i = 0; i < kTileElements; ++i) {
        std::uint16_t bits;
        std::memcpy(&bits, tile.data() + 2 * i, 2);
        src[i] = src_from_bfloat16(bits);
      }
      return;
    default: {
      // core/block_float.hpp's layout: 64 shared exponents, then the codes (bytes or nibbles).
      const bool bfp8 = dtype == DataType::BFLOAT8_B;
      const std::uint8_t* codes = tile.data() + kTileElements / 16;
      for (std::uint32_t i = 0; i < kTileElements; ++i) {
        const std::uint8_t code = bfp8 ? codes[i] : static_cast<std::uint8_t>((codes[i / 2] >> ((i & 1) * 4)) & 0xFu);
        src[i] = src_from_block_float(tile[i / 16], code, bfp8 ? 7 : 3);
      }
    }
  }
}

}  // namespace shardwise
