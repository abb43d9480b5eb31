#!/usr/bin/env python3
"""Validate data/questions.sample.jsonl (stdlib only).

Usage: python3 check_sample.py [path/to/questions.sample.jsonl]

Checks, per line:
  * valid JSON object, no blank lines, exact field set (``options`` only for MCQs)
  * id: unique, ^[a-z0-9-]{3,64}$, of the form <phy|che|mat>-<chapter>-<NNN>,
    prefix consistent with ``subject``
  * subject / type from the allowed sets; chapter, topic, stem, solution non-empty
  * options: exactly four {"key","text"} objects with keys A, B, C, D in order
  * answer shape per type:
      single_correct -> "A".."D"
      multi_correct  -> 2-3 distinct keys, sorted
      numerical      -> {"value": number, "tolerance": number >= 0}
      integer        -> non-negative JSON integer
  * irt: exactly {a, b, c}; a in [0.5, 2.2], b in [-2.5, 2.5],
    c = 0.25 (single), 0.1 (multi), 0 (numerical/integer)
  * tags: 1-4 distinct lowercase strings; source non-empty "original:..." string
  * balanced $ delimiters and braces in LaTeX text fields
Global checks: >= 30 questions and >= 6 chapters per subject, all four types
present in every subject, and every numerical/integer answer agrees with an
independent recomputation listed in RECOMPUTE below.

Exits non-zero (printing line numbers) on any error.
"""
import json
import math
import re
import sys
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path

SUBJECTS = {"physics": "phy", "chemistry": "che", "mathematics": "mat"}
TYPES = ("single_correct", "multi_correct", "numerical", "integer")
KEYS = ["A", "B", "C", "D"]
C_RULE = {"single_correct": 0.25, "multi_correct": 0.1, "numerical": 0.0, "integer": 0.0}
BASE_FIELDS = {"id", "subject", "chapter", "topic", "type", "stem", "answer",
               "solution", "irt", "tags", "source"}
