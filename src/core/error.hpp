#pragma once
// Errors raised by shardwise. Every message names the offending value and what is
// allowed; callers (CLI, Python) map the kinds onto exit codes and exception types.
#include <stdexcept>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace shardwise {

// Base of every shardwise error.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A caller passed a bad value (shape, dtype, parameter): Python's ValueError.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// The device model refused a run: out of memory, bad access, deadlock.
class DeviceError : public Error {
 public:
  using Error::Error;
};

class OutOfMemory : public DeviceError {
 public:
  using DeviceError::DeviceError;
};

class Deadlock : public DeviceError {
 public:
  using DeviceError::DeviceError;
};

// Throws InvalidArgument with a formatted message when `condition` is false. The
// arguments are evaluated before the test: on per-call paths, pass nothing that costs
// to build (a Shape's or a core's text), or test with `if` and format only on failure.
template <typename... Args>
void check_arg(bool condition, fmt::format_string<Args...> format, Args&&... args) {
  if (!condition) throw InvalidArgument(fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace shardwise
