#!/usr/bin/env python3
"""Median and p95 per criterion benchmark, from target/criterion/*/new/sample.json.

Criterion stores, per sample, the iteration count and the total time (ns); the per-iteration
time of a sample is time/iters. This prints the median and 95th percentile of those.
"""
import json
import pathlib
import statistics
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = []
for sample in sorted(root.glob("**/new/sample.json")):
    data = json.loads(sample.read_text())
    per_iter = sorted(t / n for t, n in zip(data["times"], data["iters"]))
    p95 = per_iter[min(len(per_iter) - 1, int(round(0.95 * (len(per_iter) - 1))))]
    name = str(sample.parent.parent.relative_to(root))
    rows.append((name, statistics.median(per_iter), p95, len(per_iter)))
print(f"{'benchmark':55} {'median':>12} {'p95':>12} samples")
for name, med, p95, n in rows:
    fmt = lambda ns: f"{ns / 1e6:.3f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"
    print(f"{name:55} {fmt(med):>12} {fmt(p95):>12} {n}")
