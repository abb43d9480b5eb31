#!/usr/bin/env bash
# Load test of the all-in-one server (release build) on loopback, for docs/benchmarks.md.
# An 8,000-question synthetic bank on SQLite; 64 Ultra users (no quota refusals) request
# 10-question quizzes through wrk for DURATION seconds; then GET /v1/me/progress.
# Prints wrk's latency distribution and the server's resident memory (VmRSS / VmHWM).
#   benches/load/quiz_load.sh            (needs: wrk, a release build: cargo build --release -p all-in-one)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-target/release/jeevibe}
PORT=${PORT:-18080}
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-16}
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DIR"' EXIT

"$BIN" gen-bank --count 8000 --seed 42 --out "$DIR/bank.jsonl"
JEEVIBE_SQLITE_PATH="$DIR/jeevibe.db" JEEVIBE_DEV_KEYS_DIR="$DIR/keys" JEEVIBE_SEED_FILE="$DIR/bank.jsonl" \
  PORT=$PORT LOG_FORMAT=json RUST_LOG=warn "$BIN" serve 2>"$DIR/server.log" &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
rss() { grep -E "^(VmRSS|VmHWM)" /proc/$PID/status | tr -s ' ' | tr '\n' ' '; echo; }
echo "server up; memory before load: $(rss)"

echo "return {" > "$DIR/tokens.lua"
for i in $(seq 1 64); do
  echo "\"$(JEEVIBE_DEV_KEYS_DIR="$DIR/keys" "$BIN" mint-token --uid "load-$i" --tier ultra --ttl 3600)\"," >> "$DIR/tokens.lua"
done
echo "}" >> "$DIR/tokens.lua"
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

echo "== POST /v1/quizzes (size 10), $CONNECTIONS connections, ${DURATION}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$DIR/generate.lua" "http://127.0.0.1:$PORT/v1/quizzes"
echo "== GET /v1/me/progress, $CONNECTIONS connections, ${DURATION}s"
wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$DIR/progress.lua" "http://127.0.0.1:$PORT/v1/me/progress"
echo "memory after load: $(rss)"
