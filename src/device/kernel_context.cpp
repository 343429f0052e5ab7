#include "device/kernel_context.hpp"

#include <cstring>

namespace shardwise {
namespace {

std::string cb_wrap_message(const char* call, std::uint32_t cb_id, std::uint32_t pages, std::uint32_t at,
                            std::uint32_t num_pages) {
  return fmt::format("{}({}, {}) at page {} would run past the end of the CB ({} pages): the CB's page count must be "
                     "a multiple of the pages moved per call",
                     call, cb_id, pages, at, num_pages);
}

}  // namespace

KernelContext::KernelContext(Device& device, CoreState& core, const KernelSpec& spec, const std::any* runtime_args,
                             std::ostream& dprint, bool dprint_enabled)
    : device_(device),
      core_(core),
      spec_(spec),
      runtime_args_(runtime_args),
      dprint_(dprint),
      dprint_enabled_(dprint_enabled) {}

void KernelContext::throw_argument_type_error(const char* kind, const char* type) const {
  throw DeviceError(fmt::format("kernel '{}' ({}) on core {}: its {} arguments are missing or not of type {}",
                                spec_.name, to_string(spec_.role), core_.core.to_string(), kind, type));
}

const CircularBuffer& KernelContext::cb(std::uint32_t cb_id) const {
  if (cb_id >= kMaxCircularBuffers || !core_.cbs[cb_id].configured)
    throw DeviceError(fmt::format("kernel '{}' ({}) on core {}: CB {} is not configured on this core", spec_.name,
                                  to_string(spec_.role), core_.core.to_string(), cb_id));
  return core_.cbs[cb_id];
}

CircularBuffer& KernelContext::cb(std::uint32_t cb_id) {
  return const_cast<CircularBuffer&>(static_cast<const KernelContext*>(this)->cb(cb_id));
}

BlockingCall KernelContext::cb_reserve_back(std::uint32_t cb_id, std::uint32_t pages) {
  const CircularBuffer& c = cb(cb_id);
  if (pages > c.num_pages || c.write_page + pages > c.num_pages)
    throw DeviceError(fmt::format("kernel '{}' on core {}: {}", spec_.name, core_.core.to_string(),
                                  cb_wrap_message("cb_reserve_back", cb_id, pages, c.write_page, c.num_pages)));
  return BlockingCall{this, WaitState{WaitState::Kind::CB_SPACE, cb_id, pages, 0}};
}

void KernelContext::cb_push_back(std::uint32_t cb_id, std::uint32_t pages) {
  CircularBuffer& c = cb(cb_id);
  if (pages > c.pages_free())
    throw DeviceError(fmt::format("kernel '{}' on core {}: cb_push_back({}, {}) with only {} pages free: push only what "
                                  "cb_reserve_back granted",
                                  spec_.name, core_.core.to_string(), cb_id, pages, c.pages_free()));
  c.pages_pushed += pages;
  c.write_page = (c.write_page + pages) % c.num_pages;
}

BlockingCall KernelContext::cb_wait_front(std::uint32_t cb_id, std::uint32_t pages) {
  const CircularBuffer& c = cb(cb_id);
  if (pages > c.num_pages || c.read_page + pages > c.num_pages)
    throw DeviceError(fmt::format("kernel '{}' on core {}: {}", spec_.name, core_.core.to_string(),
                                  cb_wrap_message("cb_wait_front", cb_id, pages, c.read_page, c.num_pages)));
  return BlockingCall{this, WaitState{WaitState::Kind::CB_DATA, cb_id, pages, 0}};
}

void KernelContext::cb_pop_front(std::uint32_t cb_id, std::uint32_t pages) {
  CircularBuffer& c = cb(cb_id);
  if (pages > c.pages_filled())
    throw DeviceError(fmt::format("kernel '{}' on core {}: cb_pop_front({}, {}) with only {} pages filled",
                                  spec_.name, core_.core.to_string(), cb_id, pages, c.pages_filled()));
  c.pages_popped += pages;
  c.read_page = (c.read_page + pages) % c.num_pages;
}

std::uint8_t* KernelContext::noc_pointer(const NocAddr& address, std::uint64_t size, MemoryAccess access, CheckedRegion& region) {
  if (std::uint8_t* p = region.pointer(address, size)) return p;
  return device_.checked_pointer(address, size, access, this, region);
}

void KernelContext::noc_async_read(NocAddr source, std::uint32_t local_destination, std::uint32_t size) {
  if (size == 0) return;
  const std::uint8_t* from = noc_pointer(source, size, MemoryAccess::NOC_READ, read_source_);
  std::uint8_t* to = noc_pointer(get_noc_addr(local_destination), size, MemoryAccess::NOC_WRITE, read_destination_);
  std::memmove(to, from, size);
}

void KernelContext::noc_async_write(std::uint32_t local_source, NocAddr destination, std::uint32_t size) {
  if (size == 0) return;
  const std::uint8_t* from = noc_pointer(get_noc_addr(local_source), size, MemoryAccess::NOC_READ, write_source_);
  std::uint8_t* to = noc_pointer(destination, size, MemoryAccess::NOC_WRITE, write_destination_);
  std::memmove(to, from, size);
}

void KernelContext::noc_async_read_page(std::uint32_t page_id, const InterleavedAddressGenerator& pages,
                                        std::uint32_t local_destination, std::uint32_t offset) {
  noc_async_read(pages.get_noc_addr(page_id, offset), local_destination, pages.page_size - offset);
}

void KernelContext::noc_async_write_page(std::uint32_t page_id, const InterleavedAddressGenerator& pages,
                                         std::uint32_t local_source) {
  noc_async_write(local_source, pages.get_noc_addr(page_id), pages.page_size);
}

std::uint32_t KernelContext::multicast_count(const NocMulticastAddr& destination, std::uint32_t num_destinations,
                                             const char* call) const {
  const CoreRange& r = destination.cores;
  if (r.start.x > r.end.x || r.start.y > r.end.y || !device_.in_grid(r.end))
    throw DeviceError(fmt::format("kernel '{}' on core {}: {} to cores {} outside the {}x{} grid (or reversed)",
                                  spec_.name, core_.core.to_string(), call, r.to_string(), arch().grid_x,
                                  arch().grid_y));
  const std::uint32_t count = r.num_cores() - (r.contains(core_.core) ? 1 : 0);
  if (count != num_destinations)
    throw DeviceError(fmt::format("kernel '{}' on core {}: {} to {} names {} destinations but the rectangle holds {} "
                                  "other cores (on the chip the sender would wait forever for acknowledgements)",
                                  spec_.name, core_.core.to_string(), call, r.to_string(), num_destinations, count));
  return count;
}

void KernelContext::noc_async_write_multicast(std::uint32_t local_source, NocMulticastAddr destination,
                                              std::uint32_t size, std::uint32_t num_destinations) {
  multicast_count(destination, num_destinations, "noc_async_write_multicast");
  const std::uint8_t* from = device_.checked_pointer(get_noc_addr(local_source), size, MemoryAccess::NOC_READ, this);
  const CoreRange& r = destination.cores;
  for (std::uint32_t y = r.start.y; y <= r.end.y; ++y)
    for (std::uint32_t x = r.start.x; x <= r.end.x; ++x) {
      if (CoreCoord{x, y} == core_.core) continue;
      std::uint8_t* to = device_.checked_pointer(NocAddr::l1({x, y}, destination.address), size, MemoryAccess::NOC_WRITE, this);
      std::memcpy(to, from, size);
    }
}

std::uint32_t KernelContext::get_semaphore(std::uint32_t semaphore_id) const {
  if (semaphore_id >= kSemaphoreSlots)
    throw DeviceError(fmt::format("kernel '{}' on core {}: semaphore id {} out of range 0..{}", spec_.name,
                                  core_.core.to_string(), semaphore_id, kSemaphoreSlots - 1));
  return device_.semaphore_address(semaphore_id);
}

std::atomic_ref<std::uint32_t> KernelContext::semaphore(std::uint8_t* pointer) const {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(pointer));
}

