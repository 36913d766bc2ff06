#!/usr/bin/env bash
# make bench, cluster part (issue 19): three hosts programming their share of
# one etcd store.
#
#   bench/cluster.sh [--quick] [--tsv FILE] [--logs DIR] [--perf DIR] [--parts 1k,api,100k]
#                    [--polyportd PATH]
#
# Three "hosts" (network namespaces ppbc-h1..3), each with its own polyportd
# in cluster mode (own pin root on a bpffs outside /sys — `ip netns exec`
# remounts /sys —, state dir, API socket), one etcd (Debian's, TLS with
# client certificates, data on tmpfs) in ppbc-etcd reached over a veth from
# each host (tests/etcd.sh).  On every host: a network device ppbcup (a veth
# pair inside the host) and 100 taps ppbct1..100, the taps of the instance
# ports vmN-1..vmN-100 (host hN), created first so the ports are ACTIVE.
# 334 networks n1..n334 (VLAN v on ppbcup, the same device name on every
# host: `device:` is every host's default).  build/bench/ppetcd writes
# objects straight into etcd (transactions of at most 128 operations) and
# reads "programmed" off each host's pinned maps (see bench/ppetcd.c).
#
# Figures (ms; rows of FILE in the format of ppbench's control.tsv, so that
# ppbench report puts them in the table and results.json):
#   cluster_1k      1,000 service ports (10 instance ports of h1 x VLANs
#                   1..100): last acknowledged txn -> h1 has them all;
#                   median of 3, deleted between; target < 1 s
#   cluster_100k    100,000 (100 instance ports per host x 334/333 VLANs;
#                   the transactions mix the hosts): last txn -> the last
#                   host has all of its share; target < 5 s; per host:
#                   cluster_100k_hN
#   cluster_api     POST /v1/service-ports through h1's API for an instance
#                   port of h2: start of the request -> h2's pp_vlans has
#                   it; median of 20, target < 50 ms; cluster_api_answer:
#                   the API's answer; cluster_api_100k: the same with the
#                   100,000 in the store (5 times); cluster_txn: one etcd txn of
#                   one put, mean of 20 (the store's share of an API write)
# --quick (bench:smoke): 100 / 1,200 service ports, 1 and 3 repetitions:
# sane numbers only.  --parts: only those figures (cluster_api_100k comes
# with 100k).  --perf DIR: perf record (DWARF call graphs) of the daemons
# that do the work: h2's during the 100,000 (DIR/perf-100k.data), h1's and
# h2's during cluster_api (DIR/perf-api.data) and cluster_api_100k
# (DIR/perf-api100k.data); read with perf report -i FILE --sort pid,symbol.
#
# Names: namespaces ppbc-*, devices ppbc* (only inside them), a tmpfs on
# /run/ppbc with the bpffs on /run/ppbc/bpf; everything is removed on exit
# (daemons and etcd by PID first), leftovers of an earlier run first.
QUICK=0 TSV= LOGS= PERF= PARTS=1k,api,100k PPD=
while (($#)); do
	case $1 in
	--quick) QUICK=1 ;;
	--tsv) TSV=$2; shift ;;
	--logs) LOGS=$2; shift ;;
	--perf) PERF=$2; shift ;;
	--parts) PARTS=$2; shift ;;
	--polyportd) PPD=$2; shift ;;	# another build's daemon (an experiment)
	*) echo "usage: $0 [--quick] [--tsv FILE] [--logs DIR] [--perf DIR] [--parts 1k,api,100k]" >&2; exit 2 ;;
	esac
	shift
