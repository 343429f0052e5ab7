// Device::run: lays out a program's circular buffers and semaphores in each core's L1,
// creates one coroutine per kernel and core, and runs them cooperatively on the
// worker pool until all finish, a kernel fails, or nothing can move (a deadlock).
//
// Deadlock detection across threads: each thread counts the passes in which one of its
// kernels advanced (its own counter, on its own cache line: a busy run writes nothing
// another thread reads). The sum of the counters only grows. A thread that makes a full
// pass without progress, during which the sum did not move, records that sum as its
// idle mark (it clears the mark at the start of every pass). When every thread of this
// run is finished or idle at the current sum, no kernel anywhere can advance: the run
// stops and reports each blocked kernel and what it waits for.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <thread>

#include "device/device.hpp"
#include "device/kernel_context.hpp"
#include "device/program.hpp"
#include "device/worker_pool.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace shardwise {

// Members in dependency order: the coroutine (destroyed first) uses the context,
// which writes to the prints.
struct KernelInstance {
  std::unique_ptr<std::ostringstream> prints;  // only where dprint is enabled
  KernelContext* context = nullptr;             // in the run's context array
  KernelCoroutine coroutine;
};

// At most one kernel per role on a core. Built by the thread that runs the core (its
// CB states, contexts and coroutine frames are then in that thread's cache).
struct CoreRun {
  CoreState state;
  std::array<std::optional<KernelContext>, kKernelRoles> contexts;  // destroyed after the coroutines
  std::array<KernelInstance, kKernelRoles> slots;
  std::uint32_t count = 0;
  std::span<KernelInstance> kernels() { return {slots.data(), count}; }
  std::span<const KernelInstance> kernels() const { return {slots.data(), count}; }
};

namespace {

constexpr std::uint64_t kBusy = ~0ull;
constexpr std::uint64_t kFinished = ~0ull - 1;

}  // namespace

// One pool thread's share of the launches (LaunchWorkspace).
struct LaunchThread {
  FrameArena arena;                              // declared first: destroyed after the frames in `cores`
  std::vector<std::unique_ptr<CoreRun>> cores;   // [0, used) are the last run's
  std::size_t used = 0;
  std::vector<CoreRun*> slice;                   // this run's cores, in run order
  // Written only by the thread itself, on their own cache line: the run they belong
  // to (a mark of an earlier run counts as busy), the idle mark, the progress count.
  alignas(64) std::atomic<std::uint64_t> run{0};
  std::atomic<std::uint64_t> mark{kBusy};
  std::atomic<std::uint64_t> progress{0};

  void clear() {
    for (std::size_t i = 0; i < used; ++i) {
      CoreRun& run = *cores[i];
      for (std::uint32_t k = 0; k < run.count; ++k) {
        run.slots[k].coroutine = KernelCoroutine();  // destroys the frame (in the arena)
        run.slots[k].prints.reset();
        run.slots[k].context = nullptr;
        run.contexts[k].reset();
      }
      run.count = 0;
    }
    used = 0;
    slice.clear();
  }
  CoreRun& next_core() {
    if (used == cores.size()) cores.push_back(std::make_unique<CoreRun>());
    return *cores[used++];
  }
};

// One launch: what every pool thread needs to build and run its cores, written by the
// launching thread before the pool starts, on one cache line (a worker's only read of
// the launch besides the pool's own line: a job that captured the launch's locals had
// the workers read them from the launching thread's stack, line by line, each a
// transfer from the other core; DESIGN.md), then the error on a line of its own.
struct alignas(64) RunState {
  std::span<LaunchThread> threads;
  std::uint64_t run = 0;
  std::atomic<bool> stop{false};
  std::atomic<bool> deadlock{false};
  const Program* program = nullptr;
  std::uint64_t lowest_buffer = 0;  // where the L1 buffers begin: the CBs end below it
  alignas(64) std::mutex error_mutex;
  std::exception_ptr error;

