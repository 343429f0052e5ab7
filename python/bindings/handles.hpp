#pragma once
// What the Python objects hold. A Python `Device` owns the device model; a Python
// `Tensor` is either a host tensor (bytes in device format) or a device tensor (a
// buffer on a device it keeps a handle to). Prepared conv weights and bias are device
// tensors that also remember what they were prepared for, so conv2d can take them back
// in place of the host tensors, as TT-NN's conv2d does.
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "device/device.hpp"
#include "device/device_tensor.hpp"
#include "ops/conv2d/prepare_weights.hpp"
#include "tensor/tensor.hpp"

namespace shardwise::python {

struct DeviceHandle {
  std::unique_ptr<Device> device;  // null once closed
  std::mutex run_mutex;            // one program at a time on a device
  std::string arch_name;

  Device& get() const;  // DeviceError when closed
};

enum class PreparedRole : std::uint8_t { NONE, CONV_WEIGHTS, CONV_BIAS };

// Prepared weights packed for the host program (PreparedWeights::host_packed), with the
// prepared bias they were packed with (null: none): reused while the same bias comes
// with them, so a host-preset conv2d that gets its prepared weights back does not pack
// them again on every call.
struct HostPackedWeights {
  DeviceTensor packed;
  std::shared_ptr<Buffer> bias_buffer;
};

struct TensorHandle {
  std::optional<Tensor> host;
  std::optional<DeviceTensor> on_device;
  std::shared_ptr<DeviceHandle> device;  // set with on_device
  PreparedRole prepared = PreparedRole::NONE;
  std::optional<DepthwiseWeightLayout> weight_layout;  // CONV_WEIGHTS only
  // CONV_WEIGHTS on the host preset: filled by the first conv2d that packs them (under
  // the device's run_mutex), shared by the handle's copies.
  mutable std::shared_ptr<HostPackedWeights> host_packed;

  static TensorHandle from_host(Tensor tensor);
  static TensorHandle from_device_tensor(DeviceTensor tensor, std::shared_ptr<DeviceHandle> device);

  bool on_host() const { return host.has_value(); }
  const Shape& logical_shape() const;
  const Shape& padded_shape() const;
  DataType dtype() const;
  Layout layout() const;
  // The host copy: the tensor itself, or read back from its device.
  Tensor to_host() const;
  // The same, for callers already holding the device's run_mutex.
  Tensor to_host_locked() const;
  // DeviceError when the tensor was deallocated or its device closed.
  const DeviceTensor& device_tensor() const;
};

}  // namespace shardwise::python
