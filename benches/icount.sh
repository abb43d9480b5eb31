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
for spec in "shared icount" "quiz-generate icount_generate"; do
  read -r package bench <<<"$spec"
  exe=$(${CARGO:-cargo} rustc --profile bench -p "$package" --bench "$bench" --message-format=json -- -C strip=none |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$bench")
  echo "== $package/$bench ($exe)"
  "$exe" --bench
done
