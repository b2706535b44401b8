# shellcheck shell=bash
# Shared helpers for the neo4j-aks manifest validators. Sourced, not executed.

# Directory holding this file (scripts/validators).
VALIDATORS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The virtualenv the validators run from; created by install.sh.
NEO4J_AKS_VENV="${NEO4J_AKS_VENV:-${HOME}/.cache/neo4j-aks/venv}"
# Absolute, so scripts that change directory still find it.
[[ "${NEO4J_AKS_VENV}" == /* ]] || NEO4J_AKS_VENV="${PWD}/${NEO4J_AKS_VENV}"
VENV_PYTHON="${NEO4J_AKS_VENV}/bin/python"
REQUIREMENTS="${VALIDATORS_DIR}/requirements.txt"
STAMP="${NEO4J_AKS_VENV}/.neo4j-aks-requirements.sha256"

die() {
    printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2
    exit 2
}

# Content hash of what the venv must hold: the requirements file plus the
# interpreter's version, so a Python upgrade rebuilds the venv.
requirements_digest() {
    local py="$1"
    {
        cat "${REQUIREMENTS}"
        "${py}" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
}

# Fails with a clear message unless install.sh has set up the venv for the
# current requirements.txt. Never installs anything itself: validation must
# work offline and must not silently change tool versions.
require_venv() {
    if [[ ! -x "${VENV_PYTHON}" ]]; then
        die "no validator virtualenv at ${NEO4J_AKS_VENV}; run scripts/validators/install.sh first"
    fi
    if [[ ! -f "${STAMP}" ]] || [[ "$(cat "${STAMP}")" != "$(requirements_digest "${VENV_PYTHON}")" ]]; then
        die "validator virtualenv ${NEO4J_AKS_VENV} is out of date with scripts/validators/requirements.txt; run scripts/validators/install.sh"
    fi
}
