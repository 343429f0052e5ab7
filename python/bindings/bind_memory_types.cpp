// Plain descriptions with TT-NN's names: DataType (bfloat16, float32, bfloat8_b,
// bfloat4_b), Layout, TensorMemoryLayout, BufferType, ShardOrientation, CoreCoord,
// CoreRange, CoreRangeSet, ShardSpec, MemoryConfig.
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "bindings.hpp"
#include "core/data_type.hpp"
#include "core/error.hpp"
#include "tensor/memory_config.hpp"
#include "tensor/tensor.hpp"

namespace py = pybind11;

namespace shardwise::python {

namespace {

CoreRangeSet core_range_set_from(const py::iterable& ranges) {
  CoreRangeSet set;
  for (const py::handle& r : ranges) set.ranges.push_back(r.cast<CoreRange>());
  check_arg(!set.ranges.empty(), "CoreRangeSet needs at least one CoreRange");
  for (std::size_t i = 0; i < set.ranges.size(); ++i) {
    const CoreRange& a = set.ranges[i];
    check_arg(a.start.x <= a.end.x && a.start.y <= a.end.y, "CoreRange {} has its start after its end", a.to_string());
    for (std::size_t j = 0; j < i; ++j)
      check_arg(!(a.start.x <= set.ranges[j].end.x && set.ranges[j].start.x <= a.end.x && a.start.y <= set.ranges[j].end.y &&
                  set.ranges[j].start.y <= a.end.y),
                "CoreRangeSet: {} overlaps {}", a.to_string(), set.ranges[j].to_string());
  }
  return set;
}

}  // namespace

void bind_memory_types(py::module_& m) {
  py::enum_<DataType>(m, "DataType", "Element types, as stored in device memory.")
      .value("FLOAT32", DataType::FLOAT32)
      .value("BFLOAT16", DataType::BFLOAT16)
      .value("BFLOAT8_B", DataType::BFLOAT8_B)
      .value("BFLOAT4_B", DataType::BFLOAT4_B)
      .value("UINT16", DataType::UINT16)
      .value("UINT32", DataType::UINT32)
      .value("INT32", DataType::INT32);
  m.def("tile_size", [](DataType dtype) { return tile_size(dtype); }, py::arg("dtype"),
        "Bytes of one 32x32 tile of `dtype` (4096 float32, 2048 bfloat16, 1088 bfloat8_b, 576 bfloat4_b).");

  py::enum_<Layout>(m, "Layout", "ROW_MAJOR: sticks of the last dimension; TILE: 32x32 tiles of 16x16 faces.")
      .value("ROW_MAJOR", Layout::ROW_MAJOR)
      .value("TILE", Layout::TILE);

  py::enum_<TensorMemoryLayout>(m, "TensorMemoryLayout", "How a device tensor is spread over banks or cores.")
      .value("INTERLEAVED", TensorMemoryLayout::INTERLEAVED)
      .value("HEIGHT_SHARDED", TensorMemoryLayout::HEIGHT_SHARDED)
      .value("WIDTH_SHARDED", TensorMemoryLayout::WIDTH_SHARDED)
      .value("BLOCK_SHARDED", TensorMemoryLayout::BLOCK_SHARDED);

  py::enum_<BufferType>(m, "BufferType", "Where a buffer lives.")
      .value("DRAM", BufferType::DRAM)
      .value("L1", BufferType::L1);

  py::enum_<ShardOrientation>(m, "ShardOrientation", "Order in which shards are given to the cores of a grid.")
      .value("ROW_MAJOR", ShardOrientation::ROW_MAJOR)
      .value("COL_MAJOR", ShardOrientation::COL_MAJOR);

  py::class_<CoreCoord>(m, "CoreCoord", "A core of the grid: x (column), y (row).")
      .def(py::init<>())
      .def(py::init([](std::int64_t x, std::int64_t y) {
             // Taken as signed so that a negative coordinate is a ValueError naming it, not
             // pybind's signature mismatch.
             check_arg(x >= 0 && y >= 0 && x <= 0xFFFF && y <= 0xFFFF, "CoreCoord({}, {}): x and y must be between 0 and 65535", x, y);
             return CoreCoord{static_cast<std::uint32_t>(x), static_cast<std::uint32_t>(y)};
           }),
           py::arg("x"), py::arg("y"))
      .def_readwrite("x", &CoreCoord::x)
      .def_readwrite("y", &CoreCoord::y)
      .def(py::self == py::self)
      .def("__hash__", [](const CoreCoord& c) { return py::hash(py::make_tuple(c.x, c.y)); })
      .def("__repr__", [](const CoreCoord& c) { return fmt::format("CoreCoord(x={}, y={})", c.x, c.y); });

  py::class_<CoreRange>(m, "CoreRange", "An inclusive rectangle of cores, from `start` to `end`.")
      .def(py::init([](CoreCoord start, CoreCoord end) {
             check_arg(start.x <= end.x && start.y <= end.y, "CoreRange start {} is after end {}", start.to_string(),
                       end.to_string());
             return CoreRange{start, end};
           }),
           py::arg("start"), py::arg("end"))
      .def_readonly("start", &CoreRange::start)
      .def_readonly("end", &CoreRange::end)
      .def("num_cores", &CoreRange::num_cores)
      .def(py::self == py::self)
      .def("__hash__",
           [](const CoreRange& r) { return py::hash(py::make_tuple(r.start.x, r.start.y, r.end.x, r.end.y)); })
      .def("__repr__", [](const CoreRange& r) { return "CoreRange" + r.to_string(); });

  py::class_<CoreRangeSet>(m, "CoreRangeSet", "A set of disjoint core rectangles, e.g. CoreRangeSet({CoreRange(...)}).")
      .def(py::init(&core_range_set_from), py::arg("ranges"))
      .def(py::init([](const CoreRange& r) { return core_range_set_from(py::make_tuple(r)); }), py::arg("range"))
      .def_readonly("ranges", &CoreRangeSet::ranges)
      .def("num_cores", &CoreRangeSet::num_cores)
      .def("bounding_box", &CoreRangeSet::bounding_box)
      .def("cores", &CoreRangeSet::cores, py::arg("orientation") = ShardOrientation::ROW_MAJOR,
           "Cores in shard order (ROW_MAJOR: x fastest; COL_MAJOR: y fastest).")
      .def(py::self == py::self)
      .def("__repr__", [](const CoreRangeSet& s) { return "CoreRangeSet" + s.to_string(); });

  py::class_<ShardSpec>(m, "ShardSpec", "Shard grid, shard shape [rows, cols] in elements, and orientation.")
      .def(py::init([](CoreRangeSet grid, std::array<std::uint32_t, 2> shape, ShardOrientation orientation) {
             return ShardSpec{std::move(grid), shape, orientation};
           }),
           py::arg("grid"), py::arg("shape"), py::arg("orientation") = ShardOrientation::ROW_MAJOR)
      .def_readonly("grid", &ShardSpec::grid)
      .def_readonly("shape", &ShardSpec::shape)
      .def_readonly("orientation", &ShardSpec::orientation)
      .def(py::self == py::self)
      .def("__repr__", [](const ShardSpec& s) {
        return fmt::format("ShardSpec(grid={}, shape=[{}, {}], orientation={})", s.grid.to_string(), s.shape[0], s.shape[1],
                           to_string(s.orientation));
      });

  py::class_<MemoryConfig>(m, "MemoryConfig", "Where a device tensor lives: layout, buffer type and shard spec.")
      .def(py::init([](TensorMemoryLayout layout, BufferType type, std::optional<ShardSpec> spec) {
             MemoryConfig config{layout, type, std::move(spec)};
             config.validate();
             return config;
           }),
           py::arg("memory_layout") = TensorMemoryLayout::INTERLEAVED, py::arg("buffer_type") = BufferType::DRAM,
           py::arg("shard_spec") = py::none())
      .def_readonly("memory_layout", &MemoryConfig::memory_layout)
      .def_readonly("buffer_type", &MemoryConfig::buffer_type)
      .def_readonly("shard_spec", &MemoryConfig::shard_spec)
      .def("is_sharded", &MemoryConfig::is_sharded)
      .def(py::self == py::self)  // by value, as TT-NN's tests compare an output's config with the one asked for
      .def("__repr__", [](const MemoryConfig& c) { return "MemoryConfig(" + c.to_string() + ")"; });
}

}  // namespace shardwise::python
