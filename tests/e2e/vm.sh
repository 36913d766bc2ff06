#!/usr/bin/env bash
# End to end with a real guest: a QEMU VM (Debian cloud kernel, busybox
# initramfs, vm/build.sh) whose one virtio vNIC sits on tap pptvvm0, with
# polyportd binding four service ports of it to four networks:
#
#   guest sub-interface   match            network  namespace  guest address
#   eth0                  untagged         vm-u     pptv-vm-u   10.71.0.10
#   eth0.100              vlan 100         vm-a     pptv-vm-a   10.72.0.10
#   eth0.200              vlan 200         vm-b     pptv-vm-b   10.73.0.10
#   eth0.300.10           QinQ [300, 10]   vm-q     pptv-vm-q   10.74.0.10
#
# Each network is a namespace with an IP stack (10.7x.0.1) behind veth
# pptvvm{u,a,b,q}.  The guest pings each network through its own
# sub-interface, moves 1 MiB of TCP each way on each (QEMU's defaults:
# vnet_hdr, checksum and TSO offloads on), ARPs from each sub-interface for
# another network's address (must stay unanswered), reports its counters and
# powers off; it also ARPs from eth0.999, a VLAN with no service port.
# tcpdump in every network asserts that no frame of another network's guest
# address or MAC (nor of eth0.999) arrives there.  PP_VM_MODE=xdp runs the same
# with `mode: xdp` and the guest's checksum offloads off; PP_VM_BYTES=N moves
# N bytes each way instead of 1 MiB, PP_VM_OFFLOADS=on|off overrides the
# offloads.
#
# Then the L3 round (tc mode; PP_VM_L3=0 leaves it out): polyportd restarted
# on two L3 domains, red and blue, with the same subnets, uplink addresses and
# default routes, each uplink into its own provider router namespace with the
# same addresses; the guest boots again with eth0.500 (red) and eth0.600
# (blue), both 10.1.0.5/24 and fd00:1::5/64: each pings 198.51.100.1 and
# 2001:db8:ff::1 and moves 1 MiB of TCP each way behind its own provider,
# which sees only its own domain's echoes (uplink's MAC, TTL/hop limit 63).
#
# Only this test's own names are touched (pptv-vm-*, pptvvm*, pins under
# /sys/fs/bpf/pptv-vm), so it can run beside the other suites.
PPT_NAME=vm
PPT_SCOPE=pptv	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
need_root
T0=$(date +%s%N)
MODE=${PP_VM_MODE:-tc}
OFFLOADS=on
[[ "$MODE" == xdp ]] && OFFLOADS=off
OFFLOADS=${PP_VM_OFFLOADS:-$OFFLOADS}	# on | off: the vNIC's checksum offloads
BYTES=${PP_VM_BYTES:-1048576}	# per direction and sub-interface
TAP=pptvvm0
CONF=$WORK/conf
STATE=$WORK/state
SERIAL=$WORK/serial.log
NETS=(u a b q)
declare -A MATCH=([u]=untagged [a]=vlan:100 [b]=vlan:200 [q]=qinq:300.10)
declare -A YMATCH=([u]="untagged: true" [a]="vlan: 100" [b]="vlan: 200" [q]="vlan: [300, 10]")
declare -A GDEV=([u]=eth0 [a]=eth0.100 [b]=eth0.200 [q]=eth0.300.10)
declare -A OCTET=([u]=71 [a]=72 [b]=73 [q]=74)
IMAC=52:54:00:71:00:0a		# the vNIC's MAC: the untagged port's too
gmac() { [[ $1 == u ]] && echo "$IMAC" || echo "52:54:00:${OCTET[$1]}:00:0a"; }
gip() { echo "10.${OCTET[$1]}.0.10"; }
DHCP_NET=a GW_A=10.72.0.254	# eth0.100 gets its address by DHCP from polyport
hip() { echo "10.${OCTET[$1]}.0.1"; }
API=$WORK/api.sock
if "$B/polyportd" --help 2>&1 | grep -q -- --api-socket; then
	DAEMON_API=(--api-socket "$API")
	ctl() { "$B/polyportctl" --api-socket "$API" --pin-root "$PIN" "$@"; }
else	# a polyportd from before the API: the CLI reads the state directory
	DAEMON_API=()
	ctl() { "$B/polyportctl" --pin-root "$PIN" --state-dir "$STATE" "$@"; }
