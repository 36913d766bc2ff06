#!/usr/bin/env bash
# make bench, VXLAN part (issue 20): VM -> remote VM over polyport's VXLAN
# path, beside the same traffic over a plain Linux VXLAN device and a bridge,
# measured in one run, alternating by repetition.
#
#   bench/vxlan.sh [--quick] [--reps N] [--secs S] [--cpu N] [--tsv FILE] [--logs DIR]
#
# Topology (everything in namespaces ppbx-*, devices ppbx* inside them):
#   ppbx-net    bridge ppbxbr: the underlay (MTU 1550, so that the VMs keep
#               1500), veth ppbxuN <-> ppbxu of each host below
#   ppbx-etcd   etcd (TLS, client certificates; tests/etcd.sh) on 10.95.0.1
#   ppbx-h1/h2  polyport hosts: polyportd --store (cluster mode) --vtep
#               10.96.0.1 / .2 (its VXLAN device ppbxvx); a light guest
#               (build/ppguest, virtio-net headers with TSO, as QEMU) on tap
#               ppbxt1 / ppbxt2, its service port VLAN 100 (the guest's
#               sub-interface: namespace ppbx-g1 / g2, 10.99.0.1 / .2) bound
#               to network vx {vxlan: {vni: 100}}
#   ppbx-l1/l2  Linux hosts, VTEPs 10.96.0.11 / .12 on the same underlay:
#               VXLAN device ppbxvx (id 100, port 4789, no learning, static
#               fdb: the remote VM's MAC and the flood entry) and the same
#               guest's tap in a bridge ppbxbr (static fdb for the remote
#               MAC).  No VLAN handling on this side, as the bench's other
#               Linux bridge row: this kernel has neither 8021q nor bridge
#               VLAN filtering (nor matchall/act_vlan), so the guest's port
#               is its untagged interface; polyport's figures include the
#               tag's pop and push.  Guests ppbx-k1 / k2, the same addresses.
# Both VMs' guests have the peer's MAC pinned (no ARP in the figures).
#
# The guests (ppguest), iperf3 and ping run on one CPU (--cpu, 1 by default),
# and with them both hosts' dataplanes (a tap's write() runs the receive path
# to the other tap on the writer's CPU), as bench/ppbench.c's paths do: no
# wake-up of an idle vCPU in the figures (that alone moved the RTT from 15 to
# 200 us from one repetition to the next).
# Figures, each system's every repetition (A B, B A, A B ...):
#   vxlan_tcp_*   iperf3 TCP VM1 -> VM2, one stream (Gbit/s); "ns a packet":
#                 per 1,448-byte segment (MSS at MTU 1500)
#   vxlan_udp_*   iperf3 UDP, 18-byte payloads (60-byte frames), unlimited
#                 rate: datagrams received a second (kpps), ns a packet
#   vxlan_rtt_*   ping VM1 -> VM2, median RTT (us)
# and for each: polyport / Linux (median of per-repetition ratios) and the ns
# a packet polyport's path adds over Linux's (median of per-repetition
# differences; negative: polyport's is cheaper).  The VM side (ppguest in
# userspace, iperf3) is the same on both paths and makes most of each
# packet's cost: the difference is the two paths'.
# Rows of FILE in the format of ppbench's control.tsv (ppbench report puts
# them in its table, its targets and results.json).  A check that the
# traffic took the VXLAN devices (their tx counters) prints PASS/FAIL lines.
# --quick (bench:smoke): one repetition of 1 s each: sane numbers only.
QUICK=0 REPS=5 SECS=4 CPU=1 TSV= LOGS=
while (($#)); do
	case $1 in
	--quick) QUICK=1 ;;
	--reps) REPS=$2; shift ;;
	--secs) SECS=$2; shift ;;
	--cpu) CPU=$2; shift ;;
	--tsv) TSV=$2; shift ;;
	--logs) LOGS=$2; shift ;;
	*) echo "usage: $0 [--quick] [--reps N] [--secs S] [--cpu N] [--tsv FILE] [--logs DIR]" >&2; exit 2 ;;
	esac
	shift
