#!/usr/bin/env bash
# End to end: many hosts, one store (issue 19).  Three "hosts" (network
# namespaces), each with its own polyportd in cluster mode and light guests,
# one TLS etcd (cluster_lib.sh); one shared "physical" network (a bridge)
# behind every host.
#
#   pptc-etcd   etcd on https://10.97.0.1:2379 (cluster_lib.sh)
#   pptc-net    bridge pptcbr (10.98.0.1/24, MAC $PEER): the network's peer;
#               veth pptcnN <-> pptcupN, the device of network cn on host N
#   pptc-hN     polyportd (pins $BPF/hN, API $RUN/hN/api.sock), its taps:
#     instance port  host  tap     service port (vlan 100 -> cn)  guest
#     ip1/ip2/ip3    hN    pptctN  s1/s2/s3                       pptc-gN 10.98.0.1N
#     mv             h1    pptctv  sv     moved to h2 by PATCH    pptc-gv1 (h1), pptc-gv2 (h2)
#     mig            h1    pptctm  sm     migrated to h3 by plug  pptc-gm1 (h1), pptc-gm3 (h3)
#
# Names: namespaces pptc-*, devices pptc* (only inside those namespaces).
PPT_NAME=cluster
PPT_SCOPE=pptc	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/cluster_lib.sh"
PEER=52:54:00:c0:ff:01
cluster_start

# gaddr NS ADDR: the guest's address, the peer's MAC pinned (no ARP: a
# guest's first frame is what the test sends)
gaddr() {
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" neigh replace 10.98.0.1 lladdr "$PEER" dev eth0 nud permanent
}

# ---- topology ----------------------------------------------------------------------------
cluster_etcd
ip netns add pptc-net && quiet pptc-net
ip -n pptc-net link set lo up
ip -n pptc-net link add pptcbr address "$PEER" type bridge
ip -n pptc-net addr add 10.98.0.1/24 dev pptcbr
ip -n pptc-net link set pptcbr up
for n in 1 2 3; do
	ip -n "pptc-h$n" link add "pptcup$n" type veth peer name "pptcn$n" netns pptc-net
	ip -n pptc-net link set "pptcn$n" master pptcbr up
	ip -n "pptc-h$n" link set "pptcup$n" up
done
if ip netns exec pptc-h1 curl -sf -m 2 --cacert "$CERTS/ca.crt" --cert "$CERTS/other.crt" \
	--key "$CERTS/other.key" "$ETCD_EP/health" >/dev/null 2>&1; then
	fail "cluster: etcd took the other CA's client certificate (the wrong-certificate check would prove nothing)"
fi
((FAILED)) && exit 1

# ---- three hosts --------------------------------------------------------------------------
cluster_hosts_start
"$B/polyportctl" --api-socket "$RUN/h1/api.sock" -j events --since 0 --follow >"$WORK/events-h1.log" 2>&1 &
PIDS+=($!)

# ---- guests (before the objects: their taps are there when programmed) -----------------------
M1=52:54:00:c0:00:01 M2=52:54:00:c0:00:02 M3=52:54:00:c0:00:03 MV=52:54:00:c0:00:20 MM=52:54:00:c0:00:30
for n in 1 2 3; do
	qns "pptc-g$n"
	m="M$n"
	GUEST_NETNS=pptc-h$n guest "g$n" "pptct$n" --port "ns=pptc-g$n,dev=eth0,mac=${!m},match=vlan:100" ||
		fail "guest g$n did not start"
	ip -n "pptc-g$n" addr add "10.98.0.1$n/24" dev eth0
done
qns pptc-gv1 61
qns pptc-gv2 62
qns pptc-gm1 61
qns pptc-gm3 63
GUEST_NETNS=pptc-h1 guest gv1 pptctv --port "ns=pptc-gv1,dev=eth0,mac=$MV,match=vlan:100" || fail "guest gv1 did not start"
GUEST_NETNS=pptc-h2 guest gv2 pptctv --port "ns=pptc-gv2,dev=eth0,mac=$MV,match=vlan:100" || fail "guest gv2 did not start"
GUEST_NETNS=pptc-h1 guest gm1 pptctm --port "ns=pptc-gm1,dev=eth0,mac=$MM,match=vlan:100" || fail "guest gm1 did not start"
GUEST_NETNS=pptc-h3 guest gm3 pptctm --port "ns=pptc-gm3,dev=eth0,mac=$MM,match=vlan:100" || fail "guest gm3 did not start"
gaddr pptc-gv1 10.98.0.20
gaddr pptc-gv2 10.98.0.20
gaddr pptc-gm1 10.98.0.30
gaddr pptc-gm3 10.98.0.30
ip -n pptc-net neigh replace 10.98.0.20 lladdr "$MV" dev pptcbr nud permanent
ip -n pptc-net neigh replace 10.98.0.30 lladdr "$MM" dev pptcbr nud permanent

