#!/usr/bin/env bash
# make bench: polyport's dataplane and control-plane figures side by side with
# the ceiling and the peers, measured in one run on this machine (issue 8).
#
#   bench/bench.sh [--quick] [--reps N] [--ms MS] [--cpu N] [--no-ovs]
#                  [--no-control | --control-only] [--no-cluster] [--no-vxlan] [--only KEY,...]
#                  [--bpf-stats] [--baseline REF [--baseline-only KEY,...]]
#
# --only runs only the named paths (keys as in bench/ppbench.c, e.g.
# v2n-fwd,v2n-pp-1u), --bpf-stats prints each program's ns per run (the
# kernel's run-time statistics, for profiling: they slow every program down).
# --baseline REF (a commit) builds REF in a git worktree under build/bench/
# (removed once built): its loader library and programs with this tree's
# bench/ppbench.c, whose "install" loads them with maps of their own.  Every
# polyport path then also runs REF's programs on the same devices, in the
# same run, back to back with ours (which first alternating by repetition),
# and the report gives each path "vs baseline: +x ns, +y %" (medians of
# per-repetition differences) and flags more than 2 ns or 3 % slower
# (whichever is more).
# --baseline-only KEY,... compares only those paths.  (--baseline-bin PATH:
# the same with an already built ppbench, e.g. this tree's own: bench/smoke.sh
# checks the mechanism so.)
#
# What it does (as root; everything it makes is removed on exit, leftovers of
# an earlier run first):
#  1. A network namespace "<scope>-dp" with veth pairs for every path (see
#     bench/ppbench.c: the ceilings, polyport in XDP mode with 1, 4,094 and
#     1,000 x 100 service ports, polyport in TC mode, a Linux bridge, Open
#     vSwitch with AF_XDP and with AF_PACKET ports, a network steered by a
#     service chain of one hop) and a tap; ppbench adds the routed path's
#     table 1801 (10,002 routes) there, gone with it.
#  2. Open vSwitch (Debian's openvswitch-switch, userspace datapath
#     datapath_type=netdev): our own ovsdb-server and ovs-vswitchd, with a
#     private database and run directory, stopped by PID at the end.
#  3. build/bench/ppbench dataplane: every path in alternation, several times.
#  4. A namespace "<scope>-cp" with a trunk veth and taps: ppbench control
#     times build/polyportd applying binding files, the first frame after a
#     tap appears, and the daemon's memory.
#  5. bench/cluster.sh (not with --no-cluster or --only):
#     three hosts' polyportd on one etcd (namespaces "ppbc-*"), service
#     ports written to the store timed until programmed on their hosts, one
#     API change until the remote host has it; its rows join control.tsv.
#  6. bench/vxlan.sh (not with --no-vxlan or --only): VM -> remote VM
#     (TCP, small UDP, ping) over polyport's VXLAN path on two hosts
#     ("ppbx-*", polyportd --store --vtep) beside the same over a Linux VXLAN
#     device and bridge; its rows (vxlan_*) join control.tsv.
#  7. ppbench report: the table, the targets, build/bench/results.json;
#     gnuplot: build/bench/bench.png.
# --quick (make bench-smoke): the fast paths only, one short repetition, no
# OVS and no 100,000-port configurations, results under build/bench/smoke/,
# and "PASS/FAIL name" lines that tests/run.sh counts.
#
# Namespaces are "pptbf-*" (full run) or "pptbs-*" (quick run), so that a
# smoke run (make test) and a full run never remove each other's; every
# device lives inside them and starts with "pptb".
QUICK=0 REPS=9 MS= CPU=1 OVS=1 CONTROL=1 DATAPLANE=1 ONLY=() PROFILE=() BASELINE= BASE_BIN=
CLUSTER=1 VXLAN=1
BASE_NAME= BASE_ONLY=()
while (($#)); do
	case $1 in
	--baseline-only) BASE_ONLY=(--baseline-only "$2"); shift ;;
	--baseline) BASELINE=$2; shift ;;
	--baseline-bin) BASE_BIN=$2; BASE_NAME=$(basename "$2"); shift ;;
	--only) ONLY=(--only "$2"); CONTROL=0; CLUSTER=0; VXLAN=0; shift ;;
	--bpf-stats) PROFILE=(--bpf-stats) ;;
	--quick) QUICK=1 ;;
	--reps) REPS=$2; shift ;;
	--ms) MS=$2; shift ;;
	--cpu) CPU=$2; shift ;;
	--no-ovs) OVS=0 ;;
	--no-control) CONTROL=0 ;;
	--no-cluster) CLUSTER=0 ;;
	--no-vxlan) VXLAN=0 ;;
	--control-only) DATAPLANE=0; OVS=0 ;;
	*) echo "usage: $0 [--quick] [--reps N] [--ms MS] [--cpu N] [--no-ovs] [--no-control|--control-only] [--no-cluster]" \
		"[--no-vxlan] [--only KEY,...] [--bpf-stats] [--baseline REF [--baseline-only KEY,...]]" >&2
	   exit 2 ;;
	esac
	shift
