// Kernels on the device model: page-id reads, multicast with semaphores, pipelines,
// deadlock reports and kernel prints.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "device/kernel_context.hpp"
#include "device/program.hpp"
#include "device_test_util.hpp"

namespace shardwise {
namespace {

using testing::iota_values;

// ---- the width-sharded seed's bug: page ids versus address offsets ------------------

struct ReadTileArgs {
  InterleavedAddressGenerator weights;
  std::uint32_t destination;  // L1 address of a one-tile sharded buffer
  bool by_page_id;
};

KernelCoroutine read_tile_one(KernelContext& ctx) {
  const auto& a = ctx.runtime_args<ReadTileArgs>();
  if (a.by_page_id) {
    ctx.noc_async_read_page(1, a.weights, a.destination);
  } else {
    // Step 8 of the seed: base address + one page, in bank 0.
    ctx.noc_async_read(NocAddr::dram(0, a.weights.base_address + a.weights.page_size), a.destination, a.weights.page_size);
  }
  ctx.noc_async_read_barrier();
  co_return;
}

std::vector<std::uint8_t> run_read_tile_one(bool by_page_id, std::vector<std::uint8_t>* expected) {
  Device device = testing::make_device("wormhole_b0");
  // 64 tiles so that bank 0 also holds a tile at base + page_size (tile 12).
  const Tensor weights = Tensor::from_vector(iota_values(32 * 32 * 64), Shape{32, 32 * 64}, DataType::BFLOAT16, Layout::TILE);
  const DeviceTensor dw = to_device(weights, device, MemoryConfig::dram_interleaved(), "weights");
  const CoreRangeSet core0{{CoreRange{{0, 0}, {0, 0}}}};
  auto landing = device.create_buffer(BufferConfig{"landing", BufferType::L1, TensorMemoryLayout::HEIGHT_SHARDED, 1, 2048,
                                                   BufferShardLayout{core0, ShardOrientation::ROW_MAJOR, 1}, false});
  Program program("read tile 1");
  const KernelHandle k = program.add_kernel("reader", KernelRole::READER, core0, read_tile_one);
  program.set_runtime_args(k, {0, 0}, ReadTileArgs{dw.buffer->address_generator(), static_cast<std::uint32_t>(landing->address()), by_page_id});
  device.run(program);
  std::vector<std::uint8_t> got(2048);
  device.read(NocAddr::l1({0, 0}, landing->address()), got);
  expected->assign(weights.bytes().begin() + 2048, weights.bytes().begin() + 4096);
  return got;
}

TEST(SeedBug, ReadingByPageIdGetsTileOne) {
  std::vector<std::uint8_t> expected;
  EXPECT_EQ(run_read_tile_one(true, &expected), expected);
}

TEST(SeedBug, AddingThePageSizeToTheBaseDoesNot) {
  std::vector<std::uint8_t> expected;
  EXPECT_NE(run_read_tile_one(false, &expected), expected);
}

// ---- multicast with the section 7 semaphore handshake ------------------------------

constexpr std::uint32_t kDataCb = 0;
constexpr std::uint32_t kInvalid = 0, kValid = 1;

struct McastArgs {
  InterleavedAddressGenerator source;   // one tile in DRAM
  InterleavedAddressGenerator results;  // one page per core
  CoreRange receivers;                  // the multicast rectangle
  CoreCoord sender;
  std::uint32_t num_receivers;
  std::uint32_t sender_semaphore;
  std::uint32_t receiver_semaphore;
  std::uint32_t grid_x;
};

KernelCoroutine mcast_kernel(KernelContext& ctx) {
  const auto& a = ctx.runtime_args<McastArgs>();
  const std::uint32_t sender_sem = ctx.get_semaphore(a.sender_semaphore);
  const std::uint32_t receiver_sem = ctx.get_semaphore(a.receiver_semaphore);
  co_await ctx.cb_reserve_back(kDataCb, 1);
  const std::uint32_t data = ctx.get_write_ptr(kDataCb);
  if (ctx.core() == a.sender) {
    ctx.noc_async_read_page(0, a.source, data);
    ctx.noc_async_read_barrier();
    co_await ctx.noc_semaphore_wait(sender_sem, a.num_receivers);  // every receiver checked in
    ctx.noc_semaphore_set(sender_sem, 0);
    const auto& r = a.receivers;
    ctx.noc_async_write_multicast(data, ctx.get_noc_multicast_addr(r.start.x, r.start.y, r.end.x, r.end.y, data),
                                  a.source.page_size, a.num_receivers);
    ctx.noc_semaphore_set(receiver_sem, kValid);
    ctx.noc_semaphore_set_multicast(receiver_sem, ctx.get_noc_multicast_addr(r.start.x, r.start.y, r.end.x, r.end.y, receiver_sem),
                                    a.num_receivers);
  } else {
    ctx.noc_semaphore_set(receiver_sem, kInvalid);
    ctx.noc_semaphore_inc(ctx.get_noc_addr(a.sender.x, a.sender.y, sender_sem), 1);
    co_await ctx.noc_semaphore_wait(receiver_sem, kValid);
  }
  ctx.noc_async_write_page(ctx.core().y * a.grid_x + ctx.core().x, a.results, data);
  ctx.noc_async_write_barrier();
  ctx.cb_push_back(kDataCb, 1);
}

class Multicast : public ::testing::TestWithParam<std::pair<std::uint32_t, std::uint32_t>> {};

TEST_P(Multicast, EveryReceiverGetsIdenticalBytes) {
  const auto [w, h] = GetParam();
  Device device = testing::make_device("wormhole_b0");
  const Tensor tile = Tensor::from_vector(iota_values(1024), Shape{32, 32}, DataType::BFLOAT16, Layout::TILE);
  const DeviceTensor source = to_device(tile, device, MemoryConfig::dram_interleaved(), "source");
  auto results = testing::result_buffer(device, 64, 2048);
  const CoreRangeSet cores{{CoreRange{{0, 0}, {w - 1, h - 1}}}};
  Program program("multicast");
  program.add_circular_buffer(cores, CircularBufferConfig{kDataCb, 2048, 1, DataType::BFLOAT16, nullptr});
  const std::uint32_t sender_sem = program.add_semaphore(cores, 0);
  const std::uint32_t receiver_sem = program.add_semaphore(cores, kInvalid);
  const KernelHandle k = program.add_kernel("mcast", KernelRole::READER, cores, mcast_kernel);
  for (const auto& c : cores.cores())
    program.set_runtime_args(k, c, McastArgs{source.buffer->address_generator(), results->address_generator(),
                                             cores.ranges[0], {0, 0}, w * h - 1, sender_sem, receiver_sem, 8});
  device.run(program);
  for (const auto& c : cores.cores()) {
    const auto got = testing::read_page<std::uint8_t>(device, *results, c.y * 8 + c.x, 2048);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), tile.bytes().begin())) << "core " << c.to_string();
  }
}

