#!/usr/bin/env bash
# The KQL checker the log-query tests run: testenv/kusto/kql-check.js, which parses and analyzes
# KQL with Microsoft's Kusto.Language (npm package @kusto/language-service-next), installed once
# from the npm registry and cached.
#
#   testenv/kusto.sh build   install the checker unless the cached one is this version
#   testenv/kusto.sh env     print `export NEO4J_AKS_KQL_CHECK=…` (fails when not built)
#
# testenv/kusto/package.json and package-lock.json pin the package; the checker and its
# node_modules land in ~/.cache/neo4j-aks/kusto/<version> with a stamp. Run it with node.
set -euo pipefail

KUSTO_LANGUAGE_VERSION=12.4.1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NEO4J_AKS_KUSTO_CACHE:-$HOME/.cache/neo4j-aks/kusto}
DIR=$CACHE/$KUSTO_LANGUAGE_VERSION
CHECKER=$DIR/kql-check.js

log() { printf '[kusto %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

build() {
	local stamp
	stamp="$KUSTO_LANGUAGE_VERSION $(cat "$HERE/kusto/kql-check.js" "$HERE/kusto/package-lock.json" | sha256sum | cut -c1-16)"
	if [[ -f "$CHECKER" && -d "$DIR/node_modules" && "$(cat "$DIR/.version" 2>/dev/null)" == "$stamp" ]]; then
		return 0
	fi
	command -v npm >/dev/null || die "npm is required to install the KQL checker (install Node.js 18 or newer)"
	mkdir -p "$DIR"
	log "installing @kusto/language-service-next $KUSTO_LANGUAGE_VERSION ..."
	local t0=$SECONDS
	cp "$HERE/kusto/package.json" "$HERE/kusto/package-lock.json" "$HERE/kusto/kql-check.js" "$DIR/"
	(cd "$DIR" && npm ci --no-audit --no-fund --silent) || die "npm ci failed (testenv/kusto)"
	echo "$stamp" >"$DIR/.version"
	log "installed the KQL checker in $((SECONDS - t0))s"
}

case "${1:-}" in
build) build ;;
env)
	[[ -f "$CHECKER" ]] || die "the KQL checker is not installed; run testenv/kusto.sh build"
	printf 'export NEO4J_AKS_KQL_CHECK=%q\n' "$CHECKER"
	;;
*)
	sed -n '2,10p' "${BASH_SOURCE[0]}" >&2
	exit 2
	;;
esac
