#pragma once
// Tensor shapes: a list of positive dimensions, outermost first.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace shardwise {

class Shape {
 public:
  Shape() = default;
  // Every dimension must be >= 1; InvalidArgument naming the bad one otherwise.
  Shape(std::initializer_list<std::int64_t> dims);
  explicit Shape(std::span<const std::int64_t> dims);
  explicit Shape(const std::vector<std::uint32_t>& dims);

  std::size_t rank() const { return dims_.size(); }
  std::uint32_t operator[](std::size_t i) const { return dims_.at(i); }
  // Dimension counted from the end: back(0) is the last.
  std::uint32_t back(std::size_t i = 0) const { return dims_.at(dims_.size() - 1 - i); }
  std::uint64_t volume() const;
  const std::vector<std::uint32_t>& dims() const { return dims_; }

  // Rows of the 2D view: product of every dimension but the last (1 for rank 1).
  std::uint64_t rows() const;
  std::uint32_t cols() const { return back(0); }

  std::string to_string() const;  // "[1, 1, 64, 32]"
  friend bool operator==(const Shape&, const Shape&) = default;

 private:
  std::vector<std::uint32_t> dims_;
};

}  // namespace shardwise
