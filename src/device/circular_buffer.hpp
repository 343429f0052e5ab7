#pragma once
// Circular buffers: page FIFOs in a core's L1 between two of its kernels (TT-Metal's
// CBs). The producer reserves pages at the back, writes them and pushes; the consumer
// waits for pages at the front, reads them and pops. Only the kernels of one core
// touch a CB, and they all run on one host thread, so no synchronisation is needed.
#include <cstdint>

#include "core/data_type.hpp"

namespace shardwise {

class Buffer;

// How a program declares a CB.
struct CircularBufferConfig {
  std::uint32_t cb_id = 0;  // 0 .. kMaxCircularBuffers-1
  std::uint32_t page_size = 0;
  std::uint32_t num_pages = 0;
  DataType data_format = DataType::BFLOAT16;
  // Bound to a sharded buffer: the CB's memory *is* the buffer's shard on each core
  // ("globally allocated"), as the conv's input and output CBs are.
  const Buffer* globally_allocated = nullptr;
};

// A CB's state on one core during a run.
struct CircularBuffer {
  bool configured = false;
  std::uint32_t base_address = 0;
  std::uint32_t page_size = 0;
  std::uint32_t num_pages = 0;
  DataType data_format = DataType::BFLOAT16;
  std::uint64_t pages_pushed = 0;  // running totals; their difference is the fill level
  std::uint64_t pages_popped = 0;
  std::uint32_t write_page = 0;    // next page the producer writes
  std::uint32_t read_page = 0;     // next page the consumer reads

  std::uint32_t pages_filled() const { return static_cast<std::uint32_t>(pages_pushed - pages_popped); }
  std::uint32_t pages_free() const { return num_pages - pages_filled(); }
  std::uint32_t write_address() const { return base_address + write_page * page_size; }
  std::uint32_t read_address() const { return base_address + read_page * page_size; }
};

}  // namespace shardwise
