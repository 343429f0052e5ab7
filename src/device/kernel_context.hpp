#pragma once
// What a kernel sees: its core, its typed arguments, the core's circular buffers, the
// NoC and semaphores, and a print stream. The names follow TT-Metal's kernel API so a
// TT kernel reads the same here. NoC transfers complete when issued (the barriers
// still mark where a TT kernel must wait); every transfer passes the watcher.
#include <any>
#include <array>
#include <atomic>
#include <cstdint>
#include <ostream>
#include <string>

#include "core/error.hpp"
#include "device/arch.hpp"
#include "device/circular_buffer.hpp"
#include "device/device.hpp"
#include "device/kernel.hpp"
#include "device/noc_address.hpp"
#include "device/program.hpp"

namespace shardwise {

// A core's state during one run.
struct CoreState {
  CoreCoord core;
  std::uint8_t* l1 = nullptr;
  std::array<CircularBuffer, kMaxCircularBuffers> cbs{};
};

class KernelContext {
 public:
  KernelContext(Device& device, CoreState& core, const KernelSpec& spec, const std::any* runtime_args,
                std::ostream& dprint, bool dprint_enabled);

  // --- identity and arguments ------------------------------------------------------
  CoreCoord core() const { return core_.core; }
  KernelRole role() const { return spec_.role; }
  const std::string& kernel_name() const { return spec_.name; }
  const Arch& arch() const { return device_.arch(); }

  template <typename T>
  const T& compile_args() const {
    const T* args = std::any_cast<T>(&spec_.compile_args);
    if (!args) throw_argument_type_error("compile-time", typeid(T).name());
    return *args;
  }
  template <typename T>
  const T& runtime_args() const {
    const T* args = runtime_args_ ? std::any_cast<T>(runtime_args_) : nullptr;
    if (!args) throw_argument_type_error("runtime", typeid(T).name());
    return *args;
  }

  // --- circular buffers --------------------------------------------------------------
  BlockingCall cb_reserve_back(std::uint32_t cb_id, std::uint32_t pages);
  void cb_push_back(std::uint32_t cb_id, std::uint32_t pages);
  BlockingCall cb_wait_front(std::uint32_t cb_id, std::uint32_t pages);
  void cb_pop_front(std::uint32_t cb_id, std::uint32_t pages);
  std::uint32_t get_write_ptr(std::uint32_t cb_id) const { return cb(cb_id).write_address(); }
  std::uint32_t get_read_ptr(std::uint32_t cb_id) const { return cb(cb_id).read_address(); }
  std::uint32_t cb_page_size(std::uint32_t cb_id) const { return cb(cb_id).page_size; }

  // Direct access to this core's L1 (what a RISC-V core does with a plain pointer),
  // checked once per call, not per element.
  template <typename T>
  T* l1_pointer(std::uint32_t address, std::uint64_t count) {
    return reinterpret_cast<T*>(device_.checked_pointer(NocAddr::l1(core_.core, address), count * sizeof(T), MemoryAccess::LOCAL, this));
  }

  // `host` preset only: a region of main memory ("DRAM", one bank) that this core
  // reads or writes in place, as a CPU core does; checked once for the whole region.
  template <typename T>
  T* main_memory(std::uint64_t address, std::uint64_t count) {
    return reinterpret_cast<T*>(device_.checked_pointer(NocAddr::dram(0, address), count * sizeof(T), MemoryAccess::DIRECT, this));
  }

  // --- NoC -----------------------------------------------------------------------------
  NocAddr get_noc_addr(std::uint32_t x, std::uint32_t y, std::uint32_t address) const { return NocAddr::l1({x, y}, address); }
  NocAddr get_noc_addr(std::uint32_t local_address) const { return NocAddr::l1(core_.core, local_address); }
  NocMulticastAddr get_noc_multicast_addr(std::uint32_t x_start, std::uint32_t y_start, std::uint32_t x_end,
                                          std::uint32_t y_end, std::uint32_t address) const {
    return {CoreRange{{x_start, y_start}, {x_end, y_end}}, address};
  }

