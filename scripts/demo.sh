#!/usr/bin/env bash
# The demo: one VM's tap carrying three networks through polyport.
#
#   networks tenant-a/b/c: namespaces ppd-a/b/c behind veths ppda0/ppdb0/ppdc0
#   the VM: a real QEMU guest (vm/boot.sh: Debian cloud kernel, busybox) with
#     one virtio vNIC on tap ppd-sf1 and a sub-interface per service port:
#     eth0.100 -> tenant-a, eth0.200 -> tenant-b, eth0.300.10 (QinQ) -> tenant-c
#   or, with --light-guest (or when the guest's packages cannot be fetched),
#     build/ppguest on the same tap, a real IP stack per sub-interface:
#     VLAN 100 -> tenant-a (ns ppd-vm-a), VLAN 200 -> tenant-b (ppd-vm-b),
#     QinQ [300, 10] -> tenant-c (ppd-vm-c)
#   polyportd on examples/demo/bindings.d, pinned under /sys/fs/bpf/polyport-demo
#
# Usage: scripts/demo.sh [--no-wait] [--real-vm | --light-guest]
#   (as root; `make run` builds first; --real-vm, the default, boots in
#   about 4 s and fetches the guest's Debian packages on its first run)
# Everything it creates starts with "ppd" and is removed on exit.
set -uo pipefail
cd "$(dirname "$0")/.."
B=$PWD/build
PIN=/sys/fs/bpf/polyport-demo
STATE=$(mktemp -d /tmp/ppd.XXXXXX)
WAIT=1 GUEST=real
for a in "$@"; do
	case "$a" in
	--no-wait) WAIT=0 ;;
	--real-vm) GUEST=real ;;
	--light-guest) GUEST=light ;;
	*) echo "usage: scripts/demo.sh [--no-wait] [--real-vm | --light-guest]" >&2; exit 2 ;;
	esac
done
[[ ! -t 0 ]] && WAIT=0
DPID= GPID=

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
# ping_each NS_PREFIX HOST COUNT: from NS_PREFIX{a,b,c}, ping address HOST of
# tenant a, b, c's subnet (10.10.0.0/24 ...); a failure clears ok
ping_each() {
	local i=0 n
	for n in a b c; do
		i=$((i + 1))
		run ip netns exec "$1$n" ping -c "$3" -i 0.2 -W 2 "10.${i}0.0.$2" | tail -2 || ok=0
	done
}

