#!/usr/bin/env bash
# Google's Cloud Firestore emulator for the store conformance tests and `make test`:
#   eval "$(.ci/firestore-emulator.sh start)"   # exports FIRESTORE_EMULATOR_HOST=127.0.0.1:8686
#   .ci/firestore-emulator.sh stop | reset
# Settings and requirements: see .ci/gcloud-emulator.sh.
exec "$(dirname "$0")/gcloud-emulator.sh" firestore "$@"
