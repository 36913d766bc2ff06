#!/usr/bin/env bash
# End to end: polyportd with binding files, on real taps and veths.
#
#   networks: A = pptmna -> pptm-na 10.1.0.1 (+ 10.9.0.1), B = pptmnb -> pptm-nb 10.2.0.1 (+ 10.9.0.2)
#   tap pptmtap1 (instance port sf1), guest ports (build/ppguest):
#     vlan 100 pptm-g100 10.1.0.10   vlan 200 pptm-g200 10.2.0.10
#     vlan 101 pptm-g101 10.1.0.20   vlan 102 pptm-g102 10.9.0.30
#   The binding files decide which of those reach which network.
PPT_NAME=daemon
PPT_SCOPE=pptm	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
suite_start

daemon_dirs
M1=52:54:00:01:00:01 M2=52:54:00:01:00:02 M3=52:54:00:01:00:03 M4=52:54:00:01:00:04

iport_status() { ctl status | awk -v n="$1" '$1 == n {print $3}'; }
sport_status() { ctl status | awk -v n="$1" '$1 == n {print $(NF >= 6 ? 6 : NF)}'; }
# steady_ping NAME NS ADDR COUNT: 10 ms pings in the background
steady_ping() {
	ip netns exec "$2" ping -i 0.01 -c "$4" -W 1 "$3" >"$WORK/ping_$1.log" 2>&1 &
	eval "PING_$1=$!"
}
# ping_lost NAME: waits for the steady ping to finish; sets SENT and LOST
ping_lost() {
	local var="PING_$1" line
	wait "${!var}"
	line=$(grep -E "packets transmitted" "$WORK/ping_$1.log")
	SENT=$(echo "$line" | awk '{print $1}')
	LOST=$(echo "$line" | awk '{print $1 - $4}')
}

net_files() {
	cat >"$CONF/10-networks.yaml" <<-EOF
		networks:
		  net-a:
		    device: pptmna
		  net-b:
		    device: pptmnb
	EOF
}
# sf1_file LINES...: the instance port with the given service-port blocks
sf1_file() {
	{
		echo "instance-ports:"
		echo "  sf1:"
		echo "    device: pptmtap1"
		echo "    mac: $M1"
		echo "    mode: ${MODE:-auto}"
		echo "    service-ports:"
		printf '%s\n' "$@"
	} >"$CONF/20-sf1.tmp" && mv "$CONF/20-sf1.tmp" "$CONF/20-sf1.yaml"
}
P100="      p100: {vlan: 100, bind: {network: net-a}}"
P200="      p200: {vlan: 200, mac: $M2, bind: {network: net-b}}"

# ---- validation through the daemon's --check --------------------------------
check "check: the shipped examples are valid" "$B/polyportd" --check --config "$TOP/examples/bindings.d"
mkdir -p "$WORK/bad"
printf 'networks:\n  a:\n    device: pa0\n    vlan: 4095\n' >"$WORK/bad/1.yaml"
out=$("$B/polyportd" --check --config "$WORK/bad" 2>&1); rc=$?
[[ $rc == 1 && "$out" == *"bad/1.yaml:4:11:"*"4095"* ]] \
	&& pass "check: an invalid file exits 1 with file:line:column ($out)" \
	|| fail "check: rc=$rc out=$out"
"$B/polyportd" --no-such-flag >/dev/null 2>&1; rc=$?
[[ $rc == 2 ]] && pass "flags: an unknown flag is an error (exit 2)" || fail "flags: exit $rc"
for b in polyportd polyportctl; do
	"$B/$b" --help | grep -q -- "--pin-root" && pass "help: $b --help documents its flags" \
		|| fail "help: $b --help"
done

# ---- installable like a host daemon ----
inst=$WORK/inst
if make -s -C "$TOP" install DESTDIR="$inst" PREFIX=/usr >"$WORK/install.log" 2>&1 &&
	[[ -x $inst/usr/sbin/polyportd && -x $inst/usr/bin/polyportctl &&
	   -f $inst/usr/share/man/man8/polyportd.8 && -d $inst/etc/polyport/bindings.d ]] &&
	grep -q "ExecStart=/usr/sbin/polyportd" "$inst/usr/lib/systemd/system/polyportd.service" &&
	grep -q "ExecReload=/bin/kill -HUP" "$inst/usr/lib/systemd/system/polyportd.service"; then
	pass "install: make install honours DESTDIR and PREFIX (binaries, unit, man pages)"
