#!/usr/bin/env bash
# Deploys JEEVibe functions to Cloud Run (asia-south1) from one image, and the pieces around
# them: the Pub/Sub job topic with its push subscription, the sweep job and its Cloud
# Scheduler trigger. Called by cloudbuild.yaml; runnable by hand with the same variables.
#
#   deploy/gcp/deploy.sh IMAGE FUNCTION...       # FUNCTION = a functions/<name> directory name
#   DRY_RUN=1 deploy/gcp/deploy.sh IMAGE ...     # print the gcloud commands instead of running them
#
# Environment:
#   PROJECT_ID            GCP project (Firestore, Pub/Sub, Cloud Run)          required
#   FIREBASE_PROJECT_ID   project whose ID tokens are accepted                  default PROJECT_ID
#   REGION                Cloud Run / Scheduler region                          default asia-south1
#   SNAP_IMAGES_BUCKET    GCS bucket for snap images                            default PROJECT_ID-snap-images
#   RUN_SA                service account the services run as                   default jeevibe-run@PROJECT_ID.iam.gserviceaccount.com
#   INVOKER_SA            service account for Pub/Sub pushes and Scheduler      default jeevibe-invoker@PROJECT_ID.iam.gserviceaccount.com
#   JOBS_PUSH_PATH        route of snap-solve receiving Pub/Sub pushes          default /internal/jobs/pubsub
#
# Adding a function: one line in `settings` below (and its extra flags in `extra_flags`).
set -euo pipefail

IMAGE="${1:?usage: deploy.sh IMAGE FUNCTION...}"
shift
: "${PROJECT_ID:?PROJECT_ID is required}"
FIREBASE_PROJECT_ID="${FIREBASE_PROJECT_ID:-$PROJECT_ID}"
REGION="${REGION:-asia-south1}"
SNAP_IMAGES_BUCKET="${SNAP_IMAGES_BUCKET:-$PROJECT_ID-snap-images}"
RUN_SA="${RUN_SA:-jeevibe-run@$PROJECT_ID.iam.gserviceaccount.com}"
INVOKER_SA="${INVOKER_SA:-jeevibe-invoker@$PROJECT_ID.iam.gserviceaccount.com}"
JOBS_PUSH_PATH="${JOBS_PUSH_PATH:-/internal/jobs/pubsub}"
TOPIC="jeevibe-jobs"
DEAD_TOPIC="jeevibe-jobs-dead"

run() {
    if [ -n "${DRY_RUN:-}" ]; then
        printf '%q ' "$@"
        printf '\n'
    else
        "$@"
    fi
}

# True when the gcloud resource exists (`exists pubsub topics describe NAME ...`); false in a
# dry run, which therefore prints the `create` commands.
exists() {
    [ -z "${DRY_RUN:-}" ] && gcloud "$@" >/dev/null 2>&1
}

# function -> binary, memory, CPU, concurrency, request timeout (s), max instances.
# Memory/CPU: docs/deploy.md ("Sizing"). Concurrency: requests wait on Firestore and the AI
# providers, not on CPU; tutor-chat holds one SSE stream per request for up to its timeout.
settings() {
    case "$1" in
        quiz-generate) echo "quiz-generate 512Mi 1 80 30 20" ;;
        quiz-complete) echo "quiz-complete 512Mi 1 80 30 20" ;;
        snap-solve) echo "snap-solve 1Gi 1 40 60 10" ;;
        tutor-chat) echo "tutor-chat 512Mi 1 80 300 10" ;;
        snapshot-fanout) echo "snapshot-fanout 1Gi 1 10 900 20" ;;
        all-in-one) echo "jeevibe - - - - -" ;; # the sweep job (below), not a service
        *) return 1 ;;
    esac
}

extra_flags() {
    case "$1" in
        snap-solve) echo "--set-secrets=GEMINI_API_KEY=gemini-api-key:latest" ;;
        tutor-chat) echo "--set-secrets=OPENAI_API_KEY=openai-api-key:latest" ;;
    esac
}

ENV_VARS="JEEVIBE_STORE=firestore,FIRESTORE_PROJECT_ID=$PROJECT_ID,FIREBASE_PROJECT_ID=$FIREBASE_PROJECT_ID"
ENV_VARS+=",SNAP_IMAGES_URL=gs://$SNAP_IMAGES_BUCKET/snaps,JOB_QUEUE=pubsub"
ENV_VARS+=",JOB_QUEUE_TOPIC=projects/$PROJECT_ID/topics/$TOPIC,LOG_FORMAT=json"
# Pub/Sub push requests carry an OIDC token of INVOKER_SA for this audience; the app's
# POST /internal/jobs/pubsub accepts nothing else (shared/src/http/jobs_push.rs).
PUSH_AUDIENCE="${PUSH_AUDIENCE:-jeevibe-jobs-push}"
ENV_VARS+=",PUSH_AUDIENCE=$PUSH_AUDIENCE,PUSH_SERVICE_ACCOUNT=$INVOKER_SA"

