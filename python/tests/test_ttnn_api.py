"""The TT-NN API surface that TT-NN's own conv tests call (the nightly test_conv2d.py's
run_conv and its depthwise cases), written here as our own tests of each name and
keyword: the device as a mesh of one, memory-config moves and equality, compute-kernel
config keywords, slice configs that really slice, activations passed as
UnaryWithParam with their golden functions, bfloat8_b activations and outputs.
"""

import pytest
import torch

import shardwise as ttnn
from shardwise.operations.activations import get_golden_function_for_activation

HEIGHT = ttnn.TensorMemoryLayout.HEIGHT_SHARDED
BLOCK = ttnn.TensorMemoryLayout.BLOCK_SHARDED

# Worst PCC per (output dtype, activations dtype), printed at the end (the note).
WORST = {}


def depthwise_conv(device, x_nchw, weight, bias, *, stride=1, padding=1, in_dtype=ttnn.bfloat16, out_dtype=ttnn.bfloat16,
                   in_layout=None, output_layout=ttnn.TILE_LAYOUT, activation=None, shard_layout=None, slice_config=None,
                   memory_config=None, fp32_accum=False, math_fidelity=ttnn.MathFidelity.HiFi4, return_plan=False, **config):
    """TT-NN's sequence: from_torch (NHWC), Conv2dConfig, compute config from
    device.arch(), conv2d with every keyword the nightly test passes; the output as NHWC."""
    n, c, h, w = x_nchw.shape
    needs_device = in_dtype == ttnn.bfloat8_b or slice_config is not None
    tt_x = ttnn.from_torch(x_nchw.permute(0, 2, 3, 1), in_dtype, layout=in_layout, device=device if needs_device else None,
                           mesh_mapper=None)
    tt_w = ttnn.from_torch(weight, ttnn.float32, mesh_mapper=None)
    tt_b = None if bias is None else ttnn.from_torch(bias.reshape(1, 1, 1, -1), ttnn.float32)
    conv_config = ttnn.Conv2dConfig(weights_dtype=ttnn.bfloat16, shard_layout=shard_layout, output_layout=output_layout,
                                    activation=activation, enable_kernel_stride_folding=False, full_inner_dim=False,
                                    enable_activation_reuse=False, config_tensors_in_dram=False, force_split_reader=None,
                                    core_grid=None, override_output_sharding_config=False, **config)
    compute_config = ttnn.init_device_compute_kernel_config(device.arch(), math_fidelity=math_fidelity, math_approx_mode=True,
                                                            fp32_dest_acc_en=fp32_accum, packer_l1_acc=False,
                                                            throttle_level=ttnn.ThrottleLevel.NO_THROTTLE)
    returned = ttnn.conv2d(input_tensor=tt_x, weight_tensor=tt_w, bias_tensor=tt_b, device=device, in_channels=c,
                           out_channels=c, batch_size=n, input_height=h, input_width=w, kernel_size=tuple(weight.shape[2:]),
                           stride=(stride, stride), padding=(padding, padding, padding, padding), dilation=(1, 1), groups=c,
                           conv_config=conv_config, compute_config=compute_config, memory_config=memory_config,
                           return_output_dim=True, return_weights_and_bias=True, dtype=out_dtype, slice_config=slice_config,
                           return_plan=return_plan)
    out, (ho, wo), _ = returned[:3]
    ttnn.synchronize_device(device)
    values = ttnn.to_torch(ttnn.from_device(out), mesh_composer=None).float().reshape(n, ho, wo, -1)[..., :c]
    return (values, out, returned[3]) if return_plan else (values, out)


def golden(x, weight, bias, stride, padding, activation=None):
    ref = torch.nn.functional.conv2d(x, weight, bias, stride=stride, padding=padding, groups=x.shape[1])
    act = get_golden_function_for_activation(activation)
    return (act(ref) if act else ref).permute(0, 2, 3, 1)


def record(key, pcc):
    WORST[key] = min(WORST.get(key, 1.0), pcc)


@pytest.fixture(scope="module", autouse=True)
def print_worst():
    yield
    for key, pcc in sorted(WORST.items(), key=str):
        print(f"\nworst PCC {key}: {pcc:.6f}")


def test_device_is_a_mesh_of_one():
    device = ttnn.open_device(arch="wormhole_b0", device_id=0, l1_small_size=16384, trace_region_size=0, num_command_queues=1)
    try:
        assert isinstance(device, ttnn.MeshDevice)
        assert device.get_device_ids() == [0]
        assert (device.core_grid.x, device.core_grid.y) == (8, 8)
        assert device.arch() == "wormhole_b0"
        ttnn.synchronize_device(device)
    finally:
        ttnn.close_device(device)
    with pytest.raises(ValueError, match="closed"):
        ttnn.synchronize_device(device)
    with pytest.raises(ValueError, match="l1_small_size -1"):
        ttnn.open_device(arch="wormhole_b0", l1_small_size=-1)


