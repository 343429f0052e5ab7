"""Bad arguments raise ValueError, device failures RuntimeError subclasses, each with a
message naming the bad value; nothing crashes the interpreter."""

import pytest
import torch

import shardwise as ttnn


def conv_args(dev, channels=32, height=8, width=8, **overrides):
    args = dict(
        input_tensor=ttnn.from_torch(torch.randn(1, height, width, channels), ttnn.bfloat16),
        weight_tensor=ttnn.from_torch(torch.randn(channels, 1, 3, 3)),
        device=dev, in_channels=channels, out_channels=channels, batch_size=1, input_height=height,
        input_width=width, kernel_size=(3, 3), padding=(1, 1), groups=channels,
    )
    args.update(overrides)
    return args


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(groups=1), "depthwise"),
        (dict(out_channels=64), "depthwise"),
        (dict(kernel_size=(11, 11), padding=(0, 0)), "kernel"),
        (dict(stride=(0, 1)), "stride"),
        (dict(kernel_size=(3, 3, 3)), "kernel_size"),
        (dict(padding=(1, 2, 3)), "padding"),
        (dict(dilation=-1), "dilation"),
        (dict(batch_size=2), "shape"),
        (dict(input_height=9), "shape"),
        (dict(weight_tensor=None), "weight_tensor"),
        (dict(input_tensor=torch.randn(1, 8, 8, 32)), "from_torch"),
        (dict(device="wormhole_b0"), "device"),
        (dict(conv_config=ttnn.Conv2dConfig(weights_dtype="bfloat3")), "bfloat3"),
        (dict(conv_config=ttnn.Conv2dConfig(activation="softplus")), "softplus"),
        (dict(conv_config=ttnn.Conv2dConfig(shard_layout=ttnn.TensorMemoryLayout.INTERLEAVED)), "shard_layout"),
        (dict(conv_config=ttnn.Conv2dConfig(output_layout="diagonal")), "diagonal"),
        (dict(conv_config=ttnn.Conv2dConfig(shard_layout=ttnn.TensorMemoryLayout.HEIGHT_SHARDED, num_cores=65)), "65"),
        (dict(conv_config=dict(shard_layout="height")), "Conv2dConfig"),
        (dict(dtype=ttnn.bfloat8_b), "bfloat8_b"),
        (dict(padding=(10**6, 10**6)), "padding top is 1000000: it must be at most 65536"),
        (dict(padding=(10**10, 10**10)), "padding"),
        (dict(dilation=(70000, 1)), "dilation"),
        (dict(conv_config=ttnn.Conv2dConfig(shard_layout=ttnn.TensorMemoryLayout.HEIGHT_SHARDED, num_cores=1000)),
         "1000 cores requested"),
        (dict(input_width=-8), "input_width"),
        (dict(in_channels=2**40, out_channels=2**40, groups=2**40), "channels"),
    ],
)
def test_bad_conv_arguments_raise_value_error(device, overrides, message):
    with pytest.raises(ValueError, match=message):
        ttnn.conv2d(**conv_args(device, **overrides))


def test_weight_shape_mismatch(device):
    with pytest.raises(ValueError, match=r"weight shape \[32, 1, 5, 5\]"):
        ttnn.conv2d(**conv_args(device, weight_tensor=ttnn.from_torch(torch.randn(32, 1, 5, 5))))


def test_prepared_weights_for_another_split(device):
    width = ttnn.Conv2dConfig(shard_layout=ttnn.TensorMemoryLayout.WIDTH_SHARDED)
    _, [pw, _] = ttnn.conv2d(**conv_args(device, channels=64, conv_config=width), return_weights_and_bias=True)
    height = ttnn.Conv2dConfig(shard_layout=ttnn.TensorMemoryLayout.HEIGHT_SHARDED)
    with pytest.raises(ValueError, match="prepared"):
        ttnn.conv2d(**conv_args(device, channels=64, weight_tensor=pw, conv_config=height))


