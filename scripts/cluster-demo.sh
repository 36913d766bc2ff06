#!/usr/bin/env bash
# The cluster demo (README "Many hosts"): three hosts, one etcd, two networks:
# blue (a device on each host) and red (stretched over VXLAN, issue 20).
#
#   ppdc-etcd   etcd with TLS and client certificates on https://10.59.0.1:2379
#               (a test CA); veth ppdce (in host N) <-> ppdceN, 10.59.N.0/24
#   ppdc-hN     host N: its own polyportd --store etcd=... --host hN (pins
#               /run/ppdc/bpf/hN, API /run/ppdc/hN/api.sock, lease TTL 3 s)
#   ppdc-nN     host N's side of network "blue": 10.60.0.1/24 behind veth
#               ppdcnN (blue's device on hN: devices {h1: ppdcn1, ...})
#   guests      build/ppguest on the taps polyportctl plug makes, VLAN 100:
#               vm1 on h1 (ppdc-g1 10.60.0.11), vm2 on h2 (ppdc-g2 .12),
#               vm3 on h3 (ppdc-g3 .13), mover on h2 (ppdc-gm2 .20), moved
#               to h3 (ppdc-gm3 .20) by the migration flow
#   ppdc-ul     the underlay: bridge ppdcbr, veth ppdcuN (in host N, 10.61.0.N/24,
#               MTU 1550: ppvxlan gets 1500) <-> ppdclN; polyportd --vtep 10.61.0.N
#   red         network {vxlan: {vni: 100}}: VLAN 300 of vm1..vm3 -> ppdc-rN
#               (10.62.0.N), a second --port of the same guests
#
# Usage: scripts/cluster-demo.sh [--no-wait]   (as root; `make run-cluster`
# builds first).  Everything it creates starts with "ppdc" or lives under
# /run/ppdc, and is removed on exit (and before it starts).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
B=$PWD/build
RUN=/run/ppdc BPF=/run/ppdc/bpf CERTS=/run/ppdc/certs
EP_IP=10.59.0.1 P=/polyport/v1/
WAIT=1
for a in "$@"; do
	case "$a" in
	--no-wait) WAIT=0 ;;
	*) echo "usage: scripts/cluster-demo.sh [--no-wait]" >&2; exit 2 ;;
	esac
done
[[ ! -t 0 ]] && WAIT=0
source tests/etcd.sh
declare -A DPID=() GPID=()
STEP=start T0=$(date +%s%N)