  RunState(std::span<LaunchThread> t, std::uint64_t run_stamp, const Program& p, std::uint64_t lowest)
      : threads(t), run(run_stamp), program(&p), lowest_buffer(lowest) {}

  void fail(std::exception_ptr e) {
    {
      std::lock_guard lock(error_mutex);
      if (!error) error = e;
    }
    stop.store(true);
  }

  std::uint64_t total_progress() const {
    std::uint64_t sum = 0;
    for (const auto& t : threads) sum += t.progress.load();
    return sum;
  }

  bool everyone_idle_at(std::uint64_t total) const {
    for (const auto& t : threads) {
      if (t.run.load() != run) return false;  // not started yet: busy
      const std::uint64_t v = t.mark.load();
      if (v != kFinished && v != total) return false;
    }
    return true;
  }

  void run_thread(unsigned index) {
    LaunchThread& self = threads[index];
    auto& mark = self.mark;
    mark.store(kBusy);
    self.run.store(run);  // after the mark: whoever sees this run's stamp sees a mark of this run
    bool idle_before = false;  // the last pass made no progress
    for (int idle_rounds = 0; !stop.load(std::memory_order_relaxed);) {
      if (idle_before) mark.store(kBusy);
      // Only after a pass without progress: the sum is read (touching every thread's line) then.
      const std::uint64_t start_total = idle_before ? total_progress() : 0;
      bool progress = false, unfinished = false;
      for (CoreRun* core : threads[index].slice) {
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
        self.progress.store(self.progress.load(std::memory_order_relaxed) + 1);
        idle_rounds = 0;
        idle_before = false;
        continue;
      }
      // A pass without progress that began with the sum read (the one after the first
      // idle pass) and ended with it unchanged: idle at that sum.
      if (idle_before && total_progress() == start_total) {
        mark.store(start_total);
        if (everyone_idle_at(start_total) && total_progress() == start_total) {
          deadlock.store(true);
          stop.store(true);
          return;
        }
      }
      idle_before = true;
      // Idle: pause, and after longer idleness yield the CPU, in case a thread this
      // one waits for shares it (another process's, or more threads than CPUs: with
      // only pauses two threads sharing a CPU ran the mnv2_5 layer on wormhole_b0 in
      // 4.3 ms, with yields in 1.3 ms).
      if (++idle_rounds > 64) {
        if (idle_rounds > 256) std::this_thread::yield();
#if defined(__x86_64__)
        else _mm_pause();
#endif
      }
    }
  }
};

// What Device::run keeps from one launch to the next, so that a launch allocates
// nothing once the device has run a program of its size: per pool thread, the cores it
// built (their CB states, contexts and finished coroutines, kept for the prints and
// cleared by the same thread when it builds its next cores, or at once after a failed
// run) and the arena of their coroutine frames; the scratch lists of the launch itself.
struct LaunchWorkspace {
  using Thread = LaunchThread;

  explicit LaunchWorkspace(unsigned threads) : threads(threads) {}
  ~LaunchWorkspace() {
    for (Thread& t : threads) t.clear();
  }
  void clear() {
    for (Thread& t : threads) t.clear();
  }

  std::vector<Thread> threads;  // one per pool thread
  // Cores without prints share a stream that discards everything (it is only ever in a
  // failed state, so concurrent writes change nothing).
  std::ostream discard{nullptr};
  std::vector<CoreCoord> run_cores;     // cores that run kernels, grid order
  unsigned active = 0;                  // threads of the last run
  std::uint64_t runs = 0;               // launches so far: the current run's stamp
  // The layout above belongs to the program with this layout id (0: none) laid out
  // under L1 buffers beginning at lowest_buffer.
  std::uint64_t layout_id = 0;
  std::uint64_t lowest_buffer = 0;
  std::optional<RunState> state;       // the launch in progress (or the last one)
  std::function<void(unsigned)> job;  // made once: thread i builds and runs its cores of `state`
};

