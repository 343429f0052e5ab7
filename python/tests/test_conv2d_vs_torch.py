"""A port of the reference system's test_groups_vs_pool2 (reference section 8) to
shardwise: random torch input, weights and bias (x10), shardwise.conv2d, and
torch.nn.functional.conv2d as the reference, compared by PCC.

The reference here is computed in float64 from the same dtype-rounded inputs the device
holds (bfloat16 activations; the prepared weights read back with unprepare_conv_weights,
so block-float weights are checked for arithmetic, not for the format's rounding). The
bounds are the conv2d issues': 0.9999 with bfloat16 weights, 0.999 with bfloat8_b, 0.99
with bfloat4_b. Against the unrounded weights, the reference system's own bound (0.985)
is checked too, for bfloat16 and bfloat8_b weights.
"""

import pytest
import torch

import shardwise as ttnn

HEIGHT = ttnn.TensorMemoryLayout.HEIGHT_SHARDED
WIDTH = ttnn.TensorMemoryLayout.WIDTH_SHARDED
BLOCK = ttnn.TensorMemoryLayout.BLOCK_SHARDED

PCC_BOUND = {ttnn.bfloat16: 0.9999, ttnn.float32: 0.9999, ttnn.bfloat8_b: 0.999, ttnn.bfloat4_b: 0.99}

TORCH_ACTIVATIONS = {
    None: lambda t: t,
    "relu": torch.relu,
    "relu6": lambda t: torch.clamp(t, 0.0, 6.0),
    "silu": torch.nn.functional.silu,
    "gelu": torch.nn.functional.gelu,
}

# Worst PCC seen per weights dtype, printed at the end of the module (the note).
WORST_PCC = {}


def run_conv(device, batch, channels, height, width, kernel, stride, padding, dilation, shard_layout, dtype,
             weights_dtype, activation, has_bias=True, output_layout=ttnn.ROW_MAJOR_LAYOUT, transpose_shards=False,
             compute_config=None, input_memory_config=None, seed=0):
    torch.manual_seed(seed)
    x = torch.randn(batch, channels, height, width)
    if dtype == ttnn.bfloat16:
        x = x.bfloat16().float()
    w = torch.randn(channels, 1, *kernel)
    b = torch.randn(1, 1, 1, channels) * 10 if has_bias else None

    tt_x = ttnn.from_torch(x.permute(0, 2, 3, 1), dtype, device=device if input_memory_config else None,
                           memory_config=input_memory_config)
    tt_w = ttnn.from_torch(w, ttnn.float32)
    tt_b = ttnn.from_torch(b, ttnn.float32) if has_bias else None
    config = ttnn.Conv2dConfig(weights_dtype=weights_dtype, shard_layout=shard_layout, activation=activation,
                               output_layout=output_layout, transpose_shards=transpose_shards)
    out, [out_h, out_w], [prepared_w, prepared_b] = ttnn.conv2d(
        input_tensor=tt_x, weight_tensor=tt_w, bias_tensor=tt_b, device=device, in_channels=channels,
        out_channels=channels, batch_size=batch, input_height=height, input_width=width, kernel_size=kernel,
        stride=stride, padding=padding, dilation=dilation, groups=channels, conv_config=config,
        compute_config=compute_config, return_output_dim=True, return_weights_and_bias=True)
    assert out.shape == [1, 1, batch * out_h * out_w, channels]
    actual = ttnn.to_torch(out).double().reshape(batch, out_h, out_w, channels).permute(0, 3, 1, 2)

    held_w = ttnn.to_torch(ttnn.unprepare_conv_weights(prepared_w)).double()
    held_b = ttnn.to_torch(ttnn.unprepare_conv_bias(prepared_b)).double().reshape(-1) if has_bias else None
    pad = padding if len(padding) == 2 else None
    if pad is None:  # (top, bottom, left, right)
        x_ref = torch.nn.functional.pad(x.double(), (padding[2], padding[3], padding[0], padding[1]))
        pad = (0, 0)
    else:
        x_ref = x.double()

    def reference(weight, bias):
        y = torch.nn.functional.conv2d(x_ref, weight, bias, stride=stride, padding=pad, dilation=dilation,
                                       groups=channels)
        return TORCH_ACTIVATIONS[activation](y)

    expected = reference(held_w, held_b)
    assert list(actual.shape) == list(expected.shape)
    passed, pcc = ttnn.comp_pcc(expected, actual, PCC_BOUND[weights_dtype])
    case = f"N{batch} C{channels} {height}x{width} k{kernel} s{stride} p{padding} d{dilation} {dtype}"
    WORST_PCC[weights_dtype] = min(WORST_PCC.get(weights_dtype, (1.0, "")), (pcc, case))
    assert passed, f"PCC {pcc} below {PCC_BOUND[weights_dtype]} ({ttnn.compare(expected, actual)})"
    if weights_dtype in (ttnn.bfloat16, ttnn.float32, ttnn.bfloat8_b):
        unrounded = reference(w.double(), b.double().reshape(-1) if has_bias else None)
        passed, pcc = ttnn.comp_pcc(unrounded, actual, 0.985)
        assert passed, f"PCC {pcc} against the unrounded weights is below the reference system's 0.985"
    return actual


