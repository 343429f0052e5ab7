#include "tensor/tile_layout.hpp"

namespace shardwise {
static_assert(tile_element_index(0, 16) == 256, "face 1 starts after face 0");
static_assert(tile_element_index(16, 0) == 512, "face 2 starts after face 1");
static_assert(tile_element_index(31, 31) == 1023, "last element of face 3");
}  // namespace shardwise
