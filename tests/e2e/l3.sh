#!/usr/bin/env bash
# End to end: L3 domains (issue 16), through polyportd.
#
#   two domains with the SAME subnets and the same default route, each with
#   an uplink veth into its own "provider router" namespace that has the
#   same addresses on both:
#     red  (table 1001): subnet 10.1.0.0/24 gw 10.1.0.1, 10.2.0.0/24 gw 10.2.0.1,
#          fd00:1::/64 gw fd00:1::1,
#          uplink pptlur 192.0.2.2/30 2001:db8:1::2/64 -> ppt3-pred (192.0.2.1,
#          2001:db8:1::1; 198.51.100.1 and 2001:db8:ff::1 on lo),
#          default via 192.0.2.1, ::/0 via 2001:db8:1::1
#     blue (table 1002): subnet 10.1.0.0/24 gw 10.1.0.1, fd00:1::/64 gw fd00:1::1,
#          uplink pptlub 192.0.2.2/30 2001:db8:1::2/64 -> ppt3-pblue (the same addresses)
#   tap pptltap1 (instance port sf1), guest ports (build/ppguest):
#     vlan 500 ppt3-gred  10.1.0.5/24 fd00:1::5/64   bind: l3 red
#     vlan 600 ppt3-gblue 10.1.0.5/24 fd00:1::5/64   bind: l3 blue
#     vlan 700 ppt3-gred2 10.2.0.7/24   bind: l3 red (another subnet, routed on the host)
#
# Each guest reaches 198.51.100.1 behind its own provider router only (a
# capture on each provider's side sees only its own domain's frames), with
# the uplink's MAC as source and TTL decremented; red's two guests reach each
# other through the host alone (no frame on either uplink); the providers'
# ARP for 192.0.2.2 is answered by polyport with the uplink's MAC; the host
# forwards nothing (IpForwDatagrams) and none of its addresses answer.  The
# same over IPv6 (2001:db8:ff::1): ping both ways, 1 MiB of TCP, the next
# hop resolved by polyport's NDP, the providers' NS for 2001:db8:1::2 and
# the guests' for the gateway answered by polyport.
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
      - {cidr: "fd00:1::/64", gateway: "fd00:1::1"}
    uplinks:
      - {device: pptlur, addresses: [192.0.2.2/29, "2001:db8:1::2/64"]}
    routes:
      - {to: 0.0.0.0/0, via: 192.0.2.1}
      - {to: "::/0", via: "2001:db8:1::1"}
  blue:
    table: 1002
    mac: $GWB
    subnets:
      - {cidr: 10.1.0.0/24, gateway: 10.1.0.1}
      - {cidr: "fd00:1::/64", gateway: "fd00:1::1"}
    uplinks:
      - {device: pptlub, addresses: [192.0.2.2/30, "2001:db8:1::2/64"]}
    routes:
      - {to: 0.0.0.0/0, via: 192.0.2.1}
      - {to: "::/0", via: "2001:db8:1::1"}
instance-ports:
  sf1:
    device: pptltap1
    mac: $M1
    service-ports:
      red1:
        vlan: 500
        addresses: [10.1.0.5/24, "fd00:1::5/64"]
        bind: {l3: {domain: red}}
      blue1:
        vlan: 600
        mac: $M2
        addresses: [10.1.0.5/24, "fd00:1::5/64"]
        bind: {l3: {domain: blue}}
      red2:
        vlan: 700
        mac: $M3
        addresses: [10.2.0.7/24]
        bind: {l3: {domain: red}}
EOF
check "check: the L3 configuration is valid" "$B/polyportd" --check --config "$CONF"

