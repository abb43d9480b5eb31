#!/usr/bin/env bash
# Starts or stops one of Google's emulators shipped with the Google Cloud SDK, on loopback:
#   .ci/gcloud-emulator.sh firestore|pubsub start   # prints `export <KIND>_EMULATOR_HOST=127.0.0.1:PORT`
#   .ci/gcloud-emulator.sh firestore|pubsub stop
#   .ci/gcloud-emulator.sh firestore reset          # deletes every document of the test project
# `.ci/firestore-emulator.sh` and `.ci/pubsub-emulator.sh` are this script for one kind.
#
# Settings (environment, KIND = FIRESTORE or PUBSUB):
#   KIND_EMULATOR_PORT     port to bind on 127.0.0.1 (default 8686 Firestore, 8685 Pub/Sub)
#   KIND_EMULATOR_DIR      where the pid and log files go (default ${TMPDIR:-/tmp}/<kind>-emulator)
#   KIND_EMULATOR_TIMEOUT  seconds to wait for the emulator to answer (default 120)
#   FIRESTORE_EMULATOR_PROJECT  project id used by the Firestore tests (default jeevibe-test)
#
# Needs java (>= 11) and the emulator component of the Google Cloud SDK (this image ships both
# emulators; elsewhere `gcloud components install cloud-firestore-emulator pubsub-emulator`).
set -euo pipefail

KIND="${1:-}"
case "$KIND" in
    firestore)
        VAR=FIRESTORE; DEFAULT_PORT=8686
        COMPONENT="cloud-firestore-emulator/cloud_firestore_emulator"
        PACKAGE="google-cloud-cli-firestore-emulator (or: gcloud components install cloud-firestore-emulator)"
        ;;
    pubsub)
        VAR=PUBSUB; DEFAULT_PORT=8685
        COMPONENT="pubsub-emulator/bin/cloud-pubsub-emulator"
        PACKAGE="google-cloud-cli-pubsub-emulator (or: gcloud components install pubsub-emulator)"
        ;;
    *)
        echo "usage: $0 firestore|pubsub start|stop|reset" >&2
        exit 2
        ;;
esac
setting() { local name="${VAR}_EMULATOR_$1"; echo "${!name:-$2}"; }
PORT="$(setting PORT "$DEFAULT_PORT")"
DIR="$(setting DIR "${TMPDIR:-/tmp}/$KIND-emulator")"
TIMEOUT="$(setting TIMEOUT 120)"
PROJECT="${FIRESTORE_EMULATOR_PROJECT:-jeevibe-test}"
PIDFILE="$DIR/emulator.pid"
LOG="$DIR/emulator.log"
HOST="127.0.0.1:$PORT"

find_emulator() {
    local candidates=(
        "/usr/lib/google-cloud-sdk/platform/$COMPONENT"
        "/usr/share/google-cloud-sdk/platform/$COMPONENT"
    )
    if command -v gcloud >/dev/null 2>&1; then
        local root
        root="$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)"
        [ -n "$root" ] && candidates=("$root/platform/$COMPONENT" "${candidates[@]}")
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
        echo "$KIND emulator already running (pid $(cat "$PIDFILE"))" >&2
        echo "export ${VAR}_EMULATOR_HOST=$HOST"
        return 0
    fi
    if ! command -v java >/dev/null 2>&1; then
        echo "java not found: install a JRE >= 11 (apt-get install openjdk-17-jre-headless)" >&2
        return 1
    fi
    local emulator
    if ! emulator="$(find_emulator)"; then
        echo "$KIND emulator not found: install $PACKAGE" >&2
        return 1
    fi
    # setsid: the emulator gets its own process group, so `stop` ends the launcher and the JVM.
    if [ "$KIND" = firestore ]; then
        setsid "$emulator" start --host=127.0.0.1 --port="$PORT" --project_id="$PROJECT" >"$LOG" 2>&1 </dev/null &
    else
        # What `gcloud beta emulators pubsub start --host-port=$HOST` runs, called directly.
        setsid "$emulator" --host=127.0.0.1 --port="$PORT" >"$LOG" 2>&1 </dev/null &
    fi
    echo $! >"$PIDFILE"
    local waited=0
    until [ "$(curl -s --max-time 2 "http://$HOST/" 2>/dev/null || true)" = "Ok" ]; do
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "$KIND emulator exited; log ($LOG):" >&2
            cat "$LOG" >&2
            rm -f "$PIDFILE"
            return 1
        fi
        if [ "$waited" -ge "$TIMEOUT" ]; then
            echo "$KIND emulator did not answer on http://$HOST/ within ${TIMEOUT}s; log ($LOG):" >&2
            cat "$LOG" >&2
            stop >&2 || true
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    echo "$KIND emulator up on $HOST after ${waited}s (pid $(cat "$PIDFILE"), log $LOG)" >&2
    echo "export ${VAR}_EMULATOR_HOST=$HOST"
}

stop() {
    if [ ! -f "$PIDFILE" ]; then
        echo "$KIND emulator not running (no $PIDFILE)" >&2
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
    echo "$KIND emulator stopped" >&2
}

reset() {
    [ "$KIND" = firestore ] || { echo "reset is for the Firestore emulator" >&2; return 2; }
    curl -sf -X DELETE "http://$HOST/emulator/v1/projects/$PROJECT/databases/(default)/documents" >/dev/null
    echo "firestore emulator reset ($PROJECT)" >&2
}

case "${2:-}" in
    start) start ;;
    stop) stop ;;
    reset) reset ;;
    *)
        echo "usage: $0 firestore|pubsub start|stop|reset" >&2
        exit 2
        ;;
esac
