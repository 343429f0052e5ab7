#include "handles.hpp"

#include "core/error.hpp"

namespace shardwise::python {

Device& DeviceHandle::get() const {
  if (!device) throw DeviceError(fmt::format("the {} device is closed: open a new one with open_device()", arch_name));
  return *device;
}

TensorHandle TensorHandle::from_host(Tensor tensor) {
  TensorHandle h;
  h.host = std::move(tensor);
  return h;
}

TensorHandle TensorHandle::from_device_tensor(DeviceTensor tensor, std::shared_ptr<DeviceHandle> device) {
  TensorHandle h;
  h.on_device = std::move(tensor);
  h.device = std::move(device);
  return h;
}

const DeviceTensor& TensorHandle::device_tensor() const {
  if (!on_device) throw InvalidArgument("the tensor is on the host: move it with to_device() first");
  if (!on_device->buffer) throw DeviceError("the device tensor was deallocated");
  device->get();  // DeviceError when its device was closed
  return *on_device;
}

const Shape& TensorHandle::logical_shape() const { return host ? host->logical_shape() : on_device->logical_shape; }
const Shape& TensorHandle::padded_shape() const { return host ? host->padded_shape() : on_device->padded_shape; }
DataType TensorHandle::dtype() const { return host ? host->dtype() : on_device->dtype; }
Layout TensorHandle::layout() const { return host ? host->layout() : on_device->layout; }

Tensor TensorHandle::to_host_locked() const { return host ? *host : from_device(device_tensor()); }

Tensor TensorHandle::to_host() const {
  if (host) return *host;
  std::lock_guard lock(device->run_mutex);
  return to_host_locked();
}

}  // namespace shardwise::python