# ---- everything through h1's API ------------------------------------------------------------
codes=()
post() { codes+=("$(hreq h1 POST "/v1/$1" "$2" | cut -c1-200)"); }
post networks '{"name": "cn", "device": "pptcupx", "devices": {"h1": "pptcup1", "h2": "pptcup2", "h3": "pptcup3"}}'
for n in 1 2 3; do
	m="M$n"
	post instance-ports "{\"name\": \"ip$n\", \"device\": \"pptct$n\", \"mac\": \"${!m}\", \"host\": \"h$n\"}"
done
post instance-ports "{\"name\": \"mv\", \"device\": \"pptctv\", \"mac\": \"$MV\", \"host\": \"h1\"}"
post instance-ports "{\"name\": \"mig\", \"id\": \"pptc-mig-1\", \"device\": \"pptctm\", \"mac\": \"$MM\", \"host\": \"h1\"}"
for s in 1:ip1 2:ip2 3:ip3 v:mv m:mig; do
	post service-ports "{\"name\": \"s${s%%:*}\", \"instance-port\": \"${s#*:}\", \"vlan\": 100, \"bind\": {\"network\": \"cn\"}}"
done
bad=$(printf '%s\n' "${codes[@]}" | grep -v '^201 ')
[[ -z $bad ]] && pass "objects: created through h1's API: network cn (a device per host), instance ports on h1, h2, h3 (\"host\"), their service ports: 201 each" ||
	fail "objects: through h1: $(head -3 <<<"$bad" | tr '\n' ' ')"

IPORTS="ip1 ip2 ip3 mv mig" SPORTS="s1 s2 s3 sv sm"
# all_active: every object ACTIVE through every host's API
all_active() {
	local h o
	for h in "${HOSTS[@]}"; do
		st_is "$h" networks cn ACTIVE || return 1
		for o in $IPORTS; do st_is "$h" instance-ports "$o" ACTIVE || return 1; done
		for o in $SPORTS; do st_is "$h" service-ports "$o" ACTIVE || return 1; done
	done
}
t0=$(now)
if ms=$(until_ms "$t0" 10000 all_active); then
	pass "status: cn, ip1..3, mv, mig and their service ports ACTIVE through h1's, h2's and h3's API (each programmed on one host)"
	fig "created through h1 -> every object ACTIVE through every host's API: $ms ms"
else
	fail "status: not all ACTIVE within 10 s: $(for h in "${HOSTS[@]}"; do for o in $IPORTS; do
		echo -n "$h:$o=$(st "$h" instance-ports "$o") "; done; done) cn@h3=$(st h3 networks cn) '$(st h2 instance-ports ip1 reason)'"
fi
v2=$(hget h2 /v1/instance-ports/ip3) v3=$(hget h3 /v1/networks/cn)
if [[ "$(jq -r .host <<<"$v2")" == h3 && "$(jq -r .mac <<<"$v2")" == "$M3" &&
	"$(jq -c .devices <<<"$v3")" == '{"h1":"pptcup1","h2":"pptcup2","h3":"pptcup3"}' &&
	"$(hget h3 /v1/service-ports | jq -r '[.[].name] | sort | join(",")')" == "s1,s2,s3,sm,sv" ]]; then
	pass "objects: what h1 wrote appears through h2's and h3's APIs (ip3 with host h3 through h2, cn's devices through h3, every service port)"
else
	fail "objects: ip3 through h2: $(head -c 200 <<<"$v2"); cn through h3: $(head -c 200 <<<"$v3")"
fi
# the store holds the API's JSON, an object's revision is its key's mod revision
kv=$(etcdctl_c get "${P}networks/cn" -w json 2>/dev/null)
val=$(jq -r '.kvs[0].value // empty' <<<"$kv" | base64 -d 2>/dev/null)
modrev=$(jq -r '.kvs[0].mod_revision // empty' <<<"$kv")
rev=$(field h2 networks cn .revision)
if [[ "$(jq -r .devices.h2 <<<"$val" 2>/dev/null)" == pptcup2 && "$(jq -r 'has("revision")' <<<"$val")" == false &&
	-n $modrev && $rev == "$modrev" ]]; then
	pass "store: /polyport/v1/networks/cn holds the object's JSON without a revision; the API's revision is the key's mod revision ($modrev)"
