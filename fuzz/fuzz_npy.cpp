// The .npy reader on arbitrary bytes: it returns an array whose values match its shape,
// or throws InvalidArgument; nothing else (no crash, no other exception, no read past
// the bytes).
#include <cstdlib>

#include "core/error.hpp"
#include "npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const shardwise::npy::Array array = shardwise::npy::parse({data, size}, "fuzz.npy");
    std::size_t count = 1;
    for (const std::int64_t d : array.shape) count *= static_cast<std::size_t>(d);
    if (count != array.values.size()) std::abort();
  } catch (const shardwise::InvalidArgument&) {
  }
  return 0;
}
