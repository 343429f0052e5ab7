// C++ errors become Python exceptions carrying the C++ message:
//   InvalidArgument -> ValueError
//   OutOfMemory     -> shardwise.OutOfMemoryError (a RuntimeError)
//   Deadlock        -> shardwise.DeadlockError (a RuntimeError)
//   DeviceError and any other shardwise::Error -> shardwise.DeviceError (a RuntimeError)
// Anything else a C++ call throws is translated by pybind11 itself (std::exception ->
// RuntimeError), so no error reaches the interpreter as a crash.
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "core/error.hpp"

namespace py = pybind11;

namespace shardwise::python {

void bind_errors(py::module_& m) {
  static py::exception<DeviceError> device_error(m, "DeviceError", PyExc_RuntimeError);
  static py::exception<OutOfMemory> out_of_memory(m, "OutOfMemoryError", device_error.ptr());
  static py::exception<Deadlock> deadlock(m, "DeadlockError", device_error.ptr());
  device_error.doc() = "The device model refused a run (watcher error, out of memory, deadlock).";
  out_of_memory.doc() = "A buffer or the circular buffers of a program do not fit in L1 or DRAM.";
  deadlock.doc() = "Every kernel of a program is waiting and none can make progress.";

  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const InvalidArgument& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const OutOfMemory& e) {
      PyErr_SetString(out_of_memory.ptr(), e.what());
    } catch (const Deadlock& e) {
      PyErr_SetString(deadlock.ptr(), e.what());
    } catch (const Error& e) {
      PyErr_SetString(device_error.ptr(), e.what());
    }
  });
}

}  // namespace shardwise::python