else
	fail "store: ${P}networks/cn = '$(head -c 200 <<<"$val")', mod revision '$modrev', API revision '$rev'"
fi

# programmed only on its host
t=$(now); dump h1 >/dev/null; t=$(ms_since "$t")
fig "one look at a host's maps: dump --canonical $t ms; the times below poll pp_names with bpftool (a few ms a look)"
bad=""
for o in ip1:h1 ip2:h2 ip3:h3 mv:h1 mig:h1; do on_only "${o#*:}" iport "${o%%:*}" || bad+=" iport ${o%%:*}"; done
for o in s1:h1 s2:h2 s3:h3 sv:h1 sm:h1; do on_only "${o#*:}" sport "${o%%:*}" || bad+=" sport ${o%%:*}"; done
for n in 1 2 3; do dump "h$n" | grep -q "^pp_devs pptcup$n .*net=cn" || bad+=" cn's device pptcup$n on h$n"; done
[[ -z $bad ]] && pass "placement: each instance port and service port is in its host's maps only (ip1 h1, ip2 h2, ip3 h3, mv and mig h1); cn on every host with that host's device (pptcup1..3)" ||
	fail "placement:$bad (h1 has: $(dump h1 | grep -E '^pp_names (iport|sport)' | awk '{print $3}' | tr '\n' ' '))"

# an object invalid on one host only: skipped there (ERROR with the reason), the rest applied
cb='{"name": "cb", "devices": {"h1": "pptcub1"}}'
s2b='{"name": "s2b", "instance-port": "ip2", "vlan": 300, "mac": "52:54:00:c0:00:2b", "bind": {"network": "cb"}}'
g1=$(hreq h1 POST /v1/networks "$cb")
g2=$(hreq h2 POST /v1/service-ports "$s2b")
g3=$(hreq h1 POST /v1/service-ports "$s2b")
skip_ok() {
	local h
	for h in "${HOSTS[@]}"; do
		st_is "$h" service-ports s2b ERROR && [[ "$(st "$h" service-ports s2b reason)" == *cb*h2* ]] || return 1
	done
}
if [[ ${g1%% *} == 201 && ${g2%% *} == 422 && $g2 == *h2* && ${g3%% *} == 201 ]] && wait_for 5 skip_ok &&
	hasnt h2 sport s2b && st_is h3 instance-ports ip2 ACTIVE && st_is h1 service-ports s2 ACTIVE; then
	pass "skipped: a service port of ip2 (h2) on network cb, which has no device on h2: refused through h2 (422), taken through h1, then ERROR through every API ('$(st h3 service-ports s2b reason)'), not in h2's maps, ip2 and s2 still ACTIVE"
else
	fail "skipped: cb through h1: ${g1:0:60}; s2b through h2: ${g2:0:160}; through h1: ${g3:0:60}; status through h1/h3: $(st h1 service-ports s2b) '$(st h3 service-ports s2b reason)'; in h2's maps: $(has h2 sport s2b && echo yes || echo no)"
fi
hreq h1 DELETE /v1/service-ports/s2b >/dev/null
hreq h1 DELETE /v1/networks/cb >/dev/null

for n in 1 2 3; do
	check "traffic: guest g$n on h$n pings the network's peer over its service port s$n" \
		ip netns exec "pptc-g$n" ping -c 3 -i 0.2 -W 2 10.98.0.1
done

