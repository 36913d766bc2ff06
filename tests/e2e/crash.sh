#!/usr/bin/env bash
# kill -9 at any moment (issue 13, item 9): polyportd is killed with SIGKILL
# in the middle of applying a configuration, restarted on the same pins and
# state directory, and must converge to exactly that configuration while
# traffic on a port the change does not touch never stops.
#
#   configurations (gen below): A0 = the guest's port g1 alone (sf1 vlan 1 ->
#     net-a); A = A0 + 20 VLAN networks on one trunk + 4,093 service ports
#     on sf1 (VLANs 2..4094; every 16th with addresses, responder, security
#     rules and dhcp): 4,094 service ports; B = A changed on 100 ports (30
#     removed, 30 added among them QinQ, untagged and src-mac ports on a
#     second tap sf2, 20 moved to another network, 20 to another VLAN).
#   phase "apply": A0 -> A and back, phase "change": A -> B and back; each
#     step: the files change under the running daemon, which is killed
#     with SIGKILL at a random time within the step's reconcile (its
#     duration measured first from the daemon's -v log), then started again
#     with the same files; then the canonical dump of every map (polyportctl
#     dump --canonical: ids as names, buckets and flood lists as sets,
#     counters and overflow marks left out) must equal the dump of a fresh
#     apply of that configuration into an empty pin root.
#   fixed points: PP_CRASH_AT=POINT:N (loader/reconcile.c) stops the daemon
#     exactly between two writes of a service port; and a leftover id that
#     the id allocator reaches first (--max-sports 8).
#   traffic: about 100 pings a second from the guest's port g1 (ppguest on
#     tap pptktap1, vlan 1) to net-a (pptkna -> pptk-na 10.1.0.1) through
#     every kill and restart: none may be lost.
#
# CRASH_KILLS=N (default 2; make crash-test: 20): random kill cycles per
# phase (each kills both directions).
PPT_NAME=crash
PPT_SCOPE=pptk	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
need_root
REF=/sys/fs/bpf/ppt-crash-ref MAIN_PIN=$PIN
# rm_pins DIR: teardown, and whatever else is pinned there (a test's own root)
rm_pins() {
	"$B/polyportctl" --pin-root "$1" teardown >/dev/null 2>&1
	[[ -d $1 ]] && find "$1" -mindepth 1 -delete 2>/dev/null
	rmdir "$1" 2>/dev/null
}
ref_teardown() { rm_pins "$REF"; }
trap 'ref_teardown; rm_pins "$MAIN_PIN"; finish' EXIT
cleanup_leftovers
ref_teardown
rm_pins /sys/fs/bpf/ppt-crash-ids
mount_bpffs
KILLS=${CRASH_KILLS:-2}
T_START=$(date +%s)

CONF=$WORK/conf
STATE=$WORK/state
API=$WORK/api.sock
LOG=$WORK/daemon.log
mkdir -p "$CONF" "$STATE"
ctl() { "$B/polyportctl" --pin-root "$PIN" "$@"; }

# gen KIND FILE: the binding file of configuration A0, A or B
gen() {
	awk -v kind="$1" -v NT=20 '
	function mac(v) { return sprintf("52:54:01:00:%02x:%02x", int(v / 256), v % 256) }
	function port(name, m, v, net,   svc) {
		svc = sprintf(", bind: {network: %s}", net)
		if (v % 16 == 0)
			svc = sprintf(", addresses: [10.%d.%d.%d/16], bind: {network: %s, " \
				      "responder: {}, security: {ingress: [{proto: icmp}, " \
				      "{proto: tcp, ports: %d}]}, dhcp: {}}",
				      substr(net, 2) + 0, int(v / 250) + 1, v % 250 + 2, net, 1000 + v)
		printf "      %s: {%s, mac: %s%s}\n", name, m, mac(v), svc
	}
	BEGIN {
		print "networks:"
		print "  net-a: {device: pptkna}"
		for (t = 1; kind != "A0" && t <= NT; t++)
			printf "  t%d: {device: pptktr, vlan: %d, gateway: {ipv4: 10.%d.0.1}}\n", t, t, t
		print "instance-ports:"
		print "  sf1:"
		print "    device: pptktap1"
		print "    mac: 52:54:00:0c:00:01"
		print "    service-ports:"
		print "      g1: {vlan: 1, mac: 52:54:00:0c:00:02, bind: {network: net-a}}"
		if (kind == "A0")
			exit
		for (v = 2; v <= 4094; v++) {
			net = "t" (v % NT + 1)
			if (kind == "B" && v >= 4065)
				continue				# 30 removed
			if (kind == "B" && v <= 21)
				net = "t" ((v + 1) % NT + 1)		# 20 to another network
			if (kind == "B" && v >= 22 && v <= 41)
				port("p" v, "vlan: " (4065 + v - 22), v, net)	# 20 to another VLAN
			else
				port("p" v, "vlan: " v, v, net)
		}
		if (kind != "B")
			exit
		for (v = 4085; v <= 4094; v++)				# 30 added: 10 on sf1,
			port("n" v, "vlan: " v, 8192 + v, "t" (v % NT + 1))
		print "  sf2:"						# 20 on a second tap
		print "    device: pptktap2"
		print "    mac: 52:54:00:0c:00:03"
		print "    service-ports:"
		for (i = 1; i <= 10; i++)
			port("q" i, "vlan: [" (100 + i) ", " i "]", 12288 + i, "t" i)
		port("u1", "untagged: true", 12300, "t11")
		for (i = 1; i <= 9; i++)
			port("m" i, "src-mac: " mac(12310 + i), 12310 + i, "t" (11 + i))
	}' >"$2"
}
for k in A0 A B; do
	mkdir -p "$WORK/cfg-$k"
	gen "$k" "$WORK/cfg-$k/20-bindings.yaml"
