#!/usr/bin/env bash
# End to end: L3 domains (issue 16), through polyportd.
#
#   two domains with the SAME subnets and the same default route, each with
#   an uplink veth into its own "provider router" namespace that has the
#   same addresses on both:
#     red  (table 1001): subnet 10.1.0.0/24 gw 10.1.0.1, 10.2.0.0/24 gw 10.2.0.1,
#          uplink pptlur 192.0.2.2/30 -> ppt3-pred (192.0.2.1, 198.51.100.1 on lo),
#          default via 192.0.2.1
#     blue (table 1002): subnet 10.1.0.0/24 gw 10.1.0.1,
#          uplink pptlub 192.0.2.2/30 -> ppt3-pblue (the same addresses)
#   tap pptltap1 (instance port sf1), guest ports (build/ppguest):
#     vlan 500 ppt3-gred  10.1.0.5/24   bind: l3 red
#     vlan 600 ppt3-gblue 10.1.0.5/24   bind: l3 blue
#     vlan 700 ppt3-gred2 10.2.0.7/24   bind: l3 red (another subnet, routed on the host)
#
# Each guest reaches 198.51.100.1 behind its own provider router only (a
# capture on each provider's side sees only its own domain's frames), with
# the uplink's MAC as source and TTL decremented; red's two guests reach each
# other through the host alone (no frame on either uplink); the providers'
# ARP for 192.0.2.2 is answered by polyport with the uplink's MAC; the host
# forwards nothing (IpForwDatagrams) and none of its addresses answer.
PPT_NAME=l3
PPT_SCOPE=ppt3	# namespaces ppt3-*, devices pptl*: names of its own
source "$(dirname "$0")/lib.sh"
suite_start
# devices of this suite start with "pptl": remove leftovers of an earlier run
for dev in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^pptl"); do
	ip link del "$dev" 2>/dev/null
done
# routes of an earlier run in the test tables
ip route flush table 1001 2>/dev/null
ip route flush table 1002 2>/dev/null
cleanup_l3() {
	for dev in pptlur pptlub pptltap1; do ip link del "$dev" 2>/dev/null; done
	ip route flush table 1001 2>/dev/null
	ip route flush table 1002 2>/dev/null
	finish
}
trap cleanup_l3 EXIT

daemon_dirs
M1=52:54:00:0c:00:01 M2=52:54:00:0c:00:02 M3=52:54:00:0c:00:03
GW=02:00:00:00:10:01 GWB=02:00:00:00:20:01

cat >"$CONF/10-l3.yaml" <<EOF
l3-domains:
  red:
    table: 1001
    mac: $GW
    subnets:
      - {cidr: 10.1.0.0/24, gateway: 10.1.0.1}
      - {cidr: 10.2.0.0/24, gateway: 10.2.0.1}
    uplinks:
      - {device: pptlur, addresses: [192.0.2.2/30]}
    routes:
      - {to: 0.0.0.0/0, via: 192.0.2.1}
  blue:
    table: 1002
    mac: $GWB
    subnets:
      - {cidr: 10.1.0.0/24, gateway: 10.1.0.1}
    uplinks:
      - {device: pptlub, addresses: [192.0.2.2/30]}
    routes:
      - {to: 0.0.0.0/0, via: 192.0.2.1}
instance-ports:
  sf1:
    device: pptltap1
    mac: $M1
    service-ports:
      red1:
        vlan: 500
        addresses: [10.1.0.5/24]
        bind: {l3: {domain: red}}
      blue1:
        vlan: 600
        mac: $M2
        addresses: [10.1.0.5/24]
        bind: {l3: {domain: blue}}
      red2:
        vlan: 700
        mac: $M3
        addresses: [10.2.0.7/24]
        bind: {l3: {domain: red}}
EOF
check "check: the L3 configuration is valid" "$B/polyportd" --check --config "$CONF"

# the provider routers: the same addresses in both
for d in red blue; do
	up=pptlu${d:0:1}
	netns_net "ppt3-p$d" "$up" 192.0.2.1/30
	ip -n "ppt3-p$d" addr add 198.51.100.1/32 dev lo
	ip -n "ppt3-p$d" route add 10.0.0.0/8 via 192.0.2.2
	ip netns exec "ppt3-p$d" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
guest_ns ppt3-{gred,gblue,gred2}
daemon_start || exit 1
guest g1 pptltap1 \
	--port ns=ppt3-gred,dev=eth0,mac=$M1,match=vlan:500 \
	--port ns=ppt3-gblue,dev=eth0,mac=$M2,match=vlan:600 \
	--port ns=ppt3-gred2,dev=eth0,mac=$M3,match=vlan:700 || { fail "guest"; exit 1; }
for g in gred:10.1.0.5/24:10.1.0.1 gblue:10.1.0.5/24:10.1.0.1 gred2:10.2.0.7/24:10.2.0.1; do
	IFS=: read -r ns addr gw <<<"$g"
	ip netns exec "ppt3-$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "ppt3-$ns" addr add "$addr" dev eth0
	ip -n "ppt3-$ns" route add default via "$gw"
done
wait_for 5 sh -c "tc filter show dev pptltap1 ingress | grep -q pp_tap_ingress" ||
	{ fail "the tap was not attached"; exit 1; }
# the tap appeared after the daemon started: its routes follow by themselves
wait_for 5 sh -c "ip route show table 1001 | grep -q '10.1.0.5 dev pptltap1'" ||
	fail "red's table has no route to its L3 port: $(ip route show table 1001 | tr '\n' ';')"

status() { "$B/polyportctl" --api-socket "$API" --pin-root "$PIN" status 2>&1; }
grep -q '"l3_domains"' "$STATE/status.json" && pass "status: the domains are reported" ||
	fail "status: no l3_domains in status.json"
