# shellcheck shell=bash
# Shared helpers for polyport's namespace tests.
#
# Every namespace and device a test creates carries the prefix "ppt"
# (namespaces "ppt-*", host-side devices "ppt*"); leftovers of an earlier run
# are removed before a test starts, and everything is removed on exit, also
# on failure.  Tests print "PASS name", "FAIL name: why" or "SKIP name: why".

set -uo pipefail
export LC_ALL=C
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
B=$TOP/build
PIN=/sys/fs/bpf/ppt-${PPT_NAME:-e2e}
# What cleanup_leftovers removes: namespaces "$PPT_SCOPE-*", devices "$PPT_SCOPE*".
# A test may narrow it (e.g. "pptx") so as not to remove another test's devices.
PPT_SCOPE=${PPT_SCOPE:-ppt}
WORK=$(mktemp -d /tmp/ppt.XXXXXX)
PIDS=()
FAILED=0

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILED=1; }
skip() { echo "SKIP $*"; }
# check NAME CMD...: PASS if CMD succeeds, FAIL otherwise (with its output)
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name: $(echo "$out" | tail -3 | tr '\n' ' ')"; fi
}
# check_not NAME CMD...: PASS if CMD fails, FAIL if it succeeds
check_not() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then fail "$name: $* succeeded"; else pass "$name"; fi
}

cleanup_leftovers() {
	local ns dev pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	PIDS=()
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PPT_SCOPE-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for dev in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$PPT_SCOPE"); do
		ip link del "$dev" 2>/dev/null
	done
	if [[ -d "$PIN" ]]; then
		find "$PIN" -mindepth 1 -delete 2>/dev/null
		rmdir "$PIN" 2>/dev/null
	fi
}

finish() {
	cleanup_leftovers
	rm -rf "$WORK"
}

need_root() {
	if [[ $(id -u) -ne 0 ]]; then
		skip "${PPT_NAME:-e2e}: needs root (network namespaces, taps, BPF)"
		exit 0
	fi
}

# The start of a suite: root, everything removed on exit (also on failure),
# no leftovers of an earlier run, bpffs.  PPT_LABEL (e.g. a mode a suite runs
# in) prefixes each test's name: "PASS [tc] name".
suite_start() {
	need_root
	if [[ -n ${PPT_LABEL:-} ]]; then
		pass() { echo "PASS [$PPT_LABEL] $*"; }
		fail() { echo "FAIL [$PPT_LABEL] $*"; FAILED=1; }
	fi
	trap finish EXIT
	cleanup_leftovers
	mount_bpffs
}

