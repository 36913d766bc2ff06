#!/usr/bin/env bash
# Hot upgrades under traffic (issue 13, items 7 and 8).
#
#   tap pptut1 (sf1, mode auto: XDP + TC)  vlan 100 -> net-a: pptuna <-> pptu-na eth0 (XDP peer)
#   tap pptut2 (sf2, mode tc: TC only)     vlan 200 -> net-b: pptunb <-> pptu-nb eth0
#
# build/tests/ppstream writes two sequence-numbered streams per service port
# (VM -> network on the tap, network -> VM on the namespace's eth0, 12,500
# frames a second each: 25,000 each way) plus 500 frames a second on VLAN
# 999 of each tap, which polyport drops and counts (unknown_port).  While
# they flow, polyportd is replaced:
#   - the previous main (tests/upgrade/FROM, built from a git worktree) by this
#     tree: pp_nets widened 16 -> 20 bytes (the VNI of a network stretched over
#     VXLAN, issue 20);
#   - this tree (A) by its test variant B (make variant: build/variant/1,
#     another program, the drop arrays at 40, pp_nets at revision 2) and back;
#     UPGRADE_ROUNDS=N (make upgrade-test: 10) round trips A -> B -> A;
#   - kill -9 at each journaled step of an upgrade, then a start that
#     completes it (or, with the previous binary, rolls it back);
#   - A by variant 2 (another program, no layout change) and back;
#   - A by variant 3 (a same-size layout change no migration knows): refused,
#     the dataplane untouched.
# After each step: no frame lost, reordered, duplicated or delivered to the
# other network so far; every hook (TC and XDP) runs the running daemon's
# programs (by tag), with ids other than before the step; no next/ left; the
# counters did not go down.  At the end: the counters equal the frames sent.
#
# Once this tree runs (the previous main cannot read l3-domains), an L3
# domain joins (table 1601, gateway MAC GW): an L3 port on each tap (vlan
# 101 on pptut1: 10.16.1.5, vlan 201 on pptut2: 10.16.2.5) and an uplink
# pptuup <-> eth0 of namespace pptu-pv (the provider, an XDP peer: a real IP
# stack on 198.18.16.1/30 answers polyport's ARP for the next hop), default
# via 198.18.16.1.  ppstream then routes two more streams both ways (2,500
# frames a second each): IPv4 UDP from each L3 port to 203.0.113.x behind the
# next hop, and back.  From then on, after each step also: no routed frame
# lost, reordered, duplicated, delivered elsewhere, or with a TTL other than
# 63 or the wrong MACs; the uplink's hooks (TC ingress, XDP, TC egress) run
# the daemon's programs; the L3 maps (pp_l3doms, pp_l3addrs, pp_l3ups,
# pp_l3nh) are the same maps (ids): adopted, not rebuilt; and the next hop is
# in pp_l3nh, valid, as soon as the new daemon serves.
PPT_NAME=upgrade
PPT_SCOPE=pptu	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
need_root

ROUNDS=${UPGRADE_ROUNDS:-0}
CONF=$WORK/conf
STATE=$WORK/state
API=$WORK/api.sock
REPORT=$WORK/stream.report
FROM_DIR=$WORK/from
mkdir -p "$CONF" "$STATE"
M1=52:54:00:0d:00:01 M2=52:54:00:0d:00:02
ML1=52:54:00:0d:01:01 ML2=52:54:00:0d:01:02 GW=02:00:00:00:16:01	# the L3 ports, the gateway
L3TABLE=1601
A=$B/polyportd
V1=$B/variant/1/polyportd V2=$B/variant/2/polyportd V3=$B/variant/3/polyportd
CTL=$B/polyportctl

upgrade_finish() {
	[[ -n ${STREAM:-} ]] && kill "$STREAM" 2>/dev/null
	ip link del pptuup 2>/dev/null
	ip route flush table "$L3TABLE" 2>/dev/null
	if [[ -d $FROM_DIR ]]; then
		git -C "$TOP" worktree remove --force "$FROM_DIR" >/dev/null 2>&1
		git -C "$TOP" worktree prune >/dev/null 2>&1
	fi
	finish
}
trap upgrade_finish EXIT
cleanup_leftovers
ip route flush table "$L3TABLE" 2>/dev/null	# an earlier run's (its devices went with cleanup_leftovers)
mount_bpffs

