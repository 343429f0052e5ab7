"""shardwise.torch.DepthwiseConv2d: torch's Conv2d for the depthwise case, computed on
the host preset. A MobileNetV2-style model built here (no downloads) has every
depthwise conv swapped and must give torch's output within the dtype's bound; single
layers are checked against a float64 torch conv for both memory formats and dtypes;
prepared weights follow parameter changes; gradients are torch's; bad arguments are
ValueErrors naming the value."""

import pytest
import torch

from shardwise.torch import DepthwiseConv2d, replace_depthwise_convs

# dtype -> (minimum PCC, largest error as a fraction of the largest reference magnitude)
BOUNDS = {torch.float32: (0.999999, 1e-5), torch.bfloat16: (0.999, 2e-2)}


def pcc(a, b):
    return float(torch.corrcoef(torch.stack([a.double().flatten(), b.double().flatten()]))[0, 1])


def assert_close_to(out, expected, dtype):
    min_pcc, max_error = BOUNDS[dtype]
    assert out.dtype == dtype and out.shape == expected.shape
    assert bool(torch.isfinite(out).all())
    error = float((out.double() - expected.double()).abs().max()) / float(expected.abs().max())
    assert pcc(out, expected) >= min_pcc and error <= max_error, (pcc(out, expected), error)


class InvertedResidual(torch.nn.Module):
    """MobileNetV2's block: 1x1 expand, depthwise kxk, 1x1 project, residual when shapes allow."""

    def __init__(self, cin, cout, stride, expand, kernel=3):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        self.block = torch.nn.Sequential(
            torch.nn.Conv2d(cin, hidden, 1, bias=False), torch.nn.BatchNorm2d(hidden), torch.nn.ReLU6(),
            torch.nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            torch.nn.BatchNorm2d(hidden), torch.nn.ReLU6(),
            torch.nn.Conv2d(hidden, cout, 1, bias=False), torch.nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


def small_mobilenet():
    """A reduced MobileNetV2 (with a 5x5 and a 7x7 depthwise block as MobileNetV3 and
    ConvNeXt use), randomly initialised, BatchNorm statistics randomised so eval mode
    is not the identity."""
    torch.manual_seed(7)
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 16, 3, 2, 1, bias=False), torch.nn.BatchNorm2d(16), torch.nn.ReLU6(),
        torch.nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=True),  # MobileNetV2's first depthwise conv, with a bias
        InvertedResidual(16, 24, 2, 6), InvertedResidual(24, 24, 1, 6), InvertedResidual(24, 32, 2, 6, kernel=5),
        InvertedResidual(32, 32, 1, 4, kernel=7), InvertedResidual(32, 64, 2, 6),
        torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(64, 10))
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("channels_last", [False, True], ids=["nchw", "channels_last"])
def test_mobilenet_with_every_depthwise_conv_swapped(dtype, channels_last):
    model = small_mobilenet()
    golden = small_mobilenet().double()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        expected = golden(x.double())
        torch_out = model.to(dtype)(x.to(dtype))
        swapped = small_mobilenet().to(dtype)
        assert replace_depthwise_convs(swapped) == 6
        assert sum(isinstance(m, DepthwiseConv2d) for m in swapped.modules()) == 6
        xin = x.to(dtype)
        if channels_last:
            swapped = swapped.to(memory_format=torch.channels_last)
            xin = xin.contiguous(memory_format=torch.channels_last)
        out = swapped(xin)
    assert_close_to(out, expected.to(torch.float64), dtype)
    # no worse than torch's own conv in the same dtype, by more than the dtype's bound
    torch_error = float((torch_out.double() - expected).abs().max())
    our_error = float((out.double() - expected).abs().max())
    assert our_error <= torch_error + BOUNDS[dtype][1] * float(expected.abs().max())


LAYERS = [  # channels, height, width, kernel, stride, padding, dilation, bias
    (32, 14, 14, 3, 1, 1, 1, True),
    (96, 15, 13, 3, 2, 1, 1, False),
    (72, 12, 12, 5, 2, 2, 1, True),
    (40, 9, 11, 7, 1, 3, 1, True),
    (48, 10, 10, 3, 1, 2, 2, False),
    (16, 6, 6, (1, 5), 1, (0, 2), 1, True),
    (8, 7, 9, 3, 1, "same", 1, True),
    (24, 8, 8, 4, 1, "same", 1, False),  # even kernel: torch's asymmetric 'same'
    (8, 5, 5, 3, 1, "valid", 1, True),
]


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@pytest.mark.parametrize("layer", LAYERS, ids=lambda l: "c{}_{}x{}_k{}_s{}_p{}_d{}_{}".format(*l))
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("channels_last", [False, True], ids=["nchw", "channels_last"])
def test_layer_matches_a_float64_conv(layer, dtype, channels_last):
    c, h, w, k, s, p, d, bias = layer
    torch.manual_seed(c * h + w)
    conv = DepthwiseConv2d(c, c, k, stride=s, padding=p, dilation=d, bias=bias, dtype=dtype)
    x = torch.randn(2, c, h, w).to(dtype)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        out = conv(x)
        expected = torch.nn.functional.conv2d(x.double(), conv.weight.double(),
                                              conv.bias.double() if bias else None, s, p, d, c)
    assert_close_to(out, expected, dtype)
    assert out.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