cleanup() {
	[[ -n "$GPID" ]] && kill "$GPID" 2>/dev/null && wait "$GPID" 2>/dev/null
	local q	# the real VM's QEMU, by its PID, should it outlive its timeout wrapper
	q=$(cat "$STATE/qemu.pid" 2>/dev/null)
	[[ -n "$q" && "$(cat "/proc/$q/comm" 2>/dev/null)" == qemu-system* ]] && kill "$q"
	[[ -n "$DPID" ]] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	"$B/polyportctl" --pin-root "$PIN" teardown >/dev/null 2>&1
	for ns in $(ip netns list | awk '{print $1}' | grep '^ppd-'); do ip netns del "$ns"; done
	for d in $(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^ppd'); do
		ip link del "$d" 2>/dev/null
	done
}
if [[ $(id -u) -ne 0 ]]; then echo "demo: run as root (sudo make run)" >&2; exit 1; fi
cleanup		# leftovers of an earlier run
trap 'cleanup; rm -rf "$STATE"' EXIT
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf

say "Networks: three namespaces with IP stacks, each behind a per-network veth"
i=0
for n in a b c; do
	i=$((i + 1))
	ip netns add "ppd-$n"
	ip link add "ppd${n}0" type veth peer name eth0 netns "ppd-$n"
	ip -n "ppd-$n" addr add "10.${i}0.0.1/24" dev eth0
	ip -n "ppd-$n" link set eth0 up
	ip link set "ppd${n}0" up
	sysctl -qw "net.ipv6.conf.ppd${n}0.disable_ipv6=1"
	echo "  tenant-$n: ppd${n}0 -> namespace ppd-$n, 10.${i}0.0.1/24"
done

say "polyportd on examples/demo/bindings.d (before the VM exists)"
run cat examples/demo/bindings.d/20-sf1.yaml
"$B/polyportd" -f --config examples/demo/bindings.d --pin-root "$PIN" --state-dir "$STATE" \
	--api-socket "$STATE/api.sock" \
	>"$STATE/polyportd.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do [[ -f "$STATE/status.json" ]] && break; sleep 0.05; done
run "$B/polyportctl" --api-socket "$STATE/api.sock" status

if [[ $GUEST == real ]]; then
	echo
	echo "building the real guest (the first run fetches the Debian kernel into /var/cache/polyport-vm)"
	rc=0
	vm/build.sh || rc=$?
	if ((rc == 3)); then
		echo "demo: the guest's Debian packages cannot be fetched: showing the light guest instead"
		GUEST=light
	elif ((rc != 0)); then
		echo "demo: building the guest failed"; exit 1
	fi
fi
if [[ $GUEST == real ]]; then
say "The VM boots: QEMU, one virtio vNIC on tap ppd-sf1, a sub-interface per service port"
CONSOLE=$STATE/console.log
VM_IFS=(--if match=vlan:100,addr=10.10.0.5/24,peer=10.10.0.1
	--if match=vlan:200,addr=10.20.0.5/24,peer=10.20.0.1,probe=10.10.0.1
	--if match=qinq:300.10,addr=10.30.0.5/24,mac=52:54:00:d0:00:03,peer=10.30.0.1)
((WAIT)) && T=3600 || T=120
printf '$ %s\n' "vm/boot.sh --tap ppd-sf1 --mac 52:54:00:d0:00:01 --hold ${VM_IFS[*]}"
vm/boot.sh --no-build --tap ppd-sf1 --mac 52:54:00:d0:00:01 --hold --timeout "$T" \
	--pidfile "$STATE/qemu.pid" "${VM_IFS[@]}" </dev/null >"$CONSOLE" 2>&1 &
GPID=$!
t0=$(date +%s%N)
# console_wait PATTERN SECONDS: until the guest prints PATTERN
console_wait() {
	for _ in $(seq $(($2 * 20))); do
		grep -q "$1" "$CONSOLE" 2>/dev/null && return 0
		kill -0 "$GPID" 2>/dev/null || break
		sleep 0.05
	done
	grep -q "$1" "$CONSOLE" 2>/dev/null
}
ok=1
if console_wait "^PPVM ready" 40; then
	echo "  the guest is up after $(( ($(date +%s%N) - t0) / 1000000 )) ms; its console says:"
	grep -E "^PPVM (init|if|ready)" "$CONSOLE" | sed 's/^/  | /'
else
	echo "demo: the guest did not come up:"; tail -5 "$CONSOLE"; exit 1
fi
run "$B/polyportctl" --api-socket "$STATE/api.sock" status

say "Traffic: the VM pings each network over its own VLAN (from inside the guest)"
console_wait "^PPVM done" 30 || ok=0
grep -E "^PPVM ping" "$CONSOLE" | sed 's/^/  | /'
[[ $(grep -c "^PPVM ping .* received=3" "$CONSOLE") == 3 ]] || ok=0
echo "  and each network reaches the VM's sub-interface:"
ping_each ppd- 5 2
say "Isolation: tenant-b's VLAN cannot reach tenant-a's address"
grep -E "^PPVM probe" "$CONSOLE" | sed 's/^/  | /'
if grep -q "^PPVM probe eth0.200 10.10.0.1 replies=0" "$CONSOLE"; then
	echo "  eth0.200 asked for tenant-a's 10.10.0.1 (ARP) and nobody answered: isolated"
else
	echo "  LEAK (or no result): VLAN 200 reached tenant-a"; ok=0
fi
grep -q "^PPVM done .* errors=0" "$CONSOLE" || ok=0
else
say "The VM boots: one tap, a sub-interface per service port"
for n in a b c; do ip netns add "ppd-vm-$n"; ip -n "ppd-vm-$n" link set lo up; done
"$B/ppguest" --tap ppd-sf1 --ready-file "$STATE/guest.ready" \
	--port ns=ppd-vm-a,dev=eth0,mac=52:54:00:d0:00:01,match=vlan:100 \
	--port ns=ppd-vm-b,dev=eth0,mac=52:54:00:d0:00:01,match=vlan:200 \
	--port ns=ppd-vm-c,dev=eth0,mac=52:54:00:d0:00:03,match=qinq:300.10 \
	>"$STATE/guest.log" 2>&1 &
GPID=$!
for _ in $(seq 100); do [[ -f "$STATE/guest.ready" ]] && break; sleep 0.05; done
i=0
for n in a b c; do
	i=$((i + 1))
	ip -n "ppd-vm-$n" addr add "10.${i}0.0.5/24" dev eth0
done
sleep 0.2
run "$B/polyportctl" --api-socket "$STATE/api.sock" status

say "Traffic: the VM pings each network over its own VLAN"
ok=1
ping_each ppd-vm- 1 3
say "Isolation: tenant-b's VLAN cannot reach tenant-a's address"
if ip -n ppd-vm-b addr add 10.10.0.99/24 dev eth0 &&
	ip netns exec ppd-vm-b ping -c 2 -W 1 -I 10.10.0.99 10.10.0.1 >/dev/null 2>&1; then
	echo "  LEAK: VLAN 200 reached tenant-a"; ok=0
else
	echo "  VLAN 200 with a tenant-a address reaches nothing on tenant-a: isolated"
fi
ip -n ppd-vm-b addr del 10.10.0.99/24 dev eth0 2>/dev/null

fi

say "Per-network counters and drops"
run "$B/polyportctl" --api-socket "$STATE/api.sock" stats

say "Look for yourself"
cat <<-EOT
	  $B/polyportctl --api-socket $STATE/api.sock status [--json]
	  $B/polyportctl --api-socket $STATE/api.sock stats [--json]
	  $B/polyportctl --api-socket $STATE/api.sock get service-ports
	  curl --unix-socket $STATE/api.sock http://localhost/v1/instance-ports/sf1
	  curl --unix-socket $STATE/api.sock http://localhost/metrics
	  bpftool net show dev ppd-sf1
	  bpftool map dump pinned $PIN/pp_sports        # service ports, named fields
	  bpftool map dump pinned $PIN/pp_iport_drops   # drops by reason, per CPU
EOT
if [[ $GUEST == real ]]; then cat <<-EOT
	  ip netns exec ppd-a ping 10.10.0.5                # tenant-a reaches the VM's eth0.100
	  cat $STATE/console.log   # the VM's serial console
EOT
else cat <<-EOT
	  ip netns exec ppd-vm-a ping 10.10.0.1             # the VM on VLAN 100
EOT
fi
run bpftool net show dev ppd-sf1
if ((WAIT)); then
	say "Press Enter to stop the demo and remove everything"
	read -r _
fi
((ok)) && echo "demo: every network answered over its own VLAN" || { echo "demo: FAILED"; exit 1; }
