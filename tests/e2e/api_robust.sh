#!/usr/bin/env bash
# End to end: the control plane never crashes and loses nothing (issue 13,
# items 1-4): a damaged state file, NULs in API strings and binding files,
# URLs the router cannot hold or that name more than an object, and /metrics
# on TCP under a storm.
#
#   binding file: network net-a (pptrna -> pptr-na 10.1.0.1), instance port sf1
#   (tap pptrtap1) with p100 (vlan 100).  Through the API: network net-b
#   (pptrnb -> pptr-nb 10.2.0.1), p200 (vlan 200 on sf1 -> net-b), p201 (vlan
#   201 on sf1 -> net-a, its own MAC), instance port vm2 (tap pptrtap2, no
#   guest) with p300 (vlan 300 -> net-b, responder, an address) and p203
#   (vlan 303 -> net-f, a file network only it uses).
#
# PPT_POLYPORTD=PATH runs another polyportd binary (e.g. one built without a
# fix, to see what these tests catch).
PPT_NAME=api-robust
PPT_SCOPE=pptr	# its own names: no other suite's cleanup touches them
source "$(dirname "$0")/lib.sh"
suite_start

daemon_dirs
PPD=${PPT_POLYPORTD:-$B/polyportd}
M1=52:54:00:0a:00:01 M2=52:54:00:0a:00:02 M3=52:54:00:0a:00:03
writes() { req GET /v1/stats | grep -o '"map_writes": [0-9]*' | awk '{print $2}'; }
# every pinned hash-like map (names, classifier and forwarding hashes, the
# services' tables), as bpftool prints it; the arrays are covered by the
# daemon's own count of map writes (0 below)
hashes() {
	local m t
	for m in "$PIN"/pp_*; do
		t=$(bpftool -j map show pinned "$m" 2>/dev/null | grep -o '"type":"[a-z_]*"')
		[[ $t == *'"hash"'* || $t == *lpm_trie* || $t == *devmap_hash* ]] || continue
		echo "== ${m##*/}"
		bpftool map dump pinned "$m" 2>/dev/null | sort
	done
}
ping200() { ip netns exec pptr-g200 ping -c 1 -W 1 10.2.0.1 >/dev/null 2>&1; }
# until_ping200: up to 10 tries (ARP on the first)
until_ping200() { for _ in $(seq 10); do ping200 && return 0; done; return 1; }

# ---- topology --------------------------------------------------------------------------
cat >"$CONF/10.yaml" <<EOF
networks:
  net-a: {device: pptrna}
  net-f: {device: pptrnf}
instance-ports:
  sf1:
    device: pptrtap1
    mac: $M1
    service-ports:
      p100: {vlan: 100, bind: {network: net-a}}
EOF
netns_net pptr-na pptrna 10.1.0.1/24
netns_net pptr-nb pptrnb 10.2.0.1/24
ip tuntap add dev pptrtap2 mode tap
for g in g100 g200; do
	ip netns add "pptr-$g"
	ip -n "pptr-$g" link set lo up
done
daemon_start || { fail "api-robust: polyportd does not start"; exit 1; }
guest g1 pptrtap1 --port ns=pptr-g100,dev=eth0,mac=$M1,match=vlan:100 \
	--port ns=pptr-g200,dev=eth0,mac=$M2,match=vlan:200 || { fail "api-robust: guest"; exit 1; }
ip -n pptr-g100 addr add 10.1.0.10/24 dev eth0
ip -n pptr-g200 addr add 10.2.0.10/24 dev eth0
for ns in pptr-g100 pptr-g200; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ok=1
for r in "POST /v1/networks {\"name\": \"net-b\", \"device\": \"pptrnb\"}" \
	"POST /v1/service-ports {\"name\": \"p200\", \"instance-port\": \"sf1\", \"vlan\": 200, \"mac\": \"$M2\", \"bind\": {\"network\": \"net-b\"}}" \
	"POST /v1/service-ports {\"name\": \"p201\", \"instance-port\": \"sf1\", \"vlan\": 201, \"mac\": \"$M3\", \"bind\": {\"network\": \"net-a\"}}" \
	"POST /v1/instance-ports {\"name\": \"vm2\", \"device\": \"pptrtap2\", \"mac\": \"52:54:00:0b:00:01\"}" \
	"POST /v1/service-ports {\"name\": \"p300\", \"instance-port\": \"vm2\", \"vlan\": 300, \"addresses\": [\"10.2.0.30/24\"], \"bind\": {\"network\": \"net-b\", \"responder\": {}}}" \
	"POST /v1/service-ports {\"name\": \"p203\", \"instance-port\": \"vm2\", \"vlan\": 303, \"bind\": {\"network\": \"net-f\"}}"; do
	set -- $r
	got=$(req "$1" "$2" "${r#* * }")
	[[ ${got%% *} == 201 ]] || { ok=0; echo "      setup: $r -> ${got:0:200}"; }