INSTANTIATE_TEST_SUITE_P(Rectangles, Multicast,
                         ::testing::Values(std::pair{2u, 1u}, std::pair{8u, 1u}, std::pair{8u, 8u}),
                         [](const ::testing::TestParamInfo<std::pair<unsigned, unsigned>>& info) {
                           return fmt::format("{}x{}", info.param.first, info.param.second);
                         });

// ---- deadlock: a receiver that never gets its semaphore ----------------------------

struct WaitArgs {
  std::uint32_t semaphore;
};

KernelCoroutine wait_forever(KernelContext& ctx) {
  co_await ctx.noc_semaphore_wait(ctx.get_semaphore(ctx.runtime_args<WaitArgs>().semaphore), 1);
}

KernelCoroutine do_nothing(KernelContext&) { co_return; }

TEST(Deadlock, IsReportedNamingTheCoreAndSemaphore) {
  for (unsigned threads : {1u, 2u, 4u}) {
    Device device = testing::make_device("wormhole_b0", threads);
    const CoreRangeSet sender{{CoreRange{{0, 0}, {0, 0}}}};
    const CoreRangeSet receiver{{CoreRange{{3, 2}, {3, 2}}}};
    const CoreRangeSet both{{sender.ranges[0], receiver.ranges[0]}};
    Program program("lost semaphore");
    const std::uint32_t sem = program.add_semaphore(both, 0);
    program.add_kernel("sender", KernelRole::READER, sender, do_nothing);
    const KernelHandle k = program.add_kernel("receiver", KernelRole::READER, receiver, wait_forever);
    program.set_runtime_args(k, {3, 2}, WaitArgs{sem});
    // Twice on one device: the second run's detection must not rest on the first run's
    // idle marks.
    for (int repeat = 0; repeat < 2; ++repeat) {
      const auto start = std::chrono::steady_clock::now();
      try {
        device.run(program);
        FAIL() << "no deadlock reported";
      } catch (const Deadlock& e) {
        const std::string message = e.what();
        EXPECT_NE(message.find("core (3,2) kernel 'receiver' (READER)"), std::string::npos) << message;
        EXPECT_NE(message.find("semaphore 0"), std::string::npos) << message;
        EXPECT_NE(message.find("== 1"), std::string::npos) << message;
      }
      EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    }
  }
}

