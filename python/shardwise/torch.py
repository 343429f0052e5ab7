"""A drop-in torch module for depthwise convolution on shardwise's host engine.

    from shardwise.torch import DepthwiseConv2d
    conv = DepthwiseConv2d(32, 32, 3, padding=1)          # torch.nn.Conv2d's arguments, groups = channels
    conv = DepthwiseConv2d.from_conv(torch_conv)           # an existing nn.Conv2d(groups=C), weights shared
    y = conv(x)                                            # NCHW or channels_last, float32 or bfloat16
    replaced = replace_depthwise_convs(model)              # every depthwise nn.Conv2d of a model, in place

The forward pass runs shardwise's conv2d on the `host` preset (one device opened per
process, on every CPU core). Per call: when a pixel's channels fill whole 32-byte DRAM
pages (C a multiple of 8 in float32, of 16 in bfloat16) the device reads a
channels_last input in place and writes the output straight into the returned tensor's
memory (device buffers wrapping torch's memory: no copy); otherwise the input is copied
once onto the device and the output once back. An NCHW input costs one layout change
to NHWC first. The program and the prepared weights are cached (prepared again only
when the parameters change or a new input shape comes); the output comes back in the
input's memory format (as torch's conv does). Weights keep the input's dtype: float32
convs compute exactly in float32, bfloat16 convs take bfloat16 weights and accumulate
in float32.

Gradients flow: the backward pass is torch's own (torch.nn.grad), so a model with these
modules still trains; only the forward pass runs on shardwise.
"""

import math

import torch
import torch.nn.functional as F

from . import _shardwise
from .conv2d import Conv2dConfig, _config, _params
from .device import open_device
from .tensor import from_torch
from .types import bfloat16, float32

_DTYPES = {torch.float32: float32, torch.bfloat16: bfloat16}
_host_device = None


def _default_device():
    """The process's host-preset device, opened on first use."""
    global _host_device
    if _host_device is None:
        _host_device = open_device(arch="host")
    return _host_device


def _pair(value, name):
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return tuple(value)
    raise ValueError(f"{name} {value!r} must be an int or a pair of ints")


def _raw(tensor):
    """A numpy view of a contiguous CPU tensor's bytes (bfloat16 as its 16-bit patterns)."""
    return (tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor).numpy()