# A daemon's places: CONF (binding files), STATE (its state dir), API (socket).
daemon_dirs() {
	CONF=$WORK/conf STATE=$WORK/state API=$WORK/api.sock
	mkdir -p "$CONF" "$STATE"
}
# ctl ARGS...: polyportctl on this suite's daemon and pin root
ctl() { "$B/polyportctl" --api-socket "$API" --pin-root "$PIN" "$@"; }
# req METHOD PATH [BODY]: the daemon's API; prints "CODE BODY" (body on one line)
req() {
	local out
	if [[ $# -ge 3 ]]; then
		out=$(curl -s -m 30 --unix-socket "$API" -X "$1" -H 'Content-Type: application/json' \
			-d "$3" -w '\n%{http_code}' "http://localhost$2")
	else
		out=$(curl -s -m 30 --unix-socket "$API" -X "$1" -w '\n%{http_code}' "http://localhost$2")
	fi
	echo "$(tail -1 <<<"$out") $(head -n -1 <<<"$out" | tr -d '\n' | tr -s ' ')"
}
# api_expect NAME CODE PATTERN METHOD PATH [BODY]: PASS if the API answers
# CODE with a body matching PATTERN
api_expect() {
	local name=$1 code=$2 pat=$3 got
	shift 3
	got=$(req "$@")
	if [[ ${got%% *} == "$code" && "$got" =~ $pat ]]; then pass "$name"
	else fail "$name: got ${got:0:300}"; fi
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

mount_bpffs() {
	if ! mountpoint -q /sys/fs/bpf || [[ $(stat -f -c %T /sys/fs/bpf) != bpf_fs ]]; then
		mount -t bpf bpf /sys/fs/bpf
	fi
}

# netns_net NS HOSTDEV ADDR/LEN: a network namespace with an IP stack behind
# veth HOSTDEV (host side, left in the root namespace for polyport).
netns_net() {
	local ns=$1 dev=$2 addr=$3
	ip netns add "$ns"
	ip link add "$dev" type veth peer name eth0 netns "$ns"
	ip -n "$ns" addr add "$addr" dev eth0
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip link set "$dev" up
}

# netns_nets PREFIX NAME...: a network (netns_net) per NAME: namespace
# PREFIX-nNAME behind veth PREFIXnNAME, 10.K.0.1/24 for the K-th NAME, and
# IPv6 off on the host side (a quiet wire: only what the test sends)
netns_nets() {
	local p=$1 n k=0
	shift
	for n in "$@"; do
		k=$((k + 1))
		netns_net "$p-n$n" "${p}n$n" "10.$k.0.1/24"
		sysctl -qw "net.ipv6.conf.${p}n$n.disable_ipv6=1"
	done
}

# guest_ns NS...: namespaces with only lo (up), for guests' service ports
guest_ns() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
}

# guest NAME TAP [--no-up] [--vnet-hdr] --port SPEC...: start the light guest
# helper; waits until it is ready.  It brings the tap up, unless --no-up
# (then the tap stays down until something else, e.g. polyportd, brings it up).
# GUEST_NETNS=NS guest ...: TAP in namespace NS (a "host" of e2e:cluster).
guest() {
	local name=$1 tap=$2 up=--up in=()
	shift 2
	if [[ ${1:-} == --no-up ]]; then
		up=
		shift
	fi
	rm -f "$WORK/$name.ready"
	[[ -n ${GUEST_NETNS:-} ]] && in=(ip netns exec "$GUEST_NETNS")
	"${in[@]}" "$B/ppguest" --tap "$tap" ${up:+"$up"} --ready-file "$WORK/$name.ready" "$@" \
		>"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	eval "GUEST_${name}=$!"
	for _ in $(seq 100); do
		[[ -f "$WORK/$name.ready" ]] && return 0
		sleep 0.05
	done
	echo "guest $name did not start:" >&2
	cat "$WORK/$name.log" >&2
	return 1
}

stop_guest() {
	local var="GUEST_$1"
	kill "${!var}" 2>/dev/null
	wait "${!var}" 2>/dev/null
}

# guest_taps PREFIX MAC1 MAC2 G:ADDR...: once the guests of taps PREFIXtap1
# and PREFIXtap2 run: IPv6 off on the taps, ADDR/24 on eth0 of each guest
# namespace PREFIX-G, and the taps (re)created by the guests programmed as
# instance ports 1 (MAC1) and 2 (MAC2) with their ifindex
guest_taps() {
	local p=$1 m1=$2 m2=$3 ga
	shift 3
	sysctl -qw "net.ipv6.conf.${p}tap1.disable_ipv6=1" "net.ipv6.conf.${p}tap2.disable_ipv6=1"
	for ga in "$@"; do
		ip -n "$p-${ga%%:*}" addr add "${ga#*:}/24" dev eth0 2>/dev/null
	done
	printf 'iport 1 %stap1 %s\niport 2 %stap2 %s\n' "$p" "$m1" "$p" "$m2" | ppwire
}

# guest_gso NAME NS: how many GSO frames guest NAME's port in NS has sent
# toward the tap (the guest prints its counters on SIGUSR1)
guest_gso() {
	local var="GUEST_$1" n
	kill -USR1 "${!var}"
	sleep 0.3
	n=$(grep -o "ns=$2 .*to_instance_gso=[0-9]*" "$WORK/$1.log" | tail -1 | sed 's/.*to_instance_gso=//')
	echo "${n:-0}"
}

# capture_start NAME NS DEV FILTER: count frames seen on DEV in NS ("-": this namespace)
capture_start() {
	local name=$1 ns=$2 dev=$3 in=()
	shift 3
	[[ $ns != - ]] && in=(ip netns exec "$ns")
	# The background shell truncates NAME.tcpdump only when it gets a CPU:
	# an earlier capture's "listening" left in it must not count as ready
	# (on a loaded machine the frames were sent before tcpdump listened).
	rm -f "$WORK/$name.tcpdump"
	"${in[@]}" tcpdump -i "$dev" -nn -U --immediate-mode -w "$WORK/$name.pcap" "$@" \
		>/dev/null 2>"$WORK/$name.tcpdump" &
	PIDS+=($!)
	eval "CAP_${name}=$!"
	for _ in $(seq 200); do
		grep -q "listening" "$WORK/$name.tcpdump" 2>/dev/null && return 0
		kill -0 "${PIDS[-1]}" 2>/dev/null || break	# tcpdump gave up
		sleep 0.05
	done
	# what a capture that never ran did not see proves nothing: say so
	fail "capture $name: tcpdump on $dev is not listening (it exited, or 10 s passed):" \
		"$(tail -2 "$WORK/$name.tcpdump" 2>/dev/null | tr '\n' ' ')"
	return 1
}

# capture_stop NAME: prints the number of frames captured
capture_stop() {
	local var="CAP_$1"
	sleep 0.2
	kill -INT "${!var}" 2>/dev/null
	wait "${!var}" 2>/dev/null
	tcpdump -nn -r "$WORK/$1.pcap" 2>/dev/null | wc -l
}

# tcp_1mib NAME CLIENT_NS SERVER_NS SERVER_ADDR PORT: 1 MiB from client to
# server over TCP, compared byte for byte.
tcp_1mib() {
	local name=$1 cns=$2 sns=$3 addr=$4 port=$5 fam=-4
	[[ $addr == *:* ]] && fam=-6	# nc listens on one family: the address's
	head -c 1048576 /dev/urandom >"$WORK/$name.src"
	ip netns exec "$sns" timeout 20 nc "$fam" -l -p "$port" >"$WORK/$name.dst" &
	local srv=$!
	sleep 0.2
	ip netns exec "$cns" timeout 20 nc -N -w 5 "$addr" "$port" <"$WORK/$name.src" || return 1
	wait $srv || return 1
	cmp -s "$WORK/$name.src" "$WORK/$name.dst"
}

ppwire() {
	"$B/tests/ppwire" --pin-root "$PIN"
}

# check_sports_counted LABEL ID...: PASS "LABEL: service port ID counted rx
# and tx" for each service port whose counters (ppwire's stats) moved both ways
check_sports_counted() {
	local label=$1 stats id
	shift
	stats=$(echo stats | ppwire)
	for id in "$@"; do
		grep -qE "^sport $id rx [1-9][0-9]* [0-9]+ tx [1-9]" <<<"$stats" \
			&& pass "$label: service port $id counted rx and tx" \
			|| fail "$label: service port $id: $(grep "^sport $id " <<<"$stats")"
	done
}

# ---- crafted frames, and where they arrive ------------------------------------------
# Send them with build/tests/ppsend (ip netns exec NS "$B/tests/ppsend" DEV FRAME...);
# every frame carries a marker, and a capture is searched for it.

# tag TPID VID: one tag header, in hex
tag() { printf '%04x%04x' "$1" "$2"; }
# frame DST SRC MARK TAG...: a frame with these tags, ethertype 0x88b5 and
# the marker "PPTMARK-MARK" as payload (padded to the 46-byte minimum)
frame() {
	local dst=$1 src=$2 mark=$3 t
	shift 3
	printf '%s%s' "${dst//:/}" "${src//:/}"
	for t in "$@"; do printf '%s' "$t"; done
	printf '88b5'
	printf '%-46s' "PPTMARK-$mark" | od -An -tx1 | tr -d ' \n'
}
# seen NAME MARK: how many frames of capture NAME carry the marker
seen() { tcpdump -nn -A -r "$WORK/$1.pcap" 2>/dev/null | grep -c "PPTMARK-$2 "; }
# expect WHAT MARK WHERE CAPTURES...: PASS if the marked frame arrived in
# capture WHERE (or "none") and in no other of CAPTURES
expect() {
	local what=$1 mark=$2 where=$3 c n bad=""
	shift 3
	for c in "$@"; do
		n=$(seen "$c" "$mark")
		if [[ $c == "$where" ]]; then
			((n >= 1)) || bad+=" not on $c;"
		else
			((n == 0)) || bad+=" $n on $c;"
		fi
	done
	[[ -z $bad ]] && pass "$what" || fail "$what:$bad"
}

# ---- the real guest (vm/) ---------------------------------------------------------

# qemu_stop PIDFILE: the QEMU whose PID that is (if it still is QEMU), TERM
# then, 2 s later, KILL
qemu_stop() {
	local pid

	[[ -s "$1" ]] || return 0
	pid=$(cat "$1")
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == qemu-system* ]] || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 20); do [[ -e /proc/$pid ]] || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
}

