#!/usr/bin/env bash
# End to end: the TPID contract (issue 12, findings 1 and 2), through
# polyportd and the light guest.
#
#   networks: a   = pptpa -> pptp-a        (untagged)
#             b   = pptpb -> pptp-b        (untagged)
#             t0  = pptpt -> pptp-t        (the trunk's untagged network)
#             t1  = pptpt, vlan 3001       (the trunk's VLAN network)
#   tap pptptap (instance port g), guest ports (build/ppguest):
#     vlan 200 -> a, QinQ 300.10 -> b, untagged -> t0, vlan 101 -> t1, and a
#     raw port (pptp-graw) whose frames reach the tap as they are written.
#
# From the guest (finding 1): 0x9100 is never a tag a port matches, and an
# inner tag is 0x8100 only: such frames reach no network (captures on all
# three), while the same frames with 0x8100/0x88a8 reach theirs.
# From the trunk's peer (finding 2): a network's tag is 0x8100/VID only;
# 0x88a8 or 0x9100 headers reach no guest port (captures on every port),
# while 0x8100/3001, untagged and priority-tagged controls arrive where they
# belong.  Every frame carries a marker (lib.sh's frame, seen, expect).
#
#   tests/e2e/tpid.sh [auto|tc]   the instance port's mode (auto: XDP on the tap)
MODE=${1:-auto}
PPT_NAME=tpid-$MODE
PPT_SCOPE=pptp	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
[[ $MODE != auto ]] && PPT_LABEL=$MODE
suite_start

daemon_dirs
M1=52:54:00:0c:00:01 MQ=52:54:00:0c:00:03 MR=52:54:00:0c:00:99 EXT=02:00:00:0c:00:aa
BC=ff:ff:ff:ff:ff:ff

cat >"$CONF/10-tpid.yaml" <<EOF
networks:
  a: {device: pptpa}
  b: {device: pptpb}
  t0: {device: pptpt}
  t1: {device: pptpt, vlan: 3001}
instance-ports:
  g:
    device: pptptap
    mac: $M1
    mode: $MODE
    service-ports:
      p200: {vlan: 200, bind: {network: a}}
      pq: {vlan: [300, 10], mac: $MQ, bind: {network: b}}
      pu: {untagged: true, bind: {network: t0}}
      p101: {vlan: 101, bind: {network: t1}}
EOF

netns_net pptp-a pptpa 10.9.1.2/24
netns_net pptp-b pptpb 10.9.2.2/24
netns_net pptp-t pptpt 10.9.3.2/24
for g in g200 gq gu g101 graw; do ip netns add "pptp-$g"; ip -n "pptp-$g" link set lo up; done
daemon_start || exit 1
guest g pptptap \
	--port ns=pptp-g200,dev=eth0,mac=$M1,match=vlan:200 \
	--port ns=pptp-gq,dev=eth0,mac=$MQ,match=qinq:300.10 \
	--port ns=pptp-gu,dev=eth0,mac=$M1,match=untagged \
	--port ns=pptp-g101,dev=eth0,mac=$M1,match=vlan:101 \
	--port ns=pptp-graw,dev=eth0,mac=$MR,match=raw || { fail "guest"; exit 1; }
ip -n pptp-g200 addr add 10.9.1.10/24 dev eth0
ip -n pptp-gu addr add 10.9.3.10/24 dev eth0
wait_for 5 sh -c "tc filter show dev pptptap ingress | grep -q pp_tap_ingress" ||
	{ fail "the tap was not attached"; exit 1; }
check "setup: vlan 200 reaches network a" ip netns exec pptp-g200 ping -c 2 -i 0.2 -W 2 10.9.1.2
check "setup: the untagged port reaches the trunk's untagged network" \
	ip netns exec pptp-gu ping -c 2 -i 0.2 -W 2 10.9.3.2
echo "# modes: $(grep -o '"effective_mode": "[a-z]*"' "$STATE/status.json" | sort | uniq -c | tr '\n' ' ')"

caps_start() { for c in "$@"; do capture_start "$c" "pptp-$c" eth0; done; }
caps_stop() { for c in "$@"; do capture_stop "$c" >/dev/null; done; }

# ---- finding 1: what the guest sends --------------------------------------------------
NETS=(a b t)
caps_start "${NETS[@]}"
ip netns exec pptp-graw "$B/tests/ppsend" eth0 \
	"$(frame $BC $M1 h-9100-200 "$(tag 0x9100 200)")" \
	"$(frame $BC $M1 c-8100-200 "$(tag 0x8100 200)")" \
	"$(frame $BC $MQ h-9100-300-8100-10 "$(tag 0x9100 300)" "$(tag 0x8100 10)")" \
	"$(frame $BC $MQ c-88a8-300-8100-10 "$(tag 0x88a8 300)" "$(tag 0x8100 10)")" \
	"$(frame $BC $MQ h-8100-300-88a8-10 "$(tag 0x8100 300)" "$(tag 0x88a8 10)")" \
	"$(frame $BC $M1 h-9100-101 "$(tag 0x9100 101)")" \
	"$(frame $BC $M1 c-8100-101 "$(tag 0x8100 101)")" \
	"$(frame $BC $M1 h-9100-0 "$(tag 0x9100 0)")" \
	"$(frame $BC $M1 c-8100-0 "$(tag 0x8100 0)")" ||
	fail "ppsend from the guest"
