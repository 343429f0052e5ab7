"""Depthwise conv2d with TT-NN's call signature.

    output = shardwise.conv2d(input_tensor=x, weight_tensor=w, bias_tensor=b, device=device,
                              in_channels=C, out_channels=C, batch_size=N, input_height=H,
                              input_width=W, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1),
                              groups=C, conv_config=shardwise.Conv2dConfig(...))

Only depthwise convs run (groups == in_channels == out_channels); anything else is a
ValueError saying so.
"""

import enum
from dataclasses import dataclass

from . import _shardwise
from ._shardwise import Activation, CoreCoord, CoreRangeSet, Device, Tensor
from .types import Layout, TensorMemoryLayout, as_dtype, as_layout, bfloat16
from .slicing import requested_dram_slices
from .unary import FUSABLE, UnaryOpType, UnaryWithParam

_SHARD_LAYOUTS = (
    TensorMemoryLayout.HEIGHT_SHARDED,
    TensorMemoryLayout.WIDTH_SHARDED,
    TensorMemoryLayout.BLOCK_SHARDED,
)


class MathFidelity(enum.Enum):
    """Multiplier passes per product (chip-numerics.md section 2): LoFi keeps 5 x 7
    significant bits, HiFi2 10 x 7, HiFi3 adds 5 x the low 4 bits, HiFi4 10 x 11."""

    LoFi = 0
    HiFi2 = 2
    HiFi3 = 3
    HiFi4 = 4


_FIDELITY_NAMES = {MathFidelity.LoFi: "lofi", MathFidelity.HiFi2: "hifi2", MathFidelity.HiFi3: "hifi3",
                   MathFidelity.HiFi4: "hifi4"}


def _fidelity_name(value):
    if isinstance(value, MathFidelity):
        return _FIDELITY_NAMES[value]
    if isinstance(value, str) and value.lower() in _FIDELITY_NAMES.values():
        return value.lower()
    name = getattr(value, "name", None)  # another module's MathFidelity enum (e.g. ttnn's)
    if isinstance(name, str) and name.lower() in _FIDELITY_NAMES.values():
        return name.lower()
    raise ValueError(f"math_fidelity {value!r} must be a MathFidelity (LoFi, HiFi2, HiFi3, HiFi4) or its name")


class ThrottleLevel(enum.Enum):
    """TT-NN's matmul-engine throttling (power management on the chip). It slows the
    chip's FPU down and never changes a result: the model accepts it without effect."""

    NO_THROTTLE = 0
    LEVEL_1 = 1
    LEVEL_2 = 2
    LEVEL_3 = 3
    LEVEL_4 = 4
    LEVEL_5 = 5


def _throttle_level(value):
    if isinstance(value, ThrottleLevel):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 5:
        return ThrottleLevel(value)
    name = getattr(value, "name", None)  # another module's ThrottleLevel
    if name in ThrottleLevel.__members__:
        return ThrottleLevel[name]
    raise ValueError(f"throttle_level {value!r} must be a ThrottleLevel (NO_THROTTLE, LEVEL_1 .. LEVEL_5) or 0..5")


@dataclass
class WormholeComputeKernelConfig:
    """The compute kernel options of TT-NN, honoured as the chip does with numerics
    "chip" (the default on wormhole_b0 and blackhole): math_fidelity sets the multiplier
    passes, fp32_dest_acc_en=False makes Dst bfloat16 (every accumulation rounds to 8
    significant bits). With numerics "exact" (the host preset's default) the model
    computes in float32 and only fp32_dest_acc_en=False changes it (sums rounded to
    bfloat16). math_approx_mode, packer_l1_acc, dst_full_sync_en and throttle_level
    tune the chip's kernels and are accepted without effect (the model's smooth
    activations are float32, its packer writes each output once)."""

    math_fidelity: MathFidelity = MathFidelity.HiFi4
    math_approx_mode: bool = False
    fp32_dest_acc_en: bool = True
    packer_l1_acc: bool = False
    dst_full_sync_en: bool = False
    throttle_level: ThrottleLevel = ThrottleLevel.NO_THROTTLE


BlackholeComputeKernelConfig = WormholeComputeKernelConfig


