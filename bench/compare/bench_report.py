#!/usr/bin/env python3
"""Turns one `make bench` run into a report: the Markdown table (every library's time,
shardwise's speed-up over oneDNN per cell and the geometric means, each cell's
physical bound on the machine it ran on and every library's time as a multiple of it)
and two plots (speed-up over oneDNN per layer; time against the copy floor).

    /usr/bin/python3 bench/compare/bench_report.py --results build/bench-results --command "make bench"

Reads RESULTS/compare.csv, torch.csv (optional), machine.json, emulator.csv (optional);
writes RESULTS/report.md, speedup.png, copy_floor.png.

Physical bound of a cell = max(FLOPs / peak FMA rate, bytes / read bandwidth of the
level its working set (input + output + weights) fits in: L2 of all threads, L3, or DRAM).
For bfloat16 cells the peak is the faster of the float32 FMA and, on a CPU with
AVX512_BF16, the VDPBF16PS dot product (two multiply-adds per float32 lane), both
measured by the probe.
"""
import argparse
import csv
import json
import math
import os
import sys

LIBS = ["shardwise", "onednn", "xnnpack", "torch", "copy"]


def load_rows(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def geomean(values):
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def bound_us(row, m):
    flops, nbytes = float(row["flops"]), float(row["bytes"])
    if nbytes <= m["l2_bytes"] * m["threads"]:
        level, bw = "L2", m["l2_gbps"]
    elif nbytes <= m["l3_bytes"]:
        level, bw = "L3", m["l3_gbps"]
    else:
        level, bw = "DRAM", m["dram_gbps"]
    peak = m["peak_gflops"]
    if row["dtype"] == "bfloat16":
        peak = max(peak, m.get("peak_bf16_gflops", 0))
    compute = flops / (peak * 1e3)
    memory = nbytes / (bw * 1e3)
    return max(compute, memory), ("compute" if compute >= memory else level)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default="build/bench-results")
    parser.add_argument("--command", default="make bench")
    parser.add_argument("--no-plots", action="store_true")
    args = parser.parse_args()
    rows = load_rows(os.path.join(args.results, "compare.csv")) + load_rows(os.path.join(args.results, "torch.csv"))
    if not rows:
        sys.exit(f"bench_report: no compare.csv in {args.results}: run bench_compare first")
    with open(os.path.join(args.results, "machine.json")) as f:
        m = json.load(f)

    cells = {}  # (layer, dtype, batch) -> {library: row}
    order = []
    for r in rows:
        key = (r["layer"], r["dtype"], int(r["batch"]))
        if key not in cells:
            cells[key] = {}
            order.append(key)
        cells[key][r["library"]] = r

    def us(cell, lib):
        r = cell.get(lib)
        return float(r["median_us"]) if r and not r["error"] and float(r["median_us"]) > 0 else None

    bf16_peak = (f", {m['peak_bf16_gflops']:.0f} GFLOP/s (bfloat16 VDPBF16PS)" if m.get("peak_bf16_gflops", 0) > 0 else "")
    machine = (f"{m['cpu_model']}, {m['threads']} threads, {m['isa_flags']}; measured peak {m['peak_gflops']:.0f} "
               f"GFLOP/s (float32 FMA, {m['simd_target']}){bf16_peak}, read bandwidth L2 {m['l2_gbps']:.0f} / "
               f"L3 {m['l3_gbps']:.0f} / DRAM {m['dram_gbps']:.0f} GB/s")
    lines = [f"Machine: {machine}.", "", f"Command: `{args.command}`. Times are medians per call in microseconds "
             "(p10-p90 in compare.csv / torch.csv); `x oneDNN` is oneDNN's time / shardwise's; `bound` is the cell's physical "
             "bound and what limits it; `/bound` columns are a library's time as a multiple of the bound.", ""]
    groups = sorted({(k[1], k[2]) for k in order}, key=lambda g: (g[1], g[0] != "float32"))
    lines.append("| layer | dtype | batch | shardwise | oneDNN | XNNPACK | torch | copy | x oneDNN | bound (limit) | shardwise /bound | oneDNN /bound |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    speedups = {g: [] for g in groups}
    failures = []
    for g in groups:
        for key in [k for k in order if (k[1], k[2]) == g]:
            cell = cells[key]
            for lib, r in cell.items():
                if r["error"] and "not supported" not in r["error"]:
                    failures.append(f"{lib} {key[0]} {key[1]} b{key[2]}: {r['error']}")
            sw, dnnl = us(cell, "shardwise"), us(cell, "onednn")
            b, limit = bound_us(next(iter(cell.values())), m)
            sp = dnnl / sw if sw and dnnl else None
            if sp:
                speedups[g].append(sp)
            fmt = lambda v: f"{v:.1f}" if v else "-"
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | " + " | ".join(fmt(us(cell, lib)) for lib in LIBS) +
                         f" | {sp:.2f}x |" if sp else " | - |")
            lines[-1] += f" {b:.1f} ({limit}) | {sw / b:.1f} |" if sw else f" {b:.1f} ({limit}) | - |"
            lines[-1] += f" {dnnl / b:.1f} |" if dnnl else " - |"
    lines += ["", "Geometric mean of shardwise's speed-up over oneDNN (above 1: shardwise is faster):", "",
              "| dtype | batch | cells | geomean | slowest cell | fastest cell |", "|---|---|---|---|---|---|"]
    for g in groups:
        v = speedups[g]
        if v:
            lines.append(f"| {g[0]} | {g[1]} | {len(v)} | {geomean(v):.3f}x | {min(v):.3f}x | {max(v):.3f}x |")
    everything = [s for v in speedups.values() for s in v]
    lines.append(f"| all | all | {len(everything)} | {geomean(everything):.3f}x | {min(everything):.3f}x | {max(everything):.3f}x |")
    emulator = load_rows(os.path.join(args.results, "emulator.csv"))
    if emulator:
        lines += ["", f"The chip preset as an emulator ({emulator[0]['arch']}, batch 1, bfloat16, bias + relu6, automatic layout, "
                  "wall time per layer, median of the runs):", "", "| layer | layout | cores | ms | PCC |", "|---|---|---|---|---|"]
        lines += [f"| {e['layer']} | {e['layout']} | {e['cores']} | {float(e['median_ms']):.2f} | {e['pcc']} |" for e in emulator]
    if failures:
        lines += ["", "**Not timed (failed):**", ""] + [f"- {f}" for f in failures]
    kernels = {}
    for r in rows:
        if r["kernel"] and r["library"] != "copy":
            kernels.setdefault((r["library"], r["dtype"]), set()).add(r["kernel"])
    lines += ["", "Kernels the libraries ran:", ""] + [f"- {lib} {dt}: {'; '.join(sorted(k))}"
                                                      for (lib, dt), k in sorted(kernels.items())]
    report = "\n".join(lines) + "\n"
    with open(os.path.join(args.results, "report.md"), "w") as f:
        f.write(report)
    print(report)
    if not args.no_plots:
        plot(args, cells, order, groups, us, machine)
    return 1 if failures else 0


