#!/usr/bin/env bash
# Renders every examples/*.yaml with the neo4j-aks CLI and runs both manifest
# validators (kubernetes-validate.sh, checkov.sh) on the output.
#
#   scripts/validators/validate-examples.sh [EXAMPLE.yaml...]
#
# Needs the virtualenv from install.sh and a buildable workspace; renders with
# `cargo run -q -p neo4j-aks -- render -f EXAMPLE` (override the command with
# NEO4J_AKS_RENDER, e.g. NEO4J_AKS_RENDER="target/release/neo4j-aks render -f").
# Rendered files go to a temp dir removed on exit, or are kept in
# NEO4J_AKS_RENDER_DIR when that is set.
# Exit: 0 all examples render and validate, 1 otherwise, 2 setup error.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPO_ROOT="$(cd "${VALIDATORS_DIR}/../.." && pwd)"
cd "${REPO_ROOT}"
require_venv

read -r -a render_cmd <<<"${NEO4J_AKS_RENDER:-cargo run -q -p neo4j-aks -- render -f}"
if [[ -n "${NEO4J_AKS_RENDER_DIR:-}" ]]; then
    out_dir="${NEO4J_AKS_RENDER_DIR}"
    mkdir -p "${out_dir}"
else
    out_dir="$(mktemp -d "${TMPDIR:-/tmp}/neo4j-aks-examples.XXXXXX")"
    trap 'rm -rf -- "${out_dir}"' EXIT
fi

if [[ $# -gt 0 ]]; then
    examples=("$@")
else
    shopt -s nullglob
    examples=(examples/*.yaml examples/*.yml)
    shopt -u nullglob
fi
[[ ${#examples[@]} -gt 0 ]] || die "no examples/*.yaml to validate"

rc=0
rendered=()
for example in "${examples[@]}"; do
    out="${out_dir}/$(basename "${example%.*}").rendered.yaml"
    if "${render_cmd[@]}" "${example}" >"${out}"; then
        rendered+=("${out}")
        echo "rendered ${example} -> ${out}"
    else
        echo "FAIL ${example}: render failed (${render_cmd[*]} ${example})"
        rc=1
    fi
done
[[ ${#rendered[@]} -gt 0 ]] || exit 1

echo
"${VALIDATORS_DIR}/kubernetes-validate.sh" "${rendered[@]}" || rc=1
echo
"${VALIDATORS_DIR}/checkov.sh" "${rendered[@]}" || rc=1
exit "${rc}"
