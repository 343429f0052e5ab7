"""Chip numerics from Python: the compute config's math_fidelity and fp32_dest_acc_en
change the result as on the chip (numerics "chip", the chip presets' default),
Conv2dConfig.numerics switches to exact float32, the plan names the numerics in force,
and compare_numerics shows what the chip's arithmetic costs against a torch golden."""

import enum

import pytest
import torch

import shardwise as ttnn

C, H, W = 64, 10, 10


def inputs(seed=0):
    torch.manual_seed(seed)
    x = torch.randn(1, C, H, W).bfloat16().float()
    w = torch.randn(C, 1, 3, 3).bfloat16().float()
    b = torch.randn(1, 1, 1, C) * 4
    return x, w, b


def conv_kwargs(device, x, w, b, **extra):
    return dict(input_tensor=ttnn.from_torch(x.permute(0, 2, 3, 1), ttnn.bfloat16), weight_tensor=ttnn.from_torch(w),
                bias_tensor=ttnn.from_torch(b), device=device, in_channels=C, out_channels=C, batch_size=1,
                input_height=H, input_width=W, kernel_size=(3, 3), padding=(1, 1), groups=C, **extra)


def golden(x, w, b):
    return torch.nn.functional.conv2d(x.double(), w.double(), b.reshape(C).double(), padding=1, groups=C)


def run(device, x, w, b, fidelity=ttnn.MathFidelity.HiFi4, fp32_dest_acc_en=True, numerics=None):
    compute = ttnn.init_device_compute_kernel_config(None, math_fidelity=fidelity, fp32_dest_acc_en=fp32_dest_acc_en)
    out, plan = ttnn.conv2d(**conv_kwargs(device, x, w, b, compute_config=compute,
                                          conv_config=ttnn.Conv2dConfig(numerics=numerics)), return_plan=True)
    return ttnn.to_torch(out).double().reshape(1, H, W, C).permute(0, 3, 1, 2), plan


def test_fidelity_changes_the_result_as_on_the_chip(device):
    x, w, b = inputs()
    expected = golden(x, w, b)
    pccs = {}
    for fidelity in ttnn.MathFidelity:
        out, plan = run(device, x, w, b, fidelity)
        assert plan.numerics == f"chip ({fidelity.name.lower()}, fp32 Dst)"
        assert f"numerics    chip ({fidelity.name.lower()}, fp32 Dst)" in plan.plan
        pccs[fidelity] = ttnn.pcc(expected, out)
    assert pccs[ttnn.MathFidelity.LoFi] < pccs[ttnn.MathFidelity.HiFi2] <= pccs[ttnn.MathFidelity.HiFi4]
    assert pccs[ttnn.MathFidelity.HiFi4] >= 0.999
    assert pccs[ttnn.MathFidelity.LoFi] >= 0.985  # the reference system's own bound for LoFi


def test_bf16_dst_and_exact_numerics(device):
    x, w, b = inputs(1)
    chip_fp32, _ = run(device, x, w, b)
    chip_bf16, plan = run(device, x, w, b, fp32_dest_acc_en=False)
    assert plan.numerics == "chip (hifi4, bf16 Dst)"
    assert not torch.equal(chip_fp32, chip_bf16)
    exact, plan = run(device, x, w, b, ttnn.MathFidelity.LoFi, numerics="exact")
    assert plan.numerics.startswith("exact")
    exact_hifi4, _ = run(device, x, w, b, ttnn.MathFidelity.HiFi4, numerics="exact")
    assert torch.equal(exact, exact_hifi4), "exact numerics do not depend on the fidelity"
    assert ttnn.pcc(golden(x, w, b), exact) > 0.99999


def test_host_preset_defaults_to_exact_and_runs_chip_on_request():
    x, w, b = inputs(2)
    with ttnn.manage_device("host") as host:
        _, plan = run(host, x, w, b)
        assert plan.numerics.startswith("exact")
        chip_out, plan = run(host, x, w, b, ttnn.MathFidelity.LoFi, numerics="chip")
        assert plan.numerics == "chip (lofi, fp32 Dst)"
    with ttnn.manage_device("wormhole_b0") as wormhole:
        wormhole_out, _ = run(wormhole, x, w, b, ttnn.MathFidelity.LoFi)
    assert torch.equal(chip_out, wormhole_out), "chip numerics give the same bits on every preset"


def test_compare_numerics_reports_both(device):
    x, w, b = inputs(3)
    compute = ttnn.init_device_compute_kernel_config(None, math_fidelity=ttnn.MathFidelity.LoFi)
    report = ttnn.compare_numerics(golden(x, w, b), **conv_kwargs(device, x, w, b, compute_config=compute))
    assert report["numerics"] == "chip (lofi, fp32 Dst)"
    assert report["chip"]["pcc"] < report["exact"]["pcc"]
    assert report["exact"]["pcc"] > 0.99999
    with pytest.raises(ValueError, match="golden holds 10 values"):
        ttnn.compare_numerics(torch.zeros(10), **conv_kwargs(device, x, w, b))


def test_fidelity_from_another_enum_by_name(device):
    class OtherMathFidelity(enum.Enum):  # e.g. ttnn's own enum, passed through unchanged
        LoFi = 99

    x, w, b = inputs(4)
    compute = ttnn.init_device_compute_kernel_config(None, math_fidelity=OtherMathFidelity.LoFi)
    _, plan = ttnn.conv2d(**conv_kwargs(device, x, w, b, compute_config=compute), return_plan=True)
    assert plan.numerics == "chip (lofi, fp32 Dst)"


@pytest.mark.parametrize("bad", ["medium", 3, None])
def test_bad_fidelity_is_named(bad):
    with pytest.raises(ValueError, match="math_fidelity .* must be a MathFidelity"):
        ttnn.init_device_compute_kernel_config(None, math_fidelity=bad)


def test_bad_numerics_is_named(device):
    x, w, b = inputs()
    with pytest.raises(ValueError, match="numerics 'fast' must be None"):
        ttnn.conv2d(**conv_kwargs(device, x, w, b, conv_config=ttnn.Conv2dConfig(numerics="fast")))
