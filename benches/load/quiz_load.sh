#!/usr/bin/env bash
# Load test of the all-in-one server (release build) on loopback, for docs/benchmarks.md.
# An 8,000-question synthetic bank on SQLite; 64 Ultra users (no quota refusals) request
# 10-question quizzes through wrk for DURATION seconds; then GET /v1/me/progress; then each of
# OPEN_USERS other users' open quizzes is completed once (POST /v1/quizzes/{id}/complete,
# every item answered). Prints wrk's latency distribution, the server's resident memory
# (VmRSS / VmHWM) and, last, one line per endpoint: requests/s and its ratio to progress's.
#   benches/load/quiz_load.sh            (needs: wrk, python3, a release build:
#                                         CARGO_TARGET_DIR=/work/bench-target cargo build --release -p all-in-one)
# PERF=1 also records the server with `perf record -g` during each run (perf-<endpoint>.data in
# OUT, default the temporary directory).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/jeevibe}
PORT=${PORT:-18080}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-16}
DIR=$(mktemp -d)
OUT=${OUT:-$DIR}
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT

"$BIN" gen-bank --count 8000 --seed 42 --out "$DIR/bank.jsonl"
JEEVIBE_SQLITE_PATH="$DIR/jeevibe.db" JEEVIBE_DEV_KEYS_DIR="$DIR/keys" JEEVIBE_SEED_FILE="$DIR/bank.jsonl" \
  PORT=$PORT LOG_FORMAT=json RUST_LOG=warn "$BIN" serve 2>"$DIR/server.log" &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
rss() { grep -E "^(VmRSS|VmHWM)" /proc/$PID/status | tr -s ' ' | tr '\n' ' '; echo; }
echo "server up; memory before load: $(rss)"

# tokens FILE PREFIX COUNT: a Lua table of COUNT Ultra tokens for the uids PREFIX-1 … PREFIX-COUNT.
tokens() {
  echo "return {" > "$1"
  for i in $(seq 1 "$3"); do
    echo "\"$(JEEVIBE_DEV_KEYS_DIR="$DIR/keys" "$BIN" mint-token --uid "$2-$i" --tier ultra --ttl 3600)\"," >> "$1"
  done
  echo "}" >> "$1"
}
tokens "$DIR/tokens.lua" load 64
# Warm the bank into memory.
curl -sf -X POST "http://127.0.0.1:$PORT/v1/quizzes" -H "Authorization: Bearer $(sed -n 2p "$DIR/tokens.lua" | tr -d '",')" \
  -H 'Content-Type: application/json' -d '{"size": 1}' >/dev/null
echo "memory with the 8,000-question bank loaded: $(rss)"

cat > "$DIR/generate.lua" <<LUA
local tokens = dofile("$DIR/tokens.lua")
wrk.method = "POST"
wrk.body = '{"size": 10}'
wrk.headers["Content-Type"] = "application/json"
request = function()
  wrk.headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  return wrk.format()
end
done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
sed 's/wrk.method = "POST"/wrk.method = "GET"/; s/^wrk.body.*$//' "$DIR/generate.lua" > "$DIR/progress.lua"
sed "s|$DIR/tokens.lua|$DIR/tokens_open.lua|" "$DIR/generate.lua" > "$DIR/generate_open.lua"

# Completion: each wrk thread takes every other open quiz, each once; `exhausted` counts
# requests sent after a thread ran out (those replay a completed quiz and must stay 0).
cat > "$DIR/complete.lua" <<LUA
local all = dofile("$DIR/complete_requests.lua")
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  mine, next_i, exhausted = {}, 1, 0
  for i = id + 1, #all, 2 do table.insert(mine, all[i]) end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