void LaunchWorkspaceDeleter::operator()(LaunchWorkspace* workspace) const { delete workspace; }

namespace {

// The cores the last run built, in run order (core i ran on thread i % active, as the
// slice's (i / active)-th); cores a failed build never made are skipped.
template <typename Fn>
void for_each_core(const LaunchWorkspace& workspace, Fn&& fn) {
  for (std::size_t i = 0; i < workspace.run_cores.size() && workspace.active > 0; ++i) {
    const auto& slice = workspace.threads[i % workspace.active].slice;
    if (i / workspace.active < slice.size()) fn(*slice[i / workspace.active]);
  }
}

void flush_prints(const Device& device, const LaunchWorkspace& workspace) {
  const DprintOptions& options = device.options().dprint;
  // No core prints: nothing to read from the cores the other threads built (each of
  // their lines would move from that thread's core to this one).
  if (!options.any()) return;
  for_each_core(workspace, [&](const CoreRun& run) {
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
  });
}

// The circular buffers of `core`, from the bottom of the CB region up in declaration
// order (a globally allocated CB is its sharded buffer's memory); returns the top of
// the CB region. `cbs` (may be null: only the layout and its checks) receives the
// CBs' states.
std::uint32_t lay_out_circular_buffers(const Device& device, const Program& program, CoreCoord core, std::uint64_t lowest_buffer,
                                       CircularBuffer* cbs) {
  const Arch& arch = device.arch();
  std::uint32_t top = device.l1_cb_region_begin();
  for (const auto& spec : program.circular_buffers()) {
    if (!spec.cores.contains(core)) continue;
    const CircularBufferConfig& cfg = spec.config;
    const std::uint64_t bytes = std::uint64_t{cfg.page_size} * cfg.num_pages;
    CircularBuffer cb{true, 0, cfg.page_size, cfg.num_pages, cfg.data_format};
    if (cfg.globally_allocated) {
      const Buffer& buffer = *cfg.globally_allocated;
      check_arg(buffer.is_sharded() && buffer.type() == BufferType::L1 && buffer.shards().grid.contains(core),
                "program '{}': CB {} is bound to buffer '{}', which has no shard on core {}", program.name(), cfg.cb_id, buffer.name(),
                core.to_string());
      check_arg(bytes <= buffer.bytes_per_bank(), "program '{}': CB {} ({} pages of {} bytes) is larger than the shard of buffer '{}' ({} bytes)",
                program.name(), cfg.cb_id, cfg.num_pages, cfg.page_size, buffer.name(), buffer.bytes_per_bank());
      cb.base_address = static_cast<std::uint32_t>(buffer.address());
    } else {
      const std::uint64_t base = (std::uint64_t{top} + arch.l1_alignment - 1) / arch.l1_alignment * arch.l1_alignment;
      if (base + bytes > lowest_buffer)
        throw OutOfMemory(fmt::format(
            "out of memory in L1: program '{}' needs CB {} ({} pages of {} bytes = {} bytes) on core {} at 0x{:x}, but "
            "L1 buffers begin at 0x{:x}: the CBs of this core need {} bytes, {} are free below the buffers",
            program.name(), cfg.cb_id, cfg.num_pages, cfg.page_size, bytes, core.to_string(), base, lowest_buffer,
            base + bytes - device.l1_cb_region_begin(), lowest_buffer - device.l1_cb_region_begin()));
      cb.base_address = static_cast<std::uint32_t>(base);
      top = static_cast<std::uint32_t>(base + bytes);
    }
    if (cbs) cbs[cfg.cb_id] = cb;
  }
  return top;
}

}  // namespace