def plot(args, cells, order, groups, us, machine):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def figure(title, ylabel, value, libs, name):
        fig, axes = plt.subplots(len(groups), 1, figsize=(13, 3.2 * len(groups)), squeeze=False)
        for ax, g in zip(axes[:, 0], groups):
            keys = [k for k in order if (k[1], k[2]) == g]
            width = 0.8 / len(libs)
            for i, lib in enumerate(libs):
                ys = [value(cells[k], lib) or 0 for k in keys]
                ax.bar([x + i * width for x in range(len(keys))], ys, width, label=lib)
            ax.axhline(1.0, color="black", linewidth=0.8)
            ax.set_yscale("log")
            ax.set_xticks([x + 0.4 - width / 2 for x in range(len(keys))], [k[0] for k in keys], rotation=30, fontsize=8)
            ax.set_title(f"{g[0]}, batch {g[1]}", fontsize=9)
            ax.set_ylabel(ylabel, fontsize=8)
        axes[0, 0].legend(fontsize=8, ncol=len(libs))
        fig.suptitle(f"{title}\n{machine}\n`{args.command}`", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(args.results, name), dpi=90)
        plt.close(fig)

    def over_onednn(cell, lib):
        t, d = us(cell, lib), us(cell, "onednn")
        return d / t if t and d else None

    def over_copy(cell, lib):
        t, c = us(cell, lib), us(cell, "copy")
        return t / c if t and c else None

    figure("Speed-up over oneDNN (oneDNN time / library time; above 1 = faster than oneDNN)", "x oneDNN", over_onednn,
           ["shardwise", "xnnpack", "torch"], "speedup.png")
    figure("Time as a multiple of the copy floor (memcpy of the same bytes)", "time / copy", over_copy,
           ["shardwise", "onednn", "xnnpack", "torch"], "copy_floor.png")


if __name__ == "__main__":
    sys.exit(main())
