#!/usr/bin/env bash
# End to end: a service chain (issue 17) through polyportd, the dataplane and
# light guests (build/ppguest), one VM per instance port.
#
#   network tenant-a: veth pptchna -> pptch-out 10.0.0.1/24 (the "outside")
#   tap pptchcli (vm-client): vlan 100 client-a -> pptch-cli 10.0.0.10
#   tap pptchsrv (vm-server): vlan 100 server-a -> pptch-srv 10.0.0.20
#   tap pptchfw1 (vm-fw1): fw1-in vlan 10, fw1-out vlan 11   (weight 1)
#   tap pptchfw2 (vm-fw2): fw2-in vlan 20, fw2-out vlan 21   (weight 2)
#   tap pptchdpi (vm-dpi): dpi1-io vlan 30 (one port: ingress = egress)
#
#   chain web-inspect on tenant-a: tcp 80 and 443 to 10.0.0.0/24, from
#   client-a and the network device, symmetric, hops [[fw1, fw2], [dpi1]]
#
# The functions are ppguest bumps (--bump IN,OUT,mark=N): what comes on one
# of their ports goes back on the other, its IPv4 DSCP rewritten to
# (dscp << 2 | N): the firewalls mark 1, the DPI 2, so the server sees DSCP 6
# (tos 0x18) on what crossed fw then dpi, the client DSCP 9 (tos 0x24) on
# replies that crossed dpi then fw, and DSCP 2 (tos 0x08) with the fw hop
# bypassed.  Each bump logs the flows it forwarded (which instance took
# which flow) and prints its counters on SIGUSR1.
#
# Flows of the spread checks are single SYNs from client-a (ppsend) to
# 10.0.0.99:80, an address nobody has, with the server's MAC: the dataplane
# classifies and steers them like any other, the server's stack drops them,
# nothing answers, so every counter moves by exactly the frames sent.
#
#   tests/e2e/chain.sh [auto|tc|xdp]   the instance ports' mode (default auto)
MODE=${1:-auto}
PPT_NAME=chain-$MODE
PPT_SCOPE=pptch	# its own names (ctl.sh owns pptc*: its cleanup would take
		# these too, never the other way round)
source "$(dirname "$0")/lib.sh"
[[ $MODE != auto ]] && PPT_LABEL=$MODE
suite_start

for t in nc jq tcpdump; do
	command -v $t >/dev/null || { fail "setup: $t is not installed"; exit 1; }
done

daemon_dirs
MC=52:54:00:11:00:01 MS=52:54:00:11:00:02 MF1=52:54:00:11:00:03 MF2=52:54:00:11:00:04
MD=52:54:00:11:00:05 MF3=52:54:00:11:00:06
CLI=10.0.0.10 SRV=10.0.0.20 OUT=10.0.0.1 NOBODY=10.0.0.99
NFLOWS=1000 SPORT0=20000
api() { curl -s -m 10 --unix-socket "$API" "http://localhost$1"; }

# ---- topology ------------------------------------------------------------------------

# quiet_ns NS: a namespace whose devices start with IPv6 off (only what the test sends)
quiet_ns() {
	ip netns add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv6.conf.all.disable_ipv6=1
	ip -n "$1" link set lo up
}

# conf ON_FAILURE [fw3]: the binding files (fw3: a third instance in hop 1)
conf() {
	local fw3="" fw3port=""
	if [[ ${2:-} == fw3 ]]; then
		fw3=", {ingress: fw3-in, egress: fw3-out}"
		fw3port="  vm-fw3:
    device: pptchfw3
    mac: $MF3
    mode: $MODE
    service-ports:
      fw3-in: {vlan: 40}
      fw3-out: {vlan: 41}"
	fi
	cat >"$CONF/10-chain.tmp" <<EOF
networks:
  tenant-a: {device: pptchna}
instance-ports:
  vm-client:
    device: pptchcli
    mac: $MC
    mode: $MODE
    service-ports:
      client-a: {vlan: 100, bind: {network: tenant-a}}
  vm-server:
    device: pptchsrv
    mac: $MS
    mode: $MODE
    service-ports:
      server-a: {vlan: 100, bind: {network: tenant-a}}
  vm-fw1:
    device: pptchfw1
    mac: $MF1
    mode: $MODE
    service-ports:
      fw1-in: {vlan: 10}
      fw1-out: {vlan: 11}
  vm-fw2:
    device: pptchfw2
    mac: $MF2
    mode: $MODE
    service-ports:
      fw2-in: {vlan: 20}
      fw2-out: {vlan: 21}
  vm-dpi:
    device: pptchdpi
    mac: $MD
    mode: $MODE
    service-ports:
      dpi1-io: {vlan: 30}
$fw3port
chains:
  web-inspect:
    network: tenant-a
    classifier:
      - {proto: tcp, ports: 80, to: 10.0.0.0/24}
      - {proto: tcp, ports: 443, to: 10.0.0.0/24}
    sources:
      service-ports: [client-a]
      network-device: true
    symmetric: true
    on-failure: $1
    hops:
      - [{ingress: fw1-in, egress: fw1-out}, {ingress: fw2-in, egress: fw2-out, weight: 2}$fw3]
      - [{ingress: dpi1-io, egress: dpi1-io}]
EOF
	mv "$CONF/10-chain.tmp" "$CONF/10-chain.yaml"
}

# fw1 / fw2 / dpi: the functions' guests (the dpi has a raw port besides, to
# write frames on its hop port by hand)
start_fw1() { guest fw1 pptchfw1 --bump "vlan:10,vlan:11,mark=1,log=$WORK/fw1.flows"; }
start_fw2() { guest fw2 pptchfw2 --bump "vlan:20,vlan:21,mark=1,log=$WORK/fw2.flows"; }
start_fw3() { guest fw3 pptchfw3 --bump "vlan:40,vlan:41,mark=1,log=$WORK/fw3.flows"; }
start_dpi() {
	guest dpi pptchdpi --bump "vlan:30,vlan:30,mark=2,log=$WORK/dpi.flows" \
		--port ns=pptch-raw,dev=eth0,mac=$MD,match=raw
}

