#!/usr/bin/env bash
# CI entry point for the testenv tier: start the local control plane, run the testkit tests with
# the testenv required (a missing testenv fails instead of skipping), always tear it down.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

trap 'testenv/testenv.sh down' EXIT
t0=$(date +%s)
testenv/testenv.sh up
t_up=$(date +%s)
eval "$(testenv/testenv.sh env)"
export KUBECONFIG
NEO4J_AKS_REQUIRE_TESTENV=1 cargo test -p neo4j-aks-testkit --all-targets --no-fail-fast
t_end=$(date +%s)
echo "testenv ci: up $((t_up - t0))s, tests $((t_end - t_up))s, total $((t_end - t0))s" >&2
