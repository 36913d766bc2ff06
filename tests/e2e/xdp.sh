#!/usr/bin/env bash
# End to end: the XDP fast path (loader/xdpmode.h) on real taps and veths.
#
#   tap pptxtap1 (instance port 1, MAC 52:54:00:0a:00:01)
#     vlan 100       -> net A  guest ns pptx-g100  10.1.0.10
#     QinQ [300,10]  -> net B  guest ns pptx-gq    10.2.0.10 (MAC :0a:00:02)
#     untagged       -> net C  guest ns pptx-gu    10.3.0.10
#     src-mac        -> net D  guest ns pptx-gm    10.4.0.10 (MAC :0a:00:09)
#   tap pptxtap2 (instance port 2, MAC 52:54:00:0b:00:01)
#     vlan 100       -> net A  guest ns pptx-h100  10.1.0.11
#   net A..D: veth pptxna..pptxnd into pptx-na..pptx-nd, 10.N.0.1/24.
#   The far ends in pptx-na, -nc, -nd carry an XDP program (XDP_PASS), so
#   XDP may redirect to pptxna, pptxnc, pptxnd; pptx-nb's has none, so
#   frames toward net B are handed from XDP to TC.
#
# 1. xdp mode, offloads off (guests without vnet headers, tx-checksumming
#    off on the networks' far ends): ping, ARP and 1 MiB of TCP both ways
#    over every service port type; the frames really went by XDP.
# 2. auto mode with vnet-header offloads on: auto picks TC (and says why),
#    TCP (with GSO and partial checksums) works.
# 3. Switching instance port 1 and net A between modes, many times, under a
#    steady ping: no frame lost.
#
# Devices and namespaces are "pptx*" (cleanup_leftovers removes only those).
PPT_NAME=xdp PPT_SCOPE=pptx
source "$(dirname "$0")/lib.sh"
suite_start

M1=52:54:00:0a:00:01 M2=52:54:00:0a:00:02 M9=52:54:00:0a:00:09 H1=52:54:00:0b:00:01

netns_nets pptx a b c d
for n in a b c d; do
	# Tags written into the frame, never handed over as metadata: without
	# this no network device gets XDP (loader/xdpmode.c, isolation)
	ip netns exec "pptx-n$n" ethtool -K eth0 txvlan off tx-vlan-stag-hw-insert off >/dev/null
done
for n in a c d; do
	if ! ip -n "pptx-n$n" link set dev eth0 xdpdrv obj "$B/tests/xdp_pass.bpf.o" sec xdp; then
		fail "xdp: attach XDP_PASS on the far end of net $n"
		exit 1
	fi
done
guest_ns pptx-{g100,gq,gu,gm,h100}

offloads() {	# on|off: tx-checksumming (and with it TSO) of the networks' far ends
	local n
	for n in a b c d; do
		ip netns exec "pptx-n$n" ethtool -K eth0 tx "$1" >/dev/null 2>&1
	done
}

start_guests() {	# [--vnet-hdr]
	guest g1 pptxtap1 "$@" \
		--port ns=pptx-g100,dev=eth0,mac=$M1,match=vlan:100 \
		--port ns=pptx-gq,dev=eth0,mac=$M2,match=qinq:300.10 \
		--port ns=pptx-gu,dev=eth0,mac=$M1,match=untagged \
		--port ns=pptx-gm,dev=eth0,mac=$M9,match=src-mac || return 1
	guest g2 pptxtap2 "$@" --port ns=pptx-h100,dev=eth0,mac=$H1,match=vlan:100 || return 1
	guest_taps pptx "$M1" "$H1" g100:10.1.0.10 gq:10.2.0.10 gu:10.3.0.10 gm:10.4.0.10 \
		h100:10.1.0.11
}

if ! ppwire <<EOF
net 1 pptxna
net 2 pptxnb
net 3 pptxnc
net 4 pptxnd
EOF
then
	fail "xdp: program networks"
	exit 1
fi
offloads off
start_guests || { fail "xdp: start guests"; exit 1; }
if ! ppwire <<EOF
sport 1 1 1 vlan:100 $M1
sport 2 1 2 qinq:300.10 $M2
sport 3 1 3 untagged $M1
sport 4 1 4 src-mac $M9
sport 5 2 1 vlan:100 $H1
EOF
then
	fail "xdp: program service ports"
	exit 1
fi

ports="g100:a:10.1.0.10:10.1.0.1 gq:b:10.2.0.10:10.2.0.1 gu:c:10.3.0.10:10.3.0.1 gm:d:10.4.0.10:10.4.0.1"
label() { case $1 in g100) echo "vlan 100";; gq) echo "QinQ 300/10";; gu) echo untagged;; gm) echo src-mac;; esac; }

