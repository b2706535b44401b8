#!/usr/bin/env bash
# Validates rendered Kubernetes manifests against the strict OpenAPI-derived
# JSON schemas of every Kubernetes minor version we support on AKS, using the
# schemas bundled in the pinned kubernetes-validate package (no network).
#
#   scripts/validators/kubernetes-validate.sh FILE...
#
# FILE: multi-document YAML. Every document is checked on every version; a
# failure names the file, document number, start line, object and version.
# Built-in kinds are always checked (an apiVersion a version does not serve is
# a failure). Custom resources (Neo4jCluster, ServiceMonitor, ...) have no
# bundled schema: they are reported as SKIP, never silently passed.
#
# Versions: NEO4J_AKS_K8S_VERSIONS (space separated minors) overrides the
# default list below. Exit: 0 valid, 1 invalid, 2 usage/setup error.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Kubernetes minors AKS offers (GA, preview and LTS) that we render for. The
# pinned kubernetes-validate ships schemas for 1.25 to 1.37; a version it does
# not ship is an error, not a silent fallback.
DEFAULT_K8S_VERSIONS="1.30 1.31 1.32 1.33 1.34 1.35 1.36 1.37"
K8S_VERSIONS="${NEO4J_AKS_K8S_VERSIONS:-${DEFAULT_K8S_VERSIONS}}"

if [[ $# -eq 0 || "$1" == "-h" || "$1" == "--help" ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
fi

require_venv

for f in "$@"; do
    [[ -f "${f}" && -r "${f}" ]] || die "${f}: not a readable file"
done

exec "${VENV_PYTHON}" "${VALIDATORS_DIR}/kubernetes_validate_docs.py" --versions "${K8S_VERSIONS}" -- "$@"