# ---- two conflicting writes through two hosts at once ------------------------------------------
ok=0 tries=""
for i in 1 2 3 4 5; do
	hreq h1 POST /v1/networks "{\"name\": \"race$i\", \"device\": \"pptcr\", \"mtu\": 1400}" >"$WORK/race$i.h1" &
	a=$!
	hreq h2 POST /v1/networks "{\"name\": \"race$i\", \"device\": \"pptcr\", \"mtu\": 1300}" >"$WORK/race$i.h2" &
	b=$!
	wait $a $b
	c1=$(cut -d' ' -f1 "$WORK/race$i.h1") c2=$(cut -d' ' -f1 "$WORK/race$i.h2")
	win=none
	[[ $c1 == 201 ]] && win=1400
	[[ $c2 == 201 ]] && win=1300
	sleep 0.1
	m3=$(field h3 networks "race$i" .mtu) m1=$(field h1 networks "race$i" .mtu) m2=$(field h2 networks "race$i" .mtu)
	tries+=" $c1/$c2"
	if [[ "$(printf '%s\n' "$c1" "$c2" | sort | tr '\n' ' ')" == "201 409 " && $m1 == "$win" && $m2 == "$win" && $m3 == "$win" ]]; then
		ok=$((ok + 1))
	else
		tries+="(mtu $m1/$m2/$m3 want $win: $(cut -c1-120 "$WORK/race$i.h1") | $(cut -c1-120 "$WORK/race$i.h2"))"
	fi
	hreq h3 DELETE "/v1/networks/race$i" >/dev/null
done
((ok == 5)) && pass "conflict: two POSTs of one name with different content through h1 and h2 at once: one 201, one 409, the winner's content everywhere (5 of 5:$tries)" ||
	fail "conflict: $ok of 5 as expected (codes h1/h2:$tries)"
# The same, made certain: h2 does not see h1's write (its link to etcd down
# while h1 writes and h2 validates), so only the store's transaction (the
# revision key's compare) can refuse h2's write
ip -n pptc-etcd link set pptce2 down
got1=$(hreq h1 POST /v1/networks '{"name": "race0", "device": "pptcr", "mtu": 1400}')
hreq h2 POST /v1/networks '{"name": "race0", "device": "pptcr", "mtu": 1300}' >"$WORK/race0.h2" &
b=$!
sleep 0.3
ip -n pptc-etcd link set pptce2 up
wait $b
got2=$(cat "$WORK/race0.h2")
wait_for 5 eval '[[ "$(field h2 networks race0 .mtu)" == 1400 ]]'
if [[ ${got1%% *} == 201 && $got2 == "409 "*'"conflict"'* && "$(field h2 networks race0 .mtu)" == 1400 &&
	"$(field h3 networks race0 .mtu)" == 1400 ]]; then
	pass "conflict: h2's write validated before it saw h1's (h2 cut off from etcd meanwhile) is refused by the store: 409 conflict; h1's content everywhere"
else
	fail "conflict: stale view: h1 ${got1:0:60}; h2 ${got2:0:200}; mtu through h2 $(field h2 networks race0 .mtu), h3 $(field h3 networks race0 .mtu)"
fi
hreq h3 DELETE /v1/networks/race0 >/dev/null

# ---- moving an instance port by hand: PATCH host h1 -> h2 ----------------------------------------
pinger mv1 pptc-gv1 10.98.0.1
wait_for 5 grep -q "bytes from" "$WORK/mv1.ping" || fail "move: no reply to guest gv1 on h1 before the move"
sleep 0.3
pinger mv2 pptc-gv2 10.98.0.1
sleep 0.3
pre2=$(replies mv2)
rev=$(field h1 instance-ports mv .revision)
t0=$(now)
got=$(hreq h3 PATCH /v1/instance-ports/mv "{\"revision\": $rev, \"host\": \"h2\"}")
ms=$(until_ms "$t0" 3000 moved h1 h2 iport mv)
mrc=$?
sleep 0.5
has h2 iport mv && hasnt h1 iport mv || mrc="$mrc, and its maps: on h2 $(has h2 iport mv && echo yes || echo no), on h1 $(has h1 iport mv && echo yes || echo no)"
ping_stop mv1
ping_stop mv2
last1=$(reply_time mv1 last) first2=$(reply_time mv2 first)
t0ms=$((t0 / 1000000))
if [[ ${got%% *} == 200 && $mrc == 0 && ${ms} -lt 1000 ]] && on_only h2 sport sv && [[ "$(field h1 instance-ports mv .host)" == h2 ]]; then
	pass "move: PATCH host h1 -> h2 (through h3's API) moves mv's programming (and sv's) from h1 to h2 in $ms ms (< 1 s)"
else
	fail "move: PATCH: ${got:0:200}; moved: rc $mrc after $ms ms; h1 mv: $(has h1 iport mv && echo yes || echo no), h2 mv: $(has h2 iport mv && echo yes || echo no); host now $(field h1 instance-ports mv .host)"