// ---- watcher and out-of-memory -------------------------------------------------------

struct RawReadArgs {
  NocAddr source;
  std::uint32_t size;
};

KernelCoroutine raw_read(KernelContext& ctx) {
  const auto& a = ctx.runtime_args<RawReadArgs>();
  co_await ctx.cb_reserve_back(0, 1);
  ctx.noc_async_read(a.source, ctx.get_write_ptr(0), a.size);
}

// Runs one reader kernel on core (1,1) with a 4 KiB CB page; the watcher's message, or
// "" when the run passed.
template <typename Args>
std::string run_reader(Device& device, const char* name, KernelFunction kernel, const Args& args) {
  const CoreRangeSet core{{CoreRange{{1, 1}, {1, 1}}}};
  Program program(name);
  program.add_circular_buffer(core, CircularBufferConfig{0, 4096, 1, DataType::BFLOAT16, nullptr});
  const KernelHandle k = program.add_kernel(name, KernelRole::READER, core, kernel);
  program.set_runtime_args(k, {1, 1}, args);
  try {
    device.run(program);
  } catch (const DeviceError& e) {
    return e.what();
  }
  return "";
}

std::string run_raw_read(Device& device, NocAddr source, std::uint32_t size) {
  return run_reader(device, "bad reader", raw_read, RawReadArgs{source, size});
}

TEST(Watcher, NamesCoreKernelAddressAndRule) {
  Device device = testing::make_device("wormhole_b0");
  auto buffer = testing::result_buffer(device, 12, 2048);  // one page per bank
  const std::uint64_t base = buffer->address();

  std::string m = run_raw_read(device, NocAddr::dram(0, base + 1024), 2048);  // runs past the buffer
  EXPECT_NE(m.find("core (1,1) kernel 'bad reader' (READER)"), std::string::npos) << m;
  EXPECT_NE(m.find(fmt::format("0x{:x}", base + 1024)), std::string::npos) << m;
  EXPECT_NE(m.find("not inside an allocated DRAM buffer"), std::string::npos) << m;

  m = run_raw_read(device, NocAddr::dram(0, base + 8), 64);  // misaligned DRAM read
  EXPECT_NE(m.find("32-byte aligned"), std::string::npos) << m;

  m = run_raw_read(device, NocAddr::dram(12, base), 64);  // no bank 12
  EXPECT_NE(m.find("bank 12 does not exist"), std::string::npos) << m;

  m = run_raw_read(device, NocAddr::l1({0, 0}, 0x100), 64);  // firmware
  EXPECT_NE(m.find("firmware"), std::string::npos) << m;

  m = run_raw_read(device, NocAddr::l1({0, 0}, 0x80000), 64);  // unallocated L1
  EXPECT_NE(m.find("not inside a semaphore, a circular buffer"), std::string::npos) << m;

  m = run_raw_read(device, NocAddr::l1({9, 0}, 0x80000), 64);  // off the grid
  EXPECT_NE(m.find("outside the 8x8 grid"), std::string::npos) << m;

  EXPECT_EQ(run_raw_read(device, NocAddr::dram(0, base), 2048), "");  // and a good read passes
}