else
	fail "install: $(tail -3 "$WORK/install.log")"
fi

# ---- topology -------------------------------------------------------------------
netns_net pptm-na pptmna 10.1.0.1/24
netns_net pptm-nb pptmnb 10.2.0.1/24
ip -n pptm-na addr add 10.9.0.1/24 dev eth0
ip -n pptm-nb addr add 10.9.0.2/24 dev eth0
guest_ns pptm-{g100,g200,g101,g102}
net_files
sf1_file "$P100" "$P200"

# ---- tap lifecycle: the daemon is there before the tap ----------------------------
daemon_start || exit 1
[[ $(iport_status sf1) == DOWN ]] && pass "lifecycle: sf1 is DOWN while its tap is absent" \
	|| fail "lifecycle: sf1 is '$(iport_status sf1)' without a tap"
ctl status | grep -q "absent (waiting)" && pass "lifecycle: the reason says the tap is awaited" \
	|| fail "lifecycle: no reason given: $(ctl status)"

t0=$(date +%s%N)
ip tuntap add pptmtap1 mode tap
for _ in $(seq 2000); do
	tc filter show dev pptmtap1 ingress 2>/dev/null | grep -q pp_tap_ingress && break
done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "      tap created -> polyport attached and programmed: $ms ms"
((ms < 1000)) && pass "lifecycle: a new tap is attached within 1 s ($ms ms)" \
	|| fail "lifecycle: attach took $ms ms"
wait_for 2 ip link show pptmtap1 up && pass "lifecycle: the daemon brought the tap up" \
	|| fail "lifecycle: the tap stays down"

start_guest() {
	guest g1 pptmtap1 \
		--port ns=pptm-g100,dev=eth0,mac=$M1,match=vlan:100 \
		--port ns=pptm-g200,dev=eth0,mac=$M2,match=vlan:200 \
		--port ns=pptm-g101,dev=eth0,mac=$M3,match=vlan:101 \
		--port ns=pptm-g102,dev=eth0,mac=$M4,match=vlan:102 || return 1
	ip -n pptm-g100 addr add 10.1.0.10/24 dev eth0
	ip -n pptm-g200 addr add 10.2.0.10/24 dev eth0
	ip -n pptm-g101 addr add 10.1.0.20/24 dev eth0
	ip -n pptm-g102 addr add 10.9.0.30/24 dev eth0
}
start_guest || { fail "lifecycle: guest"; exit 1; }
check "lifecycle: traffic flows on vlan 100" ip netns exec pptm-g100 ping -c 2 -i 0.2 -W 2 10.1.0.1
check "lifecycle: traffic flows on vlan 200" ip netns exec pptm-g200 ping -c 2 -i 0.2 -W 2 10.2.0.1
wait_for 2 test "$(iport_status sf1)" = ACTIVE
[[ $(iport_status sf1) == ACTIVE ]] && pass "lifecycle: sf1 is ACTIVE" \
	|| fail "lifecycle: sf1 is $(iport_status sf1)"

# The tap goes away (VM stops) and comes back with a new ifindex (VM reboots).
old_ifindex=$(cat /sys/class/net/pptmtap1/ifindex)
stop_guest g1
ip link del pptmtap1 2>/dev/null
wait_for 2 sh -c "'$B/polyportctl' --api-socket '$API' status | grep -q 'sf1 .* DOWN'"
[[ $(iport_status sf1) == DOWN ]] && pass "lifecycle: sf1 reads DOWN once its tap is deleted" \
	|| fail "lifecycle: sf1 is $(iport_status sf1) after the tap was deleted"
t0=$(date +%s%N)
start_guest || { fail "lifecycle: guest again"; exit 1; }
new_ifindex=$(cat /sys/class/net/pptmtap1/ifindex)
ip netns exec pptm-g100 ping -c 1 -W 2 10.1.0.1 >/dev/null 2>&1
t1=$(date +%s%N)
[[ $new_ifindex != "$old_ifindex" ]] && pass "lifecycle: the tap came back with a new ifindex ($old_ifindex -> $new_ifindex)" \
	|| fail "lifecycle: same ifindex"
check "lifecycle: traffic flows again after the tap is re-created" \
	ip netns exec pptm-g100 ping -c 2 -i 0.2 -W 2 10.1.0.1