fi
secs() { awk -v ns="$1" 'BEGIN {printf "%.1f", ns / 1e9}'; }

BOOTPID= DPID=
vm_cleanup() {
	local pid ns dev
	# QEMU: through timeout (which passes SIGTERM on), then by its own PID
	if [[ -n "$BOOTPID" ]]; then kill "$BOOTPID" 2>/dev/null; fi
	qemu_stop "$WORK/qemu.pid"
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}" $BOOTPID; do wait "$pid" 2>/dev/null; done
	PIDS=() BOOTPID=
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^pptv-vm-'); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	for dev in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^pptvvm'); do
		ip link del "$dev" 2>/dev/null
	done
	"$B/polyportctl" --pin-root "$PIN" teardown >/dev/null 2>&1
	ip route flush table 1501 2>/dev/null	# the L3 round's domains
	ip route flush table 1502 2>/dev/null
	if [[ -d "$PIN" ]]; then
		find "$PIN" -mindepth 1 -delete 2>/dev/null
		rmdir "$PIN" 2>/dev/null
	fi
}
trap 'vm_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
vm_cleanup
mount_bpffs

# ---- the guest: packages into the cache, kernel + initramfs into build/vm ----
vm_guest_build vm
echo "      guest: $(head -1 "$TOP/build/vm/manifest"), initramfs $(stat -c %s "$TOP/build/vm/initrd.img") bytes"

# ---- networks and binding file --------------------------------------------------
mkdir -p "$CONF" "$STATE"
{
	echo "networks:"
	for n in "${NETS[@]}"; do
		printf '  vm-%s:\n    device: pptvvm%s\n' "$n" "$n"
		# polyport's DHCP server speaks as the gateway (an address no host has)
		[[ $n == "$DHCP_NET" ]] && echo "    gateway: {ipv4: $GW_A}"
	done
	echo "instance-ports:"
	echo "  vm:"
	echo "    device: $TAP"
	echo "    mac: $IMAC"
	echo "    mode: $MODE"
	echo "    service-ports:"
	for n in "${NETS[@]}"; do
		if [[ $n == "$DHCP_NET" ]]; then	# its address comes from polyport's DHCP
			echo "      vm-$n: {${YMATCH[$n]}, mac: $(gmac "$n"), addresses: [$(gip "$n")/24],"
			echo "              bind: {network: vm-$n, dhcp: {lease: 600}}}"
		else
			echo "      vm-$n: {${YMATCH[$n]}, mac: $(gmac "$n"), bind: {network: vm-$n}}"
		fi
	done
} >"$CONF/vm.yaml"
declare -A NSMAC HOSTMAC IFINDEX
for n in "${NETS[@]}"; do
	# netns_net's network, with IPv6 off on both ends before they go up
	ip netns add "pptv-vm-$n"
	ip link add "pptvvm$n" type veth peer name eth0 netns "pptv-vm-$n"
	sysctl -qw "net.ipv6.conf.pptvvm$n.disable_ipv6=1"	# a quiet wire: only the guest
	ip netns exec "pptv-vm-$n" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1	# and the network speak
	ip -n "pptv-vm-$n" addr add "$(hip "$n")/24" dev eth0
	ip -n "pptv-vm-$n" link set lo up
	ip -n "pptv-vm-$n" link set eth0 up
	ip link set "pptvvm$n" up
	if [[ "$MODE" == xdp ]]; then
		# XDP both ways needs the network side to take part (FACTS.md): full
		# checksums from its stack, tags written into the frame (never handed
		# over as metadata: loader/xdpmode.c), and an XDP program on its end of
		# the veth so that XDP redirects into the veth are accepted.
		ip netns exec "pptv-vm-$n" ethtool -K eth0 tx off txvlan off \
			tx-vlan-stag-hw-insert off >/dev/null
		ip -n "pptv-vm-$n" link set dev eth0 xdpdrv obj "$B/tests/xdp_pass.bpf.o" sec xdp
	fi
	NSMAC[$n]=$(ip -n "pptv-vm-$n" link show eth0 | awk '/link\/ether/ {print $2}')
	HOSTMAC[$n]=$(cat "/sys/class/net/pptvvm$n/address")
	IFINDEX[$n]=$(cat "/sys/class/net/pptvvm$n/ifindex")
