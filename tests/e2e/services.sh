#!/usr/bin/env bash
# End to end: services bound to service ports (issue 6), through polyportd.
#
#   network net-a = pptsna -> ppts-na 10.1.0.2/24, fd00:a::2/64
#     gateway 10.1.0.1 / fd00:a::1: an address no host has; its MAC is the
#     default one derived from the network's name
#   tap pptstap1 (instance port sf1), guest ports (build/ppguest):
#     vlan 100 ppts-g100 10.1.0.10, fd00:a::10   bind: network, responder
#     vlan 200 ppts-g200 10.1.0.20                bind: network only
#     vlan 300 ppts-g300 10.1.0.30                bind: network, security
#     vlan 400 ppts-g400 (DHCP: 10.1.0.40)        bind: network, dhcp, responder
#     vlan 500 ppts-g500 10.1.0.50, fd00:a::50    bind: network, security (egress
#                                                  rule: drop tcp 23)
#     vlan 600 ppts-g600 10.1.0.60, fd00:a::60    bind: network, security with
#                                                  allow-dhcp-server, allow-ra
#     vlan 700 ppts-g700 (made through the API)   bind: network, security
#
# The responder answers ARP and NDP for the gateway and for the other
# service port's address without any frame reaching the network device
# (tcpdump on pptsna); what it does not know still goes to the network; the
# service port without a responder is unaffected.  Port security drops
# what vlan 300 sends from an address that is not its own, and only that;
# its ingress rules let TCP 22 and ICMP in, nothing else (default drop).
# DHCP: udhcpc (busybox) and dhclient (isc-dhcp-client) get vlan 400's
# address from polyport, with client scripts of the test's own (the host's
# /etc/resolv.conf and routes are never touched).
# Hostile frames (issue 12): vlan 500 and 600 write frames no IP stack would
# (build/tests/ppsend in their namespaces, whose own IPv6 is off), captured
# on the network: IPv6 extension headers and ND options (finding 5), rogue
# DHCP servers and routers (finding 6), each with a control frame of the
# same shape that must arrive.
#
#   tests/e2e/services.sh [auto|tc|xdp]   the instance port's mode (default auto:
#                                        XDP on this tap); "tc" runs every
#                                        service on the TC path
MODE=${1:-auto}
PPT_NAME=services-$MODE
PPT_SCOPE=ppts	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
[[ $MODE != auto ]] && PPT_LABEL=$MODE
suite_start

daemon_dirs
M1=52:54:00:05:00:01 M2=52:54:00:05:00:02 M3=52:54:00:05:00:03 M4=52:54:00:05:00:04
M5=52:54:00:05:00:05 M6=52:54:00:05:00:06 M7=52:54:00:05:00:07
api() { curl -s -m 5 --unix-socket "$API" "http://localhost$1"; }

# neigh_mac NS ADDR: the MAC the guest's neighbour table holds for ADDR
neigh_mac() { ip -n "$1" neigh show "$2" dev eth0 | grep -o 'lladdr [0-9a-f:]*' | awk '{print $2}'; }

cat >"$CONF/10-net.yaml" <<EOF
networks:
  net-a:
    device: pptsna
    gateway: {ipv4: 10.1.0.1, ipv6: "fd00:a::1"}
instance-ports:
  sf1:
    device: pptstap1
    mac: $M1
    mode: $MODE
    service-ports:
      p100:
        vlan: 100
        addresses: [10.1.0.10/24, "fd00:a::10/64"]
        bind: {network: net-a, responder: {}}
      p200:
        vlan: 200
        mac: $M2
        addresses: [10.1.0.20/24]
        bind: {network: net-a}
      p300:
        vlan: 300
        mac: $M3
        addresses: [10.1.0.30/24]
        bind:
          network: net-a
          security:
            allowed-pairs: [{mac: 52:54:00:05:00:33, ip: 10.1.0.33}]
            ingress: [{proto: tcp, ports: 22}, {proto: icmp}]
      p400:
        vlan: 400
        mac: $M4
        addresses: [10.1.0.40/24]
        bind:
          network: net-a
          responder: {}
          dhcp: {dns: [10.1.0.53], lease: 600, routes: [{to: 192.168.0.0/16, via: 10.1.0.1}]}
      p500:
        vlan: 500
        mac: $M5
        addresses: [10.1.0.50/24, "fd00:a::50/64"]
        bind:
          network: net-a
          security: {egress: [{proto: tcp, ports: 23, action: drop}], default: allow}
      p600:
        vlan: 600
        mac: $M6
        addresses: [10.1.0.60/24, "fd00:a::60/64"]
        bind:
          network: net-a
          security: {allow-dhcp-server: true, allow-ra: true}
