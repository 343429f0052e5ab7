#pragma once
// Programs: kernels on core ranges with typed arguments, circular buffers and
// semaphores: everything one launch on the device needs.
#include <any>
#include <cstdint>
#include <string>
#include <typeinfo>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "device/circular_buffer.hpp"
#include "device/kernel.hpp"
#include "tensor/memory_config.hpp"

namespace shardwise {

using KernelHandle = std::uint32_t;

struct KernelSpec {
  std::string name;
  KernelRole role = KernelRole::READER;
  CoreRangeSet cores;
  KernelFunction function = nullptr;
  std::any compile_args;                                      // one typed struct for all cores
  std::unordered_map<std::uint64_t, std::any> runtime_args;  // per core, keyed by core_key()
};

struct SemaphoreSpec {
  CoreRangeSet cores;
  std::uint32_t initial_value = 0;
};

struct CircularBufferSpec {
  CoreRangeSet cores;
  CircularBufferConfig config;
};

inline std::uint64_t core_key(CoreCoord c) { return (std::uint64_t{c.y} << 32) | c.x; }

class Program {
 public:
  explicit Program(std::string name) : name_(std::move(name)), layout_id_(next_layout_id()) {}

  // Kernel arguments are typed structs (one type per kernel, shared with the program
  // factory): a kernel reads them back with ctx.compile_args<T>() / runtime_args<T>().
  template <typename CompileArgs = std::monostate>
  KernelHandle add_kernel(std::string name, KernelRole role, CoreRangeSet cores, KernelFunction function,
                          CompileArgs compile_args = {}) {
    return add_kernel_erased(std::move(name), role, std::move(cores), function, std::any(std::move(compile_args)));
  }

  template <typename RuntimeArgs>
  void set_runtime_args(KernelHandle kernel, CoreCoord core, RuntimeArgs args) {
    KernelSpec& spec = kernel_at(kernel);
    if (!spec.cores.contains(core))
      throw InvalidArgument(fmt::format("kernel '{}' does not run on core {}: its cores are {}", spec.name, core.to_string(),
                                        spec.cores.to_string()));
    spec.runtime_args[core_key(core)] = std::any(std::move(args));
  }

  // The runtime arguments already set for `core`, to rewrite in place (a cached
  // program's buffer addresses). InvalidArgument if none of type RuntimeArgs were set.
  template <typename RuntimeArgs>
  RuntimeArgs& runtime_args(KernelHandle kernel, CoreCoord core) {
    KernelSpec& spec = kernel_at(kernel);
    const auto it = spec.runtime_args.find(core_key(core));
    RuntimeArgs* args = it == spec.runtime_args.end() ? nullptr : std::any_cast<RuntimeArgs>(&it->second);
    if (!args)  // on every cached launch: the message is built only when it is thrown
      throw InvalidArgument(fmt::format("kernel '{}' has no runtime arguments of type {} on core {}", spec.name,
                                        typeid(RuntimeArgs).name(), core.to_string()));
    return *args;
  }

  void add_circular_buffer(CoreRangeSet cores, CircularBufferConfig config);
  // Returns the semaphore id; its L1 address is the same on every core.
  std::uint32_t add_semaphore(CoreRangeSet cores, std::uint32_t initial_value);

  const std::string& name() const { return name_; }
  // Changes whenever a kernel, CB or semaphore is added (never for runtime arguments):
  // the device reuses a launch layout computed for the same id. Unique across programs.
  std::uint64_t layout_id() const { return layout_id_; }
  const std::vector<KernelSpec>& kernels() const { return kernels_; }
  const std::vector<CircularBufferSpec>& circular_buffers() const { return circular_buffers_; }
  const std::vector<SemaphoreSpec>& semaphores() const { return semaphores_; }

 private:
  KernelHandle add_kernel_erased(std::string name, KernelRole role, CoreRangeSet cores, KernelFunction function,
                                 std::any compile_args);
  KernelSpec& kernel_at(KernelHandle handle);
  static std::uint64_t next_layout_id();

  std::string name_;
  std::uint64_t layout_id_ = 0;
  std::vector<KernelSpec> kernels_;
  std::vector<CircularBufferSpec> circular_buffers_;
  std::vector<SemaphoreSpec> semaphores_;
};

}  // namespace shardwise