// Thread `index` of the launch in launch_->state: builds the cores it runs (cores i
// with i % threads == its index): their CB states, then one coroutine per kernel in
// role order (contexts in the core, frames in the thread's arena: no allocation once
// the workspace has grown); then runs them with the other threads.
void Device::run_launch_thread(unsigned index) {
  LaunchWorkspace& ws = *launch_;
  RunState& state = *ws.state;
  const Program& program = *state.program;
  const std::vector<CoreCoord>& run_cores = ws.run_cores;
  const unsigned threads = static_cast<unsigned>(state.threads.size());
  try {
    LaunchWorkspace::Thread& thread = ws.threads[index];
    // The last run's cores of this thread (finished coroutines: clearing frees nothing
    // but prints), cleared here by the thread that built and will rebuild them: their
    // cache lines and the arena's stay in this core's caches.
    thread.clear();
    std::size_t kernels = 0;
    for (std::size_t i = index; i < run_cores.size(); i += threads)
      for (const auto& spec : program.kernels()) kernels += spec.cores.contains(run_cores[i]) ? 1 : 0;
    thread.arena.reset(kernels * 512);
    FrameArena::current() = &thread.arena;
    struct ArenaReset {
      ~ArenaReset() { FrameArena::current() = nullptr; }
    } arena_reset;
    for (std::size_t i = index; i < run_cores.size(); i += threads) {
      const CoreCoord c = run_cores[i];
      CoreRun& run = thread.next_core();
      run.state.core = c;
      run.state.l1 = l1_.at(core_index(c)).get();
      run.state.cbs = {};
      lay_out_circular_buffers(*this, program, c, state.lowest_buffer, run.state.cbs.data());
      const bool prints = options_.dprint.enabled_for(c);
      for (int role = 0; role < kKernelRoles; ++role)
        for (const auto& spec : program.kernels()) {
          if (static_cast<int>(spec.role) != role || !spec.cores.contains(c)) continue;
          const auto args = spec.runtime_args.find(core_key(c));
          KernelInstance& instance = run.slots[run.count];
          if (prints) instance.prints = std::make_unique<std::ostringstream>();
          instance.context = &run.contexts[run.count].emplace(
              *this, run.state, spec, args == spec.runtime_args.end() ? nullptr : &args->second,
              prints ? static_cast<std::ostream&>(*instance.prints) : ws.discard, prints);
          ++run.count;  // counted before the coroutine exists: clear() resets a half-built slot too
          instance.coroutine = spec.function(*instance.context);
        }
      thread.slice.push_back(&run);
    }
  } catch (...) {
    state.fail(std::current_exception());
    return;
  }
  state.run_thread(index);
}

