#!/bin/bash
# Self-test of ppguest (vm/guest/ppguest.c) without any polyport dataplane:
# two ppguest instances ("guest A" on tap ppgtapA, "guest B" on ppgtapB) are
# looped back to each other through a plain Linux bridge ppgbr0 in the host
# namespace (VLAN filtering off, so tagged frames cross it untouched).
#
#   guest A (ppguest on ppgtapA)            guest B (ppguest on ppgtapB)
#   ns      match       address                address     match       ns
#   ppg-a1  vlan:100    10.77.1.1   ppgtapA    10.77.1.2   vlan:100    ppg-b1
#   ppg-a2  qinq:300.10 10.77.2.1    ppgbr0    10.77.2.2   qinq:300.10 ppg-b2
#   ppg-a3  untagged    10.77.3.1   ppgtapB    10.77.3.2   untagged    ppg-b3
#   ppg-a4  src-mac     10.77.3.4
#   ppg-b2 also holds 10.77.1.22 and 10.77.3.22 (must stay unreachable from
#   ppg-a1 / ppg-a3); B's ports use --mtu 1400, A's the default.
#
# Runs twice, without and with --vnet-hdr, and checks: pings inside each
# network, isolation between tags, the tags seen on the tap, TCP transfers
# of 1 MiB (md5 on both ends; with --vnet-hdr that offloads are on and GSO
# frames crossed), and, with crafted frames, tag stripping and drop counters.
# Everything it creates is named ppg*; leftovers of an earlier run are
# removed first, and everything is removed on exit (logs in /tmp/ppg-selftest
# are kept when a check fails).
#
# Usage: vm/guest/selftest.sh   (as root; PPGUEST=path overrides the binary)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC="$ROOT/vm/guest/ppguest.c"
PPGUEST=${PPGUEST:-$ROOT/build/ppguest}
D=/tmp/ppg-selftest
NSES=(ppg-a1 ppg-a2 ppg-a3 ppg-a4 ppg-b1 ppg-b2 ppg-b3)
MAC_A=02:00:00:0a:00:01
MAC_A4=02:00:00:0a:00:04
MAC_B=02:00:00:0b:00:01
PIDS=()

log() { printf '== %s\n' "$*"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# kill one process we started (or that an earlier run recorded), by PID
kill_pid() {
	local pid=$1
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 50); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do kill_pid "$pid"; done
	PIDS=()
	# processes recorded by an earlier (interrupted) run
	if [ -f "$D/pids" ]; then
		while read -r pid; do
			if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" |
				grep -qE 'ppguest|tcpdump -i ppg|nc -l 10\.77\.'; then
				kill_pid "$pid"
			fi
		done <"$D/pids"
		rm -f "$D/pids"
	fi
	ip link del ppgbr0 2>/dev/null || true
	ip link del ppgtapA 2>/dev/null || true
	ip link del ppgtapB 2>/dev/null || true
	for ns in "${NSES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
}

started() { PIDS+=("$1"); echo "$1" >>"$D/pids"; }

on_exit() {
	local rc=$?
	cleanup
	if [ "$rc" -ne 0 ]; then
		echo "selftest FAILED (rc=$rc); logs are in $D" >&2
		for f in "$D"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2; done
	else
		rm -rf "$D"
	fi
	exit "$rc"
}

