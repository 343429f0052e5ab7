// Device::run: lays out a program's circular buffers and semaphores in each core's L1,
// creates one coroutine per kernel and core, and runs them cooperatively on the
// worker pool until all finish, a kernel fails, or nothing can move (a deadlock).
//
// Deadlock detection across threads: a global epoch counts passes in which some
// kernel advanced. A thread that makes a full pass without progress, during which
// the epoch did not move, records that epoch as its idle mark (it clears the mark at
// the start of every pass). When every thread is finished or idle at the current
// epoch, no kernel anywhere can advance: the run stops and reports each blocked
// kernel and what it waits for.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <span>
#include <sstream>

#include "device/device.hpp"
#include "device/kernel_context.hpp"
#include "device/program.hpp"
#include "device/worker_pool.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace shardwise {
namespace {

// Members in dependency order: the coroutine (destroyed first) uses the context,
// which writes to the prints.
struct KernelInstance {
  std::unique_ptr<std::ostringstream> prints;  // only where dprint is enabled
  KernelContext* context = nullptr;             // in the run's context array
  KernelCoroutine coroutine;
};

// At most one kernel per role on a core.
struct CoreRun {
  CoreState state;
  std::array<KernelInstance, kKernelRoles> slots;
  std::uint32_t count = 0;
  std::span<KernelInstance> kernels() { return {slots.data(), count}; }
  std::span<const KernelInstance> kernels() const { return {slots.data(), count}; }
};

constexpr std::uint64_t kBusy = ~0ull;
constexpr std::uint64_t kFinished = ~0ull - 1;

struct RunState {
  std::vector<std::vector<CoreRun*>> slices;  // cores per thread
  std::atomic<std::uint64_t> epoch{0};
  std::vector<std::atomic<std::uint64_t>> marks;
  std::atomic<bool> stop{false};
  std::atomic<bool> deadlock{false};
  std::mutex error_mutex;
  std::exception_ptr error;

  explicit RunState(unsigned threads) : slices(threads), marks(threads) {
    for (auto& m : marks) m.store(kBusy);
  }

  void fail(std::exception_ptr e) {
    {
      std::lock_guard lock(error_mutex);
      if (!error) error = e;
    }
    stop.store(true);
  }

  bool everyone_idle_at(std::uint64_t epoch_value) const {
    for (const auto& m : marks) {
      const std::uint64_t v = m.load();
      if (v != kFinished && v != epoch_value) return false;
    }
    return true;
  }

  void run_thread(unsigned index) {
    auto& mark = marks[index];
    for (int idle_rounds = 0; !stop.load(std::memory_order_relaxed);) {
      mark.store(kBusy);
      const std::uint64_t start_epoch = epoch.load();
      bool progress = false, unfinished = false;
      for (CoreRun* core : slices[index]) {
        for (KernelInstance& k : core->kernels()) {
          if (k.coroutine.done()) continue;
          unfinished = true;
          if (!k.context->ready(k.context->wait_state())) continue;
          k.context->set_wait({});
          try {
            k.coroutine.resume();
          } catch (...) {
            fail(std::current_exception());
            return;
          }
          progress = true;
        }
      }
      if (!unfinished) {
        mark.store(kFinished);
        return;
      }
      if (progress) {
        epoch.fetch_add(1);
        idle_rounds = 0;
        continue;
      }
      if (epoch.load() == start_epoch) {
        mark.store(start_epoch);
        if (everyone_idle_at(start_epoch) && epoch.load() == start_epoch) {
          deadlock.store(true);
          stop.store(true);
          return;
        }
      }
      if (++idle_rounds > 64) {
#if defined(__x86_64__)
        _mm_pause();
#else
        std::this_thread::yield();
#endif
      }
    }
  }
};

void flush_prints(const Device& device, const std::vector<CoreRun>& cores) {
  const DprintOptions& options = device.options().dprint;
  for (const CoreRun& run : cores) {
    const CoreRun* core = &run;
    for (const KernelInstance& k : core->kernels()) {
      if (!k.prints) continue;
      const std::string text = k.prints->str();
      if (text.empty()) continue;
      const CoreCoord c = core->state.core;
      if (options.directory.empty()) {
        std::ostream& out = options.sink ? *options.sink : std::cout;
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);)
          out << "[core " << c.to_string() << " " << to_string(k.context->role()) << "] " << line << "\n";
      } else {
        std::filesystem::create_directories(options.directory);
        std::string role(to_string(k.context->role()));
        std::transform(role.begin(), role.end(), role.begin(), [](unsigned char ch) { return std::tolower(ch); });
        std::ofstream out(std::filesystem::path(options.directory) / fmt::format("core_{}_{}_{}.txt", c.x, c.y, role),
                          std::ios::app);
        out << text;
      }
    }
  }
}

}  // namespace

