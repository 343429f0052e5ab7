"""Running TT-NN's own pytest files on shardwise, unchanged.

    pytest -p shardwise.ttnn_compat path/to/test_conv2d.py

(or `pytest_plugins = ["shardwise.ttnn_compat"]` in a conftest.py). Loading this plugin

- puts shardwise's stand-ins for the modules a TT-NN test imports on sys.path (the
  `modules` folder beside this file): `ttnn` (shardwise itself, with
  `ttnn.operations.activations`), `models.common.utility_functions` (arch checks and
  skip marks), `tests.ttnn.utils_for_testing` (the PCC helpers),
  `tests.ttnn.unit_tests.base_functionality.test_bh_20_cores_sharding` and
  `models.experimental.panoptic_deeplab.tt.common`, so that the test file's imports
  work as written;
- provides TT-NN's fixtures: `device` (a device model opened per test with the test's
  `device_params`, or those of a `use_module_device(params)` mark, as TT-NN's conftests
  do), `device_params`, `mesh_device` (a mesh of one), `use_program_cache` and
  `reset_seeds`, and registers TT-NN's device marks;
- reports a case whose conv is not depthwise (shardwise.NotDepthwiseError) as skipped,
  with the reason, instead of failed: TT-NN's test files mix depthwise rows with
  ordinary convs, which shardwise does not run; so is a test asking for a mesh of
  several devices.

The device model's arch: SHARDWISE_TTNN_ARCH (wormhole_b0, the default, or blackhole);
`is_wormhole_b0()` and `is_blackhole()` answer for it.
"""

import os
import sys

import pytest

import shardwise

_MODULES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "modules")
if _MODULES not in sys.path:
    sys.path.insert(0, _MODULES)

_ARCHES = ("wormhole_b0", "blackhole")

# TT-NN's device_params keys that open_device takes (the rest of TT-NN's keys configure
# dispatch, fabric or tracing of real chips: refused by name below).
_DEVICE_KEYS = ("l1_small_size", "trace_region_size", "num_command_queues", "worker_l1_size", "dispatch_core_config")


def arch():
    """The arch the fixtures open: SHARDWISE_TTNN_ARCH, wormhole_b0 by default."""
    value = os.environ.get("SHARDWISE_TTNN_ARCH", "wormhole_b0")
    if value not in _ARCHES:
        raise ValueError(f"SHARDWISE_TTNN_ARCH={value!r}: allowed are {', '.join(_ARCHES)}")
    return value


def _open(params):
    params = dict(params or {})
    unknown = sorted(set(params) - set(_DEVICE_KEYS))
    if unknown:
        raise ValueError(f"device_params {unknown} not supported by the device model: allowed are {', '.join(_DEVICE_KEYS)}")
    return shardwise.open_device(arch=arch(), **params)


def pytest_configure(config):
    """TT-NN's device markers, so that pytest knows them (their meaning is below)."""
    for line in ("use_module_device(params): open the device with these device_params (TT-NN: one device per module)",
                 "requires_fresh_device: a device of the test's own (every test gets one here)",
                 "manages_own_device: the test opens its device itself"):
        config.addinivalue_line("markers", line)


@pytest.fixture
def device_params(request):
    """The test's device_params: parametrized indirectly, as in TT-NN, else those of a
    use_module_device(params) mark on the test or its module, else {}."""
    if hasattr(request, "param"):
        return request.param
    mark = request.node.get_closest_marker("use_module_device")
    return dict(mark.args[0]) if mark is not None and mark.args else {}


@pytest.fixture
def device(device_params):
    dev = _open(device_params)
    yield dev
    shardwise.close_device(dev)


@pytest.fixture
def mesh_device(request, device_params):
    """A mesh of one device: shardwise models one chip (its MeshDevice is a Device)."""
    shape = getattr(request, "param", None)
    if shape not in (None, 1, (1, 1), [1, 1]):
        pytest.skip(f"mesh_device {shape!r}: the device model is a mesh of one device")
    dev = _open(device_params)
    yield dev
    shardwise.close_device(dev)


@pytest.fixture
def use_program_cache():
    """TT-NN's program-cache fixture: shardwise caches programs always."""
    yield


@pytest.fixture
def reset_seeds():
    """Seeds torch's generator, as TT-NN's fixture does."""
    import torch

    torch.manual_seed(213919)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(shardwise.NotDepthwiseError):
        report.outcome = "skipped"
        report.longrepr = (str(item.path), item.location[1] or 0, f"Skipped: {call.excinfo.value}")
