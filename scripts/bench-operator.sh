#!/usr/bin/env bash
# Benchmark (not a test): N Neo4jClusters converge under the operator binary on the testenv.
# Reports the time until every cluster is Ready, the operator's RSS, the reads (GET, lists
# included) while converging, and the write requests (POST/PUT/PATCH/DELETE) and reads per
# steady-state resync, all counted by the operator's client.
#
#   testenv/testenv.sh up && cargo build -p neo4j-aks && scripts/bench-operator.sh
#   N=100 MEMBERS=1 BIN=target/release/neo4j-aks scripts/bench-operator.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100}
MEMBERS=${MEMBERS:-1}
BIN=${BIN:-target/debug/neo4j-aks}
NS=${NS:-bench-operator}
RESYNC=${RESYNC:-20}
PORT=${PORT:-18080}
eval "$(testenv/testenv.sh env)"

kubectl apply --server-side --force-conflicts -f deploy/operator/crd.yaml >/dev/null
kubectl wait --for=condition=Established crd/neo4jclusters.neo4j-aks.io >/dev/null
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null

"$BIN" operator --namespace "$NS" --metrics-addr "127.0.0.1:$PORT" --resync-seconds "$RESYNC" \
	2>"${TMPDIR:-/tmp}/bench-operator.log" &
OP=$!
cleanup() {
	kubectl delete neo4jclusters --all -n "$NS" --wait=true --timeout=300s >/dev/null 2>&1 || true
	kill "$OP" 2>/dev/null || true
	kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
	kubectl get pv -o jsonpath='{range .items[*]}{.metadata.name} {.spec.claimRef.namespace}{"\n"}{end}' |
		awk -v ns="$NS" '$2 == ns {print $1}' | xargs -r kubectl delete pv --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT
until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.5; done

metric() { curl -s "127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
writes() {
	local total=0 v
	for verb in POST PUT PATCH DELETE; do
		v=$(metric "neo4j_aks_kube_requests_total{verb=\"$verb\"}")
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

gstart=$(metric 'neo4j_aks_kube_requests_total{verb="GET"}')
wstart=$(writes)
start=$(date +%s.%N)
for i in $(seq 1 "$N"); do
	cat <<EOF
---
apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata: {name: bench-$i, namespace: $NS}
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: $MEMBERS
  deletionPolicy: Delete
  resources: {cpu: 500m, memory: 2Gi}
  storage: {className: $NS-premium, diskSizeGi: 8}
  scheduling:
    tolerations:
    - {key: workload, operator: Equal, value: neo4j, effect: NoSchedule}
EOF
done | kubectl apply --server-side -f - >/dev/null
while :; do
	ready=$(kubectl get neo4jclusters -n "$NS" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Ready$' || true)
	[ "$ready" -ge "$N" ] && break
	sleep 1
done
end=$(date +%s.%N)
printf 'clusters: %d x %d member(s)\nconverged (all Ready) after: %.1f s\n' "$N" "$MEMBERS" "$(echo "$end - $start" | bc)"
gready=$(metric 'neo4j_aks_kube_requests_total{verb="GET"}')
printf 'reads while converging: %d GET requests (%d per cluster)\n' "$((gready - ${gstart:-0}))" "$(((gready - ${gstart:-0}) / N))"
printf 'writes while converging: %d write requests (%d per cluster)\n' "$(($(writes) - wstart))" "$((($(writes) - wstart) / N))"
printf 'operator RSS while managing them: %d MiB\n' "$(($(ps -o rss= -p "$OP") / 1024))"

# Steady state: let two full resync periods pass and count the writes.
sleep 5
w0=$(writes)
g0=$(metric 'neo4j_aks_kube_requests_total{verb="GET"}')
r0=$(metric neo4j_aks_reconciles_total)
sleep $((2 * RESYNC + 2))
w1=$(writes)
g1=$(metric 'neo4j_aks_kube_requests_total{verb="GET"}')
r1=$(metric neo4j_aks_reconciles_total)
printf 'steady state: %d reconciles in %d s (%d resyncs of %d clusters), %d write requests\n' \
	"$((r1 - r0))" "$((2 * RESYNC + 2))" 2 "$N" "$((w1 - w0))"
printf 'steady state reads: %d GET requests (%d per reconcile)\n' "$((g1 - g0))" "$(((g1 - g0) / ((r1 - r0) > 0 ? (r1 - r0) : 1)))"
printf 'operator RSS after the resyncs: %d MiB\n' "$(($(ps -o rss= -p "$OP") / 1024))"
