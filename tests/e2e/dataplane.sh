#!/usr/bin/env bash
# End to end: the dataplane core on real taps and veths, programmed through
# the loader library (tests/e2e/ppwire), with real IP stacks on every
# service port (build/ppguest) and on every network (a namespace each).
#
#   tap pptdtap1 (instance port 1, MAC 52:54:00:01:00:01)
#     vlan 100       -> net A  guest ns pptd-g100  10.1.0.10
#     vlan 200       -> net B  guest ns pptd-g200  10.2.0.10 (MAC :01:00:02)
#     QinQ [300,10]  -> net C  guest ns pptd-gq    10.3.0.10 (MAC :01:00:03)
#     untagged       -> net D  guest ns pptd-gu    10.4.0.10
#     (vlan 300 alone, no service port: guest ns pptd-gx 10.3.0.99)
#   tap pptdtap2 (instance port 2, MAC 52:54:00:02:00:01)
#     vlan 100       -> net A  guest ns pptd-h100  10.1.0.11
#   net A..D: veth pptdna..pptdnd into pptd-na..pptd-nd, 10.N.0.1/24
PPT_NAME=dataplane
PPT_SCOPE=pptd	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
suite_start

M1=52:54:00:01:00:01 M2=52:54:00:01:00:02 M3=52:54:00:01:00:03 H1=52:54:00:02:00:01

netns_nets pptd a b c d
guest_ns pptd-{g100,g200,gq,gu,gx,h100}

start_guests() {	# [--vnet-hdr]
	guest g1 pptdtap1 "$@" \
		--port ns=pptd-g100,dev=eth0,mac=$M1,match=vlan:100 \
		--port ns=pptd-g200,dev=eth0,mac=$M2,match=vlan:200 \
		--port ns=pptd-gq,dev=eth0,mac=$M3,match=qinq:300.10 \
		--port ns=pptd-gu,dev=eth0,mac=$M1,match=untagged \
		--port ns=pptd-gx,dev=eth0,mac=$M3,match=vlan:300 || return 1
	guest g2 pptdtap2 "$@" --port ns=pptd-h100,dev=eth0,mac=$H1,match=vlan:100 || return 1
	guest_taps pptd "$M1" "$H1" g100:10.1.0.10 g200:10.2.0.10 gq:10.3.0.10 gu:10.4.0.10 \
		gx:10.3.0.99 h100:10.1.0.11
}

if ! ppwire <<EOF
net 1 pptdna
net 2 pptdnb
net 3 pptdnc
net 4 pptdnd
EOF
then
	fail "dataplane: program networks"
	exit 1
fi
start_guests || { fail "dataplane: start guests"; exit 1; }
if ! ppwire <<EOF
sport 1 1 1 vlan:100 $M1
sport 2 1 2 vlan:200 $M2
sport 3 1 3 qinq:300.10 $M3
sport 4 1 4 untagged $M1
sport 5 2 1 vlan:100 $H1
EOF
then
	fail "dataplane: program service ports"
	exit 1
fi

ports="g100:a:10.1.0.10:10.1.0.1 g200:b:10.2.0.10:10.2.0.1 gq:c:10.3.0.10:10.3.0.1 gu:d:10.4.0.10:10.4.0.1"
label() { case $1 in g100) echo "vlan 100";; g200) echo "vlan 200";; gq) echo "QinQ 300/10";; gu) echo untagged;; esac; }

traffic_round() {	# $1: label of the round
	local p g n gip nip
	for p in $ports; do
		IFS=: read -r g n gip nip <<<"$p"
		check "$1: ping guest -> net over $(label $g)" \
			ip netns exec "pptd-$g" ping -c 3 -i 0.2 -W 2 "$nip"
		ip -n "pptd-n$n" neigh flush all
		check "$1: ping net -> guest over $(label $g) (ARP from the network)" \
			ip netns exec "pptd-n$n" ping -c 3 -i 0.2 -W 2 "$gip"
		check "$1: 1 MiB TCP guest -> net over $(label $g)" \
			tcp_1mib "$g-up" "pptd-$g" "pptd-n$n" "$nip" 5001
		check "$1: 1 MiB TCP net -> guest over $(label $g)" \
			tcp_1mib "$g-down" "pptd-n$n" "pptd-$g" "$gip" 5002
	done
}