done
if ((QUICK)); then
	PPT_SCOPE=pptbs; REPS=1; MS=${MS:-100}; OVS=0
else
	PPT_SCOPE=pptbf; MS=${MS:-500}
fi
PPT_NAME=bench
# shellcheck source=../tests/e2e/lib.sh
source "$(dirname "$0")/../tests/e2e/lib.sh"
need_root
NS=$PPT_SCOPE-dp
NSC=$PPT_SCOPE-cp
OUT=$B/bench
((QUICK)) && OUT=$B/bench/smoke
[[ -n ${BENCH_OUT:-} ]] && OUT=$BENCH_OUT	# bench/profile.sh: elsewhere
PPB=$B/bench/ppbench
OVSD=$WORK/ovs

log() { echo "bench: $*" >&2; }

# Wait (at most 60 s) until the machine is quiet: less than 10 % of the CPUs
# busy over half a second.  A deleted namespace is torn down by the kernel
# afterwards (thousands of veths here), and it would run under the next
# figures.
quiesce() {
	local a b i
	for i in $(seq 120); do
		a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
		sleep 0.5
		b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
		# shellcheck disable=SC2086
		set -- $a $b
		(( ($3 - $1) * 10 < ($4 - $2) )) && return 0
	done
	log "the machine did not quiet down in 60 s: figures may be low"
}
quick=()
((QUICK)) && quick=(--quick)

ovs_stop() {
	local p
	for p in ovs-vswitchd ovsdb-server; do
		[[ -f $OVSD/$p.pid ]] || continue
		kill "$(cat "$OVSD/$p.pid")" 2>/dev/null
	done
	for p in ovs-vswitchd ovsdb-server; do
		[[ -f $OVSD/$p.pid ]] || continue
		for _ in $(seq 50); do kill -0 "$(cat "$OVSD/$p.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.1; done
		rm -f "$OVSD/$p.pid"
	done
}

BWT=
bench_finish() {
	ovs_stop
	if [[ -n $BWT && -d $BWT ]]; then
		git -C "$TOP" worktree remove --force "$BWT" >/dev/null 2>&1
		git -C "$TOP" worktree prune >/dev/null 2>&1
	fi
	finish
}
trap bench_finish EXIT
cleanup_leftovers
mount_bpffs
mkdir -p "$OUT"
((DATAPLANE)) && rm -f "$OUT"/dataplane.tsv
((CONTROL)) && rm -f "$OUT"/control.tsv
((CLUSTER)) && [[ -f $OUT/control.tsv ]] && sed -i '/^cluster_/d' "$OUT"/control.tsv
((VXLAN)) && [[ -f $OUT/control.tsv ]] && sed -i '/^vxlan_/d' "$OUT"/control.tsv
rm -f "$OUT"/results.json

for bin in "$PPB" "$B/polyportd" "$B/polyportctl"; do
	if [[ ! -x $bin ]]; then
		fail "bench: $bin not built (make $bin)"
		exit 1
	fi
done

