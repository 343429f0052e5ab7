"""The PyTorch companion of the side-by-side benchmark (bench/compare/bench_torch.py):
it times a tiny layer after checking it against a float64 conv, and its check rejects
a wrong output. Not timed."""
import csv
import importlib.util
import os
import subprocess
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "bench", "compare", "bench_torch.py")


def load_script():
    spec = importlib.util.spec_from_file_location("bench_torch", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_layer_runs_checked_and_timed(tmp_path):
    layers = tmp_path / "layers.csv"
    layers.write_text("name,source,height,width,channels,kernel,stride,padding\ntiny,test,9,7,40,3,2,1\n")
    subprocess.run([sys.executable, SCRIPT, "--layers", str(layers), "--batches", "1", "--rounds", "2", "--round-ms", "0.1",
                    "--warmup-ms", "0.1", "--out", str(tmp_path)], check=True)
    with open(tmp_path / "torch.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["dtype"], r["error"]) for r in rows] == [("float32", ""), ("bfloat16", "")]
    for r in rows:
        assert r["check"].startswith("pcc ") and "FAILED" not in r["check"]
        assert float(r["p10_us"]) <= float(r["median_us"]) <= float(r["p90_us"])
        assert float(r["median_us"]) > 0


def test_check_rejects_wrong_output():
    bench_torch = load_script()
    expected = torch.randn(2, 8, 5, 5, dtype=torch.float64)
    assert bench_torch.check(expected.float(), expected, 0.99999, 1e-5)[0]
    wrong = expected.float().clone()
    wrong[0, 3, 2, 2] += 0.5
    ok, summary = bench_torch.check(wrong, expected, 0.99999, 1e-5)
    assert not ok and "FAILED" in summary
    nan = expected.float().clone()
    nan[1, 1, 1, 1] = float("nan")
    assert not bench_torch.check(nan, expected, 0.999, 2e-2)[0]
