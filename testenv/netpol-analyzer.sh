#!/usr/bin/env bash
# The network-policy connectivity analyzer the NetworkPolicy tests run: cyclonus
# (github.com/mattfenwick/cyclonus), built from its Go module into the cache once.
#
#   testenv/netpol-analyzer.sh build   build it unless the cached binary is this version
#   testenv/netpol-analyzer.sh env     build if needed, then print `export NEO4J_AKS_NETPOL_ANALYZER=…`
#   testenv/netpol-analyzer.sh path    print the binary's path (fails when not built)
#
# cyclonus reads NetworkPolicies from files and answers, without a cluster, which pods may reach
# which on a port (its `analyze --mode probe` on a synthetic set of pods). np-guard's
# netpol-analyzer was the first choice; the Go module proxy does not serve it here.
set -euo pipefail

CYCLONUS_VERSION=v0.5.6

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NEO4J_AKS_TESTENV_CACHE:-$HOME/.cache/neo4j-aks/testenv}
BIN=$CACHE/netpol-analyzer/$CYCLONUS_VERSION/bin
BINARY=$BIN/cyclonus

log() { printf '[netpol-analyzer %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

build() {
	if [[ -x "$BINARY" && "$(cat "$BIN/.version" 2>/dev/null || true)" == "$CYCLONUS_VERSION" ]]; then
		return 0
	fi
	command -v go >/dev/null || { log "ERROR: go is required to build cyclonus"; exit 1; }
	mkdir -p "$BIN"
	log "building cyclonus $CYCLONUS_VERSION ..."
	local t0=$SECONDS
	(cd "$HERE/gomod/cyclonus" &&
		GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
			go build -trimpath -ldflags='-s -w' -o "$BINARY" github.com/mattfenwick/cyclonus/cmd/cyclonus) ||
		{ log "ERROR: building cyclonus failed (module testenv/gomod/cyclonus)"; exit 1; }
	echo "$CYCLONUS_VERSION" >"$BIN/.version"
	log "built cyclonus $CYCLONUS_VERSION in $((SECONDS - t0))s"
}

case "${1:-}" in
build) build ;;
env)
	build
	echo "export NEO4J_AKS_NETPOL_ANALYZER=$BINARY"
	;;
path)
	[[ -x "$BINARY" ]] || { log "ERROR: not built; run testenv/netpol-analyzer.sh build"; exit 1; }
	echo "$BINARY"
	;;
*)
	echo "usage: $0 build|env|path" >&2
	exit 2
	;;
esac