fi
fig "PATCH host h1 -> h2 -> programmed on h2 and gone from h1: $ms ms"
if [[ $pre2 == 0 && -n $last1 && -n $first2 ]] && ((first2 - last1 <= 150)); then
	pass "move: gv1's ping stream on h1 (20 ms apart) is answered until mv is active on h2: its last reply $((last1 - t0ms)) ms after the PATCH, gv2's first on h2 $((first2 - t0ms)) ms (a gap of $((first2 - last1)) ms <= 150)"
else
	fail "move: source/destination traffic: gv2 answered before the move: $pre2; after the PATCH, last reply to gv1 at ${last1:+$((last1 - t0ms))} ms, first to gv2 at ${first2:+$((first2 - t0ms))} ms"
fi
fig "move by PATCH: last reply on the source $((${last1:-0} - t0ms)) ms, first on the destination $((${first2:-0} - t0ms)) ms after the PATCH"
check "move: after the move guest gv2 on h2 reaches the peer over sv" ip netns exec pptc-gv2 ping -c 2 -i 0.2 -W 2 10.98.0.1
# a change of h2's only: h2 reloads, h3 (which has nothing of it) does not
r2=$(grep -c "store changed:" "$WORK/h2.log") r3=$(grep -c "store changed:" "$WORK/h3.log")
got=$(hreq h1 PATCH /v1/service-ports/sv '{"mac": "52:54:00:c0:00:5e"}' | cut -c1-3)
wait_for 3 eval '(($(grep -c "store changed:" "$WORK/h2.log") > r2))'
sleep 0.3
n2=$(($(grep -c "store changed:" "$WORK/h2.log") - r2)) n3=$(($(grep -c "store changed:" "$WORK/h3.log") - r3))
[[ $got == 200 && $n2 -ge 1 && $n3 == 0 ]] &&
	pass "share: a change of h2's service port through h1 reloads h2 ($n2) and not h3, which has nothing of it ($n3)" ||
	fail "share: PATCH sv through h1: $got; reloads on h2 $n2 (want >= 1), on h3 $n3 (want 0)"
stop_guest gv1	# what stays on h1's old tap plays no part any more

# ---- the migration flow: plug on h3, the guest's first frame there -----------------------------------
pinger mig pptc-net 10.98.0.30
wait_for 5 grep -q "ttl=61" "$WORK/mig.ping" || fail "migration: no reply from gm1 on h1 before the migration"
t0=$(now)
ip netns exec pptc-h3 "$B/polyportctl" --api-socket "$RUN/h3/api.sock" plug --id pptc-mig-1 \
	--device pptctm --mac "$MM" --wait 0 --json >"$WORK/plug.out" 2>"$WORK/plug.err"
prc=$?
ms=$(until_ms "$t0" 3000 named h3 iport mig)
sleep 0.3
r0=$(grep -c ttl=61 "$WORK/mig.ping")
sleep 1
r1=$(grep -c ttl=61 "$WORK/mig.ping")
mt=$(field h2 instance-ports mig '."migrating-to"') mh=$(field h2 instance-ports mig .host)
tap3=$(active_tap h3 mig) tap1=$(active_tap h1 mig)
if [[ $prc == 0 && $mt == h3 && $mh == h1 && $tap1 == pptctm && $tap3 == - ]] &&
	((r1 - r0 >= 25)) && ! grep -q ttl=63 "$WORK/mig.ping"; then
	pass "migration: plug on h3 sets migrating-to h3 (seen through h2); h3 programs mig with no active tap ($ms ms) while h1 keeps answering the ping stream ($((r1 - r0)) replies in 1 s)"
else
	fail "migration: plug rc $prc ($(head -c 200 "$WORK/plug.err")); through h2 host '$mh' migrating-to '$mt'; active tap h1 '$tap1' h3 '$tap3'; replies from h1 in 1 s: $((r1 - r0)), from h3: $(grep -c ttl=63 "$WORK/mig.ping")"
