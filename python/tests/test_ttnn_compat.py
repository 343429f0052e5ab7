"""shardwise.ttnn_compat: a test file written the way TT-NN's conv tests are (their
imports of ttnn and of TT-Metal's helper modules, device_params, run through a helper)
runs unchanged under `pytest -p shardwise.ttnn_compat`, in a pytest of its own
(pytester, a subprocess): depthwise cases pass, non-depthwise ones are reported as
skipped with the reason, arch marks answer for the device model's arch, and bad
device_params are refused by name."""

import os
import textwrap

import pytest

import shardwise

# The inner test file: written here in TT-NN's style (not copied from TT-NN).
TTNN_STYLE_TESTS = textwrap.dedent(
    """
    import pytest
    import torch
    from loguru_free_logger import log  # a local stand-in: the plugin must not need loguru

    import ttnn
    from ttnn.operations.activations import get_golden_function_for_activation
    from models.common.utility_functions import is_wormhole_b0, is_blackhole, run_for_blackhole, skip_for_grayskull
    from tests.ttnn.utils_for_testing import assert_with_pcc, check_with_pcc_without_tensor_printout, assert_equal
    from tests.ttnn.unit_tests.base_functionality.test_bh_20_cores_sharding import skip_if_not_blackhole_20_cores
    from models.experimental.panoptic_deeplab.tt.common import PDL_L1_SMALL_SIZE

    HS = ttnn.TensorMemoryLayout.HEIGHT_SHARDED


    def conv_and_check(device, channels_in, channels_out, groups, activation=None, out_dtype=ttnn.bfloat16):
        torch.manual_seed(7)
        x = torch.randn(1, channels_in, 9, 9)
        w = torch.randn(channels_out, channels_in // groups, 3, 3)
        ref = torch.nn.functional.conv2d(x, w, padding=1, groups=groups)
        golden = get_golden_function_for_activation(activation)
        if golden:
            ref = golden(ref)
        tt_x = ttnn.from_torch(x.permute(0, 2, 3, 1), ttnn.bfloat16)
        tt_w = ttnn.from_torch(w, ttnn.float32)
        config = ttnn.Conv2dConfig(weights_dtype=ttnn.bfloat16, shard_layout=HS, activation=activation)
        compute = ttnn.init_device_compute_kernel_config(device.arch(), math_fidelity=ttnn.MathFidelity.HiFi4,
                                                         fp32_dest_acc_en=True)
        out, [h, w_out] = ttnn.conv2d(input_tensor=tt_x, weight_tensor=tt_w, in_channels=channels_in,
                                      out_channels=channels_out, device=device, kernel_size=(3, 3), padding=(1, 1),
                                      batch_size=1, input_height=9, input_width=9, groups=groups, conv_config=config,
                                      compute_config=compute, dtype=out_dtype, return_output_dim=True,
                                      slice_config=ttnn.Conv2dL1FullSliceConfig)
        ttnn.synchronize_device(device)
        got = ttnn.to_torch(ttnn.from_device(out)).reshape(1, h, w_out, channels_out).permute(0, 3, 1, 2)
        passing, pcc = check_with_pcc_without_tensor_printout(got, ref, pcc=0.999)
        log(f"PCC = {pcc}")
        assert passing, pcc
        assert_with_pcc(got, ref, pcc=0.999)


    @pytest.mark.parametrize("device_params", [{"l1_small_size": 16384}], indirect=True)
    @pytest.mark.parametrize("channels_in, channels_out, groups", [(64, 64, 64), (32, 32, 32), (64, 64, 1), (32, 64, 32)])
    @pytest.mark.parametrize("activation", [None, ttnn.UnaryWithParam(ttnn.UnaryOpType.RELU6)])
    @skip_for_grayskull()
    def test_groups(device, channels_in, channels_out, groups, activation):
        assert is_wormhole_b0() and not is_blackhole()
        assert isinstance(device, ttnn.MeshDevice) and device.core_grid.x == 8
        conv_and_check(device, channels_in, channels_out, groups, activation)


    @pytest.mark.parametrize("device_params", [{"l1_small_size": PDL_L1_SMALL_SIZE}], indirect=True)
    @run_for_blackhole("blackhole only")
    def test_blackhole_only(device):
        skip_if_not_blackhole_20_cores(device)


    def test_twenty_cores_only(device, use_program_cache):
        skip_if_not_blackhole_20_cores(device)


    @pytest.mark.parametrize("device_params", [{"fabric_config": 1}], indirect=True)
    def test_unknown_device_param(device):
        pass


    @pytest.mark.use_module_device({"l1_small_size": 8192, "fabric_config": 1})
    def test_module_device_params_are_used(device):
        pass


    @pytest.mark.requires_fresh_device
    @pytest.mark.use_module_device({"l1_small_size": 8192})
    def test_module_device(device):
        conv_and_check(device, 32, 32, 32)


    @pytest.mark.parametrize("mesh_device", [(1, 2)], indirect=True)
    def test_two_devices(mesh_device):
        pass


    def test_mesh_of_one(mesh_device, reset_seeds):
        conv_and_check(mesh_device, 32, 32, 32)
        assert_equal(torch.ones(2), torch.ones(2))
    """
)