// A kernel remembers the region its last NoC read was checked in (CheckedRegion) and
// checks later reads inside it for alignment only: a read after a good one in the same
// buffer is still refused when it runs past the buffer, is misaligned, or goes to
// another bank or core, with the same message as a first read; good ones pass.
struct TwoReadsArgs {
  NocAddr first, second;
  std::uint32_t size;
};

KernelCoroutine two_reads(KernelContext& ctx) {
  const auto& a = ctx.runtime_args<TwoReadsArgs>();
  co_await ctx.cb_reserve_back(0, 1);
  ctx.noc_async_read(a.first, ctx.get_write_ptr(0), a.size);
  ctx.noc_async_read(a.second, ctx.get_write_ptr(0) + 1024, a.size);
}

std::string run_two_reads(Device& device, NocAddr first, NocAddr second, std::uint32_t size) {
  return run_reader(device, "second reader", two_reads, TwoReadsArgs{first, second, size});
}

TEST(Watcher, ChecksEveryReadAfterAGoodOneInTheSameBuffer) {
  Device device = testing::make_device("wormhole_b0");
  auto buffer = testing::result_buffer(device, 12, 2048);  // one page per bank
  const std::uint64_t base = buffer->address();
  const NocAddr good = NocAddr::dram(0, base);
  EXPECT_EQ(run_two_reads(device, good, NocAddr::dram(0, base + 1024), 1024), "");  // the rest of the page
  std::string m = run_two_reads(device, good, NocAddr::dram(0, base + 1024), 2048);  // past the buffer
  EXPECT_NE(m.find("not inside an allocated DRAM buffer"), std::string::npos) << m;
  m = run_two_reads(device, good, NocAddr::dram(0, base + 8), 64);  // misaligned, inside
  EXPECT_NE(m.find("32-byte aligned"), std::string::npos) << m;
  m = run_two_reads(device, good, NocAddr::dram(12, base), 64);  // another (missing) bank
  EXPECT_NE(m.find("bank 12 does not exist"), std::string::npos) << m;
  EXPECT_EQ(run_two_reads(device, good, NocAddr::dram(11, base), 64), "");  // another bank, same buffer

  // L1: a sharded-free core's semaphores are legal, its unallocated L1 is not.
  const std::uint64_t semaphores = device.arch().l1_unreserved_base;
  EXPECT_EQ(run_two_reads(device, NocAddr::l1({0, 0}, semaphores), NocAddr::l1({2, 0}, semaphores), 16), "");
  m = run_two_reads(device, NocAddr::l1({0, 0}, semaphores), NocAddr::l1({0, 0}, 0x80000), 64);
  EXPECT_NE(m.find("not inside a semaphore, a circular buffer"), std::string::npos) << m;
  m = run_two_reads(device, NocAddr::l1({0, 0}, semaphores), NocAddr::l1({0, 0}, 0x100), 16);  // firmware
  EXPECT_NE(m.find("firmware"), std::string::npos) << m;
  m = run_two_reads(device, NocAddr::l1({0, 0}, semaphores), NocAddr::l1({9, 0}, semaphores), 16);  // off the grid
  EXPECT_NE(m.find("outside the 8x8 grid"), std::string::npos) << m;
}

// Off, the rules (alignment, allocated buffers, firmware) go unchecked, as on a chip
// without TT_METAL_WATCHER; the device's memory bounds still hold.
TEST(Watcher, OffChecksBoundsOnly) {
  Device device = testing::make_device("wormhole_b0", 0, false);
  ASSERT_FALSE(device.watcher());
  auto buffer = testing::result_buffer(device, 12, 2048);
  const std::uint64_t base = buffer->address();
  EXPECT_EQ(run_raw_read(device, NocAddr::dram(0, base + 8), 64), "");          // misaligned: unchecked
  EXPECT_EQ(run_raw_read(device, NocAddr::l1({0, 0}, 0x80000), 64), "");        // unallocated L1: unchecked
  std::string m = run_raw_read(device, NocAddr::dram(12, base), 64);             // no bank 12
  EXPECT_NE(m.find("watcher off: bounds only"), std::string::npos) << m;
  m = run_raw_read(device, NocAddr::l1({0, 0}, device.arch().l1_size - 32), 64);  // past the end of L1
  EXPECT_NE(m.find("outside the L1 of the 8x8 grid"), std::string::npos) << m;
  m = run_raw_read(device, NocAddr::dram(0, device.arch().dram_bank_size - 32), 64);  // past the end of a bank
  EXPECT_NE(m.find("outside DRAM"), std::string::npos) << m;
}