EOF
check "check: the services configuration is valid" "$B/polyportd" --check --config "$CONF"

netns_net ppts-na pptsna 10.1.0.2/24
ip -n ppts-na addr add fd00:a::2/64 dev eth0 nodad
guest_ns ppts-{g100,g200,g300,g400,g500,g600,g700}
# the hostile-frame senders: no IPv6 of their own (no DAD, RS or MLD to tell apart)
for g in g500 g600 g700; do ip netns exec "ppts-$g" sysctl -qw net.ipv6.conf.default.disable_ipv6=1; done
daemon_start || exit 1
guest g1 pptstap1 \
	--port ns=ppts-g100,dev=eth0,mac=$M1,match=vlan:100 \
	--port ns=ppts-g200,dev=eth0,mac=$M2,match=vlan:200 \
	--port ns=ppts-g300,dev=eth0,mac=$M3,match=vlan:300 \
	--port ns=ppts-g400,dev=eth0,mac=$M4,match=vlan:400 \
	--port ns=ppts-g500,dev=eth0,mac=$M5,match=vlan:500 \
	--port ns=ppts-g600,dev=eth0,mac=$M6,match=vlan:600 \
	--port ns=ppts-g700,dev=eth0,mac=$M7,match=vlan:700 || { fail "guest"; exit 1; }
ip -n ppts-g100 addr add 10.1.0.10/24 dev eth0
ip -n ppts-g100 addr add fd00:a::10/64 dev eth0 nodad
ip -n ppts-g200 addr add 10.1.0.20/24 dev eth0
ip -n ppts-g300 addr add 10.1.0.30/24 dev eth0
wait_for 5 sh -c "tc filter show dev pptstap1 ingress | grep -q pp_tap_ingress" ||
	{ fail "the tap was not attached"; exit 1; }
check "setup: vlan 100 reaches the network" ip netns exec ppts-g100 ping -c 2 -i 0.2 -W 2 10.1.0.2

GWMAC=$(api /v1/networks/net-a | grep -o '"mac": "[0-9a-f:]*"' | head -1 | cut -d'"' -f4)
[[ $GWMAC =~ ^02:([0-9a-f]{2}:){4}[0-9a-f]{2}$ ]] \
	&& pass "api: the gateway has a locally administered MAC derived from the name ($GWMAC)" \
	|| fail "api: gateway MAC '$GWMAC': $(api /v1/networks/net-a)"

# ---- the responder: nothing reaches the network -----------------------------------------
# (what vlan 100 sends: its own duplicate address detection, NS from ::, is
# not a question the responder answers and goes on, so it is left out)
ip -n ppts-g100 neigh flush dev eth0
capture_start nd - pptsna "ether src $M1 and (arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136) and not ip6 src ::))"
ip netns exec ppts-g100 ping -c 1 -W 1 10.1.0.1 >/dev/null 2>&1
ip netns exec ppts-g100 ping -c 1 -W 1 fd00:a::1 >/dev/null 2>&1
ip netns exec ppts-g100 ping -c 1 -W 1 10.1.0.20 >/dev/null 2>&1
n=$(capture_stop nd)
mac4=$(neigh_mac ppts-g100 10.1.0.1)
mac6=$(neigh_mac ppts-g100 fd00:a::1)
mac20=$(neigh_mac ppts-g100 10.1.0.20)
[[ $mac4 == "$GWMAC" ]] && pass "responder: vlan 100 resolves the gateway 10.1.0.1 by ARP ($mac4)" \
	|| fail "responder: ARP for the gateway gave '$mac4', want $GWMAC"
[[ $mac6 == "$GWMAC" ]] && pass "responder: vlan 100 resolves the gateway fd00:a::1 by NDP ($mac6)" \
	|| fail "responder: NDP for the gateway gave '$mac6', want $GWMAC"
[[ $(ip -n ppts-g100 -6 neigh show fd00:a::1) == *router* ]] \
	&& pass "responder: the gateway's NA carries the router flag" \
	|| fail "responder: no router flag: $(ip -n ppts-g100 -6 neigh show fd00:a::1)"
[[ $mac20 == "$M2" ]] && pass "responder: vlan 100 resolves another service port's address ($mac20)" \
	|| fail "responder: ARP for 10.1.0.20 gave '$mac20', want $M2"
[[ $n == 0 ]] && pass "responder: no ARP/NDP frame reached the network device" \
	|| fail "responder: $n ARP/NDP frames on pptsna: $(tcpdump -nn -r "$WORK/nd.pcap" 2>/dev/null | head -3)"
check "responder: vlan 100 still reaches the other service port (local switching)" \
	ip netns exec ppts-g100 ping -c 2 -i 0.2 -W 2 10.1.0.20

