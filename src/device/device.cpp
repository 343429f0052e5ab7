#include "device/device.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "device/kernel_context.hpp"
#include "device/worker_pool.hpp"

namespace shardwise {
namespace {

constexpr std::uint64_t kDramUnreservedBase = 64 * 1024;  // the bottom of each bank is kept for the model

// Where DRAM buffers may start. On the host preset, "DRAM" is main memory that CPU
// cores read with 64-byte vector loads: buffers start on a cache line (a load that
// straddles two lines costs two: the row microkernel benchmark, whose buffers were 16-byte
// aligned until now, measured 1.3-1.6x faster on 64-byte aligned ones).
// The chip presets keep their DRAM alignment (pages stay aligned as before).
std::uint32_t dram_buffer_alignment(const Arch& arch) {
  constexpr std::uint32_t kCacheLine = 64;
  return arch.is_host() ? std::max(kCacheLine, arch.dram_alignment()) : arch.dram_alignment();
}

std::uint64_t round_up64(std::uint64_t v, std::uint64_t m) { return (v + m - 1) / m * m; }

const char* access_name(MemoryAccess access) {
  switch (access) {
    case MemoryAccess::NOC_READ: return "NoC read";
    case MemoryAccess::NOC_WRITE: return "NoC write";
    case MemoryAccess::LOCAL: return "local access";
    case MemoryAccess::HOST: return "host access";
    case MemoryAccess::DIRECT: return "direct main-memory access";
  }
  return "access";
}

// DeviceOptions::watcher: the option, else SHARDWISE_WATCHER, else on except on `host`.
bool resolve_watcher(std::optional<bool> option, const Arch& arch) {
  if (option) return *option;
  if (const char* env = std::getenv("SHARDWISE_WATCHER")) {
    const std::string value(env);
    if (value == "1" || value == "on") return true;
    if (value == "0" || value == "off") return false;
    throw InvalidArgument(fmt::format("SHARDWISE_WATCHER='{}': allowed are 1, on, 0, off", value));
  }
  return !arch.is_host();
}

}  // namespace

bool DprintOptions::enabled_for(CoreCoord core) const {
  return all_cores || std::find(cores.begin(), cores.end(), core) != cores.end();
}

Device::Device(Arch arch, DeviceOptions options)
    : arch_(std::move(arch)),
      options_(std::move(options)),
      dram_allocator_("DRAM (every bank)", kDramUnreservedBase, arch_.dram_bank_size, dram_buffer_alignment(arch_)),
      l1_allocator_("L1 (every core)", arch_.l1_unreserved_base + kSemaphoreSlots * kSemaphoreStride,
                    arch_.l1_size - arch_.l1_small_size, arch_.l1_alignment),
      l1_small_allocator_("L1_SMALL (every core)", arch_.l1_size - arch_.l1_small_size, arch_.l1_size,
                          arch_.l1_alignment),
      cb_region_end_(arch_.num_cores(), 0) {
  check_arg(arch_.num_cores() >= 1 && arch_.l1_size > arch_.l1_unreserved_base + arch_.l1_small_size,
            "arch '{}' leaves no usable L1 ({} bytes, {} reserved)", arch_.name, arch_.l1_size,
            arch_.l1_unreserved_base + arch_.l1_small_size);
  // The banks' memory: the preset's bank size, or as much as the host lets us reserve
  // (at least 256 MiB); then the banks are that large (the allocator reports what does
  // not fit as out of memory, as on a chip).
  dram_.reserve(arch_.num_dram_banks);
  constexpr std::uint64_t kMinBank = 256ull << 20;
  for (std::uint32_t i = 0; i < arch_.num_dram_banks; ++i)
    dram_.emplace_back(arch_.dram_bank_size, "a DRAM bank", std::min(kMinBank, arch_.dram_bank_size));
  const std::uint64_t reserved = std::min_element(dram_.begin(), dram_.end(), [](const auto& a, const auto& b) {
                                   return a.size() < b.size();
                                 })->size();
  if (reserved < arch_.dram_bank_size) {
    arch_.dram_bank_size = reserved;
    dram_allocator_ = LockstepAllocator("DRAM (every bank)", kDramUnreservedBase, reserved, dram_buffer_alignment(arch_));
  }
  l1_.reserve(arch_.num_cores());
  for (std::uint32_t i = 0; i < arch_.num_cores(); ++i) {
    // calloc: the OS hands out zero pages on first touch, so idle cores cost nothing.
    auto* memory = static_cast<std::uint8_t*>(std::calloc(arch_.l1_size, 1));
    if (!memory) throw OutOfMemory(fmt::format("host memory: cannot reserve {} bytes of L1 for core {}", arch_.l1_size, i));
    l1_.emplace_back(memory);
  }
  watcher_ = resolve_watcher(options_.watcher, arch_);
  unsigned threads = options_.host_threads;
  if (threads == 0) threads = static_cast<unsigned>(allowed_cpus().size());  // the CPUs this process may use
  pool_ = std::make_unique<WorkerPool>(threads);
}

Device::~Device() {
  std::lock_guard lock(lifetime_->mutex);  // a buffer freed on another thread now finishes first
  lifetime_->device = nullptr;
}

LockstepAllocator& Device::allocator_for(const BufferConfig& config) {
  if (config.type == BufferType::DRAM) return dram_allocator_;
  return config.l1_small ? l1_small_allocator_ : l1_allocator_;
}

std::shared_ptr<Buffer> Device::create_buffer(BufferConfig config) {
  check_arg(!running_, "buffer '{}' cannot be allocated while a program runs", config.name);
  check_arg(config.page_size > 0 && config.num_pages > 0, "buffer '{}' needs a page size and pages (got {} pages of {} bytes)",
            config.name, config.num_pages, config.page_size);
  std::uint32_t aligned_page = 0;
  std::uint64_t per_bank = 0;
  if (config.type == BufferType::DRAM) {
    check_arg(config.layout == TensorMemoryLayout::INTERLEAVED, "buffer '{}': DRAM buffers are interleaved, not {}",
              config.name, to_string(config.layout));
    aligned_page = static_cast<std::uint32_t>(round_up64(config.page_size, arch_.dram_alignment()));
    per_bank = round_up64(config.num_pages, arch_.num_dram_banks) / arch_.num_dram_banks * aligned_page;
  } else if (config.layout == TensorMemoryLayout::INTERLEAVED) {
    aligned_page = static_cast<std::uint32_t>(round_up64(config.page_size, arch_.l1_alignment));
    per_bank = round_up64(config.num_pages, arch_.num_cores()) / arch_.num_cores() * aligned_page;
  } else {
    check_arg(config.shards.has_value(), "buffer '{}' is {} but has no shard layout", config.name, to_string(config.layout));
    const auto& shards = *config.shards;
    check_arg(shards.grid.num_cores() >= 1 && shards.pages_per_shard >= 1, "buffer '{}' has an empty shard layout",
              config.name);
    for (const auto& r : shards.grid.ranges)
      check_arg(in_grid(r.end) && r.start.x <= r.end.x && r.start.y <= r.end.y,
                "buffer '{}': shard cores {} are outside the {}x{} grid of {}", config.name, r.to_string(),
                arch_.grid_x, arch_.grid_y, arch_.name);
    aligned_page = static_cast<std::uint32_t>(round_up64(config.page_size, arch_.l1_alignment));
    per_bank = std::uint64_t{shards.pages_per_shard} * aligned_page;
  }
  LockstepAllocator& allocator = allocator_for(config);
  const bool bottom_up = config.type == BufferType::DRAM;
  std::uint64_t address = 0;
  {
    std::lock_guard lock(lifetime_->mutex);
    address = allocator.allocate(per_bank, bottom_up, config.name);
  }
  return std::make_shared<Buffer>(*this, std::move(config), address, aligned_page, per_bank);
}

std::shared_ptr<Buffer> Device::wrap_host_memory(BufferConfig config, std::span<std::uint8_t> memory, std::shared_ptr<void> owner) {
  check_arg(arch_.is_host() && arch_.num_dram_banks == 1, "buffer '{}': only the host preset's DRAM (one bank of host memory) can "
            "wrap caller memory; {} has {} banks", config.name, arch_.name, arch_.num_dram_banks);
  check_arg(!running_, "buffer '{}' cannot be made while a program runs", config.name);
  check_arg(config.type == BufferType::DRAM && config.layout == TensorMemoryLayout::INTERLEAVED,
            "buffer '{}': wrapped memory is DRAM interleaved, not {} {}", config.name, to_string(config.type), to_string(config.layout));
  check_arg(config.page_size > 0 && config.page_size % arch_.dram_alignment() == 0,
            "buffer '{}': pages of {} bytes are padded to {} in DRAM, so caller memory with pages back to back cannot be wrapped",
            config.name, config.page_size, round_up64(config.page_size, arch_.dram_alignment()));
  check_arg(config.num_pages > 0 && memory.size() == config.num_pages * config.page_size && memory.data() != nullptr,
            "buffer '{}': {} pages of {} bytes need {} bytes of memory, {} were given", config.name, config.num_pages,
            config.page_size, config.num_pages * config.page_size, memory.size());
  std::uint64_t address = 0;
  {
    std::lock_guard lock(lifetime_->mutex);
    address = next_external_;
    next_external_ += round_up64(memory.size(), 4096);
    external_[address] = ExternalRegion{memory.data(), memory.size()};
  }
  const std::uint32_t page = config.page_size;
  return std::make_shared<Buffer>(*this, std::move(config), address, page, memory.size(), std::move(owner));
}

std::uint8_t* Device::external_pointer(std::uint64_t address, std::uint64_t size) const {
  auto it = external_.upper_bound(address);
  if (it == external_.begin()) return nullptr;
  --it;
  const std::uint64_t offset = address - it->first;
  if (offset > it->second.size || size > it->second.size - offset) return nullptr;
  return it->second.memory + offset;
}

void Device::deallocate(const Buffer& buffer) {
  if (buffer.type() == BufferType::DRAM && buffer.address() >= kExternalDramBase) external_.erase(buffer.address());
  else if (buffer.type() == BufferType::DRAM) dram_allocator_.free(buffer.address());
  else if (buffer.l1_small()) l1_small_allocator_.free(buffer.address());
  else l1_allocator_.free(buffer.address());
}

std::uint8_t* Device::checked_pointer(NocAddr a, std::uint64_t size, MemoryAccess access, const KernelContext* who) {
  CheckedRegion region;
  return checked_pointer(a, size, access, who, region);
}

std::uint8_t* Device::checked_pointer(NocAddr a, std::uint64_t size, MemoryAccess access, const KernelContext* who,
                                      CheckedRegion& region) {
  region = CheckedRegion{};
  // Records the region an access passed in (alignment: what NoC accesses need there).
  const auto passed = [&](std::uint64_t begin, std::uint64_t end, std::uint8_t* memory, std::uint32_t alignment) {
    region = CheckedRegion{a.target, a.core, a.bank, begin, end, alignment, memory};
    return memory + a.address;
  };
  const bool noc = access == MemoryAccess::NOC_READ || access == MemoryAccess::NOC_WRITE;
  auto fail = [&](const std::string& rule) -> std::uint8_t* {
    const std::string where = who ? fmt::format("core {} kernel '{}' ({})", who->core().to_string(), who->kernel_name(),
                                                to_string(who->role()))
                                  : std::string("host");
    throw DeviceError(fmt::format("watcher: {}: {} of {} bytes at {}: {}", where, access_name(access), size,
                                  a.to_string(), rule));
  };
  // Caller memory the host preset wraps (wrap_host_memory): bounds are the region's.
  if (a.target == NocTarget::DRAM && a.address >= kExternalDramBase && a.bank == 0) {
    if (access == MemoryAccess::LOCAL) return fail("a core reaches DRAM only through the NoC");
    if (std::uint8_t* p = external_pointer(a.address, size)) return p;
    return fail("not inside a buffer wrapping host memory");
  }
  if (!watcher_) {  // memory bounds only
    if (a.target == NocTarget::DRAM) {
      if (a.bank >= arch_.num_dram_banks || a.address + size > arch_.dram_bank_size || a.address + size < a.address)
        return fail(fmt::format("outside DRAM (bank {} of {}, {} bytes each; watcher off: bounds only)", a.bank, arch_.num_dram_banks,
                                arch_.dram_bank_size));
      return passed(0, arch_.dram_bank_size, dram_[a.bank].data(), 1);
    }
    if (!in_grid(a.core) || a.address + size > arch_.l1_size || a.address + size < a.address)
      return fail(fmt::format("outside the L1 of the {}x{} grid ({} bytes per core; watcher off: bounds only)", arch_.grid_x,
                              arch_.grid_y, arch_.l1_size));
    return passed(0, arch_.l1_size, l1_base(a.core), 1);
  }
  if (a.target == NocTarget::DRAM) {
    if (a.bank >= arch_.num_dram_banks)
      return fail(fmt::format("DRAM bank {} does not exist ({} has {} banks)", a.bank, arch_.name, arch_.num_dram_banks));
    if (access == MemoryAccess::LOCAL) return fail("a core reaches DRAM only through the NoC");
    if (access == MemoryAccess::DIRECT && !arch_.is_host())
      return fail(fmt::format("only host-preset cores access main memory directly; {} cores use the NoC", arch_.name));
    const std::uint32_t alignment =
        !noc ? 1 : access == MemoryAccess::NOC_READ ? arch_.dram_read_alignment : arch_.dram_write_alignment;
    if (a.address % alignment != 0)
      return fail(fmt::format("DRAM {} addresses must be {}-byte aligned", access == MemoryAccess::NOC_READ ? "read" : "write",
                              alignment));
    const LockstepAllocator::Block* block = dram_allocator_.find(a.address, size);
    if (!block) return fail("not inside an allocated DRAM buffer");
    return passed(block->address, block->address + block->size, dram_[a.bank].data(), alignment);
  }
  if (!in_grid(a.core))
    return fail(fmt::format("core {} is outside the {}x{} grid of {}", a.core.to_string(), arch_.grid_x, arch_.grid_y,
                            arch_.name));
  if (a.address + size > arch_.l1_size) return fail(fmt::format("past the end of L1 ({} bytes)", arch_.l1_size));
  if (a.address < arch_.l1_unreserved_base)
    return fail(fmt::format("inside the firmware region below 0x{:x}", arch_.l1_unreserved_base));
  const std::uint32_t alignment = noc ? arch_.l1_alignment : 1;
  if (a.address % alignment != 0) return fail(fmt::format("L1 NoC addresses must be {}-byte aligned", arch_.l1_alignment));
  const std::uint64_t end = a.address + size;
  const std::uint32_t cb_begin = l1_cb_region_begin();
  const bool in_semaphores = a.address >= arch_.l1_unreserved_base && end <= cb_begin;
  // CB regions are the running program's: only its kernels (who != nullptr) reach them
  // (the last program's regions stay recorded between launches, for its next launch).
  const std::uint32_t cb_end = cb_region_end_[core_index(a.core)];
  const bool in_cbs = who != nullptr && a.address >= cb_begin && end <= cb_end;
  if (in_semaphores) return passed(arch_.l1_unreserved_base, cb_begin, l1_base(a.core), alignment);
  if (in_cbs) return passed(cb_begin, cb_end, l1_base(a.core), alignment);
  const LockstepAllocator::Block* block = l1_allocator_.find(a.address, size);
  if (!block) block = l1_small_allocator_.find(a.address, size);
  if (!block) return fail("not inside a semaphore, a circular buffer of the running program, or an allocated L1 buffer");
  return passed(block->address, block->address + block->size, l1_base(a.core), alignment);
}

void Device::write(NocAddr destination, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  std::memcpy(checked_pointer(destination, bytes.size(), MemoryAccess::HOST, nullptr), bytes.data(), bytes.size());
}

void Device::read(NocAddr source, std::span<std::uint8_t> bytes) {
  if (bytes.empty()) return;
  std::memcpy(bytes.data(), checked_pointer(source, bytes.size(), MemoryAccess::HOST, nullptr), bytes.size());
}

std::string NocAddr::to_string() const {
  if (target == NocTarget::DRAM) return fmt::format("DRAM bank {} address 0x{:x}", bank, address);
  return fmt::format("L1 of core {} address 0x{:x}", core.to_string(), address);
}

}  // namespace shardwise
