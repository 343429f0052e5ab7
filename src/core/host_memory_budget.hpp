#pragma once
// How much host memory one shardwise process may plan to use: the `host` preset's DRAM
// (which is host memory) and the CLI's own tensors are checked against it before
// anything large is allocated, so that a request that cannot fit is refused at once,
// with the numbers, instead of running for minutes and dying of std::bad_alloc or the
// OOM killer.
//
// SHARDWISE_HOST_MEMORY (bytes, or with a K, M, G or T suffix: powers of 1024) sets it;
// otherwise three quarters of the machine's physical memory, and no more than the
// process's address-space limit (ulimit -v) where one is set.
#include <cstdint>
#include <optional>
#include <string_view>

namespace shardwise {

// "1048576", "512M", "16G" -> bytes; nullopt when `text` is not of that form or overflows.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

// The budget (read once per call; InvalidArgument naming SHARDWISE_HOST_MEMORY and
// what is allowed when it is set to something else).
std::uint64_t host_memory_budget();

// OutOfMemory when `bytes` exceeds the budget: "<what> needs about N bytes; the host
// memory budget is M bytes (...how to change it)".
void check_host_memory(std::uint64_t bytes, std::string_view what);

}  // namespace shardwise
