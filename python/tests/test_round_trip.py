"""Round trips: torch and numpy tensors through every dtype, layout and memory config,
on the host and on the device, come back with the values their dtype holds."""

import numpy as np
import pytest
import torch

import shardwise as ttnn

FLOAT_DTYPES = [ttnn.bfloat16, ttnn.float32, ttnn.bfloat8_b, ttnn.bfloat4_b]
BLOCK_FLOAT = (ttnn.bfloat8_b, ttnn.bfloat4_b)
SHAPE = [1, 1, 64, 96]  # 2 x 3 tiles; 64 sticks of 96 channels


def memory_configs(layout):
    tile = layout == ttnn.TILE_LAYOUT
    grid2 = ttnn.CoreGrid(y=1, x=2)
    return {
        "host": None,
        "dram": ttnn.DRAM_MEMORY_CONFIG,
        "l1": ttnn.L1_MEMORY_CONFIG,
        "height": ttnn.create_sharded_memory_config(SHAPE, grid2, ttnn.ShardStrategy.HEIGHT, tile_layout=tile),
        "width": ttnn.create_sharded_memory_config(SHAPE, ttnn.CoreGrid(y=1, x=3), ttnn.ShardStrategy.WIDTH,
                                                   tile_layout=tile),
        "block": ttnn.create_sharded_memory_config(SHAPE, ttnn.CoreGrid(y=2, x=3), ttnn.ShardStrategy.BLOCK,
                                                   tile_layout=tile),
        "block_col_major": ttnn.create_sharded_memory_config(
            SHAPE, ttnn.CoreGrid(y=3, x=2), ttnn.ShardStrategy.BLOCK, ttnn.ShardOrientation.COL_MAJOR, tile_layout=tile),
    }


def expected_values(values, dtype):
    """What the dtype holds: float32 exactly; bfloat16 = torch's round-to-nearest-even."""
    if dtype == ttnn.float32:
        return values
    if dtype == ttnn.bfloat16:
        return values.bfloat16().float()
    return None  # block-float: checked by bound and idempotence below


def check_block_float(values, back, dtype):
    # 16 values of a face row share an exponent: the error of each is below one step of
    # the row's largest magnitude (7 mantissa bits for bfloat8_b, 3 for bfloat4_b).
    mantissa_bits = 7 if dtype == ttnn.bfloat8_b else 3
    rows = values.reshape(-1, 16)
    step = 2.0 ** (torch.floor(torch.log2(rows.abs().amax(dim=1, keepdim=True))) - mantissa_bits + 1)
    assert torch.all((rows - back.reshape(-1, 16)).abs() <= step), "block-float error above one step of its row"
    again = ttnn.to_torch(ttnn.from_torch(back, dtype, layout=ttnn.TILE_LAYOUT))
    assert torch.equal(again, back), "block-float rounding is not idempotent"


@pytest.mark.parametrize("config_name", list(memory_configs(ttnn.TILE_LAYOUT)))
@pytest.mark.parametrize("layout", [ttnn.ROW_MAJOR_LAYOUT, ttnn.TILE_LAYOUT])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_torch_round_trip(device, dtype, layout, config_name):
    torch.manual_seed(1)
    values = torch.randn(SHAPE) * 4
    config = memory_configs(layout)[config_name]
    on_device = config is not None
    if dtype in BLOCK_FLOAT and layout == ttnn.ROW_MAJOR_LAYOUT:
        with pytest.raises(ValueError, match="TILE"):
            ttnn.from_torch(values, dtype, layout=layout)
        return
    tensor = ttnn.from_torch(values, dtype, layout=layout, device=device if on_device else None, memory_config=config)
    assert tensor.shape == SHAPE and tensor.dtype == dtype and tensor.layout == layout
    assert tensor.is_on_device() == on_device
    if on_device:
        assert tensor.memory_config().memory_layout == config.memory_layout
    back = ttnn.to_torch(tensor)
    assert back.dtype == (torch.bfloat16 if dtype == ttnn.bfloat16 else torch.float32)
    back = back.float()
    assert list(back.shape) == SHAPE
    expected = expected_values(values, dtype)
    if expected is not None:
        assert torch.equal(back, expected)
    else:
        check_block_float(values, back, dtype)
    host = ttnn.from_device(tensor)
    assert not host.is_on_device()
    assert torch.equal(ttnn.to_torch(host).float(), back)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_numpy_round_trip(device, dtype):
    rng = np.random.default_rng(2)
    values = rng.standard_normal((2, 3, 40, 50)).astype(np.float32)
    tensor = ttnn.from_numpy(values, dtype, layout=ttnn.TILE_LAYOUT, device=device)
    back = ttnn.to_numpy(tensor)
    assert back.dtype == np.float32 and back.shape == values.shape
    if dtype == ttnn.float32:
        np.testing.assert_array_equal(back, values)
    elif dtype == ttnn.bfloat16:
        np.testing.assert_array_equal(back, torch.from_numpy(values).bfloat16().float().numpy())
    else:
        assert ttnn.pcc(values, back) > (0.999 if dtype == ttnn.bfloat8_b else 0.98)