traffic_round() {	# $1: label of the round
	local p g n gip nip
	for p in $ports; do
		IFS=: read -r g n gip nip <<<"$p"
		ip -n "pptx-$g" neigh flush all
		check "$1: ping and ARP guest -> net over $(label "$g")" \
			ip netns exec "pptx-$g" ping -c 3 -i 0.2 -W 2 "$nip"
		ip -n "pptx-n$n" neigh flush all
		check "$1: ping and ARP net -> guest over $(label "$g")" \
			ip netns exec "pptx-n$n" ping -c 3 -i 0.2 -W 2 "$gip"
		check "$1: 1 MiB TCP guest -> net over $(label "$g")" \
			tcp_1mib "$g-up" "pptx-$g" "pptx-n$n" "$nip" 5001
		check "$1: 1 MiB TCP net -> guest over $(label "$g")" \
			tcp_1mib "$g-down" "pptx-n$n" "pptx-$g" "$gip" 5002
	done
	check "$1: local switching, tap 2 -> tap 1 on net A" \
		ip netns exec pptx-h100 ping -c 3 -i 0.2 -W 2 10.1.0.10
}

# icmp_on_tap NAME GUESTNS ADDR: ICMP echo frames to or from ADDR that a
# capture on pptxtap1 sees while the guest pings ADDR 5 times.  Native XDP
# redirects bypass packet captures: 0 when XDP carried the frames both ways.
icmp_on_tap() {
	local name=$1 ns=$2 addr=$3
	capture_start "$name" - pptxtap1
	ip netns exec "$ns" ping -c 5 -i 0.1 -W 2 "$addr" >/dev/null 2>&1
	capture_stop "$name" >/dev/null
	tcpdump -nn -r "$WORK/$name.pcap" 2>/dev/null | grep -E "(> $addr|$addr >).*ICMP echo" -c
}

# ---- 1. xdp mode, offloads off ---------------------------------------------------
out=$(ppwire <<EOF
mode pptxtap1 xdp
mode pptxtap2 xdp
netmode pptxna xdp
netmode pptxnb xdp
netmode pptxnc xdp
netmode pptxnd xdp
show-xdp pptxtap1
show-xdp pptxna
show-xdp pptxnb
EOF
)
echo "$out" | sed 's/^/    /' >&2
grep -q "^mode pptxtap1 xdp" <<<"$out" && grep -q "^mode pptxtap2 xdp" <<<"$out" \
	&& pass "xdp mode: both instance ports in XDP mode" || fail "xdp mode: $out"
grep -qE "^xdp pptxtap1 prog [1-9][0-9]* tx 1" <<<"$out" && grep -qE "^xdp pptxna prog [1-9][0-9]* tx 1" <<<"$out" \
	&& pass "xdp mode: XDP on the tap and on net A's device, both XDP targets" \
	|| fail "xdp mode: XDP not attached: $out"
grep -qE "^xdp pptxnb prog [1-9][0-9]* tx 0" <<<"$out" && grep -q "netmode pptxnb.*has no native XDP program" <<<"$out" \
	&& pass "xdp mode: net B's veth (peer without XDP) is no XDP target, and says why" \
	|| fail "xdp mode: net B's device as a target: $out"

traffic_round "xdp, offloads off"

n=$(icmp_on_tap xv100 pptx-g100 10.1.0.1)
[[ $n == 0 ]] && pass "xdp, offloads off: ping over vlan 100 went by XDP both ways (no ICMP on the tap)" \
	|| fail "xdp, offloads off: $n ICMP frames of vlan 100 seen on the tap: not XDP"
n=$(icmp_on_tap xvq pptx-gq 10.2.0.1)
((n >= 5)) && pass "xdp, offloads off: frames toward net B (no XDP target) handed to TC ($n seen)" \
	|| fail "xdp, offloads off: only $n ICMP frames toward net B seen: not handed to TC"

check_sports_counted "xdp, offloads off" 1 2 3 4 5
out=$(echo "netmode pptxnb auto" | ppwire)
grep -q "^netmode pptxnb xdp: auto: veth pptxnb: its peer eth0 has tx-checksumming off" <<<"$out" \
	&& pass "auto: a veth whose peer has tx-checksumming off gets XDP" || fail "auto: $out"
