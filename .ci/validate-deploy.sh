#!/usr/bin/env bash
# Offline validation of the deployment files (template.yaml, samconfig.toml, cloudbuild.yaml,
# Dockerfile's binaries, firestore.rules / firestore.indexes.json, deploy/). No cloud account,
# no credentials, no network beyond PyPI for the first tool install.
#
#   .ci/validate-deploy.sh              # everything (`make validate`)
#   SKIP_LAMBDA_BUILD=1 .ci/validate-deploy.sh   # all but the arm64 cargo-lambda build
#   LAMBDA_BUILD_ONLY="quiz-generate"   # build only these binaries (default: every workspace binary)
#
# Steps: (1) tools into virtualenvs under $JEEVIBE_TOOLS_DIR (default ~/.cache/jeevibe):
# aws-sam-cli, cfn-lint, cargo-lambda, ziglang in one, check-jsonschema in another (it needs a
# newer click than aws-sam-cli allows); (2) the deploy scripts' own tests; (3) sam validate
# --lint, cfn-lint, check-jsonschema (vendor.cloudbuild), deploy/check_template.py;
# (4) firestore.rules against the Firestore emulator; (5) `cargo lambda build --release
# --arm64` of the function binaries, with their stripped sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="${JEEVIBE_TOOLS_DIR:-$HOME/.cache/jeevibe}"
DEPLOY_VENV="$TOOLS/deploy-venv"
SCHEMA_VENV="$TOOLS/schema-venv"
export SAM_CLI_TELEMETRY=0

step() { printf '\n== deploy: %s ==\n' "$*"; }
elapsed() { echo "$(($(date +%s) - $1))s"; }

venv() { # venv DIR "EXECUTABLES" PACKAGE... : create / install when an executable is missing
    local dir="$1" probes="$2" p missing=""
    shift 2
    for p in $probes; do [ -x "$dir/bin/$p" ] || missing=1; done
    if [ -n "$missing" ]; then
        local t0
        t0=$(date +%s)
        [ -x "$dir/bin/pip" ] || python3 -m venv "$dir"
        "$dir/bin/pip" install -q --disable-pip-version-check "$@"
        echo "installed $* into $dir in $(elapsed "$t0")"
    fi
}

step "tools"
venv "$DEPLOY_VENV" "sam cfn-lint cargo-lambda python-zig" aws-sam-cli cfn-lint cargo-lambda ziglang
venv "$SCHEMA_VENV" check-jsonschema check-jsonschema
export PATH="$DEPLOY_VENV/bin:$PATH"
echo "$(sam --version); cfn-lint $(cfn-lint --version); $(cargo lambda --version); $("$SCHEMA_VENV/bin/check-jsonschema" --version)"

step "deploy script tests (changed-functions fixtures, GCP deploy dry runs, template checker)"
"$DEPLOY_VENV/bin/python" -m unittest discover -s deploy/tests -p 'test_[cg]*.py'

step "sam validate --lint"
sam validate --lint --template template.yaml --region ap-south-1

step "cfn-lint template.yaml"
cfn-lint template.yaml && echo "cfn-lint: no findings"

step "check-jsonschema --builtin-schema vendor.cloudbuild cloudbuild.yaml"
"$SCHEMA_VENV/bin/check-jsonschema" --builtin-schema vendor.cloudbuild cloudbuild.yaml
"$SCHEMA_VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/deploy.yml
python3 -m json.tool firestore.indexes.json >/dev/null && python3 -m json.tool firebase.json >/dev/null &&
    echo "firestore.indexes.json, firebase.json: valid JSON"

step "deploy/check_template.py (runtime, arm64, binaries, references, secrets)"
"$DEPLOY_VENV/bin/python" deploy/check_template.py --template template.yaml --root .

step "firestore.rules on the Firestore emulator"
if command -v gcloud >/dev/null && command -v java >/dev/null; then
    # Its own emulator (port and directory), so it never meets the one `make test` runs.
    export FIRESTORE_EMULATOR_PORT="${DEPLOY_EMULATOR_PORT:-8687}" FIRESTORE_EMULATOR_DIR="${TMPDIR:-/tmp}/firestore-emulator-deploy"
    eval "$(.ci/firestore-emulator.sh start)"
    trap '.ci/firestore-emulator.sh stop' EXIT
    python3 -m unittest -v deploy/tests/test_firestore_rules.py
    .ci/firestore-emulator.sh stop
    trap - EXIT
else
    echo "SKIPPED: gcloud (with the Firestore emulator) and java are needed for the rules test" >&2
fi

step "cargo lambda build --release --arm64"
if [ -n "${SKIP_LAMBDA_BUILD:-}" ]; then
    echo "SKIPPED (SKIP_LAMBDA_BUILD is set)"
elif ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    # cargo-lambda would download the target's standard library with rustup; CI must not
    # fetch toolchains, so the build is skipped (and said so) where the target is missing.
    echo "SKIPPED: the aarch64-unknown-linux-gnu standard library is not installed" >&2
    echo "(install it where toolchains can be downloaded: rustup target add aarch64-unknown-linux-gnu)" >&2
else
    # In CI only `jeevibe` (the all-in-one binary) by default: it compiles every function's
    # code and every dependency for aarch64, which is nearly all of the work; the other links
    # would add minutes to a CI run that already builds the workspace once (docs/deploy.md).
    only="${LAMBDA_BUILD_ONLY:-}"
    if [ -z "$only" ] && [ -n "${CI:-}" ]; then only=jeevibe; fi
    bins=()
    for b in $only; do bins+=(--bin "$b"); done
    t0=$(date +%s)
    cargo lambda build --release --arm64 "${bins[@]}"
    echo "cargo lambda build: $(elapsed "$t0")"
    # Each binary: aarch64, and no glibc symbol newer than provided.al2023's glibc 2.34.
    printf '%-16s %14s %10s %s\n' binary "stripped bytes" machine "newest glibc symbol"
    bad=0
    for f in "${CARGO_TARGET_DIR:-target}"/lambda/*/bootstrap; do
        [ -z "$only" ] || [[ " $only " == *" $(basename "$(dirname "$f")") "* ]] || continue
        machine=$(readelf -h "$f" | awk -F: '/Machine/ {gsub(/^ +/, "", $2); print $2}')
        glibc=$(readelf -V "$f" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -n 1)
        printf '%-16s %14s %10s %s\n' "$(basename "$(dirname "$f")")" "$(stat -c %s "$f")" "$machine" "$glibc"
        [ "$machine" = AArch64 ] || { echo "error: $f is not an aarch64 binary" >&2; bad=1; }
        [ "$(printf '%s\nGLIBC_2.34\n' "$glibc" | sort -V | tail -n 1)" = GLIBC_2.34 ] ||
            { echo "error: $f needs $glibc, newer than provided.al2023's 2.34" >&2; bad=1; }
    done
    [ "$bad" = 0 ]
fi
echo
echo "deploy validation: all checks passed"
