#!/usr/bin/env bash
# What scripts/test-all.sh needs on the machine, checked before anything is built: every missing
# piece is named with the way to get it, all at once, and the exit status is 1 when any is
# missing (0 otherwise). Installs nothing.
#
#   scripts/prerequisites.sh
set -uo pipefail

missing=()
need() { missing+=("$1: $2"); }

# version_at_least HAVE WANT: dotted versions, numerically.
version_at_least() {
	[[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]
}

# Rust with the format and lint components (the gates of test-all.sh).
if command -v cargo >/dev/null 2>&1; then
	cargo fmt --version >/dev/null 2>&1 || need rustfmt "rustup component add rustfmt"
	cargo clippy --version >/dev/null 2>&1 || need clippy "rustup component add clippy"
else
	need "cargo (Rust >= 1.89)" "install Rust 1.89 or newer with rustup"
fi

# Go builds the Kubernetes control plane, etcd, kwok, CoreDNS, the network-policy analyzer
# cyclonus, promtool, the Prometheus server, the Grafana dashboard checker, cert-manager's
# controllers and helm (testenv/gomod/*/go.mod ask for 1.26 at most).
if command -v go >/dev/null 2>&1; then
	have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
	version_at_least "${have:-0}" 1.26 || need "go >= 1.26" "found ${have:-an unknown version}; install Go 1.26 or newer"
else
	need "go >= 1.26" "install Go 1.26 or newer"
fi

# Java 17 and Maven run Neo4j Community (testenv/neo4j-harness) from Maven Central.
if command -v javac >/dev/null 2>&1; then
	have=$(javac -version 2>&1 | awk '{print $2}')
	version_at_least "${have:-0}" 17 || need "Java >= 17 (JDK)" "found ${have:-an unknown version}; apt-get install openjdk-17-jdk-headless"
else
	need "Java >= 17 (JDK)" "apt-get install openjdk-17-jdk-headless"
fi
command -v mvn >/dev/null 2>&1 || need maven "apt-get install maven"

# Node and npm run Azurite, the Azure Blob emulator (testenv/azurite), and the KQL checker
# (testenv/kusto).
if command -v node >/dev/null 2>&1; then
	have=$(node --version 2>/dev/null | sed 's/^v//')
	version_at_least "${have:-0}" 18 || need "node >= 18" "found ${have:-an unknown version}; install Node.js 18 or newer"
else
	need "node >= 18" "install Node.js 18 or newer with npm"
fi
command -v npm >/dev/null 2>&1 || need npm "install npm with Node.js"

# Python 3.9+ with venv builds the validators' virtualenv (kubernetes-validate, checkov).
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null ||
		need "python3 >= 3.9" "found $(python3 --version 2>&1)"
	python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need python3-venv "apt-get install python3-venv"
else
	need "python3 >= 3.9" "apt-get install python3 python3-venv"
fi

# Small tools the test scripts install with apt-get when they run as root; otherwise they must
# be there already.
declare -A packages=([busybox]=busybox [dig]=dnsutils [jq]=jq [openssl]=openssl [curl]=curl [setsid]=util-linux)
apt_missing=()
for tool in busybox dig jq openssl curl setsid; do
	command -v "$tool" >/dev/null 2>&1 || apt_missing+=("${packages[$tool]}")
done
if ((${#apt_missing[@]})) && ! { [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; }; then
	need "${apt_missing[*]}" "apt-get install ${apt_missing[*]} (test-all.sh installs them itself only when it runs as root with apt-get)"
fi

if ((${#missing[@]})); then
	echo "missing prerequisites of scripts/test-all.sh:" >&2
	for m in "${missing[@]}"; do
		echo "  - $m" >&2
	done
	exit 1
fi
echo "prerequisites: all present"