# ---- unknown targets go on; the port without a responder is unaffected --------------------
ip -n ppts-g100 neigh flush dev eth0
ip -n ppts-g200 neigh flush dev eth0
capture_start nd2 - pptsna arp
check "responder: an address it does not know is resolved by the network (vlan 100)" \
	ip netns exec ppts-g100 ping -c 2 -i 0.2 -W 2 10.1.0.2
check "responder: vlan 200 (no responder) reaches the network" \
	ip netns exec ppts-g200 ping -c 2 -i 0.2 -W 2 10.1.0.2
ip netns exec ppts-g200 ping -c 1 -W 1 10.1.0.1 >/dev/null 2>&1
n=$(capture_stop nd2)
((n >= 3)) && pass "responder: those ARP requests went to the network ($n ARP frames)" \
	|| fail "responder: only $n ARP frames on pptsna"
mac=$(neigh_mac ppts-g200 10.1.0.1)
[[ -z $mac ]] && pass "responder: vlan 200 (no responder) gets no answer for the gateway" \
	|| fail "responder: vlan 200 resolved the gateway to $mac"

# ---- port security ------------------------------------------------------------------------
check "security: vlan 300 with its own address reaches the network" \
	ip netns exec ppts-g300 ping -c 2 -i 0.2 -W 2 10.1.0.2
ip -n ppts-g300 addr add 10.1.0.31/24 dev eth0
ip -n ppts-g300 neigh flush dev eth0
ip netns exec ppts-g300 ping -c 2 -i 0.2 -W 1 -I 10.1.0.31 10.1.0.2 >/dev/null 2>&1 \
	&& fail "security: a forged source address (10.1.0.31) reached the network" \
	|| pass "security: a forged source address (10.1.0.31) reaches nothing"
ip netns exec ppts-g300 ping -c 1 -W 1 -I 10.1.0.31 10.1.0.20 >/dev/null 2>&1 \
	&& fail "security: a forged source address reached another service port" \
	|| pass "security: ... not even another service port on the same tap"
"$B/polyportctl" --api-socket "$API" --pin-root "$PIN" stats >"$WORK/stats.txt" 2>&1
grep -qE "spoofed +[1-9]" "$WORK/stats.txt" \
	&& pass "security: the drops are counted as spoofed" \
	|| fail "security: no spoofed drops counted: $(cat "$WORK/stats.txt")"
ip -n ppts-g300 neigh flush dev eth0
check "security: the same guest with its real address still works" \
	ip netns exec ppts-g300 ping -c 2 -i 0.2 -W 2 -I 10.1.0.30 10.1.0.2
ip -n ppts-g100 addr add 10.1.0.11/24 dev eth0
check "security: vlan 100 on the same tap (no security) may use any source" \
	ip netns exec ppts-g100 ping -c 2 -i 0.2 -W 2 -I 10.1.0.11 10.1.0.2

# an allowed pair's MAC is reachable from the network too
capture_start pair ppts-g300 eth0 "ether dst 52:54:00:05:00:33 and icmp"
ip -n ppts-na neigh replace 10.1.0.33 lladdr 52:54:00:05:00:33 dev eth0
ip netns exec ppts-na ping -c 2 -i 0.2 -W 1 10.1.0.33 >/dev/null 2>&1
n=$(capture_stop pair)
((n >= 2)) && pass "security: frames to an allowed pair's MAC reach its service port ($n)" \
	|| fail "security: $n frames to the allowed pair's MAC reached vlan 300"

# ---- stateless rules (vlan 300: ingress tcp 22 and icmp, default drop) -------------------
ip netns exec ppts-g300 timeout 10 nc -l -p 22 >"$WORK/nc22.out" 2>&1 &
ip netns exec ppts-g300 timeout 10 nc -l -p 23 >"$WORK/nc23.out" 2>&1 &
sleep 0.3
echo allowed | ip netns exec ppts-na timeout 5 nc -N -w 2 10.1.0.30 22 >/dev/null 2>&1
sleep 0.2
grep -q allowed "$WORK/nc22.out" && pass "rules: TCP to the allowed port (22) works" \
	|| fail "rules: TCP to port 22 did not get through"
echo refused | ip netns exec ppts-na timeout 5 nc -N -w 2 10.1.0.30 23 >/dev/null 2>&1 \
	&& fail "rules: TCP to port 23 connected" || pass "rules: TCP to another port (23) does not"
grep -q refused "$WORK/nc23.out" && fail "rules: port 23 received data" || true
check "rules: ICMP is allowed in (ping from the network)" \
	ip netns exec ppts-na ping -c 2 -i 0.2 -W 2 10.1.0.30