done
((QUICK)) && REPS=1 SECS=1
PPT_NAME=bench-vxlan
PPT_SCOPE=ppbx	# cleanup_leftovers: ppbx-* namespaces, ppbx* devices only
# shellcheck source=../tests/e2e/lib.sh
source "$(dirname "$0")/../tests/e2e/lib.sh"
# shellcheck source=../tests/etcd.sh
source "$TOP/tests/etcd.sh"
need_root
RUN=/run/ppbx BPF=/run/ppbx/bpf CERTS=$WORK/certs
EP_IP=10.95.0.1 EP_PORT=2379
PPD=$B/polyportd PPE=$B/bench/ppetcd
M1=52:54:00:b0:00:01 M2=52:54:00:b0:00:02 K1=52:54:00:b0:00:11 K2=52:54:00:b0:00:12
PINGS=$( ((QUICK)) && echo 20 || echo 200)
declare -A HPID=()
log() { echo "vxlan: $*" >&2; }

vx_finish() {
	local h
	for h in "${!HPID[@]}"; do kill "${HPID[$h]}" 2>/dev/null; done
	for h in "${!HPID[@]}"; do wait "${HPID[$h]}" 2>/dev/null; done
	etcd_stop
	if [[ -n $LOGS ]]; then
		mkdir -p "$LOGS"
		for h in h1 h2; do cp "$WORK/$h.log" "$LOGS/vxlan-$h.log" 2>/dev/null; done
	fi
	finish		# guests and iperf3 (PIDS), the ppbx-* namespaces, $WORK
	etcd_mounts_gone "$RUN" "$BPF"
}
trap vx_finish EXIT
cleanup_leftovers
etcd_mounts_gone "$RUN" "$BPF"
for bin in "$PPD" "$PPE" "$B/ppguest"; do
	[[ -x $bin ]] || { fail "bench:vxlan: $bin not built (make $bin)"; exit 1; }
done
for c in iperf3 jq etcd; do
	command -v $c >/dev/null || { skip "bench:vxlan: $c is not installed (make deps)"; exit 0; }
done

# ---- the underlay, the Linux hosts ------------------------------------------------------------
quiet() { ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }
ip netns add ppbx-net && quiet ppbx-net
ip -n ppbx-net link add ppbxbr mtu 1550 type bridge forward_delay 0 stp_state 0
ip -n ppbx-net link set ppbxbr up
# host NS N ADDR: namespace NS on the underlay (ppbxu, ADDR/24, MTU 1550)
host() {
	ip netns add "$1" && quiet "$1" &&
		ip -n "$1" link set lo up &&
		ip -n "$1" link add ppbxu mtu 1550 type veth peer name "ppbxu$2" mtu 1550 netns ppbx-net &&
		ip -n ppbx-net link set "ppbxu$2" master ppbxbr up &&
		ip -n "$1" addr add "$3/24" dev ppbxu && ip -n "$1" link set ppbxu up
}
# vm NAME HOSTNS TAP GUESTNS MAC ADDR PEERMAC MATCH: the guest (ppguest, its
# port MATCH) and its addresses
vm() {
	guest_ns "$4" && quiet "$4" || return 1
	GUEST_NETNS=$2 guest "$1" "$3" --vnet-hdr --port "ns=$4,dev=eth0,mac=$5,match=$8" || return 1
	local pid="GUEST_$1"
	taskset -p -c "$CPU" "${!pid}" >/dev/null || return 1
	ip netns exec "$2" sysctl -qw "net.ipv6.conf.$3.disable_ipv6=1"
	ip -n "$4" addr add "$6/24" dev eth0
	ip -n "$4" neigh replace "10.99.0.$((3 - ${6##*.}))" lladdr "$7" dev eth0 nud permanent
}
# linux_host N VTEP PEERVTEP TAP GUESTNS MAC ADDR PEERMAC: VXLAN device + bridge
linux_host() {
	local ns=ppbx-l$1
	host "$ns" $((2 + $1)) "$2" || return 1
	vm "k$1" "$ns" "$4" "$5" "$6" "$7" "$8" untagged || return 1
	{
		echo "link add ppbxvx type vxlan id 100 local $2 dstport 4789 nolearning dev ppbxu"
		echo "link add ppbxbr type bridge forward_delay 0 stp_state 0"
		echo "link set ppbxvx master ppbxbr"
		echo "link set $4 master ppbxbr"
		echo "link set ppbxvx up"
		echo "link set ppbxbr up"
	} >"$WORK/l$1.batch"
	ip -n "$ns" -batch "$WORK/l$1.batch" || return 1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.ppbxvx.disable_ipv6=1 net.ipv6.conf.ppbxbr.disable_ipv6=1
	{
		echo "fdb append 00:00:00:00:00:00 dev ppbxvx dst $3 self permanent"
		echo "fdb add $8 dev ppbxvx dst $3 self permanent"
		echo "fdb add $8 dev ppbxvx master static"
	} >"$WORK/l$1.fdb"
	bridge -n "$ns" -batch "$WORK/l$1.fdb"
}
linux_host 1 10.96.0.11 10.96.0.12 ppbxt1 ppbx-k1 "$K1" 10.99.0.1 "$K2" &&
	linux_host 2 10.96.0.12 10.96.0.11 ppbxt2 ppbx-k2 "$K2" 10.99.0.2 "$K1" ||
	{ fail "bench:vxlan: the Linux hosts (VXLAN device, bridge, guests)"; exit 1; }

