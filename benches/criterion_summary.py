#!/usr/bin/env python3
"""Median and p95 per criterion benchmark, from target/criterion/*/new/sample.json, as the
markdown table of docs/benchmarks.md, with the issue's goal for quiz assembly.

Criterion stores, per sample, the iteration count and the total time (ns); the per-iteration
time of a sample is time/iters. This prints the median and 95th percentile of those.
Goal (issue 11): `quiz_assembly_8000/all_subjects_size_10` median <= 40 µs.

Usage: benches/criterion_summary.py [target/criterion]
"""
import json
import os
import pathlib
import statistics
import sys

ASSEMBLY = "quiz_assembly_8000/all_subjects_size_10"
ASSEMBLY_GOAL_NS = 40_000

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = []
for sample in sorted(root.glob("**/new/sample.json")):
    data = json.loads(sample.read_text())
    per_iter = sorted(t / n for t, n in zip(data["times"], data["iters"]))
    p95 = per_iter[min(len(per_iter) - 1, int(round(0.95 * (len(per_iter) - 1))))]
    name = str(sample.parent.parent.relative_to(root))
    rows.append((name, statistics.median(per_iter), p95, len(per_iter)))


def fmt(ns):
    return f"{ns / 1e6:.3f} ms" if ns >= 1e6 else f"{ns / 1e3:.1f} µs"


load = os.getloadavg()
print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} when summarised\n")
print("| benchmark | median | p95 | samples |")
print("|---|---|---|---|")
for name, med, p95, n in rows:
    print(f"| `{name}` | {fmt(med)} | {fmt(p95)} | {n} |")
for name, med, _, _ in rows:
    if name == ASSEMBLY:
        verdict = "met" if med <= ASSEMBLY_GOAL_NS else "NOT met"
        print(f"\nquiz assembly (all subjects, size 10, 8,000 items): median {fmt(med)}; goal <= 40 µs: {verdict}")