void Device::run(Program& program) {
  check_arg(!running_, "program '{}' launched while another program runs", program.name());
  // `describe` names the kernel, CB or semaphore; called only for the error.
  const auto check_cores = [&](const CoreRangeSet& set, const auto& describe) {
    for (const auto& r : set.ranges)
      if (!(in_grid(r.end) && r.start.x <= r.end.x && r.start.y <= r.end.y))
        throw InvalidArgument(fmt::format("program '{}': {} uses cores {} outside the {}x{} grid of {}", program.name(), describe(),
                                          r.to_string(), arch_.grid_x, arch_.grid_y, arch_.name));
  };

  if (!launch_) launch_.reset(new LaunchWorkspace(pool_->size()));
  LaunchWorkspace& ws = *launch_;
  ws.active = 0;

  // The launch layout (cores that take part, CB checks, CB regions) depends only on the
  // program's kernels, CBs and semaphores and on where the L1 buffers begin: a repeated
  // launch of an unchanged program (a cached conv) reuses it and writes nothing here
  // that a worker thread then has to fetch from this thread's cache.
  const std::uint64_t lowest_buffer = l1_lowest_buffer_address();
  if (ws.layout_id != program.layout_id() || ws.lowest_buffer != lowest_buffer) {
    // Until the new layout is complete, none is valid; the old CB regions are dropped.
    ws.layout_id = 0;
    for (const CoreCoord c : ws.run_cores) set_cb_region_end(c, 0);
    ws.run_cores.clear();

    // Cores that take part.
    std::vector<bool> runs_kernels(arch_.num_cores(), false);
    for (const auto& k : program.kernels()) {
      check_cores(k.cores, [&] { return fmt::format("kernel '{}'", k.name); });
      for (const auto& r : k.cores.ranges)
        for (std::uint32_t y = r.start.y; y <= r.end.y; ++y)
          for (std::uint32_t x = r.start.x; x <= r.end.x; ++x) runs_kernels[core_index({x, y})] = true;
    }
    for (const auto& spec : program.circular_buffers()) check_cores(spec.cores, [&] { return fmt::format("CB {}", spec.config.cb_id); });
    for (std::uint32_t id = 0; id < program.semaphores().size(); ++id)
      check_cores(program.semaphores()[id].cores, [&] { return fmt::format("semaphore {}", id); });

    // CB layout checks on every core a CB is placed on; the CB region of every core that
    // runs kernels (the watcher's bound for remote writes too, so all of them before any
    // kernel runs). A core's own CB states are set up by the thread that runs it.
    std::vector<std::uint32_t> region_end(arch_.num_cores(), 0);  // 0: no CB laid out on the core (yet)
    bool bound_to_buffers = false;
    for (const auto& spec : program.circular_buffers()) {
      bound_to_buffers = bound_to_buffers || spec.config.globally_allocated != nullptr;
      for (const CoreCoord c : spec.cores.cores())
        if (region_end[core_index(c)] == 0) region_end[core_index(c)] = lay_out_circular_buffers(*this, program, c, lowest_buffer, nullptr);
    }
    for (std::uint32_t i = 0; i < arch_.num_cores(); ++i)
      if (runs_kernels[i]) {
        const CoreCoord c{i % arch_.grid_x, i / arch_.grid_x};
        ws.run_cores.push_back(c);  // grid order
        set_cb_region_end(c, region_end[i]);
      }
    // A CB bound to a buffer is checked against that buffer on every launch.
    if (!bound_to_buffers) {
      ws.layout_id = program.layout_id();
      ws.lowest_buffer = lowest_buffer;
    }
  }
  const std::vector<CoreCoord>& run_cores = ws.run_cores;

  // Semaphores: same address on every core of their range, reset on every launch.
  for (std::uint32_t id = 0; id < program.semaphores().size(); ++id) {
    const auto& sem = program.semaphores()[id];
    for (const auto& c : sem.cores.cores())
      std::memcpy(l1_base(c) + semaphore_address(id), &sem.initial_value, sizeof(std::uint32_t));
  }
  if (run_cores.empty()) return;

  const unsigned threads = std::min<unsigned>(pool_->size(), static_cast<unsigned>(run_cores.size()));
  ws.active = threads;
  RunState& state = ws.state.emplace(std::span(ws.threads).first(threads), ++ws.runs, program, lowest_buffer);

  running_ = true;
  if (!ws.job) ws.job = [this](unsigned index) { run_launch_thread(index); };
  pool_->run(threads, ws.job);
  running_ = false;

  flush_prints(*this, ws);
  if (state.error) {
    ws.clear();  // frames of unfinished kernels may refer to the program: gone before it is
    std::rethrow_exception(state.error);
  }
  if (state.deadlock.load()) {
    std::string report = fmt::format("deadlock in program '{}': no kernel can make progress", program.name());
    for_each_core(ws, [&](const CoreRun& core) {
      for (const auto& k : core.kernels())
        if (!k.coroutine.done())
          report += fmt::format("\n  core {} kernel '{}' ({}) waits for {}", core.state.core.to_string(), k.context->kernel_name(),
                                to_string(k.context->role()), k.context->describe_wait());
    });
    ws.clear();
    throw Deadlock(report);
  }
}

}  // namespace shardwise
