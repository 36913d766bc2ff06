#!/usr/bin/env bash
# End to end: a BGP speaker feeding an L3 domain (issue 16), through polyportd
# and two BIRD 2 (Debian bird2) daemons of the test's own.
#
#   domain green (table 1701): subnet 10.1.0.0/24 gw 10.1.0.1, no static
#     routes; uplink pptgup 100.64.17.2/30 -> pptg-prov (100.64.17.1;
#     203.0.113.1 on lo)
#   management link pptgmg 198.18.0.1/30 (the host's main namespace and
#     table) -> pptg-prov's mgmt 198.18.0.2/30
#   tap pptgtap (instance port sf1), the light guest's port: vlan 500
#     pptg-vm 10.1.0.5/24, bind: l3 green
#
# The host's speaker cannot use the uplink (polyport owns its frames and it
# has no host address): its eBGP session (multihop, port 1179) runs over the
# management link, in the host's main namespace.  The provider's BIRD
# announces 203.0.113.0/24; the host's puts it into table 1701 only, via
# the provider's router on the uplink (100.64.17.1 dev pptgup onlink), and
# the VM reaches 203.0.113.1 through the dataplane (the host's stack
# forwards nothing).  The host's BIRD learns polyportd's route for the VM's
# address (10.1.0.5 dev pptgtap proto 112 in table 1701) and announces it
# with the next hop 100.64.17.2 (the uplink's address): the provider installs
# it and answers the VM by it (the provider has no other route back).
PPT_NAME=l3bgp
PPT_SCOPE=pptg	# namespaces pptg-*, devices pptg*: names of its own
TABLE=1701
source "$(dirname "$0")/lib.sh"
need_root

# bird2: CI installs it (scripts/deps.sh); here, install it if it is missing.
# Nothing of the system's bird service is used: the test's daemons have
# their own configuration, control sockets and pid files in $WORK.
if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	{ timeout 300 apt-get install -y -qq --no-install-recommends bird2 ||
		{ timeout 300 apt-get update -qq && timeout 300 apt-get install -y -qq --no-install-recommends bird2; }
	} >"$WORK/apt.log" 2>&1
	if ! command -v bird >/dev/null; then
		skip "bgp: bird2 is not installed and could not be: $(tail -2 "$WORK/apt.log" | tr '\n' ' ')"
		rm -rf "$WORK"
		exit 0
	fi
fi

# bird daemons of an earlier run of this suite (killed before its cleanup):
# by PID, only those running one of this suite's configuration files
kill_old_birds() {
	local pid
	for pid in $(pgrep -x bird); do
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE -- "-c /tmp/ppt\.[A-Za-z0-9]+/pptg-bird-" &&
			kill "$pid" 2>/dev/null
	done
}
kill_old_birds
suite_start
ip route flush table $TABLE 2>/dev/null	# routes of an earlier run
cleanup_bgp() {
	# the bird daemons are in PIDS (cleanup_leftovers kills them); their
	# routes in table 1701 (proto bird) do not leave with them
	cleanup_leftovers
	ip route flush table $TABLE 2>/dev/null
	finish
}
trap cleanup_bgp EXIT

daemon_dirs
M1=52:54:00:0d:00:01 GW=02:00:00:00:17:01
cat >"$CONF/10-l3.yaml" <<EOF
l3-domains:
  green:
    table: $TABLE
    mac: $GW
    subnets:
      - {cidr: 10.1.0.0/24, gateway: 10.1.0.1}
    uplinks:
      - {device: pptgup, addresses: [100.64.17.2/30]}
instance-ports:
  sf1:
    device: pptgtap
    mac: $M1
    service-ports:
      green1:
        vlan: 500
        addresses: [10.1.0.5/24]
        bind: {l3: {domain: green}}
EOF
check "bgp: the L3 configuration (a domain without static routes) is valid" \
	"$B/polyportd" --check --config "$CONF"

# the provider router: the uplink's far end, the management link, 203.0.113.1
netns_net pptg-prov pptgup 100.64.17.1/30
ip -n pptg-prov addr add 203.0.113.1/32 dev lo
ip link add pptgmg type veth peer name mgmt netns pptg-prov
ip addr add 198.18.0.1/30 dev pptgmg
ip -n pptg-prov addr add 198.18.0.2/30 dev mgmt
ip link set pptgmg up
ip -n pptg-prov link set mgmt up
guest_ns pptg-vm
daemon_start || exit 1
guest g1 pptgtap --port ns=pptg-vm,dev=eth0,mac=$M1,match=vlan:500 || { fail "guest"; exit 1; }
ip -n pptg-vm addr add 10.1.0.5/24 dev eth0
ip -n pptg-vm route add default via 10.1.0.1
wait_for 5 sh -c "ip route show table $TABLE | grep -q '^10.1.0.5 dev pptgtap proto 112'" ||
	fail "bgp: table $TABLE has no route to the L3 port: $(ip route show table $TABLE | tr '\n' ';')"

