#!/usr/bin/env python3
"""Chip numerics on the real model layers of bench/layers.csv: for each layer, the PCC
against the double-precision reference with exact float32 numerics and with the chip's
arithmetic at each math fidelity (fp32 Dst, or bf16 Dst with --bf16-dst), and the
device model's time with chip numerics (HiFi4) as a multiple of its time with exact
numerics (each the smallest of --rounds medians of --repeat runs, exact and chip
alternating, so that a noisy moment hits both). Prints a Markdown table.

    python3 scripts/chip_numerics_table.py [--arch wormhole_b0] [--batch 1] [--dtype bfloat16]
                                           [--weights-dtype bfloat16] [--bf16-dst] [--repeat 11] [--rounds 3]
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIDELITIES = ["lofi", "hifi2", "hifi3", "hifi4"]


def run(cli, layer, args, numerics, fidelity="hifi4", repeat=1):
    cmd = [cli, "conv2d", "--arch", args.arch, "--batch", str(args.batch), "--channels", layer["channels"],
           "--height", layer["height"], "--width", layer["width"], "--kernel", layer["kernel"],
           "--stride", layer["stride"], "--padding", layer["padding"], "--dtype", args.dtype,
           "--weights-dtype", args.weights_dtype, "--bias", "--activation", "relu6", "--numerics", numerics,
           "--math-fidelity", fidelity, "--repeat", str(repeat), "--min-pcc", "-1", "--json"]
    if args.bf16_dst:
        cmd.append("--bfloat16-accumulation")
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"chip_numerics_table: {' '.join(cmd)} failed: {(done.stderr or done.stdout).strip()}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "tools", "shardwise"))
    parser.add_argument("--layers", default=os.path.join(ROOT, "bench", "layers.csv"))
    parser.add_argument("--arch", default="wormhole_b0")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument("--weights-dtype", default="bfloat16")
    parser.add_argument("--bf16-dst", action="store_true", help="fp32_dest_acc_en = false")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with open(args.layers, newline="") as f:
        layers = list(csv.DictReader(f))
    dst = "bf16 Dst" if args.bf16_dst else "fp32 Dst"
    print(f"arch {args.arch}, batch {args.batch}, {args.dtype} activations, {args.weights_dtype} weights, bias, relu6, {dst}; "
          f"PCC against the double-precision reference; time ratio = chip (hifi4) / exact, each the smallest of "
          f"{args.rounds} medians of {args.repeat} runs\n")
    print("| layer | exact | " + " | ".join(FIDELITIES) + " | time chip/exact |")
    print("|---|---|" + "---|" * len(FIDELITIES) + "---|")
    ratios = []
    for layer in layers:
        exact_ms, chip_ms = [], []
        for _ in range(args.rounds):
            exact = run(args.cli, layer, args, "exact", repeat=args.repeat)
            exact_ms.append(exact["time_ms"])
            chip_ms.append(run(args.cli, layer, args, "chip", "hifi4", repeat=args.repeat)["time_ms"])
        pccs = [run(args.cli, layer, args, "chip", f) for f in FIDELITIES]
        ratio = min(chip_ms) / min(exact_ms)
        ratios.append(ratio)
        print(f"| {layer['name']} | {exact['pcc']:.6f} | " + " | ".join(f"{r['pcc']:.6f}" for r in pccs) + f" | {ratio:.2f}x |")
    print(f"\ngeomean time chip/exact: {math.exp(sum(math.log(r) for r in ratios) / len(ratios)):.2f}x, "
          f"worst {max(ratios):.2f}x")


if __name__ == "__main__":
    main()