done

"$B/polyportd" -f -v --config "$CONF" --pin-root "$PIN" --state-dir "$STATE" "${DAEMON_API[@]}" \
	>"$WORK/daemon.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
for _ in $(seq 300); do
	grep -q "\"pid\": $DPID," "$STATE/status.json" 2>/dev/null && break
	sleep 0.01
done
if ! grep -q "\"pid\": $DPID," "$STATE/status.json" 2>/dev/null; then
	fail "vm: polyportd did not start: $(tail -3 "$WORK/daemon.log" | tr '\n' ' ')"
	exit 1
fi

# ---- each network: capture, and TCP servers for the guest's transfers ----------
for n in "${NETS[@]}"; do
	ns=pptv-vm-$n
	ip netns exec "$ns" tcpdump -i eth0 -nn -U -s 128 -w "$WORK/cap_$n.pcap" \
		>/dev/null 2>"$WORK/cap_$n.log" &
	PIDS+=($!)
	head -c "$BYTES" /dev/urandom >"$WORK/down_$n.src"
	ip netns exec "$ns" timeout 60 nc -l -p 5001 >"$WORK/up_$n.dst" 2>/dev/null &
	PIDS+=($!)
	ip netns exec "$ns" timeout 60 nc -N -l -p 5002 <"$WORK/down_$n.src" >/dev/null 2>&1 &
	PIDS+=($!)
done
for n in "${NETS[@]}"; do
	for _ in $(seq 100); do grep -q listening "$WORK/cap_$n.log" 2>/dev/null && break; sleep 0.05; done
done

# ---- boot ------------------------------------------------------------------------
ifs=()
for n in "${NETS[@]}"; do
	# p: another network, whose host address this sub-interface ARPs for
	case $n in u) p=a ;; a) p=b ;; b) p=q ;; q) p=u ;; esac
	addr=$(gip "$n")/24
	[[ $n == "$DHCP_NET" ]] && addr=dhcp
	ifs+=(--if "match=${MATCH[$n]},addr=$addr,mac=$(gmac "$n"),peer=$(hip "$n"),tcp=5001,probe=$(hip "$p")")
done
# and a VLAN the guest has no service port for: whatever it sends is dropped
ROGUE_IP=10.79.0.10 ROGUE_MAC=52:54:00:79:00:0a
ifs+=(--if "match=vlan:999,addr=$ROGUE_IP/24,mac=$ROGUE_MAC,probe=$(hip u)")
TB=$(date +%s%N) TR=$TB TD=$TB
"$TOP/vm/boot.sh" --no-build --tap "$TAP" --mac "$IMAC" --offloads "$OFFLOADS" --bytes "$BYTES" \
	--timeout 45 --pidfile "$WORK/qemu.pid" "${ifs[@]}" </dev/null >"$SERIAL" 2>&1 &
BOOTPID=$!

# wait for "ready" (the tap is up and attached by then), then for "done"
wait_serial() {	# PATTERN DEADLINE_S
	local end=$(($(date +%s) + $2))
	while (($(date +%s) < end)); do
		grep -q "$1" "$SERIAL" 2>/dev/null && return 0
		kill -0 "$BOOTPID" 2>/dev/null || { grep -q "$1" "$SERIAL" 2>/dev/null; return; }
		sleep 0.05
	done
	return 1
}
if wait_serial "^PPVM ready" 30; then
	TR=$(date +%s%N)
	st=$(ctl status 2>&1)
	echo "$st" | sed 's/^/      | /'
	iport=$(echo "$st" | awk '$1 == "vm" {print $3; exit}')
	[[ "$iport" == ACTIVE ]] && pass "daemon: the guest's tap $TAP (made by QEMU) is attached and ACTIVE" \
		|| fail "daemon: instance port vm is '$iport'"
	[[ "$(echo "$st" | grep -E '^ +vm-[uabq] ' | grep -c ' ACTIVE')" == 4 ]] &&
		pass "daemon: the four service ports are ACTIVE" || fail "daemon: not every service port is ACTIVE"
	if [[ "$MODE" == xdp ]]; then
		echo "$st" | awk '$1 == "vm"' | grep -qw xdp && pass "daemon: effective mode xdp" \
			|| fail "daemon: effective mode is not xdp: $(echo "$st" | awk '$1 == "vm"')"
	fi
	tapinfo=$(ip -d link show "$TAP" 2>/dev/null)
	ko=$(ethtool -k "$TAP" 2>/dev/null)
	echo "      tap: $(echo "$tapinfo" | grep -o 'vnet_hdr [a-z]*'); offloads toward the guest: $(echo "$ko" |
		grep -E '^(tx-checksumming|tcp-segmentation-offload):' | tr -s ' \n' ' ')"
	if [[ "$OFFLOADS" == on ]]; then
		[[ "$tapinfo" == *"vnet_hdr on"* ]] && echo "$ko" | grep -q '^tcp-segmentation-offload: on' &&
			pass "offloads: QEMU's defaults are on (vnet_hdr, checksum and TSO negotiated)" ||
			fail "offloads: expected vnet_hdr and TSO on the tap: $(echo "$tapinfo" | head -3 | tr '\n' ' ')"
	fi
