"""Comparing results the way the reference system's tests do (PCC, section 8)."""

import numpy as np

from ._shardwise import Tensor, compare as _compare, pcc as _pcc


def _as_array(value):
    if isinstance(value, Tensor):
        return value.to_array().astype(np.float64)
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        return value.detach().to("cpu").double().numpy()
    return np.asarray(value, dtype=np.float64)


def pcc(expected, actual):
    """Pearson correlation of the flattened values, as TT's comp_pcc computes it.

    NaN and inf count as 0; identical tensors (and two constant ones) give 1.0; exactly
    one all-zero tensor gives 0.0. Takes torch tensors, numpy arrays or shardwise Tensors.
    """
    return _pcc(_as_array(expected).ravel(), _as_array(actual).ravel())


def compare(expected, actual):
    """{"pcc", "max_abs_err", "norm_max_err"} of `actual` against `expected`."""
    return _compare(_as_array(expected).ravel(), _as_array(actual).ravel())


def comp_pcc(golden, calculated, pcc_threshold=0.99):
    """(passed, pcc): TT's comp_pcc."""
    value = pcc(golden, calculated)
    return value >= pcc_threshold, value


def assert_with_pcc(expected, actual, pcc_threshold=0.9999):
    """Raises AssertionError unless PCC >= pcc_threshold (and the shapes match), as ttnn's helper."""
    e, a = _as_array(expected), _as_array(actual)
    if e.shape != a.shape:
        raise AssertionError(f"shapes differ: expected {list(e.shape)}, actual {list(a.shape)}")
    value = pcc(e, a)
    if not value >= pcc_threshold:
        raise AssertionError(f"PCC {value:.6f} is below {pcc_threshold}")
    return True, f"PCC {value:.6f}"
