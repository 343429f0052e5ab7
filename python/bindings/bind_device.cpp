// Device: the device model behind open_device(). Closing it frees its memory; tensors
// still held then raise DeviceError when used.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "bindings.hpp"
#include "device/arch.hpp"
#include "handles.hpp"

namespace py = pybind11;

namespace shardwise::python {
namespace {

// fn(handle) with the device's run_mutex held and the GIL released while waiting for
// it: a query never reads the device while another thread runs a program on it or
// closes it. Lock order: the GIL is never awaited while run_mutex is held.
template <typename Fn>
auto locked(DeviceHandle& d, Fn&& fn) {
  py::gil_scoped_release release;
  std::lock_guard lock(d.run_mutex);
  return fn(d);
}

}  // namespace

void bind_device(py::module_& m) {
  py::class_<DeviceHandle, std::shared_ptr<DeviceHandle>>(m, "Device", "A device model (see open_device).")
      .def(py::init([](const std::string& arch, std::optional<std::uint32_t> l1_size,
                       std::optional<std::pair<std::uint32_t, std::uint32_t>> grid, std::vector<CoreCoord> dprint_cores,
                       std::string dprint_dir, std::optional<bool> watcher) {
             ArchOverrides overrides;
             overrides.l1_size = l1_size;
             if (grid) {
               overrides.grid_x = grid->first;
               overrides.grid_y = grid->second;
             }
             DeviceOptions options;
             options.dprint.cores = std::move(dprint_cores);
             options.dprint.directory = std::move(dprint_dir);
             options.watcher = watcher;
             auto handle = std::make_shared<DeviceHandle>();
             handle->device = std::make_unique<Device>(arch_preset(arch, overrides), options);
             handle->arch_name = handle->device->arch().name;
             return handle;
           }),
           py::arg("arch") = "wormhole_b0", py::arg("l1_size") = py::none(), py::arg("grid") = py::none(),
           py::arg("dprint_cores") = std::vector<CoreCoord>{}, py::arg("dprint_dir") = "", py::arg("watcher") = py::none())
      .def(
          "close",
          [](DeviceHandle& d) {
            // Waits for a program another thread runs on the device (it holds run_mutex
            // with the GIL released) instead of freeing the device under it.
            py::gil_scoped_release release;
            std::lock_guard lock(d.run_mutex);
            d.device.reset();
          },
          "Frees the device once no program runs on it; its tensors, and every later call on it, then raise.")
      .def_property_readonly("is_open", [](DeviceHandle& d) { return locked(d, [](DeviceHandle& h) { return h.device != nullptr; }); })
      .def_property_readonly("watcher", [](DeviceHandle& d) { return locked(d, [](DeviceHandle& h) { return h.get().watcher(); }); },
                             "Whether the watcher checks kernel memory accesses.")
      .def("arch", [](const DeviceHandle& d) { return d.arch_name; }, "The arch preset's name.")
      .def(
          "compute_with_storage_grid_size",
          [](DeviceHandle& d) {
            return locked(d, [](DeviceHandle& h) {
              const Arch& a = h.get().arch();
              return CoreCoord{a.grid_x, a.grid_y};
            });
          },
          "The grid of compute cores, as CoreCoord(x=columns, y=rows).")
      .def("l1_size", [](DeviceHandle& d) { return locked(d, [](DeviceHandle& h) { return h.get().arch().l1_size; }); },
           "Bytes of L1 per core.")
      .def("l1_free_bytes", [](DeviceHandle& d) { return locked(d, [](DeviceHandle& h) { return h.get().l1_free_bytes(); }); },
           "L1 bytes per core not taken by buffers.")
      .def("num_dram_banks", [](DeviceHandle& d) { return locked(d, [](DeviceHandle& h) { return h.get().arch().num_dram_banks; }); })
      .def("__repr__", [](DeviceHandle& d) {
        return locked(d, [](DeviceHandle& h) {
          if (!h.device) return fmt::format("Device(arch={}, closed)", h.arch_name);
          const Arch& a = h.device->arch();
          return fmt::format("Device(arch={}, grid={}x{}, l1_size={})", a.name, a.grid_x, a.grid_y, a.l1_size);
        });
      });
}

}  // namespace shardwise::python