check "rules: vlan 100 (no rules) takes TCP on any port" \
	sh -c "ip netns exec ppts-g100 timeout 5 nc -l -p 23 >'$WORK/nc100.out' & sleep 0.3; echo x | ip netns exec ppts-na timeout 5 nc -N -w 2 10.1.0.10 23"

# ---- DHCP --------------------------------------------------------------------------------
# The client scripts record what they were given and set the address only.
cat >"$WORK/udhcpc.sh" <<'EOF'
#!/bin/sh
echo "$1 ip=$ip subnet=$subnet router=$router dns=$dns lease=$lease mtu=$mtu serverid=$serverid staticroutes=$staticroutes" >>"$LOG"
[ "$1" = bound ] && ip addr add "$ip/$subnet" dev "$interface"
exit 0
EOF
cat >"$WORK/dhclient.sh" <<'EOF'
#!/bin/sh
LOG=${LOG:-@LOG@}	# dhclient gives its script an environment of its own
echo "$reason ip=$new_ip_address mask=$new_subnet_mask routers=$new_routers dns=$new_domain_name_servers lease=$new_dhcp_lease_time mtu=$new_interface_mtu server=$new_dhcp_server_identifier routes=$new_rfc3442_classless_static_routes" >>"$LOG"
case $reason in BOUND|RENEW|REBIND|REBOOT) ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface" ;; esac
exit 0
EOF
cat >"$WORK/dhclient.conf" <<'EOF'
option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
request subnet-mask, routers, domain-name-servers, interface-mtu, dhcp-lease-time,
	rfc3442-classless-static-routes;
EOF
sed -i "s|@LOG@|$WORK/dhclient.log|" "$WORK/dhclient.sh"
chmod +x "$WORK/udhcpc.sh" "$WORK/dhclient.sh"
export LOG
WANT4="ip=10.1.0.40 .*router=10.1.0.1 dns=10.1.0.53 lease=600 mtu=1500 serverid=10.1.0.1 staticroutes=192.168.0.0/16 10.1.0.1 0.0.0.0/0 10.1.0.1"
capture_start dhcp - pptsna "udp port 67 or udp port 68"
UDHCPC=$(command -v udhcpc || { busybox udhcpc --help >/dev/null 2>&1 && echo "busybox udhcpc"; })
if [[ -n $UDHCPC ]]; then
	LOG=$WORK/udhcpc.log
	ip netns exec ppts-g400 timeout 20 $UDHCPC -i eth0 -f -q -n -t 5 -T 1 \
		-s "$WORK/udhcpc.sh" >"$WORK/udhcpc.out" 2>&1
	grep -qE "^bound $WANT4" "$WORK/udhcpc.log" 2>/dev/null \
		&& pass "dhcp: udhcpc gets its address, mask, router, DNS, lease, MTU and routes" \
		|| fail "dhcp: udhcpc: $(cat "$WORK/udhcpc.log" "$WORK/udhcpc.out" 2>/dev/null | tail -4)"
	[[ $(ip -n ppts-g400 addr show dev eth0) == *"inet 10.1.0.40/24"* ]] \
		&& pass "dhcp: udhcpc's script set 10.1.0.40/24" || fail "dhcp: no 10.1.0.40/24 on the guest"
	check "dhcp: the address from udhcpc works (ping the network)" \
		ip netns exec ppts-g400 ping -c 2 -i 0.2 -W 2 10.1.0.2
	ip -n ppts-g400 addr flush dev eth0
else
	skip "dhcp: udhcpc: not installed"
fi
if command -v dhclient >/dev/null; then
	LOG=$WORK/dhclient.log
	ip netns exec ppts-g400 timeout 20 dhclient -1 -v \
		-cf "$WORK/dhclient.conf" -sf "$WORK/dhclient.sh" -lf "$WORK/dhclient.leases" \
		-pf "$WORK/dhclient.pid" eth0 >"$WORK/dhclient.out" 2>&1
	grep -q "^BOUND ip=10.1.0.40 mask=255.255.255.0 routers=10.1.0.1 dns=10.1.0.53 lease=600 mtu=1500 server=10.1.0.1 routes=16 192 168 10 1 0 1 0 10 1 0 1" \
		"$WORK/dhclient.log" 2>/dev/null \
		&& pass "dhcp: dhclient gets its address, mask, router, DNS, lease, MTU and routes" \
		|| fail "dhcp: dhclient: $(tail -2 "$WORK/dhclient.log" 2>/dev/null) $(grep -iE "DHCP|bound" "$WORK/dhclient.out" | tail -4 | tr '\n' ' ')"
	# dhclient stays in the background once bound: stop it (-x: no release)
	[[ -s $WORK/dhclient.pid ]] && ip netns exec ppts-g400 dhclient -x -pf "$WORK/dhclient.pid" \
		-lf "$WORK/dhclient.leases" -sf /bin/true >/dev/null 2>&1
	check "dhcp: the address from dhclient works (ping the network)" \
		ip netns exec ppts-g400 ping -c 2 -i 0.2 -W 2 10.1.0.2
