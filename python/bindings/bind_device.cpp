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
      .def("close", [](DeviceHandle& d) { d.device.reset(); }, "Frees the device; its tensors become unusable.")
      .def_property_readonly("is_open", [](const DeviceHandle& d) { return d.device != nullptr; })
      .def_property_readonly("watcher", [](const DeviceHandle& d) { return d.get().watcher(); }, "Whether the watcher checks kernel memory accesses.")
      .def("arch", [](const DeviceHandle& d) { return d.arch_name; }, "The arch preset's name.")
      .def(
          "compute_with_storage_grid_size",
          [](const DeviceHandle& d) {
            const Arch& a = d.get().arch();
            return CoreCoord{a.grid_x, a.grid_y};
          },
          "The grid of compute cores, as CoreCoord(x=columns, y=rows).")
      .def("l1_size", [](const DeviceHandle& d) { return d.get().arch().l1_size; }, "Bytes of L1 per core.")
      .def("l1_free_bytes", [](const DeviceHandle& d) { return d.get().l1_free_bytes(); },
           "L1 bytes per core not taken by buffers.")
      .def("num_dram_banks", [](const DeviceHandle& d) { return d.get().arch().num_dram_banks; })
      .def("__repr__", [](const DeviceHandle& d) {
        if (!d.device) return fmt::format("Device(arch={}, closed)", d.arch_name);
        const Arch& a = d.device->arch();
        return fmt::format("Device(arch={}, grid={}x{}, l1_size={})", a.name, a.grid_x, a.grid_y, a.l1_size);
      });
}

}  // namespace shardwise::python