def test_memory_configs_compare_by_value_and_move(device):
    sharded = ttnn.create_sharded_memory_config([1, 1, 256, 64], ttnn.CoreGrid(y=1, x=4), ttnn.ShardStrategy.HEIGHT)
    assert sharded == ttnn.create_sharded_memory_config([1, 1, 256, 64], ttnn.CoreGrid(y=1, x=4), ttnn.ShardStrategy.HEIGHT)
    assert sharded != ttnn.create_sharded_memory_config([1, 1, 256, 64], ttnn.CoreGrid(y=1, x=2), ttnn.ShardStrategy.HEIGHT)
    assert ttnn.DRAM_MEMORY_CONFIG == ttnn.MemoryConfig(ttnn.TensorMemoryLayout.INTERLEAVED, ttnn.BufferType.DRAM)
    assert ttnn.DRAM_MEMORY_CONFIG != ttnn.L1_MEMORY_CONFIG
    values = torch.randn(1, 1, 256, 64)
    t = ttnn.from_torch(values, ttnn.bfloat16, device=device)
    assert ttnn.get_memory_config(t) == ttnn.DRAM_MEMORY_CONFIG
    moved = ttnn.to_memory_config(t, sharded)
    assert ttnn.get_memory_config(moved) == sharded
    assert torch.equal(ttnn.to_torch(moved), ttnn.to_torch(t))
    as_float = ttnn.to_memory_config(moved, ttnn.L1_MEMORY_CONFIG, dtype=ttnn.float32)
    assert as_float.dtype == ttnn.float32 and ttnn.get_memory_config(as_float) == ttnn.L1_MEMORY_CONFIG
    assert ttnn.get_memory_config(ttnn.from_torch(values)) is None
    ttnn.deallocate(moved, True)
    with pytest.raises(ValueError, match="on a device"):
        ttnn.to_memory_config(ttnn.from_torch(values), sharded)


def test_mesh_mappers_are_for_one_device(device):
    t = ttnn.from_torch(torch.ones(2, 3), ttnn.float32, mesh_mapper=None)
    assert ttnn.to_torch(t, mesh_composer=None, torch_rank=2).shape == (2, 3)
    assert ttnn.to_torch(ttnn.from_torch(torch.ones(1, 1, 2, 3)), torch_rank=2).shape == (2, 3)
    with pytest.raises(ValueError, match="mesh of one device"):
        ttnn.from_torch(torch.ones(2, 3), mesh_mapper=object())
    with pytest.raises(ValueError, match="mesh of one device"):
        ttnn.to_torch(t, mesh_composer=object())


def test_compute_config_keywords():
    config = ttnn.init_device_compute_kernel_config("wormhole_b0", math_fidelity=ttnn.MathFidelity.LoFi,
                                                    throttle_level=ttnn.ThrottleLevel(3))
    assert config.throttle_level == ttnn.ThrottleLevel.LEVEL_3
    assert ttnn.init_device_compute_kernel_config(None, throttle_level=2).throttle_level == ttnn.ThrottleLevel.LEVEL_2
    with pytest.raises(ValueError, match="throttle_level"):
        ttnn.init_device_compute_kernel_config(None, throttle_level=9)


FUSED = [
    ttnn.UnaryWithParam(ttnn.UnaryOpType.RELU),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.RELU6),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.SILU),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.GELU),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.SIGMOID),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.TANH),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.HARDSWISH),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.LEAKY_RELU, 0.2),
    ttnn.UnaryWithParam(ttnn.UnaryOpType.LEAKY_RELU),
]


@pytest.mark.parametrize("activation", FUSED, ids=lambda a: f"{a.op_type.name}_{a.param}")
@pytest.mark.parametrize("arch", ["wormhole_b0", "host"])
def test_activations_as_unary_with_param(arch, activation):
    device = ttnn.open_device(arch=arch)
    try:
        torch.manual_seed(1)
        x, w, b = torch.randn(1, 64, 12, 12), torch.randn(64, 1, 3, 3), torch.randn(64)
        values, _ = depthwise_conv(device, x, w, b, out_dtype=ttnn.float32, in_dtype=ttnn.float32, fp32_accum=True,
                                   output_layout=ttnn.ROW_MAJOR_LAYOUT, activation=activation)
        expected = golden(x, w, b, 1, 1, activation)
        passed, pcc = ttnn.comp_pcc(expected, values, 0.9999)
        record(f"activation {activation.op_type.name} float32", pcc)
        assert passed, pcc
    finally:
        ttnn.close_device(device)


