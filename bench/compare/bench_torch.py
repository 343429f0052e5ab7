#!/usr/bin/env python3
"""PyTorch's depthwise conv on the real layers, timed the way bench_compare times the
C++ libraries: torch.nn.functional.conv2d on channels_last tensors under
inference_mode, the same thread count, warm-up calls, then rounds; median, p10 and p90
of the per-call time. Cells of --check-batch are first compared with a float64 torch
conv on the same (dtype-rounded) values; a disagreeing cell is reported, not timed.

    /usr/bin/python3 bench/compare/bench_torch.py --out build/bench-results [--quick]

Writes OUT/torch.csv with bench_compare's columns. Exit 1 when a check failed.
"""
import argparse
import csv
import os
import sys
import time

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLUMNS = ["library", "layer", "dtype", "batch", "threads", "median_us", "p10_us", "p90_us", "gbps", "gflops", "bytes",
           "flops", "check", "kernel", "error"]
DTYPES = {"float32": (torch.float32, 4, 0.99999, 1e-5), "bfloat16": (torch.bfloat16, 2, 0.999, 2e-2)}


def percentile(values, q):
    s = sorted(values)
    pos = q * (len(s) - 1)
    lo = int(pos)
    hi = min(len(s) - 1, lo + 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def check(out, expected, min_pcc, max_norm):
    """PCC and normalized max error of a float output against the float64 result."""
    a = out.double().flatten()
    e = expected.flatten()
    finite = bool(torch.isfinite(a).all())
    pcc = float(torch.corrcoef(torch.stack([e, torch.nan_to_num(a)]))[0, 1])
    max_abs = float((a - e).abs().max())
    norm = max_abs / max(float(e.abs().max()), 1e-300)
    ok = finite and pcc >= min_pcc and norm <= max_norm
    summary = f"pcc {pcc:.7f} max abs {max_abs:.2g} norm {norm:.2g}"
    if not ok:
        summary += f" FAILED: needs pcc >= {min_pcc} and norm <= {max_norm:g}, no NaN/inf"
    return ok, summary


def run_cell(layer, batch, dtype_name, args):
    dtype, es, min_pcc, max_norm = DTYPES[dtype_name]
    c, h, w, k, s, p = (int(layer[n]) for n in ("channels", "height", "width", "kernel", "stride", "padding"))
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(batch, c, h, w, generator=gen).to(dtype).contiguous(memory_format=torch.channels_last)
    weight = torch.randn(c, 1, k, k, generator=gen).to(dtype).contiguous(memory_format=torch.channels_last)
    bias = torch.randn(c, generator=gen).to(dtype)
    ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    flops = batch * ho * wo * c * (2 * k * k + 1)
    nbytes = (batch * c * (h * w + ho * wo) + c * k * k) * es + 4 * c
    row = dict(library="torch", layer=layer["name"], dtype=dtype_name, batch=batch, threads=args.threads, median_us=0,
               p10_us=0, p90_us=0, gbps=0, gflops=0, bytes=nbytes, flops=flops, check="not checked",
               kernel=f"torch {torch.__version__} F.conv2d channels_last", error="")

    def call():
        return F.conv2d(x, weight, bias, stride=s, padding=p, groups=c)

    with torch.inference_mode():
        out = call()
        if batch == args.check_batch:
            expected = F.conv2d(x.double(), weight.double(), bias.double(), stride=s, padding=p, groups=c)
            ok, row["check"] = check(out.float(), expected, min_pcc, max_norm)
            if not ok:
                row["error"] = "disagrees with the reference: " + row["check"]
                return row
        calls, start = 0, time.perf_counter()
        while calls < 2 or (time.perf_counter() - start) * 1e3 < args.warmup_ms:
            call()
            calls += 1
        per_call_ms = (time.perf_counter() - start) * 1e3 / calls
        per_round = max(1, min(100000, int(args.round_ms / per_call_ms)))
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            for _ in range(per_round):
                call()
            times.append((time.perf_counter() - start) * 1e6 / per_round)
    med = percentile(times, 0.5)
    row.update(median_us=f"{med:.3f}", p10_us=f"{percentile(times, 0.1):.3f}", p90_us=f"{percentile(times, 0.9):.3f}",
               gbps=f"{nbytes / med / 1e3:.3f}", gflops=f"{flops / med / 1e3:.3f}")
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", default=os.path.join(ROOT, "bench", "layers.csv"))
    parser.add_argument("--layer-names", default="")
    parser.add_argument("--batches", default="1,32")
    parser.add_argument("--dtypes", default="float32,bfloat16")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--round-ms", type=float, default=15)
    parser.add_argument("--warmup-ms", type=float, default=30)
    parser.add_argument("--check-batch", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench-results"))
    parser.add_argument("--quick", action="store_true", help="batch 1 only, shorter rounds")
    args = parser.parse_args()
    if args.quick:
        args.batches, args.rounds, args.round_ms = "1", 7, 8
    if not 1 <= args.threads <= 64 or not 1 <= args.rounds <= 1000:
        sys.exit("bench_torch: --threads must be 1..64 and --rounds 1..1000")
    for d in args.dtypes.split(","):
        if d not in DTYPES:
            sys.exit(f"bench_torch: dtype '{d}' is not benchmarked: use float32 or bfloat16")
    torch.set_num_threads(args.threads)
    with open(args.layers, newline="") as f:
        layers = list(csv.DictReader(f))
    if args.layer_names:
        wanted = args.layer_names.split(",")
        layers = [l for l in layers if l["name"] in wanted]
    os.makedirs(args.out, exist_ok=True)
    failed = False
    with open(os.path.join(args.out, "torch.csv"), "w", newline="") as f:
        out = csv.DictWriter(f, fieldnames=COLUMNS)
        out.writeheader()
        for batch in (int(b) for b in args.batches.split(",")):
            for dtype_name in args.dtypes.split(","):
                for layer in layers:
                    row = run_cell(layer, batch, dtype_name, args)
                    failed |= bool(row["error"])
                    out.writerow(row)
                    f.flush()
                    print(f"torch {layer['name']} {dtype_name} b{batch}: "
                          f"{row['median_us'] if not row['error'] else row['error']} us", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