# ---- the binaries: this tree, its variants, the previous main --------------------------
if [[ ! -x $V1 || ! -x $V2 || ! -x $V3 ]]; then
	make -s -C "$TOP" variant >"$WORK/variant.log" 2>&1 ||
		{ fail "build: make variant: $(tail -3 "$WORK/variant.log")"; exit 1; }
fi
FROM=$(head -1 "$TOP/tests/upgrade/FROM")
FROM_BIN=$B/upgrade-from/$FROM/polyportd
if [[ ! -x $FROM_BIN ]]; then
	# never skipped: a clone without the commit fetches it
	if ! git -C "$TOP" cat-file -e "$FROM^{commit}" 2>/dev/null; then
		git -C "$TOP" fetch -q origin "$FROM" >"$WORK/fetch.log" 2>&1 ||
			git -C "$TOP" fetch -q --unshallow >>"$WORK/fetch.log" 2>&1
	fi
	if git -C "$TOP" worktree add -q --detach "$FROM_DIR" "$FROM" >"$WORK/wt.log" 2>&1 &&
		make -s -C "$FROM_DIR" -j2 build/polyportd >"$WORK/from.log" 2>&1; then
		mkdir -p "$(dirname "$FROM_BIN")"
		cp "$FROM_DIR/build/polyportd" "$FROM_BIN"
	else
		fail "build: the previous main $FROM: $(tail -3 "$WORK/wt.log" "$WORK/fetch.log" \
			"$WORK/from.log" 2>/dev/null | tr '\n' ' ')"
		exit 1
	fi
fi
pass "build: this tree, its variants and the previous main (${FROM:0:12}) are built"

# ---- topology ----------------------------------------------------------------------------
net_ns() {	# NS HOSTDEV
	ip netns add "$1"
	ip link add "$2" type veth peer name eth0 netns "$1"
	# nothing of the namespace's own: the counters then count the streams alone
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 up
	ip link set "$2" up
}
net_ns pptu-na pptuna
net_ns pptu-nb pptunb
# net-a's peer takes XDP-redirected frames and sends no offload metadata: XDP on pptuna
ip netns exec pptu-na ethtool -K eth0 tx off txvlan off tx-vlan-stag-hw-insert off >/dev/null 2>&1
ip -n pptu-na link set eth0 xdp object "$B/tests/xdp_pass.bpf.o" section xdp
# the provider behind the L3 domain's uplink: an XDP peer too (the uplink gets
# XDP), and an IP stack that answers polyport's ARP for the next hop
net_ns pptu-pv pptuup
ip netns exec pptu-pv ethtool -K eth0 tx off txvlan off tx-vlan-stag-hw-insert off >/dev/null 2>&1
ip -n pptu-pv link set eth0 xdp object "$B/tests/xdp_pass.bpf.o" section xdp
ip -n pptu-pv addr add 198.18.16.1/30 dev eth0
UMAC=$(cat /sys/class/net/pptuup/address)
PMAC=$(ip -n pptu-pv link show eth0 | awk '/link\/ether/ {print $2}')

# bindings [l3]: the binding files (l3: with the L3 domain and its L3 ports)
LA="      la: {vlan: 101, mac: $ML1, addresses: [10.16.1.5/24], bind: {l3: {domain: up}}}"
LB="      lb: {vlan: 201, mac: $ML2, addresses: [10.16.2.5/24], bind: {l3: {domain: up}}}"
bindings() {
	local l3=${1:-}
	[[ -n $l3 ]] && cat <<EOF
l3-domains:
  up:
    table: $L3TABLE
    mac: $GW
    subnets:
      - {cidr: 10.16.1.0/24, gateway: 10.16.1.1}
      - {cidr: 10.16.2.0/24, gateway: 10.16.2.1}
    uplinks:
      - {device: pptuup, addresses: [198.18.16.2/30]}
    routes:
      - {to: 0.0.0.0/0, via: 198.18.16.1}
EOF
	cat <<EOF
networks:
  net-a: {device: pptuna}
  net-b: {device: pptunb}
instance-ports:
  sf1:
    device: pptut1
    mac: $M1
    service-ports:
      pa: {vlan: 100, bind: {network: net-a}}
${l3:+$LA}
  sf2:
    device: pptut2
    mac: $M2
    mode: tc
    service-ports:
      pb: {vlan: 200, bind: {network: net-b}}
${l3:+$LB}
EOF
}
bindings >"$CONF/bindings.yaml"

