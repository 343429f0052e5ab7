#!/usr/bin/env python3
"""Per-call cost of shardwise.torch.DepthwiseConv2d against torch's own depthwise conv,
on the real layers at batch 1 (bench/layers.csv), channels_last inputs, inference mode,
the same thread count (torch.set_num_threads(os.cpu_count()): the host preset has a core per CPU):

    module     DepthwiseConv2d(x): torch tensor in, torch tensor out
    engine     the same conv2d on shardwise with the input already on the device and
               the prepared weights reused (what the module adds nothing to)
    overhead   module - engine: the module's copies and Python glue per call
    torch      torch.nn.functional.conv2d(x, w, b, groups=C)

Each figure is the median of --calls calls after 5 untimed ones, the three measured in
turn per round (--rounds rounds; the smallest round median is kept).

    PYTHONPATH=build/python /usr/bin/python3 bench/torch_module_call.py [--dtype float32|bfloat16]
"""
import argparse
import csv
import os
import statistics
import time

import torch
import torch.nn.functional as F

from shardwise import _shardwise
from shardwise.torch import DepthwiseConv2d, _DTYPES, _raw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median_us(fn, calls):
    for _ in range(5):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    a = parser.parse_args()
    dtype = getattr(torch, a.dtype)
    torch.manual_seed(0)
    with open(os.path.join(ROOT, "bench", "layers.csv")) as f:
        layers = list(csv.DictReader(f))
    print(f"batch 1, {a.dtype}, channels_last, bias; median us per call (smallest of {a.rounds} rounds of {a.calls})")
    print()
    print("| layer | module | engine | overhead | torch | module / torch |")
    print("|---|---|---|---|---|---|")
    overheads = []
    for layer in layers:
        c, h, w, k, s, p = (int(layer[n]) for n in ("channels", "height", "width", "kernel", "stride", "padding"))
        conv = DepthwiseConv2d(c, c, k, stride=s, padding=p, dtype=dtype)
        x = torch.randn(1, c, h, w).to(dtype).contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            conv(x)  # prepares and caches the weights
            device = conv.sw_device
            torch.set_num_threads(os.cpu_count())  # the host preset runs a worker per CPU core
            params, core, weight, bias, _ = conv._prepared[(dtype, 1, h, w)]
            resident = _shardwise.device_tensor_from_buffer(device, _raw(x.permute(0, 2, 3, 1)), [1, 1, h * w, c],
                                                            _DTYPES[dtype])
            wt, bt = conv.weight.detach(), conv.bias.detach()
            rounds = []
            for _ in range(a.rounds):
                rounds.append((median_us(lambda: conv(x), a.calls),
                               median_us(lambda: _shardwise.conv2d(resident, weight, bias, device, params, core), a.calls),
                               median_us(lambda: F.conv2d(x, wt, bt, s, p, 1, c), a.calls)))
        module, engine, torch_us = (min(r[i] for r in rounds) for i in range(3))
        overheads.append(module - engine)
        print(f"| {layer['name']} | {module:.1f} | {engine:.1f} | {module - engine:.1f} | {torch_us:.1f} | "
              f"{module / torch_us:.2f}x |")
    print()
    print(f"module overhead over the engine: median {statistics.median(overheads):.1f} us, "
          f"largest {max(overheads):.1f} us")


if __name__ == "__main__":
    main()