def test_numpy_inputs_of_other_types():
    assert ttnn.to_numpy(ttnn.from_numpy(np.arange(6, dtype=np.int64).reshape(2, 3))).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert ttnn.to_numpy(ttnn.from_numpy(np.ones((2, 2), dtype=np.float64), ttnn.bfloat16)).sum() == 4.0
    # non-contiguous views are copied in order
    view = np.arange(12, dtype=np.float32).reshape(3, 4).T
    np.testing.assert_array_equal(ttnn.to_numpy(ttnn.from_numpy(view)), view)


def test_torch_bfloat16_stays_exact():
    values = torch.randn(3, 33).bfloat16()
    tensor = ttnn.from_torch(values)
    assert tensor.dtype == ttnn.bfloat16
    assert torch.equal(ttnn.to_torch(tensor), values)


def test_layout_dtype_reshape_conversions(device):
    values = torch.randn(1, 1, 40, 64)
    tensor = ttnn.from_torch(values, ttnn.float32, device=device)
    tiled = ttnn.to_layout(tensor, ttnn.TILE_LAYOUT)
    assert tiled.layout == ttnn.TILE_LAYOUT and tiled.is_on_device()
    assert tiled.padded_shape == [1, 1, 64, 64]
    assert torch.equal(ttnn.to_torch(tiled), values)
    bfp8 = ttnn.typecast(tensor, ttnn.bfloat8_b)
    assert bfp8.layout == ttnn.TILE_LAYOUT and bfp8.dtype == ttnn.bfloat8_b
    assert ttnn.pcc(values, ttnn.to_torch(bfp8)) > 0.999
    reshaped = ttnn.reshape(ttnn.from_torch(values), [40, 64])
    assert reshaped.shape == [40, 64]


def test_device_bytes_follow_the_tile_format():
    # A bfloat16 tile is 2048 bytes, faces in order: element (0, 16) starts face 1.
    values = torch.arange(32 * 32, dtype=torch.float32).reshape(32, 32)
    raw = ttnn.from_torch(values, ttnn.bfloat16, layout=ttnn.TILE_LAYOUT).to_bytes()
    assert len(raw) == ttnn.tile_size(ttnn.bfloat16) == 2048
    as_bf16 = torch.frombuffer(bytearray(raw), dtype=torch.bfloat16).float()
    assert as_bf16[256].item() == 16.0  # face 1, row 0, col 0 = element (0, 16)
    assert as_bf16[512].item() == 16 * 32  # face 2 = element (16, 0)
    assert len(ttnn.from_torch(values, ttnn.bfloat8_b, layout=ttnn.TILE_LAYOUT).to_bytes()) == 1088
    assert len(ttnn.from_torch(values, ttnn.bfloat4_b, layout=ttnn.TILE_LAYOUT).to_bytes()) == 576


def test_prepared_weights_are_reusable(device):
    torch.manual_seed(3)
    x = ttnn.from_torch(torch.randn(1, 10, 10, 96), ttnn.bfloat16)
    w = ttnn.from_torch(torch.randn(96, 1, 3, 3))
    b = ttnn.from_torch(torch.randn(1, 1, 1, 96))
    args = dict(device=device, in_channels=96, out_channels=96, batch_size=1, input_height=10, input_width=10,
                kernel_size=(3, 3), padding=(1, 1), groups=96,
                conv_config=ttnn.Conv2dConfig(shard_layout=ttnn.TensorMemoryLayout.WIDTH_SHARDED,
                                              weights_dtype=ttnn.bfloat8_b))
    first, [pw, pb] = ttnn.conv2d(input_tensor=x, weight_tensor=w, bias_tensor=b, return_weights_and_bias=True, **args)
    assert pw.is_prepared_conv_weights and pb.is_prepared_conv_bias and pw.dtype == ttnn.bfloat8_b
    again = ttnn.conv2d(input_tensor=x, weight_tensor=pw, bias_tensor=pb, **args)
    assert torch.equal(ttnn.to_torch(first), ttnn.to_torch(again))
    pw2 = ttnn.prepare_conv_weights(weight_tensor=w, **args)
    pb2 = ttnn.prepare_conv_bias(bias_tensor=b, **args)
    assert pw2.to_bytes() == pw.to_bytes() and pb2.to_bytes() == pb.to_bytes()
    third = ttnn.conv2d(input_tensor=x, weight_tensor=pw2, bias_tensor=pb2, **args)
    assert torch.equal(ttnn.to_torch(first), ttnn.to_torch(third))


