#!/usr/bin/env bash
# Google's Cloud Pub/Sub emulator for the job-queue tests (shared/tests/jobs.rs and
# pubsub_push.rs start it through this script when PUBSUB_EMULATOR_HOST is not set):
#   eval "$(.ci/pubsub-emulator.sh start)"   # exports PUBSUB_EMULATOR_HOST=127.0.0.1:8685
#   .ci/pubsub-emulator.sh stop
# Settings and requirements: see .ci/gcloud-emulator.sh.
exec "$(dirname "$0")/gcloud-emulator.sh" pubsub "$@"