else
	fail "boot: the guest did not come up within 30 s: $(tail -5 "$SERIAL" | tr '\n' ' ')"
fi
wait_serial "^PPVM done" 45 || fail "guest: no 'done' from the guest: $(tail -5 "$SERIAL" | tr '\n' ' ')"
TD=$(date +%s%N)
for _ in $(seq 50); do kill -0 "$BOOTPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$BOOTPID" 2>/dev/null; then
	fail "guest: QEMU did not exit after the guest powered off"
else
	wait "$BOOTPID"; qrc=$?
	BOOTPID=
	((qrc == 0)) && pass "guest: powered off cleanly" || fail "guest: QEMU exited $qrc"
fi
sed -n 's/^\(PPVM .*\)/      | \1/p' "$SERIAL"

# ---- results read from the serial console --------------------------------------------
marker() { grep "^PPVM $1" "$SERIAL" | head -1 | tr -d '\r'; }
kv() { echo "$1" | grep -o "$2=[^ ]*" | head -1 | cut -d= -f2; }
t_init=$(marker "init" | awk '{print $3}')
t_ready=$(marker "ready" | awk '{print $3}')
[[ -n "$t_ready" ]] && pass "boot: /init at ${t_init} s guest uptime, sub-interfaces ready at ${t_ready} s (wall: $(secs $((TR - TB))) s from QEMU start)" \
	|| fail "boot: the guest never reported ready"
errs=$(grep "^PPVM error" "$SERIAL" | tr -d '\r')
[[ -z "$errs" ]] && pass "guest: no errors reported" || fail "guest: $(echo "$errs" | tr '\n' ';')"

line=$(marker "dhcp ${GDEV[$DHCP_NET]} ")
[[ "$line" == *"bound $(gip "$DHCP_NET")/24 router=$GW_A"* ]] \
	&& pass "dhcp: ${GDEV[$DHCP_NET]} got $(gip "$DHCP_NET")/24, router $GW_A from polyport's DHCP (udhcpc in the guest)" \
	|| fail "dhcp: ${GDEV[$DHCP_NET]}: ${line:-no lease}"

