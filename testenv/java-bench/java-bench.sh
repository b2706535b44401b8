#!/usr/bin/env bash
# The `neo4j-aks bench` write/read workload on the official Neo4j Java driver (Maven Central), for
# a side-by-side run on the same server (docs/bench.md, crates/cli/tests/bench.rs).
#
#   testenv/java-bench/java-bench.sh build        fetch the jars (cached)
#   testenv/java-bench/java-bench.sh run ARGS...  run it: --bolt URI --user U --duration-ms N
#                                                 --writers N --readers N --seed-nodes N;
#                                                 password from NEO4J_AKS_BENCH_PASSWORD; prints JSON
# Needs java 17+ and mvn (testenv/neo4j-harness/neo4j.sh installs both).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${NEO4J_AKS_JAVA_BENCH_CACHE:-$HOME/.cache/neo4j-aks/java-bench}
LIB=$CACHE/lib-$(sha256sum "$HERE/pom.xml" | cut -c1-16)
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

build() {
  if [ ! -f "$LIB/.complete" ]; then
    echo "java-bench: fetching the Java driver and HdrHistogram (Maven Central, cached in ~/.m2)" >&2
    rm -rf "$LIB"
    mkdir -p "$LIB"
    mvn -B -q -Dstyle.color=never -f "$HERE/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$LIB" >&2
    touch "$LIB/.complete"
  fi
}

case "${1:-}" in
  build) build ;;
  run)
    shift
    build
    # Single-file source launch (JEP 330): no separate compile step to cache or go stale.
    exec "$JAVA" -cp "$LIB/*" "$HERE/src/JavaBench.java" "$@"
    ;;
  *) echo "usage: $0 build | run ARGS..." >&2; exit 2 ;;
esac
