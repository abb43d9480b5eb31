# JEEVibe backend. `make dev` runs everything locally; `make test` runs every test.
SHELL := /bin/bash
CARGO ?= cargo
USER_ID ?= alice
TIER ?= free
PORT ?= 8080
DEV_ENV := JEEVIBE_LISTEN_IP=127.0.0.1 JEEVIBE_DEV_KEYS_DIR=.dev/keys JEEVIBE_SQLITE_PATH=.dev/jeevibe.db JEEVIBE_SEED_FILE=data/questions.sample.jsonl PORT=$(PORT)

.PHONY: dev build token test test-rust lint fmt bench bench-criterion bench-icount bench-load bench-catsim bench-cold-start import lambda-watch fake-ai sweep snapshot openapi contract-test clean

## dev: build and start the all-in-one server on :$(PORT) (SQLite in .dev/, sample bank, local signing key)
dev: build-local
	@echo "JEEVibe on http://localhost:$(PORT)  (store: $${JEEVIBE_STORE:-sqlite .dev/jeevibe.db}, sample bank, dev keys in .dev/keys)"
	@echo "Mint a token in another terminal:  make token USER_ID=alice TIER=free"
	$(DEV_ENV) $(CARGO) run -q -p all-in-one --bin jeevibe -- serve

build-local:
	$(CARGO) build -p all-in-one --bin jeevibe

## token: print an ID token for USER_ID and TIER signed by the local dev key
token:
	@$(CARGO) run -q -p all-in-one --bin jeevibe -- mint-token --uid $(USER_ID) --tier $(TIER) --keys-dir .dev/keys

## test: every test; starts Google's Firestore emulator (when gcloud is installed) for the Firestore half
test:
	@if [ -z "$${FIRESTORE_EMULATOR_HOST:-}" ] && [ -x .ci/firestore-emulator.sh ] && command -v gcloud >/dev/null; then \
		eval "$$(.ci/firestore-emulator.sh start)" && trap '.ci/firestore-emulator.sh stop' EXIT && $(MAKE) --no-print-directory test-rust; \
	else \
		$(MAKE) --no-print-directory test-rust; \
	fi

test-rust:
	$(CARGO) test --workspace --features shared/testing
	@if [ -n "$${FIRESTORE_EMULATOR_HOST:-}" ]; then \
		echo "== API and cost tests again, on the Firestore emulator =="; \
		JEEVIBE_TEST_BACKEND=firestore $(CARGO) test -p quiz-generate -p quiz-complete -p snap-solve -p tutor-chat -p snapshot-fanout -p all-in-one --features shared/testing; \
	fi

## lint: formatting and clippy, as CI runs them
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets --features shared/testing -- -D warnings

fmt:
	$(CARGO) fmt --all

## bench: every table of docs/benchmarks.md: criterion wall time, instruction counts, the load run,
## the engine against catsim, and cold start / memory / binary sizes beside Node
bench: bench-criterion bench-icount bench-load bench-catsim bench-cold-start

## bench-criterion: criterion benchmarks (quiz assembly and the whole endpoint over an 8,000-question bank)
bench-criterion:
	$(CARGO) bench -p shared --bench quiz_assembly
	$(CARGO) bench -p quiz-generate --bench generate_endpoint
	python3 benches/criterion_summary.py $${CARGO_TARGET_DIR:-target}/criterion

## bench-icount: instruction counts under valgrind (gungraun): assembly, grading, θ update, one generate call
bench-icount:
	benches/icount.sh

## bench-load: release server (symbols kept for perf) on SQLite under wrk: generate, complete, progress (PERF=1: perf profiles)
bench-load:
	$(CARGO) rustc --release -p all-in-one --bin jeevibe -- -C strip=none
	benches/load/quiz_load.sh

RELEASE_DIR = $(or $(CARGO_TARGET_DIR),target)/release

## bench-catsim: `jeevibe simulate` beside catsim 0.21 (pip install catsim==0.21.0) on the same bank and examinees
bench-catsim:
	$(CARGO) build --release -p all-in-one --bin jeevibe
	python3 benches/catsim_compare.py --jeevibe $(RELEASE_DIR)/jeevibe

