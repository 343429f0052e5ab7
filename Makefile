# shardwise: `make run` runs the main job on a built-in default, `make test` the suite.
# Both install missing Debian packages first (scripts/install-deps.sh, idempotent).
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)

.PHONY: deps configure build run test bench sweep clean

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

# The whole conv2d sweep (CI runs a deterministic sample of it).
sweep: build
	SHARDWISE_FULL_SWEEP=1 ./$(BUILD_DIR)/tests/test_conv2d --gtest_filter='Sampled/Conv2dSweep.*' \
	  --gtest_output=xml:$(BUILD_DIR)/sweep.xml > $(BUILD_DIR)/sweep.log; \
	  status=$$?; python3 scripts/sweep_summary.py $(BUILD_DIR)/sweep.xml; exit $$status

bench: build
	./$(BUILD_DIR)/bench/bench_device

clean:
	rm -rf $(BUILD_DIR)
