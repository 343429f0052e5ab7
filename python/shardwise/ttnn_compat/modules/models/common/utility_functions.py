"""Stand-in for TT-Metal's models.common.utility_functions: the arch checks and skip
marks TT-NN's tests import, answering for the device model's arch
(shardwise.ttnn_compat.arch(): SHARDWISE_TTNN_ARCH, wormhole_b0 by default)."""
import pytest
import torch

import shardwise
from shardwise.ttnn_compat import arch


def is_wormhole_b0(device=None):
    del device
    return arch() == "wormhole_b0"


def is_blackhole(device=None):
    del device
    return arch() == "blackhole"


def is_grayskull(device=None):
    del device
    return False  # no Grayskull preset


def skip_for_grayskull(reason_str="not working for Grayskull"):
    return pytest.mark.skipif(is_grayskull(), reason=reason_str)


def skip_for_wormhole_b0(reason_str="not working for Wormhole B0"):
    return pytest.mark.skipif(is_wormhole_b0(), reason=reason_str)


def skip_for_blackhole(reason_str="not working for Blackhole"):
    return pytest.mark.skipif(is_blackhole(), reason=reason_str)


def run_for_wormhole_b0(reason_str="only runs for Wormhole B0"):
    return pytest.mark.skipif(not is_wormhole_b0(), reason=reason_str)


def run_for_blackhole(reason_str="only runs for Blackhole"):
    return pytest.mark.skipif(not is_blackhole(), reason=reason_str)


def comp_pcc(golden, calculated, pcc=0.99):
    return shardwise.comp_pcc(golden, calculated, pcc)


def torch_random(shape, low, high, dtype):
    """Uniform values in [low, high) of `dtype`, as TT's helper."""
    return torch.zeros(shape, dtype=dtype).uniform_(low, high)
