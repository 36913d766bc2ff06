#!/usr/bin/env bash
# End to end: a compute service consumes instance ports by id (issue 18):
# `polyportctl plug` / `unplug`, taps bound by alias, unprivileged openers,
# the plugged / unplugged / activated events and a migration between taps.
#
#   network wa: namespace pptw-na (10.1.0.1/24) behind veth pptwna
#   every instance port below has one service port, vlan 100 -> wa, and its
#   light guest (build/ppguest) puts namespace pptw-g* (10.1.0.x) on it:
#
#   id             tap                  how                          guest
#   pptw-idem-1    pptwi1               plug --create, twice         -
#   pptw-alias-1   pptwzany0            a file's id; the tap's alias  10.1.0.11
#   pptw-own-1/2   pptwo1 / pptwo2      plug --create [--owner]      QEMU -S as pptw-qemu
#   pptw-mode-1    pptwmd1              plug --create (vnet header)  10.1.0.12
#   pptw-ev-1      pptwe1 (by ppguest)  plug without the tap         10.1.0.13
#   pptw-mig-1     pptwm1, pptwm2, -m3  plug --create, then again    10.1.0.30 (twice)
#
# Names: namespaces pptw-*, devices pptw*, users pptw-qemu and pptw-other,
# pins under /sys/fs/bpf/ppt-plug (tpid.sh owns pptp*).
PPT_NAME=plug
PPT_SCOPE=pptw	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
suite_start
daemon_dirs
command -v jq >/dev/null || { fail "plug: jq missing (make deps)"; exit 1; }

QUSER=pptw-qemu OUSER=pptw-other
MA=52:54:00:77:00:11 MI=52:54:00:77:00:01 MO=52:54:00:77:00:02 MD=52:54:00:77:00:12
ME=52:54:00:77:00:13 MM=52:54:00:77:00:30
OPENERS=()
plug_cleanup() {
	local pid
	for pid in "${OPENERS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${OPENERS[@]}"; do wait "$pid" 2>/dev/null; done
	OPENERS=()
	userdel "$QUSER" >/dev/null 2>&1
	userdel "$OUSER" >/dev/null 2>&1
}
trap 'plug_cleanup; finish' EXIT
plug_cleanup