echo "      guest restarted -> first ping answered: $(( (t1 - t0) / 1000000 )) ms (includes the guest's own setup and ARP)"

# ---- reconcile while traffic flows -------------------------------------------------------
# Steady pings on the two ports no edit touches: they must lose nothing.
steady_ping r100 pptm-g100 10.1.0.1 600
steady_ping r200 pptm-g200 10.2.0.1 600
sleep 0.3
! ip netns exec pptm-g101 ping -c 1 -W 1 10.1.0.1 >/dev/null 2>&1 \
	&& pass "reconcile: vlan 101 has no service port yet" || fail "reconcile: vlan 101 passes before it is configured"
sf1_file "$P100" "$P200" "      p101: {vlan: 101, mac: $M3, bind: {network: net-a}}"
wait_for 2 ip netns exec pptm-g101 ping -c 1 -W 1 10.1.0.1 \
	&& pass "reconcile: an added service port carries traffic" || fail "reconcile: added port silent"
# edit_p101 LINE NS ADDR NAME OLD_NS OLD_ADDR OLD_NAME: p101 becomes LINE; then
# NS reaches ADDR (test NAME) and OLD_NS, its neighbours forgotten, no longer
# reaches OLD_ADDR (test OLD_NAME)
edit_p101() {
	sf1_file "$P100" "$P200" "$1"
	check "$4" wait_for 2 ip netns exec "$2" ping -c 1 -W 1 "$3"
	ip -n "$5" neigh flush all
	check_not "$7" ip netns exec "$5" ping -c 1 -W 1 "$6"
}
# Change its VID: 101 -> 102 (the guest's vlan 102 interface, MAC M4).
edit_p101 "      p101: {vlan: 102, mac: $M4, bind: {network: net-a}}" \
	pptm-g102 10.9.0.1 "reconcile: after a VID change the new VID reaches net A" \
	pptm-g101 10.1.0.1 "reconcile: the old VID no longer passes"
# Move it to the other network: 10.9.0.2 (net B) answers, 10.9.0.1 (net A) does not.
edit_p101 "      p101: {vlan: 102, mac: $M4, bind: {network: net-b}}" \
	pptm-g102 10.9.0.2 "reconcile: a service port moved to net B reaches net B" \
	pptm-g102 10.9.0.1 "reconcile: ... and no longer net A"
# Remove it.
sf1_file "$P100" "$P200"
sleep 0.3
ip -n pptm-g102 neigh flush all
! ip netns exec pptm-g102 ping -c 1 -W 1 10.9.0.2 >/dev/null 2>&1 \
	&& pass "reconcile: a removed service port carries nothing" || fail "reconcile: removed port still passes"

# ---- a bad reload leaves everything as it was --------------------------------------
writes=$(jsonval map_writes)
cp "$CONF/20-sf1.yaml" "$WORK/good.yaml"
printf 'instance-ports:\n  sf1:\n    device: pptmtap1\n    mac: %s\n    service-ports:\n      p100: {vlan: 5000, bind: {network: net-a}}\n' "$M1" \
	>"$CONF/20-sf1.yaml"
sleep 0.3
ctl status | grep -q "20-sf1.yaml:6:.*5000" && pass "bad reload: the rejection and its file:line are shown" \
	|| fail "bad reload: $(ctl status | tail -3)"
[[ $(jsonval map_writes) == "$writes" ]] && pass "bad reload: no map was written" \
	|| fail "bad reload: map writes $writes -> $(jsonval map_writes)"
check "bad reload: vlan 100 still flows" ip netns exec pptm-g100 ping -c 2 -i 0.2 -W 2 10.1.0.1
cp "$WORK/good.yaml" "$CONF/20-sf1.yaml"
for r in r100 r200; do
	ping_lost $r
	[[ $LOST == 0 && $SENT -ge 500 ]] && pass "reconcile: untouched port ($r) lost no frame of $SENT during the edits" \
		|| fail "reconcile: $r lost $LOST of $SENT"
done

# ---- modes: XDP on the tap, switched live ------------------------------------------
MODE=xdp sf1_file "$P100" "$P200"
wait_for 3 sh -c "'$B/polyportctl' --api-socket '$API' status | grep -qE '^sf1 +pptmtap1 +ACTIVE +xdp'"
ctl status | grep -qE '^sf1 +pptmtap1 +ACTIVE +xdp' && pass "modes: mode xdp is effective on sf1" \
	|| fail "modes: $(ctl status | head -3)"