@pytest.fixture(scope="module", autouse=True)
def report_worst_pcc():
    yield
    for dtype, (pcc, case) in WORST_PCC.items():
        print(f"\nworst PCC with {dtype} weights: {pcc:.7f} ({case})")


# The seeds' cases (batch, channels, height, width, kernel, stride, padding, dilation,
# shard layout, activation), then more.
SEED_CASES = [
    (1, 32, 32, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), HEIGHT, None),
    (1, 64, 64, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), HEIGHT, None),
    (1, 64, 64, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), WIDTH, None),
    (1, 128, 128, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), WIDTH, None),
    (1, 64, 64, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), WIDTH, "relu"),
    (1, 64, 64, 4, 8, (3, 3), (1, 1), (1, 1), (1, 1), WIDTH, None),
]
MORE_CASES = [
    (2, 96, 96, 13, 11, (3, 3), (2, 2), (1, 1), (1, 1), HEIGHT, "relu6"),
    (1, 144, 144, 14, 14, (5, 5), (1, 1), (2, 2), (1, 1), WIDTH, "silu"),
    (1, 256, 256, 12, 12, (3, 3), (1, 1), (1, 1), (1, 1), BLOCK, "gelu"),
    (3, 48, 48, 9, 7, (3, 3), (1, 2), (1, 0), (1, 1), HEIGHT, None),
    (1, 32, 32, 16, 16, (3, 3), (1, 1), (2, 2), (2, 2), HEIGHT, None),
    (1, 64, 64, 20, 20, (3, 3), (1, 1), (3, 3), (3, 3), WIDTH, "relu"),
    (1, 32, 32, 14, 14, (7, 7), (1, 1), (3, 3), (1, 1), HEIGHT, None),
    (1, 64, 64, 18, 18, (9, 9), (1, 1), (4, 4), (1, 1), WIDTH, None),
    (1, 32, 32, 1, 64, (1, 49), (1, 1), (0, 24), (1, 1), HEIGHT, None),
    (1, 300, 300, 10, 10, (3, 3), (1, 1), (1, 1), (1, 1), WIDTH, "relu6"),
    (1, 520, 520, 7, 7, (3, 3), (1, 1), (1, 1), (1, 1), BLOCK, None),
    (2, 1152, 1152, 7, 7, (5, 5), (1, 1), (2, 2), (1, 1), WIDTH, "silu"),
    (1, 32, 32, 1, 32, (1, 3), (1, 1), (0, 1), (1, 1), HEIGHT, None),
    (4, 16, 16, 8, 8, (3, 1), (1, 1), (1, 0), (1, 1), HEIGHT, None),
    (1, 40, 40, 28, 28, (5, 5), (2, 2), (2, 2), (1, 1), None, "relu6"),
    (10, 32, 32, 16, 16, (3, 3), (2, 2), (1, 1), (1, 1), None, None),
]


@pytest.mark.parametrize(
    "batch, input_channels, output_channels, input_height, input_width, kernel, stride, padding, dilation, "
    "shard_layout, activation",
    SEED_CASES + MORE_CASES,
)
@pytest.mark.parametrize("weights_dtype", [ttnn.bfloat16, ttnn.bfloat8_b, ttnn.bfloat4_b])
def test_groups_vs_pool2(device, batch, input_channels, output_channels, input_height, input_width, kernel, stride,
                         padding, dilation, shard_layout, activation, weights_dtype):
    assert input_channels == output_channels
    run_conv(device, batch, input_channels, input_height, input_width, kernel, stride, padding, dilation, shard_layout,
             ttnn.bfloat16, weights_dtype, activation)


@pytest.mark.parametrize("transpose_shards", [False, True])
@pytest.mark.parametrize("channels", [64, 200])
def test_block_sharded_orientations(device, transpose_shards, channels):
    run_conv(device, 2, channels, 12, 10, (3, 3), (1, 1), (1, 1), (1, 1), BLOCK, ttnn.bfloat16, ttnn.bfloat16, "relu",
             transpose_shards=transpose_shards)


@pytest.mark.parametrize("dtype", [ttnn.bfloat16, ttnn.float32])
@pytest.mark.parametrize("output_layout", [ttnn.ROW_MAJOR_LAYOUT, ttnn.TILE_LAYOUT])
def test_dtypes_and_output_layouts(device, dtype, output_layout):
    run_conv(device, 1, 48, 9, 9, (3, 3), (1, 1), (1, 1), (1, 1), HEIGHT, dtype, ttnn.bfloat16, None,
             output_layout=output_layout)