def init_device_compute_kernel_config(
    arch=None, math_fidelity=MathFidelity.HiFi4, math_approx_mode=False, fp32_dest_acc_en=True, packer_l1_acc=False,
    dst_full_sync_en=False, throttle_level=ThrottleLevel.NO_THROTTLE
):
    """A WormholeComputeKernelConfig, as ttnn.init_device_compute_kernel_config(device.arch(), ...)."""
    _fidelity_name(math_fidelity)
    return WormholeComputeKernelConfig(math_fidelity, math_approx_mode, fp32_dest_acc_en, packer_l1_acc, dst_full_sync_en,
                                       _throttle_level(throttle_level))


@dataclass
class Conv2dConfig:
    """How conv2d runs, with TT-NN's field names.

    weights_dtype: dtype of the prepared weights and bias: bfloat16 (default), float32,
        bfloat8_b or bfloat4_b.
    shard_layout: TensorMemoryLayout.HEIGHT_SHARDED, WIDTH_SHARDED or BLOCK_SHARDED;
        None chooses one (reference section 4's rules; the plan says why).
    activation: None, a UnaryWithParam(UnaryOpType.X[, param]) as TT-NN passes it, or a
        name: "relu", "relu6", "silu", "gelu", "sigmoid", "tanh", "hardswish",
        "leaky_relu" (slope 0.01 by name, else UnaryWithParam's param); fused after the bias.
    output_layout: ROW_MAJOR_LAYOUT (default) or TILE_LAYOUT.
    transpose_shards: BLOCK_SHARDED with COL_MAJOR orientation (grid columns split the
        sticks, rows the channels).
    core_grid + override_sharding_config: run on exactly these cores (a CoreRangeSet
        starting at core (0, 0); HEIGHT/WIDTH take its cores row by row).
    num_cores: HEIGHT/WIDTH on exactly this many cores (a shardwise extension).
    bfloat16_accumulation: bf16 Dst, the chip without fp32 dest accumulation (a
        shardwise extension; also set by compute_config's fp32_dest_acc_en=False).
    numerics: None (the arch's default: "chip" on wormhole_b0 and blackhole, "exact" on
        host), "chip" (the chip's arithmetic, chip-numerics.md, at compute_config's math
        fidelity) or "exact" (float32 products and sums). A shardwise extension.

    Accepted for compatibility, without effect on results: deallocate_activation frees
    the input device tensor after the conv; act_block_h_override, act_block_w_div,
    enable_act_double_buffer, enable_weights_double_buffer, enable_split_reader,
    reshard_if_not_optimal, reallocate_halo_output, in_place, config_tensors_in_dram,
    enable_kernel_stride_folding, full_inner_dim, enable_activation_reuse,
    force_split_reader and override_output_sharding_config tune the real chip's kernels
    (how activations are blocked, read and reused), which the model plans for itself.
    """

    weights_dtype: object = None
    shard_layout: object = None
    activation: object = None
    output_layout: object = Layout.ROW_MAJOR
    transpose_shards: bool = False
    core_grid: object = None
    override_sharding_config: bool = False
    num_cores: object = None
    bfloat16_accumulation: bool = False
    numerics: object = None
    deallocate_activation: bool = False
    act_block_h_override: int = 0
    act_block_w_div: int = 1
    enable_act_double_buffer: bool = False
    enable_weights_double_buffer: bool = False
    enable_split_reader: bool = False
    reshard_if_not_optimal: bool = False
    reallocate_halo_output: bool = True
    in_place: bool = False
    config_tensors_in_dram: bool = False
    enable_kernel_stride_folding: bool = False
    full_inner_dim: bool = False
    enable_activation_reuse: bool = False
    force_split_reader: object = None
    override_output_sharding_config: bool = False


def _pair(value, name):
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value
    try:
        items = tuple(value)
    except TypeError:
        raise ValueError(f"{name} {value!r} must be an int or a pair of ints") from None
    if len(items) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        raise ValueError(f"{name} {value!r} must be an int or a pair of ints")
    return items


