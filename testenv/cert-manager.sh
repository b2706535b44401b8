#!/usr/bin/env bash
# cert-manager's own controllers for the certManager TLS tests: a small Go program
# (testenv/gomod/cert-manager) that runs the Certificate, CertificateRequest, Issuer and
# ClusterIssuer controllers (CA and self-signed issuers) of the Go module
# github.com/cert-manager/cert-manager against the testenv API server. Built once and cached.
#
#   testenv/cert-manager.sh build   build the controllers unless the cached ones are this version
#   testenv/cert-manager.sh env     print `export NEO4J_AKS_CERT_MANAGER=…` (fails when not built)
#
# Same pattern as testenv/grafana-sdk.sh: the build module pins the version; the binary lands in
# ~/.cache/neo4j-aks/cert-manager/<version>/bin with a stamp of the version and the source. The
# tests start the binary themselves (crates/testkit/src/cert_manager.rs); the testenv installs the
# CRDs (testenv/testenv.sh). No webhook runs: neo4j-aks validates what it renders itself.
set -euo pipefail

# The version the Go module proxy serves here (go.mod pins the same; testenv.sh's CRDs too).
CERT_MANAGER_VERSION=v1.21.2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NEO4J_AKS_CERT_MANAGER_CACHE:-$HOME/.cache/neo4j-aks/cert-manager}
BIN=$CACHE/$CERT_MANAGER_VERSION/bin
BINARY=$BIN/cert-manager-controller

log() { printf '[cert-manager %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

build() {
	# The stamp holds the version and a digest of the program's source, so an edit rebuilds.
	local stamp
	stamp="$CERT_MANAGER_VERSION $(cat "$HERE/gomod/cert-manager/main.go" "$HERE/gomod/cert-manager/go.mod" "$HERE/gomod/cert-manager/go.sum" | sha256sum | cut -c1-16)"
	if [[ -x "$BINARY" && "$(cat "$BIN/.version" 2>/dev/null)" == "$stamp" ]]; then
		return 0
	fi
	command -v go >/dev/null || die "go is required to build cert-manager's controllers (install Go >= 1.26)"
	mkdir -p "$BIN"
	log "building cert-manager-controller ($CERT_MANAGER_VERSION; several minutes on a cold module cache) ..."
	local t0=$SECONDS
	# One package at a time: gentler on a shared machine (memory), at some cost in time.
	(cd "$HERE/gomod/cert-manager" &&
		GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
			go build -p 1 -trimpath -ldflags='-s -w' -o "$BINARY" .) ||
		die "building cert-manager's controllers failed (module testenv/gomod/cert-manager)"
	echo "$stamp" >"$BIN/.version"
	log "built cert-manager-controller in $((SECONDS - t0))s"
}

case "${1:-}" in
build) build ;;
env)
	[[ -x "$BINARY" ]] || die "cert-manager's controllers are not built; run testenv/cert-manager.sh build"
	printf 'export NEO4J_AKS_CERT_MANAGER=%q\n' "$BINARY"
	;;
*)
	sed -n '2,13p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
