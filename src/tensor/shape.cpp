#include "tensor/shape.hpp"

#include <limits>

#include "core/error.hpp"

namespace shardwise {
namespace {

std::vector<std::uint32_t> checked_dims(std::span<const std::int64_t> dims) {
  check_arg(!dims.empty(), "a shape needs at least one dimension");
  std::vector<std::uint32_t> out;
  out.reserve(dims.size());
  for (std::size_t i = 0; i < dims.size(); ++i) {
    check_arg(dims[i] >= 1 && dims[i] <= std::numeric_limits<std::uint32_t>::max(),
              "shape dimension {} is {}: every dimension must be between 1 and 2^32-1", i, dims[i]);
    out.push_back(static_cast<std::uint32_t>(dims[i]));
  }
  return out;
}

}  // namespace

Shape::Shape(std::initializer_list<std::int64_t> dims)
    : dims_(checked_dims(std::span<const std::int64_t>(dims.begin(), dims.size()))) {}

Shape::Shape(std::span<const std::int64_t> dims) : dims_(checked_dims(dims)) {}

Shape::Shape(const std::vector<std::uint32_t>& dims) {
  std::vector<std::int64_t> wide(dims.begin(), dims.end());
  dims_ = checked_dims(wide);
}

std::uint64_t Shape::volume() const {
  std::uint64_t v = 1;
  for (auto d : dims_) v *= d;
  return v;
}

std::uint64_t Shape::rows() const { return dims_.empty() ? 0 : volume() / dims_.back(); }

std::string Shape::to_string() const { return fmt::format("[{}]", fmt::join(dims_, ", ")); }

}  // namespace shardwise
