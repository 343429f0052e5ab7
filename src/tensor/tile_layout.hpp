#pragma once
// Tile layout (reference section 1).
//
// A matrix is padded to multiples of 32 in both dimensions and cut into 32x32 tiles,
// stored row-major over the tile grid (tile = tile_row * tiles_per_row + tile_col).
// Inside a tile the four 16x16 faces follow each other (top-left, top-right,
// bottom-left, bottom-right), each face row-major:
//
//          cols 0..15   cols 16..31
//   rows  +-----------+-----------+
//   0..15 |  face 0   |  face 1   |     element (r, c) of a tile lives at
//         +-----------+-----------+     ((r/16)*2 + c/16)*256 + (r%16)*16 + c%16
//  16..31 |  face 2   |  face 3   |
//         +-----------+-----------+
#include <cstdint>

#include "core/data_type.hpp"

namespace shardwise {

constexpr std::uint32_t round_up(std::uint32_t value, std::uint32_t multiple) {
  return (value + multiple - 1) / multiple * multiple;
}
constexpr std::uint32_t div_up(std::uint32_t value, std::uint32_t divisor) { return (value + divisor - 1) / divisor; }

// Index of element (r, c), r, c < 32, within one tile's memory.
constexpr std::uint32_t tile_element_index(std::uint32_t r, std::uint32_t c) {
  return ((r / kFaceHeight) * 2 + c / kFaceWidth) * kFaceElements + (r % kFaceHeight) * kFaceWidth + c % kFaceWidth;
}

// Tilizes `batch` row-major matrices of rows x cols (back to back in `src`) into
// `dst`, which receives batch * padded_rows * padded_cols elements in tile order
// (padded_* are multiples of 32, at least rows / cols); padding elements get `pad`.
template <typename T>
void tilize(const T* src, std::uint64_t batch, std::uint32_t rows, std::uint32_t cols, std::uint32_t padded_rows,
            std::uint32_t padded_cols, T pad, T* dst) {
  const std::uint32_t tile_rows = padded_rows / kTileHeight;
  const std::uint32_t tile_cols = padded_cols / kTileWidth;
  for (std::uint64_t b = 0; b < batch; ++b) {
    const T* matrix = src + b * rows * cols;
    for (std::uint32_t tr = 0; tr < tile_rows; ++tr) {
      for (std::uint32_t tc = 0; tc < tile_cols; ++tc) {
        T* tile = dst + ((b * tile_rows + tr) * tile_cols + tc) * kTileElements;
        for (std::uint32_t r = 0; r < kTileHeight; ++r) {
          const std::uint32_t row = tr * kTileHeight + r;
          for (std::uint32_t half = 0; half < 2; ++half) {
            T* face_row = tile + tile_element_index(r, half * kFaceWidth);
            for (std::uint32_t c = 0; c < kFaceWidth; ++c) {
              const std::uint32_t col = tc * kTileWidth + half * kFaceWidth + c;
              face_row[c] = (row < rows && col < cols) ? matrix[std::uint64_t{row} * cols + col] : pad;
            }
          }
        }
      }
    }
  }
}

template <typename T>
void tilize(const T* src, std::uint64_t batch, std::uint32_t rows, std::uint32_t cols, T pad, T* dst) {
  tilize(src, batch, rows, cols, round_up(rows, kTileHeight), round_up(cols, kTileWidth), pad, dst);
}

// Exact inverse of tilize: drops the padding.
template <typename T>
void untilize(const T* src, std::uint64_t batch, std::uint32_t rows, std::uint32_t cols, std::uint32_t padded_rows,
              std::uint32_t padded_cols, T* dst) {
  const std::uint32_t tile_rows = padded_rows / kTileHeight;
  const std::uint32_t tile_cols = padded_cols / kTileWidth;
  for (std::uint64_t b = 0; b < batch; ++b) {
    T* matrix = dst + b * rows * cols;
    for (std::uint32_t row = 0; row < rows; ++row) {
      const std::uint32_t tr = row / kTileHeight, r = row % kTileHeight;
      for (std::uint32_t col = 0; col < cols; ++col) {
        const std::uint32_t tc = col / kTileWidth;
        const T* tile = src + ((b * tile_rows + tr) * tile_cols + tc) * kTileElements;
        matrix[std::uint64_t{row} * cols + col] = tile[tile_element_index(r, col % kTileWidth)];
      }
    }
  }
}

template <typename T>
void untilize(const T* src, std::uint64_t batch, std::uint32_t rows, std::uint32_t cols, T* dst) {
  untilize(src, batch, rows, cols, round_up(rows, kTileHeight), round_up(cols, kTileWidth), dst);
}

}  // namespace shardwise
