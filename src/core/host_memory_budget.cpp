#include "core/host_memory_budget.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace shardwise {

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::uint64_t unit = 1;
  switch (text.back()) {
    case 'K': case 'k': unit = 1ull << 10; break;
    case 'M': case 'm': unit = 1ull << 20; break;
    case 'G': case 'g': unit = 1ull << 30; break;
    case 'T': case 't': unit = 1ull << 40; break;
    default: break;
  }
  if (unit != 1) text.remove_suffix(1);
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (value > std::numeric_limits<std::uint64_t>::max() / unit) return std::nullopt;
  return value * unit;
}

std::uint64_t host_memory_budget() {
  if (const char* env = std::getenv("SHARDWISE_HOST_MEMORY")) {
    const std::optional<std::uint64_t> bytes = parse_byte_size(env);
    check_arg(bytes && *bytes > 0, "SHARDWISE_HOST_MEMORY='{}' is not a size: use bytes or a number with K, M, G or T (e.g. 8G)",
              env);
    return *bytes;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGE_SIZE);
  std::uint64_t budget = pages > 0 && page_size > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size) / 4 * 3
                                                    : std::uint64_t{4} << 30;
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) budget = std::min<std::uint64_t>(budget, limit.rlim_cur);
  return budget;
}

void check_host_memory(std::uint64_t bytes, std::string_view what) {
  const std::uint64_t budget = host_memory_budget();
  if (bytes > budget)
    throw OutOfMemory(fmt::format("{} needs about {} bytes ({:.1f} GiB) of host memory; the host memory budget is {} bytes ({:.1f} GiB): "
                                  "three quarters of physical memory by default, SHARDWISE_HOST_MEMORY sets it",
                                  what, bytes, static_cast<double>(bytes) / (1ull << 30), budget,
                                  static_cast<double>(budget) / (1ull << 30)));
}

}  // namespace shardwise