class DepthwiseConv2d(torch.nn.Module):
    """torch.nn.Conv2d for the depthwise case (groups == in_channels == out_channels),
    computed by shardwise on the host preset. Arguments as torch.nn.Conv2d's; `groups`
    defaults to in_channels and must equal it; padding may be an int, a pair, 'valid' or
    'same'; padding_mode must be 'zeros'; device must be the CPU."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=None, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        super().__init__()
        groups = in_channels if groups is None else groups
        if not (isinstance(in_channels, int) and in_channels >= 1 and in_channels == out_channels == groups):
            raise ValueError(f"DepthwiseConv2d is depthwise: in_channels ({in_channels}), out_channels ({out_channels}) and "
                             f"groups ({groups}) must be one and the same positive int")
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode {padding_mode!r}: only 'zeros' is supported")
        if device is not None and torch.device(device).type != "cpu":
            raise ValueError(f"device {device!r}: DepthwiseConv2d runs on the CPU")
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError(f"dtype {dtype}: allowed are torch.float32 and torch.bfloat16")
        self.in_channels = self.out_channels = self.groups = in_channels
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        if min(self.kernel_size + self.stride + self.dilation) < 1:
            raise ValueError(f"kernel_size {kernel_size}, stride {stride} and dilation {dilation} must be >= 1")
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"padding {padding!r}: allowed strings are 'valid' and 'same'")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions (as in torch)")
            self.padding = padding
        else:
            self.padding = _pair(padding, "padding")
            if min(self.padding) < 0:
                raise ValueError(f"padding {padding} must be >= 0")
        self.padding_mode = padding_mode
        factory = {"device": "cpu", "dtype": dtype or torch.float32}
        self.weight = torch.nn.Parameter(torch.empty((in_channels, 1) + self.kernel_size, **factory))
        self.bias = torch.nn.Parameter(torch.empty(in_channels, **factory)) if bias else None
        self.reset_parameters()
        self._prepared = {}  # (dtype, N, H, W) -> (params, config, prepared weight, prepared bias)
        self._prepared_versions = None  # the parameters' (storage, version) they were prepared from
        self.sw_device = None

    def reset_parameters(self):
        """torch.nn.Conv2d's initialisation (kaiming uniform, a = sqrt(5))."""
        torch.nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.kernel_size[0] * self.kernel_size[1])
            torch.nn.init.uniform_(self.bias, -bound, bound)

    @classmethod
    def from_conv(cls, conv):
        """A DepthwiseConv2d computing what the depthwise `conv` (an nn.Conv2d with groups ==
        in_channels == out_channels) computes, sharing its weight and bias parameters."""
        if not isinstance(conv, torch.nn.Conv2d):
            raise ValueError(f"from_conv expects a torch.nn.Conv2d, got {type(conv).__name__}")
        module = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                     conv.groups, conv.bias is not None, conv.padding_mode, conv.weight.device, conv.weight.dtype)
        module.weight = conv.weight
        module.bias = conv.bias
        return module

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={self.bias is not None}")

    def _pads(self):
        """(top, bottom, left, right)."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":  # torch puts the odd pixel at the bottom / right
            th, tw = (d * (k - 1) for d, k in zip(self.dilation, self.kernel_size))
            return (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        ph, pw = self.padding
        return (ph, ph, pw, pw)

    def _versions(self):
        versions = (self.weight.data_ptr(), self.weight._version)
        return versions + ((self.bias.data_ptr(), self.bias._version) if self.bias is not None else ())

    def _check_input(self, x):
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"DepthwiseConv2d expects a torch.Tensor, got {type(x).__name__}")
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"input of shape {tuple(x.shape)}: expected [N, {self.in_channels}, H, W]")
        if x.dtype not in _DTYPES:
            raise ValueError(f"input dtype {x.dtype}: allowed are torch.float32 and torch.bfloat16")
        if x.device.type != "cpu":
            raise ValueError(f"input on {x.device}: DepthwiseConv2d runs on the CPU")
        if x.numel() == 0:
            raise ValueError(f"input of shape {tuple(x.shape)} is empty")

    def _prepare(self, device, x):
        """(params, config, prepared weight, prepared bias, whether rows can be wrapped)
        for this input's dtype and shape."""
        n, c, h, w = x.shape
        params = _params(n, c, c, h, w, self.kernel_size, self.stride, self._pads(), self.dilation, c)
        _, core = _config(Conv2dConfig(weights_dtype=_DTYPES[x.dtype]), None, None)
        weight = _shardwise.prepare_conv_weights(from_torch(self.weight.detach().float()), device, params, core)
        bias = None
        if self.bias is not None:
            bias = _shardwise.prepare_conv_bias(from_torch(self.bias.detach().float().reshape(1, 1, 1, c)), device, params, core)
        # The device reads and writes torch's memory in place when a pixel's channels fill
        # whole DRAM-aligned pages (the host preset's pages are not padded then).
        try:
            _shardwise.device_tensor_wrapping(device, _raw(torch.empty((1, c), dtype=x.dtype)), [1, c], _DTYPES[x.dtype])
            wraps = True
        except ValueError:
            wraps = False
        return params, core, weight, bias, wraps

    def _run(self, x):
        """The forward pass on shardwise (no autograd)."""
        device = self.sw_device = self.sw_device or _default_device()
        n, c, h, w = x.shape
        if self._prepared_versions != self._versions():  # a parameter changed: every prepared copy is stale
            self._prepared.clear()
            self._prepared_versions = self._versions()
        key = (x.dtype, n, h, w)
        entry = self._prepared.get(key)
        if entry is None:
            entry = self._prepared[key] = self._prepare(device, x)
        params, core, weight, bias, wraps = entry
        dtype = _DTYPES[x.dtype]
        nhwc = x.detach().permute(0, 2, 3, 1)
        if not nhwc.is_contiguous():  # NCHW memory: the one layout change the call needs
            nhwc = nhwc.contiguous()
        ho, wo = params.out_height(), params.out_width()
        out = torch.empty((n, ho, wo, c), dtype=x.dtype)
        if wraps:  # no copy either way: the kernels read x's memory and write out's
            source = _shardwise.device_tensor_wrapping(device, _raw(nhwc), [1, 1, n * h * w, c], dtype)
            target = _shardwise.device_tensor_wrapping(device, _raw(out), [1, 1, n * ho * wo, c], dtype)
            _shardwise.conv2d(source, weight, bias, device, params, core, target)
        else:
            source = _shardwise.device_tensor_from_buffer(device, _raw(nhwc), [1, 1, n * h * w, c], dtype)
            _shardwise.conv2d(source, weight, bias, device, params, core).output.read_into(_raw(out))
        out = out.permute(0, 3, 1, 2)  # NCHW view of NHWC memory: channels_last
        return out if x.is_contiguous(memory_format=torch.channels_last) else out.contiguous()

    def forward(self, x):
        self._check_input(x)
        if torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad or
                                        (self.bias is not None and self.bias.requires_grad)):
            return _DepthwiseConvFunction.apply(x, self.weight, self.bias, self)
        return self._run(x)


class _DepthwiseConvFunction(torch.autograd.Function):
    """shardwise's forward, torch's backward (torch.nn.grad on the same arguments)."""

    @staticmethod
    def forward(ctx, x, weight, bias, module):
        ctx.save_for_backward(x, weight)
        ctx.module = module
        ctx.has_bias = bias is not None
        return module._run(x)

    @staticmethod
    def backward(ctx, grad_out):
        x, weight = ctx.saved_tensors
        m = ctx.module
        top, bottom, left, right = m._pads()
        grad_x = grad_w = grad_b = None
        if top != bottom or left != right:  # asymmetric 'same' padding: pad explicitly, as torch does
            x_padded = F.pad(x, (left, right, top, bottom))
            pads = (0, 0)
        else:
            x_padded, pads = x, (top, left)
        if ctx.needs_input_grad[0]:
            grad_x = torch.nn.grad.conv2d_input(x_padded.shape, weight, grad_out, m.stride, pads, m.dilation, m.groups)
            if x_padded is not x:
                grad_x = grad_x[:, :, top:top + x.shape[2], left:left + x.shape[3]]
        if ctx.needs_input_grad[1]:
            grad_w = torch.nn.grad.conv2d_weight(x_padded, weight.shape, grad_out, m.stride, pads, m.dilation, m.groups)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None


def is_depthwise_conv(module):
    """An nn.Conv2d whose groups == in_channels == out_channels, with zero padding."""
    return (isinstance(module, torch.nn.Conv2d) and not isinstance(module, DepthwiseConv2d) and
            module.groups == module.in_channels == module.out_channels and module.padding_mode == "zeros")


def replace_depthwise_convs(model):
    """Replaces, in place, every depthwise nn.Conv2d inside `model` by a DepthwiseConv2d
    sharing its parameters; returns how many were replaced."""
    replaced = 0
    for name, child in list(model.named_children()):
        if is_depthwise_conv(child):
            setattr(model, name, DepthwiseConv2d.from_conv(child))
            replaced += 1
        else:
            replaced += replace_depthwise_convs(child)
    return replaced