  void noc_async_read(NocAddr source, std::uint32_t local_destination, std::uint32_t size);
  void noc_async_write(std::uint32_t local_source, NocAddr destination, std::uint32_t size);
  // Page `page_id` of an interleaved buffer (a tile or a stick): TT's noc_async_read_tile.
  void noc_async_read_page(std::uint32_t page_id, const InterleavedAddressGenerator& pages, std::uint32_t local_destination,
                           std::uint32_t offset = 0);
  void noc_async_write_page(std::uint32_t page_id, const InterleavedAddressGenerator& pages, std::uint32_t local_source);
  // Writes to every core of the rectangle except this one; num_destinations must equal
  // their count, as a wrong count hangs the chip.
  void noc_async_write_multicast(std::uint32_t local_source, NocMulticastAddr destination, std::uint32_t size,
                                 std::uint32_t num_destinations);
  void noc_async_read_barrier() { ++read_barriers_; }
  void noc_async_write_barrier() { ++write_barriers_; }

  // --- semaphores ----------------------------------------------------------------------
  std::uint32_t get_semaphore(std::uint32_t semaphore_id) const;
  void noc_semaphore_set(std::uint32_t local_address, std::uint32_t value);
  void noc_semaphore_inc(NocAddr semaphore, std::uint32_t increment);
  BlockingCall noc_semaphore_wait(std::uint32_t local_address, std::uint32_t value);
  BlockingCall noc_semaphore_wait_min(std::uint32_t local_address, std::uint32_t value);
  // Copies this core's semaphore value at local_source to `destination` on every core of
  // the rectangle except this one.
  void noc_semaphore_set_multicast(std::uint32_t local_source, NocMulticastAddr destination,
                                   std::uint32_t num_destinations);

  // --- debugging -----------------------------------------------------------------------
  // The DPRINT stream: discards everything unless prints are enabled for this core.
  std::ostream& dprint() { return dprint_; }
  bool dprint_enabled() const { return dprint_enabled_; }

  // --- scheduler side --------------------------------------------------------------------
  bool ready(const WaitState& wait) const;
  const WaitState& wait_state() const { return wait_; }
  void set_wait(const WaitState& wait) { wait_ = wait; }
  std::string describe_wait() const;

 private:
  const CircularBuffer& cb(std::uint32_t cb_id) const;
  CircularBuffer& cb(std::uint32_t cb_id);
  std::atomic_ref<std::uint32_t> semaphore(std::uint8_t* pointer) const;
  std::uint32_t multicast_count(const NocMulticastAddr& destination, std::uint32_t num_destinations, const char* call) const;
  [[noreturn]] void throw_argument_type_error(const char* kind, const char* type) const;

  Device& device_;
  CoreState& core_;
  const KernelSpec& spec_;
  const std::any* runtime_args_;
  std::ostream& dprint_;
  bool dprint_enabled_;
  WaitState wait_{};
  std::uint64_t read_barriers_ = 0;
  std::uint64_t write_barriers_ = 0;
  // The regions the last NoC read and write were checked in, source and destination
  // (Device::checked_pointer): the next access inside the same region only has its
  // alignment checked. Valid for this launch, the kernel's lifetime: buffers are
  // neither allocated nor freed while a program runs.
  CheckedRegion read_source_, read_destination_, write_source_, write_destination_;
  std::uint8_t* noc_pointer(const NocAddr& address, std::uint64_t size, MemoryAccess access, CheckedRegion& region);
};

inline bool BlockingCall::await_ready() const noexcept { return context->ready(wait); }
inline void BlockingCall::await_suspend(std::coroutine_handle<>) const noexcept { context->set_wait(wait); }

}  // namespace shardwise