THROUGHPUT=()
for n in "${NETS[@]}"; do
	dev=${GDEV[$n]} what="${MATCH[$n]} ($dev) -> vm-$n"
	line=$(marker "if $dev ")
	[[ "$line" == *"up $(gip "$n")/24 mac $(gmac "$n")"* ]] && pass "guest: $dev configured ($(gip "$n"), $(gmac "$n"))" \
		|| fail "guest: $dev: '$line'"
	line=$(marker "ping $dev ")
	[[ "$(kv "$line" received)" == 3 ]] && pass "ping: $what: 3/3 echoes from $(hip "$n")" \
		|| fail "ping: $what: ${line:-no result}"
	# up: what arrived in the network is what the guest sent
	line=$(marker "tcp-up $dev ")
	got=$(stat -c %s "$WORK/up_$n.dst" 2>/dev/null || echo 0)
	gmd5=$(kv "$line" md5) hmd5=$(md5sum <"$WORK/up_$n.dst" | cut -c1-32)
	ms_up=$(kv "$line" ms)
	[[ "$got" == "$BYTES" && "$gmd5" == "$hmd5" ]] &&
		pass "tcp: $what: guest -> network $BYTES bytes intact (md5 $hmd5)" ||
		fail "tcp: $what: guest -> network: $got bytes arrived, md5 guest $gmd5 network $hmd5"
	line=$(marker "tcp-down $dev ")
	gmd5=$(kv "$line" md5) hmd5=$(md5sum <"$WORK/down_$n.src" | cut -c1-32)
	ms_down=$(kv "$line" ms)
	[[ "$(kv "$line" bytes)" == "$BYTES" && "$gmd5" == "$hmd5" ]] &&
		pass "tcp: $what: network -> guest $BYTES bytes intact (md5 $hmd5)" ||
		fail "tcp: $what: network -> guest: ${line:-no result} (sent md5 $hmd5)"
	THROUGHPUT+=("$(awk -v d="$dev" -v b="$BYTES" -v u="${ms_up:-0}" -v w="${ms_down:-0}" 'BEGIN {
		printf "%-12s up %6.1f Mbit/s (%.3f s)   down %6.1f Mbit/s (%.3f s)", d,
			(u > 0 ? b * 8 / u / 1000 : 0), u / 1000, (w > 0 ? b * 8 / w / 1000 : 0), w / 1000}')")
	line=$(marker "probe $dev ")
	[[ -n "$line" && "$(kv "$line" replies)" == 0 ]] && pass "isolation: ARP from $dev for another network's address gets no reply" \
		|| fail "isolation: $dev probe: ${line:-no result}"
	line=$(marker "counters $dev ")
	echo "      guest ${line#PPVM }"
done

# ---- the network side: nothing from another network ------------------------------------
# in_echos NS 4|6: the echo requests namespace NS's stack has received
in_echos() {
	if [[ $2 == 4 ]]; then
		ip netns exec "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InEchos") c = i; h = 1 }
			else { print $c; exit } }' /proc/net/snmp
	else
		ip netns exec "$1" awk '$1 == "Icmp6InEchos" { print $2 }' /proc/net/snmp6
	fi
}
declare -A echo4 echo6
pkill_caps() {	# stop only our tcpdumps (children of this shell, by PID)
	local pid
	for pid in "${PIDS[@]}"; do
		[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == tcpdump ]] && kill -INT "$pid" 2>/dev/null
	done
	sleep 0.3
}
pkill_caps
for n in "${NETS[@]}"; do
	txt=$WORK/cap_$n.txt
	tcpdump -nn -e -r "$WORK/cap_$n.pcap" >"$txt" 2>/dev/null
	own=$(grep -c "^[^ ]* $(gmac "$n") > " "$txt")
	foreign=$(awk -v a="$(gmac "$n")" -v b="${NSMAC[$n]}" -v c="${HOSTMAC[$n]}" '$2 != a && $2 != b && $2 != c' "$txt")
	leak=
	for m in "${NETS[@]}"; do
		[[ $m == "$n" ]] && continue
		c=$(grep -c -w -F -e "$(gip "$m")" -e "$(gmac "$m")" "$txt")
		((c)) && leak+=" $c frames of vm-$m's guest ($(gip "$m")/$(gmac "$m"))"
	done
	c=$(grep -c -w -F -e "$ROGUE_IP" -e "$ROGUE_MAC" "$txt")
	((c)) && leak+=" $c frames of the guest's eth0.999 (no service port)"
	if ((own > 0)) && [[ -z "$leak" && -z "$foreign" ]]; then
		pass "isolation: network vm-$n saw $own frames from its guest port and none from another network"
	else
		fail "isolation: network vm-$n: own=$own${leak:+, leaked:$leak}${foreign:+, foreign sources: $(echo "$foreign" | head -2 | tr '\n' ' ')}"
	fi
done
echo "      polyportctl stats:"
stats=$(ctl stats 2>&1)
echo "$stats" | sed 's/^/      | /'
line=$(marker "probe eth0.999 ")
unknown=$(echo "$stats" | awk '/ vm / && /unknown_port/ {print $NF}' | head -1)
[[ -n "$line" && "$(kv "$line" replies)" == 0 && "${unknown:-0}" -ge 2 ]] &&
	pass "isolation: eth0.999 (no service port) reaches nothing; polyport counted $unknown unknown_port drops" ||
	fail "isolation: eth0.999: ${line:-no result}, unknown_port drops: ${unknown:-none}"

