#pragma once
// Pieces shared by the shardwise subcommands: value parsers and the entry point.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace CLI {
class App;
class Validator;
}

namespace shardwise::cli {

// "3" -> {3, 3}; "3x5" -> {3, 5}. `what` names the flag in errors.
std::array<std::int64_t, 2> parse_pair(const std::string& text, const std::string& what);
// "1" -> all four; "1x2" -> {top=1, bottom=1, left=2, right=2}; "t,b,l,r".
std::array<std::int64_t, 4> parse_padding(const std::string& text);
// "a,b,..." of positive integers.
std::vector<std::int64_t> parse_list(const std::string& text, const std::string& what);

// Validators for integer flags, checked on the text before CLI11 converts it (which
// wraps "-1" into an unsigned value and saturates "99999999999999999999"): the value
// must be a plain decimal integer of int64 range, or of uint64 range without a sign.
const CLI::Validator& integer_text();
const CLI::Validator& unsigned_integer_text();

// Writes raw bytes to `path`; InvalidArgument naming the path when it cannot.
void write_file(const std::string& path, std::span<const std::uint8_t> bytes);

// Standard-normal values from a seeded generator (identical for equal seeds).
std::vector<float> random_normal(std::size_t count, std::uint64_t seed);

// Subcommands register themselves here.
void add_convert_command(CLI::App& app);
void add_reference_command(CLI::App& app);
void add_conv2d_command(CLI::App& app);
void add_prepare_weights_command(CLI::App& app);

// Parses and runs. Returns the process exit code: 0 success, 2 bad input, 3 device
// failure, 1 anything else. Never throws.
int run(int argc, const char* const* argv);

}  // namespace shardwise::cli