done
n_a=$(grep -c '^      [a-z]' "$WORK/cfg-A/20-bindings.yaml")
n_b=$(grep -c '^      [a-z]' "$WORK/cfg-B/20-bindings.yaml")
changed=$(diff <(grep '^      [a-z]' "$WORK/cfg-A/20-bindings.yaml" | sort) \
	       <(grep '^      [a-z]' "$WORK/cfg-B/20-bindings.yaml" | sort) |
	  grep '^[<>]' | awk '{print $2}' | sort -u | wc -l)
echo "      configurations: A $n_a service ports, B $n_b, $changed of them differ"

# use K: the daemon's files become configuration K (one rename: one
# change); stage K, then commit: the same in two steps, the change at commit.
stage() { cp "$WORK/cfg-$1/20-bindings.yaml" "$CONF/.20-bindings.tmp"; }
commit() { mv "$CONF/.20-bindings.tmp" "$CONF/20-bindings.yaml"; }
use() { stage "$1" && commit; }
# nap MS: sleep without a fork (read on a pipe nobody writes, with a timeout)
exec {NAP}<> <(:)
nap() {
	local s
	printf -v s '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
	read -r -t "$s" -u "$NAP" _
}
# tod HH:MM:SS.mmm...: milliseconds since midnight (the daemon's log stamps)
tod() {
	local IFS=:.
	set -- $1
	echo $((((10#$1 * 60 + 10#$2) * 60 + 10#$3) * 1000 + 10#${4:0:3}))
}

# dstart [ENV=V...]: polyportd on the suite's pins, state and files; returns
# once it has reconciled them (it writes status.json then), 1 if it died.
# It runs under a subshell that keeps its exit status (dwait) and the
# shell's "Killed" notices out of the suite's output.
DPID= DWRAP= DARGS=()
dstart() {
	rm -f "$STATE/status.json" "$WORK/d.pid" "$WORK/d.rc"
	(
		env "$@" "$B/polyportd" -f -v --config "$CONF" --pin-root "$PIN" \
			--state-dir "$STATE" --api-socket "$API" "${DARGS[@]}" >>"$LOG" 2>&1 &
		echo $! >"$WORK/d.pid"
		wait $!
		echo $? >"$WORK/d.rc"
	) 2>/dev/null &
	DWRAP=$!
	PIDS+=("$DWRAP")
	until [[ -s $WORK/d.pid ]]; do sleep 0.001; done
	DPID=$(<"$WORK/d.pid")
	PIDS+=("$DPID")
	for _ in $(seq 1000); do
		grep -q "\"pid\": $DPID," "$STATE/status.json" 2>/dev/null && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# unlist PID...: reaped: no longer for the cleanup to kill (PIDs get reused)
unlist() {
	local p q keep=()
	for p in "${PIDS[@]}"; do
		for q in "$@"; do [[ $p == "$q" ]] && continue 2; done
		keep+=("$p")
	done
	PIDS=("${keep[@]}")
}
# dwait: wait for the daemon to exit; its exit status (137: SIGKILL)
dwait() {
	wait "$DWRAP" 2>/dev/null
	unlist "$DWRAP" "$DPID"
	return "$(cat "$WORK/d.rc" 2>/dev/null || echo 255)"
}
# dsignal SIG: to the daemon, unless it has exited (d.rc written) already
dsignal() { [[ -e $WORK/d.rc ]] || kill "-$1" "$DPID" 2>/dev/null; }
# kill9: SIGKILL the daemon; its exit status
kill9() {
	dsignal KILL
	dwait
}

# nreloads: the reloads on file changes the daemons have finished so far
nreloads() { grep -c ' files changed: [0-9]* networks' "$LOG"; }
# reloaded N: wait until that count reaches N
reloaded() {
	for _ in $(seq 2000); do
		(($(nreloads) >= $1)) && return 0
		sleep 0.005
	done
	return 1
}

# ---- topology -------------------------------------------------------------------
netns_net pptk-na pptkna 10.1.0.1/24
ip netns add pptk-tr
ip link add pptktr type veth peer name eth0 netns pptk-tr
ip -n pptk-tr link set eth0 up
ip link set pptktr up
# an XDP program on the trunk's far end makes pptktr a target of XDP
# redirects (pp_xdp_tx): an entry that must go with its last network
ip -n pptk-tr link set dev eth0 xdpdrv obj "$B/tests/xdp_pass.bpf.o" sec xdp ||
	{ fail "topology: XDP on the trunk's peer"; exit 1; }
ip netns add pptk-g1
ip -n pptk-g1 link set lo up
guest g1 pptktap1 --port ns=pptk-g1,dev=eth0,mac=52:54:00:0c:00:02,match=vlan:1 ||
	{ fail "topology: the light guest did not start"; exit 1; }
ip -n pptk-g1 addr add 10.1.0.10/24 dev eth0
ip tuntap add pptktap2 mode tap

# ---- references: a fresh apply of each configuration into an empty pin root ----------
# Before any traffic: the reference daemon attaches to the same devices.
# ref_dump K [ARGS...]: polyportd with configuration K and ARGS on the empty
# pin root $REF, stopped once it has applied it; its dump into ref-K.txt.
ref_dump() {
	local k=$1 rpid
	shift
	rm -rf "$WORK/refstate"
	"$B/polyportd" -f --config "$WORK/cfg-$k" --pin-root "$REF" --state-dir "$WORK/refstate" \
		--api-socket "$WORK/ref.sock" "$@" >>"$WORK/ref.log" 2>&1 &
	rpid=$!
	for _ in $(seq 1000); do
		grep -q "\"pid\": $rpid," "$WORK/refstate/status.json" 2>/dev/null && break
		sleep 0.01
	done
	kill -TERM "$rpid"
	wait "$rpid"
	"$B/polyportctl" --pin-root "$REF" dump --canonical >"$WORK/ref-$k.txt" 2>>"$WORK/ref.log"
	local rc=$?
	ref_teardown
	((rc == 0 && $(wc -l <"$WORK/ref-$k.txt") > 5))
}
ref_ok=1
for k in A0 A B; do
	ref_dump "$k" || ref_ok=0
done
if ((ref_ok)); then
	pass "reference: fresh applies of A0, A and B into an empty pin root dumped ($(wc -l <"$WORK/ref-A.txt") lines for A)"
else
	fail "reference: $(tail -3 "$WORK/ref.log" | tr '\n' ' ')"
	exit 1
fi

# same NAME K: PASS/FAIL NAME by comparing the dump of the pins with reference K
same() {
	local name=$1 k=$2
	ctl dump --canonical >"$WORK/dump.txt" 2>&1
	if diff "$WORK/ref-$k.txt" "$WORK/dump.txt" >"$WORK/diff.txt"; then
		pass "$name"
		return 0
	fi
	cp "$WORK/dump.txt" "$WORK/dump-fail-$((++nfail)).txt"
	fail "$name: $(grep -c '^[<>]' "$WORK/diff.txt") lines differ from a fresh apply of $k, e.g. $(grep '^[<>]' "$WORK/diff.txt" | head -4 | tr '\n' ';')"
	return 1
}
nfail=0

# ---- the test daemon, and traffic on the untouched port -----------------------------------
use A0
dstart || { fail "start: polyportd did not start: $(tail -3 "$LOG")"; exit 1; }
same "start: a fresh daemon on A0 matches the reference" A0
wait_for 5 ip netns exec pptk-g1 ping -c 1 -W 1 10.1.0.1 ||
	{ fail "traffic: g1 does not reach net-a before the test"; exit 1; }
# About 100 pings a second (ping's -i 0.01 gives 57 here, its timer
# rounds up; -i 0.009 gives 108) in rounds of 200, until $WORK/stop
# exists: every round ends with its replies in (-W 1), so nothing in
# flight is counted lost.  -O: a late reply is reported when the next
# ping leaves.
(
	while [[ ! -e $WORK/stop ]]; do
		ip netns exec pptk-g1 ping -D -O -i 0.009 -c 200 -W 1 10.1.0.1
	done
) >"$WORK/ping.log" 2>&1 &
PING_PID=$!
T_PING=$(date +%s%N)
PIDS+=("$PING_PID")

# measure K: the files become K; prints "READ DONE": ms from the change
# until the daemon had read them (its 20 ms debounce, then parsing) and
# until its reconcile was done, from the stamps of its log.
measure() {
	local n t0 t1 t2
	n=$(nreloads)
	stage "$1"
	t0=$(tod "$(date +%T.%N)")
	commit
	reloaded $((n + 1)) || return 1
	t1=$(tod "$(grep ' read and checked in .* (files changed)' "$LOG" | tail -1 | cut -c1-12)")
	t2=$(tod "$(grep ' files changed: [0-9]* networks' "$LOG" | tail -1 | cut -c1-12)")
	echo $((t1 - t0)) $((t2 - t0))
}
m_apply=$(measure A) && m_remove=$(measure A0) && m_change=$(measure B) && m_back=$(measure A) ||
	{ fail "measure: a reload did not finish: $(tail -3 "$LOG")"; exit 1; }
echo "      measured, file change -> files read, reconciled (ms): A0->A ${m_apply/ /, }; A->A0 ${m_remove/ /, }; A->B ${m_change/ /, }; B->A ${m_back/ /, }"
grep -E "reconcile: .* map writes" "$LOG" | tail -4 | sed 's/^/      daemon: /'
same "measure: the daemon's own reloads converge too (B -> A)" A

# kill_step NAME FROM TO "READ DONE": the files go from FROM to TO; SIGKILL
# after a random LO..HI ms, LO = 3/4 READ (a few kills before the reconcile
# begins: it starts READ ms after the change), HI = DONE plus a tenth; start
# again; the dump must be TO's.
kills=0 k_before=0 k_during=0 k_after=0
kill_step() {
	local name=$1 to=$3 lo hi ms rc n tail
	read -r lo hi <<<"$4"
	lo=$((lo * 3 / 4)) hi=$((hi * 11 / 10))
	ms=$((lo + RANDOM % (hi - lo + 1)))
	echo "=== kill $((kills + 1)): $name, $ms ms" >>"$LOG"
	stage "$to"
	commit
	nap "$ms"
	kill9
	rc=$?
	kills=$((kills + 1))
	echo "$(date +%s.%N) kill $kills" >>"$WORK/kills.log"
	# where the kill fell: the daemon's log since the marker
	tail=$(sed -n "/^=== kill $kills:/,\$p" "$LOG")
	if [[ $tail == *" files changed: "*" networks"* ]]; then
		k_after=$((k_after + 1)) n=after
	elif [[ $tail == *"read and checked"* ]]; then
		k_during=$((k_during + 1)) n=during
	else
		k_before=$((k_before + 1)) n=before
	fi
	if ! dstart; then
		fail "$name: the daemon did not start again: $(tail -3 "$LOG" | tr '\n' ' ')"
		return 1
	fi
	same "$name: killed ($rc) at $ms ms ($n the reconcile), restarted: the maps are exactly $to's" "$to"
}

# crash_at NAME POINT:N FROM TO: the daemon, started on TO's files over FROM's
# pins, kills itself at POINT; started again it must converge to TO.
crash_at() {
	local name=$1 point=$2 to=$4 rc
	ctl_stop
	use "$to"
	echo "=== kill $((kills + 1)): $name, PP_CRASH_AT=$point" >>"$LOG"
	if dstart PP_CRASH_AT="$point"; then
		fail "$name: the daemon never reached $point"
		return 1
	fi
	dwait
	rc=$?
	kills=$((kills + 1))
	echo "$(date +%s.%N) kill $kills" >>"$WORK/kills.log"
	if ((rc != 137)); then
		fail "$name: the daemon did not die at $point (exit $rc)"
		dstart
		return 1
	fi
	dstart || { fail "$name: the daemon did not start again"; return 1; }
	same "$name: killed at $point, restarted: the maps are exactly $to's" "$to"
}
ctl_stop() {
	dsignal TERM
	dwait
}

# ---- deterministic points -----------------------------------------------------------------
# State A here.  Each point is reached only by the change it names.
crash_at "point: B, a moved port's name on its new id, nothing written" sport-renamed:5 A B
crash_at "point: A, a moved port's new id and old id both in" sport-replaced:25 B A
crash_at "point: B, a removed port's entries gone, its name not" sport-removed:10 A B
crash_at "point: A0, a removed port's entries gone, its name not (4,094 -> 1)" sport-removed:2000 B A0
crash_at "point: A, a new port named, nothing written (1 -> 4,094)" sport-named:2000 A0 A

# ---- random points --------------------------------------------------------------------------
# State A.  Phase change: A -> B -> A; phase apply: A -> A0 -> A.
for i in $(seq "$KILLS"); do
	kill_step "change $i: A -> B (100 ports)" A B "$m_change"
	kill_step "change $i: B -> A (100 ports)" B A "$m_back"
done
for i in $(seq "$KILLS"); do
	kill_step "apply $i: A -> A0 (4,093 ports removed)" A A0 "$m_remove"
	kill_step "apply $i: A0 -> A (4,093 ports added)" A0 A "$m_apply"
done
echo "      $kills kills: $((kills - k_before - k_during - k_after)) at fixed points; at random times $k_before before the reconcile began, $k_during during it, $k_after after it"

# ---- traffic ----------------------------------------------------------------------------------
touch "$WORK/stop"
wait "$PING_PID"
unlist "$PING_PID"
secs=$((($(date +%s%N) - T_PING) / 1000000000))
sent=$(awk '/packets transmitted/ {s += $1} END {print s + 0}' "$WORK/ping.log")
got=$(awk '/packets transmitted/ {s += $4} END {print s + 0}' "$WORK/ping.log")
lost=$((sent - got))
if ((sent > 0 && lost == 0)); then
	pass "traffic: g1 -> net-a, $((sent / (secs ? secs : 1))) pings a second for $secs s through $kills kills and restarts: 0 of $sent lost"
else
	fail "traffic: $lost of $sent pings lost through $kills kills; unanswered: $(grep 'no answer yet' "$WORK/ping.log" | head -5 | tr '\n' ' ') kills at: $(tr '\n' ' ' <"$WORK/kills.log" | head -c 600)"
fi
ctl_stop
rm_pins "$PIN"

# ---- a crash's leftover id is never handed out again before it is removed --------------------
# Ids 1..7 (--max-sports 8).  C1: X=1 A=2 B=3; C2..C4 move B (ids 4, 5, 6);
# C5 moves X and A: X gets 7 and the daemon is killed before X's old id 1
# goes.  Restarted, the next free id after 7 is 1, the leftover: A must
# get another one (3), and X's old id must go.
small() {
	mkdir -p "$WORK/cfg-$1"
	cat >"$WORK/cfg-$1/20-bindings.yaml" <<-EOF
		networks:
		  nb: {device: pptknb}
		instance-ports:
		  s3:
		    device: pptktap3
		    mac: 52:54:00:0d:00:01
		    service-ports:
		      x: {vlan: $2, mac: 52:54:00:0d:00:02, bind: {network: nb}}
		      a: {vlan: $3, mac: 52:54:00:0d:00:03, bind: {network: nb}}
		      b: {vlan: $4, mac: 52:54:00:0d:00:04, bind: {network: nb}}
	EOF
}
small C1 10 20 30; small C2 10 20 31; small C3 10 20 32; small C4 10 20 33; small C5 11 21 33
ip link add pptknb type veth peer name pptknbp
ip link set pptknb up
ip link set pptknbp up
ip tuntap add pptktap3 mode tap
DARGS=(--max-sports 8)
ref_dump C5 "${DARGS[@]}" || fail "ids: reference of C5: $(tail -3 "$WORK/ref.log" | tr '\n' ' ')"
PIN=/sys/fs/bpf/ppt-crash-ids	# cleaned up on exit, as the suite's pin root
CONF=$WORK/conf2 STATE=$WORK/state2 API=$WORK/api2.sock
mkdir -p "$CONF" "$STATE"
ok=1
for k in C1 C2 C3 C4; do
	use "$k"
	dstart || ok=0
	ctl_stop
done
((ok)) || fail "ids: the daemon did not apply C1..C4: $(tail -3 "$LOG" | tr '\n' ' ')"
dstart
crash_at "ids: C5, killed with a moved port's old id left; the next id after 7 is that one" \
	sport-replaced:1 C4 C5
ctl_stop
echo "      suite time: $(($(date +%s) - T_START)) s"
exit $FAILED