# the provider routers: the same addresses in both, IPv4 and IPv6
for d in red blue; do
	up=pptlu${d:0:1}
	# red's link is a /29: its provider has a second next hop, 192.0.2.3
	netns_net "ppt3-p$d" "$up" 192.0.2.1/$([[ $d == red ]] && echo 29 || echo 30)
	[[ $d == red ]] && ip -n "ppt3-p$d" addr add 192.0.2.3/29 dev eth0
	# a router: no router solicitations of its own on the wire (they would
	# be frames the uplink's captures have to explain)
	ip netns exec "ppt3-p$d" sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "ppt3-p$d" addr add 198.51.100.1/32 dev lo
	ip -n "ppt3-p$d" route add 10.0.0.0/8 via 192.0.2.2
	ip -n "ppt3-p$d" addr add 2001:db8:1::1/64 dev eth0 nodad
	ip -n "ppt3-p$d" addr add 2001:db8:ff::1/128 dev lo
	ip -n "ppt3-p$d" route add fd00::/16 via 2001:db8:1::2
done
guest_ns ppt3-{gred,gblue,gred2}
daemon_start || exit 1
guest g1 pptltap1 \
	--port ns=ppt3-gred,dev=eth0,mac=$M1,match=vlan:500 \
	--port ns=ppt3-gblue,dev=eth0,mac=$M2,match=vlan:600 \
	--port ns=ppt3-gred2,dev=eth0,mac=$M3,match=vlan:700 || { fail "guest"; exit 1; }
for g in gred:10.1.0.5/24:10.1.0.1 gblue:10.1.0.5/24:10.1.0.1 gred2:10.2.0.7/24:10.2.0.1; do
	IFS=: read -r ns addr gw <<<"$g"
	# IPv6 only where the test speaks it (red's and blue's first guests)
	[[ $ns == gred2 ]] && ip netns exec "ppt3-$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n "ppt3-$ns" addr add "$addr" dev eth0
	ip -n "ppt3-$ns" route add default via "$gw"
done
for ns in gred gblue; do
	ip -n "ppt3-$ns" addr add fd00:1::5/64 dev eth0 nodad
	ip -n "ppt3-$ns" -6 route add default via fd00:1::1
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
# forwarding turned off by someone else is turned on again (RTM_NEWNETCONF)
sysctl -qw net.ipv4.conf.pptlur.forwarding=0 net.ipv6.conf.pptltap1.forwarding=0
wait_for 3 sh -c '[ "$(cat /proc/sys/net/ipv4/conf/pptlur/forwarding)$(cat /proc/sys/net/ipv6/conf/pptltap1/forwarding)" = 11 ]' &&
	pass "kernel: forwarding turned off on the uplink and the tap is turned on again by polyportd" ||
	fail "kernel: forwarding stayed off: uplink $(cat /proc/sys/net/ipv4/conf/pptlur/forwarding), tap v6 $(cat /proc/sys/net/ipv6/conf/pptltap1/forwarding)"

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

# ---- IPv6 through the domains: the same subnet, uplink address and default
# route in both (fd00:1::5 -> 2001:db8:ff::1 behind each one's provider)
#
# polyportd routes the L3 ports' IPv6 addresses to their tap: the kernel
# takes an IPv6 route only through a device with IPv6 on, so a tap with L3
# ports keeps it on (without an address of the host's).
[[ $(sysctl -n net.ipv6.conf.pptltap1.disable_ipv6) == 0 && -z $(ip -6 addr show dev pptltap1) ]] &&
	pass "kernel v6: the tap of the L3 ports has IPv6 on, and no address" ||
	fail "kernel v6: pptltap1: disable_ipv6 $(sysctl -n net.ipv6.conf.pptltap1.disable_ipv6)," \
		"addresses: $(ip -6 -o addr show dev pptltap1 | awk '{print $4}' | tr '\n' ' ')"