def test_prepared_bias_with_host_weights(device):
    args = conv_args(device)
    pb = ttnn.prepare_conv_bias(bias_tensor=ttnn.from_torch(torch.randn(32)), **{
        k: v for k, v in args.items() if k not in ("input_tensor", "weight_tensor")})
    with pytest.raises(ValueError, match="prepared bias"):
        ttnn.conv2d(**args, bias_tensor=pb)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ttnn.from_torch(torch.randn(4, 4), "float8"), "float8"),
        (lambda: ttnn.from_torch(torch.randn(4, 4), ttnn.bfloat8_b), "TILE"),
        (lambda: ttnn.from_torch(torch.randn(4, 4), layout="diagonal"), "diagonal"),
        (lambda: ttnn.from_torch([1.0, 2.0]), "torch.Tensor"),
        (lambda: ttnn.from_torch(torch.arange(4)), "explicit dtype"),
        (lambda: ttnn.from_numpy(torch.zeros(0, 3).numpy()), "dimension 0"),
        (lambda: ttnn.from_numpy(["a"]), "not supported"),
        (lambda: ttnn.from_torch(torch.randn(4, 4), memory_config=ttnn.L1_MEMORY_CONFIG), "device"),
        (lambda: ttnn.open_device(arch="grayskull"), "grayskull"),
        (lambda: ttnn.open_device(device_id=-1), "device_id"),
        (lambda: ttnn.open_device(watcher="yes"), "watcher"),
        (lambda: ttnn.pcc(torch.randn(3), torch.randn(4)), "same number"),
        (lambda: ttnn.reshape(ttnn.from_torch(torch.randn(4, 4)), [3, 5]), "16 values"),
        (lambda: ttnn.CoreRange(ttnn.CoreCoord(2, 2), ttnn.CoreCoord(1, 1)), "after"),
        (lambda: ttnn.MemoryConfig(ttnn.TensorMemoryLayout.HEIGHT_SHARDED, ttnn.BufferType.L1), "shard"),
        (lambda: ttnn.create_sharded_memory_config([64, 64], ttnn.CoreGrid(y=1, x=2), "height"), "ShardStrategy"),
        (lambda: ttnn.open_device(l1_size=-1), "l1_size -1"),
        (lambda: ttnn.open_device(l1_size=2**31), "l1_size"),
        (lambda: ttnn.open_device(grid=(-1, 2)), r"grid \(-1, 2\)"),
        (lambda: ttnn.open_device(grid=(1, 2, 3)), "grid"),
        (lambda: ttnn.CoreCoord(-1, 0), r"CoreCoord\(-1, 0\)"),
        (lambda: ttnn.CoreCoord(0, 2**40), "between 0 and 65535"),
        (lambda: ttnn.reshape(ttnn.from_torch(torch.randn(4, 4)), [-2, 8]), "one -1"),
        (lambda: ttnn.reshape(ttnn.from_torch(torch.randn(4, 4)), [-1, -1]), "one -1"),
        (lambda: ttnn.reshape(ttnn.from_torch(torch.randn(4, 4)), [-1, 3]), "cannot infer"),
        (lambda: ttnn.reshape(ttnn.from_torch(torch.randn(4, 4)), [2.5, 2]), "ints"),
        (lambda: ttnn.from_torch(torch.randn(4, 4, dtype=torch.complex64)), "imaginary"),
        (lambda: ttnn.from_torch(torch.randn(4, 4, dtype=torch.complex64), ttnn.float32), "imaginary"),
    ],
)
def test_bad_tensor_arguments_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_shard_spec_that_does_not_cover_the_tensor(device):
    config = ttnn.MemoryConfig(
        ttnn.TensorMemoryLayout.HEIGHT_SHARDED, ttnn.BufferType.L1,
        ttnn.ShardSpec(ttnn.CoreRangeSet({ttnn.CoreRange(ttnn.CoreCoord(0, 0), ttnn.CoreCoord(1, 0))}), [16, 32]))
    with pytest.raises(ValueError):
        ttnn.from_torch(torch.randn(1, 1, 64, 32), ttnn.bfloat16, device=device, memory_config=config)