# The provider's BIRD: announces 203.0.113.0/24, installs what it learns.
cat >"$WORK/pptg-bird-prov.conf" <<'EOF'
router id 198.18.0.2;
log stderr all;
protocol device { }
protocol direct { ipv4; }		# resolves the next hop 100.64.17.2 (eth0)
protocol static announced {
	ipv4;
	route 203.0.113.0/24 blackhole;
}
protocol kernel {
	ipv4 { import none; export where source = RTS_BGP; };
}
protocol bgp host {
	local 198.18.0.2 port 1179 as 64496;
	neighbor 198.18.0.1 port 1179 as 64512;
	multihop;
	connect delay time 1;
	connect retry time 2;
	error wait time 1, 5;
	ipv4 {
		import all;
		export where proto = "announced";
	};
}
EOF
# The host's BIRD: the snippet of the README's "Attaching a BGP speaker".
# (Not 192.0.2.0/24 on the uplink as in l3.sh: a next hop that some host
# interface's prefix holds would be taken by BIRD on that interface.)
cat >"$WORK/pptg-bird-host.conf" <<'EOF'
router id 198.18.0.1;
log stderr all;				# (the test's: to pptg-bird-host.log)
protocol device { }
protocol direct { ipv4; interface "pptgmg"; }	# the session's next hop (198.18.0.2)
ipv4 table green;			# the domain's routes, in BIRD

# table 1701 both ways: the BGP routes go in; polyportd's host routes for
# the L3 ports' addresses (proto 112, dev <tap>) are learned to be announced
protocol kernel green_krt {
	kernel table 1701;
	learn;
	ipv4 {
		table green;
		import where krt_source = 112 && net.len = 32 && dest = RTD_UNICAST;
		export where source = RTS_BGP;
	};
}

protocol bgp provider {
	local 198.18.0.1 port 1179 as 64512;	# the management link, main table
	neighbor 198.18.0.2 port 1179 as 64496;
	multihop;
	connect delay time 1;
	connect retry time 2;
	error wait time 1, 5;
	ipv4 {
		table green;
		# the next hop: the provider's router on the uplink, which has
		# no address of the host's (onlink), not the session's
		import filter {
			ifname = "pptgup";
			onlink = true;
			gw = 100.64.17.1;
			accept;
		};
		# the VMs' addresses, reached by the uplink's address
		export where proto = "green_krt";
		next hop address 100.64.17.2;
	};
}
EOF
bird_start() {	# NAME [NS]: a bird of this suite, in the foreground, in PIDS
	local name=$1 in=()
	[[ -n ${2:-} ]] && in=(ip netns exec "$2")
	"${in[@]}" bird -f -c "$WORK/pptg-bird-$name.conf" -s "$WORK/pptg-bird-$name.ctl" \
		-P "$WORK/pptg-bird-$name.pid" >"$WORK/pptg-bird-$name.log" 2>&1 &
	PIDS+=($!)
	local pid=$!
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 1
		birdc -s "$WORK/pptg-bird-$name.ctl" show status 2>/dev/null | grep -q "up and running" && return 0
		sleep 0.1
	done
	return 1
}
birdc_() { birdc -s "$WORK/pptg-bird-$1.ctl" "${@:2}"; }
t0=$(date +%s%N)
bird_start prov pptg-prov || { fail "bgp: the provider's bird did not start: $(tail -3 "$WORK/pptg-bird-prov.log")"; exit 1; }
bird_start host || { fail "bgp: the host's bird did not start: $(tail -3 "$WORK/pptg-bird-host.log")"; exit 1; }

wait_for 30 sh -c "birdc -s $WORK/pptg-bird-host.ctl show protocols provider | grep -q Established" &&
	ss -Htn state established '( sport = :1179 or dport = :1179 )' | grep -q '198.18.0.1:.*198.18.0.2:' &&
	pass "bgp: the host's session to the provider (multihop, over the management link, the host's namespace) is Established ($(ms_since "$t0") ms)" ||
	fail "bgp: the session: $(birdc_ host show protocols all provider | grep -iE 'state|error' | tr '\n' ' ') $(ss -Htn | grep 1179)"