def test_host_packed_weights_follow_their_bias():
    # On the host preset the prepared weights come back packed for the host program and
    # are reused while the same prepared bias comes with them; another bias (or none)
    # must not reuse a packing that holds the first bias.
    torch.manual_seed(4)
    with ttnn.manage_device("host") as dev:
        x = ttnn.from_torch(torch.randn(1, 9, 9, 64), ttnn.bfloat16)
        w = ttnn.from_torch(torch.randn(64, 1, 3, 3))
        b1 = ttnn.from_torch(torch.randn(1, 1, 1, 64))
        b2 = ttnn.from_torch(torch.randn(1, 1, 1, 64) * 10)
        args = dict(input_tensor=x, device=dev, in_channels=64, out_channels=64, batch_size=1, input_height=9,
                    input_width=9, kernel_size=(3, 3), padding=(1, 1), groups=64)
        out1, [pw, pb1] = ttnn.conv2d(weight_tensor=w, bias_tensor=b1, return_weights_and_bias=True, **args)
        out2, [_, pb2] = ttnn.conv2d(weight_tensor=w, bias_tensor=b2, return_weights_and_bias=True, **args)
        out0 = ttnn.conv2d(weight_tensor=w, **args)
        for _ in range(2):  # the second round runs on the packings the first one kept
            assert torch.equal(ttnn.to_torch(ttnn.conv2d(weight_tensor=pw, bias_tensor=pb1, **args)), ttnn.to_torch(out1))
            assert torch.equal(ttnn.to_torch(ttnn.conv2d(weight_tensor=pw, bias_tensor=pb2, **args)), ttnn.to_torch(out2))
            assert torch.equal(ttnn.to_torch(ttnn.conv2d(weight_tensor=pw, **args)), ttnn.to_torch(out0))


def test_output_memory_config_and_nhwc_shapes(device):
    torch.manual_seed(4)
    x = torch.randn(2, 6, 6, 32)
    flat = ttnn.from_torch(x.reshape(1, 1, 72, 32), ttnn.bfloat16, device=device)
    nhwc = ttnn.from_torch(x, ttnn.bfloat16)
    args = dict(weight_tensor=ttnn.from_torch(torch.randn(32, 1, 3, 3)), device=device, in_channels=32,
                out_channels=32, batch_size=2, input_height=6, input_width=6, kernel_size=3, padding=1, groups=32)
    a = ttnn.conv2d(input_tensor=flat, memory_config=ttnn.DRAM_MEMORY_CONFIG, **args)
    b = ttnn.conv2d(input_tensor=nhwc, **args)
    assert a.memory_config().memory_layout == ttnn.TensorMemoryLayout.INTERLEAVED
    assert torch.equal(ttnn.to_torch(a), ttnn.to_torch(b))


def test_deallocate_activation_frees_the_input(device):
    x = ttnn.from_torch(torch.randn(1, 4, 4, 32), ttnn.bfloat16, device=device)
    ttnn.conv2d(input_tensor=x, weight_tensor=ttnn.from_torch(torch.randn(32, 1, 3, 3)), device=device,
                in_channels=32, out_channels=32, batch_size=1, input_height=4, input_width=4, kernel_size=3,
                padding=1, groups=32, conv_config=ttnn.Conv2dConfig(deallocate_activation=True))
    assert not x.is_allocated()
    with pytest.raises(RuntimeError, match="deallocated"):
        ttnn.to_torch(x)


def test_numpy_works_without_torch(tmp_path):
    # A `torch` that fails to import stands in for a machine without PyTorch.
    import os
    import subprocess
    import sys

    (tmp_path / "torch.py").write_text("raise ImportError('no torch on this machine')\n")
    script = (
        "import numpy as np, shardwise\n"
        "t = shardwise.from_numpy(np.full((2, 3), 1.5), shardwise.bfloat16)\n"
        "assert shardwise.to_numpy(t).tolist() == [[1.5] * 3] * 2\n"
        "try:\n"
        "    shardwise.to_torch(t)\n"
        "except ImportError as e:\n"
        "    print('ok:', e)\n"
    )
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ok: to_torch needs PyTorch" in result.stdout
