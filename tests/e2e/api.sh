#!/usr/bin/env bash
# End to end: polyportd's northbound API over its Unix socket (curl and
# polyportctl), reaching the real dataplane.
#
#   binding file: network net-a (pptana -> ppta-na 10.1.0.1), instance port sf1
#   (tap pptatap1) with p100 (vlan 100); everything else is made through the API:
#   network net-b (pptanb -> ppta-nb 10.2.0.1), service port p200 (vlan 200 -> net-b)
PPT_NAME=api
PPT_SCOPE=ppta	# its own names: other suites' cleanup never touches them
source "$(dirname "$0")/lib.sh"
suite_start

daemon_dirs
M1=52:54:00:01:00:01 M2=52:54:00:01:00:02
# until_status KIND NAME STATUS: milliseconds until GET shows STATUS (or 9999)
until_status() {
	local t0=$(date +%s%N)
	for _ in $(seq 400); do
		[[ $(req GET "/v1/$1/$2") == *"\"status\": { \"status\": \"$3\""* ||
		   $(req GET "/v1/$1/$2") =~ \"status\":\ \{\ *\"status\":\ \"$3\" ]] && { ms_since "$t0"; return; }
		sleep 0.002
	done
	echo 9999
}

cat >"$CONF/10.yaml" <<EOF
networks:
  net-a: {device: pptana}
instance-ports:
  sf1:
    device: pptatap1
    mac: $M1
    service-ports:
      p100: {vlan: 100, bind: {network: net-a}}
EOF
netns_net ppta-na pptana 10.1.0.1/24
netns_net ppta-nb pptanb 10.2.0.1/24
for g in g100 g200; do
	ip netns add "ppta-$g"
	ip -n "ppta-$g" link set lo up
done
daemon_start || exit 1
guest g1 pptatap1 --port ns=ppta-g100,dev=eth0,mac=$M1,match=vlan:100 \
	--port ns=ppta-g200,dev=eth0,mac=$M2,match=vlan:200 || { fail "api: guest"; exit 1; }
ip -n ppta-g100 addr add 10.1.0.10/24 dev eth0
ip -n ppta-g200 addr add 10.2.0.10/24 dev eth0
for ns in ppta-g100 ppta-g200; do ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done

# ---- CRUD on every resource ------------------------------------------------------------
api_expect "crud: list networks (file object, source file)" 200 '"name": "net-a".*"source": "file"' GET /v1/networks
api_expect "crud: create a network" 201 '"name": "net-b".*"revision": 1.*"source": "api"' \
	POST /v1/networks '{"name": "net-b", "device": "pptanb", "mtu": 1500}'
api_expect "crud: get it" 200 '"device": "pptanb".*"status": \{ "status": "ACTIVE"' GET /v1/networks/net-b
api_expect "crud: create an instance port" 201 '"name": "vm2".*"revision": 1' \
	POST /v1/instance-ports '{"name": "vm2", "device": "pptatap9", "mac": "52:54:00:09:00:01"}'
api_expect "crud: an instance port without its tap is DOWN, with a reason" 200 '"status": "DOWN", "reason": "tap pptatap9 is absent' \
	GET /v1/instance-ports/vm2
api_expect "crud: patch an instance port (revision 1 -> 2)" 200 '"mtu": 9000.*"revision": 2' \
	PATCH /v1/instance-ports/vm2 '{"revision": 1, "mtu": 9000}'
api_expect "crud: put replaces an instance port" 200 '"mtu": 1500.*"revision": 3' \
	PUT /v1/instance-ports/vm2 '{"device": "pptatap9", "mac": "52:54:00:09:00:01"}'
api_expect "crud: delete an instance port" 204 '' DELETE /v1/instance-ports/vm2
api_expect "crud: deleted is gone" 404 '"code": "not_found"' GET /v1/instance-ports/vm2

# ---- instance ports by id (issue 18) ----------------------------------------------------
ID3=8a1c5f2e-1b2d-4e5f-9a0b-0c1d2e3f4a5b
api_expect "ids: create an instance port with an id and no device -> 201" 201 \
	"\"name\": \"vm3\", \"id\": \"$ID3\", \"device\": \"\".*\"revision\": 1,.*\"activations\": 0" \
	POST /v1/instance-ports "{\"name\": \"vm3\", \"id\": \"$ID3\", \"mac\": \"52:54:00:09:00:03\"}"
got=$(req GET "/v1/instance-ports?id=$ID3")
[[ $got == "200 [ { \"name\": \"vm3\", \"id\": \"$ID3\""* && $got != *'"name": "sf1"'* ]] \
	&& pass "ids: GET /v1/instance-ports?id=ID is the one with that id" || fail "ids: ?id=: ${got:0:300}"
api_expect "ids: ?id= of no instance port is an empty list" 200 '^200 \[ *\]$' \
	GET "/v1/instance-ports?id=${ID3}x"
api_expect "ids: the status names the tap frames to the VM go to" 200 \
	'"name": "sf1".*"status": \{ "status": "ACTIVE".*"tap": "pptatap1", .*"activations": 0' \
	GET /v1/instance-ports/sf1
api_expect "ids: a file instance port without an id shows id \"\"" 200 '"name": "sf1", "id": "", "device": "pptatap1"' \
	GET /v1/instance-ports/sf1
api_expect "ids: a second instance port with that id -> 409 naming the first" 409 \
	"\"code\": \"conflict\".*id .*$ID3.* is already the id of instance port .*vm3.*\"field\": \"id\"" \
	POST /v1/instance-ports "{\"name\": \"vm4\", \"id\": \"$ID3\", \"mac\": \"52:54:00:09:00:04\"}"
api_expect "ids: neither device nor id -> 422" 422 'instance port .*vm4.* has neither device nor id' \
	POST /v1/instance-ports '{"name": "vm4", "device": "", "mac": "52:54:00:09:00:04"}'
api_expect "ids: an id with a character outside [A-Za-z0-9._:-] -> 422 naming the field" 422 \
	'invalid instance port id .*a/b.*"field": "id"' \
	POST /v1/instance-ports '{"name": "vm4", "id": "a/b", "mac": "52:54:00:09:00:04"}'
# the same content again (what plug does when run twice): nothing saved, reconciled or written
api_counts() { req GET /v1/stats | grep -oE "\"(map_writes|reconciles)\": [0-9]+" | tr '\n' ' '; }
before=$(api_counts)
api_expect "ids: PUT of the stored content -> 200, same revision" 200 "\"id\": \"$ID3\".*\"revision\": 1," \
	PUT /v1/instance-ports/vm3 "{\"id\": \"$ID3\", \"mac\": \"52:54:00:09:00:03\"}"
after=$(api_counts)
[[ -n $before && $before == "$after" ]] && pass "ids: PUT of the stored content: no reconcile, no map write ($after)" \
	|| fail "ids: PUT of the stored content: $before -> $after"
api_expect "ids: activate a tap not bound to it -> 409" 409 \
	'"code": "not_bound".*tap .*pptatapz.* is not bound to instance port .*vm3.*"field": "tap"' \
	POST /v1/instance-ports/vm3/activate '{"tap": "pptatapz"}'
api_expect "ids: activate without a tap -> 400" 400 '"field": "tap"' POST /v1/instance-ports/vm3/activate '{}'
api_expect "ids: activate on no instance port -> 404" 404 'no instance port .*vm9' \
	POST /v1/instance-ports/vm9/activate '{"tap": "pptatapz"}'
api_expect "ids: delete it" 204 '' DELETE /v1/instance-ports/vm3

t0=$(date +%s%N)
api_expect "crud: create a service port on a file-defined instance port" 201 \
	'"name": "p200".*"instance-port": "sf1".*"vlan": 200' \
	POST /v1/service-ports "{\"name\": \"p200\", \"instance-port\": \"sf1\", \"vlan\": 200, \"mac\": \"$M2\", \"bind\": {\"network\": \"net-b\"}}"
for _ in $(seq 200); do ip netns exec ppta-g200 ping -c 1 -W 0.2 10.2.0.1 >/dev/null 2>&1 && break; done
ms=$(ms_since "$t0")
echo "      API create -> first ping answered over the new service port: $ms ms (includes ARP)"
check "dataplane: the service port made through the API carries traffic" \
	ip netns exec ppta-g200 ping -c 2 -i 0.2 -W 2 10.2.0.1
api_expect "crud: instance port shows its service ports and their statuses" 200 \
	'"name": "sf1".*"service-ports": \[.*"name": "p100".*"name": "p200".*"status": "ACTIVE"' GET /v1/instance-ports/sf1
api_expect "crud: list service ports" 200 '"name": "p100".*"source": "file".*"name": "p200".*"source": "api"' \
	GET /v1/service-ports
api_expect "crud: bind a service: PUT .../bind/network" 200 '"bind": \{ "network": "net-a" \}' \
	PUT /v1/service-ports/p200/bind/network '{"network": "net-a"}'
api_expect "crud: and back" 200 '"bind": \{ "network": "net-b" \}.*"revision": 3' \
	PUT /v1/service-ports/p200/bind/network '{"network": "net-b"}'
api_expect "crud: bind a service: PUT .../bind/responder" 200 '"bind": \{ "network": "net-b", "responder": \{ \} \}' \
	PUT /v1/service-ports/p200/bind/responder '{"responder": {}}'
api_expect "crud: bind a service: PUT .../bind/security" 200 '"security": \{ "allowed-pairs": \[ \], "ingress": \[ \{ "proto": "tcp", "ports": "22", "action": "allow" \} \].*"default": "drop"' \
	PUT /v1/service-ports/p200/bind/security '{"security": {"ingress": [{"proto": "tcp", "ports": 22}]}}'
api_expect "crud: dhcp on a network without a gateway -> 422" 422 'needs a gateway ipv4 on network' \
	PUT /v1/service-ports/p200/bind/dhcp '{"dhcp": {}}'
api_expect "crud: unbind: DELETE .../bind/security" 200 '"bind": \{ "network": "net-b", "responder": \{ \} \}' \
	DELETE /v1/service-ports/p200/bind/security
api_expect "crud: unbind: DELETE .../bind/responder" 200 '"bind": \{ "network": "net-b" \}' \
	DELETE /v1/service-ports/p200/bind/responder

# ---- errors ---------------------------------------------------------------------------
api_expect "errors: stale revision -> 409" 409 '"code": "stale_revision".*"field": "revision"' \
	PATCH /v1/service-ports/p200 '{"revision": 1, "vlan": 201}'
api_expect "errors: file-defined objects are read-only -> 409" 409 '"code": "read_only"' \
	PATCH /v1/service-ports/p100 '{"vlan": 101}'
api_expect "errors: delete of a file object -> 409" 409 '"code": "read_only"' DELETE /v1/networks/net-a
api_expect "errors: a name that exists -> 409" 409 '"code": "exists"' \
	POST /v1/networks '{"name": "net-b", "device": "pptanx"}'
api_expect "errors: same name as a file object -> 409" 409 '"code": "read_only"' \
	POST /v1/networks '{"name": "net-a", "device": "pptanx"}'
api_expect "errors: duplicate match on the instance port -> 409 naming the field" 409 \
	'"code": "conflict".*already matched by service port .*p100.*"field": "vlan"' \
	POST /v1/service-ports '{"name": "p300", "instance-port": "sf1", "vlan": 100, "mac": "52:54:00:01:00:03", "bind": {"network": "net-b"}}'
api_expect "errors: VID out of range -> 422 naming the field" 422 '"code": "invalid".*4095.*"field": "vlan"' \
	POST /v1/service-ports '{"name": "p301", "instance-port": "sf1", "vlan": 4095, "bind": {"network": "net-b"}}'
api_expect "errors: unknown key -> 422 naming it" 422 'unknown key .*colour.*"field": "colour"' \
	POST /v1/networks '{"name": "net-c", "device": "pptanc", "colour": "blue"}'
api_expect "errors: unknown network -> 422" 422 'unknown network .*net-z' \
	POST /v1/service-ports '{"name": "p302", "instance-port": "sf1", "vlan": 302, "mac": "52:54:00:01:00:04", "bind": {"network": "net-z"}}'
api_expect "errors: unknown instance port -> 422" 422 'unknown instance port' \
	POST /v1/service-ports '{"name": "p303", "instance-port": "nope", "vlan": 303, "bind": {"network": "net-b"}}'
api_expect "errors: deleting a network in use -> 409" 409 '"code": "in_use"' DELETE /v1/networks/net-b
api_expect "errors: malformed JSON -> 400 with the position" 400 'malformed JSON at line 1, column' \
	POST /v1/networks '{"name": "x", "device": '
api_expect "errors: a body that is not an object -> 400" 400 'must be a JSON object' POST /v1/networks '[1, 2]'
api_expect "errors: missing name -> 422" 422 '"field": "name"' POST /v1/networks '{"device": "pptaq0"}'
api_expect "errors: unknown resource -> 404" 404 'no such resource' GET /v1/widgets
api_expect "errors: method not allowed -> 405" 405 'not allowed' DELETE /v1/networks
api_expect "errors: unknown service binding -> 422" 422 'unknown service' \
	PUT /v1/service-ports/p200/bind/mirror '{"mirror": {}}'
big=$(head -c 70000 /dev/zero | tr '\0' ' ')
api_expect "errors: declared body over the limit -> 413" 413 '"code": "too_large"' POST /v1/networks "{\"name\": \"big\",$big \"device\": \"x\"}"
code=$(head -c 70000 /dev/zero | tr '\0' ' ' | curl -s -o /dev/null -w '%{http_code}' --unix-socket "$API" \
	-H 'Transfer-Encoding: chunked' -X POST --data-binary @- http://localhost/v1/networks)
[[ $code == 413 ]] && pass "errors: chunked body over the limit -> 413" || fail "errors: chunked oversize got $code"
# The files stay the authority: a file that redefines an API name is rejected on reload.
cat >"$CONF/20.yaml" <<EOF
networks:
  net-b: {device: pptanb}
EOF
sleep 0.3
ctl status | grep -q 'network "net-b" is already defined' && pass "errors: a name in a file and in the API is reported on reload" \
	|| fail "errors: no reload error for a doubly defined name"
check "errors: ... and the dataplane kept its state" ip netns exec ppta-g200 ping -c 1 -W 2 10.2.0.1
rm -f "$CONF/20.yaml"
sleep 0.3

# ---- status you can trust ----------------------------------------------------------------
stop_guest g1
ms=$(until_status instance-ports sf1 DOWN)
echo "      tap deleted -> instance port DOWN through the API: $ms ms"
((ms < 1000)) && pass "status: tap deleted -> sf1 DOWN within 1 s ($ms ms)" || fail "status: tap deleted: $ms ms"
guest g1 pptatap1 --port ns=ppta-g100,dev=eth0,mac=$M1,match=vlan:100 \
	--port ns=ppta-g200,dev=eth0,mac=$M2,match=vlan:200 || { fail "api: guest"; exit 1; }
ip -n ppta-g100 addr add 10.1.0.10/24 dev eth0
ip -n ppta-g200 addr add 10.2.0.10/24 dev eth0
ms=$(until_status instance-ports sf1 ACTIVE)
echo "      tap re-created -> ACTIVE: $ms ms"
((ms < 1000)) && pass "status: tap re-created -> sf1 ACTIVE within 1 s ($ms ms)" || fail "status: re-created: $ms ms"
ip link del pptanb
ms=$(until_status service-ports p200 DOWN)
echo "      network device deleted -> service port DOWN: $ms ms"
((ms < 1000)) && pass "status: network device deleted -> p200 DOWN ($ms ms)" || fail "status: p200: $ms ms"
api_expect "status: ... its instance port DEGRADED, with the reason" 200 '"status": "DEGRADED", "reason": "1 of 2 service ports not active' \
	GET /v1/instance-ports/sf1
api_expect "status: ... the file port p100 stays ACTIVE" 200 '"status": "ACTIVE"' GET /v1/service-ports/p100
ip link add pptanb type veth peer name eth0 netns ppta-nb
ip -n ppta-nb addr add 10.2.0.1/24 dev eth0
ip -n ppta-nb link set eth0 up
ip link set pptanb up
ms=$(until_status instance-ports sf1 ACTIVE)
echo "      network device re-created -> ACTIVE: $ms ms"
((ms < 1000)) && pass "status: network device back -> sf1 ACTIVE ($ms ms)" || fail "status: back: $ms ms"
check "status: ... and traffic flows again on p200" ip netns exec ppta-g200 ping -c 2 -i 0.2 -W 2 10.2.0.1
out=$(ctl events --since 0)
grep -qE "instance-port +sf1 +status +DEGRADED" <<<"$out" && pass "events: the status changes are in the event stream" \
	|| fail "events: $(echo "$out" | tail -3)"
# A long poll returns as soon as something happens.
next=$(req GET "/v1/events?timeout=0" | grep -o '"next": [0-9]*' | awk '{print $2}')
( sleep 0.3; ip link set pptanb down ) &
flip=$!
t0=$(date +%s%N)
got=$(req GET "/v1/events?since=$next&timeout=10")
ms=$(ms_since "$t0")
[[ "$got" == *'"change": "status"'* && $ms -lt 3000 ]] && pass "events: a long poll wakes on the change (${ms} ms incl. the 300 ms wait)" \
	|| fail "events: long poll: $ms ms ${got:0:200}"
wait $flip
ip link set pptanb up

# ---- metrics -------------------------------------------------------------------------------
# strict Prometheus text format check: HELP/TYPE before samples, names, labels, values
prom_check() {
	awk '
	/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .+$/ { help[$3] = 1; next }
	/^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|summary|histogram|untyped)$/ {
		if ($3 in type) { print "duplicate TYPE " $3; bad = 1 }
		type[$3] = $4; next }
	/^#/ { print "bad comment: " $0; bad = 1; next }
	/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})? [-+]?([0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?|NaN|[-+]?Inf)$/ {
		name = $0; sub(/[{ ].*/, "", name); fam = name
		sub(/_(sum|count|bucket)$/, "", fam)
		if (!(name in type) && !(fam in type)) { print "no TYPE for " name; bad = 1 }
		n++; next }
	{ print "bad line: " $0; bad = 1 }
	END { if (!n) { print "no samples"; bad = 1 } exit bad }'
}
metrics() { curl -s --unix-socket "$API" http://localhost/metrics; }
check "metrics: /metrics parses as Prometheus text" prom_check < <(metrics)
rx() { metrics | grep "^polyport_service_port_rx_packets_total{instance_port=\"sf1\",service_port=\"$1\"" | awk '{print $2}'; }
peer_mac=$(ip -n ppta-na link show eth0 | awk '/ether/ {print $2}')
ip -n ppta-g100 neigh replace 10.1.0.1 lladdr "$peer_mac" dev eth0 nud permanent
ip -n ppta-na neigh replace 10.1.0.10 lladdr "$M1" dev eth0 nud permanent
before=$(rx p100)
ip netns exec ppta-g100 ping -c 20 -i 0.01 -W 1 10.1.0.1 >/dev/null
after=$(rx p100)
[[ $((after - before)) == 20 ]] && pass "metrics: rx_packets counted exactly the 20 frames sent ($before -> $after)" \
	|| fail "metrics: rx_packets $before -> $after for 20 frames"
# (read whole first: grep -q closing the pipe early fails curl under pipefail)
m=$(metrics)
grep -q '^polyport_instance_port_status{instance_port="sf1",status="ACTIVE"} 1$' <<<"$m" \
	&& pass "metrics: instance port status gauge" || fail "metrics: status gauge"
grep -q '^polyport_drops_total{instance_port="sf1",reason="spoofed"} [0-9]' <<<"$m" \
	&& pass "metrics: drops by reason" \
	|| fail "metrics: drops: $(grep '^polyport_drops_total{instance_port="sf1"' <<<"$m" | head -3)"

# ---- robustness -----------------------------------------------------------------------------
# A client that disconnects mid-request, and a slow one, while 100 others are served.
(printf 'POST /v1/networks HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"name": "half' | timeout 1 nc -U "$API" >/dev/null 2>&1) &
half=$!
( { printf 'GET /v1/status HTTP/1.1\r\n'; sleep 4; printf 'Host: x\r\n\r\n'; } | timeout 6 nc -U "$API" >/dev/null 2>&1 ) &
slow=$!
seq 1000 | xargs -P 100 -I{} curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
	--unix-socket "$API" http://localhost/v1/service-ports/p200 >"$WORK/lat" 2>&1
ok=$(grep -c '^200 ' "$WORK/lat")
read -r p50 p99 < <(awk '{print $2 * 1000}' "$WORK/lat" | sort -n | awk '{a[NR]=$1} END {print a[int(NR*0.5)], a[int(NR*0.99)]}')
echo "      1000 GETs by 100 concurrent clients: p50 ${p50} ms, p99 ${p99} ms"
[[ $ok == 1000 ]] && pass "robustness: 1000 requests from 100 concurrent clients all answered (p99 ${p99} ms)" \
	|| fail "robustness: $ok of 1000 answered"
t0=$(date +%s%N)
req GET /v1/status >/dev/null
ms=$(ms_since "$t0")
((ms < 1000)) && pass "robustness: the daemon answers at once beside a slow and a vanished client ($ms ms)" \
	|| fail "robustness: stalled ($ms ms)"
check "robustness: the dataplane forwards meanwhile" ip netns exec ppta-g200 ping -c 2 -i 0.2 -W 2 10.2.0.1
wait $half $slow

# ---- polyportctl as an API client -------------------------------------------------------------
check "ctl: get service-ports" sh -c "'$B/polyportctl' --api-socket '$API' get service-ports | grep -q '^p200 .*api'"
check "ctl: create with KEY=VALUE" ctl create service-port name=p400 instance-port=sf1 vlan='[400,4]' \
	mac=52:54:00:01:00:40 bind.network=net-a
out=$(ctl create service-port name=p401 instance-port=sf1 vlan=100 mac=52:54:00:01:00:41 bind.network=net-a 2>&1); rc=$?
[[ $rc == 1 && "$out" == *"409"*"already matched"* ]] && pass "ctl: an API error is printed as given, exit 1" \
	|| fail "ctl: rc=$rc $out"
check "ctl: update with revision" ctl update sport p400 revision=1 vlan='[400,5]'
check "ctl: delete" ctl delete sport p400
cat >"$WORK/apply.yaml" <<EOF
networks:
  net-c: {device: pptanc, mtu: 1400}
instance-ports:
  vm3:
    device: pptatap3
    mac: 52:54:00:03:00:01
    service-ports:
      vm3-a: {vlan: 10, bind: {network: net-c}}
EOF
check "ctl: apply -f a binding file" ctl apply -f "$WORK/apply.yaml"
api_expect "ctl: ... its objects exist" 200 '"name": "vm3-a".*"instance-port": "vm3"' GET /v1/service-ports/vm3-a
check "ctl: apply -f again replaces (idempotent)" ctl apply -f "$WORK/apply.yaml"
out=$("$B/polyportctl" --api-socket "$WORK/nope.sock" status 2>&1); rc=$?
[[ $rc == 3 ]] && pass "ctl: an unreachable daemon exits 3" || fail "ctl: unreachable: rc=$rc"

# ---- l3 domains (issue 16) ------------------------------------------------------------------
# An API domain (uplink pptaup1 -> ppta-up 192.0.2.1/30, table 1501) and an L3
# port on sf1 (vlan 800); a file domain (fdom, table 1502) read-only.
L3T=1501
ip route flush table $L3T 2>/dev/null
ip route flush table 1502 2>/dev/null
netns_net ppta-up pptaup1 192.0.2.1/30
DOM1='{"name": "dom1", "table": 1501, "mac": "02:00:00:00:50:01", "subnets": [{"cidr": "10.50.0.0/24", "gateway": "10.50.0.1"}], "uplinks": [{"device": "pptaup1", "addresses": ["192.0.2.2/30"]}], "routes": [{"to": "0.0.0.0/0", "via": "192.0.2.1"}]}'
api_expect "l3: create a domain" 201 '"name": "dom1", "table": 1501.*"revision": 1, "source": "api"' \
	POST /v1/l3-domains "$DOM1"
ms=$(until_status l3-domains dom1 ACTIVE)
((ms < 1000)) && pass "l3: the API domain is applied: ACTIVE ($ms ms)" || fail "l3: dom1 not ACTIVE: $(req GET /v1/l3-domains/dom1)"
ctl events --since 0 | grep -qE "l3-domain +dom1 +status +ACTIVE" && pass "l3: its status is in the event stream" \
	|| fail "l3: no l3-domain status event: $(ctl events --since 0 | tail -3)"
api_expect "l3: its status shows its id" 200 '"status": \{ "status": "ACTIVE", "id": [1-9]' GET /v1/l3-domains/dom1
rt=$(ip route show table $L3T proto 112)
[[ "$rt" == *"unreachable 10.50.0.0/24"* && "$rt" == *"default via 192.0.2.1 dev pptaup1"* ]] \
	&& pass "l3: its routes (proto 112) are in its table" || fail "l3: table $L3T: $rt"
api_expect "l3: create an L3 port (bind l3)" 201 '"name": "p800".*"bind": \{ "l3": \{ "domain": "dom1" \} \}' \
	POST /v1/service-ports '{"name": "p800", "instance-port": "sf1", "vlan": 800, "mac": "52:54:00:01:00:80", "addresses": ["10.50.0.5/24"], "bind": {"l3": {"domain": "dom1"}}}'
ip route show table $L3T proto 112 | grep -q "^10.50.0.5 dev pptatap1" \
	&& pass "l3: ... its host route dev its tap" || fail "l3: no host route: $(ip route show table $L3T)"
api_expect "l3: PUT .../bind/l3 with routes" 200 '"l3": \{ "domain": "dom1", "routes": \[ \{ "to": "172.16.50.0\/24" \} \] \}.*"revision": 2' \
	PUT /v1/service-ports/p800/bind/l3 '{"l3": {"domain": "dom1", "routes": [{"to": "172.16.50.0/24"}]}}'
ip route show table $L3T proto 112 | grep -q "^172.16.50.0/24 via 10.50.0.5 dev pptatap1" \
	&& pass "l3: ... the route behind the port is in the table" || fail "l3: $(ip route show table $L3T)"
api_expect "l3: bind/network on an L3 port -> 422 (network or l3, not both)" 422 'binds both network and l3' \
	PUT /v1/service-ports/p800/bind/network '{"network": "net-a"}'
api_expect "l3: bind/l3 on a network port -> 422 (network or l3, not both)" 422 'binds both network and l3' \
	PUT /v1/service-ports/p200/bind/l3 '{"l3": {"domain": "dom1"}}'
api_expect "l3: bind/l3 to an unknown domain -> 422" 422 'unknown l3 domain' \
	PUT /v1/service-ports/p800/bind/l3 '{"l3": {"domain": "nope"}}'
api_expect "l3: deleting a domain in use -> 409" 409 '"code": "in_use"' DELETE /v1/l3-domains/dom1
api_expect "l3: update with the revision (1 -> 2)" 200 '"mtu": 1400.*"revision": 2' \
	PATCH /v1/l3-domains/dom1 '{"revision": 1, "mtu": 1400}'
api_expect "l3: stale revision -> 409" 409 '"code": "stale_revision"' \
	PATCH /v1/l3-domains/dom1 '{"revision": 1, "mtu": 1300}'
api_expect "l3: table 0 -> 422 with the loader's words" 422 '"code": "invalid".*table.*"field": "table"' \
	POST /v1/l3-domains '{"name": "bad1", "table": 0}'
api_expect "l3: a subnet that is no prefix -> 422" 422 '"code": "invalid".*cidr' \
	POST /v1/l3-domains '{"name": "bad2", "table": 1503, "subnets": [{"cidr": "10.50.0.5/24", "gateway": "10.50.0.1"}]}'
api_expect "l3: a table another domain has -> 409" 409 'table' \
	POST /v1/l3-domains '{"name": "bad3", "table": 1501}'
api_expect "l3: a domain under a network's name -> 409" 409 'has the name of .*net-a' \
	POST /v1/l3-domains '{"name": "net-a", "table": 1504, "subnets": [{"cidr": "10.80.0.0/24", "gateway": "10.80.0.1"}]}'
api_expect "l3: malformed JSON -> 400" 400 'malformed JSON' POST /v1/l3-domains '{"name": "x", "table": '
cat >"$CONF/30-l3.yaml" <<EOF
l3-domains:
  fdom: {table: 1502, subnets: [{cidr: 10.60.0.0/24, gateway: 10.60.0.1}]}
EOF
for _ in $(seq 100); do [[ $(req GET /v1/l3-domains/fdom) == 200* ]] && break; sleep 0.05; done
l=$(curl -s --unix-socket "$API" http://localhost/v1/l3-domains | jq -c 'map({(.name): .source}) | add')
[[ $l == '{"fdom":"file","dom1":"api"}' || $l == '{"dom1":"api","fdom":"file"}' ]] \
	&& pass "l3: the list holds the API domain and the file domain (source file)" || fail "l3: list: ${l:0:300}"
api_expect "l3: a file domain is read-only -> 409" 409 '"code": "read_only"' PATCH /v1/l3-domains/fdom '{"mtu": 1400}'
api_expect "l3: ... and cannot be deleted -> 409" 409 '"code": "read_only"' DELETE /v1/l3-domains/fdom
out=$(ctl status)
grep -qE '^dom1 +1501 +1400 +[1-9][0-9]* +ACTIVE +pptaup1' <<<"$out" && grep -qE '^fdom +1502 ' <<<"$out" \
	&& pass "l3: polyportctl status lists the domains" || fail "l3: ctl status: $(grep -A3 'L3 DOMAIN' <<<"$out")"
ctl get l3-domains | grep -qE '^dom1 +api +2 +ACTIVE +table 1501' && pass "l3: polyportctl get l3-domains" \
	|| fail "l3: ctl get: $(ctl get l3-domains 2>&1)"
m=$(metrics)
grep -q '^polyport_drops_total{l3_domain="dom1",reason="no_route"} [0-9]' <<<"$m" \
	&& pass "l3: /metrics drops per domain (l3_domain label)" || fail "l3: no l3_domain drops in /metrics"
api_expect "l3: /v1/stats drops per domain" 200 '"l3-domain": "dom1", "reasons": \{' GET /v1/stats
rm -f "$CONF/30-l3.yaml"
cat >"$WORK/apply-l3.yaml" <<EOF
l3-domains:
  dom2: {table: 1505, subnets: [{cidr: 10.70.0.0/24, gateway: 10.70.0.1}]}
service-ports:
  p801: {instance-port: sf1, vlan: 801, mac: 52:54:00:01:00:81, addresses: [10.70.0.5/24], bind: {l3: {domain: dom2}}}
EOF
check "l3: polyportctl apply -f a file with a domain and an L3 port" ctl apply -f "$WORK/apply-l3.yaml"
api_expect "l3: ... the domain exists through the API" 200 '"name": "dom2".*"source": "api"' GET /v1/l3-domains/dom2
api_expect "l3: unbind the L3 port's domain: DELETE .../bind/l3 -> 422 (a port binds one)" 422 'network|l3' \
	DELETE /v1/service-ports/p800/bind/l3
api_expect "l3: delete the L3 ports" 204 '' DELETE /v1/service-ports/p800
req DELETE /v1/service-ports/p801 >/dev/null
api_expect "l3: then the domain" 204 '' DELETE /v1/l3-domains/dom1
req DELETE /v1/l3-domains/dom2 >/dev/null
rt=$(ip route show table $L3T proto 112)
[[ -z "$rt" ]] && pass "l3: a deleted domain's routes leave its table" || fail "l3: left in table $L3T: $rt"
api_expect "l3: deleted is gone" 404 '"code": "not_found"' GET /v1/l3-domains/dom1
ip route flush table $L3T 2>/dev/null
ip route flush table 1502 2>/dev/null

# ---- chains (issue 17) -------------------------------------------------------------------
# CRUD and validation of /v1/chains (no traffic here: e2e:chains has it). The
# hop ports are on an API instance port without a tap (fn1). A hop port has
# no bind: created before its chain, it waits (pending, not loaded) until a
# chain names it.
req POST /v1/instance-ports '{"name": "fn1", "device": "pptatap7", "mac": "52:54:00:07:00:01"}' >/dev/null
api_expect "chains: a port without bind that no chain names waits: pending, DOWN" 201 \
	'"name": "h-in".*"source": "api", "status": \{ "status": "DOWN", "reason": "pending' \
	POST /v1/service-ports '{"name": "h-in", "instance-port": "fn1", "vlan": 700}'
req POST /v1/service-ports '{"name": "h-out", "instance-port": "fn1", "vlan": 701}' >/dev/null
api_expect "chains: ... it is listed" 200 '"name": "h-out".*"reason": "pending' GET /v1/service-ports
api_expect "chains: ... and still checked (its instance port must exist) -> 422" 422 'unknown instance port \\"nope\\"' \
	POST /v1/service-ports '{"name": "h-bad", "instance-port": "nope", "vlan": 702}'
api_expect "chains: ... (its match must be free on its instance port) -> 409" 409 'vlan 700 is already matched' \
	POST /v1/service-ports '{"name": "h-bad", "instance-port": "fn1", "vlan": 700}'
api_expect "chains: a chain under a network's name -> 409" 409 'has the name of' \
	POST /v1/chains '{"name": "net-a", "network": "net-b", "classifier": [{"proto": "udp"}], "hops": [[{"ingress": "h-in", "egress": "h-out"}]]}'
CH1='{"name": "ch1", "network": "net-b", "classifier": [{"proto": "tcp", "ports": "80", "source-ports": "1024-65535", "to": "10.2.0.0/24"}], "symmetric": true, "on-failure": "bypass", "hops": [[{"ingress": "h-in", "egress": "h-out", "weight": 2}]]}'
api_expect "chains: create a chain naming them" 201 \
	'"name": "ch1", "network": "net-b", "classifier": \[ \{ "proto": "tcp", "ports": "80", "source-ports": "1024-65535", "to": "10.2.0.0\/24" \} \], "symmetric": true, "on-failure": "bypass", "hops": \[ \[ \{ "ingress": "h-in", "egress": "h-out", "weight": 2 \} \] \], "revision": 1, "source": "api"' \
	POST /v1/chains "$CH1"
api_expect "chains: its status: its id, each hop's status and instances" 200 \
	'"status": \{ "status": "[A-Z]+".*"id": [0-9]+, "hops": \[ \{ "status": "[A-Z]+".*"instances": \[ \{ "ingress": "h-in", "egress": "h-out", "status": "DOWN" \} \] \} \]' \
	GET /v1/chains/ch1
api_expect "chains: a hop port is loaded: its position in status.chain" 200 \
	'"name": "h-in".*"source": "api".*"chain": \{ "name": "ch1", "hop": 1, "instance": 1, "role": "ingress" \}' \
	GET /v1/service-ports/h-in
out=$(req GET /v1/service-ports/h-out)
[[ $out == 200* && $out != *'"bind"'* && $out != *pending* ]] \
	&& pass "chains: ... without bind, no longer pending" || fail "chains: h-out: ${out:0:300}"
api_expect "chains: listed" 200 '^200 \[ \{ "name": "ch1"' GET /v1/chains
api_expect "chains: update with the revision (1 -> 2)" 200 '"on-failure": "drop".*"revision": 2' \
	PATCH /v1/chains/ch1 '{"revision": 1, "on-failure": "drop"}'
api_expect "chains: stale revision -> 409" 409 '"code": "stale_revision"' \
	PATCH /v1/chains/ch1 '{"revision": 1, "on-failure": "bypass"}'
api_expect "chains: deleting a hop port a chain names -> 409" 409 '"code": "in_use".*unknown service port \\"h-in\\"' \
	DELETE /v1/service-ports/h-in
api_expect "chains: deleting the network of a chain -> 409" 409 '"code": "in_use".*unknown network \\"net-b\\"' \
	DELETE /v1/networks/net-b
api_expect "chains: a second chain on the network -> 409" 409 'already has chain \\"ch1\\"' \
	POST /v1/chains '{"name": "ch9", "network": "net-b", "classifier": [{"proto": "udp"}], "hops": [[{"ingress": "h-in", "egress": "h-in"}]]}'
api_expect "chains: a network under a chain's name -> 409" 409 'has the name of' \
	POST /v1/networks '{"name": "ch1", "device": "pptanq"}'
api_expect "chains: an unknown hop port -> 422" 422 '"code": "invalid".*unknown service port \\"nope\\"' \
	POST /v1/chains '{"name": "ch9", "network": "net-a", "classifier": [{"proto": "udp"}], "hops": [[{"ingress": "nope", "egress": "nope"}]]}'
api_expect "chains: a hop port with a bind -> 422" 422 'p100.*has a bind' \
	POST /v1/chains '{"name": "ch9", "network": "net-a", "classifier": [{"proto": "udp"}], "hops": [[{"ingress": "p100", "egress": "p100"}]]}'
api_expect "chains: a classifier entry with an action -> 422" 422 'has no action' \
	PATCH /v1/chains/ch1 '{"classifier": [{"proto": "udp", "action": "allow"}]}'
api_expect "chains: source-ports without tcp or udp -> 422" 422 'source-ports need proto tcp or udp' \
	PATCH /v1/chains/ch1 '{"classifier": [{"proto": "icmp", "source-ports": "7"}]}'
api_expect "chains: weight 0 -> 422" 422 'weight 0 is out of range 1-100' \
	PATCH /v1/chains/ch1 '{"hops": [[{"ingress": "h-in", "egress": "h-out", "weight": 0}]]}'
api_expect "chains: a security rule with source-ports" 201 '"source-ports": "53", "action": "allow"' \
	POST /v1/service-ports '{"name": "s730", "instance-port": "fn1", "vlan": 730, "bind": {"network": "net-a", "security": {"ingress": [{"proto": "udp", "source-ports": "53", "action": "allow"}]}}}'
printf '%s\n' 'service-ports:' '  fh1: {instance-port: sf1, vlan: 710}' 'chains:' \
	'  fch: {network: net-a, classifier: [{proto: udp}], hops: [[{ingress: fh1, egress: fh1}]]}' \
	>"$CONF/40-chain.yaml"
for _ in $(seq 100); do [[ $(req GET /v1/chains/fch) == 200* ]] && break; sleep 0.05; done
api_expect "chains: a file chain (source file)" 200 '"name": "fch".*"source": "file"' GET /v1/chains/fch
api_expect "chains: ... is read-only -> 409" 409 '"code": "read_only"' PATCH /v1/chains/fch '{"on-failure": "bypass"}'
api_expect "chains: ... and cannot be deleted -> 409" 409 '"code": "read_only"' DELETE /v1/chains/fch
api_expect "chains: a file hop port (one-port hop: ingress+egress)" 200 '"role": "ingress\+egress"' GET /v1/service-ports/fh1
rm -f "$CONF/40-chain.yaml"
for _ in $(seq 100); do [[ $(req GET /v1/chains/fch) == 404* ]] && break; sleep 0.05; done
printf '%s\n' 'service-ports:' '  a-in: {instance-port: fn1, vlan: 720}' '  a-out: {instance-port: fn1, vlan: 721}' \
	'chains:' '  ch2: {network: net-a, classifier: [{proto: tcp, ports: 443}], hops: [[{ingress: a-in, egress: a-out}]]}' \
	>"$WORK/apply-chain.yaml"
check "chains: polyportctl apply -f hop ports and their chain" ctl apply -f "$WORK/apply-chain.yaml"
api_expect "chains: ... the chain exists through the API" 200 '"name": "ch2".*"source": "api"' GET /v1/chains/ch2
ctl get chains | grep -qE '^ch1 +api +2 +[A-Z]+ +network net-b hops 1 id' && pass "chains: polyportctl get chains" \
	|| fail "chains: ctl get: $(ctl get chains 2>&1)"
api_expect "chains: delete a chain" 204 '' DELETE /v1/chains/ch1
api_expect "chains: ... its API hop ports wait again (pending)" 200 '"reason": "pending' GET /v1/service-ports/h-in
api_expect "chains: deleted is gone" 404 '"code": "not_found"' GET /v1/chains/ch1
req DELETE /v1/chains/ch2 >/dev/null
for p in h-in h-out a-in a-out s730; do req DELETE "/v1/service-ports/$p" >/dev/null; done
api_expect "chains: pending ports can be deleted" 404 '"code": "not_found"' GET /v1/service-ports/a-in
api_expect "chains: then their instance port" 204 '' DELETE /v1/instance-ports/fn1

# ---- persistence (and /metrics on TCP) ------------------------------------------------------------
req POST /v1/l3-domains '{"name": "dom3", "table": 1506, "subnets": [{"cidr": "10.90.0.0/24", "gateway": "10.90.0.1"}]}' >/dev/null
req POST /v1/service-ports '{"name": "p802", "instance-port": "sf1", "vlan": 802, "mac": "52:54:00:01:00:82", "addresses": ["10.90.0.5/24"], "bind": {"l3": {"domain": "dom3"}}}' >/dev/null
daemon_stop
MPORT=$((20000 + RANDOM % 20000))
daemon_start --metrics-listen "127.0.0.1:$MPORT" || exit 1
check "metrics: --metrics-listen serves /metrics on TCP (loopback)" \
	sh -c "curl -s -m 5 http://127.0.0.1:$MPORT/metrics | grep -q '^polyport_reconcile_total '"
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/v1/networks")
[[ $code == 404 ]] && pass "metrics: the TCP listener serves nothing but /metrics" || fail "metrics: TCP /v1/networks gave $code"
api_expect "persistence: API objects survive a restart" 200 '"name": "p200".*"revision": 7, "source": "api"' \
	GET /v1/service-ports/p200
api_expect "persistence: ... all of them" 200 '"name": "vm3".*"source": "api"' GET /v1/instance-ports/vm3
check "persistence: ... and still forward" ip netns exec ppta-g200 ping -c 2 -i 0.2 -W 2 10.2.0.1
api_expect "l3: an API domain survives a restart" 200 '"name": "dom3", "table": 1506.*"source": "api".*"status": "ACTIVE"' \
	GET /v1/l3-domains/dom3
t0=$(date +%s%N)
api_expect "dataplane: delete the API service port" 204 '' DELETE /v1/service-ports/p200
ip -n ppta-g200 neigh flush all
! ip netns exec ppta-g200 ping -c 1 -W 1 10.2.0.1 >/dev/null 2>&1 \
	&& pass "dataplane: deleted, its traffic stops" || fail "dataplane: still forwarding after delete"

# ---- l3 domains and a damaged state file ------------------------------------------------------
# The domain's name is pinned under the networks' kind: kept as an l3 domain
# (its pp_l3doms entry as pinned), not as a network.
daemon_stop
echo '[1' >"$STATE/api.json"
daemon_start || { fail "l3: polyportd does not start on a damaged file"; exit 1; }
api_expect "l3: damaged state file: an API domain is kept as an l3 domain, as pinned" 200 \
	'"name": "dom3", "table": 1506.*"source": "kept", "status": \{ "status": "DEGRADED"' GET /v1/l3-domains/dom3
api_expect "l3: ... not as a network" 404 '"code": "not_found"' GET /v1/networks/dom3
api_expect "l3: ... its L3 port is kept, bound to it" 200 '"bind": \{ "l3": \{ "domain": "dom3" \} \}.*"source": "kept"' \
	GET /v1/service-ports/p802
n=$(bpftool -j map dump pinned "$PIN/pp_l3addrs" 2>/dev/null | jq length)
[[ $n == 1 ]] && pass "l3: ... and the L3 port's address stays pinned (pp_l3addrs)" || fail "l3: pp_l3addrs holds ${n:-?} entries"
api_expect "l3: ... its name cannot be taken by a network" 409 'kept from the damaged state file' \
	POST /v1/networks '{"name": "dom3", "device": "pptanq"}'
ctl status | grep -qE '^dom3 +1506 ' && pass "l3: ... polyportctl status lists the kept domain" \
	|| fail "l3: kept domain not in ctl status"
check "l3: ... and let go with the rest" ctl state discard
api_expect "l3: ... then it is gone" 404 '"code": "not_found"' GET /v1/l3-domains/dom3
ip route flush table 1506 2>/dev/null
daemon_stop
exit $FAILED