@pytest.fixture(autouse=True)
def shardwise_on_the_path(monkeypatch):
    """The inner pytest runs elsewhere: shardwise by its absolute folder."""
    monkeypatch.setenv("PYTHONPATH", os.path.dirname(os.path.dirname(os.path.abspath(shardwise.__file__))))


def run_inner(pytester):
    pytester.makepyfile(test_ttnn_style=TTNN_STYLE_TESTS)
    pytester.makepyfile(loguru_free_logger="def log(message):\n    print(message)\n")
    return pytester.runpytest_subprocess("-p", "shardwise.ttnn_compat", "-p", "no:cacheprovider", "-rs", "-v")


def test_a_ttnn_style_file_runs_unchanged(pytester):
    result = run_inner(pytester)
    # 4 shapes x 2 activations: the depthwise ones (64/64/64, 32/32/32) pass; the
    # others (groups 1; 32 -> 64 channels) are skipped with the reason; the mesh of one
    # passes, so does a test opening its device from a use_module_device mark; the
    # Blackhole-only tests and a mesh of two devices skip; an unknown device param
    # errors (given through device_params or the mark).
    result.assert_outcomes(passed=6, skipped=7, errors=2)
    assert "PytestUnknownMarkWarning" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*SKIPPED*shardwise runs depthwise convs (groups == in_channels == out_channels); got groups=1*"])
    result.stdout.fnmatch_lines(["*SKIPPED*got groups=32 in_channels=32 out_channels=64*"])
    result.stdout.fnmatch_lines(["*SKIPPED*blackhole only*"])
    result.stdout.fnmatch_lines(["*SKIPPED*mesh_device (1, 2): the device model is a mesh of one device*"])
    result.stdout.fnmatch_lines(["*SKIPPED*needs a Blackhole with 20 cores, not wormhole_b0 with 64*"])
    result.stdout.fnmatch_lines(["*device_params*fabric_config*not supported by the device model: allowed are l1_small_size*"])


def test_arch_follows_the_environment(pytester, monkeypatch):
    monkeypatch.setenv("SHARDWISE_TTNN_ARCH", "blackhole")
    pytester.makepyfile(
        test_arch="""
        from models.common.utility_functions import is_blackhole, is_wormhole_b0

        def test_arch(device):
            assert is_blackhole() and not is_wormhole_b0()
            assert device.core_grid.x == 13 and device.core_grid.y == 10
        """
    )
    pytester.runpytest_subprocess("-p", "shardwise.ttnn_compat", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    monkeypatch.setenv("SHARDWISE_TTNN_ARCH", "grayskull")
    result = pytester.runpytest_subprocess("-p", "shardwise.ttnn_compat", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*SHARDWISE_TTNN_ARCH='grayskull': allowed are wormhole_b0, blackhole*"])
