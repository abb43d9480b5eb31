#!/usr/bin/env bash
# Starts or stops Google's Cloud Pub/Sub emulator for the job-queue tests (shared/tests/jobs.rs).
#
#   .ci/pubsub-emulator.sh start   # prints `export PUBSUB_EMULATOR_HOST=127.0.0.1:PORT`
#   .ci/pubsub-emulator.sh stop
#
# Usage in CI:  eval "$(.ci/pubsub-emulator.sh start)"; the jobs test also calls this script
# itself (with its own port and directory) when PUBSUB_EMULATOR_HOST is not set.
#
# Environment (all optional):
#   PUBSUB_EMULATOR_PORT     port to bind on 127.0.0.1 (default 8685)
#   PUBSUB_EMULATOR_DIR      where the pid and log files go (default ${TMPDIR:-/tmp}/pubsub-emulator)
#   PUBSUB_EMULATOR_TIMEOUT  seconds to wait for the emulator to answer (default 120)
#
# Needs a Java runtime (>= 11; Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) and the
# emulator component of the Google Cloud SDK (`apt-get install google-cloud-cli-pubsub-emulator`
# from Google's apt repository, or `gcloud components install pubsub-emulator`).
set -euo pipefail

PORT="${PUBSUB_EMULATOR_PORT:-8685}"
DIR="${PUBSUB_EMULATOR_DIR:-${TMPDIR:-/tmp}/pubsub-emulator}"
TIMEOUT="${PUBSUB_EMULATOR_TIMEOUT:-120}"
PIDFILE="$DIR/emulator.pid"
LOG="$DIR/emulator.log"
HOST="127.0.0.1:$PORT"

find_emulator() {
    local candidates=(
        /usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
        /usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator
    )
    if command -v gcloud >/dev/null 2>&1; then
        local root
        root="$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)"
        [ -n "$root" ] && candidates=("$root/platform/pubsub-emulator/bin/cloud-pubsub-emulator" "${candidates[@]}")
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
        echo "pubsub emulator already running (pid $(cat "$PIDFILE"))" >&2
        echo "export PUBSUB_EMULATOR_HOST=$HOST"
        return 0
    fi
    if ! command -v java >/dev/null 2>&1; then
        echo "java not found: install a JRE >= 11 (apt-get install openjdk-17-jre-headless)" >&2
        return 1
    fi
    local emulator
    if ! emulator="$(find_emulator)"; then
        echo "Pub/Sub emulator not found: install google-cloud-cli-pubsub-emulator" >&2
        echo "(or: gcloud components install pubsub-emulator)" >&2
        return 1
    fi
    # The launcher `gcloud beta emulators pubsub start --host-port=$HOST` runs; called directly so
    # that setsid gives it its own process group, which `stop` ends with the JVM.
    setsid "$emulator" --host=127.0.0.1 --port="$PORT" >"$LOG" 2>&1 </dev/null &
    echo $! >"$PIDFILE"
    local waited=0
    until [ "$(curl -s --max-time 2 "http://$HOST/" 2>/dev/null || true)" = "Ok" ]; do
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "pubsub emulator exited; log ($LOG):" >&2
            cat "$LOG" >&2
            rm -f "$PIDFILE"
            return 1
        fi
        if [ "$waited" -ge "$TIMEOUT" ]; then
            echo "pubsub emulator did not answer on http://$HOST/ within ${TIMEOUT}s; log ($LOG):" >&2
            cat "$LOG" >&2
            stop >&2 || true
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "pubsub emulator up on $HOST after ${waited}s (pid $(cat "$PIDFILE"), log $LOG)" >&2
    echo "export PUBSUB_EMULATOR_HOST=$HOST"
}

stop() {
    if [ ! -f "$PIDFILE" ]; then
        echo "pubsub emulator not running (no $PIDFILE)" >&2
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    # The pid is the session leader (setsid), so its process group holds the launcher and the JVM.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    echo "pubsub emulator stopped" >&2
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *)
        echo "usage: $0 start|stop" >&2
        exit 2
        ;;
esac
