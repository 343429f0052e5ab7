"""Per-call cost of shardwise's TT-NN-style conv2d from Python on the host preset: with
host weights (prepared on every call, as TT-NN does) and with the prepared weights a
first call returned (their host packing reused). Median of `--calls` calls after 3
untimed ones; also checks both give the first call's output bit for bit.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_conv2d_call.py
"""
import argparse
import statistics
import time

import torch

import shardwise as ttnn


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hw", type=int, default=14, help="input height = width")
    parser.add_argument("--channels", type=int, default=576)
    parser.add_argument("--calls", type=int, default=200)
    a = parser.parse_args()
    torch.manual_seed(0)
    with ttnn.manage_device("host") as dev:
        x = ttnn.from_torch(torch.randn(1, a.hw, a.hw, a.channels), ttnn.bfloat16)
        w = ttnn.from_torch(torch.randn(a.channels, 1, 3, 3))
        b = ttnn.from_torch(torch.randn(1, 1, 1, a.channels))
        args = dict(input_tensor=x, device=dev, in_channels=a.channels, out_channels=a.channels, batch_size=1,
                    input_height=a.hw, input_width=a.hw, kernel_size=(3, 3), padding=(1, 1), groups=a.channels)
        first, [pw, pb] = ttnn.conv2d(weight_tensor=w, bias_tensor=b, return_weights_and_bias=True, **args)
        expected = ttnn.to_torch(first)
        for name, weight, bias in (("host weights", w, b), ("prepared weights", pw, pb)):
            for _ in range(3):
                ttnn.conv2d(weight_tensor=weight, bias_tensor=bias, **args)
            times = []
            for _ in range(a.calls):
                start = time.perf_counter()
                out = ttnn.conv2d(weight_tensor=weight, bias_tensor=bias, **args)
                times.append(time.perf_counter() - start)
            same = torch.equal(ttnn.to_torch(out), expected)
            print(f"{name}: {statistics.median(times) * 1e6:.1f} us per call (median of {a.calls}), same output: {same}")


if __name__ == "__main__":
    main()