# Other suites remove every ppt* device when they start: if one ran beside
# this test, say so rather than leave a mysterious failure.
for n in "${NETS[@]}"; do
	[[ "$(cat "/sys/class/net/pptvvm$n/ifindex" 2>/dev/null)" == "${IFINDEX[$n]}" ]] ||
		fail "topology: pptvvm$n vanished or was re-created during the test (another test's cleanup?)"
done
if ((FAILED)); then
	echo "      polyportd's log (last lines):"
	tail -15 "$WORK/daemon.log" | sed 's/^/      | /'
fi

# ---- the L3 round: eth0.500 and eth0.600 routed by two overlapping domains --------
# The first guest is gone (powered off): polyportd is restarted on a binding
# file of two L3 domains, red (table 1501) and blue (1502), with the same
# subnet, uplink address and default route, each uplink a veth into its own
# provider router namespace with the same addresses (192.0.2.1, and
# 198.51.100.1 on lo).  The guest boots again with eth0.500 (red) and
# eth0.600 (blue) both 10.1.0.5/24, each in turn holding the default route
# via the gateway 10.1.0.1 (gw=): ping and TCP both ways to 198.51.100.1.
L3_MAC_R=52:54:00:50:00:0a L3_MAC_B=52:54:00:60:00:0a L3_GW=02:00:00:00:15:01 L3_GWB=02:00:00:00:15:02
l3_round() {
	local d ns up line got gmd5 hmd5 ms_up ms_down dev peer_seen tm0
	kill -TERM "$DPID" 2>/dev/null	# the first round's daemon
	wait "$DPID" 2>/dev/null
	"$B/polyportctl" --pin-root "$PIN" teardown >/dev/null 2>&1
	find "$PIN" -mindepth 1 -delete 2>/dev/null
	ip route flush table 1501 2>/dev/null
	ip route flush table 1502 2>/dev/null
	mkdir -p "$WORK/l3conf"
	cat >"$WORK/l3conf/l3.yaml" <<YAML
l3-domains:
  vm-red:
    table: 1501
    mac: $L3_GW
    subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}, {cidr: "fd00:1::/64", gateway: "fd00:1::1"}]
    uplinks: [{device: pptvvmur, addresses: [192.0.2.2/30, "2001:db8:1::2/64"]}]
    routes: [{to: 0.0.0.0/0, via: 192.0.2.1}, {to: "::/0", via: "2001:db8:1::1"}]
  vm-blue:
    table: 1502
    mac: $L3_GWB
    subnets: [{cidr: 10.1.0.0/24, gateway: 10.1.0.1}, {cidr: "fd00:1::/64", gateway: "fd00:1::1"}]
    uplinks: [{device: pptvvmub, addresses: [192.0.2.2/30, "2001:db8:1::2/64"]}]
    routes: [{to: 0.0.0.0/0, via: 192.0.2.1}, {to: "::/0", via: "2001:db8:1::1"}]
instance-ports:
  vm:
    device: $TAP
    mac: $IMAC
    service-ports:
      vm-l3red: {vlan: 500, mac: $L3_MAC_R, addresses: [10.1.0.5/24, "fd00:1::5/64"],
                 bind: {l3: {domain: vm-red}}}
      vm-l3blue: {vlan: 600, mac: $L3_MAC_B, addresses: [10.1.0.5/24, "fd00:1::5/64"],
                  bind: {l3: {domain: vm-blue}}}
