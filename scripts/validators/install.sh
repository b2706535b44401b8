#!/usr/bin/env bash
# Creates or updates the Python virtualenv that runs the manifest validators
# (kubernetes-validate, checkov), with the exact versions pinned in
# scripts/validators/requirements.txt.
#
#   scripts/validators/install.sh
#
# Location: ${NEO4J_AKS_VENV:-$HOME/.cache/neo4j-aks/venv} (outside the repo).
# Interpreter: ${PYTHON:-python3} from PATH, Python >= 3.9.
# Idempotent: when the venv already matches requirements.txt and the
# interpreter, it only says so and exits (well under a second).
# Needs network access to PyPI only when it actually installs.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PYTHON="${PYTHON:-python3}"

command -v "${PYTHON}" >/dev/null 2>&1 || die "${PYTHON} not found on PATH (set PYTHON=/path/to/python3)"
"${PYTHON}" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' \
    || die "$("${PYTHON}" --version 2>&1) is too old: the validators need Python >= 3.9"
"${PYTHON}" -c 'import venv, ensurepip' 2>/dev/null \
    || die "${PYTHON} lacks the venv/ensurepip modules (on Debian: apt-get install python3-venv)"
[[ -f "${REQUIREMENTS}" ]] || die "missing ${REQUIREMENTS}"

# Fast path: venv exists, was built from this requirements.txt by this interpreter.
if [[ -x "${VENV_PYTHON}" && -f "${STAMP}" ]] \
    && [[ "$(cat "${STAMP}")" == "$(requirements_digest "${VENV_PYTHON}")" ]] \
    && [[ "$("${VENV_PYTHON}" -c 'import sys; print(sys.version)')" == "$("${PYTHON}" -c 'import sys; print(sys.version)')" ]]; then
    echo "validators: virtualenv ${NEO4J_AKS_VENV} is up to date, nothing to do"
    exit 0
fi

mkdir -p "$(dirname "${NEO4J_AKS_VENV}")"

# Serialise concurrent runs (e.g. two CI steps) on the same venv.
exec 9>"${NEO4J_AKS_VENV}.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

if [[ -x "${VENV_PYTHON}" ]] && "${VENV_PYTHON}" -c 'import sys' 2>/dev/null \
    && [[ "$("${VENV_PYTHON}" -c 'import sys; print(sys.version)')" == "$("${PYTHON}" -c 'import sys; print(sys.version)')" ]]; then
    echo "validators: updating virtualenv ${NEO4J_AKS_VENV}"
else
    if [[ -e "${NEO4J_AKS_VENV}" ]]; then
        echo "validators: virtualenv ${NEO4J_AKS_VENV} is broken or built by another Python; recreating it"
        rm -rf -- "${NEO4J_AKS_VENV}"
    fi
    echo "validators: creating virtualenv ${NEO4J_AKS_VENV} with $("${PYTHON}" --version 2>&1)"
    "${PYTHON}" -m venv "${NEO4J_AKS_VENV}"
fi
rm -f -- "${STAMP}"

echo "validators: installing pinned packages from ${REQUIREMENTS#"$(pwd)/"}"
"${VENV_PYTHON}" -m pip install --quiet --disable-pip-version-check --no-input \
    -r "${REQUIREMENTS}" \
    || die "pip could not install ${REQUIREMENTS} into ${NEO4J_AKS_VENV} (is PyPI reachable?)"
"${VENV_PYTHON}" -m pip check --disable-pip-version-check >/dev/null \
    || die "pip check reports broken dependencies in ${NEO4J_AKS_VENV}"

requirements_digest "${VENV_PYTHON}" >"${STAMP}"
echo "validators: installed $("${NEO4J_AKS_VENV}/bin/kubernetes-validate" --version | sed 's/^/kubernetes-validate /'), checkov $("${NEO4J_AKS_VENV}/bin/checkov" --version)"