## bench-cold-start: start → first response of every function binary and Node (20 runs), memory, sizes
bench-cold-start:
	$(CARGO) build --release --bins -p quiz-generate -p quiz-complete -p snap-solve -p tutor-chat -p snapshot-fanout -p all-in-one
	python3 benches/cold_start.py --bin-dir $(RELEASE_DIR) --strace

## import: validate and load a JSONL bank into the dev database (FILE=path)
import:
	$(DEV_ENV) $(CARGO) run -q -p all-in-one --bin jeevibe -- import $(FILE)

## fake-ai: local stand-ins for Gemini (:8091) and OpenAI (:8092), for trying snaps and the tutor without keys
fake-ai:
	$(CARGO) run -q -p all-in-one --features shared/testing --example fake_providers

## sweep: delete snaps and tutor conversations past their retention from the dev database
sweep:
	$(DEV_ENV) $(CARGO) run -q -p all-in-one --bin jeevibe -- sweep

## snapshot: run the weekly progress snapshot of WEEK (e.g. 2026-W48; default the last complete IST week)
snapshot:
	$(DEV_ENV) $(CARGO) run -q -p all-in-one --bin jeevibe -- snapshot run $(if $(WEEK),--week $(WEEK),)

## openapi: regenerate docs/openapi.json from the code (what `GET /openapi.json` serves; a test compares them)
openapi:
	$(CARGO) run -q -p all-in-one --bin jeevibe -- openapi > docs/openapi.json

## contract-test: schemathesis against `jeevibe serve` (SQLite, sample bank, fake AI providers); after `make test`
contract-test:
	.ci/contract-test.sh

## lambda-watch: run the functions under `cargo lambda watch` (pip install cargo-lambda)
lambda-watch:
	JEEVIBE_DEV_KEYS_DIR=$(CURDIR)/.dev/keys JEEVIBE_SQLITE_PATH=$(CURDIR)/.dev/jeevibe.db JEEVIBE_SEED_FILE=$(CURDIR)/data/questions.sample.jsonl \
		cargo lambda watch

clean:
	rm -rf .dev
	$(CARGO) clean

# ---------------------------------------------------------------- deployment (README, "Deploy")
.PHONY: build-local validate deploy-aws deploy-gcp
AWS_ENV ?= default
STAGE ?= prod
FIREBASE_PROJECT_ID ?=
FIRESTORE_PROJECT_ID ?= $(FIREBASE_PROJECT_ID)
GCP_PROJECT ?= $(FIREBASE_PROJECT_ID)
FUNCTIONS ?= all

## build: every function binary for AWS Lambda (arm64, release, stripped) into target/lambda/<name>/bootstrap
build:
	cargo lambda build --release --arm64

## validate: every offline check of the deployment files (SAM, cfn-lint, Cloud Build schema, rules on the emulator, arm64 build)
validate:
	.ci/validate-deploy.sh

## deploy-aws: sam build + sam deploy (samconfig.toml; AWS_ENV=default|staging, STAGE=prod) FIREBASE_PROJECT_ID=...
deploy-aws:
	@test -n "$(FIREBASE_PROJECT_ID)" || { echo "set FIREBASE_PROJECT_ID=<your Firebase project>"; exit 2; }
	@test -f deploy/aws/gcp-credentials/gcp/credentials.json || { echo "missing deploy/aws/gcp-credentials/gcp/credentials.json (see deploy/aws/gcp-credentials/README.md)"; exit 2; }
	sam build --config-env $(AWS_ENV)
	sam deploy --config-env $(AWS_ENV) --parameter-overrides FirebaseProjectId=$(FIREBASE_PROJECT_ID) FirestoreProjectId=$(FIRESTORE_PROJECT_ID) StageName=$(STAGE)

## deploy-gcp: Cloud Build: image, Cloud Run services, jobs, Firestore (GCP_PROJECT=..., FUNCTIONS=all|"quiz-generate ...")
deploy-gcp:
	@test -n "$(GCP_PROJECT)" || { echo "set GCP_PROJECT=<project> (or FIREBASE_PROJECT_ID)"; exit 2; }
	gcloud builds submit --project $(GCP_PROJECT) --config cloudbuild.yaml \
		--substitutions=_FUNCTIONS="$(FUNCTIONS)",_FIREBASE_PROJECT=$(FIREBASE_PROJECT_ID) .