# lanes 0 and 1: the service ports; 2 and 3 (routed, once the L3 domain is
# there): the L3 ports
"$B/tests/ppstream" --lane "pptut1,100,pptu-na,eth0,$M1" --lane "pptut2,200,pptu-nb,eth0,$M2" \
	--route "pptut1,101,$ML1,10.16.1.5,$GW,pptu-pv,eth0,$UMAC,203.0.113.1" \
	--route "pptut2,201,$ML2,10.16.2.5,$GW,pptu-pv,eth0,$UMAC,203.0.113.2" \
	--rate 12500 --route-rate 2500 --drop-vid 999 --drop-rate 500 --report "$REPORT" \
	--ready "$WORK/stream.ready" >"$WORK/stream.log" 2>&1 &
STREAM=$!
PIDS+=("$STREAM")
wait_for 5 test -f "$WORK/stream.ready" || { fail "ppstream did not start: $(cat "$WORK/stream.log")"; exit 1; }

# ---- daemons ------------------------------------------------------------------------------
DPID= SPID= DLOG=
# dstart NAME BIN [ENV=VAL]: BIN in the foreground over the pins; 0 once it serves
# (its pid in DPID), 1 if it died first (its exit status in DRC).  A subshell
# waits for it, so that a daemon killed on purpose is no news from this shell.
dstart() {
	local name=$1 bin=$2
	shift 2
	DLOG=$WORK/d-$name.log
	DPID=
	rm -f "$STATE/status.json" "$WORK/rc"
	( env "$@" "$bin" -f -v --config "$CONF" --pin-root "$PIN" --state-dir "$STATE" \
		--api-socket "$API" >"$DLOG" 2>&1; echo $? >"$WORK/rc" ) 2>/dev/null &
	SPID=$!
	PIDS+=("$SPID")
	for _ in $(seq 1000); do
		DPID=$(grep -o '"pid": [0-9]*' "$STATE/status.json" 2>/dev/null | awk '{print $2}')
		if [[ -n $DPID ]]; then
			PIDS+=("$DPID")
			return 0
		fi
		if [[ -s $WORK/rc ]]; then
			wait "$SPID"
			DRC=$(cat "$WORK/rc")
			return 1
		fi
		sleep 0.01
	done
	DRC=timeout
	return 1
}
dstop() {
	[[ -n $DPID ]] && kill -TERM "$DPID" 2>/dev/null
	[[ -n $SPID ]] && wait "$SPID" 2>/dev/null
	DPID= SPID=
}