@pytest.mark.parametrize("has_bias", [False, True])
def test_optional_bias(device, has_bias):
    run_conv(device, 1, 64, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), WIDTH, ttnn.bfloat16, ttnn.bfloat16, None,
             has_bias=has_bias)


def test_asymmetric_padding(device):
    run_conv(device, 1, 32, 9, 9, (3, 3), (1, 1), (0, 2, 1, 0), (1, 1), HEIGHT, ttnn.bfloat16, ttnn.bfloat16, None)


def test_bfloat16_accumulation_via_compute_config(device):
    compute_config = ttnn.init_device_compute_kernel_config(None, math_fidelity=ttnn.MathFidelity.LoFi,
                                                            fp32_dest_acc_en=False)
    # bfloat16 accumulation rounds every partial sum: the reference system's bound applies.
    torch.manual_seed(0)
    x = torch.randn(1, 64, 8, 8).bfloat16().float()
    w = torch.randn(64, 1, 3, 3).bfloat16().float()
    kwargs = dict(weight_tensor=ttnn.from_torch(w), device=device, in_channels=64, out_channels=64, batch_size=1,
                  input_height=8, input_width=8, kernel_size=(3, 3), padding=(1, 1), groups=64)
    tt_x = ttnn.from_torch(x.permute(0, 2, 3, 1), ttnn.bfloat16)
    bf16_acc = ttnn.to_torch(ttnn.conv2d(input_tensor=tt_x, compute_config=compute_config, **kwargs)).double()
    fp32_acc = ttnn.to_torch(ttnn.conv2d(input_tensor=tt_x, **kwargs)).double()
    expected = torch.nn.functional.conv2d(x.double(), w.double(), padding=1, groups=64).permute(0, 2, 3, 1)
    expected = expected.reshape(bf16_acc.shape)
    assert ttnn.pcc(expected, bf16_acc) >= 0.985
    assert ttnn.pcc(expected, fp32_acc) >= 0.9999
    assert not torch.equal(bf16_acc, fp32_acc), "bfloat16 accumulation should round differently"


@pytest.mark.parametrize("arch", ["blackhole", "host"])
def test_other_arch_presets(arch):
    with ttnn.manage_device(arch) as dev:
        run_conv(dev, 2, 96, 10, 10, (3, 3), (1, 1), (1, 1), (1, 1), None, ttnn.bfloat16, ttnn.bfloat16, "relu6")
        run_conv(dev, 1, 64, 12, 12, (5, 5), (2, 2), (2, 2), (1, 1), WIDTH, ttnn.float32, ttnn.bfloat8_b, None)


@pytest.mark.parametrize("strategy", [ttnn.ShardStrategy.HEIGHT, ttnn.ShardStrategy.WIDTH, ttnn.ShardStrategy.BLOCK])
def test_sharded_input_tensor(device, strategy):
    memory_config = ttnn.create_sharded_memory_config([1, 1, 2 * 8 * 8, 64], ttnn.CoreGrid(y=2, x=2), strategy)
    run_conv(device, 2, 64, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), HEIGHT, ttnn.bfloat16, ttnn.bfloat16, None,
             input_memory_config=memory_config)


def test_plan_reports_layout_and_splits(device):
    # Automatic layout: 576 channels on a 14x14 image keep the most cores busy BLOCK sharded.
    out, plan = ttnn.conv2d(
        input_tensor=ttnn.from_torch(torch.randn(1, 14, 14, 576), ttnn.bfloat16),
        weight_tensor=ttnn.from_torch(torch.randn(576, 1, 3, 3)), device=device, in_channels=576, out_channels=576,
        batch_size=1, input_height=14, input_width=14, kernel_size=3, padding=1, groups=576, return_plan=True)
    assert plan.shard_layout == "BLOCK_SHARDED", plan.reason
    assert "cores used" in plan.reason and plan.num_cores == 42
    # HEIGHT with 1152 channels under a dilated 9x9 window: channel passes, and still exact.
    actual = run_conv(device, 1, 1152, 20, 18, (9, 9), (1, 1), (12, 12), (3, 3), HEIGHT, ttnn.bfloat16, ttnn.bfloat16,
                      "relu6")
    assert actual.shape == (1, 1152, 20, 18)
    _, plan = ttnn.conv2d(
        input_tensor=ttnn.from_torch(torch.randn(1, 20, 18, 1152), ttnn.bfloat16),
        weight_tensor=ttnn.from_torch(torch.randn(1152, 1, 9, 9)), device=device, in_channels=1152,
        out_channels=1152, batch_size=1, input_height=20, input_width=18, kernel_size=9, padding=12, dilation=3,
        groups=1152, conv_config=ttnn.Conv2dConfig(shard_layout=HEIGHT), return_plan=True)
    assert plan.channel_passes > 1 and plan.slices >= plan.channel_passes
    assert "channel passes" in plan.plan
