#!/usr/bin/env python3
"""The engine against catsim, side by side, on the same bank and the same examinees.

1. `jeevibe simulate --export DIR` runs the engine (pure maximum information; the full method
   item by item; the full method in quizzes of 10) and writes the bank (items.csv: a, b, c) and
   the examinees (examinees.csv: true theta and one uniform draw per test position).
2. This script runs catsim's MaxInfoSelector and its estimator (NumericalSearchEstimator,
   bounded search of the likelihood with Dodd's heuristic for all-right / all-wrong patterns;
   catsim's defaults) on the same files. A response at position k is correct when the
   examinee's k-th draw is below P(theta) of the item given there, as in the engine's run, so
   both simulators see the same examinees answer the same way.
3. Prints the markdown table for docs/benchmarks.md: time per item selection, theta RMSE and
   bias after each length, max exposure rate and items used, and the ratios to the goals.

Usage: benches/catsim_compare.py [--jeevibe target/release/jeevibe] [--count 8000]
       [--examinees 200] [--lengths 10,20,30]
Needs: pip install catsim==0.21.0 (the version is printed with the table).
"""
import argparse
import csv
import json
import pathlib
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version

try:
    import numpy as np
    import catsim  # noqa: F401
except ImportError:
    sys.exit("needs catsim: pip install catsim==0.21.0")


def run_catsim(items, people, lengths):
    from catsim.estimation import NumericalSearchEstimator
    from catsim.irt import icc
    from catsim.item_bank import ItemBank
    from catsim.selection import MaxInfoSelector

    params = np.array([[a, b, c, 1.0] for a, b, c in items])
    bank = ItemBank(params)
    selector = MaxInfoSelector()
    estimator = NumericalSearchEstimator()
    max_items = max(lengths)
    select_s = 0.0
    selections = 0
    estimate_s = 0.0
    estimations = 0
    errors = {n: [] for n in lengths}
    exposure = {}
    for theta, draws in people:
        administered, responses, est = [], [], 0.0
        for k in range(max_items):
            t0 = time.perf_counter()
            item = selector.select(item_bank=bank, administered_items=administered, est_theta=est)
            select_s += time.perf_counter() - t0
            selections += 1
            a, b, c = items[item]
            p = float(icc(theta, a, b, c, 1.0))
            administered.append(item)
            responses.append(bool(draws[k] < p))
            exposure[item] = exposure.get(item, 0) + 1
            t0 = time.perf_counter()
            est = float(
                estimator.estimate(
                    item_bank=bank, administered_items=administered, response_vector=responses, est_theta=est
                )
            )
            estimate_s += time.perf_counter() - t0
            estimations += 1
            if k + 1 in errors:
                errors[k + 1].append(est - theta)
    return {
        "method": f"catsim {version('catsim')} max-info + MLE",
        "selection_us": select_s * 1e6 / selections,
        "estimation_us": estimate_s * 1e6 / estimations,
        "max_exposure": max(exposure.values()) / len(people),
        "items_used": len(exposure),
        "accuracy": [
            {
                "length": n,
                "rmse": float(np.sqrt(np.mean(np.square(errors[n])))),
                "bias": float(np.mean(errors[n])),
            }
            for n in lengths
        ],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jeevibe", default="target/release/jeevibe")
    ap.add_argument("--count", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--examinees", type=int, default=200)
    ap.add_argument("--examinee-seed", type=int, default=7)
    ap.add_argument("--lengths", default="10,20,30")
    ap.add_argument("--json", help="also write both reports here")
    args = ap.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [
                args.jeevibe, "simulate", "--count", str(args.count), "--seed", str(args.seed),
                "--examinees", str(args.examinees), "--examinee-seed", str(args.examinee_seed),
                "--lengths", args.lengths, "--export", tmp,
            ],
            check=True, capture_output=True, text=True,
        )
        ours = json.loads(out.stdout)
        with open(pathlib.Path(tmp) / "items.csv") as f:
            items = [(float(r["a"]), float(r["b"]), float(r["c"])) for r in csv.DictReader(f)]
        with open(pathlib.Path(tmp) / "examinees.csv") as f:
            rows = list(csv.reader(f))[1:]
            people = [(float(r[0]), [float(x) for x in r[1:]]) for r in rows]
    theirs = run_catsim(items, people, lengths)
    methods = ours["methods"] + [theirs]
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"engine": ours, "catsim": theirs}, indent=2))

    print(f"bank: {len(items)} synthetic 3PL items (gen-bank --count {args.count} --seed {args.seed}); "
          f"{len(people)} examinees, theta ~ N(0, 1) (seed {args.examinee_seed}); catsim {version('catsim')}, "
          f"numpy {np.__version__}, Python {sys.version.split()[0]}")
    print()
    head = "| method | selection µs/item | estimation µs | " + " | ".join(
        f"RMSE / bias @{n}" for n in lengths) + " | max exposure | items used |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for m in methods:
        acc = " | ".join(f"{a['rmse']:.3f} / {a['bias']:+.3f}" for a in m["accuracy"])
        print(f"| {m['method']} | {m['selection_us']:.1f} | {m['estimation_us']:.1f} | {acc} | "
              f"{m['max_exposure']:.2f} | {m['items_used']} |")
    print()
    by = {m["method"]: m for m in ours["methods"]}
    mi = by["max-info"]
    for name in ("max-info", "full-itemwise", "full-quizzes"):
        ratio = theirs["selection_us"] / by[name]["selection_us"]
        print(f"selection speed-up, {name} vs catsim: {ratio:.0f}x (goal >= 100x: {'met' if ratio >= 100 else 'NOT met'})")
    for a, c in zip(mi["accuracy"], theirs["accuracy"]):
        verdict = "met" if a["rmse"] <= c["rmse"] else "NOT met"
        print(f"RMSE @{a['length']}: max-info {a['rmse']:.3f} vs catsim {c['rmse']:.3f} "
              f"(ratio {a['rmse'] / c['rmse']:.2f}, goal <= 1: {verdict})")
    for name in ("full-itemwise", "full-quizzes"):
        for a, m in zip(by[name]["accuracy"], mi["accuracy"]):
            print(f"price of exposure control, {name} @{a['length']}: RMSE {a['rmse']:.3f} vs {m['rmse']:.3f} "
                  f"(+{100 * (a['rmse'] / m['rmse'] - 1):.0f}%); max exposure {by[name]['max_exposure']:.2f} "
                  f"vs {mi['max_exposure']:.2f}")


if __name__ == "__main__":
    main()