learned() { ip route show table $TABLE 203.0.113.0/24 | grep -q '^203.0.113.0/24 via 100.64.17.1 dev pptgup proto bird .*onlink'; }
wait_for 30 learned &&
	pass "bgp: the provider's 203.0.113.0/24 is in table $TABLE via 100.64.17.1 dev pptgup onlink, proto bird ($(ms_since "$t0") ms after the daemons started)" ||
	fail "bgp: table $TABLE: $(ip route show table $TABLE | tr '\n' ';'); bird: $(birdc_ host show route all 203.0.113.0/24 table green | tr '\n' ' ' | head -c 400); log: $(tail -3 "$WORK/pptg-bird-host.log" | tr '\n' ' ')"
adv() { ip -n pptg-prov route show 10.1.0.5 | grep -q '^10.1.0.5 via 100.64.17.2 dev eth0 proto bird'; }
wait_for 30 adv
r=$(birdc_ prov show route 10.1.0.5/32)
[[ $r == *"10.1.0.5/32"*"[host "*"via 100.64.17.2 on eth0"* ]] &&
	pass "bgp: the VM's 10.1.0.5/32 (polyportd's proto 112 route) is announced: the provider's BIRD has it via 100.64.17.2" ||
	fail "bgp: the provider's BIRD: $(echo "$r" | tr '\n' ' '); the host's: $(birdc_ host show route table green | tr '\n' ' ' | head -c 400)"
adv && pass "bgp: ... and the provider's kernel routes 10.1.0.5 via 100.64.17.2 dev eth0 (proto bird)" ||
	fail "bgp: the provider's kernel: $(ip -n pptg-prov route show | tr '\n' ';')"
m=$(ip route show table main | grep -E '203\.0\.113\.|10\.1\.0\.|proto bird')
[[ -z $m ]] && pass "bgp: the host's main table has none of the domain's routes" ||
	fail "bgp: the host's main table has: $(echo "$m" | tr '\n' ';')"

# the dataplane uses the learned route: the next hop 100.64.17.1 is one
# polyportd was not told about, resolved on the first frames' miss
fwd0=$(awk '/^Ip:/ {getline; print $7; exit}' /proc/net/snmp)
capture_start prov pptg-prov eth0 icmp || exit 1
t1=$(date +%s%N)
ok=1
for _ in $(seq 10); do
	ip netns exec pptg-vm ping -c 1 -W 1 203.0.113.1 >/dev/null 2>&1 && { ok=0; break; }
done
((ok == 0)) &&
	pass "route: the VM (vlan 500) reaches 203.0.113.1 by the BGP route ($(ms_since "$t1") ms, the next hop resolved on a miss)" ||
	fail "route: the VM does not reach 203.0.113.1"
check "route: ... and again, 3 pings" ip netns exec pptg-vm ping -c 3 -i 0.2 -W 2 203.0.113.1
n=$(capture_stop prov)
umac=$(cat /sys/class/net/pptgup/address)
src=$(tcpdump -nn -e -r "$WORK/prov.pcap" 2>/dev/null | grep -m1 "echo request" | awk '{print $2}')
((n >= 6)) && [[ $src == "$umac" ]] &&
	pass "route: the pings crossed the uplink ($n frames at the provider, from the uplink's MAC)" ||
	fail "route: the provider saw $n frames, the first request from '$src' (want >= 6, from $umac)"
fwd1=$(awk '/^Ip:/ {getline; print $7; exit}' /proc/net/snmp)
[[ $fwd0 == "$fwd1" ]] && pass "host: IpForwDatagrams unchanged ($fwd1): the host's stack forwarded nothing" ||
	fail "host: IpForwDatagrams moved from $fwd0 to $fwd1"

# withdrawn by the provider: gone from table 1701, no longer reachable
birdc_ prov disable announced >/dev/null
wait_for 15 sh -c "! ip route show table $TABLE 203.0.113.0/24 | grep -q ." &&
	pass "bgp: withdrawn by the provider, 203.0.113.0/24 leaves table $TABLE" ||
	fail "bgp: after the withdrawal table $TABLE has $(ip route show table $TABLE 203.0.113.0/24)"
check_not "route: ... and the VM no longer reaches 203.0.113.1" ip netns exec pptg-vm ping -c 1 -W 1 203.0.113.1
exit ${FAILED:-0}