fi
echo "      mig on h3 before its first frame: $(st h3 instance-ports mig) '$(st h3 instance-ports mig reason)'"
# live migration: the source guest stops, the destination's sends its first frame
kill -STOP "$GUEST_gm1"
ta=$(now)
ip netns exec pptc-gm3 ping -c 1 -W 1 10.98.0.1 >/dev/null 2>&1
wait_for 3 grep -q ttl=63 "$WORK/mig.ping"
first63=$(reply_time mig first ttl=63)
committed=$(until_ms "$ta" 3000 eval '[[ "$(field h2 instance-ports mig .host)/$(field h2 instance-ports mig ."migrating-to")" == h3/ ]]')
crc=$?
gone=$(until_ms "$ta" 3000 moved h1 h3 iport mig)
grc=$?
sleep 0.5
has h3 iport mig && hasnt h1 iport mig || grc="$grc, and its maps: on h3 $(has h3 iport mig && echo yes || echo no), on h1 $(has h1 iport mig && echo yes || echo no)"
ping_stop mig
kill -CONT "$GUEST_gm1"
last61=$(sed -n '/ttl=63/q; s/.*icmp_seq=\([0-9]*\) ttl=61.*/\1/p' "$WORK/mig.ping" | tail -1)
seq63=$(grep -m1 'ttl=63' "$WORK/mig.ping" | sed 's/.*icmp_seq=\([0-9]*\).*/\1/')
nlost=$((${seq63:-0} - ${last61:-0} - 1))
tam=$((ta / 1000000))
if [[ -n $first63 && $crc == 0 && $grc == 0 && "$(active_tap h3 mig)" == pptctm ]] && ((nlost <= 5)) &&
	! sed -n '/ttl=63/,$p' "$WORK/mig.ping" | grep -q ttl=61; then
	pass "migration: gm3's first frame on h3 makes it active (replies from h3 $((first63 - tam)) ms later), host h3 committed ($committed ms), h1 unprograms mig ($gone ms); $nlost echoes lost (<= 5)"
else
	fail "migration: first reply from h3 at ${first63:+$((first63 - tam))} ms; committed: rc $crc ($committed: host $(field h2 instance-ports mig .host), migrating-to '$(field h2 instance-ports mig ."migrating-to")'); h1 unprogrammed: rc $grc ($gone); active tap on h3 '$(active_tap h3 mig)'; lost $nlost (last 61 seq $last61, first 63 seq $seq63)"
fi
fig "migration: first frame -> replies from the destination $((${first63:-0} - tam)) ms, host committed $committed ms, source unprogrammed $gone ms, echoes lost $nlost (20 ms apart)"
stop_guest gm1

# ---- etcd stopped: traffic flows, writes answer 503; back: a change through etcdctl converges --------
pinger out pptc-g1 10.98.0.1
sleep 0.5
etcd_stop
ts=$(now)
w503=$(until_ms "$ts" 10000 eval '[[ "$(hreq h2 POST /v1/networks "{\"name\": \"outage\", \"device\": \"pptco\"}")" == "503 "*store_unavailable* ]]')
wrc=$?
g=$(hreq h3 GET /v1/instance-ports/ip3)
sleep 2
ping_stop out
lo=$(lost out)
if [[ $wrc == 0 && ${lo%% *} == 0 && ${g%% *} == 200 ]]; then
	pass "etcd stopped: a write through h2 answers 503 store_unavailable ($w503 ms after), reads still answer, g1's ping stream keeps flowing (lost $lo)"
else
	fail "etcd stopped: write: $(hreq h2 POST /v1/networks '{"name": "outage", "device": "pptco"}' | cut -c1-200) (after $w503 ms); GET ${g:0:40}; ping lost $lo"
fi
fig "etcd stopped -> writes answer 503: $w503 ms"
# back: a service port put with etcdctl right away (an operator's change) reaches h3
sleep 1
etcd_start pptc-etcd "$EP_IP" "$EP_PORT" "$RUN/etcd" "$CERTS" >/dev/null || fail "etcd did not start again"
te=$(now)
v=$(etcdctl_c get "${P}service-ports/s3" --print-value-only 2>/dev/null | jq -c '.vlan = 200 | .mac = "52:54:00:c0:00:3b" | if has("name") then .name = "s3b" else . end' 2>/dev/null)
etcdctl_c put "${P}service-ports/s3b" "$v" >/dev/null 2>&1 || fail "etcd back: etcdctl_c put failed"
tp=$(now)
all_connected() { connected h1 && connected h2 && connected h3; }
conn=$(until_ms "$te" 30000 all_connected)
conv=$(until_ms "$tp" 30000 eval 'named h3 sport s3b && st_is h1 service-ports s3b ACTIVE && st_is h2 service-ports s3b ACTIVE')
vrc=$?
if [[ $vrc == 0 ]] && on_only h3 sport s3b && [[ "$(field h2 service-ports s3b .vlan)" == 200 && "$(hreq h1 GET /v1/networks/outage | cut -c1-3)" == 404 ]]; then
	pass "etcd back: s3b put through etcdctl meanwhile is programmed on h3 (only) and ACTIVE through h1's and h2's APIs $conv ms after the put; the refused write left nothing"