# vm_guest_build SUITE: the guest's kernel and initramfs into build/vm
# (vm/build.sh, log in $WORK/build.log); the suite is skipped when its
# Debian packages cannot be fetched, failed when the build or QEMU fails.
vm_guest_build() {
	local rc=0

	"$TOP/vm/build.sh" >"$WORK/build.log" 2>&1 || rc=$?
	if ((rc == 3)); then
		skip "$1: the guest's Debian packages cannot be fetched: $(grep -m1 'cannot' "$WORK/build.log")"
		exit 0
	elif ((rc != 0)); then
		fail "$1: building the guest failed: $(tail -3 "$WORK/build.log" | tr '\n' ' ')"
		exit 1
	fi
	command -v qemu-system-x86_64 >/dev/null ||
		{ fail "$1: qemu-system-x86_64 missing (make deps)"; exit 1; }
}

# ---- polyportd, for suites that set CONF, STATE and API ----------------------------

# daemon_start [ARGS...]: polyportd ($PPT_POLYPORTD if set) in the foreground on $CONF with the suite's
# pin root, state directory and API socket; returns once it has reconciled
# the files and serves its API (it writes status.json after both).
DPID=
daemon_start() {
	rm -f "$STATE/status.json"
	"${PPT_POLYPORTD:-$B/polyportd}" -f -v --config "$CONF" --pin-root "$PIN" \
		--state-dir "$STATE" --api-socket "$API" "$@" >>"$WORK/daemon.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 300); do
		grep -q "\"pid\": $DPID," "$STATE/status.json" 2>/dev/null && return 0
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$DPID" 2>/dev/null; then
		echo "polyportd did not start:"; tail -5 "$WORK/daemon.log"
	else
		wait "$DPID" 2>/dev/null
		echo "polyportd exited $? at start: $(tail -2 "$WORK/daemon.log" | tr '\n' ' ')"
	fi
	return 1
}

daemon_stop() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
}

# jsonval KEY: a number from the daemon's status.json
jsonval() { grep -o "\"$1\": [0-9.]*" "$STATE/status.json" | head -1 | awk '{print $2}'; }

# wait_for TIMEOUT_S CMD...: poll every 10 ms until CMD succeeds
wait_for() {
	local t=$1
	shift
	for _ in $(seq $((t * 100))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.01; done
	return 1
}
