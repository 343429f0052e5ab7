#pragma once
// The device model: per-core L1, DRAM banks, allocators, and the launch of programs.
// It is faithful where layouts, addresses and data flow matter (a kernel that computes
// a wrong address reads wrong data, as on the chip) and refuses what the chip would
// corrupt or hang on: out-of-memory, bad or misaligned accesses and deadlocks are
// errors naming the core, kernel, address and rule.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "device/allocator.hpp"
#include "device/arch.hpp"
#include "device/host_memory.hpp"
#include "device/buffer.hpp"
#include "device/noc_address.hpp"
#include "device/program_cache.hpp"

namespace shardwise {

class Program;
class KernelContext;
class WorkerPool;

// Kernel prints (TT-Metal's DPRINT): enabled for chosen cores; written after each run
// in core and role order, to `sink` (stdout by default) with a "[core (x,y) ROLE]"
// prefix, or to one file per core and role in `directory`.
struct DprintOptions {
  std::vector<CoreCoord> cores;
  bool all_cores = false;
  std::string directory;
  std::ostream* sink = nullptr;
  bool enabled_for(CoreCoord core) const;
  bool any() const { return all_cores || !cores.empty(); }
};

struct DeviceOptions {
  DprintOptions dprint;
  unsigned host_threads = 0;  // scheduler threads; 0 = one per host hardware thread
  // The watcher (TT-Metal's TT_METAL_WATCHER): every kernel memory access checked
  // against the chip's rules (alignment, inside an allocated buffer, a CB of the
  // running program or a semaphore, no firmware, no direct DRAM access on a chip).
  // Unset: the environment variable SHARDWISE_WATCHER (1/on or 0/off) if set, else on
  // for the chip presets and off for `host`, where speed matters. Off, accesses are
  // still kept inside the device's memory (bank and L1 bounds): a bad address is an
  // error, never a stray write into the host process.
  std::optional<bool> watcher;
};

// NOC_READ / NOC_WRITE are NoC transfers (alignment rules apply); LOCAL is a core's own
// pointer access to its L1; HOST is the host copying tensors in and out; DIRECT is a
// `host` preset core reading or writing main memory ("DRAM") in place, as a CPU core
// does (no such path exists on a chip: the watcher refuses it on the chip presets).
enum class MemoryAccess : std::uint8_t { NOC_READ, NOC_WRITE, LOCAL, HOST, DIRECT };

// A region of one core's L1 or one DRAM bank the watcher checked once for one kind of
// access: accesses inside it need only their alignment checked (KernelContext keeps
// one per kind for its NoC reads and writes: the check per stick was most of a chip
// preset's reader time).
struct CheckedRegion {
  NocTarget target = NocTarget::L1;
  CoreCoord core{};
  std::uint32_t bank = 0;
  std::uint64_t begin = 0, end = 0;  // [begin, end): empty when end == 0
  std::uint32_t alignment = 1;       // of every access's address
  std::uint8_t* memory = nullptr;    // address 0 of the core's L1 or the bank

  // The host pointer for [a.address, a.address + size) if it lies inside, else null.
  std::uint8_t* pointer(const NocAddr& a, std::uint64_t size) const {
    const bool same_place = a.target == target && (target == NocTarget::L1 ? a.core == core : a.bank == bank);
    if (!same_place || a.address < begin || a.address + size > end || a.address + size < a.address || a.address % alignment != 0)
      return nullptr;
    return memory + a.address;
  }
};

struct LaunchWorkspace;
struct LaunchWorkspaceDeleter {
  void operator()(LaunchWorkspace* workspace) const;
};

// What a Buffer keeps of its device: the device while it lives (null after), and the
// mutex that guards the device's allocators. Buffers are freed from any thread (a
// Python tensor dropped while another thread runs a conv on its device), so every
// allocation, free and allocator query takes it, and ~Device clears `device` under it:
// a buffer freed after its device is gone does nothing. A leaf lock: nothing else is
// taken while it is held.
struct DeviceLifetime {
  std::mutex mutex;
  class Device* device = nullptr;
};

class Device {
 public:
  explicit Device(Arch arch, DeviceOptions options = {});
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const Arch& arch() const { return arch_; }
  // Buffers watch it (DeviceLifetime).
  std::weak_ptr<DeviceLifetime> lifetime() const { return lifetime_; }
  const DeviceOptions& options() const { return options_; }
  DprintOptions& dprint_options() { return options_.dprint; }

  std::shared_ptr<Buffer> create_buffer(BufferConfig config);
  // The host preset only: a DRAM-interleaved buffer over `memory`, which the caller owns
  // and keeps alive (and unchanged by others) while the buffer lives; nothing is copied.
  // Its pages must lie back to back as the preset's one DRAM bank would hold them:
  // page_size a multiple of the DRAM alignment, memory exactly num_pages * page_size
  // bytes. Its address lies in a window above the bank (kExternalDramBase), never
  // reused; kernels reach it as any DRAM buffer, through the watcher's checks.
  // `owner` (optional) keeps the memory alive: the buffer holds it until it is freed.
  std::shared_ptr<Buffer> wrap_host_memory(BufferConfig config, std::span<std::uint8_t> memory,
                                           std::shared_ptr<void> owner = nullptr);
  static constexpr std::uint64_t kExternalDramBase = 1ull << 48;