# ---- helpers ---------------------------------------------------------------------
api_get() { curl -s -m 30 --unix-socket "$API" "http://localhost$1"; }
map_writes() { api_get /v1/stats | jq -r '.map_writes // empty'; }
# iport ID: the instance port with that id, as GET /v1/instance-ports?id= gives it
iport() { api_get "/v1/instance-ports?id=$1" | jq -c --arg id "$1" '[.[]? | select(.id == $id)][0] // empty'; }
# ist ID KEY: a field of its status (arrays joined by ",")
ist() {
	iport "$1" | jq -r --arg k "$2" \
		'.status[$k] // empty | if type == "array" then join(",") else tostring end'
}
# ist_is ID KEY VALUE: for wait_for
ist_is() { [[ "$(ist "$1" "$2")" == "$3" ]]; }
# plug ARGS...: polyportctl plug --json; PLUG (stdout), PLUGERR (stderr), PRC (exit)
plug() {
	ctl plug "$@" --json >"$WORK/plug.out" 2>"$WORK/plug.err"
	PRC=$?
	PLUG=$(cat "$WORK/plug.out") PLUGERR=$(cat "$WORK/plug.err")
}
pj() { jq -r "$1 | if . == null then empty else tostring end" <<<"$PLUG" 2>/dev/null; }
ifindex() { cat "/sys/class/net/$1/ifindex" 2>/dev/null; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
now() { date +%s%N; }
# drops ID REASON: instance port ID's drop counter (GET /v1/stats)
drops() {
	api_get /v1/stats | jq -r --arg n "$1" --arg r "$2" \
		'[.drops[]? | select(."instance-port" == $n) | .reasons[$r]][0] // 0'
}
# status_mode NAME: the effective mode in the daemon's status.json (no API call)
status_mode() {
	jq -r --arg n "$1" '.instance_ports[]? | select(.name == $n) | ."effective-mode" // empty' \
		"$STATE/status.json" 2>/dev/null
}
mode_is() { [[ "$(status_mode "$1")" == "$2" ]]; }
# event CHANGE ID [TAP]: the first instance-port event of that change for ID
# (and TAP) that `polyportctl events --follow` printed since the daemon started
event() {
	jq -c --arg c "$1" --arg id "$2" --arg t "${3:-}" \
		'select(.kind == "instance-port" and .change == $c and .id == $id and ($t == "" or .tap == $t))' \
		"$WORK/events.log" 2>/dev/null | head -1
}
has_event() { [[ -n "$(event "$@")" ]]; }
# port_from_instance GUEST NS: frames the light guest's port in NS got from its tap
port_from_instance() {
	local var="GUEST_$1" n
	kill -USR1 "${!var}" 2>/dev/null
	sleep 0.3
	n=$(grep -o "ns=$2 .*from_instance_frames=[0-9]*" "$WORK/$1.log" | tail -1 | sed 's/.*from_instance_frames=//')
	echo "${n:-0}"
}
# garp MAC IP: a gratuitous ARP request (hex) from MAC for IP
garp() {
	local m=${1//:/} ip
	ip=$(printf '%02x' ${2//./ })
	# ARP over Ethernet/IPv4, request, sender = target = IP
	printf 'ffffffffffff%s0806' "$m"
	printf '0001080006040001%s%s000000000000%s' "$m" "$ip" "$ip"
}
# quiet_ns NS: a guest namespace that sends nothing on its own (no IPv6 on
# the interfaces ppguest creates in it)
quiet_ns() {
	guest_ns "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}
no_v6() { sysctl -qw "net.ipv6.conf.$1.disable_ipv6=1" 2>/dev/null; }
# sport NAME ID: a service port vlan 100 on the instance port of ID, to network wa
sport() { ctl create service-port "name=$1" "instance-port=$2" vlan=100 bind.network=wa >/dev/null; }

# ---- topology and daemon ---------------------------------------------------------------
netns_nets pptw a	# pptw-na 10.1.0.1/24 behind pptwna
cat >"$CONF/10-plug.yaml" <<EOF
networks:
  wa: {device: pptwna}
instance-ports:
  w-alias:
    id: pptw-alias-1
    mac: $MA
    service-ports:
      w-alias-s: {vlan: 100, bind: {network: wa}}
EOF
daemon_start || { fail "plug: polyportd did not start: $(tail -3 "$WORK/daemon.log" | tr '\n' ' ')"; exit 1; }
"$B/polyportctl" --api-socket "$API" -j events --since 0 --follow >"$WORK/events.log" 2>&1 &
PIDS+=($!)
if ! "$B/polyportctl" --help 2>&1 | grep -qw plug; then
	fail "plug: polyportctl has no plug command"
fi

# ---- idempotence ---------------------------------------------------------------------------
w0=$(map_writes)
t0=$(now)
plug --id pptw-idem-1 --device pptwi1 --mac "$MI" --mtu 1500 --create --wait 5
t_active=$(ms "$t0" "$(now)")
no_v6 pptwi1
idx1=$(ifindex pptwi1)
echo "      measured: plug --create -> ACTIVE in $t_active ms (polyportctl's own run, tap created and programmed)"
echo "      plug --json: $(jq -c 'del(.libvirt, ."libvirt-hooks")' <<<"$PLUG" 2>/dev/null || echo "$PLUG" | head -c 300)"
if [[ $PRC == 0 && "$(pj .tap)" == pptwi1 && "$(pj .status)" == ACTIVE && "$(pj .changed)" == true &&
	"$(pj .name)" == pptw-idem-1 && "$(pj .id)" == pptw-idem-1 && -n "$idx1" ]]; then
	pass "plug: --create makes the tap and an ACTIVE instance port named after the id ($t_active ms)"
else
	fail "plug: first plug rc=$PRC tap=$(pj .tap) status=$(pj .status) changed=$(pj .changed) name=$(pj .name): $(head -c 300 <<<"$PLUGERR")"
fi
FIRST=$PLUG
sleep 0.3
w1=$(map_writes)
plug --id pptw-idem-1 --device pptwi1 --mac "$MI" --mtu 1500 --create --wait 5
sleep 0.5	# whatever the second plug set off has run by now
w2=$(map_writes)
if [[ $PRC == 0 && "$(pj .tap)" == pptwi1 && "$(pj .changed)" == false && "$(ifindex pptwi1)" == "$idx1" &&
	-n "$w1" && "$w1" == "$w2" ]]; then
	pass "plug: plug twice -> the same tap (ifindex $idx1), exit 0, \"changed\": false, no map write ($w1 before and after; the first plug made $((w1 - w0)))"
else
	fail "plug: second plug rc=$PRC tap=$(pj .tap) changed=$(pj .changed) ifindex $idx1 -> $(ifindex pptwi1), map writes $w1 -> $w2: $(head -c 300 <<<"$PLUGERR")"
fi

# libvirt: the <interface> plug printed, inside a minimal domain
PLUG=$FIRST
jq -r '.libvirt // empty' <<<"$FIRST" >"$WORK/iface.xml" 2>/dev/null
{
	echo "<domain type='kvm'><name>pptw</name><memory unit='KiB'>131072</memory>"
	echo "<os><type arch='x86_64'>hvm</type></os><devices>"
	cat "$WORK/iface.xml"
	echo "</devices></domain>"
} >"$WORK/domain.xml"
x=$(tr -s ' \n\t' ' ' <"$WORK/iface.xml")
q="[\"']"
if [[ "$x" =~ \<interface\ type=${q}ethernet${q} && "$x" =~ \<target\ dev=${q}pptwi1${q}\ managed=${q}no${q} &&
	"$x" =~ \<mac\ address=${q}$MI${q} && "$x" =~ \</interface\> ]]; then
	structural=ok
else
	structural="not found in: ${x:0:300}"
fi
if command -v virt-xml-validate >/dev/null; then
	out=$(virt-xml-validate "$WORK/domain.xml" domain 2>&1); rc=$?
	echo "      libvirt XML checked with virt-xml-validate ($(dpkg-query -W -f='${Version}' libvirt-clients 2>/dev/null)) and structurally"
	[[ $rc == 0 && $structural == ok ]] &&
		pass "libvirt: plug's <interface type='ethernet'> validates against libvirt's domain schema (virt-xml-validate), target dev pptwi1 managed='no', mac $MI" ||
		fail "libvirt: virt-xml-validate rc=$rc ($(tail -2 <<<"$out" | tr '\n' ' ')); structure: $structural"
	# the hooks' variant: libvirt makes the tap and runs polyport-ifup on it
	jq -r '."libvirt-hooks" // empty' <<<"$FIRST" >"$WORK/iface-hooks.xml" 2>/dev/null
	head -2 "$WORK/domain.xml" >"$WORK/domain-hooks.xml"
	cat "$WORK/iface-hooks.xml" >>"$WORK/domain-hooks.xml"
	echo "</devices></domain>" >>"$WORK/domain-hooks.xml"
	out=$(virt-xml-validate "$WORK/domain-hooks.xml" domain 2>&1); rc=$?
	[[ $rc == 0 ]] && grep -q "<script path=.*/polyport-ifup" "$WORK/iface-hooks.xml" &&
		pass "libvirt: plug's hooks variant (<script path='.../polyport-ifup'/>) validates too (virt-xml-validate)" ||
		fail "libvirt: hooks variant: virt-xml-validate rc=$rc ($(tail -2 <<<"$out" | tr '\n' ' ')): $(head -c 200 "$WORK/iface-hooks.xml")"
else
	echo "      libvirt XML: virt-xml-validate is not installed: a structural check only"
	[[ $structural == ok ]] &&
		pass "libvirt: plug's XML is <interface type='ethernet'> with target dev pptwi1 managed='no' and mac $MI (structural check; no virt-xml-validate)" ||
		fail "libvirt: structure: $structural"
fi

# unplug, twice: the instance port and the tap go, the second is a no-op
ctl unplug --id pptw-idem-1 --delete-device --purge >"$WORK/unplug1.out" 2>&1; u1=$?
ctl unplug --id pptw-idem-1 --delete-device --purge >"$WORK/unplug2.out" 2>&1; u2=$?
[[ $u1 == 0 && $u2 == 0 && -z "$(iport pptw-idem-1)" && ! -e /sys/class/net/pptwi1 ]] &&
	pass "unplug: unplug twice -> exit 0 both times; the instance port and the tap are gone" ||
	fail "unplug: rc $u1 then $u2, port: $(iport pptw-idem-1 | head -c 100), tap: $(ifindex pptwi1): $(tail -2 "$WORK/unplug2.out" | tr '\n' ' ')"

# ---- conflicting properties: refused, naming them, nothing changed -------------------------
# refused NAME PATTERN DEV CHECK...: the last plug failed, its message matches
# PATTERN, no instance port has its id, no map was written, and CHECK holds
refused() {
	local name=$1 pat=$2 id=$3 w=$4 msg
	shift 4
	msg="$PLUG $PLUGERR"
	sleep 0.3
	if [[ $PRC != 0 && "${msg,,}" =~ $pat && -z "$(iport "$id")" && "$(map_writes)" == "$w" ]] && "$@"; then
		pass "$name ($(tr '\n' ' ' <<<"$PLUGERR" | head -c 160))"
	else
		fail "$name: rc=$PRC, '$(tr '\n' ' ' <<<"$msg" | head -c 200)', port: $(iport "$id" | head -c 80), map writes $w -> $(map_writes)"
	fi
}
mtu_is() { [[ "$(cat "/sys/class/net/$1/mtu")" == "$2" ]]; }
ip tuntap add pptwc1 mode tap vnet_hdr
ip link set pptwc1 mtu 1400
w=$(map_writes)
plug --id pptw-conf-1 --device pptwc1 --mac 52:54:00:77:00:c1 --mtu 1500 --create --wait 2
refused "conflict: an existing tap with another MTU is refused, naming the MTU" 'mtu.*1400|1400.*mtu' \
	pptw-conf-1 "$w" mtu_is pptwc1 1400

useradd -r -M -N -s /usr/sbin/nologin "$QUSER" && useradd -r -M -N -s /usr/sbin/nologin "$OUSER" ||
	fail "owner: cannot create users $QUSER, $OUSER"
QUID=$(id -u "$QUSER") OUID=$(id -u "$OUSER")
ip tuntap add pptwc2 mode tap vnet_hdr user "$OUSER"
owner_is() { [[ "$(cat "/sys/class/net/$1/owner")" == "$2" ]]; }
w=$(map_writes)
plug --id pptw-conf-2 --device pptwc2 --mac 52:54:00:77:00:c2 --create --owner "$QUSER" --wait 2
refused "conflict: an existing tap of another owner is refused, naming the owner" 'owner' \
	pptw-conf-2 "$w" owner_is pptwc2 "$OUID"

ip link add pptwc3 type veth peer name pptwc3p
not_tap() { [[ -e /sys/class/net/$1 && ! -e /sys/class/net/$1/tun_flags ]]; }
w=$(map_writes)
plug --id pptw-conf-3 --device pptwc3 --mac 52:54:00:77:00:c3 --create --wait 2
refused "conflict: a device of that name that is not a tap is refused, saying so" 'not a tap|no tap|not a tun|veth' \
	pptw-conf-3 "$w" not_tap pptwc3

w=$(map_writes)
mac_before=$(iport pptw-alias-1 | jq -r .mac)
plug --id pptw-alias-1 --mac 52:54:00:77:ff:ff --wait 2
msg="$PLUG $PLUGERR"
sleep 0.3
[[ $PRC != 0 && "${msg,,}" == *mac* && "$(iport pptw-alias-1 | jq -r .mac)" == "$mac_before" && "$(map_writes)" == "$w" ]] &&
	pass "conflict: plug of a file-defined id with another MAC is refused, naming the MAC; the port keeps $mac_before" ||
	fail "conflict: MAC: rc=$PRC '$(tr '\n' ' ' <<<"$msg" | head -c 200)', mac now $(iport pptw-alias-1 | jq -r .mac)"

# ---- a tap bound by its alias under an arbitrary name ---------------------------------------
quiet_ns pptw-ga
t0=$(now)
ip tuntap add pptwzany0 mode tap
no_v6 pptwzany0
ip link set pptwzany0 alias "polyport:pptw-alias-1"
if wait_for 5 ist_is pptw-alias-1 status ACTIVE && wait_for 1 ist_is pptw-alias-1 tap pptwzany0; then
	echo "      measured: alias set -> ACTIVE with tap pptwzany0 in $(ms "$t0" "$(now)") ms"
	pass "alias: the instance port of id pptw-alias-1 (no device) goes ACTIVE on tap pptwzany0 (alias polyport:pptw-alias-1), status \"tap\": pptwzany0"
else
	fail "alias: status $(ist pptw-alias-1 status), tap '$(ist pptw-alias-1 tap)': $(ist pptw-alias-1 reason)"
fi
if guest ga pptwzany0 --port "ns=pptw-ga,dev=eth0,mac=$MA,match=vlan:100"; then
	ip -n pptw-ga addr add 10.1.0.11/24 dev eth0
	check "alias: traffic flows through the alias-bound tap (ping 10.1.0.1 from the light guest on it)" \
		ip netns exec pptw-ga ping -c 3 -i 0.2 -W 2 10.1.0.1
	stop_guest ga
else
	fail "alias: the light guest did not start on pptwzany0"
fi

# ---- an unprivileged QEMU opens the tap made with --owner ------------------------------------
# /dev/net/tun here is 0600 root: the opener runs in a private mount
# namespace where a tun node of ours (mode 0666) is bind-mounted over it, as
# a distribution's 0666 node would be, and without any capability.
mknod -m 0666 "$WORK/tun" c 10 200
OPENED="not tried"
# open_tap USER TAP: QEMU -S (no guest runs) as USER opens TAP; 0 once its
# fd is attached to TAP (fdinfo "iff: TAP"), 1 when QEMU exits refused
open_tap() {
	local user=$1 tap=$2 pid rc log=$WORK/open_${2}_$1.log
	unshare -m sh -c 'mount --bind "$0" /dev/net/tun && exec setpriv --reuid="$1" --regid="$2" \
		--clear-groups --inh-caps=-all --bounding-set=-all qemu-system-x86_64 -S -nodefaults \
		-no-user-config -display none -netdev "tap,id=n0,ifname=$3,script=no,downscript=no" \
		-device virtio-net-pci,netdev=n0,romfile=' \
		"$WORK/tun" "$(id -u "$user")" "$(id -g "$user")" "$tap" >"$log" 2>&1 &
	pid=$!
	OPENERS+=("$pid")
	for _ in $(seq 100); do
		if grep -qs "^iff:[[:space:]]*$tap\$" /proc/"$pid"/fdinfo/*; then
			OPENED="QEMU (pid $pid, uid $(stat -c %u /proc/"$pid")) holds $tap"
			kill "$pid"; wait "$pid" 2>/dev/null
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill "$pid" 2>/dev/null
	wait "$pid"; rc=$?
	OPENED="QEMU exited $rc: $(grep -m1 -i tap "$log" || tail -1 "$log")"
	return 1
}
echo "      opener: qemu-system-x86_64 -S -nodefaults -netdev tap,ifname=TAP,script=no -device virtio-net-pci as the user, tun node 0666 bind-mounted in a private mount namespace, no capabilities"
plug --id pptw-own-1 --device pptwo1 --mac "$MO" --create --owner "$QUSER" --wait 5
no_v6 pptwo1
open_tap "$QUSER" pptwo1; orc=$?
if [[ $PRC == 0 && $orc == 0 ]] && owner_is pptwo1 "$QUID"; then
	pass "owner: $QUSER (uid $QUID, unprivileged) opens the tap made by plug --create --owner $QUSER ($OPENED)"
else
	fail "owner: plug rc=$PRC, owner $(cat /sys/class/net/pptwo1/owner 2>/dev/null) (want $QUID): $OPENED"
fi
if open_tap "$OUSER" pptwo1; then
	fail "owner: $OUSER opened $QUSER's tap pptwo1: $OPENED"
else
	pass "owner: another unprivileged user ($OUSER) cannot open it ($OPENED)"
fi
plug --id pptw-own-2 --device pptwo2 --mac 52:54:00:77:00:03 --create --wait 5
no_v6 pptwo2
if [[ $PRC != 0 ]]; then
	fail "owner: plug --create without --owner: rc=$PRC $(head -c 200 <<<"$PLUGERR")"
elif open_tap "$QUSER" pptwo2; then
	fail "owner: $QUSER opened the tap made without --owner (owner $(cat /sys/class/net/pptwo2/owner), group $(cat /sys/class/net/pptwo2/group)): $OPENED"
else
	pass "owner: $QUSER cannot open the tap made without --owner (owner uid $(cat /sys/class/net/pptwo2/owner)): $OPENED"
fi
ctl unplug --id pptw-own-1 --delete-device --purge >/dev/null 2>&1
ctl unplug --id pptw-own-2 --delete-device --purge >/dev/null 2>&1

# ---- the mode is decided again when the tap's flags change ------------------------------------
quiet_ns pptw-gd
plug --id pptw-mode-1 --device pptwmd1 --mac "$MD" --create --wait 5
no_v6 pptwmd1
sport pptw-mode-s pptw-mode-1
m0=$(status_mode pptw-mode-1) vh0=$(ip -d link show pptwmd1 | grep -o 'vnet_hdr [a-z]*')
echo "      pptwmd1 as plug made it: $vh0, effective mode $m0"
if guest gd pptwmd1 --port "ns=pptw-gd,dev=eth0,mac=$MD,match=vlan:100"; then
	t0=$(now)
	# no API call from here: only the daemon's own status file is read
	wait_for 5 mode_is pptw-mode-1 xdp
	m1=$(status_mode pptw-mode-1) vh1=$(ip -d link show pptwmd1 | grep -o 'vnet_hdr [a-z]*')
	[[ $m0 == tc && $m1 == xdp ]] &&
		pass "mode: auto decides again when the tap's flags change: tc with plug's vnet header, xdp $(ms "$t0" "$(now)") ms after a guest reopened it without one ($vh1), no API call" ||
		fail "mode: before the guest '$m0' ($vh0), after '$m1' ($vh1): $(jq -r '.instance_ports[]? | select(.name == "pptw-mode-1") | ."mode-reason"' "$STATE/status.json")"
	ip -n pptw-gd addr add 10.1.0.12/24 dev eth0
	check "mode: traffic flows in the mode decided again (ping 10.1.0.1)" \
		ip netns exec pptw-gd ping -c 3 -i 0.2 -W 2 10.1.0.1
	stop_guest gd
else
	fail "mode: the light guest did not start on pptwmd1"
fi
ctl unplug --id pptw-mode-1 --delete-device --purge >/dev/null 2>&1

# ---- the plugged event comes before the guest's first frame crosses ------------------------------
# The instance port is plugged while its tap does not exist; the light guest
# creates the tap and its namespace pings at once: the first frame the
# network sees must come after the event that says the tap is programmed.
plug --id pptw-ev-1 --device pptwe1 --mac "$ME" --wait 0
[[ -n "$(iport pptw-ev-1)" ]] || fail "events: plug --id pptw-ev-1 without a tap: rc=$PRC $(head -c 200 <<<"$PLUGERR")"
sport pptw-ev-s pptw-ev-1
quiet_ns pptw-ge
capture_start ev pptw-na eth0 ether src "$ME"
if guest ge pptwe1 --port "ns=pptw-ge,dev=eth0,mac=$ME,match=vlan:100"; then
	ip -n pptw-ge addr add 10.1.0.13/24 dev eth0
	ip netns exec pptw-ge ping -c 1 -W 3 10.1.0.1 >/dev/null 2>&1 ||
		ip netns exec pptw-ge ping -c 1 -W 3 10.1.0.1 >/dev/null 2>&1
	capture_stop ev >/dev/null
	first=$(tcpdump -tt -nn -r "$WORK/ev.pcap" 2>/dev/null | head -1 | awk '{print $1}')
	wait_for 2 has_event plugged pptw-ev-1
	ev=$(event plugged pptw-ev-1)
	et=$(jq -r .time <<<"$ev" 2>/dev/null)
	if [[ -n "$ev" && -n "$first" && "$(jq -r .tap <<<"$ev")" == pptwe1 && "$(jq -r .active <<<"$ev")" == true ]] &&
		awk -v e="$et" -v f="$first" 'BEGIN { exit !(e <= f) }'; then
		pass "events: \"plugged\" for pptw-ev-1 (tap pptwe1, active) comes $(awk -v e="$et" -v f="$first" 'BEGIN {printf "%.1f", (f - e) * 1000}') ms before the guest's first frame reaches the network"
	else
		fail "events: plugged event '${ev:0:200}' at ${et:-none}, first frame at ${first:-none}"
	fi
	ctl unplug --id pptw-ev-1 >"$WORK/unplug-ev.out" 2>&1
	wait_for 2 has_event unplugged pptw-ev-1 &&
		pass "events: unplug -> \"unplugged\" for pptw-ev-1 ($(event unplugged pptw-ev-1 | jq -c '{name, id, tap, change}'))" ||
		fail "events: no unplugged event after unplug: $(tail -2 "$WORK/unplug-ev.out" | tr '\n' ' ')"
	stop_guest ge
else
	fail "events: the light guest did not create pptwe1"
fi

# ---- migration: a second tap for the same id ------------------------------------------------------
quiet_ns pptw-gm1
quiet_ns pptw-gm2
# the two guests' replies tell apart by their TTL
ip netns exec pptw-gm1 sysctl -qw net.ipv4.ip_default_ttl=61
ip netns exec pptw-gm2 sysctl -qw net.ipv4.ip_default_ttl=62
t0=$(now)
plug --id pptw-mig-1 --device pptwm1 --mac "$MM" --mtu 1500 --create --wait 5
t_active2=$(ms "$t0" "$(now)")
no_v6 pptwm1
echo "      measured: plug --create -> ACTIVE in $t_active2 ms (pptwm1)"
sport pptw-mig-s pptw-mig-1
guest gm1 pptwm1 --port "ns=pptw-gm1,dev=eth0,mac=$MM,match=vlan:100" || fail "migration: guest 1 did not start"
ip -n pptw-gm1 addr add 10.1.0.30/24 dev eth0
# a ping stream from the network to the guest, every 20 ms, timestamped
ip netns exec pptw-na ping -D -i 0.02 -w 30 10.1.0.30 >"$WORK/mig-ping.log" 2>&1 &
PING=$!
PIDS+=("$PING")
wait_for 5 grep -q 'ttl=61' "$WORK/mig-ping.log" || fail "migration: no reply from guest 1: $(tail -2 "$WORK/mig-ping.log" | tr '\n' ' ')"
replies() { grep -c "ttl=$1" "$WORK/mig-ping.log"; }

plug --id pptw-mig-1 --device pptwm2 --mac "$MM" --mtu 1500 --create --wait 5
no_v6 pptwm2
guest gm2 pptwm2 --port "ns=pptw-gm2,dev=eth0,mac=$MM,match=vlan:100" || fail "migration: guest 2 did not start"
r0=$(replies 61)
sleep 1
r1=$(replies 61)
g2=$(port_from_instance gm2 pptw-gm2)
st="tap=$(ist pptw-mig-1 tap) standby-tap=$(ist pptw-mig-1 standby-tap) status=$(ist pptw-mig-1 status)"
if [[ $PRC == 0 && "$(pj .standby)" == true && "$st" == "tap=pptwm1 standby-tap=pptwm2 status=ACTIVE" ]] &&
	((r1 - r0 >= 20)) && [[ $g2 == 0 && $(replies 62) == 0 ]]; then
	pass "migration: a second tap plugged for the id is the standby-tap ($st) while the first carries the ping stream ($((r1 - r0)) replies in 1 s, none on tap 2)"
else
	fail "migration: standby: plug rc=$PRC standby=$(pj .standby), $st, replies in 1 s $((r1 - r0)), tap 2's guest got $g2 frames, replies from guest 2 $(replies 62)"
fi
has_event plugged pptw-mig-1 pptwm2 && [[ "$(event plugged pptw-mig-1 pptwm2 | jq -r .active)" == false ]] &&
	pass "migration: \"plugged\" for the standby tap pptwm2 says active false" ||
	fail "migration: plugged event for pptwm2: '$(event plugged pptw-mig-1 pptwm2)'"

# the second guest's first frame: a gratuitous ARP
ip -n pptw-gm2 addr add 10.1.0.30/24 dev eth0
d0=$(drops pptw-mig-1 inactive_tap)
ta=$(now)
ip netns exec pptw-gm2 "$B/tests/ppsend" eth0 "$(garp "$MM" 10.1.0.30)" ||
	fail "migration: ppsend of the gratuitous ARP failed"
wait_for 5 grep -q 'ttl=62' "$WORK/mig-ping.log"
first62=$(grep -m1 'ttl=62' "$WORK/mig-ping.log" | sed 's/^\[\([0-9.]*\)\].*/\1/')
t_switch=none
[[ -n "$first62" ]] && t_switch=$(awk -v a="$ta" -v f="$first62" 'BEGIN {printf "%.1f", f * 1000 - a / 1e6}')
wait_for 2 ist_is pptw-mig-1 tap pptwm2
st="tap=$(ist pptw-mig-1 tap) standby-tap=$(ist pptw-mig-1 standby-tap)"
wait_for 2 has_event activated pptw-mig-1 pptwm2
ev=$(event activated pptw-mig-1 pptwm2)
if [[ -n "$first62" && "$st" == "tap=pptwm2 standby-tap=" && -n "$ev" ]]; then
	last61=$(sed -n '/ttl=62/q; s/.*icmp_seq=\([0-9]*\) ttl=61.*/\1/p' "$WORK/mig-ping.log" | tail -1)
	seq62=$(grep -m1 'ttl=62' "$WORK/mig-ping.log" | sed 's/.*icmp_seq=\([0-9]*\).*/\1/')
	echo "      measured: activation (the gratuitous ARP sent -> the first reply from the new tap's guest) $t_switch ms;" \
		"echoes lost at the switch (20 ms apart): $((${seq62:-0} - ${last61:-0} - 1))"
	pass "migration: the first frame on the standby tap makes it active: replies come from tap 2 $t_switch ms later, status \"tap\": pptwm2, event $(jq -c '{change, tap, previous}' <<<"$ev")"
else
	fail "migration: activation: first reply from guest 2 '${first62:-none}', $st, activated event '${ev:0:200}'"
fi
sleep 0.2
g1a=$(port_from_instance gm1 pptw-gm1) n61=$(replies 61) n62=$(replies 62)
sleep 1.5
g1b=$(port_from_instance gm1 pptw-gm1) m61=$(replies 61) m62=$(replies 62)
[[ -n "$first62" ]] && ((g1a == g1b && n61 == m61 && m62 - n62 >= 20)) &&
	pass "migration: from then on tap 1 receives nothing (its guest's port counters stay at $g1b) while $((m62 - n62)) replies in 1.5 s come from tap 2" ||
	fail "migration: after the switch: tap 1's guest $g1a -> $g1b frames, replies from guest 1 $n61 -> $m61, from guest 2 $n62 -> $m62"
if [[ -z "$first62" ]]; then
	fail "migration: no reply ever came from tap 2"
elif grep -q 'ttl=61' <(sed -n "/ttl=62/,\$p" "$WORK/mig-ping.log"); then
	fail "migration: a reply from guest 1 after the first from guest 2"
else
	pass "migration: no reply from tap 1 after the first from tap 2 (frames for the port go to exactly one tap)"
fi
for _ in 1 2 3; do ip netns exec pptw-gm1 "$B/tests/ppsend" eth0 "$(garp "$MM" 10.1.0.30)"; done
sleep 0.5
d1=$(drops pptw-mig-1 inactive_tap)
((d1 - d0 >= 3)) && [[ "$(ist pptw-mig-1 tap)" == pptwm2 ]] &&
	pass "migration: frames from the old tap are dropped and counted inactive_tap ($d0 -> $d1), tap 2 stays active" ||
	fail "migration: inactive_tap $d0 -> $d1 after 3 frames from tap 1, active tap $(ist pptw-mig-1 tap)"
echo "      polyportctl stats (pptw-mig-1):"
ctl stats 2>&1 | grep -E 'pptw-mig|inactive' | sed 's/^/      | /'

# plug --activate: a fresh standby takes over without a frame
plug --id pptw-mig-1 --device pptwm3 --mac "$MM" --mtu 1500 --create --wait 5
no_v6 pptwm3
s3="$(ist pptw-mig-1 standby-tap)"
t0=$(now)
plug --id pptw-mig-1 --device pptwm3 --mac "$MM" --mtu 1500 --activate --wait 5
t_act=$(ms "$t0" "$(now)")
st="tap=$(ist pptw-mig-1 tap) inactive-taps=$(ist pptw-mig-1 inactive-taps)"
if [[ $s3 == pptwm3 && $PRC == 0 && "$(ist pptw-mig-1 tap)" == pptwm3 ]] && wait_for 2 has_event activated pptw-mig-1 pptwm3; then
	pass "migration: plug --activate turns a fresh standby tap (pptwm3) active without a frame ($t_act ms; $st)"
else
	fail "migration: --activate: standby was '$s3', rc=$PRC, $st, event '$(event activated pptw-mig-1 pptwm3)': $(head -c 200 <<<"$PLUGERR")"
fi
kill -INT "$PING" 2>/dev/null
wait "$PING" 2>/dev/null
echo "      ping stream: $(grep -E 'transmitted' "$WORK/mig-ping.log")"

# a move while polyportd is stopped: the program makes the standby active by itself
quiet_ns pptw-gm3
ip netns exec pptw-gm3 sysctl -qw net.ipv4.ip_default_ttl=63
plug --id pptw-mig-1 --device pptwm4 --mac "$MM" --mtu 1500 --create --wait 5
no_v6 pptwm4
guest gm3 pptwm4 --port "ns=pptw-gm3,dev=eth0,mac=$MM,match=vlan:100" || fail "migration: guest 3 did not start"
s4="$(ist pptw-mig-1 standby-tap)"
ip netns exec pptw-na ping -D -i 0.02 -w 20 10.1.0.30 >"$WORK/mig2-ping.log" 2>&1 &
PING=$!
PIDS+=("$PING")
daemon_stop
ip -n pptw-gm3 addr add 10.1.0.30/24 dev eth0
ip netns exec pptw-gm3 "$B/tests/ppsend" eth0 "$(garp "$MM" 10.1.0.30)" ||
	fail "migration: ppsend of the gratuitous ARP failed (guest 3)"
wait_for 5 grep -q 'ttl=63' "$WORK/mig2-ping.log"
n63=$(grep -c 'ttl=63' "$WORK/mig2-ping.log")
if [[ $s4 == pptwm4 ]] && ((n63 > 0)) && ! kill -0 "$DPID" 2>/dev/null; then
	pass "migration: with polyportd stopped, the standby's first frame makes it active (replies from tap pptwm4's guest: $n63)"
else
	fail "migration: daemon stopped: standby was '$s4', replies from guest 3: $n63"
fi
daemon_start || fail "migration: polyportd did not start again: $(tail -3 "$WORK/daemon.log" | tr '\n' ' ')"
st="tap=$(ist pptw-mig-1 tap) standby-tap=$(ist pptw-mig-1 standby-tap) inactive-taps=$(ist pptw-mig-1 inactive-taps)"
sleep 0.5
m63=$(grep -c 'ttl=63' "$WORK/mig2-ping.log")
[[ "$st" == "tap=pptwm4 standby-tap= inactive-taps=pptwm1,pptwm2,pptwm3" ]] && ((m63 > n63)) &&
	pass "migration: polyportd started again adopts the move: $st, replies still from tap pptwm4 ($n63 -> $m63)" ||
	fail "migration: after the restart: $st (want tap=pptwm4, no standby, the older taps inactive), replies $n63 -> $m63"
kill -INT "$PING" 2>/dev/null
wait "$PING" 2>/dev/null
stop_guest gm3
stop_guest gm1
stop_guest gm2
ctl unplug --id pptw-mig-1 --delete-device --purge >/dev/null 2>&1

echo "      measured: plug --create -> ACTIVE $t_active ms and $t_active2 ms; activation by first frame $t_switch ms; by --activate $t_act ms"
if ((FAILED)); then
	echo "      polyportd's log (last lines):"
	tail -15 "$WORK/daemon.log" | sed 's/^/      | /'
fi
daemon_stop
exit $FAILED