else
	fail "etcd back: s3b ($v): rc $vrc after $conv ms: on h3 $(has h3 sport s3b && echo yes || echo no), through h1 '$(st h1 service-ports s3b)' '$(st h1 service-ports s3b reason)', h2 '$(st h2 service-ports s3b)'; connected: $(for h in "${HOSTS[@]}"; do connected "$h" && echo -n "$h " ; done); outage: $(hreq h1 GET /v1/networks/outage | cut -c1-60)"
fi
fig "etcd back -> every daemon connected again: $conn ms; etcdctl_c put -> programmed on h3 and ACTIVE through h1 and h2: $conv ms"

# ---- a hostile store: what etcdctl puts that is not an object of ours hurts nothing --------
# not JSON, a key that is no name, and a service port of h3 that does not validate
badv=$(etcdctl_c get "${P}service-ports/s3b" --print-value-only 2>/dev/null | jq -c '.vlan = "x" | .mac = "52:54:00:c0:00:3c"' 2>/dev/null)
etcdctl_c put "${P}service-ports/junk" 'not {json' >/dev/null 2>&1
etcdctl_c put "${P}networks/-no name" '{"device": "pptcx"}' >/dev/null 2>&1
etcdctl_c put "${P}service-ports/badv" "$badv" >/dev/null 2>&1
tb=$(now)
hb=$(until_ms "$tb" 3000 eval 'st_is h1 service-ports badv ERROR && st_is h3 service-ports badv ERROR')
hrc=$?
wr=$(hreq h1 POST /v1/networks '{"name": "after-junk", "device": "pptcaj"}' | cut -c1-3)
alive=1
for h in "${HOSTS[@]}"; do kill -0 "${HPID[$h]}" 2>/dev/null || alive=0; done
if [[ $hrc == 0 && $wr == 201 && $alive == 1 ]] && on_only h3 sport s3b && hasnt h3 sport badv &&
	grep -q "junk is not a JSON object: ignored" "$WORK/h3.log" && all_connected; then
	pass "hostile store: a value that is not JSON and a key that is no name are ignored (logged), a service port that does not validate is ERROR through h1 and h3 ($(st h3 service-ports badv reason | cut -c1-70)) in $hb ms and not programmed; s3b stays programmed, every daemon runs and stays connected, a write through h1 answers 201"
else
	fail "hostile store: badv through h1 '$(st h1 service-ports badv)' h3 '$(st h3 service-ports badv)' ($hb ms); write $wr; alive $alive; s3b on h3 $(has h3 sport s3b && echo yes || echo no); logged $(grep -c 'junk is not' "$WORK/h3.log")"
fi
etcdctl_c del "${P}service-ports/junk" >/dev/null 2>&1
etcdctl_c del "${P}networks/-no name" >/dev/null 2>&1
etcdctl_c del "${P}service-ports/badv" >/dev/null 2>&1
hreq h1 DELETE /v1/networks/after-junk >/dev/null
hreq h1 DELETE /v1/service-ports/s3b >/dev/null

# ---- a daemon killed: its statuses turn UNKNOWN within the TTL; restarted: ACTIVE, no map write --------
dump h2 >"$WORK/h2.before"
pinger kill pptc-g2 10.98.0.1
sleep 0.5
kill -9 "${HPID[h2]}"
wait "${HPID[h2]}" 2>/dev/null
tk=$(now)
unk=$(until_ms "$tk" $((TTL * 1000 + 5000)) eval 'st_is h1 instance-ports ip2 UNKNOWN && st_is h3 instance-ports mv UNKNOWN')
urc=$?
why=$(st h1 instance-ports ip2 reason)
alive=$(hget h1 /v1/status | jq -r '.cluster.hosts.h2.alive' 2>/dev/null)
if [[ $urc == 0 && $why == *"host h2 has not reported"* ]] && ((unk <= TTL * 1000 + 1000)) && [[ $alive == false ]]; then
	pass "daemon killed: h2's instance ports turn UNKNOWN through h1's and h3's APIs in $unk ms (TTL $TTL s), reason '$why', h2 not alive in h1's /v1/status"
