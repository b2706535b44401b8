#!/usr/bin/env bash
# promtool and prometheus, built once from the Go module github.com/prometheus/prometheus (the Go
# module proxy) and cached, for the alert-rule tests (docs/monitoring.md).
#
#   testenv/prometheus.sh build   build missing binaries (idempotent), print nothing else
#   testenv/prometheus.sh env     print `export NEO4J_AKS_PROMTOOL=…` and
#                                 `export NEO4J_AKS_PROMETHEUS=…` (fails when not built)
#
# Same pattern as testenv.sh: a throw-away build module (testenv/gomod/prometheus) pins the
# version; the binaries land in ~/.cache/neo4j-aks/prometheus/<version>/bin with a stamp.
set -euo pipefail

# Prometheus 3.x publishes its Go module as v0.3xx.y (v3.16.0 → v0.316.0).
PROMETHEUS_MODULE_VERSION=v0.316.0

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NEO4J_AKS_PROMETHEUS_CACHE:-$HOME/.cache/neo4j-aks/prometheus}
BIN=$CACHE/$PROMETHEUS_MODULE_VERSION/bin

log() { printf '[prometheus %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

# build NAME PACKAGE: builds PACKAGE into $BIN/NAME unless it is there with this version's stamp.
build() {
	local name=$1 package=$2
	if [[ -x "$BIN/$name" && "$(cat "$BIN/.$name.version" 2>/dev/null)" == "$PROMETHEUS_MODULE_VERSION" ]]; then
		return 0
	fi
	command -v go >/dev/null || die "go is required to build $name (install Go >= 1.26)"
	mkdir -p "$BIN"
	log "building $name $PROMETHEUS_MODULE_VERSION ..."
	local t0
	t0=$(date +%s)
	(cd "$HERE/gomod/prometheus" &&
		GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
			go build -trimpath -ldflags='-s -w' -o "$BIN/$name" "$package") ||
		die "building $name failed (module testenv/gomod/prometheus)"
	echo "$PROMETHEUS_MODULE_VERSION" >"$BIN/.$name.version"
	log "built $name in $(($(date +%s) - t0))s"
}

case "${1:-}" in
build)
	build promtool github.com/prometheus/prometheus/cmd/promtool
	# The server, for crates/ops/tests/prometheus_alerts.rs (it scrapes the operator with the
	# committed rules loaded). Built without the `builtinassets` tag, so the web UI is not
	# embedded: in v0.316.0 web/ui/assets_embed.go is `//go:build builtinassets`, and without
	# the tag web/ui/ui.go (`!builtinassets`) serves the UI from ./web/ui/static under the
	# working directory, which does not exist here. web/web.go opens those assets only inside the
	# UI's handlers, so the UI pages fail and the HTTP API (/api/v1/..., /-/ready) is unaffected;
	# the test uses only the API.
	build prometheus github.com/prometheus/prometheus/cmd/prometheus
	;;
env)
	[[ -x "$BIN/promtool" ]] || die "promtool is not built; run testenv/prometheus.sh build"
	[[ -x "$BIN/prometheus" ]] || die "prometheus is not built; run testenv/prometheus.sh build"
	printf 'export NEO4J_AKS_PROMTOOL=%q\n' "$BIN/promtool"
	printf 'export NEO4J_AKS_PROMETHEUS=%q\n' "$BIN/prometheus"
	;;
*)
	sed -n '2,10p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
