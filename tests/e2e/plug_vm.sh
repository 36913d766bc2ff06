#!/usr/bin/env bash
# End to end with the real guest (vm/build.sh, vm/boot.sh): QEMU started
# from the arguments `polyportctl plug --json` prints (issue 18), twice:
#
#   round 1  plug --create: a pre-created tap, QEMU's "qemu.tap" arguments
#            (ifname=pptyt1,script=no,downscript=no)
#   round 2  plug without a tap: QEMU's "qemu.hooks" arguments, QEMU creates
#            pptyt2 and runs scripts/polyport-ifup / polyport-ifdown on it
#            (POLYPORT_HOOK_DIR: the source tree's scripts/; POLYPORTCTL: a
#            wrapper running build/polyportctl on this suite's API socket)
#
# Each round's guest has three sub-interfaces, one per network (namespaces
# ppty-n{a,b,q} behind veths ppty{na,nb,nq}, 10.{1,2,3}.0.1/24):
#
#   eth0.100       vlan 100          network ya   10.1.0.1R
#   eth0.200       vlan 200          network yb   10.2.0.1R
#   eth0.300.10    QinQ [300, 10]    network yq   10.3.0.1R    (R: the round)
#
# and pings each network's host (3 echoes).  The "plugged" event must come
# before the guest's first frame reaches a network; unplug --delete-device
# --purge must leave no trace (tap, pp_devs entry, API objects).
# vhost=on is dropped from plug's arguments: no /dev/vhost-net here.
PPT_NAME=plug-vm
PPT_SCOPE=ppty	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
need_root
T0=$(date +%s%N)
command -v jq >/dev/null || { fail "plug-vm: jq missing (make deps)"; exit 1; }

BOOTPID=
vm_cleanup() {
	[[ -n "$BOOTPID" ]] && kill "$BOOTPID" 2>/dev/null
	qemu_stop "$WORK/qemu.pid"
	[[ -n "$BOOTPID" ]] && wait "$BOOTPID" 2>/dev/null
	BOOTPID=
	cleanup_leftovers
}
trap 'vm_cleanup; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM
vm_cleanup
mount_bpffs

vm_guest_build plug-vm

# ---- networks, daemon, events ----------------------------------------------------------
daemon_dirs
NETS=(a b q)
declare -A MATCH=([a]=vlan:100 [b]=vlan:200 [q]=qinq:300.10)
declare -A YMATCH=([a]=100 [b]=200 [q]='[300,10]')
declare -A K=([a]=1 [b]=2 [q]=3)
netns_nets ppty a b q	# ppty-n{a,b,q}: 10.{1,2,3}.0.1/24 behind ppty{na,nb,nq}
{
	echo "networks:"
	for n in "${NETS[@]}"; do echo "  y$n: {device: pptyn$n}"; done
} >"$CONF/10-nets.yaml"
daemon_start || { fail "plug-vm: polyportd did not start: $(tail -3 "$WORK/daemon.log" | tr '\n' ' ')"; exit 1; }
"$B/polyportctl" --api-socket "$API" -j events --since 0 --follow >"$WORK/events.log" 2>&1 &
PIDS+=($!)
# what the hooks run: the build tree's polyportctl on this daemon
cat >"$WORK/polyportctl" <<EOF
#!/bin/sh
exec "$B/polyportctl" --api-socket "$API" --pin-root "$PIN" "\$@"
EOF
chmod +x "$WORK/polyportctl"

