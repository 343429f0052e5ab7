#pragma once
// NoC addresses: where a read or write goes. A kernel builds them from a core's
// coordinates or from an address generator; nothing else knows where memory is.
#include <cstdint>
#include <string>

#include "tensor/memory_config.hpp"

namespace shardwise {

enum class NocTarget : std::uint8_t { L1, DRAM };

struct NocAddr {
  NocTarget target = NocTarget::L1;
  CoreCoord core{};          // L1: the core
  std::uint32_t bank = 0;    // DRAM: the bank
  std::uint64_t address = 0; // byte offset in that core's L1 or that bank

  static NocAddr l1(CoreCoord core, std::uint64_t address) { return {NocTarget::L1, core, 0, address}; }
  static NocAddr dram(std::uint32_t bank, std::uint64_t address) { return {NocTarget::DRAM, {}, bank, address}; }
  std::string to_string() const;
};

// A rectangle of cores and one L1 address in each: the destination of a multicast.
struct NocMulticastAddr {
  CoreRange cores;
  std::uint32_t address = 0;
};

// Page id -> NoC address for an interleaved buffer (reference section 3, TT-Metal's
// TensorAccessor): page `id` lives in bank `id % num_banks` at
// `base + (id / num_banks) * aligned_page_size`. L1-interleaved banks are the grid's
// cores in row-major order.
struct InterleavedAddressGenerator {
  NocTarget target = NocTarget::DRAM;
  std::uint64_t base_address = 0;
  std::uint32_t page_size = 0;
  std::uint32_t aligned_page_size = 0;
  std::uint32_t num_banks = 1;
  std::uint32_t grid_x = 1;  // for L1 banks: bank b is core (b % grid_x, b / grid_x)

  NocAddr get_noc_addr(std::uint32_t page_id, std::uint32_t offset = 0) const {
    const std::uint32_t bank = page_id % num_banks;
    const std::uint64_t address = base_address + std::uint64_t{page_id / num_banks} * aligned_page_size + offset;
    if (target == NocTarget::DRAM) return NocAddr::dram(bank, address);
    return NocAddr::l1({bank % grid_x, bank / grid_x}, address);
  }
};

}  // namespace shardwise