TEST(Watcher, OnForChipsOffForHostUnlessSet) {
  const char* saved = std::getenv("SHARDWISE_WATCHER");
  const std::string saved_value = saved ? saved : "";
  unsetenv("SHARDWISE_WATCHER");
  EXPECT_TRUE(testing::make_device("wormhole_b0").watcher());
  EXPECT_TRUE(testing::make_device("blackhole").watcher());
  EXPECT_FALSE(testing::make_device("host", 1).watcher());
  EXPECT_TRUE(testing::make_device("host", 1, true).watcher());
  setenv("SHARDWISE_WATCHER", "on", 1);
  EXPECT_TRUE(testing::make_device("host", 1).watcher());
  EXPECT_FALSE(testing::make_device("host", 1, false).watcher());  // the option wins
  setenv("SHARDWISE_WATCHER", "0", 1);
  EXPECT_FALSE(testing::make_device("wormhole_b0").watcher());
  setenv("SHARDWISE_WATCHER", "sometimes", 1);
  try {
    testing::make_device("wormhole_b0");
    ADD_FAILURE() << "a bad SHARDWISE_WATCHER was accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("SHARDWISE_WATCHER='sometimes': allowed are 1, on, 0, off"), std::string::npos) << e.what();
  }
  if (saved) setenv("SHARDWISE_WATCHER", saved_value.c_str(), 1);
  else unsetenv("SHARDWISE_WATCHER");
}

TEST(OutOfMemory, BuffersNameTheBytes) {
  Device device = testing::make_device("wormhole_b0");
  try {
    device.create_buffer(BufferConfig{"huge shard", BufferType::L1, TensorMemoryLayout::HEIGHT_SHARDED, 1000, 2048,
                                      BufferShardLayout{CoreRangeSet{{CoreRange{{0, 0}, {0, 0}}}}, ShardOrientation::ROW_MAJOR, 1000},
                                      false});
    FAIL();
  } catch (const OutOfMemory& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'huge shard'"), std::string::npos) << m;
    EXPECT_NE(m.find("2048000 bytes"), std::string::npos) << m;
    EXPECT_NE(m.find("L1"), std::string::npos) << m;
  }
}

TEST(OutOfMemory, CircularBuffersAndBuffersMustFitTogether) {
  Device device = testing::make_device("wormhole_b0");
  // A 1 MB shard leaves about 280 KB below it for CBs.
  auto shard = device.create_buffer(BufferConfig{"big shard", BufferType::L1, TensorMemoryLayout::HEIGHT_SHARDED, 512, 2048,
                                                 BufferShardLayout{CoreRangeSet{{CoreRange{{0, 0}, {0, 0}}}}, ShardOrientation::ROW_MAJOR, 512},
                                                 false});
  const CoreRangeSet core{{CoreRange{{0, 0}, {0, 0}}}};
  Program program("too many CBs");
  program.add_circular_buffer(core, CircularBufferConfig{0, 2048, 200, DataType::BFLOAT16, nullptr});
  program.add_kernel("k", KernelRole::READER, core, do_nothing);
  try {
    device.run(program);
    FAIL();
  } catch (const OutOfMemory& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("CB 0"), std::string::npos) << m;
    EXPECT_NE(m.find("409600 bytes"), std::string::npos) << m;
    EXPECT_NE(m.find("core (0,0)"), std::string::npos) << m;
  }
}

KernelCoroutine throw_when_run(KernelContext&) {
  throw std::runtime_error("the added kernel ran");
  co_return;
}

