#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this and nothing else).
#
#   scripts/test-all.sh
#
# 1. format and lint gates (cargo fmt --check, cargo clippy -D warnings);
# 2. installs the Python manifest validators (kubernetes-validate, checkov) into a venv;
# 3. builds (once, cached in ~/.cache/neo4j-aks) and starts the local Kubernetes control plane;
# 4. runs every Rust test with the validators and the control plane required, so a missing
#    peer fails the run instead of skipping;
# 5. stops the control plane, also when a step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s (%s)\n' "$*" "$(date +%H:%M:%S)"; }
started=$(date +%s)

step "format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "test tools"
# BusyBox runs the SRV init container's script in tests, as the rendered init image does.
if ! command -v busybox >/dev/null 2>&1; then
    apt-get install -y busybox >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y busybox >/dev/null; }
fi

step "manifest validators"
scripts/validators/install.sh

step "local Kubernetes control plane"
trap 'testenv/testenv.sh down' EXIT
testenv/testenv.sh up
eval "$(testenv/testenv.sh env)"
export KUBECONFIG

step "tests"
# Snapshots never update themselves in a test run; a changed render must be reviewed.
export INSTA_UPDATE=no
export NEO4J_AKS_REQUIRE_TESTENV=1 NEO4J_AKS_REQUIRE_VALIDATORS=1
cargo test --workspace --all-targets --locked

printf '\ntest-all: finished in %ss\n' "$(( $(date +%s) - started ))"
