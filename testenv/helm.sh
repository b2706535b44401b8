#!/usr/bin/env bash
# helm, built once from its Go module (helm.sh/helm/v4 on the Go module proxy) and cached, for the
# operator chart tests (`helm lint`, `helm template` on deploy/helm/neo4j-aks-operator).
#
#   testenv/helm.sh build   build helm unless the cached one is this version (idempotent)
#   testenv/helm.sh env     print `export NEO4J_AKS_HELM=…` (fails when not built)
#
# Same pattern as testenv/prometheus.sh: a throw-away build module (testenv/gomod/helm) pins the
# version; the binary lands in ~/.cache/neo4j-aks/helm/<version>/bin with a stamp.
set -euo pipefail

HELM_MODULE_VERSION=v4.3.2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NEO4J_AKS_HELM_CACHE:-$HOME/.cache/neo4j-aks/helm}
BIN=$CACHE/$HELM_MODULE_VERSION/bin

log() { printf '[helm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

build() {
	if [[ -x "$BIN/helm" && "$(cat "$BIN/.helm.version" 2>/dev/null)" == "$HELM_MODULE_VERSION" ]]; then
		return 0
	fi
	command -v go >/dev/null || die "go is required to build helm (install Go >= 1.26)"
	mkdir -p "$BIN"
	log "building helm $HELM_MODULE_VERSION ..."
	local t0=$SECONDS
	(cd "$HERE/gomod/helm" &&
		GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
			go build -trimpath -ldflags='-s -w' -o "$BIN/helm" helm.sh/helm/v4/cmd/helm) ||
		die "building helm failed (module testenv/gomod/helm)"
	echo "$HELM_MODULE_VERSION" >"$BIN/.helm.version"
	log "built helm in $((SECONDS - t0))s"
}

case "${1:-}" in
build) build ;;
env)
	[[ -x "$BIN/helm" ]] || die "helm is not built; run testenv/helm.sh build"
	printf 'export NEO4J_AKS_HELM=%q\n' "$BIN/helm"
	;;
*)
	sed -n '2,9p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