# ---- what runs on each hook -----------------------------------------------------------------
DEVS="pptut1 pptut2 pptuna pptunb"
NHOOKS=6	# four TC filters, XDP on the XDP-mode tap and on its network's device
# hooks: "DEV tc|xdp|tc-egress ID TAG" for every polyport hook
hooks() {
	local d id
	for d in $DEVS; do
		id=$(tc filter show dev "$d" ingress 2>/dev/null | grep -o ' id [0-9]*' | head -1 | awk '{print $2}')
		[[ -n $id ]] && echo "$d tc $id $(bpftool prog show id "$id" | grep -o 'tag [0-9a-f]*' | awk '{print $2}')"
		# (only an uplink has an egress filter)
		id=$(tc filter show dev "$d" egress 2>/dev/null | grep -o ' id [0-9]*' | head -1 | awk '{print $2}')
		[[ -n $id ]] && echo "$d tc-egress $id $(bpftool prog show id "$id" | grep -o 'tag [0-9a-f]*' | awk '{print $2}')"
		id=$(ip link show dev "$d" 2>/dev/null | grep -o 'prog/xdp[a-z]* id [0-9]*' | awk '{print $3}')
		[[ -n $id ]] && echo "$d xdp $id $(bpftool prog show id "$id" | grep -o 'tag [0-9a-f]*' | awk '{print $2}')"
	done
}
# the tag the running daemon logged for one of tc-tap, tc-net, xdp-tap, xdp-net
dtag() { grep -o "$1 id [0-9]* tag [0-9a-f]*" "$DLOG" | tail -1 | awk '{print $5}'; }
# the tag of the uplinks' egress program the running daemon holds (it logs
# no line for it): of the programs named pp_uplink_egress_tc, the one among
# its descriptors (prog_id in /proc/PID/fdinfo)
egress_tag() {
	local ids
	ids=$(cat /proc/"${DPID:-0}"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" {print $2}' | jq -s -c .)
	bpftool -j prog show 2>/dev/null | jq -r --argjson ids "${ids:-[]}" \
		'.[] | select(.name == "pp_uplink_egress_tc" and (.id as $i | $ids | index($i))) | .tag' |
		head -1
}
PREV_HOOKS=
# hooks_check WHAT [same]: every hook runs the daemon's programs, none of the
# previous ones (same: the same build restarted, which adopts TC programs of its own tag)
hooks_check() {
	local what=$1 same=${2:-} cur bad="" n=0 dev kind id tag want
	cur=$(hooks)
	while read -r dev kind id tag; do
		[[ -z $dev ]] && continue
		n=$((n + 1))
		case $dev/$kind in
		*/tc-egress) want=$(egress_tag) ;;
		pptut*) want=$(dtag "$kind-tap") ;;
		*) want=$(dtag "$kind-net") ;;
		esac
		[[ $tag == "$want" ]] || bad+=" $dev $kind: tag $tag, the daemon's is ${want:-unknown};"
		if [[ -z $same ]] && grep -q " $kind $id " <<<"$PREV_HOOKS"; then
			bad+=" $dev $kind: still program $id;"
		fi
	done <<<"$cur"
	((n == NHOOKS)) || bad+=" $n hooks (want $NHOOKS: $(echo "$cur" | awk '{print $1 "/" $2}' | tr '\n' ' '));"
	[[ -z $bad ]] && pass "$what: every hook runs the daemon's programs ($NHOOKS hooks${same:-, new ids})" ||
		fail "$what:$bad"
	PREV_HOOKS=$cur
}