ip netns exec pptx-nb ethtool -K eth0 txvlan on >/dev/null
out=$(printf 'netmode pptxnb xdp\nshow-xdp pptxnb\n' | ppwire)
grep -q "^netmode pptxnb tc: an instance port on it is configured xdp; veth pptxnb: its peer eth0 has tx-vlan-offload on" <<<"$out" \
	&& grep -q "^xdp pptxnb prog 0 " <<<"$out" \
	&& pass "xdp mode: a veth whose peer may hand it tags as metadata stays on TC, even in mode xdp" \
	|| fail "xdp mode, peer txvlan on: $out"
ip netns exec pptx-nb ethtool -K eth0 txvlan off >/dev/null

# ---- 2. auto mode, vnet-header offloads on ------------------------------------------
stop_guest g1
stop_guest g2
offloads on
start_guests --vnet-hdr || { fail "xdp: restart guests with --vnet-hdr"; exit 1; }
out=$(ppwire <<EOF
mode pptxtap1 auto
mode pptxtap2 auto
netmode pptxna auto
netmode pptxnb auto
netmode pptxnc auto
netmode pptxnd auto
show-xdp pptxtap1
show-xdp pptxna
EOF
)
echo "$out" | sed 's/^/    /' >&2
grep -q "^mode pptxtap1 tc: auto: the tap has a vnet header" <<<"$out" \
	&& grep -q "^mode pptxtap2 tc: auto: the tap has a vnet header" <<<"$out" \
	&& pass "auto, offloads on: picks TC for taps with a vnet header, and says why" \
	|| fail "auto, offloads on: $out"
grep -q "^netmode pptxna tc: auto: veth pptxna: its peer eth0 has tx-checksumming on" <<<"$out" \
	&& pass "auto, offloads on: picks TC for a veth whose peer sends partial checksums" \
	|| fail "auto, offloads on: $out"
grep -q "^xdp pptxtap1 prog 0 tx 0" <<<"$out" && grep -q "^xdp pptxna prog 0 " <<<"$out" \
	&& pass "auto, offloads on: no XDP program left on the tap or net A" \
	|| fail "auto, offloads on: $out"

traffic_round "auto, vnet-hdr offloads"
gso=$(guest_gso g1 pptx-g100)
((gso > 0)) && pass "auto, vnet-hdr offloads: GSO frames from the guest went through TC ($gso)" \
	|| fail "auto, vnet-hdr offloads: no GSO frame was sent (offloads not in play)"
n=$(icmp_on_tap tv100 pptx-g100 10.1.0.1)
((n >= 10)) && pass "auto, vnet-hdr offloads: ping over vlan 100 went by TC ($n ICMP frames on the tap)" \
	|| fail "auto, vnet-hdr offloads: $n ICMP frames on the tap, want 10"

# ---- 3. switching modes under a steady ping ------------------------------------------
stop_guest g1
stop_guest g2
offloads off
start_guests || { fail "xdp: restart guests"; exit 1; }
out=$(printf 'mode pptxtap1 auto\nmode pptxtap2 auto\n' | ppwire)
grep -q "^mode pptxtap1 xdp: auto: the tap has no vnet header" <<<"$out" \
	&& pass "auto, offloads off: picks XDP for a tap without a vnet header" || fail "auto: $out"
ip netns exec pptx-g100 ping -c 1 -W 2 10.1.0.1 >/dev/null 2>&1	# ARP done
switches() {
	local i
	for i in $(seq 10); do
		echo "mode pptxtap1 tc"
		echo "netmode pptxna tc"
		echo "sleep 150"
		echo "mode pptxtap1 xdp"
		echo "netmode pptxna xdp"
		echo "sleep 150"
	done
}
ip netns exec pptx-g100 ping -q -c 400 -i 0.01 -W 1 10.1.0.1 >"$WORK/steady.ping" 2>&1 &
ping_pid=$!
PIDS+=($ping_pid)
sleep 0.3
switches | ppwire >"$WORK/switch.out" 2>&1
sw=$(grep -c "^mode pptxtap1" "$WORK/switch.out")
wait "$ping_pid"
res=$(grep -oE '[0-9]+ packets transmitted, [0-9]+ received' "$WORK/steady.ping")
read -r tx _ _ rx _ <<<"$res"
((sw == 20)) && pass "switching: 20 mode changes of instance port 1 (and net A) under ping" \
	|| fail "switching: $sw mode changes: $(tail -3 "$WORK/switch.out")"
[[ -n $tx && $tx == "$rx" ]] && pass "switching: no frame of a steady ping lost ($res)" \
	|| fail "switching: ping lost frames ($res)"

exit $FAILED
