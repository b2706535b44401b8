#!/usr/bin/env bash
# Benchmark (not a test): N Neo4jClusters converge under the operator binary on the testenv.
# Reports, from one `kubectl apply` of N clusters:
#   - when every rendered object of every cluster exists (polled about once a second),
#   - when every cluster is Ready (kwok plays the kubelets: pods turn Ready at once),
#   - the operator's CPU time (utime + stime from /proc) and reconciles while converging,
#   - the API reads (GET, lists included) and writes (POST/PUT/PATCH/DELETE) while converging,
#     counted by the operator's own client (neo4j_aks_kube_requests_total),
#   - the operator's resident memory (VmRSS) and its peak (VmHWM) after converging and after the
#     steady-state resyncs,
#   - the reconciles, reads and writes of two steady-state resync periods (writes must be 0).
# The members go to fake nodes the script adds for the run (kwok-managed, tainted and labelled
# for the bench only, removed at the end), so the shared testenv nodes are not filled up and 100+
# three-member clusters fit. `-o json`-style output: the last line is one JSON object.
#
#   testenv/testenv.sh up && cargo build --workspace --bin neo4j-aks && scripts/bench-operator.sh
#   N=100 BIN=target/release/neo4j-aks scripts/bench-operator.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10}
MEMBERS=${MEMBERS:-3}
BIN=${BIN:-target/debug/neo4j-aks}
NS=${NS:-bench-operator}
RESYNC=${RESYNC:-20}
# Seconds of steady state counted after converging (default two resync periods).
STEADY=${STEADY:-$((2 * RESYNC + 2))}
PORT=${PORT:-18080}
CONCURRENCY=${CONCURRENCY:-8}
BENCH_NODES=${BENCH_NODES:-12}
eval "$(testenv/testenv.sh env)"

kubectl apply --server-side --force-conflicts -f deploy/operator/crd.yaml >/dev/null
kubectl wait --for=condition=Established crd/neo4jclusters.neo4j-aks.io >/dev/null
# A previous run's namespace may still be terminating (its cleanup does not wait).
while [[ $(kubectl get namespace "$NS" -o jsonpath='{.status.phase}' 2>/dev/null) == Terminating ]]; do
	sleep 2
done
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null

# Fake nodes for the bench's members only: the taint keeps every other pod off them, the
# clusters' nodeSelector keeps the bench's members off the shared nodes.
for i in $(seq 1 "$BENCH_NODES"); do
	zone="eastus-$(((i - 1) % 3 + 1))"
	cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $NS-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels:
    neo4j-aks.io/bench: "$NS"
    kubernetes.io/hostname: $NS-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
    topology.kubernetes.io/region: eastus
    topology.kubernetes.io/zone: $zone
    topology.disk.csi.azure.com/zone: $zone
spec:
  providerID: kwok://$NS-node-$i
  taints: [{key: neo4j-aks.io/bench, value: "$NS", effect: NoSchedule}]
status:
  allocatable: {cpu: "64", memory: 512Gi, pods: "250", ephemeral-storage: 1Ti}
  capacity: {cpu: "64", memory: 512Gi, pods: "250", ephemeral-storage: 1Ti}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
EOF
done | kubectl apply --server-side --field-manager bench-operator -f - >/dev/null
kubectl wait --for condition=Ready node -l "neo4j-aks.io/bench=$NS" --timeout 90s >/dev/null

# The operator Deployment sets MALLOC_ARENA_MAX=1 (crates/ops/src/deploy.rs); so does the bench.
MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-1} "$BIN" operator --namespace "$NS" --metrics-addr "127.0.0.1:$PORT" --resync-seconds "$RESYNC" \
	--concurrency "$CONCURRENCY" 2>"${TMPDIR:-/tmp}/bench-operator.log" &