def _padding(value):
    """(top, bottom, left, right) from an int, (h, w) or (top, bottom, left, right)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value, value, value, value
    items = tuple(value) if isinstance(value, (tuple, list)) else None
    if items is not None and len(items) == 2:
        return items[0], items[0], items[1], items[1]
    if items is not None and len(items) == 4:
        return items
    raise ValueError(f"padding {value!r} must be an int, (pad_h, pad_w) or (top, bottom, left, right)")


class NotDepthwiseError(ValueError):
    """A conv that is not depthwise (groups == in_channels == out_channels): shardwise
    runs only those. A ValueError like every bad argument; its own class so that a TT-NN
    test file run through shardwise.ttnn_compat reports such cases as skipped."""


def _uint(value, name, minimum=0):
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or value >= 2**32:
        raise ValueError(f"{name} = {value!r} must be an int >= {minimum}")
    return value


def _params(batch_size, in_channels, out_channels, input_height, input_width, kernel_size, stride, padding, dilation,
            groups):
    p = _shardwise.Conv2dParams()
    p.batch = _uint(batch_size, "batch_size", 1)
    p.in_channels = _uint(in_channels, "in_channels", 1)
    p.out_channels = _uint(out_channels, "out_channels", 1)
    p.input_height = _uint(input_height, "input_height", 1)
    p.input_width = _uint(input_width, "input_width", 1)
    p.kernel_h, p.kernel_w = (_uint(v, "kernel_size", 1) for v in _pair(kernel_size, "kernel_size"))
    p.stride_h, p.stride_w = (_uint(v, "stride", 1) for v in _pair(stride, "stride"))
    p.pad_top, p.pad_bottom, p.pad_left, p.pad_right = (_uint(v, "padding") for v in _padding(padding))
    p.dilation_h, p.dilation_w = (_uint(v, "dilation", 1) for v in _pair(dilation, "dilation"))
    p.groups = _uint(groups, "groups", 1)
    if not p.groups == p.in_channels == p.out_channels:
        raise NotDepthwiseError(f"not supported: shardwise runs depthwise convs (groups == in_channels == out_channels); got "
                                f"groups={p.groups} in_channels={p.in_channels} out_channels={p.out_channels}")
    p.validate()
    return p


def _activation(value):
    """(Activation, leaky slope) from None, a name, an Activation, a UnaryOpType or a UnaryWithParam."""
    slope = 0.01
    if value is None or value == "":
        return Activation.NONE, slope
    if isinstance(value, Activation):
        return value, slope
    if isinstance(value, str):
        return _shardwise.parse_activation(value), slope
    if isinstance(value, UnaryOpType):
        value = UnaryWithParam(value)
    elif not isinstance(value, UnaryWithParam) and hasattr(value, "op_type"):  # another module's UnaryWithParam
        params = list(getattr(value, "params", None) or [])
        value = UnaryWithParam(value.op_type, params[0] if params else getattr(value, "param", None))
    if isinstance(value, UnaryWithParam):
        op = value.op_type
        if op not in FUSABLE:
            raise ValueError(f"activation {op.name} cannot be fused into a depthwise conv here: allowed are "
                             f"{', '.join(o.name for o in FUSABLE)}")
        if op is UnaryOpType.IDENTITY:
            return Activation.NONE, slope
        if op is UnaryOpType.LEAKY_RELU:
            slope = 0.01 if value.param is None else float(value.param)
        elif value.params:
            raise ValueError(f"activation {op.name} takes no parameter, got {value.params}")
        return getattr(Activation, op.name), slope
    raise ValueError(f"activation {value!r} must be None, a UnaryWithParam or one of "
                     "'relu', 'relu6', 'silu', 'gelu', 'sigmoid', 'tanh', 'hardswish', 'leaky_relu'")


def _core_grid(config, core):
    grid = config.core_grid
    if not isinstance(grid, CoreRangeSet):
        raise ValueError(f"Conv2dConfig.core_grid must be a CoreRangeSet, got {type(grid).__name__}")
    box = grid.bounding_box()
    if box.start.x != 0 or box.start.y != 0:
        raise ValueError(f"Conv2dConfig.core_grid {grid} must start at core (0, 0)")
    width = box.end.x + 1
    count = grid.num_cores()
    layout = config.shard_layout
    if layout == TensorMemoryLayout.BLOCK_SHARDED:
        if len(grid.ranges) != 1:
            raise ValueError(f"Conv2dConfig.core_grid {grid} must be one rectangle for BLOCK_SHARDED")
        core.grid = CoreCoord(width, box.end.y + 1)
        return
    if layout is None:
        raise ValueError("Conv2dConfig.core_grid needs shard_layout (HEIGHT_SHARDED, WIDTH_SHARDED or BLOCK_SHARDED)")
    cores = grid.cores()
    rowwise = [CoreCoord(i % width, i // width) for i in range(count)]
    if sorted((c.y, c.x) for c in cores) != [(c.y, c.x) for c in rowwise]:
        raise ValueError(f"Conv2dConfig.core_grid {grid} must be the first {count} cores of a {width}-wide grid, row by row")
    core.grid = CoreCoord(width, box.end.y + 1)
    core.num_cores = count


def _config(config, compute_config, dtype):
    config = config if config is not None else Conv2dConfig()
    if not isinstance(config, Conv2dConfig):
        raise ValueError(f"conv_config must be a shardwise.Conv2dConfig, got {type(config).__name__}")
    core = _shardwise.Conv2dConfigCore()
    core.weights_dtype = bfloat16 if config.weights_dtype is None else as_dtype(config.weights_dtype, "weights_dtype")
    if config.shard_layout is not None:
        if config.shard_layout not in _SHARD_LAYOUTS:
            raise ValueError(
                f"Conv2dConfig.shard_layout {config.shard_layout!r} must be HEIGHT_SHARDED, WIDTH_SHARDED, "
                "BLOCK_SHARDED or None (automatic)"
            )
        core.shard_layout = config.shard_layout
    core.activation, core.leaky_slope = _activation(config.activation)
    core.output_layout = as_layout(config.output_layout, "output_layout")
    if config.transpose_shards:
        core.orientation = _shardwise.ShardOrientation.COL_MAJOR
    if config.num_cores is not None:
        core.num_cores = _uint(config.num_cores, "num_cores", 1)
    if config.override_sharding_config or config.core_grid is not None:
        if config.core_grid is None:
            raise ValueError("Conv2dConfig.override_sharding_config needs core_grid")
        _core_grid(config, core)
    accumulate_bf16 = bool(config.bfloat16_accumulation)
    if compute_config is not None:
        if not hasattr(compute_config, "fp32_dest_acc_en") or not hasattr(compute_config, "math_fidelity"):
            raise ValueError(f"compute_config {compute_config!r} must have math_fidelity and fp32_dest_acc_en "
                             "(shardwise.init_device_compute_kernel_config makes one)")
        accumulate_bf16 = accumulate_bf16 or not compute_config.fp32_dest_acc_en
        core.math_fidelity = _fidelity_name(compute_config.math_fidelity)
    core.bfloat16_accumulation = accumulate_bf16
    if config.numerics is not None:
        if config.numerics not in ("chip", "exact"):
            raise ValueError(f"Conv2dConfig.numerics {config.numerics!r} must be None (the arch's default), 'chip' or 'exact'")
        core.numerics = config.numerics
    if dtype is not None:
        core.output_dtype = as_dtype(dtype, "dtype")
    return config, core


def _check_tensor(value, name, optional=False):
    if value is None and optional:
        return None
    if not isinstance(value, Tensor):
        kind = "a shardwise Tensor or None" if optional else "a shardwise Tensor"
        hint = " (convert torch tensors with shardwise.from_torch)" if hasattr(value, "detach") else ""
        raise ValueError(f"{name} must be {kind}, got {type(value).__name__}{hint}")
    return value


def conv2d(
    *,
    input_tensor,
    weight_tensor,
    device,
    in_channels,
    out_channels,
    batch_size,
    input_height,
    input_width,
    kernel_size,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    groups=1,
    bias_tensor=None,
    conv_config=None,
    compute_config=None,
    memory_config=None,
    dtype=None,
    return_output_dim=False,
    return_weights_and_bias=False,
    return_plan=False,
    slice_config=None,
):
    """Depthwise 2D convolution on the device model, as ttnn.conv2d.

    input_tensor: [N, H, W, C] or [1, 1, N*H*W, C] activations, bfloat16 or float32, on
        the host (moved to DRAM) or on the device (interleaved or sharded).
    weight_tensor: host [C, 1, kh, kw] weights, or the prepared weights a previous call
        returned (return_weights_and_bias=True) or prepare_conv_weights made.
    bias_tensor: None, a host tensor of C values ([1, 1, 1, C] or [C]), or a prepared bias.
    device: a Device from open_device().
    kernel_size, stride, dilation: int or (h, w). padding: int, (h, w) or
        (top, bottom, left, right). groups must equal in_channels == out_channels.
    conv_config: a Conv2dConfig (sharding, weights dtype, activation, output layout).
    compute_config: math_fidelity and fp32_dest_acc_en, as the chip uses them (see
        WormholeComputeKernelConfig and Conv2dConfig.numerics).
    memory_config: where to place the output (default: sharded as the work ran, or
        DRAM interleaved when the layer ran in slices).
    dtype: output dtype (bfloat16, float32, or bfloat8_b / bfloat4_b with a TILE
        output_layout: packed from the float32 result as the chip's packer does;
        default: the input's, bfloat16 for block-float inputs).
    slice_config: None or a Conv2dSliceConfig: DRAM height/width slicing with
        num_slices > 0 runs the layer in at least that many output-stick slices (the
        output then DRAM interleaved; see shardwise.slicing); otherwise the model
        slices a layer itself when it does not fit in L1 in one pass.

    Returns the output tensor [1, 1, N*out_height*out_width, C]; then [out_height,
    out_width] if return_output_dim; then [prepared_weight, prepared_bias] if
    return_weights_and_bias (pass them to a later call in place of the host tensors);
    then the run's plan (shard layout, grid, slices, reason, numerics, plan text) if
    return_plan.
    """
    dram_slices = requested_dram_slices(slice_config)
    _check_tensor(input_tensor, "input_tensor")
    _check_tensor(weight_tensor, "weight_tensor")
    _check_tensor(bias_tensor, "bias_tensor", optional=True)
    if not isinstance(device, Device):
        raise ValueError(f"device must be a shardwise Device from open_device(), got {type(device).__name__}")
    params = _params(batch_size, in_channels, out_channels, input_height, input_width, kernel_size, stride, padding,
                     dilation, groups)
    config, core = _config(conv_config, compute_config, dtype)
    core.dram_slices = dram_slices
    result = _shardwise.conv2d(input_tensor, weight_tensor, bias_tensor, device, params, core)
    output = result.output
    if memory_config is not None:
        output = output.cpu().to_device(device, memory_config)
    if config.deallocate_activation and input_tensor.is_on_device():
        input_tensor.deallocate()
    returned = [output]
    if return_output_dim:
        returned.append([result.out_height, result.out_width])
    if return_weights_and_bias:
        returned.append([result.weight, result.bias])
    if return_plan:
        returned.append(result)
    return returned[0] if len(returned) == 1 else tuple(returned)


def prepare_conv_weights(
    *,
    weight_tensor,
    device,
    in_channels,
    out_channels,
    batch_size,
    input_height,
    input_width,
    kernel_size,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    groups=1,
    has_bias=False,
    conv_config=None,
    weights_format="OIHW",
    input_memory_config=None,
    input_layout=None,
    compute_config=None,
    input_dtype=None,
    output_dtype=None,
    slice_config=None,
):
    """Depthwise weights [C, 1, kh, kw] laid out for the conv these arguments describe
    (reference section 6: 32x32 tiles of 16x16 faces, one column block per channel
    shard), in conv_config.weights_dtype, in DRAM on `device`. conv2d takes the result
    in place of the host weights. has_bias, input_memory_config, input_layout,
    compute_config, input_dtype, output_dtype and slice_config are accepted for TT-NN
    compatibility (the layout depends only on the arch, the parameters and the config)."""
    del has_bias, input_memory_config, input_layout, compute_config, input_dtype, output_dtype
    requested_dram_slices(slice_config)  # checked
    _check_tensor(weight_tensor, "weight_tensor")
    if weights_format != "OIHW":
        raise ValueError(f"weights_format {weights_format!r} is not supported: use 'OIHW'")
    params = _params(batch_size, in_channels, out_channels, input_height, input_width, kernel_size, stride, padding,
                     dilation, groups)
    _, core = _config(conv_config, None, None)
    return _shardwise.prepare_conv_weights(weight_tensor, device, params, core)


def prepare_conv_bias(
    *,
    bias_tensor,
    device,
    in_channels,
    out_channels,
    batch_size,
    input_height,
    input_width,
    kernel_size,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    groups=1,
    conv_config=None,
    input_memory_config=None,
    input_layout=None,
    compute_config=None,
    input_dtype=None,
    output_dtype=None,
    slice_config=None,
):
    """The bias (C values) as a [1, 1, 32, S*P] tile tensor whose row 0 holds bias[c] in
    column c, in conv_config.weights_dtype, in DRAM on `device`. Use it with the weights
    prepare_conv_weights made for the same arguments (the TT-NN keywords accepted there
    are accepted here too)."""
    del input_memory_config, input_layout, compute_config, input_dtype, output_dtype
    requested_dram_slices(slice_config)  # checked
    _check_tensor(bias_tensor, "bias_tensor")
    params = _params(batch_size, in_channels, out_channels, input_height, input_width, kernel_size, stride, padding,
                     dilation, groups)
    _, core = _config(conv_config, None, None)
    return _shardwise.prepare_conv_bias(bias_tensor, device, params, core)


def unprepare_conv_weights(prepared_weight):
    """The host [C, 1, kh, kw] float32 weights a prepared weight tensor holds, after its
    dtype's rounding (block-float weights share exponents across 16 channels of one
    kernel position): what a reference must use to check the device's arithmetic."""
    _check_tensor(prepared_weight, "prepared_weight")
    return _shardwise.unprepare_conv_weights(prepared_weight)


