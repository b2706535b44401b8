#!/usr/bin/env bash
# The strict Grafana dashboard checker the dashboard tests run: a small Go program
# (testenv/gomod/grafana-sdk) that decodes a dashboard with the Grafana Foundation SDK's dashboard
# types (Go module github.com/grafana/grafana-foundation-sdk/go), built once and cached.
#
#   testenv/grafana-sdk.sh build   build the checker unless the cached one is this version
#   testenv/grafana-sdk.sh env     print `export NEO4J_AKS_GRAFANA_SDK_CHECK=…` (fails when not built)
#
# Same pattern as testenv/prometheus.sh: the build module pins the SDK version; the binary lands in
# ~/.cache/neo4j-aks/grafana-sdk/<version>/bin with a stamp.
set -euo pipefail

# The SDK version the Go module proxy serves here (go.mod pins the same).
GRAFANA_SDK_VERSION=v0.0.22

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NEO4J_AKS_GRAFANA_SDK_CACHE:-$HOME/.cache/neo4j-aks/grafana-sdk}
BIN=$CACHE/$GRAFANA_SDK_VERSION/bin
BINARY=$BIN/grafana-dashboard-check

log() { printf '[grafana-sdk %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

build() {
	# The stamp holds the SDK version and a digest of the checker's source, so an edit rebuilds.
	local stamp
	stamp="$GRAFANA_SDK_VERSION $(cat "$HERE/gomod/grafana-sdk/main.go" "$HERE/gomod/grafana-sdk/go.mod" | sha256sum | cut -c1-16)"
	if [[ -x "$BINARY" && "$(cat "$BIN/.version" 2>/dev/null)" == "$stamp" ]]; then
		return 0
	fi
	command -v go >/dev/null || die "go is required to build the dashboard checker (install Go >= 1.26)"
	mkdir -p "$BIN"
	log "building grafana-dashboard-check (SDK $GRAFANA_SDK_VERSION) ..."
	local t0=$SECONDS
	(cd "$HERE/gomod/grafana-sdk" &&
		GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
			go build -trimpath -ldflags='-s -w' -o "$BINARY" .) ||
		die "building the dashboard checker failed (module testenv/gomod/grafana-sdk)"
	echo "$stamp" >"$BIN/.version"
	log "built grafana-dashboard-check in $((SECONDS - t0))s"
}

case "${1:-}" in
build) build ;;
env)
	[[ -x "$BINARY" ]] || die "the dashboard checker is not built; run testenv/grafana-sdk.sh build"
	printf 'export NEO4J_AKS_GRAFANA_SDK_CHECK=%q\n' "$BINARY"
	;;
*)
	sed -n '2,10p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
