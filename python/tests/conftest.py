"""Shared fixtures. These tests compare with PyTorch, so torch is required: a machine
without it fails here (at import) instead of skipping, and a run that skipped any test
fails too (`make test` must never pass on tests that did not run)."""

import pytest
import torch  # noqa: F401  (required: see above)

import shardwise

# pytester: test_ttnn_compat.py runs TT-NN-style test files in a pytest of their own.
pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def device():
    dev = shardwise.open_device(arch="wormhole_b0")
    yield dev
    shardwise.close_device(dev)


def pytest_sessionfinish(session, exitstatus):
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"FAILED: {skipped} test(s) skipped; every test must run", red=True)