request = function()
  local r = mine[next_i]
  if r == nil then exhausted = exhausted + 1; r = mine[#mine] else next_i = next_i + 1 end
  wrk.headers["Authorization"] = "Bearer " .. r[2]
  return wrk.format(nil, r[1], nil, r[3])
end
done = function(summary, latency, requests)
  local ex = 0
  for _, t in ipairs(threads) do ex = ex + t:get("exhausted") end
  io.write(string.format("non-2xx or errors: %d\nexhausted (replays): %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, ex))
end
LUA

# run NAME LUA URL: one wrk run (with perf record when PERF=1); keeps wrk's output in OUT.
run() {
  local name=$1 lua=$2 url=$3 perf_pid=
  if [ "${PERF:-0}" = 1 ]; then
    perf record -F 999 -g -p "$PID" -o "$OUT/perf-$name.data" -- sleep "$DURATION" 2>/dev/null &
    perf_pid=$!
  fi
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$lua" "$url" | tee "$OUT/wrk-$name.txt"
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi
}

# Progress runs before the completions, on the same users as before this load run had
# completions (their profiles would otherwise grow to 240 topics and slow it down).
echo "== POST /v1/quizzes (size 10), $CONNECTIONS connections, ${DURATION}s"
run generate "$DIR/generate.lua" "http://127.0.0.1:$PORT/v1/quizzes"
echo "== GET /v1/me/progress, $CONNECTIONS connections, ${DURATION}s"
run progress "$DIR/progress.lua" "http://127.0.0.1:$PORT/v1/me/progress"
# Open quizzes to complete: a user keeps at most 5 open (the oldest is evicted), so the 64 load
# users hold at most 320. OPEN_USERS other users (default 4,096) get quizzes for DURATION
# seconds first (not measured), up to 5 each.
echo "== setup (not measured): open quizzes for ${OPEN_USERS:-4096} more users"
tokens "$DIR/tokens_open.lua" open "${OPEN_USERS:-4096}"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$DIR/generate_open.lua" "http://127.0.0.1:$PORT/v1/quizzes" >/dev/null
python3 benches/load/open_quizzes.py "$DIR/jeevibe.db" "$DIR/tokens_open.lua" open "$DIR/complete_requests.lua"
echo "== POST /v1/quizzes/{id}/complete (10 answers), $CONNECTIONS connections, ${DURATION}s"
run complete "$DIR/complete.lua" "http://127.0.0.1:$PORT"
echo "memory after load: $(rss)"
# The summary, as the table of docs/benchmarks.md. Goal (issue 11), for both POSTs: requests/s
# >= 50 % of progress's in the same run, and p99 <= 25 ms.
lat() { awk -v q="$2" '$1 == q {print $2}' "$OUT/wrk-$1.txt"; }
rps() { awk '/^Requests\/sec/ {print $2}' "$OUT/wrk-$1.txt"; }
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.1f", n }'; }
echo "== summary (one run; ratio = requests/s over progress's requests/s; load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| endpoint | requests/s | p50 ms | p90 ms | p99 ms | ratio to progress | goal: ratio >= 0.5, p99 <= 25 ms |"
echo "|---|---|---|---|---|---|---|"
for e in generate complete progress; do
  ratio=$(awk -v a="$(rps $e)" -v b="$(rps progress)" 'BEGIN {printf "%.3f", a / b}')
  p99ms=$(ms "$(lat $e 99%)")
  verdict=$(awk -v r="$ratio" -v p="$p99ms" 'BEGIN { print ((r >= 0.5 && p <= 25) ? "met" : "NOT met") }')
  [ "$e" = progress ] && verdict="(reference)"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$e" "$(rps $e)" "$(ms "$(lat $e 50%)")" "$(ms "$(lat $e 90%)")" "$p99ms" "$ratio" "$verdict"
done
if [ "${PERF:-0}" = 1 ]; then
  for e in generate complete progress; do
    echo "== top five frames (self time), $e"
    perf report -i "$OUT/perf-$e.data" --no-children --sort symbol --stdio 2>/dev/null |
      grep -E '^ +[0-9.]+%' | head -5 | sed -E 's/ +- +- *$//; s/ +$//' | cut -c1-160 || true
  done
fi
