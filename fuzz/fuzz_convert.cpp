// convert's packers and unpackers (tilize, block-float packing, dtype casts) on
// arbitrary bytes: a tensor either decodes from them (and survives every conversion and
// the way back) or is refused with InvalidArgument.
#include "core/error.hpp"
#include "fuzz_input.hpp"
#include "tensor/tensor.hpp"

using namespace shardwise;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::FuzzInput in(data, size);
  constexpr DataType kDtypes[] = {DataType::FLOAT32, DataType::BFLOAT16, DataType::BFLOAT8_B, DataType::BFLOAT4_B};
  const DataType from = kDtypes[in.byte() % 4], to = kDtypes[in.byte() % 4];
  const Layout from_layout = in.byte() % 2 ? Layout::TILE : Layout::ROW_MAJOR;
  const Layout to_layout = in.byte() % 2 ? Layout::TILE : Layout::ROW_MAJOR;
  const std::int64_t rows = in.byte() % 80, cols = in.byte() % 80;  // 0 included: must be refused cleanly
  const auto rest = in.rest();
  try {
    const Tensor t = Tensor::from_bytes(std::vector<std::uint8_t>(rest.begin(), rest.end()), Shape{rows, cols}, from, from_layout);
    const Tensor converted = t.to_layout(Layout::TILE).to_dtype(to).to_layout(to_layout);
    const std::vector<float> values = converted.to_vector();
    if (values.size() != static_cast<std::size_t>(rows * cols)) __builtin_trap();
    const auto bytes = converted.bytes();
    (void)Tensor::from_bytes(std::vector<std::uint8_t>(bytes.begin(), bytes.end()), Shape{rows, cols}, to, to_layout).to_vector();
  } catch (const InvalidArgument&) {
  }
  return 0;
}