  // Runs every kernel of the program to completion. Throws DeviceError (watcher,
  // deadlock, out-of-memory for CBs) or whatever a kernel threw; the device stays usable.
  void run(Program& program);

  // Programs ops built for earlier calls, by key (program_cache.hpp).
  ProgramCache& program_cache() { return program_cache_; }

  // Host-side access (no kernel): bounds and allocation are still checked.
  void write(NocAddr destination, std::span<const std::uint8_t> bytes);
  void read(NocAddr source, std::span<std::uint8_t> bytes);

  // L1 bytes not taken by buffers, on every core (lockstep), and the lowest buffer
  // address: circular buffers must end below it.
  std::uint64_t l1_free_bytes() const {
    std::lock_guard lock(lifetime_->mutex);
    return l1_allocator_.free_bytes();
  }
  std::uint64_t l1_largest_free_block() const {
    std::lock_guard lock(lifetime_->mutex);
    return l1_allocator_.largest_free_block();
  }
  std::uint64_t l1_lowest_buffer_address() const {
    std::lock_guard lock(lifetime_->mutex);
    return l1_allocator_.lowest_allocated();
  }
  std::uint32_t l1_cb_region_begin() const { return arch_.l1_unreserved_base + kSemaphoreSlots * kSemaphoreStride; }

  // --- used by kernels and the scheduler -------------------------------------------
  std::uint8_t* l1_base(CoreCoord core) { return l1_[core_index(core)].get(); }
  std::uint32_t core_index(CoreCoord core) const { return core.y * arch_.grid_x + core.x; }
  bool in_grid(CoreCoord core) const { return core.x < arch_.grid_x && core.y < arch_.grid_y; }
  // The watcher: a pointer to `size` bytes at `address`, after checking the access is in
  // bounds, aligned, and inside memory it may touch. `who` (may be null for the host)
  // names the kernel in the error.
  std::uint8_t* checked_pointer(NocAddr address, std::uint64_t size, MemoryAccess access, const KernelContext* who);
  // The same, and the whole region the access was found in (an allocated buffer, the
  // running program's CB region, the semaphores; the bank or L1 with the watcher off),
  // in which every access of the same kind by the same kernel during this launch passes
  // the same checks but alignment (CheckedRegion::pointer). Empty for caller memory.
  std::uint8_t* checked_pointer(NocAddr address, std::uint64_t size, MemoryAccess access, const KernelContext* who,
                                CheckedRegion& region);
  bool watcher() const { return watcher_; }
  std::uint32_t semaphore_address(std::uint32_t id) const { return arch_.l1_unreserved_base + id * kSemaphoreStride; }
  void set_cb_region_end(CoreCoord core, std::uint32_t end) { cb_region_end_[core_index(core)] = end; }

 private:
  friend class Buffer;
  void deallocate(const Buffer& buffer);  // with lifetime_->mutex held
  LockstepAllocator& allocator_for(const BufferConfig& config);
  void run_launch_thread(unsigned index);  // scheduler.cpp: one pool thread's share of run()

  struct FreeDeleter {
    void operator()(std::uint8_t* p) const { std::free(p); }
  };

  Arch arch_;
  DeviceOptions options_;
  LockstepAllocator dram_allocator_;
  LockstepAllocator l1_allocator_;
  LockstepAllocator l1_small_allocator_;
  std::vector<std::unique_ptr<std::uint8_t, FreeDeleter>> l1_;  // per core, zeroed lazily by the OS
  std::vector<HostMemoryRegion> dram_;                          // per bank, reserved whole, touched as used
  std::vector<std::uint32_t> cb_region_end_;                    // per core: the CB region of the last program laid out
  // wrap_host_memory's buffers by address: the caller's bytes and their size.
  struct ExternalRegion {
    std::uint8_t* memory = nullptr;
    std::uint64_t size = 0;
  };
  std::map<std::uint64_t, ExternalRegion> external_;
  std::uint64_t next_external_ = kExternalDramBase;
  // The caller's bytes for [address, address + size) of the external window, or null.
  std::uint8_t* external_pointer(std::uint64_t address, std::uint64_t size) const;
  std::unique_ptr<WorkerPool> pool_;
  std::unique_ptr<LaunchWorkspace, LaunchWorkspaceDeleter> launch_;  // scheduler.cpp: reused by every run
  ProgramCache program_cache_;
  std::shared_ptr<DeviceLifetime> lifetime_ = [this] {
    auto lifetime = std::make_shared<DeviceLifetime>();
    lifetime->device = this;
    return lifetime;
  }();
  bool running_ = false;
  bool watcher_ = true;
};

}  // namespace shardwise
