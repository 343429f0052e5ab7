"""Comparing results the way the reference system's tests do (PCC, section 8)."""

import logging

import numpy as np

from ._shardwise import Tensor, compare as _compare, pcc as _pcc


def _as_array(value):
    if isinstance(value, Tensor):
        return value.to_array().astype(np.float64)
    if hasattr(value, "detach"):  # torch.Tensor, without importing torch
        return value.detach().to("cpu").double().numpy()
    return np.asarray(value, dtype=np.float64)


_log = logging.getLogger("shardwise")


def _warn_nonfinite(name, golden, calculated):
    """Logs what TT-NN's comp_pcc logs: both all-NaN (a warning; they compare equal), one
    all-NaN (an error; they do not), and, beyond TT-NN, any other NaN/Inf, which the PCC
    counts as 0."""
    g_nan, c_nan = np.isnan(golden), np.isnan(calculated)
    if golden.size and g_nan.all() and c_nan.all():
        _log.warning("%s: both tensors are all NaN", name)
    elif golden.size and (g_nan.all() or c_nan.all()):
        _log.error("%s: one tensor is all NaN, the other is not", name)
    else:
        counts = [(label, int(np.isnan(v).sum()), int(np.isinf(v).sum())) for label, v in (("golden", golden), ("calculated", calculated))]
        if any(n or i for _, n, i in counts):
            _log.warning("%s: %s; the PCC counts them as 0", name,
                         ", ".join(f"{label} holds {n} NaN and {i} Inf" for label, n, i in counts))


def pcc(expected, actual):
    """Pearson correlation of the flattened values, as TT's comp_pcc computes it.

    NaN and inf count as 0; identical tensors (and two constant ones) give 1.0; exactly
    one all-zero tensor gives 0.0. Takes torch tensors, numpy arrays or shardwise Tensors.
    """
    return _pcc(_as_array(expected).ravel(), _as_array(actual).ravel())


def compare(expected, actual):
    """{"pcc", "max_abs_err", "norm_max_err", "nonfinite"} of `actual` against `expected`;
    "nonfinite" holds the NaN and Inf counts of each ({"expected": {"nan", "inf"},
    "actual": {...}}): where they are not all zero the PCC (which counts them as 0) is
    no verdict."""
    return _compare(_as_array(expected).ravel(), _as_array(actual).ravel())


_pcc_of = pcc  # the helpers below take the threshold as `pcc`, TT-NN's keyword


def comp_pcc(golden, calculated, pcc=0.99):
    """(passed, pcc): TT's comp_pcc (two all-NaN tensors pass with 1.0, one all-NaN
    tensor fails with 0.0), logging a warning about NaN/Inf as TT-NN does. `pcc`: the
    threshold, TT-NN's keyword."""
    g, c = _as_array(golden).ravel(), _as_array(calculated).ravel()
    _warn_nonfinite("comp_pcc", g, c)
    value = _pcc_of(g, c)
    return value >= pcc, value


def assert_with_pcc(expected, actual, pcc=0.9999):
    """Raises AssertionError unless PCC >= `pcc` (and the shapes match), as ttnn's helper;
    returns (True, the PCC) otherwise."""
    e, a = _as_array(expected), _as_array(actual)
    if e.shape != a.shape:
        raise AssertionError(f"shapes differ: expected {list(e.shape)}, actual {list(a.shape)}")
    _warn_nonfinite("assert_with_pcc", e.ravel(), a.ravel())
    value = _pcc_of(e, a)
    if not value >= pcc:
        raise AssertionError(f"PCC {value:.6f} is below {pcc}")
    return True, value


def check_with_pcc_without_tensor_printout(expected, actual, pcc=0.9999):
    """(passed, pcc) after checking the shapes, as TT-NN's helper of that name: a shape
    mismatch gives (False, a message naming both shapes) instead of a PCC."""
    e, a = _as_array(expected), _as_array(actual)
    if e.shape != a.shape:
        return False, f"list(expected.shape)={list(e.shape)} vs list(actual.shape)={list(a.shape)}"
    return comp_pcc(e, a, pcc)


def assert_equal(expected, actual):
    """Raises AssertionError unless both hold the same shape and values (NaN equal to NaN)."""
    e, a = _as_array(expected), _as_array(actual)
    if e.shape != a.shape:
        raise AssertionError(f"shapes differ: expected {list(e.shape)}, actual {list(a.shape)}")
    mismatch = ~((e == a) | (np.isnan(e) & np.isnan(a)))
    if mismatch.any():
        raise AssertionError(f"{int(mismatch.sum())} of {e.size} values differ (first at flat index {int(np.argmax(mismatch.ravel()))})")