# ---- the stream and the counters --------------------------------------------------------------
# snap: the stream's counts so far (SIGUSR2), into S_* variables
snap() {
	rm -f "$REPORT"
	kill -USR2 "$STREAM"
	wait_for 2 test -f "$REPORT"
	read -r _ _ S_SENT _ S_RCV _ _ _ S_GAPS _ S_REO _ S_DUP _ S_CROSS _ S_ERR _ S_SECS _ S_RATE \
		< <(grep '^total' "$REPORT")
	read -r _ _ R_SENT _ R_RCV _ _ _ R_GAPS _ R_REO _ R_DUP _ R_BAD < <(grep '^routed' "$REPORT")
}
# stream_check WHAT: nothing lost (below the highest number received), reordered,
# duplicated or crossed so far, and the stream moves
LAST_RCV=0
stream_check() {
	local what=$1
	sleep 0.5
	snap
	if ((S_GAPS == 0 && S_REO == 0 && S_DUP == 0 && S_CROSS == 0 && S_RCV > LAST_RCV)); then
		pass "$what: traffic: 0 lost, 0 reordered, 0 to the other network ($S_RCV frames so far, $S_RATE/s each way)"
	else
		fail "$what: traffic: gaps $S_GAPS, reordered $S_REO, dup $S_DUP, cross $S_CROSS, received $S_RCV (before: $LAST_RCV)"
	fi
	LAST_RCV=$S_RCV
	[[ -n $L3_ON ]] && routed_check "$what"
}
# routed_check WHAT: the routed streams (in the totals above too) alone: they
# move, nothing lost below the highest number, reordered, duplicated, and
# every frame came with TTL 63, a valid checksum and a routed hop's MACs
L3_ON= LAST_RRCV=0
routed_check() {
	if ((R_GAPS == 0 && R_REO == 0 && R_DUP == 0 && R_BAD == 0 && R_RCV > LAST_RRCV)); then
		pass "$1: routed: 0 lost, 0 reordered, 0 duplicated, TTL 63 and a routed hop's MACs ($R_RCV frames so far)"
	else
		fail "$1: routed: gaps $R_GAPS, reordered $R_REO, dup $R_DUP, bad (TTL/MAC/checksum) $R_BAD, received $R_RCV (before: $LAST_RRCV);" \
			"$(grep -E '^stream [23] ' "$REPORT" | awk '{print "lane " $2 " " $3 ": gaps " $11}' | tr '\n' ';')" \
			"the domain's drops: $("$CTL" --api-socket "$API" stats 2>/dev/null | awk '$1 == "l3" && $5 > 0' | tr '\n' ';')"
	fi
	LAST_RRCV=$R_RCV
}
# ---- the L3 domain's maps --------------------------------------------------------------------
L3MAPS="pp_l3doms pp_l3addrs pp_l3ups pp_l3nh"
l3ids() {
	local m
	for m in $L3MAPS; do
		echo -n "$m:$(bpftool -j map show pinned "$PIN/$m" 2>/dev/null | jq -r .id) "
	done
}
# the next hop 198.18.16.1 on the uplink in pp_l3nh: its MAC if VALID (PP_L3NH_VALID = 1)
l3nh() {
	bpftool -j map dump pinned "$PIN/pp_l3nh" 2>/dev/null | jq -r --argjson ifx "$(cat /sys/class/net/pptuup/ifindex)" \
		'.[].formatted | select(.key.ifindex == $ifx and .key.family == 4 and .key.addr[0:4] == [198,18,16,1]
			and .value.flags % 2 == 1) | .value.mac | map(tostring) | join(" ")' |
		awk '{for (i = 1; i <= NF; i++) printf "%s%02x", (i > 1 ? ":" : ""), $i; print ""}'
}
l3nh_valid() { [[ -n $(l3nh) ]]; }
L3_IDS=
# l3maps_check WHAT: the next hop still resolved as the daemon starts serving
# (a rebuilt pp_l3nh would be empty until its resolver's first ARP), the
# same maps as before the step
l3maps_check() {
	local nh ids
	nh=$(l3nh)
	ids=$(l3ids)
	[[ $nh == "$PMAC" && $ids == "$L3_IDS" ]] &&
		pass "$1: L3 maps adopted (the same ids: $ids), the next hop valid in pp_l3nh as the daemon serves" ||
		fail "$1: L3 maps: ids $ids (before: $L3_IDS), next hop 198.18.16.1: '$nh' (want $PMAC, valid)"
}
# counters: "RXa TXa RXb TXb DROPS1 DROPS2" through the API
counters() {
	"$CTL" --api-socket "$API" stats 2>/dev/null | awk '
		$2 == "pa" { rxa = $3; txa = $5 } $2 == "pb" { rxb = $3; txb = $5 }
		$1 == "instance" && $3 == "sf1" && $4 == "unknown_port" { d1 = $5 }
		$1 == "instance" && $3 == "sf2" && $4 == "unknown_port" { d2 = $5 }
		END { printf "%d %d %d %d %d %d\n", rxa, txa, rxb, txb, d1, d2 }'
}
LAST_COUNTERS="0 0 0 0 0 0"
counters_check() {
	local what=$1 cur i bad=""
	cur=$(counters)
	read -ra c <<<"$cur"
	read -ra p <<<"$LAST_COUNTERS"
	for i in 0 1 2 3 4 5; do
		((c[i] >= p[i])) || bad+=" counter $i went down ${p[i]} -> ${c[i]};"
	done
	((c[0] > p[0] && c[4] > p[4])) || bad+=" counters do not move ($LAST_COUNTERS -> $cur);"
	[[ -z $bad ]] && pass "$what: counters never went down ($cur)" || fail "$what:$bad"
	LAST_COUNTERS=$cur
}
next_gone() {
	[[ ! -e $PIN/next ]] && pass "$1: nothing left under next/" ||
		fail "$1: next/ left: $(ls "$PIN/next" | tr '\n' ' ') $(readlink "$PIN/next/journal")"
}
# after_step WHAT [same]: the checks every step ends with
after_step() {
	[[ -n $L3_ON ]] && l3maps_check "$1"
	hooks_check "$1" "${2:-}"
	stream_check "$1"
	counters_check "$1"
	next_gone "$1"
}
# upgrade_line: the daemon's "upgrade: ... migrated in" line
upgrade_line() { grep -o 'upgrade: .* migrated in .*' "$DLOG" | sed 's/^upgrade: //'; }
MEASURED=()
# upgrade WHAT BIN MAPS: stop the daemon, start BIN: MAPS ("" for none) migrated,
# with every hook swapped (TC ingress and XDP; an uplink's egress filter is
# the reconcile's) before the daemon serves
upgrade() {
	local what=$1 bin=$2 maps=$3 t0 t1 line nswap
	nswap=$(hooks | grep -vc ' tc-egress ')
	dstop
	t0=$(date +%s%N)
	if ! dstart "$what" "$bin"; then
		fail "$what: the new daemon did not start ($DRC): $(tail -3 "$DLOG" | tr '\n' ' ')"
		return 1
	fi
	t1=$(date +%s%N)
	line=$(upgrade_line)
	if [[ -z $maps ]]; then
		[[ -z $line ]] && pass "$what: no layout change, no migration ($(( (t1 - t0) / 1000000 )) ms to serve)" ||
			fail "$what: migrated: $line"
	else
		[[ $line == "$maps migrated"* && $line == *"; $nswap hooks swapped"* ]] && pass "$what: $line" ||
			fail "$what: want '$maps migrated', $nswap hooks swapped, log: $(grep upgrade: "$DLOG" | tr '\n' ' ')"
		MEASURED+=("$what: $line")
	fi
	after_step "$what"
}