ctl status | grep -q "mode: " && pass "modes: the effective mode comes with its reason" \
	|| fail "modes: no mode reason"
ip -d link show pptmtap1 | grep -q "prog/xdp" && pass "modes: the XDP program is attached to the tap" \
	|| fail "modes: no XDP program on the tap"
check "modes: traffic flows in xdp mode" ip netns exec pptm-g100 ping -c 2 -i 0.2 -W 2 10.1.0.1
steady_ping m100 pptm-g100 10.1.0.1 400
for m in tc xdp tc xdp auto; do
	sleep 0.5
	MODE=$m sf1_file "$P100" "$P200"
done
ping_lost m100
[[ $LOST == 0 && $SENT -ge 350 ]] && pass "modes: switching tc/xdp/auto 5 times lost 0 of $SENT 10 ms pings" \
	|| fail "modes: lost $LOST of $SENT while switching"
MODE=auto sf1_file "$P100" "$P200"

# ---- restarts: the dataplane keeps forwarding, the daemon adopts it --------------
daemon_stop
[[ -e "$PIN/pp_sports" ]] && pass "restart: SIGTERM leaves the maps pinned" || fail "restart: pins gone"
check "restart: traffic flows while no daemon runs" ip netns exec pptm-g200 ping -c 2 -i 0.2 -W 2 10.2.0.1
daemon_start || exit 1
steady_ping s100 pptm-g100 10.1.0.1 800
steady_ping s200 pptm-g200 10.2.0.1 800
writes_ok=1
for i in 1 2 3 4 5; do
	sleep 0.5
	daemon_stop
	sleep 0.2
	daemon_start || { writes_ok=0; break; }
	w=$(jsonval map_writes)
	[[ $w == 0 ]] || { writes_ok=0; echo "      restart $i wrote $w map entries"; }
done
for r in s100 s200; do
	ping_lost $r
	[[ $LOST == 0 && $SENT -ge 700 ]] && pass "restart: 5 restarts, $r lost 0 of $SENT 10 ms pings" \
		|| fail "restart: $r lost $LOST of $SENT"
done
((writes_ok)) && pass "restart: a restart with unchanged files writes no map entry" \
	|| fail "restart: a restart wrote map entries"
[[ $(iport_status sf1) == ACTIVE ]] && pass "restart: sf1 is ACTIVE after the restarts" \
	|| fail "restart: sf1 is $(iport_status sf1)"

# One daemon per pin root.
out=$("$B/polyportd" -f --config "$CONF" --pin-root "$PIN" --state-dir "$WORK/state2" \
	--api-socket "$WORK/api2.sock" 2>&1); rc=$?
[[ $rc != 0 && "$out" == *"another polyportd holds"* ]] && pass "lock: a second daemon on the pin root is refused" \
	|| fail "lock: rc=$rc $out"

# ---- stats ---------------------------------------------------------------------------
ctl stats | grep -qE "^sf1 +p100 +[1-9]" && pass "stats: per service port counters" \
	|| fail "stats: $(ctl stats | head -5)"
ctl --json stats | grep -q '"rx_packets"' && pass "stats: --json" || fail "stats: --json"
ctl --json status | grep -q '"instance_ports"' && pass "status: --json" || fail "status: --json"

# ---- teardown ------------------------------------------------------------------------
tc filter add dev pptmna ingress prio 9 handle 9 bpf da obj "$B/tests/noop.bpf.o" sec tc
out=$(ctl teardown 2>&1); rc=$?
[[ $rc != 0 && "$out" == *"holds"* ]] && pass "teardown: refused while the daemon runs" \
	|| fail "teardown: rc=$rc $out"
daemon_stop
check "teardown: succeeds once the daemon is stopped" ctl teardown
[[ ! -e "$PIN" ]] && pass "teardown: no pin left" || fail "teardown: $(ls "$PIN")"
left=$( (tc filter show dev pptmtap1 ingress; tc filter show dev pptmna ingress; tc filter show dev pptmnb ingress) | grep -c pp_ )
[[ $left == 0 ]] && pass "teardown: no polyport filter left" || fail "teardown: $left filters left"
tc filter show dev pptmna ingress | grep -q other_tool && pass "teardown: another tool's filter on the same device stays" \
	|| fail "teardown: removed another tool's filter"

exit $FAILED