# ---- the machine ------------------------------------------------------------------
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) vCPUs ($(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -1) guest; SRSO: $(cat /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow 2>/dev/null))"
	echo "memory: $(free -g | awk '/Mem:/{print $2}') GiB"
	echo "commit: $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null)$(git -C "$TOP" diff --quiet 2>/dev/null || echo ' (work tree modified)')"
	echo "libbpf: $(dpkg-query -W -f='${Version}' libbpf1 2>/dev/null), clang: $(clang --version | head -1 | grep -o '[0-9][0-9.]*' | head -1), ovs: $(dpkg-query -W -f='${Version}' openvswitch-switch 2>/dev/null)"
	echo "run: reps=$REPS ms=$MS cpu=$CPU quick=$QUICK"
} >"$OUT/machine.txt"
sed 's/^/  /' "$OUT/machine.txt" >&2

# ---- the baseline: another commit's programs -----------------------------------------
# REF's tree in a worktree, with this tree's bench/ (ppbench install: the
# same configurations through REF's loader library); only its ppbench is kept.
if [[ -n $BASELINE ]] && ((DATAPLANE)); then
	if ! git -C "$TOP" cat-file -e "$BASELINE^{commit}" 2>/dev/null; then
		git -C "$TOP" fetch -q origin "$BASELINE" >"$WORK/fetch.log" 2>&1 ||
			git -C "$TOP" fetch -q --unshallow >>"$WORK/fetch.log" 2>&1
	fi
	if ! sha=$(git -C "$TOP" rev-parse --verify -q "$BASELINE^{commit}"); then
		fail "bench: --baseline $BASELINE: no such commit"
		exit 1
	fi
	BASE_NAME=$(git -C "$TOP" rev-parse --short "$sha")
	BWT=$B/bench/baseline-$BASE_NAME
	BASE_BIN=$WORK/ppbench-$BASE_NAME
	log "baseline $BASELINE ($BASE_NAME): building its programs in $BWT"
	t0=$(date +%s)
	[[ -d $BWT ]] && git -C "$TOP" worktree remove --force "$BWT" >/dev/null 2>&1
	rm -rf "$BWT"
	git -C "$TOP" worktree prune >/dev/null 2>&1
	if ! git -C "$TOP" worktree add -q --detach "$BWT" "$sha" >"$WORK/wt.log" 2>&1; then
		fail "bench: --baseline $BASELINE: git worktree add: $(tail -2 "$WORK/wt.log" | tr '\n' ' ')"
		exit 1
	fi
	cp "$TOP"/bench/ppbench.c "$TOP"/bench/gen.bpf.c "$TOP"/bench/gen.h "$BWT/bench/"
	if ! make -s -C "$BWT" -j2 build/bench/ppbench >"$WORK/base-build.log" 2>&1 ||
		! cp "$BWT/build/bench/ppbench" "$BASE_BIN"; then
		fail "bench: --baseline $BASELINE: building its ppbench (this tree's bench/ppbench.c" \
			"against its loader library): $(grep -m3 -E 'error|Error' "$WORK/base-build.log" | tr '\n' ' ')"
		exit 1
	fi
	git -C "$TOP" worktree remove --force "$BWT" >/dev/null 2>&1
	git -C "$TOP" worktree prune >/dev/null 2>&1
	BWT=
	log "baseline $BASE_NAME built in $(($(date +%s) - t0)) s"
	echo "baseline: $BASE_NAME ($(git -C "$TOP" log -1 --format=%s "$sha" | cut -c1-80))" \
		>>"$OUT/machine.txt"
fi
base=()
[[ -n $BASE_BIN ]] && base=(--baseline "$BASE_BIN" --baseline-name "$BASE_NAME" "${BASE_ONLY[@]}")