void KernelContext::noc_semaphore_set(std::uint32_t local_address, std::uint32_t value) {
  semaphore(device_.checked_pointer(get_noc_addr(local_address), 4, MemoryAccess::LOCAL, this)).store(value);
}

void KernelContext::noc_semaphore_inc(NocAddr semaphore_address, std::uint32_t increment) {
  semaphore(device_.checked_pointer(semaphore_address, 4, MemoryAccess::NOC_WRITE, this)).fetch_add(increment);
}

BlockingCall KernelContext::noc_semaphore_wait(std::uint32_t local_address, std::uint32_t value) {
  device_.checked_pointer(get_noc_addr(local_address), 4, MemoryAccess::LOCAL, this);
  return BlockingCall{this, WaitState{WaitState::Kind::SEMAPHORE_EQUAL, 0, value, local_address}};
}

BlockingCall KernelContext::noc_semaphore_wait_min(std::uint32_t local_address, std::uint32_t value) {
  device_.checked_pointer(get_noc_addr(local_address), 4, MemoryAccess::LOCAL, this);
  return BlockingCall{this, WaitState{WaitState::Kind::SEMAPHORE_AT_LEAST, 0, value, local_address}};
}

void KernelContext::noc_semaphore_set_multicast(std::uint32_t local_source, NocMulticastAddr destination,
                                                std::uint32_t num_destinations) {
  multicast_count(destination, num_destinations, "noc_semaphore_set_multicast");
  const std::uint32_t value =
      semaphore(device_.checked_pointer(get_noc_addr(local_source), 4, MemoryAccess::LOCAL, this)).load();
  const CoreRange& r = destination.cores;
  for (std::uint32_t y = r.start.y; y <= r.end.y; ++y)
    for (std::uint32_t x = r.start.x; x <= r.end.x; ++x) {
      if (CoreCoord{x, y} == core_.core) continue;
      semaphore(device_.checked_pointer(NocAddr::l1({x, y}, destination.address), 4, MemoryAccess::NOC_WRITE, this))
          .store(value);
    }
}