else
	skip "dhcp: dhclient: not installed (scripts/deps.sh installs isc-dhcp-client)"
fi
n=$(capture_stop dhcp)
[[ $n == 0 ]] && pass "dhcp: no DHCP frame reached the network device" \
	|| fail "dhcp: $n DHCP frames on pptsna"
"$B/polyportctl" --api-socket "$API" --pin-root "$PIN" stats >"$WORK/stats2.txt" 2>&1
grep -qE "p400 +dhcp_offers +[1-9]" "$WORK/stats2.txt" && grep -qE "p400 +dhcp_acks +[1-9]" "$WORK/stats2.txt" &&
	grep -qE "p100 +responder_answers +[1-9]" "$WORK/stats2.txt" &&
	grep -qE "p300 +security_drops +[1-9]" "$WORK/stats2.txt" \
	&& pass "stats: polyportctl stats shows the services' counters" \
	|| fail "stats: $(sed -n '/SERVICES/,/DROPS/p' "$WORK/stats2.txt" | tr '\n' ' ')"
api /metrics >"$WORK/metrics.txt"
grep -qE '^polyport_service_dhcp_offers_total\{instance_port="sf1",service_port="p400"\} [1-9]' "$WORK/metrics.txt" &&
	grep -qE '^polyport_service_responder_answers_total\{instance_port="sf1",service_port="p100"\} [1-9]' "$WORK/metrics.txt" \
	&& pass "stats: /metrics exports them" || fail "stats: /metrics: $(grep polyport_service_ "$WORK/metrics.txt" | head -3)"
grep -qE '^polyport_rule_packets_total\{instance_port="sf1",service_port="p300",direction="ingress",rule="0"\} [1-9]' "$WORK/metrics.txt" \
	&& pass "stats: /metrics counts packets per rule" \
	|| fail "stats: rule counters: $(grep polyport_rule_ "$WORK/metrics.txt" | head -3)"
api /v1/stats >"$WORK/stats.json"
grep -q '"dhcp_acks": [1-9]' "$WORK/stats.json" && pass "stats: /v1/stats has them" \
	|| fail "stats: /v1/stats: $(api /v1/stats | head -c 300)"