def test_unfusable_activations_are_named(device):
    x, w = torch.randn(1, 32, 8, 8), torch.randn(32, 1, 3, 3)
    with pytest.raises(ValueError, match="SQRT cannot be fused"):
        depthwise_conv(device, x, w, None, activation=ttnn.UnaryWithParam(ttnn.UnaryOpType.SQRT))
    with pytest.raises(ValueError, match="takes no parameter"):
        depthwise_conv(device, x, w, None, activation=ttnn.UnaryWithParam(ttnn.UnaryOpType.RELU, 1.0))
    assert get_golden_function_for_activation(None) is None


@pytest.mark.parametrize("slice_type", [ttnn.Conv2dDRAMSliceHeight, ttnn.Conv2dDRAMSliceWidth])
@pytest.mark.parametrize("num_slices", [2, 4])
def test_dram_slice_configs_slice(device, slice_type, num_slices):
    torch.manual_seed(2)
    x, w, b = torch.randn(1, 64, 40, 40), torch.randn(64, 1, 3, 3), torch.randn(64)
    config = ttnn.Conv2dSliceConfig(slice_type=slice_type, num_slices=num_slices)
    values, out, plan = depthwise_conv(device, x, w, b, slice_config=config, shard_layout=HEIGHT, num_cores=2,
                                       output_layout=ttnn.ROW_MAJOR_LAYOUT, return_plan=True)
    assert plan.slices == num_slices
    assert f"{num_slices} DRAM slices asked for" in plan.plan
    assert ttnn.get_memory_config(out).memory_layout == ttnn.TensorMemoryLayout.INTERLEAVED
    passed, pcc = ttnn.comp_pcc(golden(x, w, b, 1, 1), values, 0.999)
    record("dram slices bfloat16", pcc)
    assert passed, pcc


def test_l1_full_and_automatic_slice_configs_keep_one_pass(device):
    torch.manual_seed(3)
    x, w = torch.randn(1, 64, 16, 16), torch.randn(64, 1, 3, 3)
    for config in (ttnn.Conv2dL1FullSliceConfig, ttnn.Conv2dSliceConfig(slice_type=ttnn.Conv2dDRAMSliceHeight, num_slices=0), None):
        _, _, plan = depthwise_conv(device, x, w, None, slice_config=config, return_plan=True)
        assert plan.slices == 1
    with pytest.raises(ValueError, match="num_slices"):
        ttnn.Conv2dSliceConfig(slice_type=ttnn.Conv2dDRAMSliceWidth, num_slices=-1)
    with pytest.raises(ValueError, match="slice_config"):
        depthwise_conv(device, x, w, None, slice_config="height")


@pytest.mark.parametrize("in_dtype, out_dtype", [(ttnn.bfloat8_b, ttnn.bfloat8_b), (ttnn.bfloat16, ttnn.bfloat8_b),
                                                 (ttnn.bfloat8_b, ttnn.bfloat16)])
@pytest.mark.parametrize("fp32_accum", [True, False])
def test_bfloat8_b_activations_and_outputs(device, in_dtype, out_dtype, fp32_accum):
    torch.manual_seed(4)
    x, w, b = torch.randn(2, 96, 14, 14), torch.randn(96, 1, 3, 3), torch.randn(96) * 10
    values, out = depthwise_conv(device, x, w, b, in_dtype=in_dtype, out_dtype=out_dtype, in_layout=ttnn.TILE_LAYOUT
                                 if in_dtype == ttnn.bfloat8_b else None, fp32_accum=fp32_accum, shard_layout=HEIGHT,
                                 math_fidelity=ttnn.MathFidelity.LoFi)
    assert out.dtype == out_dtype and out.layout == ttnn.TILE_LAYOUT
    # TT-NN's own bound for these cases (run_conv: 0.985 without fp32 accumulation, 0.997 with it).
    bound = 0.997 if fp32_accum else 0.985
    passed, pcc = ttnn.comp_pcc(golden(x, w, b, 1, 1), values, bound)
    record(f"out {out_dtype} in {in_dtype} fp32_accum={fp32_accum}", pcc)
    assert passed, pcc


def test_bfloat8_b_output_needs_tiles(device):
    x, w = torch.randn(1, 32, 8, 8), torch.randn(32, 1, 3, 3)
    with pytest.raises(ValueError, match="needs output_layout TILE"):
        depthwise_conv(device, x, w, None, out_dtype=ttnn.bfloat8_b, output_layout=ttnn.ROW_MAJOR_LAYOUT)