conf drop
check "check: the chain's binding files are valid" "$B/polyportd" --check --config "$CONF"
netns_net pptch-out pptchna $OUT/24
sysctl -qw net.ipv6.conf.pptchna.disable_ipv6=1
ip netns exec pptch-out sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
quiet_ns pptch-cli
quiet_ns pptch-srv
quiet_ns pptch-raw
daemon_start || { fail "setup: polyportd: $(tail -3 "$WORK/daemon.log" | tr '\n' ' ')"; exit 1; }
guest cli pptchcli --port ns=pptch-cli,dev=eth0,mac=$MC,match=vlan:100 &&
	guest srv pptchsrv --port ns=pptch-srv,dev=eth0,mac=$MS,match=vlan:100 &&
	start_fw1 && start_fw2 && start_dpi || { fail "setup: the guests"; exit 1; }
for t in cli srv fw1 fw2 dpi; do sysctl -qw "net.ipv6.conf.pptch$t.disable_ipv6=1"; done
ip -n pptch-cli addr add $CLI/24 dev eth0
ip -n pptch-srv addr add $SRV/24 dev eth0
# the stacks' neighbours known: no ARP in the middle of a count
ip -n pptch-cli neigh replace $SRV lladdr $MS dev eth0
ip -n pptch-cli neigh replace $OUT lladdr "$(ip -n pptch-out link show eth0 | awk '/ether/ {print $2}')" dev eth0
ip -n pptch-srv neigh replace $CLI lladdr $MC dev eth0
ip -n pptch-srv neigh replace $OUT lladdr "$(ip -n pptch-out link show eth0 | awk '/ether/ {print $2}')" dev eth0
ip -n pptch-out neigh replace $SRV lladdr $MS dev eth0
ip -n pptch-out neigh replace $CLI lladdr $MC dev eth0

# ---- helpers -------------------------------------------------------------------------

chain_json() { api /v1/chains/web-inspect; }
# chain_status: "CHAIN HOP1 HOP2" statuses from GET /v1/chains/web-inspect
chain_status() {
	chain_json | jq -r '[.status.status] + [.status.hops[].status] | join(" ")' 2>/dev/null
}
chain_status_is() { [[ $(chain_status) == "$1" ]]; }
# gstat NAME KIND FIELD: a counter of guest NAME (KIND: bump, port or
# instance: its first such line) from the counters it prints on SIGUSR1
gstat() {
	local var="GUEST_$1" n
	n=$(grep -c "reason=SIGUSR1" "$WORK/$1.log")
	kill -USR1 "${!var}" 2>/dev/null || { echo 0; return; }
	for _ in $(seq 100); do
		(($(grep -c "reason=SIGUSR1" "$WORK/$1.log") > n)) && break
		sleep 0.02
	done
	sleep 0.05
	sed -n '/reason=SIGUSR1/h; /reason=SIGUSR1/!H; ${x;p}' "$WORK/$1.log" | grep "stats $2=" | head -1 |
		grep -o " $3=[0-9]*" | cut -d= -f2
}
# bump NAME FIELD: a counter of guest NAME's bump (fwd_frames, rev_frames, marked)
bump() { gstat "$1" bump "$2"; }
# bumps: "fw1.fwd fw1.rev fw2.fwd fw2.rev dpi.fwd" (a stopped guest: 0 0)
bumps() {
	local g out=""
	for g in fw1 fw2; do
		local var="GUEST_$g"
		if kill -0 "${!var}" 2>/dev/null; then out+="$(bump $g fwd_frames) $(bump $g rev_frames) "
		else out+="0 0 "; fi
	done
	echo "$out$(bump dpi fwd_frames)"
}
# stats_n JQ: a number from /v1/stats (chains[0])
stats_n() { api /v1/stats | jq -r ".chains[] | select(.chain == \"web-inspect\") | $1" 2>/dev/null; }
# stats_all: "fwd rev hop1.sent hop1.returned fw1.sent fw2.sent hop2.sent hop2.returned chain_down chain_context"
stats_all() {
	api /v1/stats | jq -r '.chains[] | select(.chain == "web-inspect") |
		[.frames_forward, .frames_reverse, .hops[0].sent_packets, .hops[0].returned_packets,
		 .hops[0].instances[0].sent_packets, .hops[0].instances[1].sent_packets,
		 .hops[1].sent_packets, .hops[1].returned_packets, .chain_down, .chain_context] |
		map(tostring) | join(" ")' 2>/dev/null
}
# delta "A..." "B...": B - A, field by field
delta() {
	local a b i out=()
	read -ra a <<<"$1"
	read -ra b <<<"$2"
	for i in "${!b[@]}"; do out+=($((${b[i]:-0} - ${a[i]:-0}))); done
	echo "${out[*]}"
}
metric() { api /metrics | grep -F "$1" | awk '{print $NF}' | head -1; }

# tos NAME FILTER: the distinct TOS values (with their counts) of capture NAME's frames
tos() {
	tcpdump -nn -v -r "$WORK/$1.pcap" "$2" 2>/dev/null | grep -o 'tos 0x[0-9a-f]*' | sort | uniq -c |
		awk '{printf "%s%s:%s", (NR > 1 ? " " : ""), $3, $1}'
}
# tos_only NAME FILTER TOS: every frame FILTER matches has TOS (and there is one)
tos_only() { [[ $(tos "$1" "$2") =~ ^$3:[0-9]+$ ]]; }