traffic_round "plain"

# Two service ports of net A, on two taps, reach each other directly.
capture_start local pptd-na eth0 icmp
check "local: guest port on tap 2 pings guest port on tap 1 (same network)" \
	ip netns exec pptd-h100 ping -c 3 -i 0.2 -W 2 10.1.0.10
n=$(capture_stop local)
[[ $n == 0 ]] && pass "local: no ICMP frame on net A's device" \
	|| fail "local: $n ICMP frames on net A's device"

# A frame on VLAN 300 alone reaches no network and is counted.
before=$(echo "drop iport 1 unknown_port" | ppwire)
capture_start v300 pptd-nc eth0 ether src $M3
ip netns exec pptd-gx ping -c 3 -i 0.2 -W 1 10.3.0.1 >/dev/null 2>&1 \
	&& fail "vlan 300 alone: ping went through" || pass "vlan 300 alone: no reply"
n=$(capture_stop v300)
after=$(echo "drop iport 1 unknown_port" | ppwire)
[[ $n == 0 ]] && pass "vlan 300 alone: nothing on net C" || fail "vlan 300 alone: $n frames on net C"
# (the guest only gets as far as ARP requests: at least one is counted)
((after > before)) && pass "vlan 300 alone: counted as unknown_port ($before -> $after)" \
	|| fail "vlan 300 alone: unknown_port $before -> $after"

# Isolation: a capture on net B never sees what is sent on VLAN 100.
capture_start iso pptd-nb eth0 ether src $M1 or ether src $H1
ip -n pptd-g100 neigh flush all
ip netns exec pptd-g100 ping -c 3 -i 0.2 -W 1 10.1.0.1 >/dev/null 2>&1
ip netns exec pptd-g100 ping -c 2 -i 0.2 -W 1 -b 10.1.0.255 >/dev/null 2>&1
ip netns exec pptd-g100 ping -c 2 -W 1 10.2.0.1 >/dev/null 2>&1
n=$(capture_stop iso)
[[ $n == 0 ]] && pass "isolation: nothing sent on VLAN 100 appears on net B" \
	|| fail "isolation: $n frames from VLAN 100 on net B"

# ARP from the network reaches exactly the service ports of that network.
for g in g100 h100 g200 gq gu; do capture_start "arp_$g" "pptd-$g" eth0 arp; done
ip -n pptd-na neigh flush all
ip netns exec pptd-na ping -c 1 -W 2 10.1.0.10 >/dev/null 2>&1
ip netns exec pptd-na arping -c 1 -w 1 -I eth0 10.1.0.77 >/dev/null 2>&1 ||
	ip netns exec pptd-na ping -c 1 -W 1 10.1.0.77 >/dev/null 2>&1
for g in g100 h100 g200 gq gu; do
	n=$(capture_stop "arp_$g")
	case $g in
	g100 | h100) ((n >= 1)) && pass "arp: broadcast from net A reaches $g ($n frames)" \
			|| fail "arp: broadcast from net A missing on $g" ;;
	*) ((n == 0)) && pass "arp: broadcast from net A stays off $g" \
			|| fail "arp: $n ARP frames from net A on $g" ;;
	esac
done

# Counters: every port carried traffic, in both directions.
check_sports_counted counters 1 2 3 4 5

# Again with vnet-header offloads: partial checksums and GSO through TC.
stop_guest g1
stop_guest g2
start_guests --vnet-hdr || { fail "dataplane: restart guests with --vnet-hdr"; exit 1; }
traffic_round "vnet-hdr offloads"
# The round must really have carried offloaded frames (GSO, partial checksums).
gso=$(guest_gso g1 pptd-g100)
((gso > 0)) && pass "vnet-hdr offloads: the guest sent GSO frames through TC ($gso)" \
	|| fail "vnet-hdr offloads: no GSO frame was sent (offloads not in play)"

exit $FAILED