def test_bfloat8_b_output_is_packed_as_the_chip_packs(device):
    """With the chip's numerics the bfloat8_b output is the chip packer's rounding of the
    float32 output (through bfloat16, ties away from zero); exact numerics use the
    tensor conversion (nearest even). Both read back within bfloat8_b's step."""
    torch.manual_seed(5)
    x, w = torch.randn(1, 64, 10, 10), torch.randn(64, 1, 3, 3)
    f32, _ = depthwise_conv(device, x, w, None, out_dtype=ttnn.float32, fp32_accum=True)
    chip, _ = depthwise_conv(device, x, w, None, out_dtype=ttnn.bfloat8_b, fp32_accum=True)
    exact, _ = depthwise_conv(device, x, w, None, out_dtype=ttnn.bfloat8_b, fp32_accum=True, numerics="exact")
    for packed in (chip, exact):
        # 7 mantissa bits under a face row's shared exponent: within 2^-6 of its largest value.
        scale = f32.reshape(-1, 16).abs().amax(dim=1, keepdim=True)
        assert torch.all((packed.reshape(-1, 16) - f32.reshape(-1, 16)).abs() <= scale * 2**-6 + 1e-30)
    f32_exact, _ = depthwise_conv(device, x, w, None, out_dtype=ttnn.float32, fp32_accum=True, numerics="exact")
    assert torch.equal(exact, ttnn.to_torch(ttnn.typecast(ttnn.from_torch(f32_exact, ttnn.float32), ttnn.bfloat8_b)).float())


def test_run_conv_sequence_with_sharded_input_and_output_memory_config(device):
    """The nightly run_conv's sharded path: the input moved to a sharded config with
    to_memory_config, an output memory_config, and the output's config compared with it."""
    torch.manual_seed(6)
    n, c, h, w = 1, 64, 16, 16
    x, weight, bias = torch.randn(n, c, h, w), torch.randn(c, 1, 3, 3), torch.randn(c)
    tt_x = ttnn.from_torch(x.permute(0, 2, 3, 1).reshape(1, 1, n * h * w, c), ttnn.bfloat16, device=device)
    sharded = ttnn.create_sharded_memory_config([1, 1, n * h * w, c], ttnn.CoreGrid(y=1, x=8), ttnn.ShardStrategy.HEIGHT)
    tt_x = ttnn.to_memory_config(tt_x, sharded)
    out, (ho, wo) = ttnn.conv2d(input_tensor=tt_x, weight_tensor=ttnn.from_torch(weight, ttnn.float32),
                                bias_tensor=ttnn.from_torch(bias.reshape(1, 1, 1, c), ttnn.float32), device=device,
                                in_channels=c, out_channels=c, batch_size=n, input_height=h, input_width=w, kernel_size=(3, 3),
                                padding=(1, 1), groups=c, memory_config=ttnn.L1_MEMORY_CONFIG, return_output_dim=True,
                                conv_config=ttnn.Conv2dConfig(shard_layout=HEIGHT))
    assert ttnn.get_memory_config(out) == ttnn.L1_MEMORY_CONFIG
    values = ttnn.to_torch(out).float().reshape(n, ho, wo, c)
    passed, pcc = ttnn.comp_pcc(golden(x, weight, bias, 1, 1), values, 0.999)
    record("sharded input bfloat16", pcc)
    assert passed, pcc


def test_tt_testing_helpers():
    a = torch.randn(4, 8)
    assert ttnn.check_with_pcc_without_tensor_printout(a, a.clone(), pcc=0.99)[0]
    passed, message = ttnn.check_with_pcc_without_tensor_printout(a, a.reshape(8, 4))
    assert not passed and "[4, 8]" in message and "[8, 4]" in message
    assert not ttnn.check_with_pcc_without_tensor_printout(a, -a, pcc=0.5)[0]
    ttnn.assert_equal(a, a.clone())
    with pytest.raises(AssertionError, match="1 of 32 values differ"):
        b = a.clone()
        b[1, 2] += 1
        ttnn.assert_equal(a, b)
    nan = torch.full((2,), float("nan"))
    ttnn.assert_equal(nan, nan.clone())


