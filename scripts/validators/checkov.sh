#!/usr/bin/env bash
# Runs checkov's Kubernetes checks on rendered manifests (or, with --bicep, its
# Bicep checks on deploy/azure/) and fails on any failed check that the skip
# list (scripts/validators/checkov-skips.txt, with --bicep
# checkov-bicep-skips.txt) does not skip.
#
#   scripts/validators/checkov.sh FILE_OR_DIR...
#   scripts/validators/checkov.sh --bicep DIR...
#
# Every check runs; failures of skip-listed ids are shown as "skip" with the
# reason, so the skip list stays visible. Skips are documented in
# docs/checkov.md. Offline: no download from or upload to any checkov/Prisma
# service (--skip-download, --skip-results-upload, BC_SKIP_MAPPING).
# Exit: 0 clean, 1 findings, 2 usage/setup error.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SKIPS="${VALIDATORS_DIR}/checkov-skips.txt"
FRAMEWORK=kubernetes
if [[ "${1:-}" == "--bicep" ]]; then
    SKIPS="${VALIDATORS_DIR}/checkov-bicep-skips.txt"
    FRAMEWORK=bicep
    shift
fi

if [[ $# -eq 0 || "$1" == "-h" || "$1" == "--help" ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
fi

require_venv
[[ -f "${SKIPS}" ]] || die "missing skip list ${SKIPS}"

# checkov ignores -f when -d is also given, so files and directories are
# scanned in separate runs and the reports merged.
files=()
dirs=()
for p in "$@"; do
    if [[ -d "${p}" ]]; then
        dirs+=(-d "${p}")
    elif [[ -f "${p}" && -r "${p}" ]]; then
        files+=(-f "${p}")
    else
        die "${p}: not a readable file or directory"
    fi
done

workdir="$(mktemp -d "${TMPDIR:-/tmp}/neo4j-aks-checkov.XXXXXX")"
trap 'rm -rf -- "${workdir}"' EXIT

# No Prisma Cloud: never pick up an API key from the environment (that would
# upload results), never fetch guidelines or check metadata.
unset BC_API_KEY PRISMA_API_URL
export BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=TRUE CKV_CACHE_DIR="${workdir}/cache"

reports=()
run_checkov() { # NAME ARGS...: one checkov run, JSON report to ${workdir}/NAME.json
    local name="$1" rc=0
    shift
    "${NEO4J_AKS_VENV}/bin/checkov" --framework "${FRAMEWORK}" "$@" \
        --skip-download --skip-results-upload --compact -o json \
        >"${workdir}/${name}.json" 2>"${workdir}/${name}.stderr" || rc=$?
    # checkov exits 1 when a check fails; anything else is a crash.
    if [[ ${rc} -ne 0 && ${rc} -ne 1 ]]; then
        cat "${workdir}/${name}.stderr" >&2
        die "checkov crashed (exit ${rc})"
    fi
    reports+=(--report "${workdir}/${name}.json")
}
if [[ ${#files[@]} -gt 0 ]]; then run_checkov files "${files[@]}"; fi
if [[ ${#dirs[@]} -gt 0 ]]; then run_checkov dirs "${dirs[@]}"; fi

report_rc=0
"${VENV_PYTHON}" "${VALIDATORS_DIR}/checkov_report.py" \
    --framework "${FRAMEWORK}" --skips "${SKIPS}" "${reports[@]}" -- "$@" || report_rc=$?
if [[ ${report_rc} -eq 2 ]]; then
    cat "${workdir}"/*.stderr >&2
fi
exit "${report_rc}"
