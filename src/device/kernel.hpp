#pragma once
// Kernels: C++20 coroutines written like TT-Metal kernels. A kernel is a function
//
//   KernelCoroutine my_reader(KernelContext& ctx) { ... co_await ctx.cb_reserve_back(cb, 1); ... }
//
// Every call that may block on the chip (cb_reserve_back, cb_wait_front,
// noc_semaphore_wait) returns an awaitable: when it can proceed it costs a comparison,
// otherwise the kernel suspends and the scheduler resumes it once the condition holds.
#include <coroutine>
#include <cstdint>
#include <cstddef>
#include <exception>
#include <memory>
#include <string_view>
#include <utility>

namespace shardwise {

// The three roles of a Tensix core: two data movers and the compute thread.
enum class KernelRole : std::uint8_t { READER, WRITER, COMPUTE };
std::string_view to_string(KernelRole role);
inline constexpr int kKernelRoles = 3;

// Coroutine frames of one launch come from a bump arena (set for the thread that
// creates them), so a launch costs no malloc per kernel; frames created elsewhere use
// the heap. A 16-byte header records which.
class FrameArena {
 public:
  FrameArena() = default;
  explicit FrameArena(std::size_t bytes) : storage_(new std::byte[bytes]), size_(bytes) {}
  // Forgets every frame (none may be alive) and makes room for `bytes`, reusing the
  // storage when it is large enough (a device reuses one arena per thread run to run).
  void reset(std::size_t bytes) {
    if (bytes > size_) {
      storage_.reset(new std::byte[bytes]);
      size_ = bytes;
    }
    used_ = 0;
  }
  void* allocate(std::size_t bytes) {
    bytes = (bytes + 15) / 16 * 16;
    if (used_ + bytes > size_) return nullptr;
    void* p = storage_.get() + used_;
    used_ += bytes;
    return p;
  }
  static FrameArena*& current() {
    static thread_local FrameArena* arena = nullptr;
    return arena;
  }

 private:
  std::unique_ptr<std::byte[]> storage_;
  std::size_t size_ = 0;
  std::size_t used_ = 0;
};

class KernelCoroutine {
 public:
  struct promise_type {
    static void* operator new(std::size_t bytes) {
      constexpr std::size_t header = 16;
      FrameArena* arena = FrameArena::current();
      void* block = arena ? arena->allocate(bytes + header) : nullptr;
      const bool from_arena = block != nullptr;
      if (!block) block = ::operator new(bytes + header);
      *static_cast<bool*>(block) = from_arena;
      return static_cast<std::byte*>(block) + header;
    }
    static void operator delete(void* frame) {
      void* block = static_cast<std::byte*>(frame) - 16;
      if (!*static_cast<bool*>(block)) ::operator delete(block);
    }
    std::exception_ptr exception;
    KernelCoroutine get_return_object() { return KernelCoroutine(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception = std::current_exception(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  KernelCoroutine() = default;
  explicit KernelCoroutine(Handle handle) : handle_(handle) {}
  KernelCoroutine(KernelCoroutine&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  KernelCoroutine& operator=(KernelCoroutine&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  KernelCoroutine(const KernelCoroutine&) = delete;
  KernelCoroutine& operator=(const KernelCoroutine&) = delete;
  ~KernelCoroutine() {
    if (handle_) handle_.destroy();
  }

  bool done() const { return !handle_ || handle_.done(); }
  // Runs until the next suspension; rethrows what the kernel threw.
  void resume() {
    handle_.resume();
    if (handle_.done() && handle_.promise().exception) std::rethrow_exception(handle_.promise().exception);
  }

 private:
  Handle handle_;
};

// What a suspended kernel waits for.
struct WaitState {
  enum class Kind : std::uint8_t { NONE, CB_SPACE, CB_DATA, SEMAPHORE_EQUAL, SEMAPHORE_AT_LEAST };
  Kind kind = Kind::NONE;
  std::uint32_t cb_id = 0;
  std::uint32_t count = 0;           // pages (CB) or semaphore value
  std::uint32_t semaphore_address = 0;
};

class KernelContext;
using KernelFunction = KernelCoroutine (*)(KernelContext&);

// The awaitable behind every blocking call.
struct [[nodiscard]] BlockingCall {
  KernelContext* context;
  WaitState wait;
  bool await_ready() const noexcept;
  void await_suspend(std::coroutine_handle<>) const noexcept;
  void await_resume() const noexcept {}
};

}  // namespace shardwise