bool KernelContext::ready(const WaitState& wait) const {
  switch (wait.kind) {
    case WaitState::Kind::NONE:
      return true;
    case WaitState::Kind::CB_SPACE:
      return core_.cbs[wait.cb_id].pages_free() >= wait.count;
    case WaitState::Kind::CB_DATA:
      return core_.cbs[wait.cb_id].pages_filled() >= wait.count;
    case WaitState::Kind::SEMAPHORE_EQUAL:
      return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(core_.l1 + wait.semaphore_address))
                 .load() == wait.count;
    case WaitState::Kind::SEMAPHORE_AT_LEAST:
      return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(core_.l1 + wait.semaphore_address))
                 .load() >= wait.count;
  }
  return true;
}

std::string KernelContext::describe_wait() const {
  const WaitState& w = wait_;
  switch (w.kind) {
    case WaitState::Kind::NONE:
      return "nothing (runnable)";
    case WaitState::Kind::CB_SPACE:
      return fmt::format("cb_reserve_back(CB {}, {} pages): {} of {} pages free", w.cb_id, w.count,
                         core_.cbs[w.cb_id].pages_free(), core_.cbs[w.cb_id].num_pages);
    case WaitState::Kind::CB_DATA:
      return fmt::format("cb_wait_front(CB {}, {} pages): {} of {} pages filled", w.cb_id, w.count,
                         core_.cbs[w.cb_id].pages_filled(), core_.cbs[w.cb_id].num_pages);
    case WaitState::Kind::SEMAPHORE_EQUAL:
    case WaitState::Kind::SEMAPHORE_AT_LEAST: {
      const std::uint32_t id = (w.semaphore_address - arch().l1_unreserved_base) / kSemaphoreStride;
      const std::uint32_t value =
          std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(core_.l1 + w.semaphore_address)).load();
      return fmt::format("noc_semaphore_wait{}(semaphore {} at L1 0x{:x}, {} {}): its value is {}",
                         w.kind == WaitState::Kind::SEMAPHORE_EQUAL ? "" : "_min", id, w.semaphore_address,
                         w.kind == WaitState::Kind::SEMAPHORE_EQUAL ? "==" : ">=", w.count, value);
    }
  }
  return "unknown";
}

}  // namespace shardwise
