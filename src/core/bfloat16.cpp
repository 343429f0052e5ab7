#include "core/bfloat16.hpp"

namespace shardwise {
static_assert(sizeof(bfloat16) == 2, "bfloat16 must be two bytes, as in device memory");
}  // namespace shardwise
