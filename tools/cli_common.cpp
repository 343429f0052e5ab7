#include "cli_common.hpp"

#include <CLI/CLI.hpp>
#include <charconv>
#include <fstream>
#include <iostream>
#include <new>
#include <random>

#include "core/error.hpp"

#ifndef SHARDWISE_VERSION
#define SHARDWISE_VERSION "unknown"
#endif

namespace shardwise::cli {
namespace {

std::int64_t parse_int(const std::string& token, const std::string& what, const std::string& whole) {
  std::int64_t value = 0;
  const char* end = token.data() + token.size();
  const auto [ptr, ec] = std::from_chars(token.data(), end, value);
  check_arg(ec == std::errc() && ptr == end && !token.empty(), "{} '{}' is not an integer list of the allowed form",
            what, whole);
  return value;
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos - start));
    if (pos == std::string::npos) break;
    start = pos + 1;
  }
  return parts;
}

}  // namespace

std::array<std::int64_t, 2> parse_pair(const std::string& text, const std::string& what) {
  const auto parts = split(text, 'x');
  check_arg(parts.size() == 1 || parts.size() == 2, "{} '{}': expected N or AxB", what, text);
  const std::int64_t a = parse_int(parts[0], what, text);
  const std::int64_t b = parts.size() == 2 ? parse_int(parts[1], what, text) : a;
  return {a, b};
}

std::array<std::int64_t, 4> parse_padding(const std::string& text) {
  const auto parts = split(text, ',');
  if (parts.size() == 4)
    return {parse_int(parts[0], "--padding", text), parse_int(parts[1], "--padding", text),
            parse_int(parts[2], "--padding", text), parse_int(parts[3], "--padding", text)};
  check_arg(parts.size() == 1, "--padding '{}': expected P, PHxPW or T,B,L,R", text);
  const auto [h, w] = parse_pair(text, "--padding");
  return {h, h, w, w};
}

std::vector<std::int64_t> parse_list(const std::string& text, const std::string& what) {
  std::vector<std::int64_t> out;
  for (const auto& part : split(text, ',')) out.push_back(parse_int(part, what, text));
  return out;
}

namespace {
template <typename T>
CLI::Validator strict_integer(const char* description) {
  return CLI::Validator(
      [description](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || ptr != end) return fmt::format("'{}' is not {}", text, description);
        return {};
      },
      "INT");
}
}  // namespace

const CLI::Validator& integer_text() {
  static const CLI::Validator validator = strict_integer<std::int64_t>("an integer between -2^63 and 2^63-1");
  return validator;
}

const CLI::Validator& unsigned_integer_text() {
  static const CLI::Validator validator = strict_integer<std::uint64_t>("an integer between 0 and 2^64-1");
  return validator;
}

void write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  check_arg(out.good(), "cannot open output '{}'", path);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  check_arg(out.good(), "writing '{}' failed", path);
}

std::vector<float> random_normal(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> values(count);
  for (auto& v : values) v = dist(engine);
  return values;
}

int run(int argc, const char* const* argv) {
  CLI::App app{"shardwise: depthwise conv2d the way TT-Metal / TT-NN runs it, on a device model"};
  app.set_version_flag("--version", std::string("shardwise ") + SHARDWISE_VERSION);
  app.require_subcommand(1);
  add_convert_command(app);
  add_reference_command(app);
  add_conv2d_command(app);
  add_prepare_weights_command(app);
  try {
    // The command first: CLI11 would only say "A subcommand is required", naming
    // neither the word it got nor the commands there are.
    std::string commands;
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      commands += (commands.empty() ? "" : ", ") + sub->get_name();
      known = known || (argc > 1 && sub->get_name() == argv[1]);
    }
    if (argc < 2) throw InvalidArgument(fmt::format("no command given: the commands are {} (shardwise --help)", commands));
    const std::string first = argv[1];
    if (!known && !first.starts_with("-"))
      throw InvalidArgument(fmt::format("unknown command '{}': the commands are {}", first, commands));
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every malformed command line is bad input (2), not
    // CLI11's own codes (104, 106, ...), which the README does not promise.
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  } catch (const InvalidArgument& e) {
    std::cerr << "shardwise: error: " << e.what() << "\n";
    return 2;
  } catch (const DeviceError& e) {
    std::cerr << "shardwise: device error: " << e.what() << "\n";
    return 3;
  } catch (const std::bad_alloc&) {
    std::cerr << "shardwise: device error: out of host memory (std::bad_alloc); SHARDWISE_HOST_MEMORY lowers the budget the "
                 "checks before a run use\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "shardwise: failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace shardwise::cli
