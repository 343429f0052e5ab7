"""Stand-in for the TT-Metal module TT-NN's conv tests import a skip helper from."""
import pytest

from shardwise.ttnn_compat import arch


def skip_if_not_blackhole_20_cores(device):
    """Called inside a test: skips it unless the device is a Blackhole with a 20-core
    compute grid (the blackhole preset has 13 x 10; a grid override can make 20)."""
    grid = device.compute_with_storage_grid_size()
    if arch() != "blackhole" or grid.x * grid.y != 20:
        pytest.skip(f"needs a Blackhole with 20 cores, not {arch()} with {grid.x * grid.y}")
