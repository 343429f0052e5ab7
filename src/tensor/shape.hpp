#pragma once
// Tensor shapes: a list of positive dimensions, outermost first, held inline (no heap:
// every device tensor carries two shapes, and a conv call copies several tensors).
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace shardwise {

class Shape {
 public:
  static constexpr std::size_t kMaxRank = 8;

  Shape() = default;
  // Every dimension must be >= 1 and the rank at most kMaxRank; InvalidArgument naming
  // the bad value otherwise.
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::span<const std::int64_t> dims);
  explicit Shape(const std::vector<std::uint32_t>& dims);

  std::size_t rank() const { return rank_; }
  // std::out_of_range past the rank, as std::vector::at.
  std::uint32_t operator[](std::size_t i) const {
    if (i >= rank_) throw_out_of_range(i);
    return dims_[i];
  }
  // Dimension counted from the end: back(0) is the last.
  std::uint32_t back(std::size_t i = 0) const { return (*this)[rank_ - 1 - i]; }
  std::uint64_t volume() const;
  std::span<const std::uint32_t> dims() const { return {dims_.data(), rank_}; }
  std::vector<std::uint32_t> dim_vector() const { return {dims_.begin(), dims_.begin() + rank_}; }

  // Rows of the 2D view: product of every dimension but the last (1 for rank 1).
  std::uint64_t rows() const;
  std::uint32_t cols() const { return back(0); }

  std::string to_string() const;  // "[1, 1, 64, 32]"
  friend bool operator==(const Shape&, const Shape&) = default;  // unused slots are always 0

 private:
  void assign(std::span<const std::int64_t> dims);
  [[noreturn]] void throw_out_of_range(std::size_t i) const;

  std::array<std::uint32_t, kMaxRank> dims_{};
  std::size_t rank_ = 0;
};

}  // namespace shardwise
