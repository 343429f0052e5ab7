#include "device/program.hpp"

#include <atomic>

#include "device/arch.hpp"

namespace shardwise {

std::string_view to_string(KernelRole role) {
  switch (role) {
    case KernelRole::READER: return "READER";
    case KernelRole::WRITER: return "WRITER";
    case KernelRole::COMPUTE: return "COMPUTE";
  }
  return "unknown";
}

KernelHandle Program::add_kernel_erased(std::string name, KernelRole role, CoreRangeSet cores, KernelFunction function,
                                        std::any compile_args) {
  check_arg(function != nullptr, "kernel '{}' has no function", name);
  check_arg(cores.num_cores() > 0, "kernel '{}' runs on no core", name);
  for (const auto& other : kernels_) {
    if (other.role != role) continue;
    for (const auto& core : cores.cores())
      check_arg(!other.cores.contains(core), "kernels '{}' and '{}' both take the {} role on core {}", other.name, name,
                to_string(role), core.to_string());
  }
  kernels_.push_back(KernelSpec{std::move(name), role, std::move(cores), function, std::move(compile_args), {}});
  layout_id_ = next_layout_id();
  return static_cast<KernelHandle>(kernels_.size() - 1);
}

std::uint64_t Program::next_layout_id() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

KernelSpec& Program::kernel_at(KernelHandle handle) {
  check_arg(handle < kernels_.size(), "kernel handle {} does not exist in program '{}' ({} kernels)", handle, name_,
            kernels_.size());
  return kernels_[handle];
}

void Program::add_circular_buffer(CoreRangeSet cores, CircularBufferConfig config) {
  check_arg(config.cb_id < kMaxCircularBuffers, "CB id {} is out of range: allowed are 0..{}", config.cb_id,
            kMaxCircularBuffers - 1);
  check_arg(config.page_size > 0 && config.num_pages > 0, "CB {} needs a page size and a page count (got {} x {})",
            config.cb_id, config.page_size, config.num_pages);
  for (const auto& other : circular_buffers_) {
    if (other.config.cb_id != config.cb_id) continue;
    for (const auto& core : cores.cores())
      check_arg(!other.cores.contains(core), "CB {} is declared twice on core {}", config.cb_id, core.to_string());
  }
  circular_buffers_.push_back({std::move(cores), config});
  layout_id_ = next_layout_id();
}

std::uint32_t Program::add_semaphore(CoreRangeSet cores, std::uint32_t initial_value) {
  check_arg(semaphores_.size() < kSemaphoreSlots, "program '{}' has {} semaphores already: at most {} are allowed",
            name_, semaphores_.size(), kSemaphoreSlots);
  semaphores_.push_back({std::move(cores), initial_value});
  layout_id_ = next_layout_id();
  return static_cast<std::uint32_t>(semaphores_.size() - 1);
}

}  // namespace shardwise
