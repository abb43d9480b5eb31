#!/usr/bin/env bash
# Starts or stops Google's Cloud Firestore emulator for the store conformance tests.
#
#   .ci/firestore-emulator.sh start   # prints `export FIRESTORE_EMULATOR_HOST=127.0.0.1:PORT`
#   .ci/firestore-emulator.sh stop
#   .ci/firestore-emulator.sh reset   # deletes every document of the test project
#
# Usage in CI:  eval "$(.ci/firestore-emulator.sh start)"
#
# Environment (all optional):
#   FIRESTORE_EMULATOR_PORT     port to bind on 127.0.0.1 (default 8686)
#   FIRESTORE_EMULATOR_PROJECT  project id used by the tests (default jeevibe-test)
#   FIRESTORE_EMULATOR_DIR      where the pid and log files go (default ${TMPDIR:-/tmp}/firestore-emulator)
#   FIRESTORE_EMULATOR_TIMEOUT  seconds to wait for the emulator to answer (default 120)
#
# Needs a Java runtime (>= 11; Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) and the
# emulator component of the Google Cloud SDK (`apt-get install google-cloud-cli-firestore-emulator`
# from Google's apt repository, or `gcloud components install cloud-firestore-emulator`).
set -euo pipefail

PORT="${FIRESTORE_EMULATOR_PORT:-8686}"
PROJECT="${FIRESTORE_EMULATOR_PROJECT:-jeevibe-test}"
DIR="${FIRESTORE_EMULATOR_DIR:-${TMPDIR:-/tmp}/firestore-emulator}"
TIMEOUT="${FIRESTORE_EMULATOR_TIMEOUT:-120}"
PIDFILE="$DIR/emulator.pid"
LOG="$DIR/emulator.log"
HOST="127.0.0.1:$PORT"

find_emulator() {
    local candidates=(
        /usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator
        /usr/share/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator
    )
    if command -v gcloud >/dev/null 2>&1; then
        local root
        root="$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)"
        [ -n "$root" ] && candidates=("$root/platform/cloud-firestore-emulator/cloud_firestore_emulator" "${candidates[@]}")
    fi
    local c
    for c in "${candidates[@]}"; do
        if [ -x "$c" ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}

start() {
    mkdir -p "$DIR"
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "firestore emulator already running (pid $(cat "$PIDFILE"))" >&2
        echo "export FIRESTORE_EMULATOR_HOST=$HOST"
        return 0
    fi
    if ! command -v java >/dev/null 2>&1; then
        echo "java not found: install a JRE >= 11 (apt-get install openjdk-17-jre-headless)" >&2
        return 1
    fi
    local emulator
    if ! emulator="$(find_emulator)"; then
        echo "Firestore emulator not found: install google-cloud-cli-firestore-emulator" >&2
        echo "(or: gcloud components install cloud-firestore-emulator)" >&2
        return 1
    fi
    # setsid: the emulator gets its own process group so `stop` can end the JVM and its wrapper.
    setsid "$emulator" start --host=127.0.0.1 --port="$PORT" --project_id="$PROJECT" >"$LOG" 2>&1 < /dev/null &
    echo $! >"$PIDFILE"
    local waited=0
    until [ "$(curl -s --max-time 2 "http://$HOST/" 2>/dev/null || true)" = "Ok" ]; do
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "firestore emulator exited; log ($LOG):" >&2
            cat "$LOG" >&2
            rm -f "$PIDFILE"
            return 1
        fi
        if [ "$waited" -ge "$TIMEOUT" ]; then
            echo "firestore emulator did not answer on http://$HOST/ within ${TIMEOUT}s; log ($LOG):" >&2
            cat "$LOG" >&2
            stop >&2 || true
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "firestore emulator up on $HOST after ${waited}s (pid $(cat "$PIDFILE"), log $LOG)" >&2
    echo "export FIRESTORE_EMULATOR_HOST=$HOST"
}

stop() {
    if [ ! -f "$PIDFILE" ]; then
        echo "firestore emulator not running (no $PIDFILE)" >&2
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    # The pid is the session leader (setsid), so its process group holds the wrapper and the JVM.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    echo "firestore emulator stopped" >&2
}

reset() {
    curl -sf -X DELETE "http://$HOST/emulator/v1/projects/$PROJECT/databases/(default)/documents" >/dev/null
    echo "firestore emulator reset ($PROJECT)" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    reset) reset ;;
    *)
        echo "usage: $0 start|stop|reset" >&2
        exit 2
        ;;
esac