say() { STEP=$*; printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
die() { echo "cluster demo: FAILED at \"$STEP\": $*" >&2; exit 1; }
# ctl H ARGS: polyportctl on host H's API, in H's namespace (plug makes taps there)
ctl() { local h=$1; shift; ip netns exec "ppdc-$h" "$B/polyportctl" --api-socket "$RUN/$h/api.sock" "$@"; }
# hctl H ARGS: the same, the command shown first
hctl() { printf '%s$ polyportctl %s\n' "$1" "${*:2}"; ctl "$@"; }
hget() { curl -s -m 5 --unix-socket "$RUN/$1/api.sock" "http://localhost$2"; }
st() { hget "$1" "/v1/instance-ports/$2" | jq -r ".status.${3:-status} // empty" 2>/dev/null; }
st_is() { [[ $(st "$1" "$2") == "$3" ]]; }	# st_is H IPORT STATUS
# until_s S CMD...: poll CMD (every 50 ms) for at most S seconds
until_s() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@" >/dev/null 2>&1; do
		(($(date +%s%N) > end)) && return 1
		sleep 0.05
	done
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
etcdctl() { ip netns exec ppdc-etcd /usr/bin/etcdctl "$@"; }	# etcdctl_c: only ppdc-etcd reaches etcd
connected() { [[ "$(hget "$1" /v1/status | jq -r .cluster.connected)" == true ]]; }
disconnected() { ! connected "$1"; }
all_connected() { connected h1 && connected h2 && connected h3; }
ping1() { ip netns exec "$1" ping -c "${3:-2}" -i 0.2 -W 2 "$2"; }
# quiet NS: no IPv6 (a guest sends nothing on its own: its first frame is ours)
quiet() { ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }

cleanup() {
	local ns p
	etcd_stop
	for p in "${GPID[@]}" "${DPID[@]}"; do kill "$p" 2>/dev/null && kill -CONT "$p"; done
	for p in "${GPID[@]}" "${DPID[@]}"; do wait "$p" 2>/dev/null; done
	for ns in $(ip netns list | awk '{print $1}' | grep '^ppdc-'); do
		# an earlier run's processes (killed demo): they live in its namespaces
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns"
	done
	if mountpoint -q "$BPF"; then
		find "$BPF" -mindepth 1 -delete 2>/dev/null
		umount -l "$BPF"
	fi
	rm -rf "$RUN"
}
serving() { grep -q "\"pid\": ${DPID[$1]}," "$RUN/$1/state/status.json" && [[ -S $RUN/$1/api.sock ]]; }
# hstart H: polyportd of host H in its namespace; waits until it serves its API
hstart() {
	local h=$1 st=$RUN/$1/state
	mkdir -p "$RUN/$h/conf" "$st"
	rm -f "$st/status.json"
	setsid ip netns exec "ppdc-$h" "$B/polyportd" -f --config "$RUN/$h/conf" --pin-root "$BPF/$h" \
		--state-dir "$st" --api-socket "$RUN/$h/api.sock" --store "etcd=https://$EP_IP:2379" \
		--host "$h" --etcd-ca "$CERTS/ca.crt" --etcd-cert "$CERTS/client.crt" \
		--etcd-key "$CERTS/client.key" --lease-ttl 3 --vtep "10.61.0.${h#h}" >>"$RUN/$h.log" 2>&1 &
	DPID[$h]=$!
	until_s 10 serving "$h" || die "polyportd of $h did not start: $(tail -3 "$RUN/$h.log")"
}
# guest NAME H TAP NS MAC ADDR [NS2 ADDR2]: the light guest on H's tap, VLAN 100
# -> NS (ADDR/24) and, with NS2, VLAN 300 -> NS2 (ADDR2/24: red's sub-interface)
guest() {
	local ns more=()
	for ns in "$4" ${7:+"$7"}; do ip netns add "$ns" && ip -n "$ns" link set lo up && quiet "$ns"; done
	[[ -n ${7:-} ]] && more=(--port "ns=$7,dev=eth0,mac=$5,match=vlan:300")
	setsid ip netns exec "ppdc-$2" "$B/ppguest" --tap "$3" --up --ready-file "$RUN/$1.ready" \
		--port "ns=$4,dev=eth0,mac=$5,match=vlan:100" "${more[@]}" >"$RUN/$1.log" 2>&1 &
	GPID[$1]=$!
	until_s 5 test -f "$RUN/$1.ready" || die "guest $1 did not start: $(tail -2 "$RUN/$1.log")"
	ip -n "$4" addr add "$6/24" dev eth0
	[[ -z ${7:-} ]] || ip -n "$7" addr add "$8/24" dev eth0
}

if [[ $(id -u) -ne 0 ]]; then echo "cluster demo: run as root (sudo make run-cluster)" >&2; exit 1; fi
for c in etcd etcdctl jq openssl curl; do
	command -v "$c" >/dev/null || { echo "cluster demo: $c missing (make deps)" >&2; exit 1; }
done
cleanup		# leftovers of an earlier run
trap 'cleanup' EXIT
trap 'exit 130' INT TERM	# daemons and guests run in sessions of their own (setsid): Ctrl-C is ours
{ mkdir -p "$BPF" && mount -t bpf -o mode=0700 bpf "$BPF"; } || die "cannot mount a bpffs on $BPF"

say "etcd: a test CA, etcd with TLS and client certificates in namespace ppdc-etcd"
ip netns add ppdc-etcd && quiet ppdc-etcd
ip -n ppdc-etcd link set lo up
ip -n ppdc-etcd addr add "$EP_IP/32" dev lo
for n in 1 2 3; do
	ip netns add "ppdc-h$n" && quiet "ppdc-h$n"
	etcd_link "ppdc-h$n" ppdc-etcd ppdce "$n" 10.59 "$EP_IP"
	# host N's side of network blue: a namespace with an IP stack behind veth ppdcnN
	ip netns add "ppdc-n$n" && quiet "ppdc-n$n"
	ip -n "ppdc-h$n" link add "ppdcn$n" type veth peer name eth0 netns "ppdc-n$n"
	ip -n "ppdc-n$n" addr add 10.60.0.1/24 dev eth0
	ip -n "ppdc-n$n" link set eth0 up
	ip -n "ppdc-h$n" link set "ppdcn$n" up
done
# the underlay of red (VXLAN): bridge ppdcbr in ppdc-ul, host N on 10.61.0.N
ip netns add ppdc-ul && quiet ppdc-ul
ip -n ppdc-ul link add ppdcbr type bridge && ip -n ppdc-ul link set ppdcbr up
for n in 1 2 3; do
	ip -n "ppdc-h$n" link add "ppdcu$n" mtu 1550 type veth peer name "ppdcl$n" netns ppdc-ul mtu 1550
	ip -n ppdc-ul link set "ppdcl$n" master ppdcbr up
	ip -n "ppdc-h$n" addr add "10.61.0.$n/24" dev "ppdcu$n"
	ip -n "ppdc-h$n" link set "ppdcu$n" up
done
etcd_ca "$CERTS" "$EP_IP" || die "the test CA (etcd_ca)"
echo "  CA and certificates in $CERTS: $(cd "$CERTS" && echo ca.crt server.crt client.crt)"
# etcd_up: etcd_start with etcd in a session of its own, like the daemons (Ctrl-C is ours)
etcd_up() {
	ip() { if [[ $1 == netns && ${4:-} == /usr/bin/etcd ]]; then exec setsid ip "$@"; else command ip "$@"; fi; }
	etcd_start ppdc-etcd "$EP_IP" 2379 "$RUN/etcd" "$CERTS"
	local rc=$?
	unset -f ip
	return $rc
}
etcd_up || die "etcd did not start"

say "Three hosts: namespaces ppdc-h1..3, each with its own polyportd in cluster mode and a VTEP"
for h in h1 h2 h3; do hstart "$h"; done
printf '$ polyportd -f --store etcd=https://%s:2379 --host h1 --etcd-ca ca.crt --etcd-cert client.crt \\\n' "$EP_IP"
printf '      --etcd-key client.key --lease-ttl 3 --vtep 10.61.0.1 --pin-root %s/h1 --api-socket %s/h1/api.sock ...\n' "$BPF" "$RUN"
until_s 10 all_connected || die "not every daemon connected to etcd"
ctl h3 status | sed -n '/^CLUSTER/,$p'

say "Network blue, one device per host, through h1's API"
hctl h1 create network '{"name": "blue", "devices": {"h1": "ppdcn1", "h2": "ppdcn2", "h3": "ppdcn3"}}' ||
	die "create network blue"

say "Instance ports: polyportctl plug on each host (sets host), a light guest on each tap"
M1=52:54:00:dc:00:01 M2=52:54:00:dc:00:02 M3=52:54:00:dc:00:03 MM=52:54:00:dc:00:20
# plug H ID TAP [MAC]: the tap made (--create) in H, the instance port by its id
plug() {
	local out
	out=$(hctl "$1" plug --id "$2" --device "$3" ${4:+--mac "$4"} --create --wait 0 2>&1) ||
		die "plug $2 on $1: $out"
	head -2 <<<"$out"
}
plug h1 vm1 ppdct1 "$M1"
plug h2 vm2 ppdct2 "$M2"
plug h3 vm3 ppdct3 "$M3"
plug h2 mover ppdctm "$MM"
guest g1 h1 ppdct1 ppdc-g1 "$M1" 10.60.0.11 ppdc-r1 10.62.0.1
guest g2 h2 ppdct2 ppdc-g2 "$M2" 10.60.0.12 ppdc-r2 10.62.0.2
guest g3 h3 ppdct3 ppdc-g3 "$M3" 10.60.0.13 ppdc-r3 10.62.0.3
guest gm2 h2 ppdctm ppdc-gm2 "$MM" 10.60.0.20
echo "  guests: vm1 10.60.0.11 (h1), vm2 .12 (h2), vm3 .13 (h3), mover .20 (h2), VLAN 100 each;"
echo "  vm1..vm3 also VLAN 300: 10.62.0.1, .2, .3 (for red, below)"

say "Service ports (VLAN 100 -> blue), through h1's API as well"
for s in s1:vm1 s2:vm2 s3:vm3 sm:mover; do
	hctl h1 create service-port "name=${s%%:*}" "instance-port=${s#*:}" vlan=100 bind.network=blue ||
		die "create service port ${s%%:*}"
done
all_active() {
	local h o
	for h in h1 h2 h3; do for o in vm1 vm2 vm3 mover; do st_is "$h" "$o" ACTIVE || return 1; done; done
}
until_s 10 all_active || die "not every instance port ACTIVE through every host's API"

say "h3's view: its own ports, and the other hosts' ports as they report them"
hctl h3 status

say "Traffic: each guest pings its host's side of blue"
for g in 1 2 3 m2; do
	echo "ppdc-g$g:"
	ping1 "ppdc-g$g" 10.60.0.1 | tail -2 | head -1
	((PIPESTATUS[0] == 0)) || die "guest g$g cannot reach 10.60.0.1"
done

say "Network red, stretched over VXLAN (VNI 100): VLAN 300 of vm1..vm3, through h1's API"
hctl h1 create network '{"name": "red", "vxlan": {"vni": 100}}' || die "create network red"
for s in r1:vm1 r2:vm2 r3:vm3; do
	hctl h1 create service-port "name=${s%%:*}" "instance-port=${s#*:}" vlan=300 bind.network=red ||
		die "create service port ${s%%:*}"
done
red_active() {
	local h o
	for h in h1 h2 h3; do for o in r1 r2 r3; do
		[[ $(hget "$h" "/v1/service-ports/$o" | jq -r .status.status) == ACTIVE ]] || return 1
	done; done
}
until_s 10 red_active || die "not every red service port ACTIVE through every host's API"
hctl h1 status | sed -n '/^CLUSTER/,/^$/p'
echo "  each host's VXLAN device (made by polyportd --vtep):"
for n in 1 2 3; do
	printf 'h%s$ ip -d link show ppvxlan\n  ' "$n"
	ip -n "ppdc-h$n" -d -o link show ppvxlan |
		sed -E 's/^[0-9]+: (ppvxlan: <[^>]*> mtu [0-9]+).*(vxlan external .* dstport [0-9]+ nolearning).*/\1 ... \2/'
done
echo "ppdc-r1 (vm1 on h1) -> 10.62.0.3 (vm3 on h3) over red:"
ping1 ppdc-r1 10.62.0.3 | tail -2 | head -1
((PIPESTATUS[0] == 0)) || die "vm1 cannot reach vm3 over red"
echo "  where h1 sends red's remote MACs (pp_remote: network, MAC -> VTEP):"
printf 'h1$ polyportctl --pin-root %s/h1 dump --canonical | grep pp_remote\n' "$BPF"
ip netns exec ppdc-h1 "$B/polyportctl" --pin-root "$BPF/h1" dump --canonical | grep '^pp_remote' | sed 's/^/  /'

say "The store: every object, host record and status is a key"
run etcdctl_c get --prefix "$P" --keys-only | grep -v '^$'

say "Moving \"mover\" from h2 to h3: plug on h3 (standby), the guest's first frame there commits it"
hctl h3 status | sed -n '/^ON OTHER HOSTS/,$p'
seq=$(hget h3 "/v1/events?since=0&timeout=0" | jq -r .next)
plug h3 mover ppdctm
until_s 5 st_is h3 mover DOWN || die "mover is not the standby on h3: $(st h3 mover) $(st h3 mover reason)"
echo "  through h1: host $(hget h1 /v1/instance-ports/mover | jq -r '"\(.host), migrating-to \(."migrating-to")"')"
echo "  on h3: $(st h3 mover) ($(st h3 mover reason))"
ping1 ppdc-gm2 10.60.0.1 1 >/dev/null || die "the guest on h2 lost its network while h3 waits"
echo "  the guest on h2 still reaches h2's side of blue"
kill -STOP "${GPID[gm2]}"	# the source VM pauses, as a live migration does
guest gm3 h3 ppdctm ppdc-gm3 "$MM" 10.60.0.20
t=$(date +%s%N)
ip netns exec ppdc-gm3 ping -c 1 -W 1 10.60.0.1 >/dev/null	# its ARP: the first frame on h3's tap
moved() { [[ $(hget h2 /v1/instance-ports/mover | jq -r '"\(.host)/\(."migrating-to" // "")"') == h3/ ]]; }
until_s 5 moved || die "host h3 not committed: $(hget h2 /v1/instance-ports/mover | jq -c '{host, "migrating-to"}')"
echo "  the guest on h3 pinged: host h3 committed $(ms_since "$t") ms later (seen through h2)"
ping1 ppdc-gm3 10.60.0.1 3 | tail -2 | head -1
((PIPESTATUS[0] == 0)) || die "the moved guest cannot reach h3's side of blue"
kill "${GPID[gm2]}"; kill -CONT "${GPID[gm2]}"; wait "${GPID[gm2]}"	# the source VM ends
unset 'GPID[gm2]'
hctl h2 unplug --id mover --delete-device || die "unplug mover on h2"
echo "  h3's events:"
hctl h3 events --since "$seq" | grep -E '^[0-9]+ +instance.port +mover ' | sed 's/^/  /'
hctl h3 status | sed -n '/^INSTANCE PORT/,/^$/p'

say "h2's daemon killed: its ports turn UNKNOWN (lease TTL 3 s), the dataplane keeps forwarding"
seq=$(hget h1 "/v1/events?since=0&timeout=0" | jq -r .next)
kill -9 "${DPID[h2]}"; wait "${DPID[h2]}" 2>/dev/null
unset 'DPID[h2]'
t=$(date +%s%N)
until_s 8 st_is h1 vm2 UNKNOWN || die "vm2 not UNKNOWN through h1: $(st h1 vm2)"
echo "  vm2 UNKNOWN through h1 after $(ms_since "$t") ms: $(st h1 vm2 reason)"
hctl h1 status | sed -n '/^CLUSTER/,$p'
echo "  h1's event stream carries h2's changes (\"host\" says whose):"
printf 'h1$ polyportctl -j events --since %s\n' "$seq"
ctl h1 -j events --since "$seq" | jq -c 'select(.host == "h2") | {seq, kind, name, status, host}' | sed 's/^/  /'
echo "  vm2's guest, without its daemon:"
ping1 ppdc-g2 10.60.0.1 | tail -2 | head -1
((PIPESTATUS[0] == 0)) || die "vm2 lost its network without its daemon"
t=$(date +%s%N)
echo "h2$ polyportd ... --host h2     (restarted on its pins and state dir)"
hstart h2
until_s 10 st_is h1 vm2 ACTIVE || die "vm2 not ACTIVE again through h1: $(st h1 vm2)"
echo "  vm2 ACTIVE again through h1 $(ms_since "$t") ms after the restart; h2's map writes: $(hget h2 /v1/stats | jq -r .map_writes)"

say "etcd stopped: traffic keeps flowing, writes answer 503"
etcd_stop
until_s 10 disconnected h1 || die "h1 still says connected"
echo "  h1: $(hget h1 /v1/status | jq -r '"connected \(.cluster.connected)"'); vm1's guest:"
ping1 ppdc-g1 10.60.0.1 | tail -2 | head -1
((PIPESTATUS[0] == 0)) || die "vm1 lost its network while etcd is away"
S3B='{"name": "s3b", "instance-port": "vm3", "vlan": 200, "mac": "52:54:00:dc:00:33", "bind": {"network": "blue"}}'
printf '$ curl --unix-socket %s/h1/api.sock -d %s http://localhost/v1/service-ports\n' "$RUN" "'$S3B'"
r=$(curl -s -m 10 -w '\n%{http_code}' --unix-socket "$RUN/h1/api.sock" -d "$S3B" http://localhost/v1/service-ports)
echo "  HTTP ${r##*$'\n'}: ${r%$'\n'*}"
[[ ${r##*$'\n'} == 503 ]] || die "the write answered ${r##*$'\n'}, not 503"

say "etcd started again: every host reconnects, the same write is accepted and converges"
etcd_up || die "etcd did not start again"
t=$(date +%s%N)
until_s 30 all_connected || die "not every host reconnected"
echo "  h1, h2, h3 connected again after $(ms_since "$t") ms"
hctl h1 create service-port "$S3B" || die "the write after etcd's return"
sp_active() { [[ $(hget "$1" "/v1/service-ports/$2" | jq -r .status.status) == ACTIVE ]]; }
until_s 5 sp_active h2 s3b ||
	die "s3b not ACTIVE through h2"
echo "  s3b ACTIVE through h2's API (programmed on h3)"
hctl h2 status | sed -n '/^CLUSTER/,/^$/p'

say "Look for yourself"
cat <<-EOT
	  $B/polyportctl --api-socket $RUN/h2/api.sock status   # any host's API
	  $B/polyportctl --api-socket $RUN/h1/api.sock events --follow
	  ip netns exec ppdc-etcd etcdctl --endpoints https://$EP_IP:2379 --cacert $CERTS/ca.crt \\
	      --cert $CERTS/client.crt --key $CERTS/client.key get --prefix $P
	  ip netns exec ppdc-g3 ping 10.60.0.1   # vm3 on h3's side of blue
	  ip netns exec ppdc-r1 ping 10.62.0.3   # vm1 (h1) -> vm3 (h3) over red, through VXLAN
	  ip netns exec ppdc-h3 tcpdump -ni ppdcu3 udp port 4789   # red on h3's underlay
	  less $RUN/h1.log $RUN/etcd.log   # the daemons' and etcd's logs
EOT
if ((WAIT)); then
	say "Press Enter to stop the demo and remove everything"
	read -r _
fi
echo "cluster demo: done in $(ms_since "$T0") ms"