api_get() { curl -s -m 30 --unix-socket "$API" "http://localhost$1"; }
iport() { api_get "/v1/instance-ports?id=$1" | jq -c --arg id "$1" '[.[]? | select(.id == $id)][0] // empty'; }
event() {
	jq -c --arg c "$1" --arg id "$2" \
		'select(.kind == "instance-port" and .change == $c and .id == $id)' \
		"$WORK/events.log" 2>/dev/null | head -1
}
has_event() { [[ -n "$(event "$@")" ]]; }
secs() { awk -v ns="$1" 'BEGIN {printf "%.2f", ns / 1e9}'; }
# pp_devs_has IFINDEX: pp_devs holds an entry written for IFINDEX
pp_devs_has() {
	local k
	k=$(printf '0x%02x 0x%02x 0x%02x 0x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))
	# shellcheck disable=SC2086
	bpftool -j map lookup pinned "$PIN/pp_devs" key $k 2>/dev/null |
		jq -e --argjson i "$1" '(.formatted.value // .value) | .flags != 0 and .ifindex == $i' >/dev/null
}

# ---- a round ----------------------------------------------------------------------
# round R HOW: HOW is tap (plug --create, "qemu.tap") or hooks (plug, "qemu.hooks")
round() {
	local r=$1 how=$2 id=ppty-vm-$1 tap=pptyt$1 imac=52:54:00:79:0$1:0a n args=() a drop=() ifs=()
	local out prc tp t_plug ev et first f line st idx serial=$WORK/serial$1.log tb td
	local -A gmac
	for n in "${NETS[@]}"; do gmac[$n]=52:54:00:79:0$r:${K[$n]}${K[$n]}; done
	echo "      -- round $r: $how"
	tp=$(date +%s%N)
	if [[ $how == tap ]]; then
		out=$(ctl plug --id "$id" --device "$tap" --mac "$imac" --create --wait 10 --json 2>"$WORK/plug$r.err"); prc=$?
	else
		out=$(POLYPORT_HOOK_DIR=$TOP/scripts ctl plug --id "$id" --device "$tap" --mac "$imac" --wait 0 \
			--json 2>"$WORK/plug$r.err"); prc=$?
	fi
	t_plug=$(date +%s%N)
	echo "      plug --json: $(jq -c 'del(.libvirt, ."libvirt-hooks")' <<<"$out" 2>/dev/null || head -c 300 <<<"$out")"
	if [[ $how == tap ]]; then
		[[ $prc == 0 && "$(jq -r .status <<<"$out" 2>/dev/null)" == ACTIVE && -e /sys/class/net/$tap ]] &&
			pass "round $r: plug --create: tap $tap made, instance port ACTIVE in $(( (t_plug - tp) / 1000000 )) ms" ||
			fail "round $r: plug --create: rc=$prc status $(jq -r .status <<<"$out" 2>/dev/null): $(head -c 200 "$WORK/plug$r.err")"
		sysctl -qw "net.ipv6.conf.$tap.disable_ipv6=1" 2>/dev/null
	else
		[[ $prc == 0 && -n "$(iport "$id")" && ! -e /sys/class/net/$tap ]] ||
			fail "round $r: plug without a tap: rc=$prc: $(head -c 200 "$WORK/plug$r.err")"
	fi
	for n in "${NETS[@]}"; do
		ctl create service-port "name=ppty-$r-$n" "instance-port=$id" "vlan=${YMATCH[$n]}" \
			"mac=${gmac[$n]}" "bind.network=y$n" >/dev/null ||
			fail "round $r: creating service port ppty-$r-$n failed"
	done
	mapfile -t args < <(jq -r --arg k "$how" '.qemu[$k][]?' <<<"$out" 2>/dev/null)
	# vhost=on: no /dev/vhost-net on this kernel; no option ROM file here
	for a in "${!args[@]}"; do
		if [[ ${args[$a]} == *,vhost=on* ]]; then
			args[$a]=${args[$a]//,vhost=on/}
			drop+=("vhost=on dropped (no /dev/vhost-net on this kernel)")
		fi
		if [[ ${args[$a]} == virtio-net-pci,* && ${args[$a]} != *romfile=* && ! -e /usr/share/qemu/efi-virtio.rom ]]; then
			args[$a]+=",romfile="
			drop+=("romfile= added (no efi-virtio.rom installed)")
		fi
	done
	echo "      QEMU arguments from plug's \"qemu\".\"$how\": ${args[*]}"
	((${#drop[@]})) && printf '        changed: %s\n' "${drop[@]}"
	a=" ${args[*]} "
	if [[ $how == tap ]]; then
		[[ "$a" == *"ifname=$tap,"* && "$a" == *"script=no"* && "$a" == *"downscript=no"* && "$a" == *"mac=$imac"* ]] ||
			fail "round $r: plug's qemu.tap arguments lack ifname=$tap, script=no, downscript=no or mac=$imac: $a"
	else
		[[ "$a" == *"ifname=$tap,"* && "$a" == *"script=$TOP/scripts/polyport-ifup"* &&
			"$a" == *"downscript=$TOP/scripts/polyport-ifdown"* && "$a" == *"mac=$imac"* ]] ||
			fail "round $r: plug's qemu.hooks arguments lack ifname=$tap, script=/downscript= in \$POLYPORT_HOOK_DIR or mac=$imac: $a"
	fi
	((${#args[@]})) || { fail "round $r: plug printed no \"qemu\".\"$how\" arguments"; return; }

	for n in "${NETS[@]}"; do
		capture_start "r${r}$n" "ppty-n$n" eth0 ether src "${gmac[$n]}" || return
		ifs+=(--if "match=${MATCH[$n]},addr=10.${K[$n]}.0.1$r/24,mac=${gmac[$n]},peer=10.${K[$n]}.0.1")
	done
	tb=$(date +%s%N)
	POLYPORTCTL=$WORK/polyportctl POLYPORT_HOOK_DIR=$TOP/scripts \
		"$TOP/vm/boot.sh" --no-build --netdev-args "${args[*]}" --timeout 40 --pidfile "$WORK/qemu.pid" \
		"${ifs[@]}" </dev/null >"$serial" 2>&1 &
	BOOTPID=$!
	for _ in $(seq 400); do
		grep -q "^PPVM done" "$serial" 2>/dev/null && break
		kill -0 "$BOOTPID" 2>/dev/null || break
		sleep 0.1
	done
	td=$(date +%s%N)
	for _ in $(seq 50); do kill -0 "$BOOTPID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$BOOTPID" 2>/dev/null; then
		fail "round $r: QEMU still runs 5 s after the guest's 'done' (or 40 s passed): $(tail -3 "$serial" | tr '\n' ' ')"
		vm_kill
	else
		wait "$BOOTPID"; rc=$?
		((rc == 0)) && pass "round $r: the guest booted from plug's QEMU arguments and powered off cleanly ($(secs $((td - tb))) s)" ||
			fail "round $r: QEMU exited $rc: $(grep -v '^PPVM' "$serial" | tail -3 | tr '\n' ' ')"
	fi
	BOOTPID=
	sed -n 's/^\(PPVM .*\)/      | \1/p' "$serial" | tr -d '\r'
	for n in "${NETS[@]}"; do
		line=$(grep "^PPVM ping " "$serial" | grep " 10.${K[$n]}.0.1 " | head -1 | tr -d '\r')
		[[ "$line" == *received=3* ]] &&
			pass "round $r: ${MATCH[$n]} reaches network y$n: 3/3 echoes from 10.${K[$n]}.0.1" ||
			fail "round $r: ${MATCH[$n]} -> y$n: ${line:-no ping result}"
	done

	# the plugged event, before the first frame
	first=
	for n in "${NETS[@]}"; do
		capture_stop "r${r}$n" >/dev/null
		f=$(tcpdump -tt -nn -r "$WORK/r${r}$n.pcap" 2>/dev/null | head -1 | awk '{print $1}')
		[[ -n "$f" ]] && { [[ -z "$first" ]] || awk -v a="$f" -v b="$first" 'BEGIN { exit !(a < b) }'; } && first=$f
	done
	ev=$(event plugged "$id")
	et=$(jq -r '.time // empty' <<<"$ev" 2>/dev/null)
	if [[ -n "$ev" && -n "$first" && "$(jq -r .tap <<<"$ev")" == "$tap" ]] &&
		awk -v e="$et" -v f="$first" 'BEGIN { exit !(e <= f) }'; then
		pass "round $r: \"plugged\" for $id (tap $tap) comes before the guest's first frame on a network"
	else
		fail "round $r: plugged event '${ev:0:200}', first frame at ${first:-none}"
	fi
	if [[ -n "$first" ]]; then
		echo "      measured: round $r ($how): plug -> first frame $(awk -v p="$tp" -v f="$first" 'BEGIN {printf "%.2f", f - p / 1e9}') s" \
			"(QEMU start -> first frame $(awk -v p="$tb" -v f="$first" 'BEGIN {printf "%.2f", f - p / 1e9}') s," \
			"plugged event -> first frame $(awk -v e="${et:-0}" -v f="$first" 'BEGIN {printf "%.2f", f - e}') s)"
	fi

	# unplug: no trace left
	idx=$(jq -r '.ifindex // empty' <<<"$out" 2>/dev/null)
	[[ -z "$idx" ]] && idx=$(cat "$WORK/ifindex$r" 2>/dev/null)
	# the pre-created tap outlives QEMU: its pp_devs entry is there to be removed
	if [[ $how == tap ]] && ! pp_devs_has "${idx:-0}"; then
		fail "round $r: before unplug, pp_devs has no entry for $tap (ifindex ${idx:-?}): the trace check below would prove nothing"
	fi
	ctl unplug --id "$id" --delete-device --purge >"$WORK/unplug$r.out" 2>&1; rc=$?
	sleep 0.3
	st=
	[[ $rc == 0 ]] || st+=" unplug exited $rc ($(tail -1 "$WORK/unplug$r.out"));"
	[[ -e /sys/class/net/$tap ]] && st+=" tap $tap still exists;"
	[[ -n "$idx" ]] && pp_devs_has "$idx" && st+=" pp_devs still has ifindex $idx;"
	[[ -n "$(iport "$id")" ]] && st+=" the instance port is still in the API;"
	api_get /v1/service-ports | jq -e --arg p "ppty-$r-" 'any(.[]?; .name | startswith($p))' >/dev/null &&
		st+=" its service ports are still in the API;"
	[[ -z "$st" ]] && pass "round $r: unplug --delete-device --purge leaves no trace (no tap, no pp_devs entry for ifindex ${idx:-?}, no instance port or service port in the API)" ||
		fail "round $r: unplug:$st"
	wait_for 2 has_event unplugged "$id" && pass "round $r: \"unplugged\" event for $id" ||
		fail "round $r: no unplugged event for $id"
}
vm_kill() {
	local pid
	pid=$(cat "$WORK/qemu.pid" 2>/dev/null)
	[[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == qemu-system* ]] && kill "$pid" 2>/dev/null
	wait "$BOOTPID" 2>/dev/null
}

# the tap's ifindex while it exists (for the pp_devs check after unplug)
watch_ifindex() {
	local r=$1
	for _ in $(seq 600); do
		[[ -e /sys/class/net/pptyt$r ]] && { cat "/sys/class/net/pptyt$r/ifindex" >"$WORK/ifindex$r"; return; }
		sleep 0.05
	done
}
watch_ifindex 1 &
PIDS+=($!)
round 1 tap
watch_ifindex 2 &
PIDS+=($!)
round 2 hooks

T1=$(date +%s%N)
echo "      test total $(secs $((T1 - T0))) s"
if ((FAILED)); then
	echo "      polyportd's log (last lines):"
	tail -15 "$WORK/daemon.log" | sed 's/^/      | /'
fi
daemon_stop
exit $FAILED