wait_for 5 sh -c "ip -6 route show table 1001 | grep -q '^fd00:1::5 dev pptltap1 proto 112'" &&
	wait_for 5 sh -c "ip -6 route show table 1002 | grep -q '^fd00:1::5 dev pptltap1 proto 112'" &&
	ip -6 route show table 1001 | grep -q '^default via 2001:db8:1::1 dev pptlur proto 112 .*onlink' &&
	ip -6 route show table 1002 | grep -q '^default via 2001:db8:1::1 dev pptlub proto 112 .*onlink' &&
	pass "kernel v6: red's and blue's tables route fd00:1::5 to the tap, their default via 2001:db8:1::1 onlink" ||
	fail "kernel v6: table 1001: $(ip -6 route show table 1001 | tr '\n' ';')"
fwd6_0=$(awk '$1 == "Ip6OutForwDatagrams" {print $2}' /proc/net/snmp6)
echo6='ip6 and ip6[6] == 58 and (ip6[40] == 128 or ip6[40] == 129)'	# echo request, reply
capture_start red6 ppt3-pred eth0 "$echo6" || exit 1
capture_start blue6 ppt3-pblue eth0 "$echo6" || exit 1
check "route v6: red's guest (vlan 500) reaches 2001:db8:ff::1 behind red's provider" \
	ip netns exec ppt3-gred ping -6 -c 3 -i 0.2 -W 2 2001:db8:ff::1
out=$(ip netns exec ppt3-gblue ping -6 -c 2 -i 0.2 -W 2 2001:db8:ff::1 2>&1) &&
	pass "route v6: blue's guest (vlan 600, the same address) reaches 2001:db8:ff::1 behind blue's" ||
	fail "route v6: blue's guest: $(echo "$out" | tail -2 | tr '\n' ' ')"
nr=$(capture_stop red6)
nb=$(capture_stop blue6)
((nr == 6 && nb == 4)) && pass "isolation v6: each provider saw only its own domain's pings (red $nr, blue $nb frames)" ||
	fail "isolation v6: red's provider saw $nr frames (want 6), blue's $nb (want 4)"
src=$(tcpdump -nn -e -r "$WORK/red6.pcap" 2>/dev/null | grep -m1 "echo request" | awk '{print $2}')
[[ $src == "$umac" ]] && pass "route v6: routed frames leave with the uplink's MAC ($src)" ||
	fail "route v6: source MAC '$src', want the uplink's $umac"
src=$(tcpdump -nn -e -r "$WORK/blue6.pcap" 2>/dev/null | grep -m1 "echo request" | awk '{print $2}')
ubmac=$(cat /sys/class/net/pptlub/address)
[[ $src == "$ubmac" ]] && pass "route v6: blue's leave with blue's uplink MAC ($src)" ||
	fail "route v6: blue's source MAC '$src', want $ubmac"
hl=$(tcpdump -nn -v -r "$WORK/red6.pcap" 2>/dev/null | grep -m1 -o "hlim [0-9]*" | awk '{print $2}')
back=$(grep -m1 -o "ttl=[0-9]*" <<<"$out" | cut -d= -f2)
[[ $hl == 63 && $back == 63 ]] && pass "route v6: hop limit decremented both ways (63 out, 63 back)" ||
	fail "route v6: hop limit '$hl' at the provider, '$back' at the guest, want 63 and 63"
mac=$(ip -n ppt3-gred -6 neigh show fd00:1::1 dev eth0 | grep -o 'lladdr [0-9a-f:]*' | awk '{print $2}')
[[ $mac == "$GW" ]] && pass "neighbours v6: NS for the gateway fd00:1::1 answered on the L3 port ($mac)" ||
	fail "neighbours v6: red's guest has '$mac' for fd00:1::1, want the gateway MAC $GW"
