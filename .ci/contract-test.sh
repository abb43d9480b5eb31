#!/usr/bin/env bash
# Contract test: schemathesis (pinned below) against the all-in-one server, generated from the
# served OpenAPI document (GET /openapi.json). Every operation is exercised with a valid
# Firebase-shaped token (local dev key): no 5xx, every response's status code documented,
# its content type and body as the document says. Runs after `make test` and reuses its
# debug binaries (target/debug/jeevibe, target/debug/examples/fake_providers).
#
#   .ci/contract-test.sh                    # `make contract-test`
#   CONTRACT_MAX_EXAMPLES=50 .ci/contract-test.sh
#   CONTRACT_TIER=free CONTRACT_MAX_EXAMPLES=20 \
#     CONTRACT_EXTRA_ARGS='--include-path-regex ^/v1/(me|offline-packs)' .ci/contract-test.sh
#                                           # the Free views: basic progress, 403 tier_required
#
# The server: embedded SQLite in a temporary directory, the sample bank, the fake Gemini and
# OpenAI servers (functions/all-in-one/examples/fake_providers.rs), the Pub/Sub push route
# configured to trust the dev key for another audience (so a Firebase token gets 401 there,
# not 503 push_not_configured). Everything binds 127.0.0.1.
#
# Checks: all of schemathesis' but `positive_data_acceptance` (ST202, "a schema-valid request
# must get 2xx"): the server refuses schema-valid values that only it can judge (a cursor or quiz
# id it never issued, base64 that is no image, `quiz_id` without `question_id`) with documented
# 4xx problems, and those responses still go through every other check.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
TOOLS="${JEEVIBE_TOOLS_DIR:-$HOME/.cache/jeevibe}"
VENV="$TOOLS/contract-venv"
BIN="${CARGO_TARGET_DIR:-target}/debug"
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-100}"
TIER="${CONTRACT_TIER:-ultra}" # tier of the minted token: free | pro | ultra
REPORT_DIR="${CONTRACT_REPORT_DIR:-${CARGO_TARGET_DIR:-target}/contract-report}"

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q " $SCHEMATHESIS_VERSION\$"; then
    t0=$(date +%s)
    [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
    echo "installed schemathesis $SCHEMATHESIS_VERSION into $VENV in $(($(date +%s) - t0))s"
fi

if [ ! -x "$BIN/jeevibe" ] || [ ! -x "$BIN/examples/fake_providers" ]; then
    # Normally built by `make test` already (same profile and features): then this is skipped.
    cargo build -q -p all-in-one --features shared/testing --bin jeevibe --example fake_providers
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/jeevibe-contract.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for FILE PATTERN: until a line of FILE matches
    for _ in $(seq 1 300); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "timed out waiting for '$2' in $1:" >&2; cat "$1" >&2; return 1
}

FAKE_GEMINI_PORT=0 FAKE_OPENAI_PORT=0 "$BIN/examples/fake_providers" >"$WORK/fake.log" 2>&1 &
pids+=($!)
wait_for "$WORK/fake.log" '^fake OpenAI'
GEMINI_URL=$(sed -n 's/^fake Gemini: GEMINI_BASE_URL=\([^ ]*\).*/\1/p' "$WORK/fake.log")
OPENAI_URL=$(sed -n 's/^fake OpenAI: OPENAI_BASE_URL=\([^ ]*\).*/\1/p' "$WORK/fake.log")

PORT=$(free_port)
KEYS="$WORK/keys"
"$BIN/jeevibe" mint-token --uid contract-setup --keys-dir "$KEYS" >/dev/null # creates the key pair
env JEEVIBE_LISTEN_IP=127.0.0.1 PORT="$PORT" LOG_FORMAT=json RUST_LOG=warn \
    JEEVIBE_STORE=sqlite JEEVIBE_SQLITE_PATH="$WORK/jeevibe.db" JEEVIBE_DEV_KEYS_DIR="$KEYS" \
    JEEVIBE_SEED_FILE=data/questions.sample.jsonl \
    GEMINI_API_KEY=local GEMINI_BASE_URL="$GEMINI_URL" OPENAI_API_KEY=local OPENAI_BASE_URL="$OPENAI_URL" \
    PUSH_AUDIENCE=https://contract-test.invalid GOOGLE_OIDC_KEYS_FILE="$KEYS/jwks.json" \
    "$BIN/jeevibe" serve >"$WORK/server.log" 2>&1 &
pids+=($!)
BASE="http://127.0.0.1:$PORT"
healthy() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$BASE/healthz" 2>/dev/null; }
for _ in $(seq 1 300); do healthy && break; sleep 0.1; done
healthy || { echo "server did not start:" >&2; cat "$WORK/server.log" >&2; exit 1; }

TOKEN=$("$BIN/jeevibe" mint-token --uid contract-user --tier "$TIER" --ttl 3600 --keys-dir "$KEYS")

t0=$(date +%s)
set +e
"$VENV/bin/schemathesis" --config-file .ci/schemathesis.toml run "$BASE/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks all --exclude-checks positive_data_acceptance \
    --max-examples "$MAX_EXAMPLES" --seed 20261130 --workers 2 \
    --request-timeout 30 --no-color \
    --report junit,ndjson --report-dir "$REPORT_DIR" ${CONTRACT_EXTRA_ARGS:-}
rc=$?
set -e
echo "contract test: schemathesis exit $rc in $(($(date +%s) - t0))s"
python3 .ci/contract_summary.py "$(ls -t "$REPORT_DIR"/ndjson-*.ndjson | head -n 1)" || true
if [ "$rc" != 0 ]; then
    echo "--- server log (errors) ---" >&2
    grep -E '"level":"(ERROR|WARN)"|panicked' "$WORK/server.log" | tail -n 40 >&2 || true
fi
exit "$rc"
