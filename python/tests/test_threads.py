"""Device calls from several threads: nothing waits forever, nothing runs on a freed
device. A conv2d holds the device (with the GIL released) for its whole run; close()
waits for it, and every later call on the closed device raises."""

import threading

import pytest
import torch

import shardwise as ttnn


def conv_kwargs(dev, input_tensor, channels=32, size=16):
    weight = torch.randn(channels, 1, 3, 3, generator=torch.Generator().manual_seed(7))
    return dict(
        input_tensor=input_tensor, weight_tensor=ttnn.from_torch(weight), device=dev,
        in_channels=channels, out_channels=channels, batch_size=1, input_height=size, input_width=size,
        kernel_size=(3, 3), padding=(1, 1), groups=channels,
    )


def run_with_timeout(fn, seconds=60):
    """fn() on a thread; fails (instead of hanging the suite) when it does not return in time."""
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as e:  # noqa: BLE001 - reported to the test below
            result["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the call did not return within {seconds} s"
    if "error" in result:
        raise result["error"]
    return result.get("value")


def run_together(targets, errors, seconds=120):
    """Runs every target on its own thread; fails when one is still running after
    `seconds` or when any recorded an error."""
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds)
    assert not any(t.is_alive() for t in threads), f"a thread did not finish within {seconds} s"
    assert not errors, errors


def test_conv_on_a_tile_input_already_on_the_device_returns():
    # It used to wait forever: conv2d held the device's lock, then reading the TILE
    # input back took the same lock again.
    dev = ttnn.open_device(arch="wormhole_b0")
    try:
        x = torch.randn(1, 16, 16, 32)
        tiled = ttnn.to_device(ttnn.from_torch(x, ttnn.bfloat16, layout=ttnn.TILE_LAYOUT), dev)
        out = run_with_timeout(lambda: ttnn.conv2d(**conv_kwargs(dev, tiled)))
        row_major = ttnn.conv2d(**conv_kwargs(dev, ttnn.from_torch(x, ttnn.bfloat16)))
        assert torch.equal(ttnn.to_torch(out), ttnn.to_torch(row_major)), "the TILE input gives the same output"
    finally:
        ttnn.close_device(dev)


def test_close_from_another_thread_waits_for_the_running_conv():
    dev = ttnn.open_device(arch="wormhole_b0")
    x = ttnn.from_torch(torch.randn(1, 112, 112, 32), ttnn.bfloat16)
    kwargs = conv_kwargs(dev, x, size=112)
    started = threading.Event()
    outcome = {}

    def convs():
        started.set()
        try:
            for _ in range(20):
                out = ttnn.conv2d(**kwargs)
                outcome["last_sum"] = float(ttnn.to_torch(out).float().abs().sum())
        except RuntimeError as e:  # the device closed between two calls
            outcome["error"] = str(e)

    worker = threading.Thread(target=convs)
    worker.start()
    started.wait()
    run_with_timeout(lambda: ttnn.close_device(dev))
    worker.join(120)
    assert not worker.is_alive()
    # Either every conv finished before the close, or a later one was refused by name;
    # never a crash, a hang or a watcher error from a freed device.
    if "error" in outcome:
        assert "closed" in outcome["error"], outcome["error"]
    assert not dev.is_open
    with pytest.raises(RuntimeError, match="closed"):
        ttnn.conv2d(**kwargs)
    with pytest.raises(RuntimeError, match="closed"):
        dev.l1_free_bytes()
    assert "closed" in repr(dev)


def test_queries_from_many_threads_while_convs_run():
    dev = ttnn.open_device(arch="host")
    try:
        kwargs = conv_kwargs(dev, ttnn.from_torch(torch.randn(1, 16, 16, 32), ttnn.float32), size=16)
        errors = []

        def convs():
            try:
                for _ in range(50):
                    ttnn.conv2d(**kwargs)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        def queries():
            try:
                for _ in range(200):
                    assert dev.l1_free_bytes() > 0
                    assert dev.is_open
                    repr(dev)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        run_together([convs, queries, convs], errors)
    finally:
        ttnn.close_device(dev)


def test_tensors_dropped_on_one_thread_while_another_runs_convs():
    # Dropping a device tensor frees its buffer on the dropping thread; that used to
    # race the allocator a conv on another thread was using.
    dev = ttnn.open_device(arch="wormhole_b0")
    try:
        kwargs = conv_kwargs(dev, ttnn.from_torch(torch.randn(1, 16, 16, 32), ttnn.bfloat16), size=16)
        expected = ttnn.to_torch(ttnn.conv2d(**kwargs))
        errors = []

        def convs():
            try:
                for _ in range(40):
                    assert torch.equal(ttnn.to_torch(ttnn.conv2d(**kwargs)), expected)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        def churn():
            try:
                for i in range(300):
                    t = ttnn.from_torch(torch.randn(1, 1, 32 + i % 7 * 32, 32), ttnn.bfloat16, device=dev)
                    del t
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        run_together([convs, churn], errors)
    finally:
        ttnn.close_device(dev)
