// _shardwise: the C++ core of the `shardwise` Python package. The package's Python
// layer (python/shardwise/) gives it TT-NN's names and keyword arguments.
#include "bindings.hpp"

PYBIND11_MODULE(_shardwise, m) {
  m.doc() = "shardwise C++ core: device model, tensors and depthwise conv2d (use the `shardwise` package)";
  shardwise::python::bind_errors(m);
  shardwise::python::bind_memory_types(m);
  shardwise::python::bind_device(m);
  shardwise::python::bind_tensor(m);
  shardwise::python::bind_conv2d(m);
}