# http NAME CLIENT_NS SERVER_NS ADDR PORT: an HTTP-like exchange over TCP, the
# request and the answer compared; prints the client's time in ms
http() {
	local name=$1 cns=$2 sns=$3 addr=$4 port=$5 t0
	printf 'HTTP/1.0 200 OK\r\nContent-Length: 12\r\n\r\nhello chain\n' >"$WORK/$name.resp"
	ip netns exec "$sns" timeout 15 nc -l -N -p "$port" <"$WORK/$name.resp" >"$WORK/$name.req" 2>&1 &
	local srv=$!
	wait_for 5 sh -c "ip netns exec $sns ss -Hltn 'sport = :$port' | grep -q ."
	t0=$(date +%s%N)
	printf 'GET /%s HTTP/1.0\r\n\r\n' "$name" | ip netns exec "$cns" timeout 10 nc -N -w 5 "$addr" "$port" \
		>"$WORK/$name.got" 2>&1
	local rc=$?
	echo "$(ms_since "$t0") ms"
	((rc == 0)) || kill $srv 2>/dev/null
	wait $srv
	((rc == 0)) && grep -q "GET /$name HTTP" "$WORK/$name.req" && cmp -s "$WORK/$name.resp" "$WORK/$name.got"
}

# iph SRC DST: an IPv4 header (TCP, 40 bytes in all) with its checksum, in hex
iph() {
	local h i sum=0
	h=$(printf '450000280000400040060000%02x%02x%02x%02x%02x%02x%02x%02x' ${1//./ } ${2//./ })
	for ((i = 0; i < 40; i += 4)); do sum=$((sum + 16#${h:i:4})); done
	while ((sum >> 16)); do sum=$(((sum & 0xffff) + (sum >> 16))); done
	echo "${h:0:20}$(printf %04x $((~sum & 0xffff)))${h:24}"
}
# syns FIRST COUNT [DPORT]: frames for client-a's stack to send (its guest
# pushes the tag), one SYN a flow (source ports FIRST.., 10.0.0.10 ->
# 10.0.0.99:DPORT, to the server's MAC), in hex
syns() {
	local first=$1 count=$2 dport=${3:-80} i ip
	ip=$(iph $CLI $NOBODY)
	for ((i = first; i < first + count; i++)); do
		printf '%s%s0800%s%04x%04x000000010000000050020200%s\n' "${MS//:/}" "${MC//:/}" \
			"$ip" "$i" "$dport" 00000000
	done
}
# rsts FIRST COUNT: the same flows' reverse, for server-a's stack to send: a
# RST each (nothing answers one) from 10.0.0.99:80 to the client
rsts() {
	local first=$1 count=$2 i ip
	ip=$(iph $NOBODY $CLI)
	for ((i = first; i < first + count; i++)); do
		printf '%s%s0800%s%04x%04x000000010000000050040200%s\n' "${MC//:/}" "${MS//:/}" \
			"$ip" 80 "$i" 00000000
	done
}
# send_frames NS GEN ARGS...: the frames of generator GEN written from NS's
# eth0 in batches (no queue overflows)
send_frames() {
	local ns=$1 f
	shift
	"$@" >"$WORK/frames.hex"
	split -l 50 "$WORK/frames.hex" "$WORK/frames.part."
	for f in "$WORK"/frames.part.*; do
		ip netns exec "$ns" "$B/tests/ppsend" eth0 $(cat "$f") || return 1
		sleep 0.02
	done
	rm -f "$WORK"/frames.part.*
	sleep 0.5
}
send_syns() { send_frames pptch-cli syns "$@"; }
# flows NAME FROM_LINE [rev|any]: the client's source ports of the flows
# with 10.0.0.99:80 guest NAME forwarded (rev: their reverse, read on the
# bump's OUT end; any: their reverse, whichever end), from line FROM_LINE of
# its log on
flows() {
	tail -n "+$2" "$WORK/$1.flows" 2>/dev/null | if [[ -n ${3:-} ]]; then
		awk -v d=$NOBODY -v w="$3" '($1 == w || w == "any") && $3 == d && $4 == 80 {print $6}'
	else
		awk -v d=$NOBODY '$1 == "fwd" && $5 == d && $6 == 80 {print $4}'
	fi | sort -n
}
lines() { wc -l 2>/dev/null <"$WORK/$1.flows" || echo 0; }
# settle FROM_LINE: until the dpi (which every steered frame crosses) has
# logged the NFLOWS frames just sent from its line FROM_LINE on (a loaded
# machine: they may still be on their way), at most 10 s
dpi_has() { (($(lines dpi) - $1 + 1 >= NFLOWS)); }
settle() { wait_for 10 dpi_has "$1"; sleep 0.2; }

# ---- the chain is up -----------------------------------------------------------------
wait_for 10 chain_status_is "ACTIVE ACTIVE ACTIVE" \
	&& pass "status: web-inspect and both hops ACTIVE in GET /v1/chains (all taps up)" \
	|| fail "status: GET /v1/chains/web-inspect: $(chain_status) $(chain_json | head -c 400)"
wait_for 5 sh -c "tc filter show dev pptchfw2 ingress | grep -q pp_tap || ip link show pptchfw2 | grep -q xdp" ||
	fail "setup: fw2's tap not attached"
api /v1/chains | jq -e '[.. | objects | select(.name? == "web-inspect" and (.hops | length) == 2)] | length == 1' >/dev/null \
	&& pass "api: GET /v1/chains lists web-inspect with its 2 hops" \
	|| fail "api: GET /v1/chains: $(api /v1/chains | head -c 300)"
echo "      instance ports' modes: $(ctl status | awk '$1 ~ /^vm-/ {printf "%s %s; ", $1, $4}')"
check "setup: client-a reaches the server directly (ICMP, not classified)" \
	ip netns exec pptch-cli ping -c 2 -i 0.2 -W 2 $SRV

# ---- port 80: client -> fw -> dpi -> server, and back through the same fw ---------------
b0=$(bumps) s0=$(stats_all)
capture_start c80 pptch-cli eth0 "tcp port 80"
capture_start s80 pptch-srv eth0 "tcp port 80"
ms=$(http web pptch-cli pptch-srv $SRV 80) && ok80=1 || ok80=0
capture_stop c80 >/dev/null
capture_stop s80 >/dev/null
b1=$(bumps) s1=$(stats_all)
((ok80)) && pass "http: GET on port 80 through the chain, answer intact ($ms)" \
	|| fail "http: port 80 through the chain failed ($ms): $(cat "$WORK/web.got" | head -2)"
tos_only s80 "src host $CLI" 0x18 \
	&& pass "order: the server sees DSCP 6 on the client's frames (fw then dpi): $(tos s80 "src host $CLI")" \
	|| fail "order: server side TOS of the client's frames: $(tos s80 "src host $CLI") (want 0x18 only)"
tos_only c80 "src host $SRV" 0x24 \
	&& pass "order: the client sees DSCP 9 on the replies (dpi then fw): $(tos c80 "src host $SRV")" \
	|| fail "order: client side TOS of the replies: $(tos c80 "src host $SRV") (want 0x24 only)"
tos_only c80 "src host $CLI" 0x0 && tos_only s80 "src host $SRV" 0x0 \
	&& pass "order: each side sends TOS 0 (the marks are the functions')" \
	|| fail "order: sent TOS: client $(tos c80 "src host $CLI"), server $(tos s80 "src host $SRV")"
read -r f1f f1r f2f f2r dpf <<<"$(delta "$b0" "$b1")"
nfwd=$(tcpdump -nn -r "$WORK/s80.pcap" "src host $CLI" 2>/dev/null | wc -l)
nrev=$(tcpdump -nn -r "$WORK/c80.pcap" "src host $SRV" 2>/dev/null | wc -l)
echo "      bumps: fw1 fwd $f1f rev $f1r, fw2 fwd $f2f rev $f2r, dpi $dpf; frames at the server $nfwd, at the client $nrev"
if (( (f1f > 0 && f1r > 0 && f2f == 0 && f2r == 0) || (f2f > 0 && f2r > 0 && f1f == 0 && f1r == 0) )); then
	pass "symmetric: one connection, both directions on one fw instance (fw1 $f1f/$f1r, fw2 $f2f/$f2r)"
else
	fail "symmetric: fw1 fwd/rev $f1f/$f1r, fw2 $f2f/$f2r (want both directions on one instance)"
fi
(( f1f + f2f == nfwd && f1r + f2r == nrev && dpf == nfwd + nrev )) \
	&& pass "symmetric: every frame crossed one fw and the dpi ($nfwd forward, $nrev reverse)" \
	|| fail "symmetric: fw forward $((f1f + f2f)) reverse $((f1r + f2r)), dpi $dpf; server got $nfwd, client $nrev"
read -r cf cr h1s h1r i1s i2s h2s h2r _ <<<"$(delta "$s0" "$s1")"
echo "      stats: classified forward $cf reverse $cr; hop 1 sent $h1s returned $h1r (fw1 $i1s, fw2 $i2s); hop 2 sent $h2s returned $h2r"
(( cf == nfwd && cr == nrev )) \
	&& pass "counters: classified forward $cf and reverse $cr = the frames each side received" \
	|| fail "counters: classified forward '$cf' reverse '$cr', frames $nfwd / $nrev: $(stats_all)"
(( h1s > 0 && h1s == f1f + f1r + f2f + f2r && h1r == h1s && i1s == f1f + f1r && i2s == f2f + f2r &&
   h2s == dpf && h2r == dpf )) \
	&& pass "counters: per hop and instance sent/returned = what the functions forwarded" \
	|| fail "counters: hop 1 $h1s/$h1r (fw1 $i1s fw2 $i2s), hop 2 $h2s/$h2r; the bumps: $(delta "$b0" "$b1")"

b0=$(bumps)
t0=$(date +%s%N)
tcp_1mib big pptch-cli pptch-srv $SRV 80 && ok=1 || ok=0
ms=$(ms_since "$t0")
read -r f1f f1r f2f f2r dpf <<<"$(delta "$b0" "$(bumps)")"
((ok && f1f + f2f >= 500 && dpf >= f1f + f2f)) \
	&& pass "http: 1 MiB over port 80 through the chain, byte for byte ($ms ms; $((f1f + f2f)) frames forward through a fw)" \
	|| fail "http: 1 MiB over port 80: ok=$ok, fw forward $((f1f + f2f)), dpi $dpf"

# ---- the network device is a source too; a port that is not one goes straight --------
capture_start o80 pptch-out eth0 "tcp port 80"
capture_start s80b pptch-srv eth0 "tcp port 80"
ms=$(http dev pptch-out pptch-srv $SRV 80) && ok=1 || ok=0
capture_stop o80 >/dev/null
capture_stop s80b >/dev/null
((ok)) && tos_only s80b "src host $OUT" 0x18 && tos_only o80 "src host $SRV" 0x24 \
	&& pass "sources: from the network device through the chain both ways ($ms; server $(tos s80b "src host $OUT"), outside $(tos o80 "src host $SRV"))" \
	|| fail "sources: from the network device: ok=$ok, server $(tos s80b "src host $OUT"), outside $(tos o80 "src host $SRV")"
b0=$(bumps)
capture_start c80b pptch-cli eth0 "tcp port 80"
ms=$(http back pptch-srv pptch-cli $CLI 80) && ok=1 || ok=0
capture_stop c80b >/dev/null
b1=$(bumps)
((ok)) && tos_only c80b "src host $SRV" 0x0 && [[ $(delta "$b0" "$b1") == "0 0 0 0 0" ]] \
	&& pass "sources: server-a (not a source) to the client's port 80 goes straight ($ms)" \
	|| fail "sources: server-a to client:80: ok=$ok, TOS $(tos c80b "src host $SRV"), bumps moved $(delta "$b0" "$b1")"

# ---- port 22 goes straight -----------------------------------------------------------
b0=$(bumps) s0=$(stats_all)
capture_start s22 pptch-srv eth0 "tcp port 22"
capture_start c22 pptch-cli eth0 "tcp port 22"
ms=$(http ssh pptch-cli pptch-srv $SRV 22) && ok=1 || ok=0
capture_stop s22 >/dev/null
capture_stop c22 >/dev/null
b1=$(bumps) s1=$(stats_all)
((ok)) && tos_only s22 "src host $CLI" 0x0 && tos_only c22 "src host $SRV" 0x0 \
	&& pass "straight: port 22 goes client -> server directly, TOS 0 both ways ($ms)" \
	|| fail "straight: port 22: ok=$ok server $(tos s22 "src host $CLI") client $(tos c22 "src host $SRV")"
[[ $(delta "$b0" "$b1") == "0 0 0 0 0" && $(delta "$s0" "$s1") == "0 0 0 0 0 0 0 0 0 0" ]] \
	&& pass "straight: no function and no chain counter moved" \
	|| fail "straight: bumps moved $(delta "$b0" "$b1"), stats $(delta "$s0" "$s1")"

# ---- 1,000 flows over fw1 (weight 1) and fw2 (weight 2) ---------------------------------
# round ROUND: the NFLOWS SYNs once more; the source ports each fw took in
# $WORK/ROUND.fw1 / .fw2, how many the dpi forwarded in ROUND.dpi, how many
# the server's guest handed its stack in ROUND.srv (its capture: ROUND.pcap)
round() {
	local r=$1 l1 l2 l3 ld s0
	l1=$(($(lines fw1) + 1)) l2=$(($(lines fw2) + 1)) l3=$(($(lines fw3) + 1)) ld=$(($(lines dpi) + 1))
	s0=$(gstat srv port from_instance_frames)
	capture_start "$r" pptch-srv eth0 -B 32768 "tcp and dst host $NOBODY" || return 1
	send_syns $SPORT0 $NFLOWS || fail "$r: ppsend"
	settle "$ld"
	capture_stop "$r" >/dev/null
	echo $(($(gstat srv port from_instance_frames) - s0)) >"$WORK/$r.srv"
	flows fw1 "$l1" >"$WORK/$r.fw1"
	flows fw2 "$l2" >"$WORK/$r.fw2"
	flows fw3 "$l3" >"$WORK/$r.fw3"
	flows dpi "$ld" | wc -l >"$WORK/$r.dpi"
}
b0=$(bumps) s0=$(stats_all)
round r1
b1=$(bumps) s1=$(stats_all)
n1=$(wc -l <"$WORK/r1.fw1") n2=$(wc -l <"$WORK/r1.fw2")
both=$(comm -12 "$WORK/r1.fw1" "$WORK/r1.fw2" | wc -l)
all=$(sort -mnu "$WORK/r1.fw1" "$WORK/r1.fw2" | wc -l)
srv=$(cat "$WORK/r1.srv")
echo "      $NFLOWS flows: fw1 $n1, fw2 $n2, dpi $(cat "$WORK/r1.dpi"), at the server $srv (captured: $(tos r1 ""))"
((all == NFLOWS && both == 0 && n1 + n2 == NFLOWS)) \
	&& pass "spread: each of the $NFLOWS flows took exactly one fw instance" \
	|| fail "spread: $all distinct flows seen, $both on both, fw1 $n1 + fw2 $n2"
share=$(awk -v a="$n1" -v n="$NFLOWS" 'BEGIN {printf "%.3f", a / n}')
awk -v s="$share" 'BEGIN {exit !(s >= 0.28 && s <= 0.39)}' \
	&& pass "spread: fw1's share $share is within 0.28..0.39 (weights 1:2)" \
	|| fail "spread: fw1's share $share (fw1 $n1, fw2 $n2), want 0.28..0.39"
(($(cat "$WORK/r1.dpi") == NFLOWS && srv == NFLOWS)) && tos_only r1 "" 0x18 \
	&& pass "spread: all $NFLOWS then crossed the dpi and reached the server with DSCP 6" \
	|| fail "spread: dpi $(cat "$WORK/r1.dpi"), server $srv of $NFLOWS, captured there: $(tos r1 "");" \
		"tcpdump: $(grep dropped "$WORK/r1.tcpdump" | tr '\n' ' ')"
read -r cf cr h1s h1r i1s i2s h2s h2r _ <<<"$(delta "$s0" "$s1")"
((h1s == NFLOWS && h1r == NFLOWS && i1s == n1 && i2s == n2 && h2s == NFLOWS && h2r == NFLOWS)) \
	&& pass "counters: $NFLOWS SYNs: hop 1 sent/returned $h1s/$h1r (fw1 $i1s, fw2 $i2s), hop 2 $h2s/$h2r" \
	|| fail "counters: $NFLOWS SYNs: hop 1 $h1s/$h1r (fw1 $i1s = $n1?, fw2 $i2s = $n2?), hop 2 $h2s/$h2r"
((cf == NFLOWS && cr == 0)) && pass "counters: $NFLOWS SYNs: classified forward $cf, reverse 0" \
	|| fail "counters: $NFLOWS SYNs: classified forward $cf, reverse $cr"
m1=$(metric 'polyport_chain_hop_frames_total{chain="web-inspect",hop="1",instance="vm-fw1",port="fw1-in",direction="to_function"}')
m2=$(metric 'polyport_chain_hop_frames_total{chain="web-inspect",hop="1",instance="vm-fw2",port="fw2-out",direction="from_function"}')
i1=$(stats_n '.hops[0].instances[0].ports[0].tx_packets')
i2=$(stats_n '.hops[0].instances[1].ports[1].rx_packets')
[[ $m1 -gt 0 && $m1 == "$i1" && $m2 -gt 0 && $m2 == "$i2" ]] \
	&& pass "counters: /metrics polyport_chain_hop_frames_total agrees with /v1/stats (fw1-in $m1, fw2-out $m2)" \
	|| fail "counters: /metrics fw1-in '$m1' vs stats '$i1', fw2-out '$m2' vs '$i2'"
# the same flows' reverse (symmetric): RSTs from the server, through the dpi
# then the fw each flow's forward took, entering it at its egress port
l1=$(($(lines fw1) + 1)) l2=$(($(lines fw2) + 1)) ld=$(($(lines dpi) + 1))
c0=$(gstat cli port from_instance_frames) s0=$(stats_all)
capture_start rr1 pptch-cli eth0 -B 32768 "tcp and src host $NOBODY"
send_frames pptch-srv rsts $SPORT0 $NFLOWS || fail "reverse: ppsend"
settle "$ld"
capture_stop rr1 >/dev/null
c1=$(gstat cli port from_instance_frames) s1=$(stats_all)
flows fw1 "$l1" rev >"$WORK/rr1.fw1"
flows fw2 "$l2" rev >"$WORK/rr1.fw2"
nd=$(flows dpi "$ld" any | wc -l)
echo "      their reverse: fw1 $(wc -l <"$WORK/rr1.fw1"), fw2 $(wc -l <"$WORK/rr1.fw2"), dpi $nd, at the client $((c1 - c0)) (captured: $(tos rr1 ""))"
[[ -s $WORK/rr1.fw2 ]] && cmp -s "$WORK/r1.fw1" "$WORK/rr1.fw1" && cmp -s "$WORK/r1.fw2" "$WORK/rr1.fw2" \
	&& pass "symmetric: the reverse of each of the $NFLOWS flows took its forward's fw, entering at the egress port" \
	|| fail "symmetric: reverse on fw1 $(wc -l <"$WORK/rr1.fw1") (forward $n1), fw2 $(wc -l <"$WORK/rr1.fw2") (forward $n2);" \
		"$(comm -3 "$WORK/r1.fw1" "$WORK/rr1.fw1" | wc -l) flows differ on fw1"
((nd == NFLOWS && c1 - c0 == NFLOWS)) && tos_only rr1 "" 0x24 \
	&& pass "symmetric: all $NFLOWS reverse frames crossed the dpi, then the fw, and reached the client (DSCP 9)" \
	|| fail "symmetric: reverse: dpi $nd, client $((c1 - c0)) of $NFLOWS, captured $(tos rr1 "")"
read -r cf cr h1s h1r i1s i2s h2s h2r _ <<<"$(delta "$s0" "$s1")"
((h1s == NFLOWS && h1r == NFLOWS && i1s == n1 && i2s == n2 && h2s == NFLOWS && h2r == NFLOWS)) \
	&& pass "counters: $NFLOWS reverse: hop 1 sent/returned $h1s/$h1r (fw1 $i1s, fw2 $i2s), hop 2 $h2s/$h2r" \
	|| fail "counters: $NFLOWS reverse: hop 1 $h1s/$h1r (fw1 $i1s = $n1?, fw2 $i2s = $n2?), hop 2 $h2s/$h2r"
((cr == NFLOWS && cf == 0)) && pass "counters: $NFLOWS reverse: classified reverse $cr, forward 0" \
	|| fail "counters: $NFLOWS reverse: classified reverse $cr, forward $cf"
round r1b
[[ -s $WORK/r1b.fw1 ]] && cmp -s "$WORK/r1.fw1" "$WORK/r1b.fw1" && cmp -s "$WORK/r1.fw2" "$WORK/r1b.fw2" \
	&& pass "spread: the same $NFLOWS flows again take the same instances" \
	|| fail "spread: a second time, $(comm -3 "$WORK/r1.fw1" "$WORK/r1b.fw1" | wc -l) flows changed fw1 membership"
ctl stats >"$WORK/stats1.txt" 2>&1
grep -qE "^ +web-inspect +classified [0-9]+ \(forward" "$WORK/stats1.txt" && grep -qE "^ +hop 1: sent [1-9]" "$WORK/stats1.txt" \
	&& pass "counters: polyportctl stats shows the chain and its hops" \
	|| fail "counters: polyportctl stats: $(sed -n '/CHAINS/,/DROPS/p' "$WORK/stats1.txt" | tr '\n' ';' | head -c 400)"

# ---- fw1 goes: only its flows move ----------------------------------------------------------
t0=$(date +%s%N)
stop_guest fw1
if wait_for 10 chain_status_is "DEGRADED DEGRADED ACTIVE"; then
	pass "status: fw1's tap gone: the chain and hop 1 DEGRADED ($(ms_since "$t0") ms)"
else
	fail "status: fw1's tap gone: $(chain_status) after 10 s; $(chain_json | jq -c .status 2>/dev/null | head -c 300)"
fi
# the dataplane: one of fw1's flows, again and again, until fw2 has it
probe=$(head -1 "$WORK/r1.fw1")
moved=0
for _ in $(seq 100); do
	l=$(($(lines fw2) + 1))
	ip netns exec pptch-cli "$B/tests/ppsend" eth0 $(syns "$probe" 1) >/dev/null 2>&1
	sleep 0.05
	[[ -n $probe ]] && flows fw2 "$l" | grep -qx "$probe" && { moved=1; break; }
done
((moved)) && pass "failover: a flow of fw1 reaches fw2 $(ms_since "$t0") ms after fw1's tap went" \
	|| fail "failover: fw1's flow $probe did not reach fw2 in 5 s"
round r2
n2b=$(wc -l <"$WORK/r2.fw2")
kept=$(comm -12 "$WORK/r1.fw2" "$WORK/r2.fw2" | wc -l)
[[ -s $WORK/r1.fw2 ]] && ((kept == n2)) \
	&& pass "failover: every one of fw2's $n2 flows is still on fw2" \
	|| fail "failover: $kept of fw2's $n2 flows are still on fw2"
((n2b == NFLOWS && $(cat "$WORK/r2.dpi") == NFLOWS)) && cmp -s <(seq $SPORT0 $((SPORT0 + NFLOWS - 1))) "$WORK/r2.fw2" \
	&& pass "failover: fw1's $n1 flows moved to fw2 (fw2 has all $NFLOWS, the dpi too)" \
	|| fail "failover: fw2 has $n2b flows, the dpi $(cat "$WORK/r2.dpi") of $NFLOWS"

# ---- both down: on-failure drop --------------------------------------------------------
t0=$(date +%s%N)
stop_guest fw2
wait_for 10 chain_status_is "DOWN DOWN ACTIVE" \
	&& pass "status: no fw left: hop 1 DOWN, the chain DOWN (on-failure drop) ($(ms_since "$t0") ms)" \
	|| fail "status: both fws gone: $(chain_status); $(chain_json | jq -c .status 2>/dev/null | head -c 300)"
ctl status >"$WORK/status.txt" 2>&1
grep -qE "^web-inspect +tenant-a +[0-9]+ +DOWN" "$WORK/status.txt" && grep -qE "^  hop 1 .* DOWN" "$WORK/status.txt" \
	&& pass "status: polyportctl status shows the chain and hop 1 DOWN" \
	|| fail "status: polyportctl status: $(grep -A3 CHAIN "$WORK/status.txt" | tr '\n' ';')"
sleep 0.5
s0=$(stats_all) d0=$(metric 'polyport_drops_total{chain="web-inspect",reason="chain_down"}')
capture_start s80d pptch-srv eth0 "tcp port 80 or dst host $NOBODY"
capture_start c80d pptch-cli eth0 "tcp port 80 or dst host $NOBODY"
send_syns $SPORT0 10
ms=$(http down pptch-cli pptch-srv $SRV 80) && ok=1 || ok=0
n=$(capture_stop s80d)
sent=$(capture_stop c80d)
s1=$(stats_all) d1=$(metric 'polyport_drops_total{chain="web-inspect",reason="chain_down"}')
read -r _ _ _ _ _ _ _ _ cd _ <<<"$(delta "$s0" "$s1")"
((ok == 0 && n == 0)) && pass "drop: nothing on port 80 reaches the server (connection failed after $ms)" \
	|| fail "drop: ok=$ok, $n port-80 frames at the server"
((sent >= 11 && cd == sent)) \
	&& pass "drop: every frame the client sent on port 80 counted as chain_down ($cd: 10 SYNs and the connection's)" \
	|| fail "drop: chain_down +$cd, the client sent $sent"
[[ -n $d0 && -n $d1 ]] && ((cd > 0 && d1 - d0 == cd)) \
	&& pass "drop: /metrics polyport_drops_total{chain=\"web-inspect\",reason=\"chain_down\"} +$((d1 - d0))" \
	|| fail "drop: /metrics chain_down '$d0' -> '$d1' (stats +$cd)"
cdt=$(cut -d' ' -f9 <<<"$s1")	# the total
((cd > 0)) && ctl stats 2>&1 | grep -qE "^ +web-inspect +classified .*chain_down $cdt$" \
	&& pass "drop: polyportctl stats shows chain_down $cdt on web-inspect" \
	|| fail "drop: polyportctl stats: $(ctl stats 2>&1 | grep -E '^ +web-inspect')"
capture_start s22d pptch-srv eth0 "tcp port 22"
ms=$(http ssh2 pptch-cli pptch-srv $SRV 22) && ok=1 || ok=0
capture_stop s22d >/dev/null
((ok)) && tos_only s22d "src host $CLI" 0x0 && pass "drop: port 22 still goes straight ($ms)" \
	|| fail "drop: port 22: ok=$ok, $(tos s22d "src host $CLI")"

# ---- on-failure bypass -------------------------------------------------------------------
conf bypass
t0=$(date +%s%N)
kill -HUP "$DPID"
wait_for 10 sh -c "curl -s -m 2 --unix-socket '$API' http://localhost/v1/chains/web-inspect | grep -q '\"on-failure\": *\"bypass\"'" ||
	fail "bypass: the daemon did not take on-failure: bypass"
wait_for 10 chain_status_is "DEGRADED DOWN ACTIVE" \
	&& pass "status: with on-failure bypass the chain is DEGRADED, hop 1 DOWN ($(ms_since "$t0") ms)" \
	|| fail "status: bypass: $(chain_status)"
b0=$(bumps) s0=$(stats_all)
capture_start s80p pptch-srv eth0 "tcp port 80"
capture_start c80p pptch-cli eth0 "tcp port 80"
ms=$(http bypass pptch-cli pptch-srv $SRV 80) && ok=1 || ok=0
capture_stop s80p >/dev/null
capture_stop c80p >/dev/null
b1=$(bumps) s1=$(stats_all)
((ok)) && tos_only s80p "src host $CLI" 0x8 && tos_only c80p "src host $SRV" 0x8 \
	&& pass "bypass: port 80 skips the fw hop: DSCP 2 (dpi only) both ways ($ms)" \
	|| fail "bypass: ok=$ok, server $(tos s80p "src host $CLI"), client $(tos c80p "src host $SRV") (want 0x8)"
read -r _ _ _ _ dpf <<<"$(delta "$b0" "$b1")"
read -r cf cr h1s h1r _ _ h2s h2r cd _ <<<"$(delta "$s0" "$s1")"
((h1s == 0 && cd == 0 && h2s == dpf && h2r == dpf && dpf > 0)) \
	&& pass "bypass: counters: hop 1 sent 0, hop 2 sent/returned $h2s/$h2r = the dpi's $dpf, no chain_down" \
	|| fail "bypass: counters: hop 1 sent $h1s, hop 2 $h2s/$h2r, dpi $dpf, classified $cf/$cr, chain_down $cd"

# ---- fw1 comes back ----------------------------------------------------------------------
t0=$(date +%s%N)
start_fw1 && sysctl -qw net.ipv6.conf.pptchfw1.disable_ipv6=1
wait_for 10 chain_status_is "DEGRADED DEGRADED ACTIVE" \
	&& pass "status: fw1's guest back: hop 1 DEGRADED (1 of 2 live) ($(ms_since "$t0") ms)" \
	|| fail "status: fw1 back: $(chain_status)"
b0=$(bumps)
capture_start s80r pptch-srv eth0 "tcp port 80"
ms=$(http again pptch-cli pptch-srv $SRV 80) && ok=1 || ok=0
capture_stop s80r >/dev/null
read -r f1f f1r _ _ dpf <<<"$(delta "$b0" "$(bumps)")"
((ok && f1f > 0 && f1r > 0)) && tos_only s80r "src host $CLI" 0x18 \
	&& pass "failback: port 80 through fw1 and the dpi again (DSCP 6; $ms)" \
	|| fail "failback: ok=$ok, fw1 $f1f/$f1r, server $(tos s80r "src host $CLI")"

# ---- a frame from a hop port in no direction of its hop --------------------------------
# written on dpi1-io (vlan 30) through the dpi's raw port: UDP 53, which
# neither the classifier nor its reverse matches
s0=$(stats_all)
capture_start ctx pptch-srv eth0 "udp port 53"
UDP="$(printf '%s%s8100001e0800' "${MS//:/}" "${MC//:/}")4500001c00004000401100000a00000a0a000014c35000350008$(printf '%04x' 0)"
ip netns exec pptch-raw "$B/tests/ppsend" eth0 "$UDP" "$UDP" "$UDP" || fail "context: ppsend"
n=$(capture_stop ctx)
read -r _ _ _ _ _ _ _ _ _ cc <<<"$(delta "$s0" "$(stats_all)")"
((n == 0 && cc == 3)) && pass "context: 3 frames from a hop port matching no direction: dropped, chain_context +3" \
	|| fail "context: $n reached the server, chain_context +$cc"

# ---- three instances: when one goes, the survivors' flows keep theirs ----------------------
# (with two, the survivor takes everything whatever the table does: this is
# where a table rebuilt from scratch would show)
t0=$(date +%s%N)
start_fw2 && start_fw3 && sysctl -qw net.ipv6.conf.pptchfw2.disable_ipv6=1 net.ipv6.conf.pptchfw3.disable_ipv6=1
conf bypass fw3
kill -HUP "$DPID"
wait_for 10 sh -c "curl -s -m 2 --unix-socket '$API' http://localhost/v1/chains/web-inspect | jq -e '.status.hops[0].instances | length == 3' >/dev/null" &&
wait_for 10 chain_status_is "ACTIVE ACTIVE ACTIVE" \
	&& pass "status: fw2 back and fw3 added: hop 1 ACTIVE with 3 instances ($(ms_since "$t0") ms)" \
	|| fail "status: fw3 added: $(chain_status); $(chain_json | jq -c .status 2>/dev/null | head -c 300)"
round r3
a1=$(wc -l <"$WORK/r3.fw1") a2=$(wc -l <"$WORK/r3.fw2") a3=$(wc -l <"$WORK/r3.fw3")
echo "      $NFLOWS flows over fw1:fw2:fw3 (1:2:1): $a1 $a2 $a3"
all=$(sort -mnu "$WORK/r3.fw1" "$WORK/r3.fw2" "$WORK/r3.fw3" | wc -l)
((all == NFLOWS && a1 + a2 + a3 == NFLOWS && a1 > 0 && a3 > 0)) \
	&& pass "spread: 3 instances: each flow on one ($a1 $a2 $a3)" \
	|| fail "spread: 3 instances: $all distinct of $NFLOWS, fw1 $a1 fw2 $a2 fw3 $a3"
t0=$(date +%s%N)
stop_guest fw3
wait_for 10 chain_status_is "DEGRADED DEGRADED ACTIVE" ||
	fail "status: fw3 gone: $(chain_status)"
echo "      fw3 gone: hop 1 DEGRADED after $(ms_since "$t0") ms"
round r4
k1=$(comm -12 "$WORK/r3.fw1" "$WORK/r4.fw1" | wc -l) k2=$(comm -12 "$WORK/r3.fw2" "$WORK/r4.fw2" | wc -l)
all=$(sort -mnu "$WORK/r4.fw1" "$WORK/r4.fw2" | wc -l)
((a1 > 0 && a2 > 0 && k1 == a1 && k2 == a2)) \
	&& pass "failover: fw3 gone: all $a1 flows of fw1 and $a2 of fw2 kept their instance" \
	|| fail "failover: fw3 gone: $k1 of fw1's $a1 flows and $k2 of fw2's $a2 kept their instance"
((all == NFLOWS && $(wc -l <"$WORK/r4.fw1") + $(wc -l <"$WORK/r4.fw2") == NFLOWS)) \
	&& pass "failover: fw3's $a3 flows went to fw1 and fw2 ($(($(wc -l <"$WORK/r4.fw1") - a1)) and $(($(wc -l <"$WORK/r4.fw2") - a2)))" \
	|| fail "failover: after fw3: $all distinct flows on fw1/fw2"

# ---- a restart adopts the tables: the flows keep their instances ------------------------
# (after fw3's departure the table is history, not what a fresh fill gives)
daemon_stop
t0=$(date +%s%N)
daemon_start || fail "restart: polyportd: $(tail -2 "$WORK/daemon.log" | tr '\n' ' ')"
wait_for 10 chain_status_is "DEGRADED DEGRADED ACTIVE" \
	&& pass "restart: the chain's statuses back after a restart ($(ms_since "$t0") ms)" \
	|| fail "restart: $(chain_status)"
round r5
[[ -s $WORK/r5.fw1 ]] && cmp -s "$WORK/r4.fw1" "$WORK/r5.fw1" && cmp -s "$WORK/r4.fw2" "$WORK/r5.fw2" \
	&& pass "restart: every one of the $NFLOWS flows kept its instance (the table was adopted)" \
	|| fail "restart: $(comm -3 "$WORK/r4.fw1" "$WORK/r5.fw1" | wc -l) flows changed fw1 membership" \
		"(fw1 $(wc -l <"$WORK/r5.fw1"), fw2 $(wc -l <"$WORK/r5.fw2"))"

daemon_stop
exit $FAILED
