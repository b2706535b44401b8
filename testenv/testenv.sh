#!/usr/bin/env bash
# A real local Kubernetes control plane for neo4j-aks tests (tracker issue 3).
#
#   testenv/testenv.sh up      build missing binaries, start everything, print `export KUBECONFIG=…`
#   testenv/testenv.sh status  show what runs
#   testenv/testenv.sh env     print only the `export KUBECONFIG=…` line (fails when not up)
#   testenv/testenv.sh down    stop every process `up` started (by PID) and remove the state
#   testenv/testenv.sh build   only build missing binaries
#
# Real: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, CoreDNS (all upstream, built
# from their Go modules). SIMULATED: kubelets (kwok fake nodes) and the Azure Disk CSI driver
# (crates/testkit sim-disk-provisioner). See testenv/README.md.
set -euo pipefail

K8S_VERSION=v1.34.4
ETCD_VERSION=v3.5.35
KWOK_VERSION=v0.8.0
COREDNS_VERSION=v1.14.7
PROMETHEUS_OPERATOR_VERSION=v0.85.0
CERT_MANAGER_VERSION=v1.21.2
SECRETS_STORE_CSI_VERSION=v1.6.0

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
CACHE=${NEO4J_AKS_TESTENV_CACHE:-$HOME/.cache/neo4j-aks/testenv}
BIN=$CACHE/$K8S_VERSION/bin
STATE=${NEO4J_AKS_TESTENV_STATE:-$CACHE/state}
KUBECONFIG_PATH=$STATE/admin.kubeconfig

# Fixed, uncommon loopback ports (all on 127.0.0.1).
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
APISERVER_PORT=26443
KCM_PORT=26257
SCHEDULER_PORT=26259
KWOK_PORT=26247
DNS_PORT=1053
DNS_READY_PORT=26181
DNS_HEALTH_PORT=26180

SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/16
CLUSTER_NAME=neo4j-aks-testenv

# Components in start order; `down` stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok sim-disk-provisioner coredns)