done
PPT_NAME=bench-cluster
PPT_SCOPE=ppbc	# cleanup_leftovers: ppbc-* namespaces, ppbc* devices only
# shellcheck source=../tests/e2e/lib.sh
source "$(dirname "$0")/../tests/e2e/lib.sh"
# shellcheck source=../tests/etcd.sh
source "$TOP/tests/etcd.sh"
need_root
RUN=/run/ppbc BPF=/run/ppbc/bpf CERTS=$WORK/certs
EP_IP=10.96.0.1 EP_PORT=2379
HOSTS=(h1 h2 h3)
PPE=$B/bench/ppetcd
PPD=${PPD:-$B/polyportd}
declare -A HPID=()
NIP=100		# instance ports per host
if ((QUICK)); then
	N1K=100 REPS1=1 NAPI=3 VL=4	# "100k": 3 x 100 x 4 = 1,200
else
	N1K=1000 REPS1=3 NAPI=20 VL=334
fi

log() { echo "cluster: $*" >&2; }
PERF_PID=
part() { [[ ,$PARTS, == *,$1,* ]]; }
# perf_on NAME HZ HOST... / perf_off: a profile of the HOSTs' daemons meanwhile (--perf)
perf_on() {
	[[ -n $PERF ]] || return 0
	local name=$1 hz=$2 pids=() h
	shift 2
	for h in "$@"; do pids+=("${HPID[$h]}"); done
	mkdir -p "$PERF"
	perf record -q -F "$hz" --call-graph dwarf,16384 -p "$(IFS=,; echo "${pids[*]}")" \
		-o "$PERF/perf-$name.data" >"$WORK/perf.log" 2>&1 &
	PERF_PID=$!
	sleep 0.5
}
perf_off() {
	[[ -n $PERF_PID ]] || return 0
	kill -INT "$PERF_PID" 2>/dev/null
	wait "$PERF_PID" 2>/dev/null
	PERF_PID=
}
cl_finish() {
	local h
	perf_off
	for h in "${!HPID[@]}"; do kill "${HPID[$h]}" 2>/dev/null; done
	for h in "${!HPID[@]}"; do wait "${HPID[$h]}" 2>/dev/null; done
	etcd_stop
	if [[ -n $LOGS ]]; then
		mkdir -p "$LOGS"
		for h in "${HOSTS[@]}"; do cp "$WORK/$h.log" "$LOGS/cluster-$h.log" 2>/dev/null; done
		cp "$RUN/etcd.log" "$LOGS/cluster-etcd.log" 2>/dev/null
	fi
	finish		# the ppbc-* namespaces (and what is left in them), $WORK
	etcd_mounts_gone "$RUN" "$BPF"
}
trap cl_finish EXIT
cleanup_leftovers
etcd_mounts_gone "$RUN" "$BPF"
for bin in "$PPE" "$PPD"; do
	[[ -x $bin ]] || { fail "bench:cluster: $bin not built (make $bin)"; exit 1; }
done
command -v etcd >/dev/null || { skip "bench:cluster: etcd is not installed (etcd-server)"; exit 0; }
command -v jq >/dev/null || { fail "bench:cluster: jq missing"; exit 1; }
mkdir -p "$RUN" && mount -t tmpfs -o mode=0700 ppbc "$RUN" && mkdir -p "$BPF" &&
	mount -t bpf -o mode=0700 bpf "$BPF" ||
	{ fail "bench:cluster: cannot mount a tmpfs on $RUN and a bpffs on $BPF"; exit 1; }

# ---- topology ------------------------------------------------------------------------
quiet() { ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }
ip netns add ppbc-etcd && quiet ppbc-etcd
ip -n ppbc-etcd link set lo up
ip -n ppbc-etcd addr add "$EP_IP/32" dev lo
for n in 1 2 3; do
	ns=ppbc-h$n
	ip netns add "$ns" && quiet "$ns"
	{
		echo "link set lo up"
		echo "link add ppbce type veth peer name ppbce$n netns ppbc-etcd"
		echo "addr add 10.96.$n.2/24 dev ppbce"
		echo "link set ppbce up"
		echo "route add $EP_IP/32 via 10.96.$n.1"
		echo "link add ppbcup type veth peer name ppbcpe"
		echo "link set ppbcup up"
		echo "link set ppbcpe up"
		for i in $(seq "$NIP"); do echo "tuntap add dev ppbct$i mode tap"; done
	} >"$WORK/h$n.batch"
	ip -n "$ns" -batch "$WORK/h$n.batch" || { fail "bench:cluster: devices of $ns"; exit 1; }
	ip -n ppbc-etcd addr add "10.96.$n.1/24" dev "ppbce$n"
	ip -n ppbc-etcd link set "ppbce$n" up
