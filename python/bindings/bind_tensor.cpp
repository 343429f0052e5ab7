// Tensor: a host tensor (device-format bytes) or a device tensor, with the moves
// between numpy, host and device. Values cross into Python as float32 numpy arrays
// (every float dtype converts to float32 exactly); the Python layer adds torch.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "bindings.hpp"
#include "core/error.hpp"
#include "handles.hpp"

namespace py = pybind11;

namespace shardwise::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

TensorHandle from_array(const FloatArray& array, DataType dtype, Layout layout, float pad_value) {
  check_arg(array.ndim() >= 1, "from_numpy/from_torch: a tensor needs at least one dimension, got a 0-d array");
  std::vector<std::int64_t> dims(array.shape(), array.shape() + array.ndim());
  for (std::size_t i = 0; i < dims.size(); ++i)
    check_arg(dims[i] >= 1, "from_numpy/from_torch: dimension {} of the array is {}; every dimension must be >= 1", i,
              dims[i]);
  const std::span<const float> values(array.data(), static_cast<std::size_t>(array.size()));
  py::gil_scoped_release release;
  return TensorHandle::from_host(Tensor::from_vector(values, Shape(std::span<const std::int64_t>(dims)), dtype, layout, pad_value));
}

FloatArray to_array(const TensorHandle& t) {
  std::vector<float> values;
  {
    py::gil_scoped_release release;
    values = t.to_host().to_vector();
  }
  const auto& dims = t.logical_shape().dims();
  FloatArray out(std::vector<py::ssize_t>(dims.begin(), dims.end()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

TensorHandle move_to_device(const TensorHandle& t, const std::shared_ptr<DeviceHandle>& device, const MemoryConfig& config) {
  check_arg(device != nullptr, "to_device: device is None");
  Tensor host = t.to_host();
  py::gil_scoped_release release;
  std::lock_guard lock(device->run_mutex);
  return TensorHandle::from_device_tensor(to_device(host, device->get(), config, "tensor"), device);
}

// Applies a host conversion, keeping the tensor where it was (a device tensor goes to
// the host, converts, and comes back with the same memory config).
template <typename Convert>
TensorHandle convert(const TensorHandle& t, Convert&& convert_host) {
  Tensor converted = convert_host(t.to_host());
  if (t.on_host()) return TensorHandle::from_host(std::move(converted));
  return move_to_device(TensorHandle::from_host(std::move(converted)), t.device, t.on_device->memory_config);
}

// A buffer's memory as bytes; InvalidArgument unless it is C-contiguous.
std::span<std::uint8_t> contiguous_bytes(const py::buffer_info& info, const char* what) {
  py::ssize_t stride = info.itemsize;
  for (py::ssize_t d = info.ndim - 1; d >= 0; --d) {
    check_arg(info.shape[d] == 1 || info.strides[d] == stride, "{}: the buffer is not C-contiguous", what);
    stride *= info.shape[d];
  }
  return {static_cast<std::uint8_t*>(info.ptr), static_cast<std::size_t>(info.size * info.itemsize)};
}

// Raw ROW_MAJOR bytes (a C-contiguous buffer of 2-byte bfloat16 bits or 4-byte float32
// values: torch memory viewed as numpy) straight onto the device, DRAM interleaved: one
// copy. The buffer's byte size must be the tensor's.
// A C-contiguous buffer of raw bfloat16 bits (2-byte items) or float32 values, as the
// bytes of a tensor of `dtype` (their count is checked where they are used).
std::span<std::uint8_t> raw_tensor_bytes(const py::buffer_info& info, DataType dtype, const char* what) {
  check_arg(dtype == DataType::BFLOAT16 || dtype == DataType::FLOAT32, "{}: dtype {} must be bfloat16 or float32", what,
            to_string(dtype));
  check_arg(info.itemsize == static_cast<py::ssize_t>(element_size(dtype)), "{}: {}-byte items for {} ({} bytes each)", what,
            info.itemsize, to_string(dtype), element_size(dtype));
  return contiguous_bytes(info, what);
}

TensorHandle device_tensor_from_buffer(const std::shared_ptr<DeviceHandle>& device, const py::buffer& data,
                                       const std::vector<std::int64_t>& dims, DataType dtype) {
  check_arg(device != nullptr, "device_tensor_from_buffer: device is None");
  const std::span<const std::uint8_t> bytes = raw_tensor_bytes(data.request(), dtype, "device_tensor_from_buffer");
  const Shape shape{std::span<const std::int64_t>(dims)};
  py::gil_scoped_release release;
  std::lock_guard lock(device->run_mutex);
  return TensorHandle::from_device_tensor(to_device(bytes, shape, dtype, Layout::ROW_MAJOR, device->get(), MemoryConfig::dram_interleaved()),
                                          device);
}

// The host preset: a ROW_MAJOR DRAM-interleaved device tensor over a writable C-contiguous
// buffer's memory (raw bfloat16 bits or float32 values), no copy: kernels read and
// write the caller's memory. The buffer's Python object is kept alive by the device
// buffer (released with the GIL taken).
TensorHandle device_tensor_wrapping(const std::shared_ptr<DeviceHandle>& device, const py::buffer& data,
                                    const std::vector<std::int64_t>& dims, DataType dtype) {
  check_arg(device != nullptr, "device_tensor_wrapping: device is None");
  const py::buffer_info info = data.request(true);
  check_arg(!info.readonly, "device_tensor_wrapping: the buffer is read-only");
  const std::span<std::uint8_t> bytes = raw_tensor_bytes(info, dtype, "device_tensor_wrapping");
  const Shape shape{std::span<const std::int64_t>(dims)};
  std::shared_ptr<void> owner(new py::object(data), [](void* object) {
    py::gil_scoped_acquire gil;
    delete static_cast<py::object*>(object);
  });
  py::gil_scoped_release release;
  std::lock_guard lock(device->run_mutex);
  return TensorHandle::from_device_tensor(wrap_host_memory(bytes, shape, dtype, device->get(), "wrapped host memory", std::move(owner)),
                                          device);
}

// A ROW_MAJOR tensor's bytes into a writable C-contiguous buffer of exactly its size: one copy.
void read_into(const TensorHandle& t, const py::buffer& data) {
  const py::buffer_info info = data.request(true);
  check_arg(!info.readonly, "read_into: the buffer is read-only");
  check_arg(t.layout() == Layout::ROW_MAJOR, "read_into: the tensor is {}; only ROW_MAJOR tensors are read as raw bytes",
            to_string(t.layout()));
  const std::span<std::uint8_t> bytes = contiguous_bytes(info, "read_into");
  py::gil_scoped_release release;
  if (t.on_host()) {
    const auto source = t.host->bytes();
    check_arg(source.size() == bytes.size(), "read_into: {} bytes given for a tensor of {} bytes", bytes.size(), source.size());
    std::copy(source.begin(), source.end(), bytes.begin());
    return;
  }
  std::lock_guard lock(t.device->run_mutex);
  read_from_device(t.device_tensor(), bytes);
}

std::string describe(const TensorHandle& t) {
  std::string where = "HOST";
  if (!t.on_host())
    where = !t.on_device->buffer ? "DEVICE, deallocated" : "DEVICE " + t.on_device->memory_config.to_string();
  const char* role = t.prepared == PreparedRole::CONV_WEIGHTS ? ", prepared conv weights"
                     : t.prepared == PreparedRole::CONV_BIAS  ? ", prepared conv bias"
                                                              : "";
  return fmt::format("Tensor(shape={}, dtype={}, layout={}, storage={}{})", t.logical_shape().to_string(),
                     to_string(t.dtype()), to_string(t.layout()), where, role);
}

}  // namespace

void bind_tensor(py::module_& m) {
  py::class_<TensorHandle>(m, "Tensor",
                           "A shardwise tensor: on the host (bytes in device format) or on a device.\n"
                           "Make one with shardwise.from_torch / from_numpy; read it with to_torch / to_numpy.")
      .def_static("from_array", &from_array, py::arg("array"), py::arg("dtype") = DataType::FLOAT32,
                  py::arg("layout") = Layout::ROW_MAJOR, py::arg("pad_value") = 0.0f,
                  "A host tensor holding a float32 array converted to `dtype` in `layout` (block-float dtypes need TILE).")
      .def("to_array", &to_array, "The logical values as a float32 numpy array (read back from the device if needed).")
      .def("read_into", &read_into, py::arg("buffer"),
           "Copies a ROW_MAJOR tensor's raw bytes (bfloat16 bits or float32 values) into a writable C-contiguous buffer of "
           "exactly its size.")
      .def("to_device", &move_to_device, py::arg("device"), py::arg("memory_config"),
           "A copy of this tensor on `device`, placed as `memory_config` says.")
      .def("cpu", [](const TensorHandle& t) { return TensorHandle::from_host(t.to_host()); }, "A host copy.")
      .def("to_layout",
           [](const TensorHandle& t, Layout layout) {
             return convert(t, [&](const Tensor& h) { return h.to_layout(layout); });
           },
           py::arg("layout"))
      .def("to_dtype",
           [](const TensorHandle& t, DataType dtype) {
             return convert(t, [&](const Tensor& h) {
               if (is_block_float(dtype) && h.layout() != Layout::TILE) return h.to_layout(Layout::TILE).to_dtype(dtype);
               return h.to_dtype(dtype);
             });
           },
           py::arg("dtype"), "The values in another dtype (block-float dtypes turn the tensor into TILE layout).")
      .def("reshape",
           [](const TensorHandle& t, const std::vector<std::uint32_t>& shape) {
             return convert(t, [&](const Tensor& h) { return h.reshape(Shape(shape)); });
           },
           py::arg("shape"), "Same values, a new shape of the same volume (ROW_MAJOR tensors).")
      .def("to_bytes",
           [](const TensorHandle& t) {
             const Tensor h = t.to_host();
             return py::bytes(reinterpret_cast<const char*>(h.bytes().data()), h.bytes().size());
           },
           "The bytes exactly as they lie in device memory (tiles packed, faces in order).")
      .def_property_readonly("shape", [](const TensorHandle& t) { return t.logical_shape().dim_vector(); })
      .def_property_readonly("padded_shape", [](const TensorHandle& t) { return t.padded_shape().dim_vector(); })
      .def_property_readonly("dtype", &TensorHandle::dtype)
      .def_property_readonly("layout", &TensorHandle::layout)
      .def("storage_type", [](const TensorHandle& t) { return t.on_host() ? "HOST" : "DEVICE"; })
      .def("is_on_device", [](const TensorHandle& t) { return !t.on_host(); })
      .def("is_allocated", [](const TensorHandle& t) { return t.on_host() || t.on_device->buffer != nullptr; })
      .def("memory_config",
           [](const TensorHandle& t) -> std::optional<MemoryConfig> {
             if (t.on_host()) return std::nullopt;
             return t.on_device->memory_config;
           },
           "The device tensor's MemoryConfig (None on the host).")
      .def("device", [](const TensorHandle& t) { return t.device; }, "The device holding the tensor (None on the host).")
      .def("deallocate",
           [](TensorHandle& t) {
             if (t.on_device) t.on_device->buffer.reset();
           },
           "Frees the device buffer (when no other tensor shares it).")
      .def_property_readonly("is_prepared_conv_weights",
                             [](const TensorHandle& t) { return t.prepared == PreparedRole::CONV_WEIGHTS; })
      .def_property_readonly("is_prepared_conv_bias", [](const TensorHandle& t) { return t.prepared == PreparedRole::CONV_BIAS; })
      .def("__repr__", &describe);
  m.def("device_tensor_wrapping", &device_tensor_wrapping, py::arg("device"), py::arg("buffer"), py::arg("shape"), py::arg("dtype"),
        "The host preset: a DRAM-interleaved ROW_MAJOR device tensor over a writable C-contiguous buffer of raw bfloat16 bits "
        "or float32 values, no copy (rows of a multiple of 32 bytes; ValueError otherwise).");
  m.def("device_tensor_from_buffer", &device_tensor_from_buffer, py::arg("device"), py::arg("buffer"), py::arg("shape"),
        py::arg("dtype"),
        "A DRAM-interleaved ROW_MAJOR device tensor of `shape` from a C-contiguous buffer of raw bfloat16 bits (2-byte items) "
        "or float32 values: one copy.");
}

}  // namespace shardwise::python
