// The CLI on an argv made of the fuzzer's bytes (arguments separated by '\n'): it
// returns one of the documented exit codes (0, 1, 2, 3) and never crashes or hangs.
// Runs in a scratch folder with a small host memory budget; arguments that could name
// a file outside it (any '/', a leading '.') are dropped, so that a fuzzed
// --save-output or OUT cannot write anywhere else; --repeat is dropped too; stdout
// and stderr are discarded.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const std::filesystem::path scratch = std::filesystem::temp_directory_path() / ("shardwise_fuzz_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(scratch);
  std::filesystem::current_path(scratch);
  setenv("SHARDWISE_HOST_MEMORY", "64M", 1);
  std::cout.rdbuf(nullptr);
  std::cerr.rdbuf(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"shardwise"};
  std::string current;
  for (std::size_t i = 0; i <= size; ++i) {
    if (i == size || data[i] == '\n') {
      // --repeat would only make a run long (up to 100000 convs), not reach new code.
      if (current.find('/') == std::string::npos && (current.empty() || current[0] != '.') && current != "--repeat" && args.size() < 24)
        args.push_back(current);
      current.clear();
    } else if (data[i] != '\0') {
      current.push_back(static_cast<char>(data[i]));
    }
  }
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  std::cout.clear();
  std::cerr.clear();
  const int code = shardwise::cli::run(static_cast<int>(argv.size()), argv.data());
  if (code < 0 || code > 3) std::abort();
  return 0;
}