# ---- the polyport hosts: etcd, polyportd --vtep, the objects ------------------------------------
PP=1
if ! "$PPD" --help 2>&1 | grep -q -- '--vtep'; then
	skip "bench:vxlan: polyportd has no --vtep (issue 20's daemon side): the Linux path only"
	PP=0
fi
vxdev=() PPVX=ppvxlan	# polyport's VXLAN device: ours (ppbx*) where polyportd can name it
"$PPD" --help 2>&1 | grep -q -- '--vxlan-device' && vxdev=(--vxlan-device ppbxvx) PPVX=ppbxvx
connected() {
	[[ "$(curl -s -m 2 --unix-socket "$RUN/$1/api.sock" http://localhost/v1/status |
		jq -r .cluster.connected 2>/dev/null)" == true ]]
}
# pp_hosts: etcd, the two polyport hosts, their guests, the objects (WHY: what failed)
WHY=
pp_hosts() {
	mkdir -p "$RUN" && mount -t tmpfs -o mode=0700 ppbx "$RUN" && mkdir -p "$BPF" &&
		mount -t bpf -o mode=0700 bpf "$BPF" || { WHY="cannot mount $RUN and $BPF"; return 1; }
	ip netns add ppbx-etcd && quiet ppbx-etcd && ip -n ppbx-etcd link set lo up &&
		ip -n ppbx-etcd addr add "$EP_IP/32" dev lo || return 1
	local n h pid
	for n in 1 2; do
		host "ppbx-h$n" "$n" "10.96.0.$n" && etcd_link "ppbx-h$n" ppbx-etcd ppbxe "$n" 10.95 "$EP_IP" ||
			{ WHY="host h$n"; return 1; }
	done
	vm g1 ppbx-h1 ppbxt1 ppbx-g1 "$M1" 10.99.0.1 "$M2" vlan:100 &&
		vm g2 ppbx-h2 ppbxt2 ppbx-g2 "$M2" 10.99.0.2 "$M1" vlan:100 ||
		{ WHY="the guests"; return 1; }
	etcd_ca "$CERTS" "$EP_IP" && etcd_start ppbx-etcd "$EP_IP" "$EP_PORT" "$RUN/etcd" "$CERTS" >/dev/null ||
		{ WHY="etcd: $(tail -3 "$RUN/etcd.log" 2>/dev/null | tr '\n' ' ')"; return 1; }
	for n in 1 2; do
		h=h$n
		mkdir -p "$WORK/$h/conf" "$WORK/$h/state" "$RUN/$h"
		ip netns exec "ppbx-$h" "$PPD" -f -v --config "$WORK/$h/conf" --pin-root "$BPF/$h" \
			--state-dir "$WORK/$h/state" --api-socket "$RUN/$h/api.sock" \
			--store "etcd=$ETCD_EP" --host "$h" --etcd-ca "$CERTS/ca.crt" \
			--etcd-cert "$CERTS/client.crt" --etcd-key "$CERTS/client.key" \
			--vtep "10.96.0.$n" "${vxdev[@]}" >>"$WORK/$h.log" 2>&1 &
		HPID[$h]=$!
	done
	for h in h1 h2; do
		wait_for 10 connected "$h" || { WHY="polyportd of $h did not connect to etcd"; return 1; }
	done
	{
		echo 'networks/vx {"vxlan":{"vni":100}}'
		for n in 1 2; do
			m=M$n
			echo "instance-ports/vm$n {\"device\":\"ppbxt$n\",\"mac\":\"${!m}\",\"host\":\"h$n\"}"
			echo "service-ports/s$n {\"instance-port\":\"vm$n\",\"vlan\":100,\"bind\":{\"network\":\"vx\"}}"
		done
	} >"$WORK/objects.txt"
	ip netns exec ppbx-etcd "$PPE" --endpoints "$ETCD_EP" --ca "$CERTS/ca.crt" --cert "$CERTS/client.crt" \
		--key "$CERTS/client.key" put --wait "h1=$BPF/h1" --wait "h2=$BPF/h2" --timeout-ms 20000 \
		<"$WORK/objects.txt" >"$WORK/put.out" 2>&1 ||
		{ WHY="the objects not programmed: $(tr '\n' ' ' <"$WORK/put.out")"; return 1; }
	for pid in "${HPID[@]}"; do kill -0 "$pid" 2>/dev/null || { WHY="a polyportd exited"; return 1; }; done
}
if ((PP)) && ! pp_hosts; then
	fail "bench:vxlan: the polyport hosts: $WHY; $(tail -3 "$WORK/h1.log" 2>/dev/null | tr '\n' ' ')"
	exit 1
fi

# ---- traffic -----------------------------------------------------------------------------
# the two systems: guest namespaces of VM1 and VM2, the hosts of VM1 (tx counter)
declare -A G1=([pp]=ppbx-g1 [linux]=ppbx-k1) G2=([pp]=ppbx-g2 [linux]=ppbx-k2) H1=([pp]=ppbx-h1 [linux]=ppbx-l1)
SYS=(linux)
((PP)) && SYS=(pp linux)
for s in "${SYS[@]}"; do
	ip netns exec "${G2[$s]}" taskset -c "$CPU" iperf3 -s -p 5201 >"$WORK/iperf3-$s.log" 2>&1 &
	PIDS+=($!)
done
# reach S: VM1 pings VM2 over system S within 10 s
reach() {
	local t=$((SECONDS + 10))
	until ip netns exec "${G1[$1]}" ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1; do
		((SECONDS < t)) || return 1
	done
}
for s in "${SYS[@]}"; do
	reach "$s" && continue
	fail "bench:vxlan: VM1 does not reach VM2 over the $s path in 10 s"
	[[ $s == pp ]] && ip netns exec ppbx-h1 "$B/polyportctl" --pin-root "$BPF/h1" dump --canonical 2>&1 |
		grep -E "^pp_(nets|vxlan|vnis|vteps|remote|rflood) " | sed 's/^/    h1: /' >&2
	exit 1
done
declare -A VXDEV=([pp]=$PPVX [linux]=ppbxvx)
txp() { ip -n "${H1[$1]}" -s -j link show "${VXDEV[$1]}" 2>/dev/null | jq '.[0].stats64.tx.packets // 0'; }
declare -A TX0=()
for s in "${SYS[@]}"; do TX0[$s]=$(txp "$s"); done

# iperf S ARGS...: iperf3 from VM1 to VM2 over system S (JSON), 3 tries (the server may be busy)
iperf() {
	local s=$1 out i
	shift
	for i in 1 2 3; do
		out=$(ip netns exec "${G1[$s]}" timeout $((SECS + 15)) taskset -c "$CPU" iperf3 -c 10.99.0.2 -p 5201 -t "$SECS" -J "$@" 2>/dev/null) &&
			{ echo "$out"; return 0; }
		sleep 0.5
	done
	return 1
}
tcp() { iperf "$1" ${2:+-O 1} | jq -r '.end.sum_received.bits_per_second / 1e9'; }
udp() { iperf "$1" -u -b 0 -l 18 | jq -r '.end.sum | (.packets - .lost_packets) / .seconds / 1e3'; }
rtt() {
	ip netns exec "${G1[$1]}" taskset -c "$CPU" ping -c "$PINGS" -i 0.005 -W 1 10.99.0.2 2>/dev/null |
		sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | sort -g | awk '{v[NR] = $1 * 1000} END {if (NR) print v[int((NR + 1) / 2)]}'
}
declare -A V=()	# V[fig,sys] = samples, comma-separated
omit=
((QUICK)) || omit=1
log "VM1 -> VM2 over ${SYS[*]}: $REPS repetitions of TCP, UDP ($SECS s each) and $PINGS pings, alternating"
for r in $(seq "$REPS"); do
	order=("${SYS[@]}")
	((r % 2 == 0 && ${#SYS[@]} == 2)) && order=(linux pp)
	for s in "${order[@]}"; do
		for f in tcp udp rtt; do
			if [[ $f == tcp ]]; then v=$(tcp "$s" $omit); else v=$($f "$s"); fi
			if [[ ! $v =~ ^[0-9.e+-]+$ ]]; then
				fail "bench:vxlan_$f: no figure over the $s path (repetition $r)"
				v=0
			fi
			V[$f,$s]+=${V[$f,$s]:+,}$v
		done
	done
	log "  repetition $r: $(for s in "${SYS[@]}"; do printf '%s: TCP %.3g Gbit/s, UDP %.0f kpps, RTT %.0f us; ' \
		"$s" "${V[tcp,$s]##*,}" "${V[udp,$s]##*,}" "${V[rtt,$s]##*,}"; done)"
done

# the traffic took the VXLAN devices: at least one packet a UDP datagram sent
for s in "${SYS[@]}"; do
	d=$(($(txp "$s") - TX0[$s]))
	if ((d > 0)); then
		pass "bench:vxlan_path_$s: VM1's traffic left through ${H1[$s]}'s VXLAN device ${VXDEV[$s]} ($d packets)"
	else
		fail "bench:vxlan_path_$s: no packet left through ${H1[$s]}'s VXLAN device ${VXDEV[$s]}"
	fi
done

# ---- the figures -------------------------------------------------------------------------
# tsv FIG UNIT SAMPLES EXTRA: a row of ppbench's control.tsv (1 service port a VM)
tsv() { [[ -n $TSV ]] && printf '%s\t1\t%s\t0\t%s\t%s\n' "$@" >>"$TSV"; return 0; }
# paired A B KIND: per repetition, A/B ("ratio") or the ns a packet A adds over B
# (KIND ns_rate: 1e9/rate in kpps; ns_gbps: per 1,448-byte segment; ns_us: us)
# -> "median min max"
paired() {
	awk -v a="$1" -v b="$2" -v k="$3" 'BEGIN {
		n = split(a, x, ","); split(b, y, ",")
		for (i = 1; i <= n; i++) {
			if (k == "ratio") d[i] = y[i] > 0 ? x[i] / y[i] : 0
			else if (k == "ns_rate") d[i] = 1e6 / x[i] - 1e6 / y[i]
			else if (k == "ns_gbps") d[i] = 1448 * 8 / x[i] - 1448 * 8 / y[i]
			else d[i] = (x[i] - y[i]) * 1e3
		}
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (d[j] < d[i]) { t = d[i]; d[i] = d[j]; d[j] = t }
		printf (k == "ratio" ? "%.2f %.2f %.2f\n" : "%+.0f %+.0f %+.0f\n"), n % 2 ? d[(n + 1) / 2] : (d[n / 2] + d[n / 2 + 1]) / 2, d[1], d[n]
	}'
}
med() { tr ',' '\n' | sort -g | awk '{v[NR] = $1} END {printf "%.3g\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A UNIT=([tcp]=Gbit/s [udp]=kpps [rtt]=us) NS=([tcp]=ns_gbps [udp]=ns_rate [rtt]=ns_us)
declare -A PER=([tcp]="a 1,448-byte segment" [udp]="a packet" [rtt]="a round trip")
declare -A WHAT=([tcp]="iperf3 TCP VM1 -> VM2, one stream"
	[udp]="iperf3 UDP VM1 -> VM2, 60-byte frames, received"
	[rtt]="ping VM1 -> VM2, median RTT of $PINGS")
for f in tcp udp rtt; do
	tsv "vxlan_${f}_linux" "${UNIT[$f]}" "${V[$f,linux]}" "${WHAT[$f]}: Linux VXLAN device + bridge (untagged)"
	((PP)) || continue
	read -r rm rlo rhi < <(paired "${V[$f,pp]}" "${V[$f,linux]}" ratio)
	read -r nm nlo nhi < <(paired "${V[$f,pp]}" "${V[$f,linux]}" "${NS[$f]}")
	tsv "vxlan_${f}_pp" "${UNIT[$f]}" "${V[$f,pp]}" "${WHAT[$f]}: polyport (TC encap/decap, VNI 100)"
	log "$f: polyport $(med <<<"${V[$f,pp]}") ${UNIT[$f]}, Linux VXLAN + bridge $(med <<<"${V[$f,linux]}") ${UNIT[$f]} (medians):" \
		"polyport/Linux ${rm}x paired ($rlo..$rhi); polyport adds $nm ns ${PER[$f]} ($nlo..$nhi)"
done
exit "$FAILED"