[ "$(id -u)" -eq 0 ] || fail "run as root"
mkdir -p "$D"
cleanup
rm -rf "${D:?}"/*
trap on_exit EXIT
trap 'exit 130' INT TERM

if [ ! -x "$PPGUEST" ] || [ "$SRC" -nt "$PPGUEST" ]; then
	log "building $PPGUEST"
	mkdir -p "$(dirname "$PPGUEST")"
	gcc -O2 -g -Wall -Wextra -Werror -o "$PPGUEST" "$SRC"
fi

log "argument validation"
bad_args=(
	"--tap ppgx"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=02:00:00:00:00:01,match=vlan:4095"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=02:00:00:00:00:01,match=vlan:0"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=02:00:00:00:0:01,match=vlan:5"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=03:00:00:00:00:01,match=vlan:5"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=02:00:00:00:00:01,match=qinq:5"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=02:00:00:00:00:01,match=vlan:5,color=red"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=02:00:00:00:00:01,match=qinq:5.6,tpid=0x9100"
	"--tap ppgx --port ns=ppg-a1,dev=ppgd,mac=02:00:00:00:00:01,match=untagged --mtu 20"
)
for a in "${bad_args[@]}"; do
	rc=0
	# shellcheck disable=SC2086
	"$PPGUEST" $a >/dev/null 2>"$D/args.err" || rc=$?
	[ "$rc" -eq 2 ] || fail "'ppguest $a' exited $rc, want 2"
	grep -q '^ppguest: ' "$D/args.err" || fail "no 'ppguest:' message for '$a'"
done
ok "${#bad_args[@]} bad command lines rejected with exit 2"
rc=0
"$PPGUEST" --tap ppgtapA --port ns=ppg-missing,dev=ppgd,mac=02:00:00:00:00:01,match=untagged \
	--ready-file "$D/never.ready" >"$D/missing.out" 2>"$D/missing.err" || rc=$?
[ "$rc" -eq 1 ] && grep -q '^ppguest: netns ppg-missing.*No such file' "$D/missing.err" &&
	[ ! -e "$D/never.ready" ] && ! grep -q ready "$D/missing.out" ||
	fail "missing namespace: rc=$rc, $(cat "$D/missing.err")"
ip link show ppgtapA >/dev/null 2>&1 && fail "ppgtapA left behind after a failed start"
ok "missing namespace: exit 1, '$(cat "$D/missing.err")', no ready, no tap left"

for ns in "${NSES[@]}"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done

# start_guest NAME TAP MAC EXTRA... ; sets GUEST_PID
start_guest() {
	local name=$1 tap=$2; shift 2
	"$PPGUEST" --tap "$tap" --ready-file "$D/$name.ready" "$@" >"$D/$name.out" 2>"$D/$name.log" &
	GUEST_PID=$!
	started "$GUEST_PID"
	for _ in $(seq 100); do
		[ -f "$D/$name.ready" ] && break
		[ -d "/proc/$GUEST_PID" ] || fail "ppguest $name died: $(cat "$D/$name.log")"
		sleep 0.05
	done
	[ "$(cat "$D/$name.ready" 2>/dev/null)" = ready ] || fail "ppguest $name not ready"
	grep -qx ready "$D/$name.out" || fail "ppguest $name did not print ready"
}

# stop_guest PID NAME: SIGTERM, wait, check the exit status and the final stats
stop_guest() {
	local pid=$1 name=$2 rc=0
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || fail "ppguest $name exited $rc on SIGTERM"
	grep -q "stats instance=.*reason=SIGTERM" "$D/$name.log" || fail "no final stats from $name"
}

# ctr NAME KEY [PORTDEV]: a counter from the newest stats line of a ppguest log
ctr() {
	local name=$1 key=$2 sel=${3:-}
	local pat="stats instance="
	[ -n "$sel" ] && pat="stats port=$sel "
	grep "$pat" "$D/$name.log" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$key=//p"
}

snap() { # snap PID NAME: ask for stats (SIGUSR1) and wait until they are printed
	local pid=$1 name=$2 n
	n=$(grep -c 'reason=SIGUSR1' "$D/$name.log" || true)
	kill -USR1 "$pid"
	for _ in $(seq 50); do
		[ "$(grep -c 'reason=SIGUSR1' "$D/$name.log" || true)" -gt "$n" ] && return 0
		sleep 0.05
	done
	fail "no SIGUSR1 stats from $name"
}

pings() { # pings NS ADDR: 5 pings must all answer
	local out
	out=$(ip netns exec "$1" ping -c 5 -i 0.2 -W 2 "$2" 2>&1) || fail "ping $1 -> $2: $out"
	echo "$out" | grep -q ' 5 received' || fail "ping $1 -> $2: $out"
	ok "$1 -> $2: $(echo "$out" | grep -o '[0-9]* received, [0-9]*% packet loss'), rtt $(echo "$out" | sed -n 's/.*= \([0-9.]*\/[0-9.]*\)\/.*/\1/p') ms min/avg"
}

no_ping() { # no_ping NS ADDR: must not answer
	if ip netns exec "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1; then
		fail "$1 reached $2 across networks"
	fi
	ok "$1 cannot reach $2 (isolated)"
}