done
((ok)) && pass "setup: API objects made (a network, an instance port, four service ports)" \
	|| fail "setup: API objects"
until_ping200 && pass "setup: p200 (an API service port) forwards" || fail "setup: p200 does not forward"
cp "$STATE/api.json" "$WORK/good.json"

# ---- 1. a damaged state file ---------------------------------------------------------------
# damage CASE CONTENT: polyportd restarted on a damaged api.json keeps running,
# moves the file aside, keeps every pinned entry, marks the objects; then the
# good file is restored and SIGHUP adopts it again, writing nothing.
damage() {
	local case=$1 content=$2 got bad before after w
	daemon_stop
	hashes >"$WORK/maps.before"
	printf '%s' "$content" >"$STATE/api.json"
	rm -f "$STATE"/api.json.bad-*
	if ! daemon_start; then
		fail "state: $case: polyportd keeps running and serves the API: it died"
		rm -f "$STATE/api.json"
		cp "$WORK/good.json" "$STATE/api.json"
		daemon_start >/dev/null
		return
	fi
	got=$(req GET /v1/status)
	[[ ${got%% *} == 200 ]] && pass "state: $case: polyportd keeps running and serves the API" \
		|| fail "state: $case: /v1/status: ${got:0:200}"
	bad=$(ls "$STATE"/api.json.bad-* 2>/dev/null | head -1)
	if [[ $bad =~ /api\.json\.bad-[0-9]{8}T[0-9]{6}Z$ ]] && cmp -s "$bad" <(printf '%s' "$content"); then
		pass "state: $case: moved aside as api.json.bad-<UTC time>, byte for byte"
	else
		fail "state: $case: not moved aside (${bad:-none})"
	fi
	[[ "$got" =~ \"state-file\":\ \{\ \"status\":\ \"damaged\",.*\"kept-as\":\ \"${bad:-none}\" ]] \
		&& pass "state: $case: /v1/status says state-file damaged, kept-as named" \
		|| fail "state: $case: state-file in /v1/status: $(grep -o '"state-file": {[^}]*' <<<"$got")"
	w=$(req GET /v1/service-ports/p200)
	[[ "$w" =~ \"source\":\ \"kept\".*\"status\":\ \"DEGRADED\",\ \"reason\":\ \"state\ file\ damaged,\ kept\ as\ ${bad:-none}\" &&
	   $(req GET /v1/networks/net-b) == *'"status": "DEGRADED"'* &&
	   $(req GET /v1/instance-ports/vm2) == *'"status": "DEGRADED"'* &&
	   $(req GET /v1/instance-ports/sf1) == *'"name": "p200"'*'"source": "kept"'* ]] \
		&& pass "state: $case: its objects DEGRADED, \"state file damaged, kept as ...\"" \
		|| fail "state: $case: p200: ${w:0:300}"
	hashes >"$WORK/maps.after"
	w=$(jsonval map_writes)
	if [[ $w == 0 ]] && cmp -s "$WORK/maps.before" "$WORK/maps.after"; then
		pass "state: $case: nothing removed: 0 map writes, every pinned hash entry as it was"
	else
		fail "state: $case: $w map writes; $(diff "$WORK/maps.before" "$WORK/maps.after" | grep -c '^[<>]') hash lines differ"
	fi
	until_ping200 && pass "state: $case: the kept service port p200 still forwards" \
		|| fail "state: $case: p200 no longer forwards"
	before=$(writes)
	cp "$WORK/good.json" "$STATE/api.json"
	kill -HUP "$DPID"
	for _ in $(seq 200); do
		[[ $(req GET /v1/state-file) == *'"status": "ok"'* ]] && break
		sleep 0.01
	done
	after=$(writes)
	[[ $(req GET /v1/state-file) == *'"status": "ok"'* && $(req GET /v1/service-ports/p200) == *'"source": "api"'* &&
	   $(req GET /v1/instance-ports/vm2) == *'"source": "api"'* && $before == "$after" ]] \
		&& pass "state: $case: restored file + SIGHUP: state ok, API objects again, 0 map writes" \
		|| fail "state: $case: restore: $(req GET /v1/state-file | head -c 200) writes $before -> $after"
}
damage "top level []" '[]'
damage 'top level "x"' '"x"'
damage '{"networks":5}' '{"networks":5}'
damage '{"instance-ports":[]}' '{"instance-ports":[]}'
damage '{"networks":{"a":5}}' '{"networks":{"a":5}}'
damage "invalid JSON" '{"networks": {"net-b": {"device": "pptrnb"'
damage "empty file" ''
damage "a NUL in a name" '{"networks": {"net-b\u0000x": {"device": "pptrnb", "revision": 1}}}'
damage "objects that do not validate" '{"networks": {"net-b": {"device": "pptrnb", "mtu": "big", "revision": 1}}}'

# Damaged once more, then what may and may not happen meanwhile.
daemon_stop
echo '{"networks":5}' >"$STATE/api.json"
daemon_start || { fail "state: polyportd does not start on a damaged file"; exit 1; }
api_expect "state: API writes work meanwhile: a new network -> 201" 201 '"name": "net-c".*"source": "api"' \
	POST /v1/networks '{"name": "net-c", "device": "pptrnc"}'
api_expect "state: ... a new service port on sf1 -> 201" 201 '"name": "p202"' \
	POST /v1/service-ports '{"name": "p202", "instance-port": "sf1", "vlan": 202, "mac": "52:54:00:0a:00:04", "bind": {"network": "net-a"}}'
api_expect "state: a kept object's name -> 409" 409 '"code": "exists".*kept from the damaged state file.*"field": "name"' \
	POST /v1/networks '{"name": "net-b", "device": "pptrnx"}'
api_expect "state: a kept service port's classifier entry (sf1 vlan 200) -> 409 naming the field" 409 \
	'"code": "conflict".*already service port .*p200.*kept from the damaged state file.*"field": "vlan"' \
	POST /v1/service-ports '{"name": "p209", "instance-port": "sf1", "vlan": 200, "mac": "52:54:00:0a:00:09", "bind": {"network": "net-a"}}'
api_expect "state: a kept service port's MAC on its network -> 409 naming the field" 409 \
	"MAC $M3 on network .*net-a.* is already service port .*p201.*\"field\": \"mac\"" \
	POST /v1/service-ports "{\"name\": \"p208\", \"instance-port\": \"sf1\", \"vlan\": 208, \"mac\": \"$M3\", \"bind\": {\"network\": \"net-a\"}}"
api_expect "state: a kept instance port's tap -> 409" 409 'tap pptrtap2 is already the tap of instance port .*vm2.*"field": "device"' \
	POST /v1/instance-ports '{"name": "vm9", "device": "pptrtap2", "mac": "52:54:00:0b:00:09"}'
api_expect "state: a kept object is read-only: PATCH -> 409" 409 '"code": "kept"' PATCH /v1/networks/net-b '{"mtu": 1400}'
api_expect "state: ... DELETE -> 409" 409 '"code": "kept"' DELETE /v1/service-ports/p300
w0=$(writes)
cat >"$CONF/20.yaml" <<EOF
service-ports:
  f200: {instance-port: sf1, vlan: 200, mac: 52:54:00:0a:00:0f, bind: {network: net-a}}
EOF
kill -HUP "$DPID"
sleep 0.3
[[ $(req GET /v1/status) == *"last_errors"*"already service port \\\"p200\\\"'s, kept from the damaged state file"* && $(writes) == "$w0" ]] \
	&& pass "state: a binding file taking a kept classifier entry is rejected on reload, nothing written" \
	|| fail "state: file conflict: $(req GET /v1/status | grep -o '"last_errors": "[^"]*' | head -c 300)"
rm -f "$CONF/20.yaml"
cp "$CONF/10.yaml" "$WORK/10.yaml"
sed -i '/net-f/d' "$CONF/10.yaml"
kill -HUP "$DPID"
sleep 0.3
[[ $(req GET /v1/status) == *"network \\\"net-f\\\" is still used by service port \\\"p203\\\", kept from"* && $(writes) == "$w0" ]] \
	&& pass "state: a file network a kept service port stands on cannot go (reload rejected)" \
	|| fail "state: removing net-f: $(req GET /v1/status | grep -o '"last_errors": "[^"]*' | head -c 300)"
cp "$WORK/10.yaml" "$CONF/10.yaml"
kill -HUP "$DPID"
sleep 0.3
hashes >"$WORK/maps.before"
daemon_stop
daemon_start || fail "state: restart while damaged"
hashes >"$WORK/maps.after"
[[ $(req GET /v1/state-file) == *'"status": "damaged"'* && $(req GET /v1/service-ports/p200) == *'"source": "kept"'* &&
   $(jsonval map_writes) == 0 ]] && cmp -s "$WORK/maps.before" "$WORK/maps.after" && until_ping200 \
	&& pass "state: a restart while damaged keeps what is kept (0 map writes, p200 forwards)" \
	|| fail "state: restart while damaged: $(req GET /v1/state-file | head -c 200)"
# The state directory is synced after every rename of the state file.
if command -v strace >/dev/null; then
	strace -f -qq -p "$DPID" -e trace=rename,renameat,renameat2,openat,fsync -o "$WORK/strace" &
	spid=$!
	sleep 0.5
	req POST /v1/networks '{"name": "net-d", "device": "pptrnd"}' >/dev/null
	echo '[1' >"$STATE/api.json"		# damaged again: moved aside again
	kill -HUP "$DPID"
	sleep 0.3
	kill -INT $spid; wait $spid 2>/dev/null
	# every rename into the state directory, then an open of the directory and its fsync
	res=$(awk -v dir="$STATE" '
		/rename/ && index($0, "\"" dir "/api.json") && / = 0$/ { n++; pend = 1; fd = ""; next }
		pend && /openat\(/ && index($0, "\"" dir "\"") && /O_DIRECTORY/ { fd = $NF; next }
		pend && fd != "" && $0 ~ ("fsync\\(" fd "\\) += 0") { pend = 0; ok++ }
		END { print n + 0, ok + 0 }' "$WORK/strace")
	[[ ${res% *} -ge 2 && ${res% *} == "${res#* }" ]] \
		&& pass "state: the state directory is fsynced after every rename of the state file" \
		|| fail "state: renames / directory fsyncs: $res"
else
	skip "state: directory fsync: strace is not installed"
fi
[[ $(ls "$STATE"/api.json.bad-* | wc -l) -ge 2 && $(req GET /v1/service-ports/p200) == *'"source": "kept"'* ]] \
	&& pass "state: damaged again while damaged: moved aside too, the kept objects still kept" \
	|| fail "state: second damage: $(ls "$STATE")"
out=$(ctl state 2>&1)
[[ $out == *"damaged"*"kept: 1 networks, 1 instance ports, 4 service ports"* ]] \
	&& pass "ctl: state shows the damage and what is kept" || fail "ctl: state: $out"
ctl status | grep -q "state file was damaged" && pass "ctl: status names the damaged state file" \
	|| fail "ctl: status does not name the damage"
out=$(ctl state discard 2>&1); rc=$?
[[ $rc == 0 && $out == *"let go: 1 networks, 1 instance ports, 4 service ports"* ]] \
	&& pass "ctl: state discard lets them go (exit 0)" || fail "ctl: state discard: rc=$rc $out"
api_expect "state: discarded: the kept objects are gone" 404 'no service port' GET /v1/service-ports/p200
api_expect "state: ... the state file is ok again" 200 '"status": "ok"' GET /v1/state-file
ip -n pptr-g200 neigh flush all
! ping200 && pass "state: ... and p200's traffic stops (its entries removed)" || fail "state: p200 still forwards"
api_expect "state: objects made meanwhile stay" 200 '"name": "p202".*"source": "api"' GET /v1/service-ports/p202

# ---- 2. NULs ---------------------------------------------------------------------------------
api_expect "nul: a name with \\u0000 -> 422 naming the field" 422 '"code": "invalid".*NUL.*"field": "name"' \
	POST /v1/networks '{"name": "n1\u0000junk", "device": "pptrnq"}'
api_expect "nul: ... nothing was made" 404 'no network' GET /v1/networks/n1
api_expect "nul: an address with \\u0000 -> 422 naming the field" 422 '"field": "addresses\[0\]"' \
	POST /v1/service-ports '{"name": "p210", "instance-port": "sf1", "vlan": 210, "addresses": ["10.0.0.5\u0000/99"], "bind": {"network": "net-a"}}'
api_expect "nul: a NUL deep in a binding -> 422 naming the field" 422 '"field": "bind.security.allowed-pairs\[0\].ip"' \
	POST /v1/service-ports '{"name": "p210", "instance-port": "sf1", "vlan": 210, "bind": {"network": "net-a", "security": {"allowed-pairs": [{"mac": "52:54:00:0a:00:10", "ip": "10.0.0.9\u0000"}]}}}'
api_expect "nul: a NUL in a key -> 422" 422 'an object key holds a NUL' \
	POST /v1/networks '{"name": "n2", "device\u0000x": "pptrnq"}'
grep -q 'n1\|p210' "$STATE/api.json" && fail "nul: something of it reached api.json" \
	|| pass "nul: api.json holds none of them"
# (cut at the NUL, they were taken as 10.0.0.1 and 10.0.0.5/32)
mkdir -p "$WORK/nulconf"
cat >"$WORK/nulconf/10.yaml" <<'EOF'
networks:
  nx: {device: pptrnx, gateway: {ipv4: "10.0.0.1\0junk"}}
instance-ports:
  vx:
    device: pptrtapx
    mac: 52:54:00:0c:00:01
    service-ports:
      sx: {vlan: 5, addresses: ["10.0.0.5\0/99"], bind: {network: nx}}
EOF
out=$("$PPD" --check --config "$WORK/nulconf" 2>&1); rc=$?
[[ $rc == 1 && $out == *"10.yaml:2:40: a NUL character"* && $out == *"10.yaml:8:33: a NUL character"* ]] \
	&& pass "nul: a NUL in a binding file's value is an error at file:line:column" \
	|| fail "nul: --check rc=$rc: $out"

# ---- 3. URLs ------------------------------------------------------------------------------------
req POST /v1/networks '{"name": "n1", "device": "pptrn1"}' >/dev/null
slashes() { printf '/%.0s' $(seq "$1"); }
api_expect "url: DELETE /v1/networks/n1 + 600 slashes + x -> 414" 414 '"code": "uri_too_long"' \
	DELETE "/v1/networks/n1$(slashes 600)x"
api_expect "url: ... and n1 is still there" 200 '"name": "n1"' GET /v1/networks/n1
api_expect "url: a path of 100,000 bytes -> 414" 414 'uri_too_long' GET "/v1/networks/$(head -c 100000 /dev/zero | tr '\0' a)"
api_expect "url: /v1/networks/n1 + 400 slashes + x (fits) -> 404" 404 'no such resource' \
	DELETE "/v1/networks/n1$(slashes 400)x"
api_expect "url: DELETE /v1/networks/n1/x -> 404" 404 'no such resource' DELETE /v1/networks/n1/x
api_expect "url: GET /v1/networks/n1////x -> 404" 404 'no such resource' GET /v1/networks/n1////x
api_expect "url: GET /v1/networks//n1 -> 404" 404 'no such resource' GET /v1/networks//n1
api_expect "url: DELETE /v1/networks/n1%00x (an escaped NUL) -> 404" 404 'no network' DELETE /v1/networks/n1%00x
api_expect "url: a 200-character name -> 404" 404 'no network' GET "/v1/networks/n1$(head -c 198 /dev/zero | tr '\0' x)"
api_expect "url: ... n1 survived all of them" 200 '"name": "n1"' GET /v1/networks/n1

# ---- 4. /metrics on TCP ---------------------------------------------------------------------------
# 2,000 service ports make a scrape cost something (on a tap that does not exist).
{
	echo "networks:"
	echo "  net-m: {device: pptrnm}"
	echo "instance-ports:"
	echo "  bulk:"
	echo "    device: pptrbulk"
	echo "    mac: 52:54:00:0d:00:01"
	echo "    service-ports:"
	for i in $(seq 1 2000); do
		printf '      m%d: {vlan: %d, mac: "52:54:00:0e:%02x:%02x", bind: {network: net-m}}\n' \
			"$i" "$i" $((i / 256)) $((i % 256))
	done
} >"$CONF/30-bulk.yaml"
daemon_stop
MPORT=$((20000 + RANDOM % 20000))
daemon_start --metrics-listen "127.0.0.1:$MPORT" || { fail "metrics: polyportd with --metrics-listen"; exit 1; }
murl=http://127.0.0.1:$MPORT/metrics
t0=$(date +%s%N)
bytes=$(curl -s -m 10 "$murl" | wc -c)
echo "      one scrape: $bytes bytes, $(ms_since "$t0") ms (2,000 service ports)"
# Unix socket: exact; TCP: the same text within its second, the new one after at most 1 s.
rec() { grep '^polyport_reconcile_total ' | awk '{print $2}'; }
curl -s -m 10 "$murl" >/dev/null
n0=$(curl -s -m 10 "$murl" | rec)
kill -HUP "$DPID"
for _ in $(seq 100); do
	[[ $(curl -s --unix-socket "$API" http://localhost/metrics | rec) == $((n0 + 1)) ]] && break
	sleep 0.01
done
t0=$(date +%s%N)
nu=$(curl -s --unix-socket "$API" http://localhost/metrics | rec)
nt=$(curl -s -m 10 "$murl" | rec)
while [[ $(curl -s -m 10 "$murl" | rec) != $((n0 + 1)) ]] && (($(ms_since "$t0") < 3000)); do sleep 0.02; done
lag=$(ms_since "$t0")
echo "      after a reload: Unix socket $n0 -> $nu at once; TCP still $nt, $((n0 + 1)) after $lag ms"
[[ $nu == $((n0 + 1)) ]] && pass "metrics: the Unix socket's /metrics is exact" || fail "metrics: Unix socket $n0 -> $nu"
[[ $nt == "$n0" && $lag -le 1100 ]] \
	&& pass "metrics: TCP /metrics is a snapshot at most 1 s old (stale at once, new within 1 s)" \
	|| fail "metrics: TCP snapshot: $n0 -> $nt at once, new after $lag ms"
# 16 connections held (a request line, no more), then a 17th.
fds=()
for _ in $(seq 16); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$MPORT"
	printf 'GET /metrics HTTP/1.1\r\n' >&$fd
	fds+=("$fd")
done
sleep 0.3
# (the held connections closed in curl's copy of the descriptors)
( for fd in "${fds[@]}"; do exec {fd}>&-; done
  exec curl -s -m 6 -o /dev/null -w '%{http_code} %{time_total}' "$murl" ) >"$WORK/17th" &
cpid=$!
sleep 1
f0=${fds[0]}
exec {f0}>&-
wait $cpid
for fd in "${fds[@]:1}"; do exec {fd}>&-; done
read -r code secs <"$WORK/17th"
ms=$(awk -v s="${secs:-0}" 'BEGIN { printf "%d", s * 1000 }')
echo "      a 17th connection while 16 are held: answered $code after $ms ms (one of the 16 closed at 1,000 ms)"
[[ $code == 200 && $ms -ge 950 && $ms -lt 4000 ]] \
	&& pass "metrics: at most 16 TCP connections: a 17th waits in the backlog until one closes" \
	|| fail "metrics: 17th connection: $code after $ms ms"
# A storm: 32 clients scraping as fast as they can; the API on the Unix socket meanwhile.
lat() {
	for _ in $(seq 200); do
		curl -s -o /dev/null -w '%{time_total}\n' --unix-socket "$API" http://localhost/v1/networks/net-a
	done | awk '{print $1 * 1000}' | sort -n |
		awk '{a[NR] = $1} END {printf "%.1f %.1f %.1f", a[int(NR * 0.5)], a[int(NR * 0.99)], a[NR]}'
}
read -r b50 b99 bmax < <(lat)
r0=$(req GET /v1/stats | grep -o '"requests": [0-9]*' | awk '{print $2}')
T=4
t0=$(date +%s%N)
spids=()
for _ in $(seq 32); do
	( end=$(($(date +%s) + T))
	  while (($(date +%s) < end)); do curl -s -m $((T + 2)) -o /dev/null "$murl"; done ) &
	spids+=($!)
done
sleep 0.5
read -r s50 s99 smax < <(lat)
wait "${spids[@]}"
secs=$(ms_since "$t0")
r1=$(req GET /v1/stats | grep -o '"requests": [0-9]*' | awk '{print $2}')
scrapes=$((r1 - r0 - 201))
rate=$((scrapes * 1000 / secs))
echo "      API GET on the Unix socket, ms p50/p99/max: alone $b50/$b99/$bmax; under a storm of 32 TCP scrapers $s50/$s99/$smax"
echo "      scrapes served during the storm: $scrapes in $secs ms ($rate a second)"
awk -v s="$s99" -v b="$b99" 'BEGIN { exit !(s < b + 250) }' \
	&& pass "metrics: a scrape storm on TCP leaves the Unix-socket API fast (p99 within 250 ms of alone)" \
	|| fail "metrics: API p99 under a storm $s99 ms (alone $b99 ms)"
((rate <= 24)) && pass "metrics: TCP scrapes are rate limited (16 a second)" \
	|| fail "metrics: $rate scrapes a second"
api_expect "metrics: the daemon still answers after the storm" 200 '"name": "net-a"' GET /v1/networks/net-a
daemon_stop
exit $FAILED
