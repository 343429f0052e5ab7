#include "npy.hpp"

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string_view>

#include "core/error.hpp"

namespace shardwise::npy {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
// Dimensions and element counts above this are refused (a corrupt header, not data).
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 40;

// The header dictionary, as numpy writes it and as Python's literal syntax allows:
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } with either quote,
// any whitespace and an optional trailing comma; exactly these three keys.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  struct Header {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;
  };

  Header parse() {
    Header h;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      skip_space();
      expect(':');
      skip_space();
      if (key == "descr" && !have_descr) {
        h.descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order" && !have_order) {
        h.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape" && !have_shape) {
        h.shape = tuple();
        have_shape = true;
      } else {
        fail(fmt::format("unexpected or repeated key '{}' (a .npy header holds descr, fortran_order and shape once each)", key));
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != '}') fail("expected ',' or '}' after a value");
    }
    expect('}');
    skip_space();
    if (pos_ != text_.size()) fail("text after the closing '}'");
    if (!(have_descr && have_order && have_shape)) fail("descr, fortran_order and shape are all required");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::string_view shown = text_;
    while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\n')) shown.remove_suffix(1);  // numpy's padding
    throw InvalidArgument(fmt::format("'{}' is not a valid .npy file: its header {} (at character {} of \"{}\")", path_, what, pos_,
                                      shown));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(fmt::format("expected '{}'", c));
    ++pos_;
  }
  std::string string_literal() {
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const std::size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) fail("has an unterminated string");
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }
  bool boolean() {
    if (text_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (text_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("expected True or False for fortran_order");
  }
  std::vector<std::int64_t> tuple() {
    expect('(');
    std::vector<std::int64_t> dims;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (peek() == '-') fail("has a negative dimension");
      if (peek() < '0' || peek() > '9') fail("expected a dimension (a non-negative integer)");
      std::uint64_t value = 0;
      while (peek() >= '0' && peek() <= '9') {
        value = value * 10 + static_cast<std::uint64_t>(peek() - '0');
        if (value > kMaxElements) fail(fmt::format("has a dimension above {}", kMaxElements));
        ++pos_;
      }
      dims.push_back(static_cast<std::int64_t>(value));
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      skip_space();
      if (peek() != ')') fail("expected ',' or ')' in the shape");
    }
    ++pos_;
    return dims;
  }

  std::string_view text_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

std::uint32_t read_le(const unsigned char* p, int bytes) {
  std::uint32_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<std::uint32_t>(p[i]) << (8 * i);
  return value;
}

float bits_to_float(std::uint32_t bits) { return std::bit_cast<float>(bits); }

// IEEE binary16 bits -> float (exact).
float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exponent = (h >> 10) & 0x1Fu, mantissa = h & 0x3FFu;
  if (exponent == 0x1F) return bits_to_float(sign | 0x7F800000u | (mantissa << 13));  // inf / NaN
  if (exponent != 0) return bits_to_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
  const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;  // subnormal or zero: exact
  return sign ? -magnitude : magnitude;
}

}  // namespace

std::string describe_shape(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += fmt::format("{}{}", i ? ", " : "", shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

Array load(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  check_arg(fs::exists(path, ec), "cannot open '{}': no such file", path);
  check_arg(fs::is_regular_file(path, ec), "cannot read '{}': it is not a regular file (a directory?)", path);
  const std::uint64_t file_bytes = fs::file_size(path, ec);
  check_arg(!ec, "cannot read the size of '{}': {}", path, ec.message());
  std::ifstream in(path, std::ios::binary);
  check_arg(in.good(), "cannot open '{}' for reading", path);
  std::vector<std::uint8_t> bytes(file_bytes);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  check_arg(static_cast<std::uint64_t>(in.gcount()) == file_bytes, "reading '{}' failed after {} of {} bytes", path, in.gcount(),
            file_bytes);
  return parse(bytes, path);
}

Array parse(std::span<const std::uint8_t> file, const std::string& path) {
  const std::uint64_t file_bytes = file.size();
  check_arg(file_bytes >= 10 && std::memcmp(file.data(), kMagic, 6) == 0, "'{}' is not a .npy file (it does not begin with \\x93NUMPY)",
            path);
  const int major = file[6], minor = file[7];
  check_arg((major == 1 || major == 2 || major == 3) && minor == 0, "'{}': .npy format version {}.{} is not one of 1.0, 2.0, 3.0", path,
            major, minor);
  std::uint64_t offset = 10, header_len = read_le(file.data() + 8, 2);
  if (major >= 2) {
    check_arg(file_bytes >= 12, "'{}' is truncated in its header", path);
    header_len = read_le(file.data() + 8, 4);
    offset = 12;
  }
  check_arg(offset + header_len <= file_bytes, "'{}' is truncated: its header claims {} bytes, the file has {} in all", path, header_len,
            file_bytes);
  const std::string header(reinterpret_cast<const char*>(file.data() + offset), header_len);
  check_arg(!header.empty() && header.back() == '\n', "'{}' is not a valid .npy file: its header does not end with a newline", path);
  const auto h = HeaderParser(header, path).parse();

  std::size_t item = 0;
  if (h.descr == "<f4") item = 4;
  else if (h.descr == "<f8") item = 8;
  else if (h.descr == "<f2") item = 2;
  check_arg(item != 0,
            "'{}' holds dtype '{}': accepted are little-endian float32 ('<f4'), and float64 ('<f8', rounded to the nearest "
            "float32) or float16 ('<f2', exact), converted",
            path, h.descr);
  check_arg(!h.fortran_order, "'{}' is in Fortran order: only C order is accepted (numpy.ascontiguousarray)", path);

  Array array;
  array.shape = h.shape;
  std::uint64_t count = 1;
  for (const std::int64_t d : h.shape) {
    // Each dimension is at most kMaxElements (the parser's bound): the product is checked step by step.
    check_arg(d == 0 || count <= kMaxElements / static_cast<std::uint64_t>(d), "'{}': shape {} holds more than {} values", path,
              describe_shape(h.shape), kMaxElements);
    count *= static_cast<std::uint64_t>(d);
  }
  const std::uint64_t data_bytes = file_bytes - offset - header_len;
  check_arg(data_bytes == count * item, "'{}' has {} data bytes; its header promises shape {} of '{}': {} bytes", path, data_bytes,
            describe_shape(h.shape), h.descr, count * item);
  array.values.resize(count);
  const std::uint8_t* data = file.data() + offset + header_len;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint8_t* p = data + i * item;
    if (item == 4) {
      std::memcpy(&array.values[i], p, 4);
    } else if (item == 8) {
      double v;
      std::memcpy(&v, p, 8);
      array.values[i] = static_cast<float>(v);  // round to nearest even, as numpy's astype(float32)
    } else {
      array.values[i] = half_to_float(static_cast<std::uint16_t>(p[0] | (p[1] << 8)));
    }
  }
  return array;
}

void save(const std::string& path, const std::vector<std::int64_t>& shape, const std::vector<float>& values) {
  std::string dims;
  for (auto d : shape) dims += fmt::format("{}, ", d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  if (shape.size() == 1) dims.pop_back();  // "(n,)"
  std::string header = fmt::format("{{'descr': '<f4', 'fortran_order': False, 'shape': ({}), }}", dims);
  // The data starts on a 64-byte boundary; the header ends with '\n'.
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  check_arg(out.good(), "cannot open '{}' for writing", path);
  out.write(kMagic, 6);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const char len[2] = {static_cast<char>(header.size() & 0xFF), static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
  check_arg(out.good(), "writing '{}' failed", path);
}

}  // namespace shardwise::npy
