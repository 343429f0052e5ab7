#pragma once
// The parts of the _shardwise extension module, one file per idea.
#include <pybind11/pybind11.h>

namespace shardwise::python {

void bind_errors(pybind11::module_& m);
void bind_memory_types(pybind11::module_& m);  // dtypes, layouts, cores, memory configs
void bind_device(pybind11::module_& m);
void bind_tensor(pybind11::module_& m);
void bind_conv2d(pybind11::module_& m);

}  // namespace shardwise::python