log() { printf '[testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

now() { date +%s; }

# ---------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------

stamp_of() { cat "$BIN/.$1.version" 2>/dev/null || true; }

# go_build NAME VERSION MODULE_DIR "BINARIES" PACKAGE...: builds PACKAGEs of the build module
# testenv/gomod/MODULE_DIR into $BIN unless every binary exists and $BIN/.NAME.version records
# VERSION. A single package is written to the first binary name.
go_build() {
	local name=$1 version=$2 moddir=$3 binaries=$4
	shift 4
	local b complete=1
	for b in $binaries; do [[ -x "$BIN/$b" ]] || complete=0; done
	if ((complete)) && [[ "$(stamp_of "$name")" == "$version" ]]; then
		return 0
	fi
	command -v go >/dev/null || die "go is required to build $name (install Go >= 1.26)"
	mkdir -p "$BIN"
	local out="$BIN/"
	(($# == 1)) && out="$BIN/${binaries%% *}"
	log "building $name $version ($*) ..."
	local t0
	t0=$(now)
	(cd "$HERE/gomod/$moddir" &&
		GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0 \
			go build -trimpath -ldflags='-s -w' -o "$out" "$@") ||
		die "building $name failed (module testenv/gomod/$moddir)"
	echo "$version" >"$BIN/.$name.version"
	log "built $name $version in $(($(now) - t0))s"
}

build_all() {
	go_build kubernetes "$K8S_VERSION" kubernetes \
		"kube-apiserver kube-controller-manager kube-scheduler kubectl" \
		k8s.io/kubernetes/cmd/kube-apiserver \
		k8s.io/kubernetes/cmd/kube-controller-manager \
		k8s.io/kubernetes/cmd/kube-scheduler \
		k8s.io/kubernetes/cmd/kubectl
	go_build etcd "$ETCD_VERSION" etcd etcd go.etcd.io/etcd/server/v3
	go_build kwok "$KWOK_VERSION" kwok kwok sigs.k8s.io/kwok/cmd/kwok
	# Optional: a CoreDNS build failure must not stop the rest of the environment.
	(go_build coredns "$COREDNS_VERSION" coredns coredns .) ||
		log "WARNING: CoreDNS did not build; DNS tests will skip"
}

# The provisioner binary `up` runs: a copy outside target/, so later `cargo build`s do not replace
# it under the running process, and so a workspace that momentarily does not build (another crate
# mid-edit) still leaves the last good build usable.
PROVISIONER_BIN=$CACHE/sim-disk-provisioner/sim-disk-provisioner

build_provisioner() {
	command -v cargo >/dev/null || die "cargo is required to build sim-disk-provisioner"
	local t0 target
	t0=$(now)
	log "building sim-disk-provisioner (cargo, incremental) ..."
	if (cd "$REPO" && cargo build --quiet -p neo4j-aks-testkit --bin sim-disk-provisioner); then
		target=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
		mkdir -p "$(dirname "$PROVISIONER_BIN")"
		cp -f "$target/debug/sim-disk-provisioner" "$PROVISIONER_BIN"
		log "sim-disk-provisioner ready in $(($(now) - t0))s"
	elif [[ -x "$PROVISIONER_BIN" ]]; then
		log "WARNING: cargo build -p neo4j-aks-testkit --bin sim-disk-provisioner failed; using the previous build $PROVISIONER_BIN"
	else
		die "cargo build -p neo4j-aks-testkit --bin sim-disk-provisioner failed"
	fi
}

# Module directory of a Go module version (downloaded into the module cache if needed).
go_mod_dir() {
	local dir
	dir=$(cd "$STATE" && GOFLAGS=-mod=mod go mod download -json "$1" | jq -r .Dir) ||
		die "go mod download $1 failed"
	[[ -d "$dir" ]] || die "module $1 has no directory in the module cache"
	echo "$dir"
}

ensure_tools() {
	local missing=()
	for t in openssl curl jq; do command -v "$t" >/dev/null || missing+=("$t"); done
	command -v dig >/dev/null || missing+=(dnsutils)
	((${#missing[@]} == 0)) && return 0
	local pkgs=()
	for t in "${missing[@]}"; do pkgs+=("$t"); done
	if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
		log "installing ${pkgs[*]} with apt-get"
		(apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${pkgs[@]}" >/dev/null 2>&1; }) ||
			log "WARNING: apt-get install ${pkgs[*]} failed"
	fi
	for t in openssl curl jq; do command -v "$t" >/dev/null || die "$t is required"; done
	command -v dig >/dev/null || log "WARNING: dig (dnsutils) missing; DNS tests will skip"
}

# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

pid_of() {
	local f=$STATE/$1.pid pid
	[[ -f "$f" ]] || return 1
	pid=$(cat "$f")
	[[ -n "$pid" && -r /proc/$pid/stat ]] || return 1
	# An exited child the script has not reaped yet is a zombie: not running.
	[[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
	# Guard against PID reuse: the process must still run the binary we started. Its cmdline
	# reads empty for an instant while setsid execs the binary; alive then counts as running.
	local cmd
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ -z "$cmd" || "$cmd" == *"$1"* ]] || return 1
	echo "$pid"
}

running() { pid_of "$1" >/dev/null; }

# start NAME BINARY ARGS...: starts a component in its own session, logging to $STATE/NAME.log.
start() {
	local name=$1 bin=$2
	shift 2
	if running "$name"; then
		log "$name already running (pid $(pid_of "$name"))"
		return 0
	fi
	[[ -x "$bin" ]] || die "$bin missing; run: testenv/testenv.sh build"
	log "starting $name"
	setsid "$bin" "$@" >"$STATE/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE/$name.pid"
}

fail_component() {
	local name=$1
	shift
	log "ERROR: $*"
	if [[ -f "$STATE/$name.log" ]]; then
		log "last 40 lines of $STATE/$name.log:"
		tail -n 40 "$STATE/$name.log" >&2
	fi
	exit 1
}

# wait_for NAME TIMEOUT_S DESCRIPTION COMMAND...: polls COMMAND until it succeeds.
wait_for() {
	local name=$1 timeout=$2 what=$3
	shift 3
	local deadline=$(($(now) + timeout))
	until "$@" >/dev/null 2>&1; do
		if [[ "$name" != - ]] && ! running "$name"; then
			fail_component "$name" "$name exited while waiting for $what"
		fi
		if (($(now) > deadline)); then
			fail_component "$name" "timed out after ${timeout}s waiting for $what"
		fi
		sleep 0.5
	done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_port() {
	local name=$1 port=$2
	running "$name" && return 0
	port_free "$port" || die "127.0.0.1:$port (for $name) is in use by another process"
}

kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }

# ---------------------------------------------------------------------------------------------
# PKI and kubeconfigs
# ---------------------------------------------------------------------------------------------

gen_pki() {
	local p=$STATE/pki
	mkdir -p "$p"
	[[ -f "$p/ca.crt" ]] && return 0
	log "generating CA, serving/client certificates and service-account keys"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=$CLUSTER_NAME-ca" \
		-keyout "$p/ca.key" -out "$p/ca.crt" 2>/dev/null
	openssl genrsa -out "$p/sa.key" 2048 2>/dev/null
	openssl rsa -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
	# kube-apiserver serving certificate.
	cat >"$p/apiserver.ext" <<EOF
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
extendedKeyUsage=serverAuth
keyUsage=digitalSignature,keyEncipherment
EOF
	sign "$p" apiserver "/CN=kube-apiserver" "$p/apiserver.ext"
	# Client certificates: admin (system:masters), controller-manager, scheduler.
	printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"$p/client.ext"
	sign "$p" admin "/O=system:masters/CN=$CLUSTER_NAME-admin" "$p/client.ext"
	sign "$p" kube-controller-manager "/CN=system:kube-controller-manager" "$p/client.ext"
	sign "$p" kube-scheduler "/CN=system:kube-scheduler" "$p/client.ext"
}

sign() {
	local p=$1 name=$2 subj=$3 ext=$4
	openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$p/$name.key" -out "$p/$name.csr" 2>/dev/null
	openssl x509 -req -in "$p/$name.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -CAcreateserial \
		-days 3650 -extfile "$ext" -out "$p/$name.crt" 2>/dev/null
}

write_kubeconfig() {
	local user=$1 out=$2 p=$STATE/pki
	[[ -f "$out" ]] && return 0
	local k=("$BIN/kubectl" --kubeconfig "$out.tmp")
	rm -f "$out.tmp"
	"${k[@]}" config set-cluster "$CLUSTER_NAME" --server "https://127.0.0.1:$APISERVER_PORT" \
		--certificate-authority "$p/ca.crt" --embed-certs >/dev/null
	"${k[@]}" config set-credentials "$user" --client-certificate "$p/$user.crt" \
		--client-key "$p/$user.key" --embed-certs >/dev/null
	"${k[@]}" config set-context "$CLUSTER_NAME" --cluster "$CLUSTER_NAME" --user "$user" >/dev/null
	"${k[@]}" config use-context "$CLUSTER_NAME" >/dev/null
	mv "$out.tmp" "$out"
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

apiserver_ready() {
	curl -sf --max-time 2 --cacert "$STATE/pki/ca.crt" --cert "$STATE/pki/admin.crt" \
		--key "$STATE/pki/admin.key" "https://127.0.0.1:$APISERVER_PORT/readyz" | grep -q '^ok$'
}

healthz() { curl -skf --max-time 2 "https://127.0.0.1:$1/healthz" | grep -q '^ok$'; }

cmd_up() {
	local t_up
	t_up=$(now)
	ensure_tools
	mkdir -p "$STATE"
	build_all
	gen_pki
	for c in admin kube-controller-manager kube-scheduler; do write_kubeconfig "$c" "$STATE/$c.kubeconfig"; done
	local p=$STATE/pki

	require_port etcd "$ETCD_CLIENT_PORT"
	require_port etcd "$ETCD_PEER_PORT"
	start etcd "$BIN/etcd" --name "$CLUSTER_NAME" --data-dir "$STATE/etcd" \
		--listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
		--advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster "$CLUSTER_NAME=http://127.0.0.1:$ETCD_PEER_PORT" \
		--unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn
	wait_for etcd 30 "etcd /health" curl -sf --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

	require_port kube-apiserver "$APISERVER_PORT"
	# No --enable-admission-plugins override except NodeRestriction (AKS enables it too): the
	# default plugin set (NamespaceLifecycle, LimitRanger, ServiceAccount, DefaultStorageClass,
	# PersistentVolumeClaimResize, PodSecurity, ResourceQuota, webhooks, ...) stays as in a normal cluster.
	start kube-apiserver "$BIN/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
		--tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
		--client-ca-file "$p/ca.crt" \
		--authorization-mode Node,RBAC \
		--enable-admission-plugins NodeRestriction \
		--service-account-issuer "https://kubernetes.default.svc.cluster.local" \
		--service-account-key-file "$p/sa.pub" \
		--service-account-signing-key-file "$p/sa.key" \
		--service-cluster-ip-range "$SERVICE_CIDR" \
		--endpoint-reconciler-type none \
		--allow-privileged=true --profiling=false
	wait_for kube-apiserver 90 "kube-apiserver /readyz" apiserver_ready

	require_port kube-controller-manager "$KCM_PORT"
	start kube-controller-manager "$BIN/kube-controller-manager" \
		--kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
		--authentication-kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
		--authorization-kubeconfig "$STATE/kube-controller-manager.kubeconfig" \
		--bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
		--controllers '*' \
		--use-service-account-credentials=true \
		--service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
		--cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key" \
		--cluster-name "$CLUSTER_NAME" --allocate-node-cidrs=false \
		--leader-elect=false --profiling=false
	require_port kube-scheduler "$SCHEDULER_PORT"
	start kube-scheduler "$BIN/kube-scheduler" \
		--kubeconfig "$STATE/kube-scheduler.kubeconfig" \
		--authentication-kubeconfig "$STATE/kube-scheduler.kubeconfig" \
		--authorization-kubeconfig "$STATE/kube-scheduler.kubeconfig" \
		--bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" \
		--leader-elect=false --profiling=false
	wait_for kube-controller-manager 60 "kube-controller-manager /healthz" healthz "$KCM_PORT"
	wait_for kube-scheduler 60 "kube-scheduler /healthz" healthz "$SCHEDULER_PORT"

	# Marker the Rust testkit checks before it touches a cluster: it never runs against anything else.
	kc create configmap neo4j-aks-testenv -n kube-public \
		--from-literal kubernetes="$K8S_VERSION" --from-literal kwok="$KWOK_VERSION" \
		--dry-run=client -o yaml | kc apply --server-side --field-manager testenv -f - >/dev/null

	# kwok: fake kubelets for the nodes annotated kwok.x-k8s.io/node=fake. Stages come from the kwok
	# module itself: nodes become Ready and keep leases fresh, pods go Pending -> Running/Ready and
	# are removed when deleted. The pod-delete stage is ours (testenv/kwok/pod-delete.yaml): kwok's
	# own could delete a pod recreated under the same name, which no kubelet does.
	local kwokdir
	kwokdir=$(go_mod_dir "sigs.k8s.io/kwok@$KWOK_VERSION")
	require_port kwok "$KWOK_PORT"
	start kwok "$BIN/kwok" --kubeconfig "$KUBECONFIG_PATH" \
		--config "$kwokdir/kustomize/stage/node/fast/node-initialize.yaml" \
		--config "$kwokdir/kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
		--config "$kwokdir/kustomize/stage/pod/fast/pod-ready.yaml" \
		--config "$kwokdir/kustomize/stage/pod/fast/pod-complete.yaml" \
		--config "$HERE/kwok/pod-delete.yaml" \
		--manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
		--cidr "$POD_CIDR" --node-ip 10.224.0.4 \
		--node-lease-duration-seconds 40 \
		--server-address "127.0.0.1:$KWOK_PORT"
	kc apply --server-side --field-manager testenv -f "$HERE/manifests/nodes.yaml" -f "$HERE/manifests/nodes-neo4j-pool.yaml" >/dev/null ||
		fail_component kwok "applying testenv/manifests/nodes*.yaml failed"
	local deadline=$(($(now) + 90))
	until kc wait --for condition=Ready node -l type=kwok --timeout 5s >/dev/null 2>&1; do
		running kwok || fail_component kwok "kwok exited before the nodes became Ready"
		(($(now) > deadline)) && fail_component kwok "nodes not Ready after 90s: $(kc get nodes --no-headers 2>&1 | tr '\n' ';')"
	done

	local pdir cdir sdir
	pdir=$(go_mod_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
	cdir=$(go_mod_dir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")
	sdir=$(go_mod_dir "sigs.k8s.io/secrets-store-csi-driver@$SECRETS_STORE_CSI_VERSION")
	kc apply --server-side --field-manager testenv \
		-f "$pdir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
		-f "$pdir/example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml" \
		-f "$pdir/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" \
		-f "$cdir/deploy/crds/cert-manager.io_issuers.yaml" \
		-f "$cdir/deploy/crds/cert-manager.io_clusterissuers.yaml" \
		-f "$cdir/deploy/crds/cert-manager.io_certificates.yaml" \
		-f "$cdir/deploy/crds/cert-manager.io_certificaterequests.yaml" \
		-f "$sdir/deploy/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml" >/dev/null ||
		die "installing the Prometheus Operator / cert-manager / Secrets Store CSI CRDs failed"
	kc wait --for condition=Established --timeout 60s \
		crd/servicemonitors.monitoring.coreos.com crd/podmonitors.monitoring.coreos.com \
		crd/prometheusrules.monitoring.coreos.com crd/issuers.cert-manager.io \
		crd/clusterissuers.cert-manager.io crd/certificates.cert-manager.io \
		crd/certificaterequests.cert-manager.io \
		crd/secretproviderclasses.secrets-store.csi.x-k8s.io >/dev/null || die "CRDs not Established after 60s"

	build_provisioner
	start sim-disk-provisioner "$PROVISIONER_BIN" --kubeconfig "$KUBECONFIG_PATH"
	wait_for sim-disk-provisioner 30 "sim-disk-provisioner to sync" grep -q 'watching' "$STATE/sim-disk-provisioner.log"

	start_coredns

	log "up in $(($(now) - t_up))s (state $STATE)"
	echo "export KUBECONFIG=$KUBECONFIG_PATH"
}

start_coredns() {
	if [[ ! -x "$BIN/coredns" ]]; then
		log "WARNING: no CoreDNS binary; cluster DNS is not available"
		return 0
	fi
	if ! port_free "$DNS_PORT" && ! running coredns; then
		log "WARNING: 127.0.0.1:$DNS_PORT in use; CoreDNS not started"
		return 0
	fi
	cat >"$STATE/Corefile" <<EOF
cluster.local:$DNS_PORT {
    bind 127.0.0.1
    ready 127.0.0.1:$DNS_READY_PORT
    health 127.0.0.1:$DNS_HEALTH_PORT
    errors
    kubernetes cluster.local {
        kubeconfig $KUBECONFIG_PATH $CLUSTER_NAME
        pods insecure
        ttl 0
    }
}
EOF
	start coredns "$BIN/coredns" -conf "$STATE/Corefile"
	local deadline=$(($(now) + 30))
	until curl -sf --max-time 2 "http://127.0.0.1:$DNS_READY_PORT/ready" >/dev/null 2>&1; do
		if ! running coredns || (($(now) > deadline)); then
			log "WARNING: CoreDNS did not become ready; DNS tests will skip. Log tail:"
			tail -n 20 "$STATE/coredns.log" >&2 || true
			return 0
		fi
		sleep 0.5
	done
	echo "127.0.0.1:$DNS_PORT" >"$STATE/dns-address"
}

cmd_status() {
	local any=0
	for c in "${COMPONENTS[@]}"; do
		if running "$c"; then
			printf '%-24s running (pid %s, log %s)\n' "$c" "$(pid_of "$c")" "$STATE/$c.log"
			any=1
		else
			printf '%-24s stopped\n' "$c"
		fi
	done
	if ((any)) && [[ -f "$STATE/pki/ca.crt" ]] && apiserver_ready; then
		echo "kube-apiserver           https://127.0.0.1:$APISERVER_PORT ready ($K8S_VERSION)"
		kc get nodes -L topology.kubernetes.io/zone --no-headers 2>/dev/null | sed 's/^/node  /'
		[[ -f "$STATE/dns-address" ]] && echo "dns                      $(cat "$STATE/dns-address")"
		echo "export KUBECONFIG=$KUBECONFIG_PATH"
	fi
}

cmd_env() {
	if [[ ! -f "$KUBECONFIG_PATH" ]] || ! running kube-apiserver; then
		die "testenv is not up; start it with testenv/testenv.sh up"
	fi
	echo "export KUBECONFIG=$KUBECONFIG_PATH"
}

cmd_down() {
	local i c pid
	for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
		c=${COMPONENTS[i]}
		if pid=$(pid_of "$c"); then
			log "stopping $c (pid $pid)"
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 40); do
				[[ -d /proc/$pid ]] || break
				sleep 0.25
			done
			if [[ -d /proc/$pid ]]; then
				log "$c did not exit after 10s; killing"
				kill -KILL "$pid" 2>/dev/null || true
			fi
		fi
	done
	if [[ -d "$STATE" ]]; then
		rm -rf "$STATE"
		log "removed $STATE"
	fi
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
env) cmd_env ;;
build)
	mkdir -p "$STATE"
	build_all
	build_provisioner
	;;
*)
	echo "usage: $0 up|down|status|env|build" >&2
	exit 2
	;;
esac