tcp_transfer() { # tcp_transfer FROM_NS TO_NS TO_ADDR
	local from=$1 to=$2 addr=$3 t0 t1 srv rc=0
	ip netns exec "$to" timeout 60 nc -l "$addr" 5001 </dev/null >"$D/recv.bin" 2>"$D/nc-srv.log" &
	srv=$!
	started "$srv"
	for _ in $(seq 100); do
		ip netns exec "$to" ss -Hltn "sport = :5001" | grep -q 5001 && break
		sleep 0.05
	done
	t0=$(date +%s.%N)
	ip netns exec "$from" timeout 60 nc -N "$addr" 5001 <"$D/send.bin" >/dev/null 2>"$D/nc-cli.log" || rc=$?
	wait "$srv" || true
	t1=$(date +%s.%N)
	[ "$rc" -eq 0 ] || fail "nc $from -> $addr exited $rc: $(cat "$D/nc-cli.log")"
	local want got
	want=$(md5sum <"$D/send.bin" | cut -d' ' -f1)
	got=$(md5sum <"$D/recv.bin" | cut -d' ' -f1)
	[ "$want" = "$got" ] || fail "TCP $from -> $to: md5 $got != $want ($(stat -c %s "$D/recv.bin" 2>/dev/null) bytes)"
	ok "TCP $from -> $to ($addr): $(wc -c <"$D/recv.bin") bytes, md5 $got on both ends, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
}

# send_frames HEXFRAME COUNT: inject raw frames into ppgbr0 (flooded to both taps)
send_frames() {
	python3 - "$1" "$2" <<'EOF'
import socket, sys
frame = bytes.fromhex(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("ppgbr0", 0))
for _ in range(int(sys.argv[2])):
    s.send(frame)
EOF
}

# capture NS DEV FILTER COUNT: start tcpdump in NS, sets CAP_PID, output in $D/cap.txt
capture() {
	ip netns exec "$1" timeout 10 tcpdump -l -nn -e -i "$2" -c "$4" "$3" >"$D/cap.txt" 2>"$D/cap.err" &
	CAP_PID=$!
	started "$CAP_PID"
	for _ in $(seq 100); do grep -q 'listening on' "$D/cap.err" && return 0; sleep 0.05; done
	fail "tcpdump did not start: $(cat "$D/cap.err")"
}

head -c 1048576 /dev/urandom >"$D/send.bin"

