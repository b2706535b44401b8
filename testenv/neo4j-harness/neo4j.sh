#!/usr/bin/env bash
# A real Neo4j Community 5.26 LTS server (org.neo4j.test:neo4j-harness from Maven Central, one JVM,
# Bolt on a free 127.0.0.1 port, authentication on) for the Bolt client tests of crates/topology.
#
#   testenv/neo4j-harness/neo4j.sh up     build what is missing, start the server (idempotent),
#                                         print the `export …` lines (NEO4J_AKS_TEST_BOLT, …_BOLT_TLS,
#                                         …_CA, user, password, the script path)
#   testenv/neo4j-harness/neo4j.sh env    print only the `export …` lines (fails when not up)
#   testenv/neo4j-harness/neo4j.sh status say whether it runs (PID, port, log)
#   testenv/neo4j-harness/neo4j.sh down   stop the JVM `up` started (by its recorded PID), remove the state
#   testenv/neo4j-harness/neo4j.sh build  only fetch the jars and compile the launcher
#
# Caches: Maven's ~/.m2 (jars), $NEO4J_AKS_HARNESS_CACHE (default ~/.cache/neo4j-aks/neo4j-harness:
# the copied classpath and the compiled launcher). State: $NEO4J_AKS_HARNESS_STATE (default
# <cache>/state); a second instance just needs another state directory.
# The password is a fixed TEST password for a server that only listens on loopback; never reuse it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NEO4J_VERSION=$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$HERE/pom.xml")
CACHE=${NEO4J_AKS_HARNESS_CACHE:-$HOME/.cache/neo4j-aks/neo4j-harness}
STATE=${NEO4J_AKS_HARNESS_STATE:-$CACHE/state}
LIB=$CACHE/$NEO4J_VERSION/lib
TEST_USER=neo4j
TEST_PASSWORD=neo4j-aks-harness-test-password
START_TIMEOUT=${NEO4J_AKS_HARNESS_START_TIMEOUT:-180}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAVAC=${JAVA_HOME:+$JAVA_HOME/bin/}javac

log() { echo "neo4j-harness: $*" >&2; }

sources_digest() {
  cat "$HERE/pom.xml" "$HERE"/src/main/java/io/neo4jaks/harness/*.java | sha256sum | cut -c1-16
}

need_tools() {
  local missing=()
  command -v "$JAVAC" >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v setsid >/dev/null 2>&1 || missing+=(util-linux)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} (apt)"
    apt-get install -y "${missing[@]}" >/dev/null 2>&1 ||
      { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
  fi
}

build() {
  need_tools
  if [ ! -f "$LIB/.complete" ]; then
    log "fetching neo4j-harness $NEO4J_VERSION and its dependencies (Maven Central, cached in ~/.m2)"
    rm -rf "$LIB"
    mkdir -p "$LIB"
    mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIB" >&2
    touch "$LIB/.complete"
  fi
  local classes=$CACHE/$NEO4J_VERSION/classes-$(sources_digest)
  if [ ! -f "$classes/.complete" ]; then
    log "compiling the launcher"
    rm -rf "$classes"
    mkdir -p "$classes"
    "$JAVAC" -nowarn --release 17 -d "$classes" -cp "$LIB/*" \
      "$HERE"/src/main/java/io/neo4jaks/harness/*.java
    touch "$classes/.complete"
  fi
  CLASSES=$classes
}

running_pid() {
  [ -f "$STATE/pid" ] || return 1
  local pid
  pid=$(cat "$STATE/pid")
  # Only a PID that still runs our launcher counts (PIDs are reused).
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'io.neo4jaks.harness.Launcher'; then
    echo "$pid"
    return 0
  fi
  return 1
}

# A throw-away CA and a server certificate for localhost/127.0.0.1, for the TLS tests.
make_tls() {
  local dir=$STATE/tls
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=neo4j-aks test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key.pem" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$dir/server.key.pem" -out "$dir/server.key"
  rm -f "$dir/server.key.pem" "$dir/server.csr" "$dir/ca.key"
}

print_env() {
  local port
  port=$(cat "$STATE/bolt-port")
  echo "export NEO4J_AKS_TEST_BOLT=bolt://127.0.0.1:$port"
  echo "export NEO4J_AKS_TEST_BOLT_TLS=neo4j+s://localhost:$port"
  echo "export NEO4J_AKS_TEST_CA=$STATE/tls/ca.crt"
  echo "export NEO4J_AKS_TEST_USER=$TEST_USER"
  echo "export NEO4J_AKS_TEST_PASSWORD=$TEST_PASSWORD"
  echo "export NEO4J_AKS_TEST_HARNESS=$HERE/neo4j.sh"
}

up() {
  if running_pid >/dev/null && [ -f "$STATE/bolt-port" ]; then
    print_env
    return 0
  fi
  build
  rm -rf "$STATE"
  mkdir -p "$STATE"
  make_tls
  local started=$SECONDS
  # setsid: the JVM is not in the caller's process group, so ^C in a test run does not kill it
  # half-way; `down` stops it by PID.
  NEO4J_AKS_HARNESS_PASSWORD=$TEST_PASSWORD NEO4J_AKS_HARNESS_TLS_DIR=$STATE/tls setsid "$JAVA" -Xms256m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -cp "$CLASSES:$LIB/*" io.neo4jaks.harness.Launcher "$STATE" \
    >"$STATE/neo4j.log" 2>&1 </dev/null &
  echo $! >"$STATE/pid"
  local pid=$!
  while [ ! -f "$STATE/bolt-port" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the JVM exited during start; last lines of $STATE/neo4j.log:"
      tail -n 30 "$STATE/neo4j.log" >&2
      exit 1
    fi
    if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
      log "not ready after ${START_TIMEOUT}s; stopping it. Last lines of $STATE/neo4j.log:"
      tail -n 40 "$STATE/neo4j.log" >&2
      down
      exit 1
    fi
    sleep 0.2
  done
  log "up in $((SECONDS - started))s (pid $pid, log $STATE/neo4j.log)"
  print_env
}

down() {
  local pid
  if pid=$(running_pid); then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid still running after 20s; sending KILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  env)
    if running_pid >/dev/null && [ -f "$STATE/bolt-port" ]; then print_env; else
      log "not up; start it with testenv/neo4j-harness/neo4j.sh up"
      exit 1
    fi
    ;;
  status)
    if pid=$(running_pid); then
      echo "running: pid $pid, bolt port $(cat "$STATE/bolt-port" 2>/dev/null || echo '?'), log $STATE/neo4j.log"
    else
      echo "not running"
      exit 1
    fi
    ;;
  down) down ;;
  build) build ;;
  *)
    echo "usage: $0 up|env|status|down|build" >&2
    exit 2
    ;;
esac
