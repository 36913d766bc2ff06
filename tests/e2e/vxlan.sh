#!/usr/bin/env bash
# End to end: stretched networks over VXLAN (issue 20).  The three hosts of
# e2e:cluster (cluster_lib.sh: one TLS etcd, a polyportd in cluster mode on
# each) on one shared underlay; each polyportd runs with --vtep and owns the
# VXLAN device ppvxlan.  Two networks, red (VNI 100) and blue (VNI 200), are
# stretched over it with the same VLAN ids on every host: red on vlan 10,
# blue on vlan 20; blue has no port on h3.
#
#   pptx-net    bridge pptxbr: the underlay; veth pptxnN <-> pptxuN of host N
#               (10.99.0.N/24, MTU 1550: ppvxlan gets 1500, the networks' default)
#   pptx-rogue  pptxr9 (10.99.0.9) on the underlay: a VTEP no host knows, and
#               the source of crafted VXLAN packets
#   pptx-hN     polyportd --vtep 10.99.0.N (pins $BPF/hN, API $RUN/hN/api.sock)
#     instance port  host  tap     service ports             guests (namespaces)
#     ip1            h1    pptxt1  r1 vlan 10 red, b1 vlan 20 blue  pptx-g1r 10.90.1.1, pptx-g1b 10.90.2.1
#     ip2            h2    pptxt2  r2 vlan 10 red, b2 vlan 20 blue  pptx-g2r 10.90.1.2, pptx-g2b 10.90.2.2
#     ip3            h3    pptxt3  r3 vlan 10 red                   pptx-g3r 10.90.1.3
#     mv             h1    pptxtv  rv vlan 10 red, moved to h2      pptx-gv1 (h1), pptx-gv2 (h2) 10.90.1.20
#
# The service ports of one instance port share its MAC (as a VM's VLAN
# sub-interfaces do): red and blue each have M2, on h2, so only the network
# tells the two apart.  Crafted frames carry markers (lib.sh's frame/seen).
PPT_NAME=vxlan
PPT_SCOPE=pptx	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/cluster_lib.sh"
cluster_start

M1=52:54:00:d0:00:01 M2=52:54:00:d0:00:02 M3=52:54:00:d0:00:03 MV=52:54:00:d0:00:20
RM=52:54:00:d0:00:99	# an inner source MAC of no port
BC=ff:ff:ff:ff:ff:ff
UMTU=1550