def test_prepared_weights_with_tt_nn_keywords(device):
    """prepare_conv_weights / prepare_conv_bias with the keywords TT-NN's models pass
    (input_dtype, output_dtype, slice_config, the input's memory config and layout)."""
    torch.manual_seed(7)
    c, h, w = 32, 10, 10
    x, weight, bias = torch.randn(1, c, h, w), torch.randn(c, 1, 3, 3), torch.randn(c)
    tt_x = ttnn.from_torch(x.permute(0, 2, 3, 1), ttnn.bfloat16, device=device)
    assert ttnn.is_tensor_storage_on_device(tt_x) and not ttnn.is_tensor_storage_on_device(ttnn.from_torch(weight))
    kw = dict(input_memory_config=tt_x.memory_config(), input_layout=tt_x.get_layout(), in_channels=c, out_channels=c,
              batch_size=1, input_height=h, input_width=w, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1),
              dilation=(1, 1), groups=c, device=device, input_dtype=tt_x.get_dtype(), output_dtype=ttnn.bfloat16,
              slice_config=ttnn.Conv2dL1FullSliceConfig, conv_config=ttnn.Conv2dConfig(weights_dtype=ttnn.bfloat16))
    pw = ttnn.prepare_conv_weights(weight_tensor=ttnn.from_torch(weight), weights_format="OIHW", has_bias=True, **kw)
    pb = ttnn.prepare_conv_bias(bias_tensor=ttnn.from_torch(bias.reshape(1, 1, 1, c)), **kw)
    for name in ("input_memory_config", "input_layout", "input_dtype", "output_dtype", "slice_config"):
        kw.pop(name)
    out, (ho, wo) = ttnn.conv2d(input_tensor=tt_x, weight_tensor=ttnn.to_device(pw, device), bias_tensor=pb,
                                return_output_dim=True, **kw)
    passed, pcc = ttnn.comp_pcc(golden(x, weight, bias, 1, 1), ttnn.to_torch(out).float().reshape(1, ho, wo, c), 0.999)
    record("prepared weights bfloat16", pcc)
    assert passed, pcc
    with pytest.raises(ValueError, match="slice_config"):
        ttnn.prepare_conv_bias(bias_tensor=ttnn.from_torch(bias.reshape(1, 1, 1, c)), slice_config="none",
                               **{k: v for k, v in kw.items() if k != "slice_config"})


def test_permute_keeps_dtype_layout_and_placement(device):
    """ttnn.permute (TT-NN's tests turn an NCHW device tensor into NHWC with it)."""
    x = torch.randn(2, 3, 4, 5)
    on_device = ttnn.from_torch(x, ttnn.bfloat16, device=device)
    y = ttnn.permute(on_device, (0, 2, 3, 1))
    assert y.is_on_device() and y.dtype == ttnn.bfloat16 and list(y.shape) == [2, 4, 5, 3]
    assert torch.equal(ttnn.to_torch(y), x.bfloat16().float().permute(0, 2, 3, 1))
    host = ttnn.permute(ttnn.from_torch(x, ttnn.float32), (-1, 0, 1, 2))
    assert not host.is_on_device() and torch.equal(ttnn.to_torch(host), x.permute(3, 0, 1, 2))
    for bad in [(0, 1, 2), (0, 1, 1, 2), (0, 1, 2, 4)]:
        with pytest.raises(ValueError, match="must be a permutation of 0..3"):
            ttnn.permute(on_device, bad)


def test_num_cores_to_corerangeset_fills_rows_or_columns(device):
    grid = device.compute_with_storage_grid_size()  # 8 x 8
    sixty_three = ttnn.num_cores_to_corerangeset(target_num_cores=63, grid_size=grid, row_wise=True)
    assert sixty_three == ttnn.CoreRangeSet({ttnn.CoreRange(ttnn.CoreCoord(0, 0), ttnn.CoreCoord(7, 6)),
                                             ttnn.CoreRange(ttnn.CoreCoord(0, 7), ttnn.CoreCoord(6, 7))})
    assert sixty_three.num_cores() == 63
    columns = ttnn.num_cores_to_corerangeset(10, (8, 8))
    assert columns == ttnn.CoreRangeSet({ttnn.CoreRange(ttnn.CoreCoord(0, 0), ttnn.CoreCoord(0, 7)),
                                         ttnn.CoreRange(ttnn.CoreCoord(1, 0), ttnn.CoreCoord(1, 1))})
    assert ttnn.num_cores_to_corerangeset(8, grid, row_wise=True) == ttnn.CoreRangeSet(
        {ttnn.CoreRange(ttnn.CoreCoord(0, 0), ttnn.CoreCoord(7, 0))})
    for bad in (0, 65, 2.0):
        with pytest.raises(ValueError, match="must be between 1 and 64"):
            ttnn.num_cores_to_corerangeset(bad, grid)
    assert ttnn.get_device_ids() == [0]