# the next hop 2001:db8:1::1 resolved by polyport's NDP: in pp_l3nh, valid,
# with the provider's MAC
pmac=$(ip -n ppt3-pred link show eth0 | awk '/link\/ether/ {print $2}')
# (bpftool's JSON, one line: the entry of (pptlur, IPv6, 2001:db8:1::1), then
# its MAC in decimal bytes and its flags, PP_L3NH_VALID = 1)
nh=$(bpftool -j map dump pinned "$PIN/pp_l3nh" 2>/dev/null |
	grep -o "\"ifindex\":$(cat /sys/class/net/pptlur/ifindex),\"family\":6,[^}]*\"addr\":\[32,1,13,184,0,1,0,0,0,0,0,0,0,0,0,1\]},\"value\":{[^}]*}" |
	sed -n 's/.*"mac":\[\([0-9,]*\)\],"flags":\([0-9]*\).*/\1 \2/p' |
	awk '$2 % 2 == 1 {n = split($1, b, ","); for (i = 1; i <= n; i++) printf "%s%02x", (i > 1 ? ":" : ""), b[i]; print ""}')
[[ $nh == "$pmac" ]] && pass "neighbours v6: polyport resolved the next hop 2001:db8:1::1 by NDP (pp_l3nh: $nh, valid)" ||
	fail "neighbours v6: pp_l3nh has '$nh' for 2001:db8:1::1 on pptlur, want the provider's $pmac"
# the provider's NS for 2001:db8:1::2 is answered by polyport on the uplink
# (nothing else could: the uplink has no kernel address).  Its cache
# flushed, the provider reaches red's guest only once it resolved the
# uplink's address by a multicast NS; REACHABLE: a solicited NA confirmed it.
ip -n ppt3-pred -6 neigh flush dev eth0
check "route v6: red's provider reaches red's guest fd00:1::5 (routed toward the VM)" \
	ip netns exec ppt3-pred ping -6 -c 2 -i 0.2 -W 2 fd00:1::5
nb=$(ip -n ppt3-pred -6 neigh show 2001:db8:1::2 dev eth0)
[[ $nb == *"lladdr $umac "*REACHABLE* ]] &&
	pass "neighbours v6: the provider's NS for 2001:db8:1::2 answered by polyport with the uplink's MAC" ||
	fail "neighbours v6: the provider has '$nb' for 2001:db8:1::2, want $umac REACHABLE"
check "route v6: a 1 MiB TCP stream from blue's guest to its provider" \
	tcp_1mib blue6 ppt3-gblue ppt3-pblue 2001:db8:ff::1 5003
fwd6_1=$(awk '$1 == "Ip6OutForwDatagrams" {print $2}' /proc/net/snmp6)
[[ $fwd6_0 == "$fwd6_1" ]] && pass "host: Ip6OutForwDatagrams unchanged ($fwd6_1): the host's stack forwarded no IPv6" ||
	fail "host: Ip6OutForwDatagrams moved from $fwd6_0 to $fwd6_1"

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
# ... and by a next hop polyportd was not told about (192.0.2.3, red's
# provider too): its first frames are dropped as no_neigh and reported
# (pp_l3miss); polyportd resolves it at its next tick, the route works
l3nh_v4() {	# pp_l3nh's MAC for (pptlur, IPv4, 192.0.2.$1) if VALID (bpftool's JSON, as above)
	bpftool -j map dump pinned "$PIN/pp_l3nh" 2>/dev/null |
		grep -o "\"ifindex\":$(cat /sys/class/net/pptlur/ifindex),\"family\":4,[^}]*\"addr\":\[192,0,2,$1,0,0,0,0,0,0,0,0,0,0,0,0\]},\"value\":{[^}]*}" |
		sed -n 's/.*"mac":\[\([0-9,]*\)\],"flags":\([0-9]*\).*/\1 \2/p' |
		awk '$2 % 2 == 1 {n = split($1, b, ","); for (i = 1; i <= n; i++) printf "%s%02x", (i > 1 ? ":" : ""), b[i]; print ""}'
}
[[ -z $(l3nh_v4 3) ]] && pass "live table: 192.0.2.3 is no next hop of polyport's before a route names it" ||
	fail "live table: pp_l3nh has 192.0.2.3 already ($(l3nh_v4 3))"