def test_prepared_weights_follow_parameter_changes():
    conv = DepthwiseConv2d(16, 16, 3, padding=1)
    x = torch.randn(1, 16, 8, 8)
    with torch.no_grad():
        first = conv(x)
        again = conv(x)
        assert torch.equal(first, again)
        conv.weight.mul_(2.0)  # in place: the prepared copy is stale
        conv.bias.zero_()
        doubled = conv(x)
        expected = torch.nn.functional.conv2d(x, conv.weight, None, 1, 1, 1, 16)
        assert_close_to(doubled, expected, torch.float32)
        conv.load_state_dict({"weight": torch.ones(16, 1, 3, 3), "bias": torch.full((16,), 0.5)})
        ones = conv(torch.ones(1, 16, 4, 4))
        assert float(ones[0, 0, 1, 1]) == 9.5 and float(ones[0, 0, 0, 0]) == 4.5
        # a new input shape prepares again and still agrees
        other = conv(torch.ones(3, 16, 5, 7))
        assert other.shape == (3, 16, 5, 7) and float(other[2, 15, 2, 3]) == 9.5


def test_gradients_are_torchs():
    torch.manual_seed(3)
    for padding in (1, "same"):
        for k in (3, 4):
            conv = DepthwiseConv2d(8, 8, k, padding=padding)
            ref = torch.nn.Conv2d(8, 8, k, padding=conv.padding, groups=8)
            with torch.no_grad():
                ref.weight.copy_(conv.weight)
                ref.bias.copy_(conv.bias)
            x = torch.randn(2, 8, 7, 7, requires_grad=True)
            x_ref = x.detach().clone().requires_grad_()
            (conv(x) ** 2).sum().backward()
            (ref(x_ref) ** 2).sum().backward()
            torch.testing.assert_close(x.grad, x_ref.grad, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(conv.weight.grad, ref.weight.grad, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(conv.bias.grad, ref.bias.grad, rtol=1e-5, atol=1e-5)


def test_from_conv_shares_parameters():
    ref = torch.nn.Conv2d(12, 12, 5, stride=2, padding=2, groups=12)
    conv = DepthwiseConv2d.from_conv(ref)
    assert conv.weight is ref.weight and conv.bias is ref.bias
    assert (conv.kernel_size, conv.stride, conv.padding) == ((5, 5), (2, 2), (2, 2))


@pytest.mark.parametrize("make, message", [
    (lambda: DepthwiseConv2d(8, 16, 3), "depthwise"),
    (lambda: DepthwiseConv2d(8, 8, 3, groups=4), "groups"),
    (lambda: DepthwiseConv2d(8, 8, 3, padding_mode="reflect"), "padding_mode"),
    (lambda: DepthwiseConv2d(8, 8, 3, stride=2, padding="same"), "same"),
    (lambda: DepthwiseConv2d(8, 8, 3, padding="full"), "padding"),
    (lambda: DepthwiseConv2d(8, 8, 3, dtype=torch.float64), "dtype"),
    (lambda: DepthwiseConv2d(8, 8, 0), "kernel_size"),
    (lambda: DepthwiseConv2d.from_conv(torch.nn.Linear(2, 2)), "Conv2d"),
], ids=["not_depthwise", "groups", "padding_mode", "same_strided", "padding_string", "dtype", "kernel_0", "from_linear"])
def test_bad_construction_is_a_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("x, message", [
    (torch.randn(1, 4, 8, 8), "expected"),
    (torch.randn(8, 8, 8), "expected"),
    (torch.randn(1, 8, 8, 8, dtype=torch.float64), "dtype"),
    (torch.randn(0, 8, 8, 8), "empty"),
    (torch.randn(1, 8, 2, 2), "does not fit"),  # 3x3 without padding on 2x2: no output pixel
], ids=["channels", "rank", "float64", "empty", "too_small"])
def test_bad_input_is_a_value_error(x, message):
    with pytest.raises(ValueError, match=message):
        DepthwiseConv2d(8, 8, 3)(x)


@pytest.mark.parametrize("channels, dtype, wraps", [(32, torch.float32, True), (8, torch.float32, True),
                                                    (12, torch.float32, False), (16, torch.bfloat16, True),
                                                    (24, torch.bfloat16, False)],
                         ids=["c32_f32", "c8_f32", "c12_f32", "c16_bf16", "c24_bf16"])
def test_torch_memory_is_used_in_place_when_pages_fit(channels, dtype, wraps):
    """Pixels of whole 32-byte pages: the device reads x's memory and writes the returned
    tensor's (no copy); other channel counts take one copy each way. Either way the
    result is right, the input untouched, and each call returns its own tensor."""
    torch.manual_seed(channels)
    conv = DepthwiseConv2d(channels, channels, 3, padding=1, dtype=dtype)
    x = torch.randn(1, channels, 7, 6).to(dtype).contiguous(memory_format=torch.channels_last)
    before = x.clone()
    with torch.no_grad():
        first = conv(x)
        second = conv(x * 2)
        expected = torch.nn.functional.conv2d(x.double(), conv.weight.double(), conv.bias.double(), 1, 1, 1, channels)
    assert conv._prepared[(dtype, 1, 7, 6)][4] is wraps
    assert torch.equal(x, before)
    assert first.data_ptr() != second.data_ptr()
    assert_close_to(first, expected, dtype)
    assert not torch.equal(first, second)