caps_stop "${NETS[@]}"
expect "guest: 9100/200 reaches no network" h-9100-200 none "${NETS[@]}"
expect "guest: control 8100/200 reaches network a" c-8100-200 a "${NETS[@]}"
expect "guest: 9100/300 8100/10 reaches no network" h-9100-300-8100-10 none "${NETS[@]}"
expect "guest: control 88a8/300 8100/10 reaches network b" c-88a8-300-8100-10 b "${NETS[@]}"
expect "guest: 8100/300 88a8/10 (inner 0x88a8) reaches no network" h-8100-300-88a8-10 none \
	"${NETS[@]}"
expect "guest: 9100/101 reaches no network (not the trunk's vlan 3001)" h-9100-101 none \
	"${NETS[@]}"
expect "guest: control 8100/101 reaches the trunk (vlan 3001)" c-8100-101 t "${NETS[@]}"
expect "guest: 9100/0 is no priority tag: reaches no network" h-9100-0 none "${NETS[@]}"
expect "guest: control 8100/0 (priority tag) reaches the trunk untagged" c-8100-0 t "${NETS[@]}"
n=$(tcpdump -nn -e -r "$WORK/t.pcap" 2>/dev/null | grep "PPTMARK-c-8100-101 " -c)
tcpdump -nn -e -r "$WORK/t.pcap" 2>/dev/null | grep -q "ethertype 802.1Q (0x8100), length [0-9]*: vlan 3001" \
	&& pass "guest: the trunk got vlan 101's frame as 0x8100/3001" \
	|| fail "guest: no 0x8100/3001 frame on the trunk ($n marked)"

# ---- finding 2: what the trunk's peer sends toward the guest -------------------------
PORTS=(g200 gq gu g101)
caps_start "${PORTS[@]}"
ip netns exec pptp-t "$B/tests/ppsend" eth0 \
	"$(frame $M1 $EXT h-88a8-3001 "$(tag 0x88a8 3001)")" \
	"$(frame $M1 $EXT h-9100-3001 "$(tag 0x9100 3001)")" \
	"$(frame $BC $EXT h-bc-88a8-3001 "$(tag 0x88a8 3001)")" \
	"$(frame $BC $EXT h-bc-9100-3001 "$(tag 0x9100 3001)")" \
	"$(frame $M1 $EXT h-88a8-0 "$(tag 0x88a8 0)")" \
	"$(frame $BC $EXT h-bc-9100-0 "$(tag 0x9100 0)")" \
	"$(frame $M1 $EXT h-88a8-3001-8100-5 "$(tag 0x88a8 3001)" "$(tag 0x8100 5)")" \
	"$(frame $M1 $EXT c-8100-3001 "$(tag 0x8100 3001)")" \
	"$(frame $BC $EXT c-bc-8100-3001 "$(tag 0x8100 3001)")" \
	"$(frame $M1 $EXT c-untagged)" \
	"$(frame $BC $EXT c-bc-8100-0 "$(tag 0x8100 0)")" ||
	fail "ppsend from the trunk"
caps_stop "${PORTS[@]}"
expect "trunk: 88a8/3001 reaches no guest port" h-88a8-3001 none "${PORTS[@]}"
expect "trunk: 9100/3001 reaches no guest port" h-9100-3001 none "${PORTS[@]}"
expect "trunk: broadcast 88a8/3001 reaches no guest port" h-bc-88a8-3001 none "${PORTS[@]}"
expect "trunk: broadcast 9100/3001 reaches no guest port" h-bc-9100-3001 none "${PORTS[@]}"
expect "trunk: 88a8/0 is no priority tag: reaches no guest port" h-88a8-0 none "${PORTS[@]}"
expect "trunk: broadcast 9100/0 reaches no guest port" h-bc-9100-0 none "${PORTS[@]}"
expect "trunk: 88a8/3001 8100/5 reaches no guest port" h-88a8-3001-8100-5 none "${PORTS[@]}"
expect "trunk: control 8100/3001 reaches vlan 101 only" c-8100-3001 g101 "${PORTS[@]}"
expect "trunk: control broadcast 8100/3001 reaches vlan 101 only" c-bc-8100-3001 g101 \
	"${PORTS[@]}"
expect "trunk: control untagged reaches the untagged port only" c-untagged gu "${PORTS[@]}"
expect "trunk: control broadcast 8100/0 reaches the untagged port only" c-bc-8100-0 gu \
	"${PORTS[@]}"

# ---- the drops are counted by reason -------------------------------------------------
"$B/polyportctl" --api-socket "$API" --pin-root "$PIN" stats >"$WORK/stats.txt" 2>&1
grep -qE "too_many_tags +[1-9]" "$WORK/stats.txt" &&
	grep -qE "tagged_on_untagged_net +[1-9]" "$WORK/stats.txt" \
	&& pass "counters: too_many_tags (guest) and tagged_on_untagged_net (trunk) counted" \
	|| fail "counters: $(cat "$WORK/stats.txt")"

daemon_stop
exit $FAILED