// A relaunched program reuses its launch layout only while nothing it depends on
// changed: an L1 buffer allocated between launches is checked against its CBs again,
// and its CB regions are open to its kernels, not to host accesses between launches.
TEST(Launch, RepeatedProgramIsCheckedAgainWhenL1Changes) {
  Device device = testing::make_device("wormhole_b0", 2);
  const CoreRangeSet core{{CoreRange{{0, 0}, {0, 0}}}};
  Program program("400 KB of CBs");
  program.add_circular_buffer(core, CircularBufferConfig{0, 2048, 200, DataType::BFLOAT16, nullptr});
  program.add_kernel("k", KernelRole::READER, core, do_nothing);
  device.run(program);
  device.run(program);  // the cached layout
  const std::uint32_t cb_base = device.l1_cb_region_begin();
  std::vector<std::uint8_t> bytes(64, 0);
  EXPECT_THROW(device.write(NocAddr::l1({0, 0}, cb_base), bytes), DeviceError);  // not a running program's CB
  {
    auto shard = device.create_buffer(BufferConfig{"big shard", BufferType::L1, TensorMemoryLayout::HEIGHT_SHARDED, 512, 2048,
                                                   BufferShardLayout{core, ShardOrientation::ROW_MAJOR, 512}, false});
    EXPECT_THROW(device.run(program), OutOfMemory);
  }
  device.run(program);  // the shard is gone: it fits again
  // Another program on other cores in between, then the first again.
  Program other("elsewhere");
  const CoreRangeSet two{{CoreRange{{1, 0}, {2, 0}}}};
  other.add_circular_buffer(two, CircularBufferConfig{0, 64, 2, DataType::BFLOAT16, nullptr});
  other.add_kernel("k", KernelRole::READER, two, do_nothing);
  device.run(other);
  device.run(program);
  // A kernel added to a program changes its layout id: the new kernel runs.
  const std::uint64_t before = program.layout_id();
  program.add_kernel("w", KernelRole::WRITER, core, throw_when_run);
  EXPECT_NE(program.layout_id(), before);
  EXPECT_THROW(device.run(program), std::runtime_error);
}

TEST(Launch, KernelsAndCbsOffTheGridAreNamed) {
  Device device = testing::make_device("wormhole_b0");
  const CoreRangeSet off_grid{{CoreRange{{7, 0}, {8, 0}}}};  // x = 8 is outside the 8x8 grid
  Program kernels("off the grid");
  kernels.add_kernel("stray", KernelRole::READER, off_grid, do_nothing);
  Program cbs("off the grid");
  cbs.add_circular_buffer(off_grid, CircularBufferConfig{3, 64, 2, DataType::BFLOAT16, nullptr});
  for (auto [program, name] : {std::pair{&kernels, "kernel 'stray'"}, std::pair{&cbs, "CB 3"}}) {
    try {
      device.run(*program);
      ADD_FAILURE() << name << " ran";
    } catch (const InvalidArgument& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(name), std::string::npos) << m;
      EXPECT_NE(m.find("(7,0)-(8,0)"), std::string::npos) << m;
      EXPECT_NE(m.find("outside the 8x8 grid"), std::string::npos) << m;
    }
  }
}

// ---- a reader -> compute -> writer pipeline ----------------------------------------

constexpr std::uint32_t kPages = 10000;
constexpr std::uint32_t kIn = 0, kOut = 1;

struct PipelineArgs {
  InterleavedAddressGenerator results;
  std::uint32_t result_page;
  std::uint32_t seed;
};

KernelCoroutine pipeline_reader(KernelContext& ctx) {
  const auto& a = ctx.runtime_args<PipelineArgs>();
  for (std::uint32_t i = 0; i < kPages; ++i) {
    co_await ctx.cb_reserve_back(kIn, 1);
    *ctx.l1_pointer<std::uint32_t>(ctx.get_write_ptr(kIn), 1) = a.seed + i;
    ctx.cb_push_back(kIn, 1);
  }
}