done
etcd_ca "$CERTS" "$EP_IP" || { fail "bench:cluster: the test CA"; exit 1; }
etcd_start ppbc-etcd "$EP_IP" "$EP_PORT" "$RUN/etcd" "$CERTS" >/dev/null ||
	{ fail "bench:cluster: etcd did not start: $(tail -3 "$RUN/etcd.log" | tr '\n' ' ')"; exit 1; }
EOPTS=(--endpoints "$ETCD_EP" --ca "$CERTS/ca.crt" --cert "$CERTS/client.crt" --key "$CERTS/client.key")
ppe() { ip netns exec ppbc-etcd "$PPE" "${EOPTS[@]}" "$@"; }
WAITS=()
for h in "${HOSTS[@]}"; do WAITS+=(--wait "$h=$BPF/$h"); done

hget() { curl -s -m 10 --unix-socket "$RUN/$1/api.sock" "http://localhost$2"; }
hstart() {
	local h=$1 st=$WORK/$1/state pid
	mkdir -p "$WORK/$h/conf" "$st" "$RUN/$h"
	ip netns exec "ppbc-$h" "$PPD" -f -v --config "$WORK/$h/conf" --pin-root "$BPF/$h" \
		--state-dir "$st" --api-socket "$RUN/$h/api.sock" --store "etcd=$ETCD_EP" --host "$h" \
		--etcd-ca "$CERTS/ca.crt" --etcd-cert "$CERTS/client.crt" --etcd-key "$CERTS/client.key" \
		>>"$WORK/$h.log" 2>&1 &
	pid=$!
	HPID[$h]=$pid
	for _ in $(seq 1000); do
		[[ "$(hget "$h" /v1/status 2>/dev/null | jq -r .cluster.connected 2>/dev/null)" == true ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	fail "bench:cluster: polyportd of $h did not connect: $(tail -3 "$WORK/$h.log" | tr '\n' ' ')"
	return 1
}
for h in "${HOSTS[@]}"; do hstart "$h" || exit 1; done
log "3 hosts connected to etcd $ETCD_EP (TLS, client certificates)"

# ---- the objects every figure uses: networks, instance ports (taps exist) ----------------
{
	NNET=$((VL > N1K / 10 ? VL : N1K / 10))
	for v in $(seq "$NNET"); do echo "networks/n$v {\"device\":\"ppbcup\",\"vlan\":$v}"; done
	echo 'networks/napi {"device":"ppbcup","vlan":4000}'	# the API figure's: no other port on it
	for n in 1 2 3; do
		for i in $(seq "$NIP"); do
			printf 'instance-ports/vm%d-%d {"device":"ppbct%d","mac":"52:54:00:%02x:%02x:%02x","host":"h%d"}\n' \
				"$n" "$i" "$i" "$n" $((i >> 8)) $((i & 255)) "$n"
		done
	done
} >"$WORK/base.txt"
ppe put <"$WORK/base.txt" >"$WORK/base.out" || { fail "bench:cluster: writing the base objects"; exit 1; }
active_all() {
	local h
	for h in "${HOSTS[@]}"; do
		[[ "$(hget "$h" /v1/instance-ports | jq --arg h "$h" \
			'[.[] | select(.host == $h and .status.status == "ACTIVE")] | length' 2>/dev/null)" == "$NIP" ]] ||
			return 1
	done
}
t0=$(date +%s%N)
until active_all; do
	if (($(ms_since "$t0") > 60000)); then
		fail "bench:cluster: the instance ports are not ACTIVE on their hosts within 60 s:" \
			"$(hget h1 /v1/instance-ports/vm1-1 | jq -c .status)"
		exit 1
	fi
	sleep 0.2
done
log "$((NNET + 1)) networks, $((3 * NIP)) instance ports (100 per host, taps present) ACTIVE in $(ms_since "$t0") ms"

# tsv FIG SPORTS TARGET SAMPLES EXTRA: a row of ppbench's control.tsv
tsv() { [[ -n $TSV ]] && printf '%s\t%s\tms\t%s\t%s\t%s\n' "$@" >>"$TSV"; return 0; }
# field OUT KEY...: from ppetcd's output, the line starting with KEY, its last word
val() { grep "^$2" "$1" | awk '{print $NF}' | tail -1; }
median() { tr ',' '\n' | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# ---- 1. 1,000 service ports for h1 straight into the store --------------------------------
if part 1k; then
per=$((N1K / 10))
for i in $(seq 10); do
	for v in $(seq "$per"); do echo "service-ports/s1k-$i-$v {\"instance-port\":\"vm1-$i\",\"vlan\":$v,\"bind\":{\"network\":\"n$v\"}}"; done
done >"$WORK/1k.txt"
S1=() P1=()
for r in $(seq "$REPS1"); do
	if ! ppe put "${WAITS[@]}" <"$WORK/1k.txt" >"$WORK/1k.$r.out"; then
		fail "bench:cluster_1k: not programmed within 60 s: $(tr '\n' ' ' <"$WORK/1k.$r.out")"
		exit 1
	fi
	S1+=("$(val "$WORK/1k.$r.out" "host h1 programmed")")
	P1+=("$(sed -n 's/^put .*: \([0-9.]*\) ms$/\1/p' "$WORK/1k.$r.out")")
	log "1: $N1K service ports ($(sed -n 's/^put \(.*\): .*/\1/p' "$WORK/1k.$r.out"), ${P1[-1]} ms): on h1 ${S1[-1]} ms after the last acknowledged txn"
	ppe del service-ports/ "${WAITS[@]}" <"$WORK/1k.txt" >"$WORK/1k.$r.del" ||
		{ fail "bench:cluster_1k: not removed within 60 s"; exit 1; }
	log "   deleted (one txn): gone from h1 after $(val "$WORK/1k.$r.del" "host h1 removed") ms"
done
s1=$(IFS=,; echo "${S1[*]}")
tsv cluster_1k "$N1K" 1000 "$s1" "txns_put_ms=$(IFS=,; echo "${P1[*]}") host=h1 from=last_txn_ack to=h1_pp_vlans_complete"
echo >&2 "cluster: $N1K service ports -> h1: median $(median <<<"$s1") ms (${S1[*]}), target < 1000 ms"
fi

# ---- 3. one change through h1's API for an instance port of h2 ----------------------------
api_fig() {	# api_fig FIG REPS
	local out=$WORK/$1.out
	if ! "$PPE" api --socket "$RUN/h1/api.sock" --host-pins "h2=$BPF/h2" --iport vm2-1 --vlan 4000 \
		--network napi --reps "$2" --name-prefix "ppbc-$1-" >"$out" 2>"$out.err"; then
		fail "bench:$1: $(tail -2 "$out.err" | tr '\n' ' ')"
		return 1
	fi
	local pr an
	pr=$(sed -n 's/^samples programmed_ms //p' "$out")
	an=$(sed -n 's/^samples answer_ms //p' "$out")
	tsv "$1" 1 "$3" "$pr" "answer_median_ms=$(median <<<"$an") removed_median_ms=$(sed -n 's/^samples removed_ms //p' "$out" | median) from=request_start to=h2_pp_vlans"
	tsv "$1_answer" 1 0 "$an" "h1's API answer (201) from the request's start"
	echo >&2 "cluster: $4: h2 has it $(median <<<"$pr") ms after the request started (median of $2; $pr), target < 50 ms; h1's API answered in $(median <<<"$an") ms"
}
# vm2-1 has no service port on VLAN 4000, napi no port at all: the POST is valid
if part api; then
	# the store's own share: a txn of one put (and the revision key), 20 in a
	# row, under a key no daemon programs (the floor of an API write)
	for i in $(seq 20); do echo "bench/txn-$i {\"i\":$i}"; done >"$WORK/txn.txt"
	if ppe put --ops 2 <"$WORK/txn.txt" >"$WORK/txn.out"; then
		each=$(sed -n 's/^put .*(\([0-9.]*\) ms each).*/\1/p' "$WORK/txn.out")
		tsv cluster_txn 1 0 "$each" "one etcd txn (1 put + the revision key), mean of 20 in a row"
		log "an etcd txn of one put: $each ms (mean of 20)"
	fi
	perf_on api 999 h1 h2
	api_fig cluster_api "$NAPI" 50 "one service port POSTed through h1's API for an instance port of h2"
	perf_off
fi
part 100k || exit "$FAILED"

# ---- 2. 100,000 service ports over the three hosts ---------------------------------------
# vmN-i gets VLANs 1..VL (the first 100 instance ports 334, the others 333 when
# VL=334: 100,000 in all); the lines mix the hosts so every txn has all three.
awk -v vl="$VL" -v nip="$NIP" 'BEGIN {
	for (v = 1; v <= vl; v++)
		for (i = 1; i <= nip; i++)
			for (n = 1; n <= 3; n++) {
				if (vl == 334 && v == 334 && n > 1) continue
				printf "service-ports/s-%d-%d-%d {\"instance-port\":\"vm%d-%d\",\"vlan\":%d,\"bind\":{\"network\":\"n%d\"}}\n", n, i, v, n, i, v, v
			}
}' >"$WORK/100k.txt"
NBIG=$(wc -l <"$WORK/100k.txt")
quiesce_ms() { sleep 1; }
quiesce_ms
for h in "${HOSTS[@]}"; do echo "---- ppbc: $NBIG service ports ----" >>"$WORK/$h.log"; done
perf_on 100k 199 h2
ppe put "${WAITS[@]}" --timeout-ms 300000 <"$WORK/100k.txt" >"$WORK/100k.out"
rc=$?
perf_off
if ((rc)); then
	fail "bench:cluster_100k: not programmed within 300 s: $(tr '\n' ' ' <"$WORK/100k.out")"
else
	last=$(val "$WORK/100k.out" "all programmed")
	put=$(sed -n 's/^put .*: \([0-9.]*\) ms$/\1/p' "$WORK/100k.out")
	per_host=""
	for h in "${HOSTS[@]}"; do
		n=$(awk -v h="$h" '$1 == "host" && $2 == h {print $4}' "$WORK/100k.out")
		ms=$(val "$WORK/100k.out" "host $h programmed")
		per_host+=" $h=$ms"
		tsv "cluster_100k_$h" "$n" 0 "$ms" "of the $NBIG: this host's share, from the last txn ack"
	done
	tsv cluster_100k "$NBIG" 5000 "$last" "per_host:$per_host txns_put_ms=$put"
	echo >&2 "cluster: $NBIG service ports over 3 hosts (put in $put ms, $(sed -n 's/^put .* in \([0-9]*\) transactions.*/\1/p' "$WORK/100k.out") txns): the last host $last ms after the last ack ($per_host), target < 5000 ms"
	for h in "${HOSTS[@]}"; do
		sed -n '/^---- ppbc: .* service ports ----$/,$p' "$WORK/$h.log" | grep -E "store changed|binding files read" |
			awk -v h="$h" '{n++} END {print "cluster: " h ": " n " log lines of reloads after the put (store changed / files read)"}' >&2
	done
	if ((!QUICK)); then
		perf_on api100k 199 h1 h2
		api_fig cluster_api_100k 5 50 "the same with $NBIG service ports in the store"
		perf_off
	fi
fi
exit "$FAILED"