else
	fail "daemon killed: rc $urc after $unk ms (TTL $TTL s): ip2 through h1 '$(st h1 instance-ports ip2)' '$why', mv through h3 '$(st h3 instance-ports mv)'; h2 alive: $alive"
fi
fig "h2's daemon killed -> its instance ports UNKNOWN elsewhere: $unk ms (lease TTL $TTL s)"
# the follower (polyportctl events --follow, a long poll) has it as soon as the status turns
ev_h2() { jq -c 'select(.host == "h2" and .status == "UNKNOWN")' "$WORK/events-h1.log" 2>/dev/null | head -1; }
evms=$(until_ms "$tk" $((TTL * 1000 + 1000)) eval '[[ -n "$(ev_h2)" ]]')
ev=$(ev_h2)
if [[ -n $ev ]]; then
	pass "events: a follower of h1's /v1/events gets h2's status changes, $evms ms after the kill ($(jq -c '{kind, name, change, status, host}' <<<"$ev"))"
else
	fail "events: no event with host h2 and status UNKNOWN reached h1's follower (polyportctl events --follow) within $((TTL * 1000 + 1000)) ms of the kill (GET: UNKNOWN after $unk ms; $(grep -c . "$WORK/events-h1.log") events; last: $(tail -1 "$WORK/events-h1.log" | head -c 160))"
fi
sleep 0.5
ping_stop kill
lo=$(lost kill)
[[ ${lo%% *} == 0 ]] && pass "daemon killed: g2's traffic on h2 keeps flowing without its daemon (lost $lo)" ||
	fail "daemon killed: g2's ping stream lost $lo"
tr=$(now)
hstart h2 || fail "restart: polyportd of h2 did not start again"
act=$(until_ms "$tr" 15000 eval 'st_is h1 instance-ports ip2 ACTIVE && st_is h1 instance-ports mv ACTIVE && connected h2')
arc=$?
sleep 0.5
w=$(hget h2 /v1/stats | jq -r '.map_writes // empty')
dump h2 >"$WORK/h2.after"
if [[ $arc == 0 && $w == 0 ]] && cmp -s "$WORK/h2.before" "$WORK/h2.after"; then
	pass "restart: h2's instance ports ACTIVE again through h1's API $act ms after the restart; 0 map writes, its dataplane as before (dump --canonical)"
else
	fail "restart: ACTIVE through h1: rc $arc ($act: ip2 '$(st h1 instance-ports ip2)' mv '$(st h1 instance-ports mv)'); map writes '$w'; dump: $(diff "$WORK/h2.before" "$WORK/h2.after" | grep '^[<>]' | head -4 | tr '\n' ' ')"
fi
fig "h2 restarted -> ACTIVE through h1's API: $act ms, its map writes: ${w:-?}"
check "restart: g2 still reaches the peer" ip netns exec pptc-g2 ping -c 2 -i 0.2 -W 2 10.98.0.1

# ---- a wrong client certificate is refused ----------------------------------------------------------
hstart h4 pptc-h3 other || fail "wrong certificate: polyportd did not start (it should, and serve its API)"
sleep 3
log=$(grep -iE 'certificate|tls|ssl|handshake|alert|EACCES|permission' "$WORK/h4.log" | head -2 | tr '\n' ' ')
c4=$(hget h4 /v1/status | jq -r '.cluster.connected' 2>/dev/null)
rec=$(etcdctl_c get "${P}hosts/h4" --keys-only 2>/dev/null | grep -c .)
h4in=$(hget h1 /v1/status | jq -r '.cluster.hosts | has("h4")' 2>/dev/null)
if [[ -n $log && $c4 == false && $rec == 0 && $h4in == false ]]; then
	pass "wrong certificate: polyportd with the other CA's client certificate is refused: \"connected\": false, no hosts/h4 record, its log says '${log:0:160}'"
else
	fail "wrong certificate: connected '$c4', hosts/h4 records $rec, h4 in h1's hosts '$h4in', log: '${log:-nothing about TLS}' $(tail -2 "$WORK/h4.log" | tr '\n' ' ')"
fi
kill "${HPID[h4]}" 2>/dev/null
wait "${HPID[h4]}" 2>/dev/null
[[ -z $ev ]] && echo "      events: h2's UNKNOWN in h1's follower by now ($(ms_since "$tk") ms after the kill): '$(ev_h2 | cut -c1-200)'"

cluster_end