ID_RE = re.compile(r"^[a-z0-9-]{3,64}$")
ID_SHAPE_RE = re.compile(r"^(phy|che|mat)-[a-z0-9]+-[0-9]{3}$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MIN_PER_SUBJECT = 30
MIN_CHAPTERS = 6
INT_EPS = 1e-6


def simpson(f, a, b, n=20000):
    """Composite Simpson's rule (n even)."""
    h = (b - a) / n
    s = f(a) + f(b)
    for i in range(1, n):
        s += (4 if i % 2 else 2) * f(a + i * h)
    return s * h / 3


def incentre_sum(A, B, C):
    """x + y of the incentre of triangle ABC."""
    a = math.dist(B, C)
    b = math.dist(C, A)
    c = math.dist(A, B)
    p = a + b + c
    x = (a * A[0] + b * B[0] + c * C[0]) / p
    y = (a * A[1] + b * B[1] + c * C[1]) / p
    return x + y


# Independent recomputation of every numerical / integer answer
# (id -> python expression evaluated with math, Fraction, simpson, incentre_sum).
RECOMPUTE = {
    # ---- physics ----
    "phy-kin-002": "math.degrees(math.atan(4 / (4 * math.sqrt(3))))",        # R/H = 4 cot(theta)
    "phy-lom-002": "9.8 * (math.sin(math.radians(30)) - 0.2 * math.cos(math.radians(30)))",
    "phy-wep-002": "6**2 / (2 * 0.3 * 10)",                                   # v^2 / (2 mu g)
    "phy-rot-002": "2 * 0.6**2 / 4 + 2 * 0.6**2",                            # MR^2/4 + MR^2
    "phy-grv-003": "(4.0) ** 1.5",                                           # Kepler T^2 ~ r^3
    "phy-thd-002": "1 * 8.314 * 300 * math.log(2) / 1000",                   # nRT ln 2 in kJ
    "phy-est-003": "float(12 / (Fraction(1, 2) + Fraction(1, 3) + Fraction(1, 6)))",
    "phy-cur-002": "((6 / 1 + 4 / 2) / (1 / 1 + 1 / 2 + 1 / 4)) / 4",         # Millman node voltage / R
    # ---- chemistry ----
    "che-mol-002": "(6.72 / 22.4) * 2 / 3 * 122.5",
    "che-mol-003": "(2 * 0.15 * 20) / 0.2",
    "che-ato-002": "math.comb(5, 2)",
    "che-thd-002": "-((2 * -393.5 + 2 * -285.8) - 52.3)",
    "che-eqm-002": "float(Fraction(16, 10) ** 2 / (Fraction(2, 10) * Fraction(2, 10)))",
    "che-ion-002": "4.74 + math.log10(0.10 / 0.20)",
    "che-ele-002": "1.10 - 0.059 / 2 * math.log10(0.01 / 1.0)",
    "che-ele-003": "0.236 / 0.059",
    # ---- mathematics ----
    "mat-qua-003": "sum(1 for m in range(-1000, 1001) if (2 * m) ** 2 - 4 * (m + 6) < 0)",
    "mat-seq-002": "sum(n / 3**n for n in range(1, 200))",
    "mat-str-003": "incentre_sum((0, 0), (8, 0), (0, 6))",
    "mat-lim-002": "(1 + 3 / 1e7) ** (1e7 / 2)",
    "mat-int-002": "simpson(lambda x: x * x * math.exp(x), 0.0, 1.0)",
    "mat-int-003": "simpson(lambda x: x**5 * math.cos(x) + abs(x), -3.0, 3.0)",
    "mat-pro-002": "(0.5 * 3 / 5) / (0.5 * 3 / 5 + 0.5 * 1 / 4)",
    # A^2 - 5A must equal -k I: return k if the matrix is scalar, else NaN
    "mat-mat-003": "(lambda A: (lambda M: -M[0][0] if M[0][1] == M[1][0] == 0 and M[0][0] == M[1][1] "
                   "else float('nan'))([[sum(A[i][t] * A[t][j] for t in range(2)) - 5 * A[i][j] "
                   "for j in range(2)] for i in range(2)]))([[2, 1], [1, 3]])",
}
# For lim (1+3/x)^(x/2) with x = 1e7 the truncation error is ~1e-6, far below tolerance.


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def latex_balance_errors(text, where):
    errs = []
    # strip escaped characters so \$ \{ \} do not count
    t = re.sub(r"\\[{}$]", "", text)
    if t.count("$") % 2:
        errs.append(f"{where}: odd number of '$' math delimiters")
    depth = 0
    for ch in t:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                break
    if depth != 0:
        errs.append(f"{where}: unbalanced braces")
    return errs


def check_record(q, seen_ids):
    errs = []
    if not isinstance(q, dict):
        return ["line is not a JSON object"], None
    typ = q.get("type")
    if typ not in TYPES:
        errs.append(f"type must be one of {TYPES}, got {typ!r}")
    expected = set(BASE_FIELDS)
    if typ in ("single_correct", "multi_correct"):
        expected.add("options")
    missing = expected - set(q)
    extra = set(q) - expected
    if missing:
        errs.append(f"missing fields: {sorted(missing)}")
    if extra:
        errs.append(f"unexpected fields: {sorted(extra)}")

    qid = q.get("id")
    if not isinstance(qid, str) or not ID_RE.match(qid):
        errs.append(f"id {qid!r} must match {ID_RE.pattern}")
    elif not ID_SHAPE_RE.match(qid):
        errs.append(f"id {qid!r} must look like phy|che|mat-<chapter>-NNN")
    else:
        if qid in seen_ids:
            errs.append(f"duplicate id {qid!r} (first on line {seen_ids[qid]})")
    subj = q.get("subject")
    if subj not in SUBJECTS:
        errs.append(f"subject must be one of {list(SUBJECTS)}, got {subj!r}")
    elif isinstance(qid, str) and not qid.startswith(SUBJECTS[subj] + "-"):
        errs.append(f"id {qid!r} prefix does not match subject {subj!r}")

    for f in ("chapter", "topic", "stem", "solution", "source"):
        v = q.get(f)
        if not isinstance(v, str) or not v.strip():
            errs.append(f"{f} must be a non-empty string")
    if isinstance(q.get("source"), str) and not q["source"].startswith("original:"):
        errs.append("source must start with 'original:'")
    for f in ("stem", "solution"):
        if isinstance(q.get(f), str):
            errs += latex_balance_errors(q[f], f)

    # options
    if "options" in q:
        opts = q["options"]
        if not isinstance(opts, list) or len(opts) != 4:
            errs.append("options must be a list of exactly 4 items")
        else:
            for i, o in enumerate(opts):
                if not isinstance(o, dict) or set(o) != {"key", "text"}:
                    errs.append(f"options[{i}] must be an object with exactly 'key' and 'text'")
                    continue
                if o["key"] != KEYS[i]:
                    errs.append(f"options[{i}].key must be {KEYS[i]!r}, got {o['key']!r}")
                if not isinstance(o["text"], str) or not o["text"].strip():
                    errs.append(f"options[{i}].text must be a non-empty string")
                else:
                    errs += latex_balance_errors(o["text"], f"options[{i}].text")
            texts = [o.get("text") for o in opts if isinstance(o, dict)]
            if len(set(map(str, texts))) != len(texts):
                errs.append("option texts must be distinct")

    # answer
    ans = q.get("answer")
    if typ == "single_correct":
        if not isinstance(ans, str) or ans not in KEYS:
            errs.append(f"single_correct answer must be one of {KEYS}, got {ans!r}")
    elif typ == "multi_correct":
        if (not isinstance(ans, list) or not 2 <= len(ans) <= 3
                or not all(isinstance(k, str) and k in KEYS for k in ans)
                or len(set(ans)) != len(ans) or ans != sorted(ans)):
            errs.append(f"multi_correct answer must be 2-3 distinct sorted keys, got {ans!r}")
    elif typ == "numerical":
        if (not isinstance(ans, dict) or set(ans) != {"value", "tolerance"}
                or not is_num(ans.get("value")) or not is_num(ans.get("tolerance"))
                or ans["tolerance"] < 0):
            errs.append(f"numerical answer must be {{value: number, tolerance: number >= 0}}, got {ans!r}")
    elif typ == "integer":
        if not isinstance(ans, int) or isinstance(ans, bool) or ans < 0:
            errs.append(f"integer answer must be a non-negative JSON integer, got {ans!r}")

    # irt
    irt = q.get("irt")
    if not isinstance(irt, dict) or set(irt) != {"a", "b", "c"} or not all(is_num(irt[k]) for k in irt):
        errs.append(f"irt must be an object with numeric a, b, c only, got {irt!r}")
    else:
        if not 0.5 <= irt["a"] <= 2.2:
            errs.append(f"irt.a={irt['a']} outside [0.5, 2.2]")
        if not -2.5 <= irt["b"] <= 2.5:
            errs.append(f"irt.b={irt['b']} outside [-2.5, 2.5]")
        if typ in C_RULE and abs(irt["c"] - C_RULE[typ]) > 1e-12:
            errs.append(f"irt.c={irt['c']} but must be {C_RULE[typ]} for {typ}")

    # tags
    tags = q.get("tags")
    if (not isinstance(tags, list) or not 1 <= len(tags) <= 4
            or not all(isinstance(t, str) and TAG_RE.match(t) for t in tags)
            or len(set(tags)) != len(tags)):
        errs.append(f"tags must be 1-4 distinct lowercase strings, got {tags!r}")
    return errs, qid


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("questions.sample.jsonl")
    errors = []
    records = {}  # id -> (line, record)
    seen_ids = {}
    try:
        raw = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        print(f"ERROR: cannot read {path} as UTF-8: {e}")
        return 2
    lines = raw.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # final newline
    for n, line in enumerate(lines, 1):
        if not line.strip():
            errors.append(f"line {n}: blank line")
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: invalid JSON: {e}")
            continue
        errs, qid = check_record(q, seen_ids)
        errors += [f"line {n} ({qid}): {e}" for e in errs]
        if isinstance(qid, str) and qid not in seen_ids:
            seen_ids[qid] = n
            records[qid] = (n, q)

    # recomputation of numerical / integer answers
    env = {"math": math, "Fraction": Fraction, "simpson": simpson, "incentre_sum": incentre_sum}
    for qid, (n, q) in records.items():
        if q.get("type") not in ("numerical", "integer"):
            continue
        if qid not in RECOMPUTE:
            errors.append(f"line {n} ({qid}): no independent recomputation in RECOMPUTE")
            continue
        try:
            val = float(eval(RECOMPUTE[qid], env))
        except Exception as e:  # noqa: BLE001
            errors.append(f"line {n} ({qid}): recomputation failed: {e}")
            continue
        ans = q.get("answer")
        if q["type"] == "numerical" and isinstance(ans, dict) and is_num(ans.get("value")):
            if abs(ans["value"] - val) > ans.get("tolerance", 0) + 1e-9:
                errors.append(f"line {n} ({qid}): keyed {ans['value']} but recomputed {val:.6g} "
                              f"(tolerance {ans.get('tolerance')})")
        elif q["type"] == "integer" and isinstance(ans, int):
            if abs(ans - val) > INT_EPS:
                errors.append(f"line {n} ({qid}): keyed {ans} but recomputed {val:.9g}")
    for qid in RECOMPUTE:
        if qid not in records:
            errors.append(f"RECOMPUTE has entry {qid!r} that is not in the file")
        elif records[qid][1].get("type") not in ("numerical", "integer"):
            errors.append(f"RECOMPUTE has entry {qid!r} that is not numerical/integer")

    # aggregate statistics
    per_subject = Counter()
    chapters = defaultdict(Counter)
    topics = defaultdict(Counter)
    types = defaultdict(Counter)
    answer_keys = defaultdict(Counter)
    for qid, (n, q) in records.items():
        s = q.get("subject")
        if s not in SUBJECTS:
            continue
        per_subject[s] += 1
        chapters[s][q.get("chapter")] += 1
        topics[s][(q.get("chapter"), q.get("topic"))] += 1
        types[s][q.get("type")] += 1
        if q.get("type") == "single_correct":
            answer_keys[s][q.get("answer")] += 1

    print(f"File: {path}  ({len(lines)} lines, {len(records)} unique ids)\n")
    header = f"{'subject':<12}{'total':>6}" + "".join(f"{t:>16}" for t in TYPES) + f"{'chapters':>10}"
    print(header)
    print("-" * len(header))
    for s in SUBJECTS:
        print(f"{s:<12}{per_subject[s]:>6}" + "".join(f"{types[s][t]:>16}" for t in TYPES)
              + f"{len(chapters[s]):>10}")
    print(f"{'TOTAL':<12}{sum(per_subject.values()):>6}"
          + "".join(f"{sum(types[s][t] for s in SUBJECTS):>16}" for t in TYPES))
    print()
    for s in SUBJECTS:
        print(f"{s}: {len(chapters[s])} chapters")
        for ch, cnt in chapters[s].items():
            tps = ", ".join(f"{tp} ({c})" for (c_, tp), c in topics[s].items() if c_ == ch)
            print(f"  - {ch} [{cnt}]: {tps}")
        print(f"  single_correct key distribution: {dict(sorted(answer_keys[s].items()))}")
    print()

    for s in SUBJECTS:
        if per_subject[s] < MIN_PER_SUBJECT:
            errors.append(f"subject {s}: only {per_subject[s]} questions (need >= {MIN_PER_SUBJECT})")
        if len(chapters[s]) < MIN_CHAPTERS:
            errors.append(f"subject {s}: only {len(chapters[s])} chapters (need >= {MIN_CHAPTERS})")
        for t in TYPES:
            if types[s][t] == 0:
                errors.append(f"subject {s}: no {t} questions")
    warnings = [f"topic {ch} / {tp} ({s}) has only {c} question"
                for s in SUBJECTS for (ch, tp), c in topics[s].items() if c < 2]
    for w in warnings:
        print("WARNING:", w)

    n_checked = sum(1 for _, (_, q) in records.items() if q.get("type") in ("numerical", "integer"))
    if errors:
        print(f"FAILED with {len(errors)} error(s):")
        for e in errors:
            print("  ERROR:", e)
        return 1
    print(f"OK: all checks passed; {n_checked} numerical/integer answers match independent recomputation.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