deploy_service() {
    local fn="$1" bin mem cpu conc timeout max
    read -r bin mem cpu conc timeout max <<<"$(settings "$fn")"
    # shellcheck disable=SC2046
    run gcloud run deploy "jeevibe-$fn" \
        --project="$PROJECT_ID" --region="$REGION" --image="$IMAGE" \
        --command="/usr/local/bin/$bin" \
        --service-account="$RUN_SA" \
        --min-instances=0 --max-instances="$max" \
        --concurrency="$conc" --cpu="$cpu" --memory="$mem" --timeout="$timeout" \
        --cpu-boost --execution-environment=gen2 \
        --allow-unauthenticated \
        --set-env-vars="$ENV_VARS" \
        $(extra_flags "$fn")
}

deploy_sweep() {
    # `jeevibe sweep` as a Cloud Run job, started daily at 03:00 IST by Cloud Scheduler.
    run gcloud run jobs deploy jeevibe-sweep \
        --project="$PROJECT_ID" --region="$REGION" --image="$IMAGE" \
        --command=/usr/local/bin/jeevibe --args=sweep \
        --service-account="$RUN_SA" --memory=512Mi --cpu=1 --task-timeout=3600 --max-retries=1 \
        --set-env-vars="$ENV_VARS"
    local verb=create
    exists scheduler jobs describe jeevibe-sweep --project="$PROJECT_ID" --location="$REGION" && verb=update
    run gcloud scheduler jobs "$verb" http jeevibe-sweep --project="$PROJECT_ID" --location="$REGION" \
        --schedule="30 3 * * *" --time-zone=Asia/Kolkata --http-method=POST \
        --uri="https://run.googleapis.com/v2/projects/$PROJECT_ID/locations/$REGION/jobs/jeevibe-sweep:run" \
        --oauth-service-account-email="$INVOKER_SA"
}

deploy_jobs_topic() {
    # The job topic, its dead-letter topic, and the push subscription to snap-solve (an OIDC
    # token of INVOKER_SA with audience PUSH_AUDIENCE; 5 attempts, then dead-letter).
    local url
    if [ -n "${DRY_RUN:-}" ]; then
        url="https://jeevibe-snap-solve.example.run.app"
    else
        url="$(gcloud run services describe jeevibe-snap-solve --project="$PROJECT_ID" --region="$REGION" --format='value(status.url)')"
    fi
    local t
    for t in "$TOPIC" "$DEAD_TOPIC"; do
        exists pubsub topics describe "$t" --project="$PROJECT_ID" ||
            run gcloud pubsub topics create "$t" --project="$PROJECT_ID"
    done
    local push=(--push-endpoint="$url$JOBS_PUSH_PATH" --push-auth-service-account="$INVOKER_SA"
        --push-auth-token-audience="$PUSH_AUDIENCE" --ack-deadline=600 --dead-letter-topic="$DEAD_TOPIC"
        --max-delivery-attempts=5 --min-retry-delay=10s --max-retry-delay=600s)
    if exists pubsub subscriptions describe jeevibe-jobs-push --project="$PROJECT_ID"; then
        run gcloud pubsub subscriptions update jeevibe-jobs-push --project="$PROJECT_ID" "${push[@]}"
    else
        run gcloud pubsub subscriptions create jeevibe-jobs-push --project="$PROJECT_ID" --topic="$TOPIC" "${push[@]}"
    fi
}

deploy_fanout_schedule() {
    # The weekly snapshot: Cloud Scheduler POSTs /internal/snapshots/run with an OIDC token of
    # INVOKER_SA for PUSH_AUDIENCE (the route verifies both), Mondays 01:00 IST.
    local url
    if [ -n "${DRY_RUN:-}" ]; then
        url="https://jeevibe-snapshot-fanout.example.run.app"
    else
        url="$(gcloud run services describe jeevibe-snapshot-fanout --project="$PROJECT_ID" --region="$REGION" --format='value(status.url)')"
    fi
    local verb=create
    exists scheduler jobs describe jeevibe-snapshot-fanout --project="$PROJECT_ID" --location="$REGION" && verb=update
    run gcloud scheduler jobs "$verb" http jeevibe-snapshot-fanout --project="$PROJECT_ID" --location="$REGION" \
        --schedule="0 1 * * 1" --time-zone=Asia/Kolkata --http-method=POST --uri="$url/internal/snapshots/run" \
        --message-body='{}' --headers=Content-Type=application/json \
        --oidc-service-account-email="$INVOKER_SA" --oidc-token-audience="$PUSH_AUDIENCE"
}

if [ "$#" -eq 0 ]; then
    echo "deploy.sh: no function changed; nothing to deploy" >&2
    exit 0
fi
for fn in "$@"; do
    if ! settings "$fn" >/dev/null; then
        echo "deploy.sh: unknown function $fn (add it to settings in $0)" >&2
        exit 2
    fi
done
for fn in "$@"; do
    case "$fn" in
        all-in-one) deploy_sweep ;;
        *) deploy_service "$fn" ;;
    esac
    if [ "$fn" = snap-solve ]; then deploy_jobs_topic; fi
    if [ "$fn" = snapshot-fanout ]; then deploy_fanout_schedule; fi
done
