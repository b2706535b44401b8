#!/usr/bin/env bash
# Azurite (the official Azure Storage emulator, npm package `azurite`) on loopback, for the backup
# crate's blob tests (issue 6).
#
#   testenv/azurite/azurite.sh up      install if missing, start azurite-blob on a free loopback
#                                      port, wait until it answers, print the export line
#   testenv/azurite/azurite.sh env     print only `export NEO4J_AKS_TEST_AZURITE=…` (fails when not up)
#   testenv/azurite/azurite.sh status  say whether it runs
#   testenv/azurite/azurite.sh down    stop the process `up` started (by PID) and remove the state
#
# NEO4J_AKS_TEST_AZURITE is `endpoint;account;key`, with Azurite's documented well-known dev
# account (devstoreaccount1). It is a public test key, not a secret.
set -euo pipefail

AZURITE_VERSION=3.37.0

CACHE=${NEO4J_AKS_AZURITE_CACHE:-$HOME/.cache/neo4j-aks/azurite}
STATE=${NEO4J_AKS_AZURITE_STATE:-$CACHE/state}
ACCOUNT=devstoreaccount1
# Azurite's well-known development key (public; documented by Microsoft).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

log() { printf '[azurite %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

bin() { echo "$CACHE/node_modules/.bin/azurite-blob"; }

install() {
	local stamp=$CACHE/.version
	if [[ -x $(bin) && $(cat "$stamp" 2>/dev/null || true) == "$AZURITE_VERSION" ]]; then
		return
	fi
	command -v npm >/dev/null || die "npm is required to install azurite"
	log "installing azurite@$AZURITE_VERSION into $CACHE"
	mkdir -p "$CACHE"
	npm install --prefix "$CACHE" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >&2
	echo "$AZURITE_VERSION" >"$stamp"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

running() {
	[[ -f $STATE/pid ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null
}

export_line() {
	printf "export NEO4J_AKS_TEST_AZURITE='http://127.0.0.1:%s/%s;%s;%s'\n" "$(cat "$STATE/port")" "$ACCOUNT" "$ACCOUNT" "$KEY"
}

cmd_up() {
	local started
	started=$(date +%s)
	if running; then
		log "already running (pid $(cat "$STATE/pid"))"
		export_line
		return
	fi
	install
	rm -rf "$STATE"
	mkdir -p "$STATE/workspace"
	local port
	port=$(free_port)
	echo "$port" >"$STATE/port"
	# The workspace lives under $STATE, which `down` removes; --skipApiVersionCheck: the Rust client
	# may send a newer x-ms-version than this Azurite knows; --loose: ignore headers it does not model.
	setsid "$(bin)" --blobHost 127.0.0.1 --blobPort "$port" --location "$STATE/workspace" \
		--skipApiVersionCheck --loose --silent \
		>"$STATE/azurite.log" 2>&1 </dev/null &
	echo $! >"$STATE/pid"
	for _ in $(seq 1 150); do
		if curl -s -o /dev/null "http://127.0.0.1:$port/$ACCOUNT?comp=list"; then
			log "up on 127.0.0.1:$port (pid $(cat "$STATE/pid")) in $(($(date +%s) - started))s"
			export_line
			return
		fi
		running || break
		sleep 0.2
	done
	cat "$STATE/azurite.log" >&2 || true
	cmd_down
	die "azurite did not answer on 127.0.0.1:$port"
}

cmd_down() {
	if [[ -f $STATE/pid ]]; then
		local pid
		pid=$(cat "$STATE/pid")
		if kill -0 "$pid" 2>/dev/null; then
			# Azurite closes gracefully on SIGINT, which can take ~5 s; its workspace is thrown
			# away anyway, so after 2 s it is killed.
			kill -INT "$pid" 2>/dev/null || true
			for _ in $(seq 1 20); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -9 "$pid" 2>/dev/null || true
		fi
		log "stopped (pid $pid)"
	fi
	rm -rf "$STATE"
}

cmd_env() {
	running || die "azurite is not running; run $0 up"
	export_line
}

case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
env) cmd_env ;;
status)
	if running; then echo "running (pid $(cat "$STATE/pid"), port $(cat "$STATE/port"))"; else echo "not running"; fi
	;;
*)
	echo "usage: $0 up|down|env|status" >&2
	exit 2
	;;
esac
