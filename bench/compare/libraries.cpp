#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "library.hpp"

namespace shardwise::bench {

std::vector<Library> libraries(const std::string& names) {
  const std::vector<Library> all{shardwise_host_library(), onednn_library(), xnnpack_library(), copy_floor_library()};
  if (names.empty()) return all;
  std::vector<Library> chosen;
  std::stringstream list(names);
  for (std::string name; std::getline(list, name, ',');) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Library& l) { return l.name == name; });
    check_arg(it != all.end(), "library '{}' is not benchmarked here: use shardwise, onednn, xnnpack or copy", name);
    chosen.push_back(*it);
  }
  return chosen;
}

}  // namespace shardwise::bench
