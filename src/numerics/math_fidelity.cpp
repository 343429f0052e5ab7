#include "numerics/math_fidelity.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/error.hpp"

namespace shardwise {
namespace {

std::string lower(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string_view to_string(MathFidelity fidelity) {
  switch (fidelity) {
    case MathFidelity::LOFI: return "lofi";
    case MathFidelity::HIFI2: return "hifi2";
    case MathFidelity::HIFI3: return "hifi3";
    case MathFidelity::HIFI4: return "hifi4";
  }
  return "?";
}

MathFidelity parse_math_fidelity(std::string_view name) {
  const std::string s = lower(name);
  for (MathFidelity f : {MathFidelity::LOFI, MathFidelity::HIFI2, MathFidelity::HIFI3, MathFidelity::HIFI4})
    if (s == to_string(f)) return f;
  throw InvalidArgument(fmt::format("math fidelity '{}' is not known: allowed are lofi, hifi2, hifi3, hifi4", name));
}

std::string_view to_string(Numerics numerics) { return numerics == Numerics::CHIP ? "chip" : "exact"; }

Numerics parse_numerics(std::string_view name) {
  const std::string s = lower(name);
  if (s == "chip") return Numerics::CHIP;
  if (s == "exact") return Numerics::EXACT;
  throw InvalidArgument(fmt::format("numerics '{}' is not known: allowed are chip, exact", name));
}

}  // namespace shardwise