ip route add 203.0.113.0/24 via 192.0.2.3 dev pptlur onlink table 1001
tries=0
t0=$(date +%s%N)
while ((tries < 8)); do
	tries=$((tries + 1))
	ip netns exec ppt3-gred ping -c 1 -W 1 203.0.113.9 >/dev/null 2>&1 && break
done
ms=$((($(date +%s%N) - t0) / 1000000))
((tries > 1 && tries < 8)) &&
	pass "live table: a route by hand via an unknown next hop (192.0.2.3) works after $tries pings (${ms} ms; the first dropped, no_neigh)" ||
	fail "live table: via 192.0.2.3: $tries pings in ${ms} ms (want a first one lost, then an answer)"
nh=$(l3nh_v4 3)
[[ $nh == "$pmac" ]] && pass "neighbours: polyport resolved the missed next hop 192.0.2.3 by ARP (pp_l3nh: $nh, valid)" ||
	fail "neighbours: pp_l3nh has '$nh' for 192.0.2.3 on pptlur, want the provider's $pmac"
n=$(bpftool -j map dump pinned "$PIN/pp_l3miss" 2>/dev/null | grep -o '"ifindex"' | wc -l)
[[ $n == 0 ]] && pass "live table: polyportd took the dataplane's misses (pp_l3miss empty)" ||
	fail "live table: pp_l3miss still has $n entries"
ip route del 203.0.113.0/24 table 1001
# ICMP errors from the gateway (bpf/lib/l3icmp.h): a route of locked MTU
# 1400 answers a 1500-byte packet with DF by "fragmentation needed" from
# red's gateway on the guest's subnet (10.1.0.1); TTL / hop limit 1 by
# "time exceeded" from it
ip -n ppt3-pred addr add 198.18.0.1/32 dev lo
ip route add 198.18.0.0/24 via 192.0.2.1 dev pptlur onlink mtu lock 1400 table 1001
out=$(ip netns exec ppt3-gred ping -M do -s 1472 -c 1 -W 2 198.18.0.1 2>&1)
[[ $out == *"From 10.1.0.1 "*"Frag needed and DF set (mtu = 1400)"* ]] &&
	pass "icmp: 1500 bytes with DF to a route of MTU 1400: 'Frag needed and DF set (mtu = 1400)' from 10.1.0.1" ||
	fail "icmp: ping -M do -s 1472 198.18.0.1: $(echo "$out" | tr '\n' ';' | head -c 300)"
check "icmp: ... and 1400 bytes pass" ip netns exec ppt3-gred ping -M do -s 1372 -c 1 -W 2 198.18.0.1
ip route del 198.18.0.0/24 table 1001
ip -n ppt3-pred addr del 198.18.0.1/32 dev lo
out=$(ip netns exec ppt3-gred ping -t 1 -c 1 -W 2 198.51.100.1 2>&1)
[[ $out == *"From 10.1.0.1 "*"Time to live exceeded"* ]] &&
	pass "icmp: ping -t 1 from red's guest: 'Time to live exceeded' from 10.1.0.1" ||
	fail "icmp: ping -t 1 198.51.100.1: $(echo "$out" | tr '\n' ';' | head -c 300)"
out=$(ip netns exec ppt3-gred ping -6 -t 1 -c 1 -W 2 2001:db8:ff::1 2>&1)
[[ $out == *"From fd00:1::1 "*"Time exceeded: Hop limit"* ]] &&
	pass "icmp v6: ping -6 -t 1 from red's guest: 'Time exceeded: Hop limit' from fd00:1::1" ||
	fail "icmp v6: ping -6 -t 1 2001:db8:ff::1: $(echo "$out" | tr '\n' ';' | head -c 300)"
check_not "subnets: an address of red's subnet that no port holds is not sent out (10.1.0.99)" \
	ip netns exec ppt3-gred ping -c 1 -W 1 10.1.0.99