run_phase() {
	local mode=$1 extra=()
	[ "$mode" = vnet ] && extra=(--vnet-hdr)
	log "phase: ${mode} (ppguest ${extra[*]:-without --vnet-hdr})"
	rm -f "$D"/A.log "$D"/B.log
	start_guest A ppgtapA "${extra[@]}" \
		--port "ns=ppg-a1,dev=ppgv100,mac=$MAC_A,match=vlan:100" \
		--port "ns=ppg-a2,dev=ppgq300,mac=$MAC_A,match=qinq:300.10" \
		--port "ns=ppg-a3,dev=ppgu0,mac=$MAC_A,match=untagged" \
		--port "ns=ppg-a4,dev=ppgs4,mac=$MAC_A4,match=src-mac"
	local pid_a=$GUEST_PID
	start_guest B ppgtapB "${extra[@]}" --up --mtu 1400 \
		--port "ns=ppg-b1,dev=ppgv100,mac=$MAC_B,match=vlan:100" \
		--port "ns=ppg-b2,dev=ppgq300,mac=$MAC_B,match=qinq:300.10" \
		--port "ns=ppg-b3,dev=ppgu0,mac=$MAC_B,match=untagged"
	local pid_b=$GUEST_PID
	ok "both ppguest ready (pids $pid_a $pid_b)"

	ip link show ppgtapA | grep -q 'state DOWN' || fail "ppgtapA is up without --up"
	ip link show ppgtapB | grep -q '[<,]UP[,>]' || fail "ppgtapB is not up with --up"
	ok "ppgtapA left down without --up, ppgtapB up with --up"
	[ "$(ip -n ppg-a4 -br link show ppgs4 | awk '{print $3}')" = "$MAC_A4" ] ||
		fail "MAC of ppgs4 in ppg-a4 not set"
	ip -n ppg-b1 link show ppgv100 | grep -q 'mtu 1400 ' || fail "--mtu 1400 not applied in ppg-b1"
	ip -n ppg-a1 link show ppgv100 | grep -q 'mtu 1500 ' || fail "ppg-a1 MTU not the default"
	ok "port taps exist in their namespaces with the given MACs; B's ports have --mtu 1400"

	ip link add ppgbr0 type bridge
	for dev in ppgbr0 ppgtapA ppgtapB; do
		sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
	done
	ip link set ppgtapA master ppgbr0
	ip link set ppgtapB master ppgbr0
	ip link set ppgtapA up
	ip link set ppgbr0 up

	ip -n ppg-a1 addr add 10.77.1.1/24 dev ppgv100
	ip -n ppg-b1 addr add 10.77.1.2/24 dev ppgv100
	ip -n ppg-a2 addr add 10.77.2.1/24 dev ppgq300
	ip -n ppg-b2 addr add 10.77.2.2/24 dev ppgq300
	ip -n ppg-b2 addr add 10.77.1.22/24 dev ppgq300
	ip -n ppg-b2 addr add 10.77.3.22/24 dev ppgq300
	ip -n ppg-a3 addr add 10.77.3.1/24 dev ppgu0
	ip -n ppg-a4 addr add 10.77.3.4/24 dev ppgs4
	ip -n ppg-b3 addr add 10.77.3.2/24 dev ppgu0

	if ! command -v ethtool >/dev/null; then
		ok "SKIPPED offload check (no ethtool)"
	elif [ "$mode" = vnet ]; then
		local k
		k=$(ip netns exec ppg-a1 ethtool -k ppgv100)
		echo "$k" | grep -q '^tx-checksumming: on' && echo "$k" | grep -q '^tcp-segmentation-offload: on' ||
			fail "offloads not on in ppg-a1: $k"
		ok "ppg-a1/ppgv100: tx-checksumming on, tcp-segmentation-offload on"
	else
		ip netns exec ppg-a1 ethtool -k ppgv100 | grep -q '^tx-checksumming: off' ||
			fail "tx checksumming on without --vnet-hdr"
		ok "ppg-a1/ppgv100: tx-checksumming off, tcp-segmentation-offload off"
	fi

	pings ppg-a1 10.77.1.2
	pings ppg-b2 10.77.2.1
	pings ppg-a3 10.77.3.2
	pings ppg-b3 10.77.3.4
	no_ping ppg-a1 10.77.1.22
	no_ping ppg-a3 10.77.3.22

	if command -v tcpdump >/dev/null; then
		timeout 5 tcpdump -l -nn -e -i ppgtapA -c 2 'vlan 300 and vlan 10 and icmp' \
			>"$D/wire.txt" 2>"$D/wire.err" &
		local cp=$!
		started "$cp"
		for _ in $(seq 100); do grep -q 'listening on' "$D/wire.err" && break; sleep 0.05; done
		ip netns exec ppg-a2 ping -c 2 -i 0.2 -W 1 10.77.2.2 >/dev/null
		wait "$cp" || true
		grep -q '0x88a8.*vlan 300.*0x8100.*vlan 10' "$D/wire.txt" ||
			fail "QinQ tags not seen on ppgtapA: $(cat "$D/wire.txt")"
		ok "on ppgtapA: $(head -n 1 "$D/wire.txt" | grep -o 'ethertype 802.1Q-QinQ (0x88a8).*vlan 10')"
	fi

	tcp_transfer ppg-a1 ppg-b1 10.77.1.2
	tcp_transfer ppg-b2 ppg-a2 10.77.2.1
	tcp_transfer ppg-a4 ppg-b3 10.77.3.2

	# crafted frames from the bridge, counted by guest A
	snap "$pid_a" A
	local tmt0 rv0 up0 ud0
	tmt0=$(ctr A drop_too_many_tags); rv0=$(ctr A drop_reserved_vid)
	up0=$(ctr A drop_unknown_port); ud0=$(ctr A drop_unknown_dst)
	local macA=${MAC_A//:/} macA4=${MAC_A4//:/} src=020000ee0001 pay
	pay=$(printf '70706775657374%.0s' $(seq 10)) # "ppguest" x10
	if ! command -v python3 >/dev/null; then
		ok "SKIPPED crafted-frame checks (no python3)"
	elif command -v tcpdump >/dev/null; then
		# VLAN 100 frame to A: must reach ppg-a1 without its tag
		capture ppg-a1 ppgv100 'ether proto 0x88b5' 3
		send_frames "${macA}${src}81000064""88b5${pay}" 3
		wait "$CAP_PID" || fail "vlan:100 frames not seen in ppg-a1: $(cat "$D/cap.err")"
		grep -q 'vlan' "$D/cap.txt" && fail "tag not stripped: $(cat "$D/cap.txt")"
		ok "3 frames tagged 0x8100/100 arrived in ppg-a1 untagged: $(head -n 1 "$D/cap.txt" | cut -c 17-90)"
		# priority-tagged (VID 0) unicast to the src-mac port: reaches ppg-a4 only
		capture ppg-a4 ppgs4 'ether proto 0x88b5' 3
		send_frames "${macA4}${src}81000000""88b5${pay}" 3
		wait "$CAP_PID" || fail "priority-tagged frames not seen in ppg-a4"
		grep -q 'vlan' "$D/cap.txt" && fail "priority tag not stripped: $(cat "$D/cap.txt")"
		ok "3 priority-tagged frames to $MAC_A4 arrived in ppg-a4 (src-mac port) untagged"
		# QinQ with TPID 0x9100 outer counts as qinq:300.10
		capture ppg-a2 ppgq300 'ether proto 0x88b5' 2
		send_frames "${macA}${src}9100012c8100000a""88b5${pay}" 2
		wait "$CAP_PID" || fail "0x9100/300 + 0x8100/10 frames not seen in ppg-a2"
		ok "2 frames tagged 0x9100/300 + 0x8100/10 arrived in ppg-a2 untagged"
	fi
	if command -v python3 >/dev/null; then
		send_frames "${macA}${src}88a8012c8100000a81000064""88b5${pay}" 4 # 3 tags
		send_frames "${macA}${src}81000fff""88b5${pay}" 5                  # VID 4095
		send_frames "${macA}${src}810003e7""88b5${pay}" 6                  # VID 999: no port
		send_frames "${macA}${src}88a8012c8100000b""88b5${pay}" 7          # qinq 300.11: no port
		send_frames "020000ee0002${src}88b5${pay}" 8                       # unknown unicast, untagged
		sleep 0.3
		snap "$pid_a" A
		local d_tmt d_rv d_up d_ud
		d_tmt=$(($(ctr A drop_too_many_tags) - tmt0)); d_rv=$(($(ctr A drop_reserved_vid) - rv0))
		d_up=$(($(ctr A drop_unknown_port) - up0)); d_ud=$(($(ctr A drop_unknown_dst) - ud0))
		[ "$d_tmt" -eq 4 ] && [ "$d_rv" -eq 5 ] && [ "$d_up" -eq 13 ] && [ "$d_ud" -ge 8 ] ||
			fail "drop counters: too_many_tags +$d_tmt (want 4) reserved_vid +$d_rv (want 5) unknown_port +$d_up (want 13) unknown_dst +$d_ud (want >=8)"
		ok "drops counted: too_many_tags +$d_tmt, reserved_vid +$d_rv, unknown_port +$d_up (VID 999 + qinq 300.11), unknown_dst +$d_ud"
	fi

	# the bridge learnt MACs through ppgtapA: let bridge go, then stop and check stats
	ip link del ppgbr0
	stop_guest "$pid_a" A
	stop_guest "$pid_b" B
	PIDS=()
	: >"$D/pids"
	for dev in ppgtapA ppgtapB; do
		ip link show "$dev" >/dev/null 2>&1 && fail "$dev still exists after ppguest exit"
	done
	ip -n ppg-a1 link show ppgv100 >/dev/null 2>&1 && fail "ppgv100 still in ppg-a1 after exit"
	ok "SIGTERM: exit 0, final stats printed, instance and port taps gone"

	local f b g fb
	f=$(ctr A to_instance_frames ppgv100); b=$(ctr A to_instance_bytes ppgv100)
	g=$(ctr A to_instance_gso ppgv100)
	fb=$(ctr B from_instance_gso ppgv100)
	ok "A ppgv100 -> ppgtapA: $f frames, $b bytes (avg $((b / f)) B/frame), $g GSO; B delivered $fb GSO frames to ppg-b1"
	if [ "$mode" = vnet ]; then
		[ "$g" -gt 0 ] && [ "$fb" -gt 0 ] || fail "no GSO frames crossed with --vnet-hdr"
	else
		[ "$g" -eq 0 ] && [ $((b / f)) -le 1518 ] || fail "GSO without --vnet-hdr?"
	fi
	local n dev k v
	for n in A B; do
		for k in tx_drop_write_again tx_drop_write_error drop_malformed read_errors; do
			v=$(ctr "$n" "$k")
			[ "$v" -eq 0 ] || fail "$n: $k=$v"
		done
		for dev in ppgv100 ppgq300 ppgu0 ppgs4; do
			[ "$n" = B ] && [ "$dev" = ppgs4 ] && continue
			for k in from_instance_drop_write_again from_instance_drop_link_down \
				from_instance_drop_write_error drop_malformed read_errors; do
				v=$(ctr "$n" "$k" "$dev")
				[ "$v" -eq 0 ] || fail "$n port $dev: $k=$v"
			done
		done
	done
	# ppgtapA was down until the bridge was built: what the namespaces sent
	# meanwhile (IPv6 DAD/MLD) was refused with EIO
	ok "A dropped $(ctr A tx_drop_link_down) frames while ppgtapA was down (EIO), B $(ctr B tx_drop_link_down)"
	ok "no write errors, no malformed frames"
	grep 'stats ' "$D/A.log" | tail -n 5 | sed 's/^/   /'
}

run_phase plain
run_phase vnet
log "selftest passed"
exit 0