def unprepare_conv_bias(prepared_bias):
    """The host [1, 1, 1, C] float32 bias a prepared bias tensor holds (after rounding)."""
    _check_tensor(prepared_bias, "prepared_bias")
    return _shardwise.unprepare_conv_bias(prepared_bias)


def compare_numerics(golden, **conv2d_kwargs):
    """What the chip's arithmetic costs: runs conv2d(**conv2d_kwargs) as configured and
    again with Conv2dConfig.numerics = "exact", and compares both outputs with `golden`
    (the expected output in NCHW, as torch.nn.functional.conv2d returns it).

    Returns {"numerics": the numerics in force (e.g. "chip (lofi, fp32 Dst)"),
    "chip": compare(...), "exact": compare(...)} where each compare() holds pcc,
    max_abs_err, norm_max_err and nonfinite counts. With exact numerics in force both
    entries describe the same arithmetic."""
    import dataclasses

    import numpy as np

    from .metrics import _as_array, compare

    for name in ("return_output_dim", "return_weights_and_bias", "return_plan"):
        conv2d_kwargs.pop(name, None)
    output, (out_h, out_w), plan = conv2d(**conv2d_kwargs, return_output_dim=True, return_plan=True)
    config = conv2d_kwargs.get("conv_config") or Conv2dConfig()
    exact_kwargs = dict(conv2d_kwargs, conv_config=dataclasses.replace(config, numerics="exact", deallocate_activation=False))
    exact_output = conv2d(**exact_kwargs)
    n, c = conv2d_kwargs["batch_size"], conv2d_kwargs["out_channels"]
    expected = _as_array(golden)
    if expected.size != n * c * out_h * out_w:
        raise ValueError(f"golden holds {expected.size} values; the output [N, C, Ho, Wo] = [{n}, {c}, {out_h}, {out_w}] "
                         f"needs {n * c * out_h * out_w}")
    expected = expected.reshape(n, c, out_h, out_w).transpose(0, 2, 3, 1)  # NCHW -> the output's NHWC order
    as_nhwc = lambda t: np.asarray(_as_array(t)).reshape(n, out_h, out_w, c)
    return {"numerics": plan.numerics, "chip": compare(expected, as_nhwc(output)), "exact": compare(expected, as_nhwc(exact_output))}
