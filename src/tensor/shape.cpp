#include "tensor/shape.hpp"

#include <limits>
#include <stdexcept>

#include "core/error.hpp"

namespace shardwise {

void Shape::assign(std::span<const std::int64_t> dims) {
  check_arg(!dims.empty(), "a shape needs at least one dimension");
  check_arg(dims.size() <= kMaxRank, "a shape of rank {}: at most {} dimensions are allowed", dims.size(), kMaxRank);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    check_arg(dims[i] >= 1 && dims[i] <= std::numeric_limits<std::uint32_t>::max(),
              "shape dimension {} is {}: every dimension must be between 1 and 2^32-1", i, dims[i]);
    dims_[i] = static_cast<std::uint32_t>(dims[i]);
  }
  rank_ = dims.size();
}

void Shape::throw_out_of_range(std::size_t i) const {
  throw std::out_of_range(fmt::format("shape {}: no dimension {} (rank {})", to_string(), i, rank_));
}

Shape::Shape(std::initializer_list<std::int64_t> dims) { assign(std::span<const std::int64_t>(dims.begin(), dims.size())); }

Shape::Shape(std::span<const std::int64_t> dims) { assign(dims); }

Shape::Shape(const std::vector<std::uint32_t>& dims) {
  const std::vector<std::int64_t> wide(dims.begin(), dims.end());
  assign(wide);
}

std::uint64_t Shape::volume() const {
  std::uint64_t v = 1;
  for (const std::uint32_t d : dims()) v *= d;
  return v;
}

std::uint64_t Shape::rows() const { return rank_ == 0 ? 0 : volume() / dims_[rank_ - 1]; }

std::string Shape::to_string() const { return fmt::format("[{}]", fmt::join(dims(), ", ")); }

}  // namespace shardwise