YAML
	for d in r b; do
		ns=pptv-vm-p$d
		ip netns add "$ns"
		ip link add "pptvvmu$d" type veth peer name eth0 netns "$ns"
		# a router: no router solicitations of its own
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
		ip -n "$ns" addr add 192.0.2.1/30 dev eth0
		ip -n "$ns" addr add 198.51.100.1/32 dev lo
		ip -n "$ns" addr add 2001:db8:1::1/64 dev eth0 nodad
		ip -n "$ns" addr add 2001:db8:ff::1/128 dev lo
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add 10.0.0.0/8 via 192.0.2.2
		ip -n "$ns" route add fd00::/16 via 2001:db8:1::2
		ip link set "pptvvmu$d" up
	done
	"$B/polyportd" -f -v --config "$WORK/l3conf" --pin-root "$PIN" --state-dir "$STATE" \
		"${DAEMON_API[@]}" >>"$WORK/daemon.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	wait_for 3 grep -q "\"pid\": $DPID," "$STATE/status.json" ||
		{ fail "l3: polyportd did not start: $(tail -3 "$WORK/daemon.log" | tr '\n' ' ')"; return; }
	# the next hops are resolved before the guest needs them
	wait_for 5 sh -c "ip route show table 1501 | grep -q 'default via 192.0.2.1 dev pptvvmur' &&
		ip route show table 1502 | grep -q 'default via 192.0.2.1 dev pptvvmub'" ||
		fail "l3: the domains' default routes are missing: $(ip route show table 1501 | tr '\n' ';')"
	for d in r b; do
		ns=pptv-vm-p$d
		# ICMP only: under TCG, a tcpdump that reads the transfers too lags
		# behind and loses what it has not written when it is stopped; and
		# each frame handed over at once (--immediate-mode): a frame waiting
		# in a half-full ring block when it is stopped is lost (a fresh
		# clone's run once captured none of the three IPv4 echoes)
		ip netns exec "$ns" tcpdump -i eth0 -nn -U --immediate-mode -s 128 -w "$WORK/l3cap_$d.pcap" "icmp or icmp6" \
			>/dev/null 2>"$WORK/l3cap_$d.log" &
		PIDS+=($!)
		head -c "$BYTES" /dev/urandom >"$WORK/l3down_$d.src"
		ip netns exec "$ns" timeout 60 nc -l -p 5001 >"$WORK/l3up_$d.dst" 2>/dev/null &
		PIDS+=($!)
		ip netns exec "$ns" timeout 60 nc -N -l -p 5002 <"$WORK/l3down_$d.src" >/dev/null 2>&1 &
		PIDS+=($!)
	done
	for d in r b; do
		for _ in $(seq 100); do grep -q listening "$WORK/l3cap_$d.log" 2>/dev/null && break; sleep 0.05; done
		# the provider's own count of echo requests: exact, whatever a
		# capture under TCG load misses when it is stopped
		echo4[$d]=$(in_echos "pptv-vm-p$d" 4) echo6[$d]=$(in_echos "pptv-vm-p$d" 6)
	done
	SERIAL=$WORK/serial-l3.log
	v6="addr6=fd00:1::5/64,gw6=fd00:1::1,peer6=2001:db8:ff::1"
	tm0=$(date +%s%N)
	"$TOP/vm/boot.sh" --no-build --tap "$TAP" --mac "$IMAC" --offloads "$OFFLOADS" --bytes "$BYTES" \
		--timeout 45 --pidfile "$WORK/qemu.pid" --ipv6 \
		--if "match=vlan:500,addr=10.1.0.5/24,mac=$L3_MAC_R,gw=10.1.0.1,peer=198.51.100.1,tcp=5001,$v6" \
		--if "match=vlan:600,addr=10.1.0.5/24,mac=$L3_MAC_B,gw=10.1.0.1,peer=198.51.100.1,tcp=5001,$v6" \
		</dev/null >"$SERIAL" 2>&1 &
	BOOTPID=$!
	wait_serial "^PPVM done" 60 || fail "l3: no 'done' from the guest: $(tail -5 "$SERIAL" | tr '\n' ' ')"
	for _ in $(seq 50); do kill -0 "$BOOTPID" 2>/dev/null || break; sleep 0.1; done
	wait "$BOOTPID" 2>/dev/null
	BOOTPID=
	sed -n 's/^\(PPVM .*\)/      | \1/p' "$SERIAL"
	errs=$(grep "^PPVM error" "$SERIAL" | tr -d '\r')
	[[ -z "$errs" ]] && pass "l3: the guest reported no errors" || fail "l3: guest: $(echo "$errs" | tr '\n' ';')"
	for d in r b; do
		dev=eth0.500 ns=red
		[[ $d == b ]] && dev=eth0.600 ns=blue
		line=$(marker "ping $dev ")
		[[ "$(kv "$line" received)" == 3 ]] &&
			pass "l3: $dev ($ns) reaches 198.51.100.1 behind $ns's provider: 3/3 echoes" ||
			fail "l3: ping from $dev: ${line:-no result}"
		line=$(marker "ping6 $dev ")
		[[ "$(kv "$line" received)" == 3 ]] &&
			pass "l3 v6: $dev ($ns, fd00:1::5) reaches 2001:db8:ff::1 behind $ns's provider: 3/3 echoes" ||
			fail "l3 v6: ping from $dev: ${line:-no result}"
		line=$(marker "tcp-up $dev ")
		got=$(stat -c %s "$WORK/l3up_$d.dst" 2>/dev/null || echo 0)
		gmd5=$(kv "$line" md5) hmd5=$(md5sum <"$WORK/l3up_$d.dst" | cut -c1-32)
		ms_up=$(kv "$line" ms)
		[[ "$got" == "$BYTES" && "$gmd5" == "$hmd5" ]] &&
			pass "l3: tcp $dev -> $ns's provider: $BYTES bytes intact, its own (md5 $hmd5)" ||
			fail "l3: tcp $dev -> $ns's provider: $got bytes, md5 guest $gmd5 provider $hmd5"
		line=$(marker "tcp-down $dev ")
		gmd5=$(kv "$line" md5) hmd5=$(md5sum <"$WORK/l3down_$d.src" | cut -c1-32)
		ms_down=$(kv "$line" ms)
		[[ "$(kv "$line" bytes)" == "$BYTES" && "$gmd5" == "$hmd5" ]] &&
			pass "l3: tcp $ns's provider -> $dev: $BYTES bytes intact (md5 $hmd5)" ||
			fail "l3: tcp $ns's provider -> $dev: ${line:-no result} (sent md5 $hmd5)"
		THROUGHPUT+=("$(awk -v d="$dev ($ns)" -v b="$BYTES" -v u="${ms_up:-0}" -v w="${ms_down:-0}" 'BEGIN {
			printf "%-12s up %6.1f Mbit/s (%.3f s)   down %6.1f Mbit/s (%.3f s)", d,
				(u > 0 ? b * 8 / u / 1000 : 0), u / 1000, (w > 0 ? b * 8 / w / 1000 : 0), w / 1000}')")
	done
	pkill_caps
	for d in r b; do
		ns=red
		[[ $d == b ]] && ns=blue
		tcpdump -nn -e -v -r "$WORK/l3cap_$d.pcap" >"$WORK/l3cap_$d.txt" 2>/dev/null
		umac=$(cat "/sys/class/net/pptvvmu$d/address")
		got4=$(($(in_echos "pptv-vm-p$d" 4) - ${echo4[$d]}))
		got6=$(($(in_echos "pptv-vm-p$d" 6) - ${echo6[$d]}))
		n=$(grep -c "ICMP echo request" "$WORK/l3cap_$d.txt")
		peer_seen=$(grep -B1 "ICMP echo request" "$WORK/l3cap_$d.txt" | grep -c "^[^ ]* $umac > .*ttl 63,")
		((got4 == 3 && n >= 1 && peer_seen == n)) &&
			pass "l3: $ns's provider got exactly its 3 echo requests; the $n captured from the uplink's MAC, TTL 63" ||
			fail "l3: $ns's provider got $got4 echo requests (want 3); captured $n, $peer_seen from $umac with TTL 63"
		n=$(grep -c "ICMP6, echo request" "$WORK/l3cap_$d.txt")
		peer_seen=$(grep -B1 "ICMP6, echo request" "$WORK/l3cap_$d.txt" | grep -c "^[^ ]* $umac > .*hlim 63,")
		((got6 == 3 && n >= 1 && peer_seen == n)) &&
			pass "l3 v6: $ns's provider got exactly its 3 echo requests; the $n captured from the uplink's MAC, hop limit 63" ||
			fail "l3 v6: $ns's provider got $got6 echo requests (want 3); captured $n, $peer_seen from $umac with hop limit 63"
	done
	echo "      L3 round: QEMU start -> guest done $(secs $(($(date +%s%N) - tm0))) s"
}
if [[ "$MODE" != tc ]]; then
	skip "l3: the L3 round runs in tc mode only (XDP toward a veth needs the provider's side to take part)"
elif [[ "${PP_VM_L3:-1}" == 0 ]]; then
	skip "l3: PP_VM_L3=0"
else
	l3_round
fi

T1=$(date +%s%N)
echo "      TCP throughput through the guest ($MODE mode, guest offloads $OFFLOADS, TCG, $BYTES bytes each way):"
printf '        %s\n' "${THROUGHPUT[@]}"
echo "      boot: QEMU start -> sub-interfaces ready $(secs $((TR - TB))) s, -> guest done $(secs $((TD - TB))) s; test total $(secs $((T1 - T0))) s"
exit $FAILED