void Device::run(Program& program) {
  check_arg(!running_, "program '{}' launched while another program runs", program.name());
  const auto check_cores = [&](const CoreRangeSet& set, const std::string& what) {
    for (const auto& r : set.ranges)
      check_arg(in_grid(r.end) && r.start.x <= r.end.x && r.start.y <= r.end.y,
                "program '{}': {} uses cores {} outside the {}x{} grid of {}", program.name(), what, r.to_string(),
                arch_.grid_x, arch_.grid_y, arch_.name);
  };

  // Declared before the cores: coroutine frames (in `cores`) are destroyed first, then
  // the contexts they point to, then the arena that holds them.
  std::size_t total_kernels = 0;
  for (const auto& spec : program.kernels()) total_kernels += spec.cores.num_cores();
  FrameArena arena(total_kernels * 512);
  std::vector<KernelContext> contexts;
  contexts.reserve(total_kernels);

  // Cores that take part, in grid order, stored contiguously (kernel contexts keep
  // references to their core's state, so the array never grows after this).
  std::vector<std::int32_t> run_index(arch_.num_cores(), -1);
  for (const auto& k : program.kernels()) {
    check_cores(k.cores, fmt::format("kernel '{}'", k.name));
    for (const auto& r : k.cores.ranges)
      for (std::uint32_t y = r.start.y; y <= r.end.y; ++y)
        for (std::uint32_t x = r.start.x; x <= r.end.x; ++x) run_index[core_index({x, y})] = 0;
  }
  for (const auto& spec : program.circular_buffers()) check_cores(spec.cores, fmt::format("CB {}", spec.config.cb_id));
  std::vector<CoreRun> cores;
  std::size_t instances = 0;
  for (std::uint32_t i = 0; i < arch_.num_cores(); ++i)
    if (run_index[i] == 0) run_index[i] = static_cast<std::int32_t>(instances++);
  cores.resize(instances);
  for (std::uint32_t i = 0; i < arch_.num_cores(); ++i)
    if (run_index[i] >= 0) {
      CoreRun& run = cores[static_cast<std::size_t>(run_index[i])];
      run.state.core = {i % arch_.grid_x, i / arch_.grid_x};
      run.state.l1 = l1_.at(i).get();
    }
  auto core_run = [&](CoreCoord c) -> CoreRun* {
    const std::int32_t index = run_index[core_index(c)];
    return index < 0 ? nullptr : &cores[static_cast<std::size_t>(index)];
  };

  // Semaphores: same address on every core of their range.
  for (std::uint32_t id = 0; id < program.semaphores().size(); ++id) {
    const auto& sem = program.semaphores()[id];
    check_cores(sem.cores, fmt::format("semaphore {}", id));
    for (const auto& c : sem.cores.cores())
      std::memcpy(l1_base(c) + semaphore_address(id), &sem.initial_value, sizeof(std::uint32_t));
  }

  // Circular buffers: from the bottom of the CB region up, in declaration order; a
  // globally allocated CB is its sharded buffer's memory.
  const std::uint64_t lowest_buffer = l1_allocator_.lowest_allocated();
  std::vector<std::uint32_t> cb_top(arch_.num_cores(), l1_cb_region_begin());
  for (const auto& spec : program.circular_buffers()) {
    const CircularBufferConfig& cfg = spec.config;
    const std::uint64_t bytes = std::uint64_t{cfg.page_size} * cfg.num_pages;
    for (const auto& c : spec.cores.cores()) {
      CoreRun* run = core_run(c);
      CircularBuffer scratch;  // a CB on a core without kernels is laid out but unused
      CircularBuffer& cb = run ? run->state.cbs[cfg.cb_id] : scratch;
      cb = CircularBuffer{true, 0, cfg.page_size, cfg.num_pages, cfg.data_format};
      if (cfg.globally_allocated) {
        const Buffer& buffer = *cfg.globally_allocated;
        check_arg(buffer.is_sharded() && buffer.type() == BufferType::L1 && buffer.shards().grid.contains(c),
                  "program '{}': CB {} is bound to buffer '{}', which has no shard on core {}", program.name(),
                  cfg.cb_id, buffer.name(), c.to_string());
        check_arg(bytes <= buffer.bytes_per_bank(),
                  "program '{}': CB {} ({} pages of {} bytes) is larger than the shard of buffer '{}' ({} bytes)",
                  program.name(), cfg.cb_id, cfg.num_pages, cfg.page_size, buffer.name(), buffer.bytes_per_bank());
        cb.base_address = static_cast<std::uint32_t>(buffer.address());
        continue;
      }
      std::uint32_t& top = cb_top[core_index(c)];
      const std::uint64_t base = (std::uint64_t{top} + arch_.l1_alignment - 1) / arch_.l1_alignment * arch_.l1_alignment;
      if (base + bytes > lowest_buffer)
        throw OutOfMemory(fmt::format(
            "out of memory in L1: program '{}' needs CB {} ({} pages of {} bytes = {} bytes) on core {} at 0x{:x}, but "
            "L1 buffers begin at 0x{:x}: the CBs of this core need {} bytes, {} are free below the buffers",
            program.name(), cfg.cb_id, cfg.num_pages, cfg.page_size, bytes, c.to_string(), base, lowest_buffer,
            base + bytes - l1_cb_region_begin(), lowest_buffer - l1_cb_region_begin()));
      cb.base_address = static_cast<std::uint32_t>(base);
      top = static_cast<std::uint32_t>(base + bytes);
    }
  }

  if (cores.empty()) return;
  const unsigned threads = std::min<unsigned>(pool_->size(), static_cast<unsigned>(cores.size()));
  RunState state(threads);
  for (std::size_t i = 0; i < cores.size(); ++i) state.slices[i % threads].push_back(&cores[i]);

  // One coroutine per kernel and core, in role order on each core. Contexts live in
  // one array and coroutine frames in one arena, so a launch makes no per-kernel
  // allocation. Cores without prints share a stream that discards everything (it is
  // only ever in a failed state, so concurrent writes change nothing).
  FrameArena::current() = &arena;
  struct ArenaReset {
    ~ArenaReset() { FrameArena::current() = nullptr; }
  } arena_reset;
  std::ostream discard(nullptr);
  for (int role = 0; role < kKernelRoles; ++role) {
    for (const auto& spec : program.kernels()) {
      if (static_cast<int>(spec.role) != role) continue;
      for (const auto& r : spec.cores.ranges)
        for (std::uint32_t y = r.start.y; y <= r.end.y; ++y)
          for (std::uint32_t x = r.start.x; x <= r.end.x; ++x) {
            const CoreCoord c{x, y};
            CoreRun& target = *core_run(c);
            const auto args = spec.runtime_args.find(core_key(c));
            KernelInstance& instance = target.slots[target.count++];
            const bool prints = options_.dprint.enabled_for(c);
            if (prints) instance.prints = std::make_unique<std::ostringstream>();
            instance.context = &contexts.emplace_back(
                *this, target.state, spec, args == spec.runtime_args.end() ? nullptr : &args->second,
                prints ? static_cast<std::ostream&>(*instance.prints) : discard, prints);
            instance.coroutine = spec.function(*instance.context);
          }
    }
  }

  for (CoreRun& core : cores) set_cb_region_end(core.state.core, cb_top[core_index(core.state.core)]);
  running_ = true;
  pool_->run(threads, [&](unsigned index) { state.run_thread(index); });
  running_ = false;
  for (CoreRun& core : cores) set_cb_region_end(core.state.core, 0);

  flush_prints(*this, cores);
  if (state.error) std::rethrow_exception(state.error);
  if (state.deadlock.load()) {
    std::string report = fmt::format("deadlock in program '{}': no kernel can make progress", program.name());
    for (const CoreRun& core : cores)
      for (const auto& k : core.kernels())
        if (!k.coroutine.done())
          report += fmt::format("\n  core {} kernel '{}' ({}) waits for {}", core.state.core.to_string(),
                                k.context->kernel_name(), to_string(k.context->role()), k.context->describe_wait());
    throw Deadlock(report);
  }
}

}  // namespace shardwise