# ---- hostile frames from the guest (issue 12, findings 5 and 6) --------------------------
# Built here in hex, written raw by build/tests/ppsend in a port's namespace
# (the guest pushes the port's tag), captured where the network delivers
# them (ppts-na).  No checksums: nothing answers them (the receivers drop
# them), and the dataplane reads only headers.
hx6() {		# an IPv6 address as 32 hex digits
	local head=${1%%::*} tail="" h=() t=() out="" i
	[[ $1 == *::* ]] && tail=${1#*::}
	IFS=: read -ra h <<<"$head"
	IFS=: read -ra t <<<"$tail"
	for i in "${h[@]}"; do out+=$(printf %04x "0x$i"); done
	for ((i = ${#h[@]} + ${#t[@]}; i < 8; i++)); do out+=0000; done
	for i in "${t[@]}"; do out+=$(printf %04x "0x$i"); done
	echo "$out"
}
hx4() { printf '%02x' ${1//./ }; }
eth() { printf '%s%s' "${1//:/}" "${2//:/}"; }			# DST SRC
v6() {		# NH SRC DST PAYLOAD: ethertype, IPv6 header (hop limit 255), payload
	printf '86dd60000000%04x%02xff%s%s%s' $((${#4} / 2)) "$1" "$(hx6 "$2")" "$(hx6 "$3")" "$4"
}
v4() {		# SRC DST PROTO PAYLOAD
	printf '08004500%04x0000000040%02x0000%s%s%s' $((20 + ${#4} / 2)) "$3" "$(hx4 "$1")" \
		"$(hx4 "$2")" "$4"
}
opt6() { printf '%02x00010400000000' "$1"; }	# NH: hop-by-hop / destination options, PadN
udp() { printf '%04x%04x%04x0000%s' "$1" "$2" $((8 + ${#3} / 2)) "$3"; }	# SPORT DPORT DATA
tcp() { printf '9c40%04x00000001000000005002200000000000' "$1"; }	# DPORT: a SYN
lla() { printf '%02x01%s' "$1" "${2//:/}"; }	# TYPE MAC: link-layer address option
na() { printf '8800000020000000%s%s' "$(hx6 "$1")" "$2"; }	# TARGET OPTIONS
ra() { printf '86000000400000000000000000000000%s' "$1"; }	# OPTIONS (router lifetime 0)
rs() { printf '8500000000000000%s' "$1"; }			# OPTIONS
redirect() { printf '8900000000000000%s%s' "$(hx6 "$1")" "$(hx6 "$2")"; }	# TARGET DEST
dhcp() {	# OP TYPE MAC: a BOOTP message with DHCP message type TYPE
	printf '%02x010600c0ffee0100008000%032d%s%020d%0384d6382536335010%xff' "$1" 0 \
		"${3//:/}" 0 0 "$2"
}
# fcount NAME FILTER: frames of capture NAME that FILTER matches
fcount() { tcpdump -nn -r "$WORK/$1.pcap" "$2" 2>/dev/null | wc -l; }
# absent / present NAME CAPTURE FILTER
absent() {
	local n
	n=$(fcount "$2" "$3")
	[[ $n == 0 ]] && pass "$1" || fail "$1: $n on the network"
}
present() {
	local n
	n=$(fcount "$2" "$3")
	((n >= 1)) && pass "$1" || fail "$1: not on the network"
}

NAMAC=$(ip -n ppts-na link show eth0 | awk '/link\/ether/ {print $2}')
BC=ff:ff:ff:ff:ff:ff MC1=33:33:00:00:00:01 MC2=33:33:00:00:00:02 MCD6=33:33:00:01:00:02
A50=fd00:a::50 LL5=fe80::5054:ff:fe05:5 LL6=fe80::5054:ff:fe05:6 LL7=fe80::5054:ff:fe05:7
NONCES=0e01a1a2a3a4a5a60e01b1b2b3b4b5b60e01c1c2c3c4c5c60e01d1d2d3d4d5d6	# 4 nonce options
FOREIGN=52:54:00:05:00:66

# vlan 500: security, egress drop tcp 23, nothing allowed besides
capture_start hostile ppts-na eth0 "ether src $M5 or ether src $M6 or ether src $M7"
ip netns exec ppts-g500 "$B/tests/ppsend" eth0 \
	"$(eth $MC1 $M5)$(v6 0 $A50 ff02::1 "$(opt6 58)$(na fd00:a::99 "$(lla 2 $M5)")")" \
	"$(eth $MC1 $M5)$(v6 0 $A50 ff02::1 "$(opt6 58)$(na $A50 "$(lla 2 $M5)")")" \
	"$(eth $MC1 $M5)$(v6 0 $A50 ff02::1 "$(opt6 60)$(opt6 60)$(opt6 60)$(opt6 60)$(opt6 60)$(opt6 60)$(opt6 58)$(na $A50 "$(lla 2 $M5)")")" \
	"$(eth $MC1 $M5)$(v6 0 $A50 ff02::1 "$(opt6 60)$(opt6 60)$(opt6 60)$(opt6 60)$(opt6 60)$(opt6 58)$(na $A50 "$(lla 2 $M5)")")" \
	"$(eth $MC1 $M5)$(v6 58 $A50 ff02::1 "$(na $A50 "$NONCES$(lla 2 $FOREIGN)")")" \
	"$(eth $MC1 $M5)$(v6 58 $A50 ff02::1 "$(na $A50 "$NONCES$(lla 2 $M5)")")" \
	"$(eth "$NAMAC" $M5)$(v6 60 $A50 fd00:a::2 "$(opt6 6)$(tcp 23)")" \
	"$(eth "$NAMAC" $M5)$(v6 60 $A50 fd00:a::2 "$(opt6 6)$(tcp 22)")" \
	"$(eth $BC $M5)$(v4 10.1.0.50 255.255.255.255 17 "$(udp 67 68 "$(dhcp 2 2 $M5)")")" \
	"$(eth $BC $M5)$(v4 0.0.0.0 255.255.255.255 17 "$(udp 68 67 "$(dhcp 1 1 $M5)")")" \
	"$(eth "$NAMAC" $M5)$(v6 17 $LL5 fe80::1 "$(udp 547 546 02c0ffee)")" \
	"$(eth $MCD6 $M5)$(v6 17 $LL5 ff02::1:2 "$(udp 546 547 01c0ffee)")" \
	"$(eth $MC1 $M5)$(v6 58 $LL5 ff02::1 "$(ra "$(lla 1 $M5)")")" \
	"$(eth $MC1 $M5)$(v6 0 $LL5 ff02::1 "$(opt6 58)$(ra "$(lla 1 $M5)")")" \
	"$(eth $MC2 $M5)$(v6 58 $LL5 ff02::2 "$(rs "$(lla 1 $M5)")")" \
	"$(eth "$NAMAC" $M5)$(v6 58 $LL5 fd00:a::2 "$(redirect fd00:a::1 fd00:a::99)")" ||
	fail "hostile: ppsend from vlan 500"
# vlan 600: allow-dhcp-server, allow-ra
ip netns exec ppts-g600 "$B/tests/ppsend" eth0 \
	"$(eth $BC $M6)$(v4 10.1.0.60 255.255.255.255 17 "$(udp 67 68 "$(dhcp 2 2 $M6)")")" \
	"$(eth "$NAMAC" $M6)$(v6 17 $LL6 fe80::1 "$(udp 547 546 02c0ffee)")" \
	"$(eth $MC1 $M6)$(v6 58 $LL6 ff02::1 "$(ra "$(lla 1 $M6)")")" \
	"$(eth $MC1 $M6)$(v6 0 $LL6 ff02::1 "$(opt6 58)$(ra "$(lla 1 $FOREIGN)")")" \
	"$(eth "$NAMAC" $M6)$(v6 58 $LL6 fd00:a::2 "$(redirect fd00:a::1 fd00:a::99)")" ||
	fail "hostile: ppsend from vlan 600"
capture_stop hostile >/dev/null
S5="ether src $M5" S6="ether src $M6"
absent "ext: an NA behind hop-by-hop for a foreign target does not reach the network" hostile \
	"$S5 and ip6[6] == 0 and ip6[48] == 136 and ip6[71] == 0x99"
present "ext: ... an NA behind hop-by-hop for the port's own address does" hostile \
	"$S5 and ip6[6] == 0 and ip6[48] == 136 and ip6[71] == 0x50"
absent "ext: an NA behind seven extension headers does not reach the network (malformed)" hostile \
	"$S5 and ip6[6] == 0 and ip6[96] == 136"
present "ext: ... the same NA behind six does" hostile "$S5 and ip6[6] == 0 and ip6[88] == 136"
absent "ext: an NA whose fifth option carries a foreign MAC does not reach the network" hostile \
	"$S5 and ip6[6] == 58 and ip6[40] == 136 and ip6[103] == 0x66"
present "ext: ... the same NA with its own MAC there does" hostile \
	"$S5 and ip6[6] == 58 and ip6[40] == 136 and ip6[103] == 0x05"
absent "ext: TCP to 23 behind a PadN destination-options header is dropped by the rule" hostile \
	"$S5 and ip6[6] == 60 and ip6[50:2] == 23"
present "ext: ... TCP to 22 behind the same header passes" hostile \
	"$S5 and ip6[6] == 60 and ip6[50:2] == 22"
absent "rogue: a DHCP OFFER from vlan 500 does not reach the network" hostile \
	"$S5 and udp src port 67 and udp dst port 68"
present "rogue: ... its DHCP DISCOVER does" hostile "$S5 and udp src port 68 and udp dst port 67"
absent "rogue: a DHCPv6 ADVERTISE from vlan 500 does not reach the network" hostile \
	"$S5 and udp src port 547 and udp dst port 546"
present "rogue: ... its DHCPv6 SOLICIT does" hostile "$S5 and udp src port 546 and udp dst port 547"
absent "rogue: a router advertisement from vlan 500 does not reach the network" hostile \
	"$S5 and ip6[6] == 58 and ip6[40] == 134"
absent "rogue: ... nor one behind a hop-by-hop header" hostile \
	"$S5 and ip6[6] == 0 and ip6[48] == 134"
absent "rogue: ... nor a redirect" hostile "$S5 and ip6[6] == 58 and ip6[40] == 137"
present "rogue: ... its router solicitation does" hostile "$S5 and ip6[6] == 58 and ip6[40] == 133"
present "rogue: allow-dhcp-server: vlan 600's DHCP OFFER reaches the network" hostile \
	"$S6 and udp src port 67 and udp dst port 68"
present "rogue: allow-dhcp-server: ... and its DHCPv6 ADVERTISE" hostile \
	"$S6 and udp src port 547 and udp dst port 546"
present "rogue: allow-ra: vlan 600's router advertisement reaches the network" hostile \
	"$S6 and ip6[6] == 58 and ip6[40] == 134"
present "rogue: allow-ra: ... and its redirect" hostile "$S6 and ip6[6] == 58 and ip6[40] == 137"
absent "rogue: allow-ra: an RA with a foreign link-layer address option is still dropped" hostile \
	"$S6 and ip6[6] == 0 and ip6[48] == 134"
ctl stats >"$WORK/stats3.txt" 2>&1
grep -qE "p500 +security_drops +8$" "$WORK/stats3.txt" && grep -qE "p500 +rule_drops +1$" "$WORK/stats3.txt" &&
	grep -qE "p600 +security_drops +1$" "$WORK/stats3.txt" \
	&& pass "hostile: counted: vlan 500 security_drops 8, rule_drops 1; vlan 600 security_drops 1" \
	|| fail "hostile: counters: $(grep -E "p[56]00" "$WORK/stats3.txt" | tr -s ' ' | tr '\n' ';')"

# the API shows and takes allow-dhcp-server / allow-ra; vlan 700 is made there
out=$(api /v1/service-ports/p600 | tr -s ' \n\t' ' ')
out5=$(api /v1/service-ports/p500 | tr -s ' \n\t' ' ')
[[ $out == *'"allow-dhcp-server": true, "allow-ra": true'* &&
   $out5 == *'"allow-dhcp-server": false, "allow-ra": false'* ]] \
	&& pass "api: the security binding shows allow-dhcp-server and allow-ra" \
	|| fail "api: $(echo "$out" | grep -o '"security": {[^}]*' | head -1)"
check "api: polyportctl create with bind.security.allow-ra=true" ctl create service-port \
	name=p700 instance-port=sf1 vlan=700 mac=$M7 bind.network=net-a bind.security.allow-ra=true
out=$(ctl update sport p700 bind.network=net-a bind.security.allow-ra=maybe 2>&1); rc=$?
[[ $rc == 1 && $out == *"allow-ra must be true or false, got \"maybe\""* ]] \
	&& pass "api: a value that is not a boolean is refused, with the reason" \
	|| fail "api: rc=$rc $out"
RA7="$(eth $MC1 $M7)$(v6 58 $LL7 ff02::1 "$(ra "$(lla 1 $M7)")")"
capture_start ra7 ppts-na eth0 "ether src $M7 and ip6[6] == 58 and ip6[40] == 134"
ip netns exec ppts-g700 "$B/tests/ppsend" eth0 "$RA7"
n=$(capture_stop ra7)
((n >= 1)) && pass "api: allow-ra set through the API lets vlan 700's RA through" \
	|| fail "api: vlan 700's RA did not arrive with allow-ra"
out=$(curl -s -m 5 --unix-socket "$API" -X PUT -d '{"security": {"allow-ra": false}}' \
	http://localhost/v1/service-ports/p700/bind/security)
capture_start ra7b ppts-na eth0 "ether src $M7 and ip6[6] == 58 and ip6[40] == 134"
ip netns exec ppts-g700 "$B/tests/ppsend" eth0 "$RA7"
n=$(capture_stop ra7b)
[[ $n == 0 && $out == *'"allow-ra": false'* ]] \
	&& pass "api: PUT .../bind/security with allow-ra false: the same RA is dropped" \
	|| fail "api: $n RAs after allow-ra false; $(echo "$out" | head -c 300)"

# ---- the daemon: services change in place; a restart writes nothing -------------------------
# gw_mac_after_hup: the files reloaded (SIGHUP), the MAC vlan 100's guest then learns for
# its gateway (none: no answer)
gw_mac_after_hup() {
	kill -HUP "$DPID"
	sleep 0.5
	ip -n ppts-g100 neigh flush dev eth0
	ip netns exec ppts-g100 ping -c 1 -W 1 10.1.0.1 >/dev/null 2>&1
	neigh_mac ppts-g100 10.1.0.1
}
sed -i 's/bind: {network: net-a, responder: {}}/bind: {network: net-a}/' "$CONF/10-net.yaml"
mac=$(gw_mac_after_hup)
[[ -z $mac ]] && pass "daemon: unbinding the responder stops the answers" \
	|| fail "daemon: still answered ($mac) after unbinding"
sed -i 's/      p100:\n        vlan: 100/&/' "$CONF/10-net.yaml"
sed -i '0,/bind: {network: net-a}/s//bind: {network: net-a, responder: {}}/' "$CONF/10-net.yaml"
mac=$(gw_mac_after_hup)
[[ $mac == "$GWMAC" ]] && pass "daemon: binding it again brings them back" \
	|| fail "daemon: no answer ($mac) after binding again"
writes_ok=1
for i in 1 2; do
	daemon_stop
	daemon_start || { writes_ok=0; break; }
	w=$(jsonval map_writes)
	[[ $w == 0 ]] || { writes_ok=0; echo "      restart $i wrote $w map entries"; }
done
((writes_ok)) && pass "daemon: a restart with unchanged files writes no map entry (services included)" \
	|| fail "daemon: a restart wrote map entries"
daemon_stop

exit $FAILED