# ---- the dataplane namespace ---------------------------------------------------------
dataplane() {
t0=$(date +%s.%N)
ip netns add "$NS"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
pairs=(pptbra:pptbrb pptbca:pptbcb pptbcn:pptbcs pptbua:pptbub pptbun:pptbus
	pptbta:pptbtb pptbtn:pptbts pptbba:pptbbb pptbbn:pptbbs pptbwn:pptbws
	pptbla1:pptblb1 pptbla2:pptblb2 pptbla3:pptblb3 pptbln:pptbls	# flood
	pptbea:pptbeb pptben:pptbes					# security
	pptbya:pptbyb pptbyn:pptbys					# routed: tap, uplink
	pptbza1:pptbzb1 pptbza2:pptbzb2 pptbzn:pptbzs)			# chained: client, function, network
if ((!QUICK)); then
	pairs+=(pptbva:pptbvb pptbvn:pptbvs pptbka:pptbkb pptbkn:pptbks pptbmn:pptbms
		pptboa:pptbob pptbon:pptbos pptbpa:pptbpb pptbpn:pptbps)
	# the 1,000 instance ports of M: only if a path on them runs
	if ((!${#ONLY[@]})) || [[ ,${ONLY[1]}, =~ ,(v2n|n2v)-(pp-100k|fwd-1000), ]]; then
		for i in $(seq 1000); do pairs+=("pptbma$i:pptbmb$i"); done
	fi
fi
{
	for p in "${pairs[@]}"; do
		echo "link add ${p%%:*} type veth peer name ${p#*:}"
	done
	echo "link add pptbbr type bridge forward_delay 0 stp_state 0"
	echo "link set pptbbb master pptbbr"
	echo "link set pptbbn master pptbbr"
	echo "link set pptbbr up"
	for p in "${pairs[@]}"; do
		echo "link set ${p%%:*} up"
		echo "link set ${p#*:} up"
	done
} >"$WORK/dp.batch"
if ! ip -n "$NS" -batch "$WORK/dp.batch"; then
	fail "bench: creating the dataplane devices"
	exit 1
fi
bridge -n "$NS" fdb add 02:00:00:00:00:aa dev pptbbn master static
log "namespace $NS: ${#pairs[@]} veth pairs in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}') s"

# ---- Open vSwitch: our own daemons, userspace datapath ------------------------------------
ovs=()
ovs_start() {
	local db=unix:$OVSD/db.sock vs
	command -v ovs-vswitchd >/dev/null || { skip "bench:ovs: openvswitch-switch is not installed"; return 1; }
	mkdir -p "$OVSD"
	export OVS_RUNDIR=$OVSD OVS_LOGDIR=$OVSD OVS_DBDIR=$OVSD OVS_SYSCONFDIR=$OVSD
	ovsdb-tool create "$OVSD/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	ip netns exec "$NS" ovsdb-server "$OVSD/conf.db" --remote="punix:$OVSD/db.sock" --pidfile="$OVSD/ovsdb-server.pid" \
		--unixctl="$OVSD/ovsdb-server.ctl" --detach --log-file="$OVSD/ovsdb-server.log" || return 1
	vs() { ovs-vsctl --db="$db" --timeout=20 "$@"; }
	vs --no-wait init
	# The PMD thread on the benchmark's CPU (one core for everything, as for polyport);
	# it sleeps when idle (pmd-maxsleep), so it does not take that CPU from the other paths.
	vs --no-wait set Open_vSwitch . other_config:pmd-cpu-mask="$(printf 0x%x $((1 << CPU)))" \
		other_config:pmd-maxsleep=10000 other_config:n-handler-threads=1 \
		other_config:n-revalidator-threads=1
	ip netns exec "$NS" ovs-vswitchd "$db" --pidfile="$OVSD/ovs-vswitchd.pid" \
		--unixctl="$OVSD/ovs-vswitchd.ctl" --detach --log-file="$OVSD/ovs-vswitchd.log" || return 1
	# VLAN trunk -> access port, the same job as polyport's: VLAN 1 -> untagged.
	vs add-br pptbbx -- set bridge pptbbx datapath_type=netdev \
		-- add-port pptbbx pptbob -- set interface pptbob type=afxdp \
		-- add-port pptbbx pptbon tag=1 -- set interface pptbon type=afxdp || return 1
	vs add-br pptbbp -- set bridge pptbbp datapath_type=netdev \
		-- add-port pptbbp pptbpb -- add-port pptbbp pptbpn tag=1 || return 1
	for _ in $(seq 100); do
		ip -n "$NS" link show pptbob | grep -q "prog/xdp" && ip -n "$NS" link show pptbon | grep -q "prog/xdp" && return 0
		sleep 0.1
	done
	echo "AF_XDP ports did not come up:" >&2
	tail -20 "$OVSD/ovs-vswitchd.log" >&2
	return 1
}
if ((OVS)); then
	if ovs_start; then
		ovs=(--ovs)
		log "Open vSwitch $(ovs-vswitchd --version | head -1 | awk '{print $NF}') running (userspace datapath, AF_XDP and AF_PACKET ports)"
	else
		log "Open vSwitch could not be set up: its rows are left out"
		ovs_stop
	fi
fi

# ---- the dataplane -----------------------------------------------------------------
log "dataplane: every path $REPS times, alternating, ${MS} ms each"
# PPB_WRAP: a command to run ppbench under (bench/profile.sh: perf record)
# shellcheck disable=SC2086
if ! ip netns exec "$NS" ${PPB_WRAP:-} "$PPB" dataplane "${quick[@]}" "${ovs[@]}" "${ONLY[@]}" \
	"${PROFILE[@]}" "${base[@]}" --reps "$REPS" --ms "$MS" --cpu "$CPU" --out "$OUT/dataplane.tsv"; then
	fail "bench:dataplane: ppbench dataplane failed"
	exit 1
fi
if ((${#ovs[@]})); then
	cp "$OVSD/ovs-vswitchd.log" "$OUT/ovs-vswitchd.log" 2>/dev/null
	ovs_stop
fi
ip netns del "$NS"
((QUICK || !CONTROL)) || quiesce
}
if ((DATAPLANE)); then
	dataplane || exit 1
fi

# ---- the control plane -------------------------------------------------------------
if ((CONTROL)); then
	ip netns add "$NSC"
	ip netns exec "$NSC" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	{
		echo "link add pptbct type veth peer name pptbcs"
		echo "link set pptbct up"
		echo "link set pptbcs up"
		echo "tuntap add dev pptbk1 mode tap"	# ppbench adds 1,000 more for the large configurations
	} >"$WORK/cp.batch"
	if ! ip -n "$NSC" -batch "$WORK/cp.batch"; then
		fail "bench: creating the control-plane devices"
		exit 1
	fi
	mkdir -p "$WORK/cp"
	log "control plane: polyportd applying binding files"
	if ! ip netns exec "$NSC" "$PPB" control "${quick[@]}" --reps "$( ((QUICK)) && echo 1 || echo 3)" \
		--polyportd "$B/polyportd" --polyportctl "$B/polyportctl" --work "$WORK/cp" \
		--out "$OUT/control.tsv"; then
		fail "bench:control: ppbench control failed"
		tail -20 "$WORK/cp/polyportd.log" >&2
		exit 1
	fi
	cp "$WORK/cp/polyportd.log" "$OUT/polyportd.log" 2>/dev/null
	ip netns del "$NSC"
fi

# ---- the cluster: three hosts, one etcd (bench/cluster.sh) -----------------------------------
# (its figures on stderr, a FAIL line on stdout; its rows in the report either way)
if ((CLUSTER)); then
	((QUICK)) || quiesce
	log "cluster: three polyportd on one etcd, the store's writes until programmed"
	"$TOP/bench/cluster.sh" "${quick[@]}" --tsv "$OUT/control.tsv" --logs "$OUT" || FAILED=1
fi

# ---- VXLAN: VM -> remote VM, polyport's path beside Linux's (bench/vxlan.sh) --------------------
if ((VXLAN)); then
	((QUICK)) || quiesce
	log "vxlan: VM -> remote VM over polyport's VXLAN path and over a Linux VXLAN device + bridge"
	"$TOP/bench/vxlan.sh" "${quick[@]}" --tsv "$OUT/control.tsv" --logs "$OUT" || FAILED=1
fi

# ---- the report --------------------------------------------------------------------
if ((QUICK)); then
	"$PPB" report --dir "$OUT" --check || FAILED=1
	exit $FAILED
fi
"$PPB" report --dir "$OUT" | tee "$OUT/table.txt" || exit 1
if command -v gnuplot >/dev/null; then
	if gnuplot -e "dir='$OUT'; machine='$(sed -n 's/^cpu: //p' "$OUT/machine.txt" | sed 's/; SRSO.*)/)/' | tr -d "'")'" \
		"$TOP/bench/plot.gp" 2>"$WORK/gnuplot.err"; then
		log "plot: $OUT/bench.png"
	else
		log "gnuplot failed: $(cat "$WORK/gnuplot.err")"
	fi
else
	log "gnuplot is not installed (gnuplot-nox): no plot"
fi
log "results: $OUT/results.json, table: $OUT/table.txt"
exit 0