# ---- the previous main, then this tree ---------------------------------------------------------
dstart from "$FROM_BIN" || { fail "the previous main does not start: $(tail -3 "$DLOG")"; exit 1; }
kill -USR1 "$STREAM"
sleep 1
PREV_HOOKS=$(hooks)
stream_check "previous main ${FROM:0:12}"
LAST_COUNTERS=$(counters)
# its pp_nets is the 16-byte layout (before VXLAN, issue 20): recorded as such
dump=$(bpftool map dump pinned "$PIN/pp_layouts" 2>&1)
grep -A6 '"name": "pp_nets"' <<<"$dump" | grep -q '"value_size": 16' &&
	pass "previous main: its pins carry layout records, pp_nets of 16 bytes" ||
	fail "previous main: pp_layouts: $(grep -A6 '"name": "pp_nets"' <<<"$dump" | tr '\n' ' ')"
upgrade "upgrade from the previous main" "$A" "pp_nets"
# both networks' entries copied into the new layout (each field: tests/unit/test_layout.c), vni 0
dump=$(bpftool -j map dump pinned "$PIN/pp_nets" 2>&1)
nets_ok=1
grep -q 'pp_nets: 2 entries copied into the new layout' "$DLOG" || nets_ok=0
for d in pptuna pptunb; do
	ifi=$(cat "/sys/class/net/$d/ifindex")
	[[ $(jq -c "[.[] | .formatted.value | select(.ifindex == $ifi) |
		{mtu, vni}]" <<<"$dump" 2>/dev/null) == '[{"mtu":1500,"vni":0}]' ]] || nets_ok=0
done
((nets_ok)) && pass "upgrade from the previous main: both networks' pp_nets entries copied, vni 0" ||
	fail "upgrade from the previous main: pp_nets: $(grep 'pp_nets:' "$DLOG" | head -2 | tr '\n' ' ') $(jq -c '[.[] | .formatted.value]' <<<"$dump" 2>&1 | head -c 400)"
# (read whole first: grep -q closing the pipe early fails bpftool under pipefail)
dump=$(bpftool map dump pinned "$PIN/pp_layouts" 2>&1)
grep -q '"name": "pp_iport_drops"' <<<"$dump" &&
	pass "layouts: every map's layout is recorded in pp_layouts (bpftool shows the fields)" ||
	fail "layouts: pp_layouts: $(head -5 <<<"$dump")"

# ---- an L3 domain joins (the previous main could not read it) -----------------------------------
bindings l3 >"$CONF/bindings.yaml"
kill -HUP "$DPID"
st() { jq -r "$1" "$STATE/status.json" 2>/dev/null; }
dom_active() { [[ $(st '.l3_domains[0].status') == ACTIVE ]]; }
if wait_for 10 dom_active &&
	wait_for 10 sh -c "ip route show table $L3TABLE | grep -q '10.16.2.5 dev pptut2'"; then
	pass "L3: the domain is ACTIVE, its routes in table $L3TABLE"
else
	fail "L3: the domain: $(st '.l3_domains') table: $(ip route show table $L3TABLE | tr '\n' ';')"
fi
wait_for 10 l3nh_valid
nh=$(l3nh)
[[ $nh == "$PMAC" ]] && pass "L3: polyport resolved the next hop 198.18.16.1 by ARP (pp_l3nh: $nh, valid)" ||
	fail "L3: pp_l3nh has '$nh' for 198.18.16.1, want the provider's $PMAC"
L3_IDS=$(l3ids)
DEVS+=" pptuup"
NHOOKS=9	# and the uplink's TC ingress, TC egress and XDP
kill -HUP "$STREAM"
L3_ON=1
hooks_check "an L3 domain joins" ", the same daemon"
stream_check "an L3 domain joins"

# ---- A <-> B --------------------------------------------------------------------------------------
MAPS_AB="pp_nets, pp_iport_drops, pp_net_drops"
upgrade "A -> B (layout change)" "$V1" "$MAPS_AB"
upgrade "B -> A (layout change)" "$A" "$MAPS_AB"
for r in $(seq "$ROUNDS"); do
	upgrade "round $r: A -> B" "$V1" "$MAPS_AB"
	upgrade "round $r: B -> A" "$A" "$MAPS_AB"
done

# ---- kill -9 at each step of an upgrade ----------------------------------------------------------
# crash WHAT BIN POINT STEP: BIN killed at POINT leaves the journal at STEP and
# the dataplane forwarding
crash() {
	local what=$1 bin=$2 point=$3 step=$4 j
	dstop
	if dstart "$what" "$bin" PP_CRASH_AT="$point"; then
		fail "$what: the daemon did not die at $point"
		dstop
		return 1
	fi
	j=$(readlink "$PIN/next/journal" 2>/dev/null)
	[[ $DRC == 137 && $j == "step=$step "* ]] &&
		pass "$what: killed (SIGKILL) at $point, the journal says '$step'" ||
		fail "$what: exit $DRC, journal '${j:-none}'"
	stream_check "$what, killed"
}
# restart WHAT BIN HOW: BIN completes or rolls back the interrupted upgrade
restart() {
	local what=$1 bin=$2 how=$3
	if ! dstart "$what" "$bin"; then
		fail "$what: no start after the crash ($DRC): $(tail -3 "$DLOG" | tr '\n' ' ')"
		return 1
	fi
	grep -q "the interrupted upgrade is $how" "$DLOG" &&
		pass "$what: the restart $how the interrupted upgrade" ||
		fail "$what: $(grep upgrade: "$DLOG" | tr '\n' ' ')"
	after_step "$what"
}
crash "kill -9 at prepare (A -> B)" "$V1" upgrade-prepare prepare
restart "restart B after prepare" "$V1" "rolled back"
grep -q "migrated in" "$DLOG" && pass "restart B after prepare: then it upgrades again" ||
	fail "restart B after prepare: no migration after the roll back"
crash "kill -9 while swapping (B -> A, 2 hooks swapped)" "$A" upgrade-hook:2 swap
restart "restart A while swapping" "$A" completed
crash "kill -9 before the fold (A -> B)" "$V1" upgrade-fold fold
restart "restart B before the fold" "$V1" completed
crash "kill -9 while folding (B -> A, 1 entry folded)" "$A" upgrade-folded:1 fold
restart "restart A while folding" "$A" completed
crash "kill -9 before the rename (A -> B)" "$V1" upgrade-rename rename
restart "restart B before the rename" "$V1" completed
crash "kill -9 while swapping (B -> A, 3 hooks swapped)" "$A" upgrade-hook:3 swap
restart "the previous binary (B) after a crash while swapping" "$V1" "rolled back"
crash "kill -9 while swapping (B -> A, 1 hook swapped)" "$A" upgrade-hook:1 swap
crash "kill -9 while rolling back (B)" "$V1" upgrade-back back
restart "restart B after a crash while rolling back" "$V1" "rolled back"
upgrade "B -> A after the crashes" "$A" "$MAPS_AB"

# ---- without a layout change; a change no migration knows ----------------------------------------
upgrade "A -> variant 2 (another program, the same layouts)" "$V2" ""
upgrade "variant 2 -> A" "$A" ""
dstop
if dstart "A -> variant 3" "$V3"; then
	fail "a same-size layout change without migration: variant 3 started over A's pins"
else
	grep -q "map pp_sports is pinned with layout .*no migration is known" "$DLOG" &&
		pass "a same-size layout change without migration is refused, not adopted: $(grep -o 'map pp_sports.*' "$DLOG" | cut -c1-110)..." ||
		fail "variant 3: exit $DRC: $(tail -2 "$DLOG" | tr '\n' ' ')"
fi
PREV_HOOKS=$(hooks)
stream_check "after the refusal (no daemon)"
l3maps_check "after the refusal (no daemon)"
[[ $(hooks) == "$PREV_HOOKS" && ! -e $PIN/next ]] &&
	pass "after the refusal: the dataplane is untouched" || fail "after the refusal: hooks or pins changed"
dstart "A again" "$A" || fail "A does not start again: $(tail -3 "$DLOG")"
after_step "A again" ", TC adopted by tag"

# ---- the end: every frame, every count ------------------------------------------------------------
kill -TERM "$STREAM"
wait "$STREAM"
STREAM=
read -r _ _ S_SENT _ S_RCV _ S_LOST _ S_GAPS _ S_REO _ S_DUP _ S_CROSS _ S_ERR _ S_SECS _ S_RATE \
	< <(grep '^total' "$REPORT")
echo "      stream: $(grep '^total' "$REPORT")"
((S_LOST == 0 && S_REO == 0 && S_DUP == 0 && S_CROSS == 0 && S_RATE >= 20000)) &&
	pass "stream: $S_SENT frames in $S_SECS s ($S_RATE/s each way): 0 lost, 0 reordered, 0 duplicated, 0 to the other network" ||
	fail "stream: lost $S_LOST, reordered $S_REO, dup $S_DUP, cross $S_CROSS, rate $S_RATE/s each way"
sent() { awk -v l="$1" -v d="$2" '$1 == "stream" && $2 == l && $3 == d {print $5}' "$REPORT"; }
dsent() { awk -v t="$1" '$1 == "drops" && $2 == t {print $4}' "$REPORT"; }
want="$(sent 0 to-net) $(sent 0 to-vm) $(sent 1 to-net) $(sent 1 to-vm) $(dsent pptut1) $(dsent pptut2)"
got=$(counters)
[[ $got == "$want" ]] &&
	pass "counters: rx/tx of both service ports and the unknown_port drops of both taps equal the frames sent ($got)" ||
	fail "counters: $got, frames sent: $want"
for m in "${MEASURED[@]}"; do echo "      $m"; done
dstop
exit $FAILED