n=$(grep -c '"status": "ACTIVE"' "$STATE/status.json")
((n >= 4)) && pass "status: the domains and the instance port are ACTIVE ($n objects)" ||
	fail "status: only $n ACTIVE: $(tr -d '\n' <"$STATE/status.json" | head -c 600)"
t=$(ip route show table 1001)
[[ $t == *"unreachable 10.1.0.0/24 proto 112"* && $t == *"default via 192.0.2.1 dev pptlur proto 112 onlink"* ]] &&
	pass "kernel: red's table has its unreachable subnets and its default route (onlink)" ||
	fail "kernel: red's table: $(echo "$t" | tr '\n' ';')"
[[ -z $(ip -4 addr show dev pptlur | grep inet) ]] && pass "kernel: the uplink has no address of the host's" ||
	fail "kernel: pptlur has $(ip -4 addr show dev pptlur | grep inet)"

fwd0=$(awk '/^Ip:/ {getline; print $7; exit}' /proc/net/snmp)
capture_start red ppt3-pred eth0 icmp || exit 1
capture_start blue ppt3-pblue eth0 icmp || exit 1
check "route: red's guest (vlan 500) reaches 198.51.100.1 behind red's provider" \
	ip netns exec ppt3-gred ping -c 3 -i 0.2 -W 2 198.51.100.1
check "route: blue's guest (vlan 600, the same address) reaches 198.51.100.1 behind blue's" \
	ip netns exec ppt3-gblue ping -c 2 -i 0.2 -W 2 198.51.100.1
nr=$(capture_stop red)
nb=$(capture_stop blue)
((nr == 6 && nb == 4)) && pass "isolation: each provider saw only its own domain's pings (red $nr, blue $nb frames)" ||
	fail "isolation: red's provider saw $nr frames (want 6), blue's $nb (want 4)"
src=$(tcpdump -nn -e -r "$WORK/red.pcap" 2>/dev/null | grep "echo request" | head -1 | awk '{print $2}')
umac=$(cat /sys/class/net/pptlur/address)
[[ $src == "$umac" ]] && pass "route: routed frames leave with the uplink's MAC ($src)" ||
	fail "route: source MAC '$src', want the uplink's $umac"
ttl=$(tcpdump -nn -v -r "$WORK/red.pcap" 2>/dev/null | grep -m1 -o "ttl [0-9]*" | awk '{print $2}')
[[ $ttl == 63 ]] && pass "route: TTL decremented on the way out (63)" || fail "route: TTL '$ttl', want 63"
mac=$(ip -n ppt3-pred neigh show 192.0.2.2 | grep -o 'lladdr [0-9a-f:]*' | awk '{print $2}')
[[ $mac == "$umac" ]] && pass "neighbours: the provider resolved 192.0.2.2 to the uplink's MAC (polyport answered)" ||
	fail "neighbours: the provider has '$mac' for 192.0.2.2, want $umac"

capture_start ur - pptlur icmp || exit 1
check "route: red's two guests on two subnets reach each other through the host" \
	ip netns exec ppt3-gred ping -c 2 -i 0.2 -W 2 10.2.0.7
n=$(capture_stop ur)
[[ $n == 0 ]] && pass "route: ... with no frame on the uplink" || fail "route: $n frames on pptlur"
check_not "isolation: blue's guest cannot reach red's other subnet (10.2.0.7)" \
	ip netns exec ppt3-gblue ping -c 1 -W 1 10.2.0.7
check "route: a 1 MiB TCP stream from red's guest to its provider" tcp_1mib red ppt3-gred ppt3-pred 198.51.100.1 5001
hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | head -1)
if [[ -n $hostip ]]; then
	check_not "host: the host's own address ($hostip) does not answer from a domain" \
		ip netns exec ppt3-gred ping -c 1 -W 1 "$hostip"
else
	skip "host: the host has no global IPv4 address to try"
fi
fwd1=$(awk '/^Ip:/ {getline; print $7; exit}' /proc/net/snmp)
[[ $fwd0 == "$fwd1" ]] && pass "host: IpForwDatagrams unchanged ($fwd1): the host's stack forwarded nothing" ||
	fail "host: IpForwDatagrams moved from $fwd0 to $fwd1"

# a route added by an operator is used at once, and removed
ip -n ppt3-pred addr add 203.0.113.9/32 dev lo
ip route add 203.0.113.0/24 via 192.0.2.1 dev pptlur onlink table 1001
check "live table: a route added by hand is used (203.0.113.9)" \
	ip netns exec ppt3-gred ping -c 1 -W 2 203.0.113.9
ip route del 203.0.113.0/24 table 1001
ip route add unreachable 203.0.113.0/24 table 1001
check_not "live table: ... and no longer once it is unreachable" \
	ip netns exec ppt3-gred ping -c 1 -W 1 203.0.113.9
ip route del unreachable 203.0.113.0/24 table 1001
check_not "subnets: an address of red's subnet that no port holds is not sent out (10.1.0.99)" \
	ip netns exec ppt3-gred ping -c 1 -W 1 10.1.0.99
ctl stats >"$WORK/stats.txt" 2>&1
grep -q "no_route" "$WORK/stats.txt" && pass "counters: no_route drops are counted" ||
	fail "counters: no no_route in polyportctl stats: $(head -c 400 "$WORK/stats.txt")"

# the domains leave with the configuration: their routes, their uplinks
rm "$CONF/10-l3.yaml"
kill -HUP "$DPID"
wait_for 5 sh -c "! ip route show table 1001 proto 112 | grep -q ." &&
	pass "removal: red's routes of ours are gone with the configuration" ||
	fail "removal: table 1001 still has $(ip route show table 1001 proto 112 | tr '\n' ';')"
exit ${FAILED:-0}