# ---- reading the VXLAN maps of a host (bpftool, a few ms a look) ---------------------------
# lookup H MAP KEY...: the value's bytes (hex, space-separated), nothing if no entry
lookup() {
	local h=$1 m=$2
	shift 2
	bpftool -j map lookup pinned "$BPF/$h/$m" key hex "$@" 2>/dev/null | jq -r '.value // [] | map(ltrimstr("0x")) | join(" ")'
}
# netid H NET: the id H's daemon gave network NET (pp_names), empty if none
netid() {
	local v
	# shellcheck disable=SC2046 # one word a byte
	read -ra v <<<"$(lookup "$1" pp_names $(nkey 1 "$2"))"
	((${#v[@]} >= 4)) && echo $((16#${v[3]}${v[2]}${v[1]}${v[0]}))
}
le32() { printf '%02x %02x %02x %02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
# vtep_at BYTES... OFF: the IPv4 address of the struct pp_vtep at byte OFF
# ("family-N" if it is not IPv4: this topology has none)
vtep_at() {
	local -a b=("$@")
	local o=${b[-1]}
	[[ ${b[o]} == 04 ]] || { echo "family-${b[o]}"; return; }
	echo "$((16#${b[o + 4]})).$((16#${b[o + 5]})).$((16#${b[o + 6]})).$((16#${b[o + 7]}))"
}
# remote H NET MAC: the VTEP H's pp_remote sends NET's MAC to ("-": none, or no NET on H)
remote() {
	local id v
	id=$(netid "$1" "$2")
	[[ -n $id ]] || { echo -; return; }
	# shellcheck disable=SC2046,SC2086 # one word a byte
	read -ra v <<<"$(lookup "$1" pp_remote $(le32 "$id") ${3//:/ } 00 00)"
	((${#v[@]} >= 8)) && vtep_at "${v[@]}" 0 || echo -
}
# rflood H NET: the VTEPs H floods NET's broadcasts to ("-": none)
rflood() {
	local id v n i out=()
	id=$(netid "$1" "$2")
	[[ -n $id ]] || { echo -; return; }
	# shellcheck disable=SC2046 # one word a byte
	read -ra v <<<"$(lookup "$1" pp_rflood $(le32 "$id"))"
	((${#v[@]} >= 4)) || { echo -; return; }
	n=$((16#${v[3]}${v[2]}${v[1]}${v[0]}))
	for ((i = 0; i < n && i < 64; i++)); do out+=("$(vtep_at "${v[@]}" $((4 + 20 * i)))"); done
	((n)) && echo "${out[*]}" || echo -
}
# vteps H: the VTEPs H takes decapsulated frames from (pp_vteps), sorted ("-": none)
vteps() {
	local k out
	out=$(bpftool -j map dump pinned "$BPF/$1/pp_vteps" 2>/dev/null | jq -r '.[].key | map(ltrimstr("0x")) | join(" ")' |
		while read -ra k; do vtep_at "${k[@]}" 0; done | sort | tr '\n' ' ')
	echo "${out:--}"
}
# drops H REASON: H's frames dropped for REASON, every row summed (/metrics)
drops() {
	hget "$1" /metrics | awk -v r="reason=\"$2\"" 'index($0, r) && /^polyport_drops_total/ { s += $NF } END { print s + 0 }'
}

# ---- crafted VXLAN on the wire -----------------------------------------------------------------
ip4hex() { local a; IFS=. read -ra a <<<"$1"; printf '%02x%02x%02x%02x' "${a[@]}"; }
# vxframe SRCMAC DSTMAC SRCIP DSTIP VNI INNER: an Ethernet frame (hex) of a
# VXLAN packet (UDP to 4789, no UDP checksum) carrying frame INNER (hex)
vxframe() {
	local n=$((${#6} / 2)) ip sum=0 i
	ip=$(printf '4500%04x0000400040110000%s%s' $((20 + 16 + n)) "$(ip4hex "$3")" "$(ip4hex "$4")")
	for ((i = 0; i < 40; i += 4)); do sum=$((sum + 16#${ip:i:4})); done
	while ((sum >> 16)); do sum=$(((sum & 0xffff) + (sum >> 16))); done
	printf '%s%s0800%s%04x%s' "${2//:/}" "${1//:/}" "${ip:0:20}" $((~sum & 0xffff)) "${ip:24}"
	printf 'c0de12b5%04x0000' $((16 + n))	# UDP
	printf '08000000%06x00%s' "$5" "$6"	# VXLAN: flags I, VNI
}
# vxseen NAME VNI MARK: the VXLAN packets of VNI in capture NAME carrying the marker
vxseen() {
	tcpdump -nn -A -r "$WORK/$1.pcap" "udp dst port 4789 and (udp[12:4] >> 8) = $2" 2>/dev/null | grep -c "PPTMARK-$3 "
}
# vxcount NAME VNI: every VXLAN packet of VNI in capture NAME (tcpdump prints
# the outer packet, then the inner frame: one "VXLAN" line a packet)
vxcount() { tcpdump -nn -r "$WORK/$1.pcap" "udp dst port 4789 and (udp[12:4] >> 8) = $2" 2>/dev/null | grep -c VXLAN; }
# gsend NS FRAME...: crafted frames from the interface of guest namespace NS
gsend() { ip netns exec "$1" "$B/tests/ppsend" eth0 "${@:2}"; }

# ---- topology: etcd, the hosts, the underlay ---------------------------------------------------------
cluster_etcd
ip netns add pptx-net && quiet pptx-net
ip -n pptx-net link set lo up
ip -n pptx-net link add pptxbr type bridge
ip -n pptx-net link set pptxbr up
# upl NS DEV N: DEV in NS on the underlay (10.99.0.N, bridge port pptxnN)
upl() {
	ip -n "$1" link add "$2" mtu $UMTU type veth peer name "pptxn$3" netns pptx-net mtu $UMTU &&
		ip -n pptx-net link set "pptxn$3" master pptxbr up &&
		ip -n "$1" addr add "10.99.0.$3/24" dev "$2" &&
		ip -n "$1" link set "$2" up
}
for n in 1 2 3; do upl "pptx-h$n" "pptxu$n" "$n" || fail "topology: underlay of h$n"; done
ip netns add pptx-rogue && quiet pptx-rogue
ip -n pptx-rogue link set lo up
upl pptx-rogue pptxr9 9 || fail "topology: the rogue's underlay"
# every VTEP pings every other once: the bridge has learned each MAC, so it
# sends a VXLAN packet to its host only (a flood of the bridge would look
# like polyport sending to a host that has no port)
for a in 1 2 3 9; do
	ns=pptx-h$a
	((a == 9)) && ns=pptx-rogue
	for b in 1 2 3 9; do
		((a == b)) || ip netns exec "$ns" ping -c 1 -W 1 "10.99.0.$b" >/dev/null || fail "topology: 10.99.0.$a does not reach 10.99.0.$b"
	done
done
((FAILED)) && exit 1
UMAC1=$(ip -n pptx-h1 -j link show pptxu1 | jq -r '.[0].address')
RMAC=$(ip -n pptx-rogue -j link show pptxr9 | jq -r '.[0].address')
# what reaches h3 and h2 over the whole run: blue must never reach h3
capture_start all3 pptx-h3 pptxu3 udp dst port 4789 and dst host 10.99.0.3
capture_start all2 pptx-h2 pptxu2 udp dst port 4789 and dst host 10.99.0.2

# ---- three hosts, each with its VTEP ---------------------------------------------------------------
for n in 1 2 3; do HARGS[h$n]="--vtep 10.99.0.$n"; done
cluster_hosts_start
bad=""
for n in 1 2 3; do
	j=$(ip -n "pptx-h$n" -d -j link show ppvxlan 2>/dev/null | jq -c '.[0] | {mtu, up: (.flags | index("UP") != null),
		kind: .linkinfo.info_kind, d: .linkinfo.info_data | {external, local, port, learning}}' 2>/dev/null)
	want="{\"mtu\":$((UMTU - 50)),\"up\":true,\"kind\":\"vxlan\",\"d\":{\"external\":true,\"local\":\"10.99.0.$n\",\"port\":4789,\"learning\":false}}"
	[[ $j == "$want" ]] || bad+=" h$n: ${j:-no ppvxlan};"
done
[[ -z $bad ]] && pass "vtep: each host has ppvxlan: VXLAN in external mode, local 10.99.0.N, port 4789, learning off, up, MTU $((UMTU - 50)) (its underlay's $UMTU - 50)" ||
	fail "vtep: ppvxlan:$bad (want like $want)"
bad=""
for n in 1 2 3; do
	vt=$(etcdctl_c get "${P}hosts/h$n" --print-value-only 2>/dev/null | jq -r '.vtep // "null"' 2>/dev/null)
	[[ $vt == "10.99.0.$n" ]] || bad+=" h$n: '$vt';"
done
[[ -z $bad ]] && pass "vtep: the host records hosts/h1..h3 in the store carry each host's VTEP (\"vtep\": \"10.99.0.N\")" ||
	fail "vtep: host records' vtep:$bad"

# ---- guests (before the objects: their taps are there when programmed) -----------------------
# gport NS MAC VLAN: a guest's --port
gport() { echo "ns=$1,dev=eth0,mac=$2,match=vlan:$3"; }
for g in g1r g1b g2r g2b g3r; do qns "pptx-$g"; done
qns pptx-gv1 61
qns pptx-gv2 62
GUEST_NETNS=pptx-h1 guest g1 pptxt1 --port "$(gport pptx-g1r $M1 10)" --port "$(gport pptx-g1b $M1 20)" || fail "guest g1 did not start"
GUEST_NETNS=pptx-h2 guest g2 pptxt2 --port "$(gport pptx-g2r $M2 10)" --port "$(gport pptx-g2b $M2 20)" || fail "guest g2 did not start"
GUEST_NETNS=pptx-h3 guest g3 pptxt3 --port "$(gport pptx-g3r $M3 10)" || fail "guest g3 did not start"
GUEST_NETNS=pptx-h1 guest gv1 pptxtv --port "$(gport pptx-gv1 $MV 10)" || fail "guest gv1 did not start"
GUEST_NETNS=pptx-h2 guest gv2 pptxtv --port "$(gport pptx-gv2 $MV 10)" || fail "guest gv2 did not start"
for ga in g1r:10.90.1.1 g2r:10.90.1.2 g3r:10.90.1.3 g1b:10.90.2.1 g2b:10.90.2.2 gv1:10.90.1.20 gv2:10.90.1.20; do
	ip -n "pptx-${ga%%:*}" addr add "${ga#*:}/24" dev eth0
done
# the mover and its peer g3r know each other (no ARP at the move)
ip -n pptx-g3r neigh replace 10.90.1.20 lladdr "$MV" dev eth0 nud permanent
for g in gv1 gv2; do ip -n "pptx-$g" neigh replace 10.90.1.3 lladdr "$M3" dev eth0 nud permanent; done

# ---- everything through h1's API ------------------------------------------------------------
codes=()
post() { codes+=("$(hreq h1 POST "/v1/$1" "$2" | cut -c1-200)"); }
post networks '{"name": "red", "vxlan": {"vni": 100}}'
post networks '{"name": "blue", "vxlan": {"vni": 200}}'
for o in "ip1 h1 pptxt1 $M1" "ip2 h2 pptxt2 $M2" "ip3 h3 pptxt3 $M3" "mv h1 pptxtv $MV"; do
	read -r name h tap mac <<<"$o"
	post instance-ports "{\"name\": \"$name\", \"device\": \"$tap\", \"mac\": \"$mac\", \"host\": \"$h\"}"
done
for s in r1:ip1:10:red b1:ip1:20:blue r2:ip2:10:red b2:ip2:20:blue r3:ip3:10:red rv:mv:10:red; do
	IFS=: read -r name ip vlan net <<<"$s"
	post service-ports "{\"name\": \"$name\", \"instance-port\": \"$ip\", \"vlan\": $vlan, \"bind\": {\"network\": \"$net\"}}"
done
bad=$(printf '%s\n' "${codes[@]}" | grep -v '^201 ')
[[ -z $bad ]] && pass "objects: created through h1's API: networks red {vxlan: {vni: 100}} and blue {vxlan: {vni: 200}}, instance ports on h1, h2, h3, service ports vlan 10 -> red, vlan 20 -> blue: 201 each" ||
	fail "objects: through h1: $(head -3 <<<"$bad" | tr '\n' ' ')"

# programmed: every object ACTIVE through every API, and the remotes there
SPORTS="r1 b1 r2 b2 r3 rv"
all_active() {
	local h o
	for h in "${HOSTS[@]}"; do
		st_is "$h" networks red ACTIVE || return 1
		[[ $h == h3 ]] || st_is "$h" networks blue ACTIVE || return 1	# blue: not on h3
		for o in ip1 ip2 ip3 mv; do st_is "$h" instance-ports "$o" ACTIVE || return 1; done
		for o in $SPORTS; do st_is "$h" service-ports "$o" ACTIVE || return 1; done
	done
}
remotes_in() { [[ "$(remote h1 red "$M3")" == 10.99.0.3 && "$(remote h3 red "$MV")" == 10.99.0.1 && "$(remote h2 blue "$M1")" == 10.99.0.1 ]]; }
t0=$(now)
if ms=$(until_ms "$t0" 10000 all_active) && rms=$(until_ms "$t0" 10000 remotes_in); then
	pass "status: red, ip1..3, mv and their service ports ACTIVE through h1's, h2's and h3's API, blue through h1's and h2's"
	fig "created through h1 -> every object ACTIVE through every host's API: $ms ms, remotes programmed on every host: $rms ms"
else
	fail "status: not all ACTIVE (or remotes) within 10 s: $(for h in "${HOSTS[@]}"; do for o in red blue; do
		echo -n "$h:$o=$(st "$h" networks "$o") '$(st "$h" networks "$o" reason)' "; done; done) r1@h1=$(st h1 service-ports r1) '$(st h1 service-ports r1 reason)'"
fi
# where each network is, and where its frames go: red on every host, blue
# not on h3 (no port of it there): no host sends blue's frames to h3
got=""
for h in "${HOSTS[@]}"; do
	got+="$h: red $(has "$h" net red && echo yes || echo no), blue $(has "$h" net blue && echo yes || echo no);"
	got+=" remotes red $(remote "$h" red $M1) $(remote "$h" red $M2) $(remote "$h" red $M3) $(remote "$h" red $MV),"
	got+=" blue $(remote "$h" blue $M1) $(remote "$h" blue $M2) $(remote "$h" blue $M3); flood red $(rflood "$h" red), blue $(rflood "$h" blue); vteps $(vteps "$h")
"
done
want="h1: red yes, blue yes; remotes red - 10.99.0.2 10.99.0.3 -, blue - 10.99.0.2 -; flood red 10.99.0.2 10.99.0.3, blue 10.99.0.2; vteps 10.99.0.2 10.99.0.3 
h2: red yes, blue yes; remotes red 10.99.0.1 - 10.99.0.3 10.99.0.1, blue 10.99.0.1 - -; flood red 10.99.0.1 10.99.0.3, blue 10.99.0.1; vteps 10.99.0.1 10.99.0.3 
h3: red yes, blue no; remotes red 10.99.0.1 10.99.0.2 - 10.99.0.1, blue - - -; flood red 10.99.0.1 10.99.0.2, blue -; vteps 10.99.0.1 10.99.0.2 
"
[[ $got == "$want" ]] && pass "placement: red on h1..h3, blue on h1 and h2 only; each host's remote MACs (pp_remote) are the other hosts' ports' (M1..M3, MV) on their VTEPs, its flood lists (pp_rflood) the other hosts with ports on the network (blue's never names h3), its known VTEPs (pp_vteps) the other two" ||
	fail "placement: got
$got want
$want"

# the same through polyportctl dump --canonical: the VNIs, the VXLAN device and its VTEP
got="" want=""
for n in 1 2 3; do
	got+="h$n: $(dump "h$n" | grep -E '^pp_(vnis|vxlan) ' | sort | tr '\n' ';')"
	want+="h$n: pp_vnis 100 => red;$( ((n < 3)) && echo 'pp_vnis 200 => blue;')pp_vxlan 0 ifindex=ppvxlan family=4 local=10.99.0.$n;"
done
[[ $got == "$want" ]] && pass "placement: each host's dump --canonical maps VNI 100 to red (and 200 to blue on h1 and h2, not on h3), and names ppvxlan with its own VTEP (pp_vxlan)" ||
	fail "placement: dump: $got (want $want)"

# ---- traffic: ping and TCP between hosts over their sub-interfaces -----------------------------
check "ping: g1r (h1, vlan 10) <-> g2r (h2, vlan 10) over red" ip netns exec pptx-g1r ping -c 3 -i 0.2 -W 2 10.90.1.2
check "ping: g1b (h1, vlan 20) <-> g2b (h2, vlan 20) over blue" ip netns exec pptx-g1b ping -c 3 -i 0.2 -W 2 10.90.2.2
check "ping: g3r (h3, vlan 10) <-> g1r (h1) over red" ip netns exec pptx-g3r ping -c 3 -i 0.2 -W 2 10.90.1.1
t=$(now)
tcp_1mib red pptx-g1r pptx-g2r 10.90.1.2 5001
trc=$? ms=$(ms_since "$t")
sum1=$(sha256sum <"$WORK/red.src" | cut -d' ' -f1) sum2=$(sha256sum <"$WORK/red.dst" | cut -d' ' -f1)
if [[ $trc == 0 && $sum1 == "$sum2" ]]; then
	pass "tcp: 1 MiB from g1r (h1) to g2r (h2) over red arrives intact (sha256 ${sum2:0:16}... at both ends)"
	fig "1 MiB over TCP h1 -> h2 through VXLAN: $ms ms (with nc's start)"
else
	fail "tcp: 1 MiB g1r -> g2r: $(stat -c %s "$WORK/red.dst" 2>/dev/null) bytes arrived, sha256 ${sum1:0:16} sent, ${sum2:0:16} received"
fi

# ---- frames on the wire: floods, unicast, isolation, crafted VXLAN ----------------------------------
# captures on the guests' interfaces (crafted frames: ethertype 0x88b5) and
# of what arrives on each host's underlay device (uN)
# the rogue's VTEP: a plain Linux VXLAN device, VNI 100, to h1 (no host knows 10.99.0.9)
ip -n pptx-rogue link add pptxrv type vxlan id 100 local 10.99.0.9 remote 10.99.0.1 dstport 4789 nolearning &&
	ip -n pptx-rogue link set pptxrv up || fail "rogue: no VXLAN device in pptx-rogue"
CAPS="g1r g1b g2r g2b g3r"
for g in $CAPS; do capture_start "$g" "pptx-$g" eth0 ether proto 0x88b5; done
for n in 1 2 3; do capture_start "u$n" "pptx-h$n" "pptxu$n" udp dst port 4789 and dst host "10.99.0.$n"; done
vtep0=$(drops h1 unknown_vtep)
gsend pptx-g1r "$(frame $BC $M1 rb)" "$(frame "$M2" $M1 ru)"
gsend pptx-g1b "$(frame $BC $M1 bb)" "$(frame "$M2" $M1 bu)"
# from h2's VTEP (the rogue forges its source address): VNI 100, 200 and one of no network
ip netns exec pptx-rogue "$B/tests/ppsend" pptxr9 \
	"$(vxframe "$RMAC" "$UMAC1" 10.99.0.2 10.99.0.1 100 "$(frame $BC "$RM" x100)")" \
	"$(vxframe "$RMAC" "$UMAC1" 10.99.0.2 10.99.0.1 200 "$(frame $BC "$RM" x200)")" \
	"$(vxframe "$RMAC" "$UMAC1" 10.99.0.2 10.99.0.1 300 "$(frame $BC "$RM" x300)")" || fail "rogue: ppsend"
# from the rogue's own VTEP, through Linux's VXLAN: a broadcast and a unicast to g1r
ip netns exec pptx-rogue "$B/tests/ppsend" pptxrv "$(frame $BC "$RM" fb)" "$(frame $M1 "$RM" fu)" || fail "rogue: ppsend on pptxrv"
sleep 0.3
for c in $CAPS u1 u2 u3; do capture_stop "$c" >/dev/null; done
vtep1=$(drops h1 unknown_vtep)
# marks MARK CAPTURE...: the marker's count in each capture ("g2r=1 g2b=0 ...")
marks() { local m=$1 c; shift; for c in "$@"; do echo -n "$c=$(seen "$c" "$m") "; done; }
r=$(marks rb g2r g3r g2b g1b) b=$(marks bb g2b g2r g3r g1r)
[[ $r == "g2r=1 g3r=1 g2b=0 g1b=0 " && $b == "g2b=1 g2r=0 g3r=0 g1r=0 " ]] &&
	pass "isolation: a red broadcast from g1r (h1) reaches the red guests on h2 and h3 once each and no blue guest; a blue one from g1b reaches g2b (h2) once and no red guest" ||
	fail "isolation: red broadcast: $r(want g2r=1 g3r=1 g2b=0 g1b=0); blue broadcast: $b(want g2b=1 g2r=0 g3r=0 g1r=0)"
r=$(marks ru g2r g2b g3r) b=$(marks bu g2b g2r g3r)
[[ $r == "g2r=1 g2b=0 g3r=0 " && $b == "g2b=1 g2r=0 g3r=0 " ]] &&
	pass "isolation: a red unicast to M2 reaches g2r only, a blue unicast to the same MAC (the same instance port on h2) g2b only" ||
	fail "isolation: red unicast to M2: $r(want g2r=1 g2b=0 g3r=0); blue unicast to M2: $b(want g2b=1 g2r=0 g3r=0)"
w="u2: vni100 $(vxseen u2 100 rb), vni200 $(vxseen u2 200 rb); u3: vni100 $(vxseen u3 100 rb), vni200 $(vxseen u3 200 rb)"
[[ $w == "u2: vni100 1, vni200 0; u3: vni100 1, vni200 0" ]] &&
	pass "flood: red's broadcast from h1 arrives on h2's and h3's underlay exactly once each, with VNI 100 ($(tcpdump -nn -r "$WORK/u3.pcap" 2>/dev/null | grep -m1 -o 'VXLAN.*vni [0-9]*'))" ||
	fail "flood: red's broadcast on the underlay: $w (want 1 with VNI 100 on each, none with 200)"
w="u2: vni200 $(vxseen u2 200 bb), vni100 $(vxseen u2 100 bb); u3: $(seen u3 bb) (any)"
[[ $w == "u2: vni200 1, vni100 0; u3: 0 (any)" ]] &&
	pass "flood: blue's broadcast from h1 arrives on h2's underlay exactly once, with VNI 200, and on h3's not at all (blue has no port there)" ||
	fail "flood: blue's broadcast on the underlay: $w (want 1 with VNI 200 on h2, none on h3)"
w="red $(marks ru u2 u3) blue $(marks bu u2 u3)"
[[ $w == "red u2=1 u3=0  blue u2=1 u3=0 " ]] &&
	pass "unicast: a known unicast is sent to its host only: red's and blue's frames to M2 each once on h2's underlay, none on h3's" ||
	fail "unicast: on the underlay: $w (want one each on u2, none on u3)"
w="VNI 100: $(marks x100 g1r g1b)VNI 200: $(marks x200 g1r g1b)VNI 300: $(marks x300 g1r g1b); on h1's underlay: $(vxseen u1 100 x100) $(vxseen u1 200 x200) $(vxseen u1 300 x300)"
[[ $w == "VNI 100: g1r=1 g1b=0 VNI 200: g1r=0 g1b=1 VNI 300: g1r=0 g1b=0 ; on h1's underlay: 1 1 1" ]] &&
	pass "vni: crafted VXLAN broadcasts from h2's VTEP to h1: VNI 100's reaches red's g1r only, VNI 200's blue's g1b only, a VNI of no network neither" ||
	fail "vni: crafted from h2's VTEP: $w (want VNI 100: g1r=1 g1b=0 VNI 200: g1r=0 g1b=1 VNI 300: g1r=0 g1b=0 ; on h1's underlay: 1 1 1)"
w="on h1's underlay $(vxseen u1 100 fb) $(vxseen u1 100 fu), in g1r $(seen g1r fb) $(seen g1r fu), g1b $(seen g1b fb)"
if [[ $w == "on h1's underlay 1 1, in g1r 0 0, g1b 0" ]] && ((vtep1 - vtep0 == 2)); then
	pass "unknown vtep: VXLAN from 10.99.0.9 (no host's VTEP; a Linux VXLAN device, VNI 100) reaches h1 but not g1r, and is counted: unknown_vtep +$((vtep1 - vtep0)) in h1's polyport_drops_total"
else
	fail "unknown vtep: $w (want 1 1, 0 0, 0); unknown_vtep in h1's /metrics: $vtep0 -> $vtep1 (want +2)"
fi
fig "unknown_vtep drops on h1 (/metrics): $vtep0 -> $vtep1"

# ---- moving an instance port: PATCH host h1 -> h2 ----------------------------------------
pinger mv pptx-g3r 10.90.1.20
wait_for 5 grep -q "ttl=61" "$WORK/mv.ping" || fail "move: no reply from gv1 on h1 before the move"
sleep 0.2
rev=$(field h1 instance-ports mv .revision)
# at_vtep H KEY ADDR: H's pp_remote has KEY at VTEP ADDR ("-": not at all);
# one bpftool look (a few ms), the keys made beforehand: for timing
at_vtep() {
	local v
	# shellcheck disable=SC2086 # one word a byte
	v=$(bpftool -j map lookup pinned "$BPF/$1/pp_remote" key hex $2 2>/dev/null | grep -o '"value":\[[^]]*')
	[[ $3 == - ]] && { [[ -z $v ]]; return; }
	[[ $v == '"value":["0x04","0x00","0x00","0x00",'"$(printf '"0x%02x",' ${3//./ } | sed 's/,$//')"* ]]
}
declare -A K=()	# each host's pp_remote key of (red, MV)
for h in "${HOSTS[@]}"; do K[$h]="$(le32 "$(netid "$h" red)") ${MV//:/ } 00 00"; done
t0=$(now)
got=$(hreq h3 PATCH /v1/instance-ports/mv "{\"revision\": $rev, \"host\": \"h2\"}")
ms3=$(until_ms "$t0" 3000 at_vtep h3 "${K[h3]}" 10.99.0.2)
ms1=$(until_ms "$t0" 3000 at_vtep h1 "${K[h1]}" 10.99.0.2)
ms2=$(until_ms "$t0" 3000 at_vtep h2 "${K[h2]}" -)	# one after another: each an upper bound
ms=$(printf '%s\n' "$ms3" "$ms1" "$ms2" | sort -n | tail -1)
wait_for 3 grep -q "ttl=62" "$WORK/mv.ping"
sleep 0.2
ping_stop mv
first62=$(reply_time mv first ttl=62)
t0ms=$((t0 / 1000000))
rl() { dump "$1" | grep -c "^pp_remote red $MV pad=0 => 10.99.0.2$"; }
if [[ ${got%% *} == 200 && $ms =~ ^[0-9]+$ ]] && ((ms < 1000)) && [[ "$(rflood h3 red)" == "10.99.0.1 10.99.0.2" ]] &&
	[[ "$(rl h3) $(rl h1) $(dump h2 | grep -c "^pp_remote red $MV ")" == "1 1 0" ]]; then
	pass "move: PATCH mv's host h1 -> h2 (through h3's API) moves MV's destination on red within 1 s: h3's pp_remote says 10.99.0.2 after $ms3 ms, h1's after $ms1 ms, h2's has none (local there) after $ms2 ms (dump --canonical agrees)"
else
	fail "move: PATCH: ${got:0:200}; MV on h3 $(remote h3 red $MV) ($ms3 ms), on h1 $(remote h1 red $MV) ($ms1 ms), on h2 $(remote h2 red $MV) ($ms2 ms); want 10.99.0.2, 10.99.0.2, - within 1 s; h3's red flood: $(rflood h3 red)"
fi
fig "PATCH host h1 -> h2 -> MV's remote VTEP moved: on h3 $ms3 ms, on h1 $ms1 ms, gone on h2 $ms2 ms"
if [[ -n $first62 ]] && ((first62 - t0ms < 1000)); then
	pass "move: g3r's ping stream (h3, 20 ms apart) to mv is answered from h2 (ttl 62) $((first62 - t0ms)) ms after the PATCH"
else
	fail "move: no reply from gv2 on h2 within 1 s of the PATCH (first at ${first62:+$((first62 - t0ms))} ms; $(grep -c ttl=61 "$WORK/mv.ping") from h1)"
fi
[[ -n $first62 ]] && fig "move: first reply from the new host $((first62 - t0ms)) ms after the PATCH"

# ---- an MTU the underlay cannot carry --------------------------------------------------------------
# big (VNI 300, MTU 1600) on h3 through s3big, of an instance port with MTU
# 9000 (its tap need not exist): h3's underlay (1550) carries 1500 at most
c0=$(hreq h1 POST /v1/instance-ports '{"name": "ip3j", "device": "pptxtj", "mtu": 9000, "mac": "52:54:00:d0:00:3a", "host": "h3"}')
c1=$(hreq h1 POST /v1/networks '{"name": "big", "vxlan": {"vni": 300}, "mtu": 1600}')
c2=$(hreq h1 POST /v1/service-ports '{"name": "s3big", "instance-port": "ip3j", "vlan": 30, "bind": {"network": "big"}}')
why() { local h k o; for h in "${HOSTS[@]}"; do for k in networks:big service-ports:s3big; do
	o=$(st "$h" "${k%%:*}" "${k#*:}" reason); [[ $o == *"does not fit the VXLAN underlay"* ]] && { echo "$h ${k#*:}: $o"; return 0; }; done; done; return 1; }
w=$(until_ms "$(now)" 3000 why)
if [[ $c1 == *"does not fit the VXLAN underlay"* || $c2 == *"does not fit the VXLAN underlay"* || $w =~ ^[0-9]+$ ]] &&
	hasnt h3 net big && hasnt h3 sport s3big && st_is h3 service-ports r3 ACTIVE; then
	pass "mtu: a network of MTU 1600 over VXLAN on h3 (underlay 1550) is refused there: $( (why || echo "${c1:0:3}/${c2:0:3} ${c2:4:150}") | cut -c1-200); not programmed, r3 still ACTIVE"
else
	fail "mtu: ip3j (mtu 9000) through h1: ${c0:0:100}; big (mtu 1600): ${c1:0:150}; s3big: ${c2:0:150}; reasons: $(st h3 networks big) '$(st h3 networks big reason)' / $(st h3 service-ports s3big) '$(st h3 service-ports s3big reason)'; on h3: $(has h3 net big && echo programmed)"
fi

# ---- idle: no daemon spins -------------------------------------------------------------------------
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
declare -A C0=()
for h in "${HOSTS[@]}"; do C0[$h]=$(cputicks "${HPID[$h]}"); done
sleep 2
busy="" hz=$(getconf CLK_TCK)
for h in "${HOSTS[@]}"; do
	d=$(($(cputicks "${HPID[$h]}") - C0[$h]))
	busy+="$h $((d * 1000 / hz)) ms; "
	((d * 1000 / hz > 100)) && spin=1
done
[[ -z ${spin:-} ]] && pass "idle: over 2 s with nothing to do each daemon used under 100 ms of CPU ($busy)" ||
	fail "idle: a daemon keeps working with nothing to do: $busy"

# ---- a daemon restarted while etcd is away: the other hosts' tables stay ---------------------------
# h1's polyportd killed (-9) and started again while etcd is stopped: it
# cannot list the store (the hosts' records, their VTEPs, are not cached), so
# it must keep its pinned tables, not empty them; red keeps flowing h1 <-> h2.
pinger rs pptx-g1r 10.90.1.2
sleep 0.3
etcd_stop
kill -9 "${HPID[h1]}"
wait "${HPID[h1]}" 2>/dev/null
t=$(now)
hstart h1 || fail "restart: polyportd of h1 did not start again without etcd"
c2=$(cputicks "${HPID[h2]}") c3=$(cputicks "${HPID[h3]}")
sleep 2		# past the 1.5 s it waits for a first list, and its load without one
away="h2 $((($(cputicks "${HPID[h2]}") - c2) * 1000 / hz)) ms, h3 $((($(cputicks "${HPID[h3]}") - c3) * 1000 / hz)) ms"
kept="$(remote h1 red "$M2") $(rflood h1 red)"
etcd_start "$CS-etcd" "$EP_IP" "$EP_PORT" "$RUN/etcd" "$CERTS" >/dev/null || fail "restart: etcd did not start again"
ms=$(until_ms "$t" 15000 connected h1)
sleep 0.5
ping_stop rs
lo=$(lost rs)
after="$(remote h1 red "$M2") $(rflood h1 red)"
if [[ $kept == "10.99.0.2 10.99.0.2 10.99.0.3" && $after == "$kept" && ${lo%% *} == 0 ]]; then
	pass "restart without etcd: h1's daemon killed and started while etcd is stopped keeps red's remote MAC and flood list as pinned ($kept), etcd back -> connected in $ms ms, the same; g1r -> g2r pings lost: $lo"
else
	fail "restart without etcd: h1's red tables while etcd was away '$kept', after '$after' (want '10.99.0.2 10.99.0.2 10.99.0.3'); pings lost $lo; $(hlog h1 4)"
fi
[[ ${away// ms/} =~ ^h2\ ([0-9]+),\ h3\ ([0-9]+)$ ]] && ((BASH_REMATCH[1] < 200 && BASH_REMATCH[2] < 200)) &&
	pass "etcd away: the other daemons wait for it without spinning (CPU over 2 s: $away)" ||
	fail "etcd away: the other daemons keep working while etcd is stopped (CPU over 2 s: $away)"

# ---- a daemon dies: its guests stay reachable -------------------------------------------------------
# h2's polyportd killed: its record expires with its lease (TTL 3 s), its
# instance ports turn UNKNOWN elsewhere, but its dataplane forwards on: the
# others keep its VTEP, red keeps flowing h1 <-> h2.
pinger dd pptx-g1r 10.90.1.2
kill -9 "${HPID[h2]}"
t=$(now)
unk=$(until_ms "$t" $((TTL * 1000 + 3000)) st_is h1 instance-ports ip2 UNKNOWN)
urc=$?
sleep 1
ping_stop dd
lo=$(lost dd)
kept="$(remote h1 red "$M2") $(rflood h1 red) $(remote h3 red "$M2")"
if ((urc == 0)) && [[ $kept == "10.99.0.2 10.99.0.2 10.99.0.3 10.99.0.2" && ${lo%% *} == 0 ]]; then
	pass "daemon dead: h2's ports UNKNOWN through h1 after $unk ms (its lease expired), yet h1 and h3 keep its VTEP ($kept) and g1r -> g2r over red loses nothing ($lo)"
else
	fail "daemon dead: ip2 through h1 '$(st h1 instance-ports ip2)' after $unk ms; red toward h2 on h1/h3: '$kept' (want '10.99.0.2 10.99.0.2 10.99.0.3 10.99.0.2'); pings lost $lo"
fi
# ... and h1's daemon restarted meanwhile: the store has no record of h2 now,
# h1 remembers its VTEP (its state directory)
pinger dr pptx-g1r 10.90.1.2
kill -9 "${HPID[h1]}"
wait "${HPID[h1]}" 2>/dev/null
t=$(now)
hstart h1 || fail "daemon dead: polyportd of h1 did not start again"
ms=$(until_ms "$t" 10000 connected h1)
sleep 1		# its first list's reload
ping_stop dr
lo=$(lost dr)
kept="$(remote h1 red "$M2") $(rflood h1 red)"
if [[ $kept == "10.99.0.2 10.99.0.2 10.99.0.3" && ${lo%% *} == 0 ]]; then
	pass "daemon dead: h1's daemon restarted while h2's is dead (no record of h2 in the store) keeps h2's VTEP from its state directory ($kept, connected in $ms ms); g1r -> g2r loses nothing ($lo)"
else
	fail "daemon dead: h1 restarted while h2's daemon is dead: red toward h2 '$kept' (want '10.99.0.2 10.99.0.2 10.99.0.3'); pings lost $lo"
fi

# ---- the whole run: blue never reached h3 --------------------------------------------------------
capture_stop all3 >/dev/null
capture_stop all2 >/dev/null
n3=$(vxcount all3 200) n2=$(vxcount all2 200) r3=$(vxcount all3 100)
if [[ $n3 == 0 ]] && ((n2 > 0 && r3 > 0)); then
	pass "blue on the wire: over the whole run h3's underlay got no VXLAN packet with VNI 200 (h2's got $n2; h3's got $r3 of red's VNI 100)"
else
	fail "blue on the wire: VNI 200 packets to h3 over the run: $n3 (want 0; h2 got $n2, h3 got $r3 of VNI 100: want both > 0)"
fi

cluster_end
