#!/usr/bin/env bash
# Instruction-count benchmarks (valgrind's Callgrind through gungraun), for docs/benchmarks.md:
# shared/benches/icount.rs (assembly, grading, θ update) and
# functions/quiz-generate/benches/icount_generate.rs (one whole POST /v1/quizzes).
#
# The release profile strips symbols and gungraun finds its benchmark functions by symbol, so
# each bench binary is linked here with `cargo rustc -- -C strip=none`: only that binary is
# relinked, the dependencies stay the release ones (a `[profile.bench] strip = false` would
# rebuild the whole tree). The binary is then run as `cargo bench` would run it.
#   benches/icount.sh        (needs: valgrind; cargo install gungraun-runner --version 0.20.0 --locked)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
command -v gungraun-runner >/dev/null || [ -n "${GUNGRAUN_RUNNER:-}" ] || {
  echo "needs gungraun-runner: cargo install gungraun-runner --version 0.20.0 --locked" >&2
  exit 2
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for spec in "shared icount" "quiz-generate icount_generate"; do
  read -r package bench <<<"$spec"
  exe=$(${CARGO:-cargo} rustc --profile bench -p "$package" --bench "$bench" --message-format=json -- -C strip=none |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$bench")
  echo "== $package/$bench ($exe)"
  "$exe" --bench | tee -a "$log"
done
# The table of docs/benchmarks.md: one row per benchmark, from gungraun's output above.
python3 - "$log" <<'PY'
import re, sys
rows, name = [], None
for line in open(sys.argv[1], encoding="utf-8"):
    line = re.sub(r"\x1b\[[0-9;]*m", "", line.rstrip())
    if re.match(r"^\S+::\S+", line):
        name = line.split(":(")[0]
    m = re.match(r"^\s+(Instructions|Estimated Cycles):\s+([0-9]+)", line)
    if m and name:
        if m.group(1) == "Instructions":
            rows.append([name, m.group(2), "–"])
        else:
            rows[-1][2] = m.group(2)
print("\n| benchmark | instructions | estimated cycles |\n|---|---|---|")
for name, ins, cyc in rows:
    print(f"| `{name}` | {int(ins):,} | {cyc if cyc == '–' else format(int(cyc), ',')} |")
post = next((r for r in rows if "post_v1_quizzes" in r[0]), None)
setup = next((r for r in rows if "setup_only" in r[0]), None)
if post and setup:
    ins = int(post[1]) - int(setup[1])
    cyc = int(post[2]) - int(setup[2]) if "–" not in (post[2], setup[2]) else None
    print(f"| one `POST /v1/quizzes` (post_v1_quizzes − setup_only) | {ins:,} | {'–' if cyc is None else format(cyc, ',')} |")
PY