OP=$!
cleanup() {
	kubectl delete neo4jclusters --all -n "$NS" --wait=true --timeout=600s >/dev/null 2>&1 || true
	kill "$OP" 2>/dev/null || true
	kubectl delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
	kubectl get pv -o jsonpath='{range .items[*]}{.metadata.name} {.spec.claimRef.namespace}{"\n"}{end}' |
		awk -v ns="$NS" '$2 == ns {print $1}' | xargs -r kubectl delete pv --wait=false >/dev/null 2>&1 || true
	kubectl delete node -l "neo4j-aks.io/bench=$NS" --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT
until curl -sf "127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.5; done

metric() { curl -s "127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
reads() { local v; v=$(metric 'neo4j_aks_kube_requests_total{verb="GET"}'); echo "${v:-0}"; }
reconciles() { local v; v=$(metric neo4j_aks_reconciles_total); echo "${v:-0}"; }
writes() {
	local total=0 v
	for verb in POST PUT PATCH DELETE; do
		v=$(metric "neo4j_aks_kube_requests_total{verb=\"$verb\"}")
		total=$((total + ${v:-0}))
	done
	echo "$total"
}
# CPU seconds (user + system) the operator used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$OP/stat"; }
# VmRSS, VmHWM, RssAnon or RssFile in MiB.
mem() { awk -v k="$1:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$OP/status"; }

spec() {
	cat <<EOF
---
apiVersion: neo4j-aks.io/v1alpha1
kind: Neo4jCluster
metadata: {name: bench-$1, namespace: $NS}
spec:
  neo4jVersion: "5.26.16"
  acceptLicenseAgreement: "yes"
  nodeCount: $MEMBERS
  deletionPolicy: Delete
  resources: {cpu: 500m, memory: 2Gi}
  storage: {className: $NS-premium, diskSizeGi: 8}
  scheduling:
    nodeSelector: {neo4j-aks.io/bench: "$NS"}
    tolerations:
    - {key: neo4j-aks.io/bench, operator: Equal, value: "$NS", effect: NoSchedule}
EOF
}
# The namespaced objects one cluster renders (the StorageClass is shared), and their kinds.
rendered=$(spec 1 | "$BIN" render -f - -o json)
per_cluster=$(jq '[.items[] | select(.kind != "StorageClass")] | length' <<<"$rendered")
kinds=$(jq -r '[.items[] | select(.kind != "StorageClass") | .kind | ascii_downcase] | unique | join(",")' <<<"$rendered")
objects() {
	kubectl get "$kinds" -n "$NS" -l app.kubernetes.io/managed-by=neo4j-aks --no-headers 2>/dev/null | wc -l
}

g0=$(reads)
w0=$(writes)
r0=$(reconciles)
c0=$(cpu)
start=$(date +%s.%N)
for i in $(seq 1 "$N"); do spec "$i"; done | kubectl apply --server-side -f - >/dev/null
objects_at=""
while :; do
	now=$(date +%s.%N)
	if [ -z "$objects_at" ] && [ "$(objects)" -ge $((N * per_cluster)) ]; then
		objects_at=$(echo "$now - $start" | bc)
	fi
	if [ -n "$objects_at" ]; then
		ready=$(kubectl get neo4jclusters -n "$NS" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Ready$' || true)
		[ "$ready" -ge "$N" ] && break
	fi
	sleep 0.5
done
end=$(date +%s.%N)
converged=$(echo "$end - $start" | bc)
conv_cpu=$(echo "$(cpu) - $c0" | bc)
conv_reads=$(($(reads) - g0))
conv_writes=$(($(writes) - w0))
conv_reconciles=$(($(reconciles) - r0))
rss_converged=$(mem VmRSS)
printf 'clusters: %d x %d member(s), %d namespaced objects each; concurrency %d\n' "$N" "$MEMBERS" "$per_cluster" "$CONCURRENCY"
printf 'every object exists after: %.1f s; all Ready after: %.1f s\n' "$objects_at" "$converged"
printf 'operator CPU while converging: %.2f s\n' "$conv_cpu"
printf 'while converging: %d reconciles (%.1f per cluster), %d reads (%.1f per cluster), %d writes (%.1f per cluster)\n' \
	"$conv_reconciles" "$(echo "$conv_reconciles / $N" | bc -l)" "$conv_reads" "$(echo "$conv_reads / $N" | bc -l)" \
	"$conv_writes" "$(echo "$conv_writes / $N" | bc -l)"
printf 'operator memory after converging: VmRSS %s MiB, VmHWM %s MiB\n' "$rss_converged" "$(mem VmHWM)"

# Steady state: once every cluster also reports Progressing=False (a Ready cluster may still be
# finishing its roll-out record), let the resync periods pass and count.
settled() {
	kubectl get neo4jclusters -n "$NS" -o json |
		jq '[.items[] | select(any(.status.conditions[]?; .type == "Progressing" and .status == "False"))] | length'
}
until [ "$(settled)" -ge "$N" ]; do sleep 1; done
sleep 5
w1=$(writes)
g1=$(reads)
r1=$(reconciles)
sleep "$STEADY"
steady_writes=$(($(writes) - w1))
steady_reads=$(($(reads) - g1))
steady_reconciles=$(($(reconciles) - r1))
printf 'steady state: %d reconciles in %d s (resync every %d s, %d clusters), %d writes, %d reads (%.2f per reconcile)\n' \
	"$steady_reconciles" "$STEADY" "$RESYNC" "$N" "$steady_writes" "$steady_reads" \
	"$(echo "$steady_reads / $((steady_reconciles > 0 ? steady_reconciles : 1))" | bc -l)"
printf 'operator memory after the resyncs: VmRSS %s MiB (anonymous %s, file-backed %s), VmHWM %s MiB\n' \
	"$(mem VmRSS)" "$(mem RssAnon)" "$(mem RssFile)" "$(mem VmHWM)"
jq -cn --argjson n "$N" --argjson members "$MEMBERS" --argjson objects_s "$objects_at" \
	--argjson ready_s "$converged" --argjson cpu_s "$conv_cpu" --argjson reconciles "$conv_reconciles" \
	--argjson reads "$conv_reads" --argjson writes "$conv_writes" \
	--argjson steady_reconciles "$steady_reconciles" --argjson steady_reads "$steady_reads" \
	--argjson steady_writes "$steady_writes" --argjson rss "$(mem VmRSS)" --argjson hwm "$(mem VmHWM)" \
	--argjson anon "$(mem RssAnon)" --argjson file "$(mem RssFile)" \
	--arg bin "$BIN" \
	'{bin: $bin, clusters: $n, members: $members, objects_s: $objects_s, ready_s: $ready_s,
	  converging: {cpu_s: $cpu_s, reconciles: $reconciles, reads: $reads, writes: $writes},
	  steady: {reconciles: $steady_reconciles, reads: $steady_reads, writes: $steady_writes},
	  vmrss_mib: $rss, vmhwm_mib: $hwm, rss_anon_mib: $anon, rss_file_mib: $file}'