ctl stats >"$WORK/stats.txt" 2>&1
grep -q "no_route" "$WORK/stats.txt" && pass "counters: no_route drops are counted" ||
	fail "counters: no no_route in polyportctl stats: $(head -c 400 "$WORK/stats.txt")"
# the three errors above, counted on red (polyportctl stats, /metrics); none on blue
n=$(awk '$1 == "red" && $2 == "sent" {sub(",", "", $3); print $3}' "$WORK/stats.txt")
[[ ${n:-0} -ge 3 ]] && pass "counters: red's gateway ICMP errors counted ($n sent)" ||
	fail "counters: red's ICMP errors sent = '${n:-}' (want >= 3): $(grep -A3 ICMP "$WORK/stats.txt")"
m=$(curl -s -m 30 --unix-socket "$API" http://localhost/metrics | grep '^polyport_l3_icmp_errors_total{l3_domain="blue",result="sent"}')
[[ $m == *" 0" ]] && pass "counters: /metrics polyport_l3_icmp_errors_total, blue sent none" ||
	fail "counters: /metrics blue: '$m'"

# nothing the host sends leaves by an uplink (its TC egress, host_egress on
# the domain), while polyport's own frames do: the routed ones, its ARP
# answers, polyportd's ARP (all marked)
host_egress() { ctl stats 2>/dev/null | awk '$1 == "l3" && $3 == "red" && $4 == "host_egress" {n = $5} END {print n + 0}'; }
he0=$(host_egress)
# polyportd's own ARP and NS (refreshes) come from the domain's addresses: not the host's
capture_start hosteg ppt3-pred eth0 "icmp or (ip6 and not src host 2001:db8:1::2) or (arp and not src host 192.0.2.2)" || exit 1
check_not "uplink egress: a ping from the host by the uplink (ping -I pptlur) gets no answer" \
	ping -c 3 -i 0.3 -W 1 -I pptlur 192.0.2.1
n=$(capture_stop hosteg)
[[ $n == 0 ]] && pass "uplink egress: red's provider saw nothing of the host's (no ARP, no ICMP)" ||
	fail "uplink egress: red's provider saw $n frames of the host's: $(tcpdump -nn -r "$WORK/hosteg.pcap" 2>/dev/null | head -3 | tr '\n' ';')"
he1=$(host_egress)
((he1 > he0)) && pass "uplink egress: the host's frames are counted as host_egress on red ($he0 -> $he1)" ||
	fail "uplink egress: host_egress on red did not grow ($he0 -> $he1)"
ip -n ppt3-pred neigh flush dev eth0
check "uplink egress: red's guest still reaches 198.51.100.1 (the provider's ARP answered anew)" \
	ip netns exec ppt3-gred ping -c 2 -i 0.2 -W 2 198.51.100.1
mac=$(ip -n ppt3-pred neigh show 192.0.2.2 | grep -o 'lladdr [0-9a-f:]*' | awk '{print $2}')
[[ $mac == "$umac" ]] && pass "uplink egress: ... the provider resolved 192.0.2.2 again ($mac)" ||
	fail "uplink egress: the provider has '$mac' for 192.0.2.2 after a flush, want $umac"

# ---- XDP on the uplinks (loader/reconcile.c, reconcile_xdp_uplinks) ------------
# sf1 runs XDP (auto: the light guest's tap has no vnet header), so both
# uplinks want XDP; auto takes it only where the uplink's frames provably
# carry complete checksums (its veth peer's tx-checksumming off) and no tag
# can reach XDP as metadata (the peer's tx-vlan offloads off), as for a
# network's device.  Red's provider turns both off and puts an XDP program
# on its end (so XDP may also send to pptlur: pp_xdp_tx); blue's turns only
# tx-vlan off: tx-checksumming on keeps pptlub on TC, with that reason.
# polyportd sees the peers change (link events of their namespaces).
# uplink_mode DEV: the mode polyportctl status gives the uplink ("xdp", "tc")
uplink_mode() { ctl status 2>/dev/null | awk -v u="$1" '$1 == "uplink" && $2 == u {sub(":", "", $4); print $4; exit}'; }
uplink_mode_is() { [[ $(uplink_mode "$1") == "$2" ]]; }
uplink_why() { ctl status 2>/dev/null | grep "^  uplink $1 mode: "; }
# in_xdp_tx DEV: is DEV's ifindex a key of pp_xdp_tx (XDP may send to it)?
in_xdp_tx() {
	local i
	i=$(cat "/sys/class/net/$1/ifindex") &&
		bpftool map lookup pinned "$PIN/pp_xdp_tx" key $((i & 255)) $((i >> 8 & 255)) \
			$((i >> 16 & 255)) $((i >> 24)) >/dev/null 2>&1
}
if ctl status | grep -qE '^sf1 +pptltap1 +ACTIVE +xdp'; then
	pass "uplink xdp: sf1 (red's and blue's L3 ports) runs XDP"
else
	fail "uplink xdp: sf1 is not in XDP mode: $(ctl status | head -3 | tr '\n' ';')"
fi
uplink_mode_is pptlur tc && uplink_mode_is pptlub tc &&
	pass "uplink xdp: both uplinks on TC while their peers have tx offloads on" ||
	fail "uplink xdp: before: pptlur $(uplink_mode pptlur), pptlub $(uplink_mode pptlub)"
ip netns exec ppt3-pred ethtool -K eth0 tx off txvlan off tx-vlan-stag-hw-insert off >/dev/null
ip -n ppt3-pred link set dev eth0 xdpdrv obj "$B/tests/xdp_pass.bpf.o" sec xdp ||
	fail "uplink xdp: XDP_PASS on red's provider end"
ip netns exec ppt3-pblue ethtool -K eth0 txvlan off tx-vlan-stag-hw-insert off >/dev/null
if wait_for 5 uplink_mode_is pptlur xdp; then
	ip -d link show pptlur | grep -q "prog/xdp" && in_xdp_tx pptlur &&
		uplink_why pptlur | grep -q "auto: veth pptlur: its peer eth0 has tx-checksumming off" &&
		pass "uplink xdp: red's uplink in XDP (program attached, in pp_xdp_tx), and says why" ||
		fail "uplink xdp: red's uplink: $(uplink_why pptlur); $(ip -d link show pptlur | grep -o 'prog/xdp.*')"
else
	fail "uplink xdp: red's uplink stays $(uplink_mode pptlur): $(uplink_why pptlur)"
fi
wait_for 5 sh -c "'$B/polyportctl' --api-socket '$API' status | grep -q '^  uplink pptlub mode: tc: auto: veth pptlub: its peer eth0 has tx-checksumming on'" &&
	! ip -d link show pptlub | grep -q "prog/xdp" &&
	pass "uplink xdp: blue's uplink (peer tx-checksumming on) stays on TC, and says why" ||
	fail "uplink xdp: blue's uplink: $(uplink_why pptlub)"
out=$(req GET /v1/l3-domains/red)
[[ $out == 200*'"uplinks": [ { "device": "pptlur", "effective-mode": "xdp"'* ]] &&
	pass "uplink xdp: the API reports red's uplink mode" || fail "uplink xdp: API: ${out:0:600}"
# XDP carried the frames: a capture on pptlur sees nothing XDP received or
# sent there (native XDP redirects bypass packet captures), while red's
# provider sees every one
capture_start urx - pptlur "icmp or tcp" || exit 1
capture_start prx ppt3-pred eth0 icmp || exit 1
check "uplink xdp: red's guest pings 198.51.100.1 behind red's provider" \
	ip netns exec ppt3-gred ping -c 3 -i 0.2 -W 2 198.51.100.1
check "uplink xdp: red's provider pings red's guest 10.1.0.5" \
	ip netns exec ppt3-pred ping -c 3 -i 0.2 -W 2 10.1.0.5
check "uplink xdp: a 1 MiB TCP stream from red's guest to its provider" \
	tcp_1mib redx1 ppt3-gred ppt3-pred 198.51.100.1 5011
check "uplink xdp: a 1 MiB TCP stream from red's provider to red's guest" \
	tcp_1mib redx2 ppt3-pred ppt3-gred 10.1.0.5 5012
nu=$(capture_stop urx)
np=$(capture_stop prx)
((nu == 0 && np == 12)) &&
	pass "uplink xdp: the pings and TCP went by XDP both ways (0 frames on pptlur, $np pings at the provider)" ||
	fail "uplink xdp: $nu ICMP/TCP frames seen on pptlur (want 0: not XDP), $np at the provider (want 12)"
# the provider's ARP for 192.0.2.2 answered anew, by XDP (nothing on pptlur)
ip -n ppt3-pred neigh flush dev eth0
capture_start urarp - pptlur arp || exit 1
check "uplink xdp: red's provider reaches red's guest after a neighbour flush" \
	ip netns exec ppt3-pred ping -c 1 -W 2 10.1.0.5
n=$(capture_stop urarp)
mac=$(ip -n ppt3-pred neigh show 192.0.2.2 | grep -o 'lladdr [0-9a-f:]*' | awk '{print $2}')
[[ $n == 0 && $mac == "$umac" ]] && pass "uplink xdp: the provider's ARP for 192.0.2.2 answered by XDP ($mac)" ||
	fail "uplink xdp: ARP: $n frames on pptlur, the provider has '$mac' (want 0 and $umac)"
# blue's peer without an XDP program: pptlub gets XDP, but XDP may not send
# there (not in pp_xdp_tx): the uplink's answers (ARP, NA) are handed to
# TC, not sent by XDP_TX (a veth drops what its peer cannot take by XDP)
ip netns exec ppt3-pblue ethtool -K eth0 tx off >/dev/null
if wait_for 5 uplink_mode_is pptlub xdp && ! in_xdp_tx pptlub; then
	pass "uplink xdp: blue's uplink in XDP once its peer's tx-checksumming is off, no XDP target (no XDP on the peer)"
else
	fail "uplink xdp: blue's uplink: $(uplink_why pptlub); in pp_xdp_tx: $(in_xdp_tx pptlub && echo yes || echo no)"
fi
ip -n ppt3-pblue neigh flush dev eth0
ip -n ppt3-pblue -6 neigh flush dev eth0
check "uplink xdp: blue's provider reaches blue's guest after a neighbour flush (ARP answered by TC)" \
	ip netns exec ppt3-pblue ping -c 2 -i 0.2 -W 2 10.1.0.5
check "uplink xdp: ... and over IPv6 (its NS answered by TC)" \
	ip netns exec ppt3-pblue ping -6 -c 2 -i 0.2 -W 2 fd00:1::5
check "uplink xdp: blue's guest reaches 198.51.100.1 (TC sends by a non-target uplink)" \
	ip netns exec ppt3-gblue ping -c 2 -i 0.2 -W 2 198.51.100.1

# the domains leave with the configuration: their routes, their uplinks
rm "$CONF/10-l3.yaml"
kill -HUP "$DPID"
wait_for 5 sh -c "! ip route show table 1001 proto 112 | grep -q ." &&
	pass "removal: red's routes of ours are gone with the configuration" ||
	fail "removal: table 1001 still has $(ip route show table 1001 proto 112 | tr '\n' ';')"
! ip -d link show pptlur | grep -q "prog/xdp" && ! in_xdp_tx pptlur &&
	pass "removal: red's uplink lost its XDP program and its pp_xdp_tx entry" ||
	fail "removal: pptlur: $(ip -d link show pptlur | grep -o 'prog/xdp.*'); in pp_xdp_tx: $(in_xdp_tx pptlur && echo yes || echo no)"
exit ${FAILED:-0}
