# shardwise: `make run` runs the main job on a built-in default, `make test` the suite.
# Both install missing Debian packages first (scripts/install-deps.sh, idempotent).
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)

.PHONY: deps configure build run test test-asan test-tsan fuzz bench bench-device sweep layers clean

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/tools/shardwise conv2d --arch wormhole_b0 --batch 1 --channels 64 --height 8 --width 8 \
	  --kernel 3 --stride 1 --padding 1 --shard width --cores 2 --debug-weights --print-weights

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer (every test), and
# the device-model tests (all of them) and the multi-core conv2d tests (seeds, host
# program, host sweep sample, splits; the threaded code: worker pool, scheduler, host
# conv) under ThreadSanitizer. Separate build trees, RelWithDebInfo, no Python or
# benchmarks. CI runs both after `make test`.
SANITIZER_CMAKE = -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHARDWISE_BUILD_PYTHON=OFF -DSHARDWISE_BUILD_BENCH=OFF
test-asan: deps
	cmake -S . -B build-asan $(SANITIZER_CMAKE) -DSHARDWISE_SANITIZE=address,undefined
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)

TSAN_CONV2D_TESTS ?= ^(Conv2dSeeds|HostSweep|HostProgram|HostProgramCache|Layers/HostRealLayers|Layouts/ShardedInput|Conv2dSplits)
test-tsan: deps
	cmake -S . -B build-tsan $(SANITIZER_CMAKE) -DSHARDWISE_SANITIZE=thread
	cmake --build build-tsan -j $(JOBS) --target test_device test_conv2d
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -L device
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -R '$(TSAN_CONV2D_TESTS)'

# libFuzzer targets (clang, ASan;
# UBSan with clang 14's coverage instrumentation fails to compile the coroutine kernels
# ("Cannot represent a difference across sections"), so UBSan runs in make test-asan
# only; fuzz/): the .npy reader, the CLI's argv, convert's packers, conv2d validation +
# planner. Each runs FUZZ_SECONDS (or FUZZ_RUNS inputs, if set) from the seeds in
# fuzz/corpus/<target> (new inputs go to <build>/corpus/<target>); a crash, a leak, an
# input slower than 10 s or using more than 2 GB fails the target. FUZZ_SANITIZE=
# (empty) builds without ASan in build-fuzz-plain: crashes, hangs and aborts only, about
# 18x faster on the planner target (1608 against ~90 inputs/s on the dev machine), for
# long campaigns.
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
FUZZ_SANITIZE ?= address
FUZZ_BUILD = build-fuzz$(if $(FUZZ_SANITIZE),,-plain)
FUZZ_TARGETS = fuzz_npy fuzz_cli fuzz_convert fuzz_conv2d_plan
fuzz: deps
	CXX=clang++ cmake -S . -B $(FUZZ_BUILD) $(SANITIZER_CMAKE) -DSHARDWISE_BUILD_TESTS=OFF -DSHARDWISE_BUILD_FUZZ=ON \
	  -DSHARDWISE_SANITIZE=$(FUZZ_SANITIZE)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)
	@status=0; for t in $(FUZZ_TARGETS); do \
	  name=$${t#fuzz_}; mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
	  ASAN_OPTIONS=detect_leaks=1 ./$(FUZZ_BUILD)/fuzz/$$t $(CURDIR)/$(FUZZ_BUILD)/corpus/$$name $(CURDIR)/fuzz/corpus/$$name \
	    -artifact_prefix=$(CURDIR)/$(FUZZ_BUILD)/$$name- -max_total_time=$(FUZZ_SECONDS) $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS)) \
	    -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
	    > $(FUZZ_BUILD)/$$t.log 2>&1 || { status=1; tail -40 $(FUZZ_BUILD)/$$t.log; }; \
	  echo "$$t: $$(grep -E '^stat::number_of_executed_units' $(FUZZ_BUILD)/$$t.log | awk '{print $$2}') runs in at most $(FUZZ_SECONDS) s, $$(grep -cE 'ERROR|crash-|timeout-|leak-' $(FUZZ_BUILD)/$$t.log) findings"; \
	done; exit $$status

# The whole conv2d sweeps, basic and extended (CI runs deterministic samples of them),
# split over $(JOBS) processes; prints the wall time and the worst PCC per suite.
sweep: build
	@rm -f $(BUILD_DIR)/sweep-*.xml; start=$$(date +%s); pids=""; \
	for i in $$(seq 0 $$(($(JOBS) - 1))); do \
	  SHARDWISE_FULL_SWEEP=1 GTEST_TOTAL_SHARDS=$(JOBS) GTEST_SHARD_INDEX=$$i ./$(BUILD_DIR)/tests/test_conv2d \
	    --gtest_filter='Sampled/*' --gtest_output=xml:$(BUILD_DIR)/sweep-$$i.xml > $(BUILD_DIR)/sweep-$$i.log 2>&1 & \
	  pids="$$pids $$!"; \
	done; status=0; for pid in $$pids; do wait $$pid || status=1; done; \
	echo "sweep: $$(( $$(date +%s) - start )) s with $(JOBS) processes"; \
	python3 scripts/sweep_summary.py $(BUILD_DIR)/sweep-*.xml; exit $$status

# The real layers of shared/bench/layers.csv at batch 1 and 10: layout, grid, slices,
# PCC and time per layer, as a Markdown table.
layers: build
	python3 scripts/real_layers.py

# Side by side on the real layers (bench/layers.csv): shardwise's host preset, oneDNN,
# XNNPACK, PyTorch and the copy floor, same threads, same run; then the report (table,
# plots) in $(BENCH_OUT). QUICK=1: batch 1 only, shorter rounds.
BENCH_OUT ?= $(BUILD_DIR)/bench-results
BENCH_FLAGS = $(if $(QUICK),--quick)
bench: build
	@rm -f $(BENCH_OUT)/*.csv; status=0; \
	./$(BUILD_DIR)/bench/bench_compare --out $(BENCH_OUT) $(BENCH_FLAGS) || status=1; \
	/usr/bin/python3 bench/compare/bench_torch.py --out $(BENCH_OUT) $(BENCH_FLAGS) || status=1; \
	/usr/bin/python3 bench/compare/bench_report.py --results $(BENCH_OUT) --command "make bench$(if $(QUICK), QUICK=1)" || status=1; \
	echo "bench: report and plots in $(BENCH_OUT)"; exit $$status

# The device model's own overheads (CB handshake, empty launches).
bench-device: build
	./$(BUILD_DIR)/bench/bench_device

clean:
	rm -rf $(BUILD_DIR)
