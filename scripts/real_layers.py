#!/usr/bin/env python3
"""The real model layers of bench/layers.csv (a copy of shared/bench/layers.csv) through `shardwise conv2d`, one
row per layer and batch: the layout and grid the plan chose, how the work was split
(stick slices x channel passes), PCC against the double-precision reference, and the
median time of the device model over --repeat runs. Prints a Markdown table.

    python3 scripts/real_layers.py [--arch wormhole_b0] [--batches 1,10] [--shard auto]
                                   [--weights-dtype bfloat16] [--repeat 3] [--numerics chip|exact]
"""
import argparse
import csv
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", default=os.path.join(ROOT, "build", "tools", "shardwise"))
    parser.add_argument("--layers", default=os.path.join(ROOT, "bench", "layers.csv"))
    parser.add_argument("--arch", default="wormhole_b0")
    parser.add_argument("--batches", default="1,10")
    parser.add_argument("--shard", default="auto")
    parser.add_argument("--weights-dtype", default="bfloat16")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--numerics", default="", help="chip or exact (default: the arch's: chip on the chip presets)")
    args = parser.parse_args()
    if not os.path.exists(args.layers):
        sys.exit(f"real_layers: no layer table at {args.layers} (pass --layers PATH)")

    with open(args.layers, newline="") as f:
        layers = list(csv.DictReader(f))
    numerics = args.numerics or "the arch's default"
    print(f"arch {args.arch}, shard {args.shard}, bfloat16 activations, {args.weights_dtype} weights, bias, relu6, "
          f"numerics {numerics}; "
          f"time = median of {args.repeat} runs of the device model\n")
    print("| layer | batch | HxW | C | k/s/p | layout | grid | cores | slices (sticks x passes) | PCC | time ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    failed = False
    for layer in layers:
        for batch in args.batches.split(","):
            cmd = [args.cli, "conv2d", "--arch", args.arch, "--batch", batch, "--channels", layer["channels"],
                   "--height", layer["height"], "--width", layer["width"], "--kernel", layer["kernel"],
                   "--stride", layer["stride"], "--padding", layer["padding"], "--shard", args.shard,
                   "--weights-dtype", args.weights_dtype, "--bias", "--activation", "relu6",
                   "--repeat", str(args.repeat), "--json"]
            if args.numerics:
                cmd += ["--numerics", args.numerics]
            done = subprocess.run(cmd, capture_output=True, text=True)
            shape = f"{layer['height']}x{layer['width']}"
            ksp = f"{layer['kernel']}/{layer['stride']}/{layer['padding']}"
            if done.returncode != 0:
                failed = True
                message = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1]
                print(f"| {layer['name']} | {batch} | {shape} | {layer['channels']} | {ksp} | failed: {message} |")
                continue
            r = json.loads(done.stdout)
            layout = r["shard_layout"].replace("_SHARDED", "")
            grid = "x".join(str(v) for v in r["grid"])
            slices = f"{r['stick_slices']} x {r['channel_passes']}"
            print(f"| {layer['name']} | {batch} | {shape} | {layer['channels']} | {ksp} | {layout} | {grid} | "
                  f"{r['num_cores']} | {slices} | {r['pcc']:.7f} | {r['time_ms']:.2f} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