def test_out_of_memory_is_a_runtime_error():
    with ttnn.manage_device("wormhole_b0", l1_size=256 * 1024) as small:
        config = ttnn.create_sharded_memory_config([1, 1, 4096, 64], ttnn.CoreGrid(y=1, x=1), ttnn.ShardStrategy.HEIGHT)
        with pytest.raises(ttnn.OutOfMemoryError, match="bytes") as info:
            ttnn.from_torch(torch.randn(1, 1, 4096, 64), ttnn.float32, device=small, memory_config=config)
        assert isinstance(info.value, RuntimeError) and isinstance(info.value, ttnn.DeviceError)


def test_closed_device_is_a_runtime_error():
    dev = ttnn.open_device()
    tensor = ttnn.from_torch(torch.randn(2, 32), device=dev)
    ttnn.close_device(dev)
    with pytest.raises(RuntimeError, match="closed"):
        ttnn.to_torch(tensor)
    with pytest.raises(RuntimeError, match="closed"):
        ttnn.from_torch(torch.randn(2, 32), device=dev)
    assert "closed" in repr(dev)


def test_reshape_infers_one_dimension():
    t = ttnn.reshape(ttnn.from_torch(torch.arange(16, dtype=torch.float32).reshape(4, 4)), (-1,))
    assert t.shape == [16]
    assert ttnn.reshape(t, [2, -1]).shape == [2, 8]


def test_errors_leave_the_device_usable(device):
    with pytest.raises(ValueError):
        ttnn.conv2d(**conv_args(device, groups=1))
    out = ttnn.conv2d(**conv_args(device))
    assert out.shape == [1, 1, 64, 32]


def test_docstrings_on_every_public_function():
    import inspect

    for name in dir(ttnn):
        obj = getattr(ttnn, name)
        if name.startswith("_") or not callable(obj) or inspect.isclass(obj):
            continue
        assert obj.__doc__ and len(obj.__doc__.strip()) > 20, f"shardwise.{name} has no useful docstring"
    assert "kernel_size" in ttnn.conv2d.__doc__ and "return_weights_and_bias" in ttnn.conv2d.__doc__


def test_watcher_defaults_per_preset_and_can_be_set(monkeypatch):
    monkeypatch.delenv("SHARDWISE_WATCHER", raising=False)
    for arch, default in (("wormhole_b0", True), ("host", False)):
        with ttnn.manage_device(arch) as dev:
            assert dev.watcher is default
    with ttnn.manage_device("host", watcher=True) as dev:
        assert dev.watcher is True
        out = ttnn.conv2d(**conv_args(dev))  # the host program under the watcher
        assert out.shape == [1, 1, 64, 32]


def test_comp_pcc_keeps_tt_nn_nan_rules_and_logs(caplog):
    nan = torch.full((4, 4), float("nan"))
    with caplog.at_level("WARNING", logger="shardwise"):
        assert ttnn.comp_pcc(nan, nan) == (True, 1.0)
    assert "both tensors are all NaN" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="shardwise"):
        passed, value = ttnn.comp_pcc(nan, torch.ones(4, 4))
    assert not passed and value == 0.0
    assert "one tensor is all NaN" in caplog.text
    caplog.clear()
    x = torch.randn(4, 4)
    y = x.clone()
    y[0, 0] = float("inf")
    with caplog.at_level("WARNING", logger="shardwise"):
        ttnn.comp_pcc(x, y)
    assert "calculated holds 0 NaN and 1 Inf" in caplog.text


def test_compare_reports_nonfinite_counts():
    x = torch.randn(8)
    y = x.clone()
    y[1] = float("nan")
    y[2] = float("-inf")
    result = ttnn.compare(x, y)
    assert result["nonfinite"] == {"expected": {"nan": 0, "inf": 0}, "actual": {"nan": 1, "inf": 1}}