KernelCoroutine pipeline_compute(KernelContext& ctx) {
  for (std::uint32_t i = 0; i < kPages; ++i) {
    co_await ctx.cb_wait_front(kIn, 1);
    co_await ctx.cb_reserve_back(kOut, 1);
    const std::uint32_t v = *ctx.l1_pointer<std::uint32_t>(ctx.get_read_ptr(kIn), 1);
    *ctx.l1_pointer<std::uint32_t>(ctx.get_write_ptr(kOut), 1) = v * 3 + 1;
    ctx.cb_push_back(kOut, 1);
    ctx.cb_pop_front(kIn, 1);
  }
}

KernelCoroutine pipeline_writer(KernelContext& ctx) {
  const auto& a = ctx.runtime_args<PipelineArgs>();
  std::uint32_t in_order = 0;
  for (std::uint32_t i = 0; i < kPages; ++i) {
    co_await ctx.cb_wait_front(kOut, 1);
    if (*ctx.l1_pointer<std::uint32_t>(ctx.get_read_ptr(kOut), 1) == (a.seed + i) * 3 + 1) ++in_order;
    ctx.cb_pop_front(kOut, 1);
  }
  co_await ctx.cb_reserve_back(kIn, 1);  // reuse a page of the input CB as scratch
  *ctx.l1_pointer<std::uint32_t>(ctx.get_write_ptr(kIn), 1) = in_order;
  ctx.noc_async_write(ctx.get_write_ptr(kIn), a.results.get_noc_addr(a.result_page), 16);
  ctx.noc_async_write_barrier();
}

TEST(Pipeline, StreamsTenThousandPagesInOrderOnSeveralCores) {
  Device device = testing::make_device("wormhole_b0", 2);
  const CoreRangeSet cores{{CoreRange{{0, 0}, {3, 1}}}};
  auto results = testing::result_buffer(device, 8, 16);
  Program program("pipeline");
  program.add_circular_buffer(cores, CircularBufferConfig{kIn, 16, 2, DataType::UINT32, nullptr});
  program.add_circular_buffer(cores, CircularBufferConfig{kOut, 16, 2, DataType::UINT32, nullptr});
  const KernelHandle r = program.add_kernel("reader", KernelRole::READER, cores, pipeline_reader);
  program.add_kernel("compute", KernelRole::COMPUTE, cores, pipeline_compute);
  const KernelHandle w = program.add_kernel("writer", KernelRole::WRITER, cores, pipeline_writer);
  std::uint32_t index = 0;
  for (const auto& c : cores.cores()) {
    const PipelineArgs args{results->address_generator(), index, index * 100000};
    program.set_runtime_args(r, c, args);
    program.set_runtime_args(w, c, args);
    ++index;
  }
  device.run(program);
  for (std::uint32_t i = 0; i < 8; ++i) EXPECT_EQ(testing::read_page<std::uint32_t>(device, *results, i, 1)[0], kPages) << "core " << i;
}

// ---- kernel prints -------------------------------------------------------------------

KernelCoroutine say_hello(KernelContext& ctx) {
  ctx.dprint() << "hello from " << ctx.core().to_string() << "\n";
  co_return;
}

TEST(Dprint, OnlyChosenCoresPrint) {
  std::ostringstream sink;
  DeviceOptions options;
  options.dprint.cores = {{1, 0}};
  options.dprint.sink = &sink;
  Device device(arch_preset("wormhole_b0"), options);
  Program program("hello");
  program.add_kernel("hello", KernelRole::COMPUTE, CoreRangeSet{{CoreRange{{0, 0}, {2, 0}}}}, say_hello);
  device.run(program);
  EXPECT_EQ(sink.str(), "[core (1,0) COMPUTE] hello from (1,0)\n");
}

TEST(Program, RejectsTwoKernelsInOneRole) {
  Program program("clash");
  program.add_kernel("a", KernelRole::READER, CoreRangeSet{{CoreRange{{0, 0}, {1, 0}}}}, do_nothing);
  EXPECT_THROW(program.add_kernel("b", KernelRole::READER, CoreRangeSet{{CoreRange{{1, 0}, {1, 0}}}}, do_nothing), InvalidArgument);
  EXPECT_THROW(arch_preset("grayskull"), InvalidArgument);
}

}  // namespace
}  // namespace shardwise
