# shellcheck shell=bash
# What the suites with many hosts on one store share (e2e:cluster, e2e:vxlan):
# "hosts" h1..h3 (network namespaces $CS-hN), each with its own polyportd in
# cluster mode (--store etcd=..., its own pin root, state dir and API
# socket); one etcd (Debian's, TLS with client certificates, data on tmpfs)
# in the namespace $CS-etcd on https://10.97.0.1:2379 (on lo), veth ${CS}eN
# <-> ${CS}e of host N (10.97.N.1 <-> 10.97.N.2, a route to 10.97.0.1).
# A tmpfs on $RUN with a bpffs on $BPF: polyportd in `ip netns exec` sees a
# /sys of its own, so its pins are kept outside /sys.
#
# Source it after setting PPT_NAME and PPT_SCOPE (the suite's prefix: $CS),
# in place of lib.sh (which it sources).  Then:
#   cluster_start            suite_start, the mounts, jq and etcd there
#   cluster_etcd             etcd's and the hosts' namespaces, the CA, etcd
#   cluster_hosts_start      every host's polyportd, all connected ("start:")
#   cluster_end              the figures (and the hosts' logs on failure), exit
# HARGS[h]: more arguments for host h's polyportd (word-split).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$TOP/tests/etcd.sh"
CS=$PPT_SCOPE
RUN=/run/$CS BPF=/run/$CS/bpf CERTS=$WORK/certs
EP_IP=10.97.0.1 EP_PORT=2379
HOSTS=(h1 h2 h3)
declare -A HPID=() HARGS=()
FIG=()	# measured figures, printed at the end
P=/polyport/v1/

# etcdctl_c runs etcdctl on the endpoint, which only the namespace $CS-etcd reaches
etcdctl() { ip netns exec "$CS-etcd" /usr/bin/etcdctl "$@"; }

cluster_cleanup() {
	etcd_stop
	# PPTC_KEEP=DIR: the logs kept there (debugging)
	[[ -n ${PPTC_KEEP:-} ]] && rm -rf "$PPTC_KEEP" && cp -a "$WORK" "$PPTC_KEEP" && cp -a "$RUN/etcd.log" "$PPTC_KEEP/"
	finish	# every PID started here, the $CS-* namespaces (and what runs in them), $WORK
	etcd_mounts_gone "$RUN" "$BPF"
}

cluster_start() {
	suite_start
	trap cluster_cleanup EXIT
	etcd_mounts_gone "$RUN" "$BPF"	# an earlier run's (its processes went with its namespaces)
	command -v jq >/dev/null || { fail "$PPT_NAME: jq missing (make deps)"; exit 1; }
	command -v etcd >/dev/null && command -v etcdctl >/dev/null ||
		{ fail "$PPT_NAME: etcd / etcdctl missing (make deps: etcd-server etcd-client)"; exit 1; }
	mkdir -p "$RUN" && mount -t tmpfs -o mode=0700 "$CS" "$RUN" && mkdir -p "$BPF" &&
		mount -t bpf -o mode=0700 bpf "$BPF" ||
		{ fail "$PPT_NAME: cannot mount a tmpfs on $RUN and a bpffs on $BPF"; exit 1; }
}

# ---- helpers ---------------------------------------------------------------------
now() { date +%s%N; }
# hreq H METHOD PATH [BODY]: host H's API ("CODE BODY", lib.sh's req)
hreq() { local h=$1; shift; API=$RUN/$h/api.sock req "$@"; }
# hget H PATH: the body only
hget() { curl -s -m 10 --unix-socket "$RUN/$1/api.sock" "http://localhost$2"; }
# st H KIND NAME [FIELD]: status (or FIELD of the status) of an object through H's API
st() { hget "$1" "/v1/$2/$3" | jq -r --arg f "${4:-status}" '.status[$f] // empty' 2>/dev/null; }
st_is() { [[ "$(st "$1" "$2" "$3")" == "$4" ]]; }
# field H KIND NAME JQ: a field of the object through H's API
field() { hget "$1" "/v1/$2/$3" | jq -r "$4 // empty" 2>/dev/null; }
connected() { [[ "$(hget "$1" /v1/status | jq -r '.cluster.connected' 2>/dev/null)" == true ]]; }
# dump H: host H's dataplane (polyportctl dump --canonical in its namespace)
dump() { ip netns exec "$CS-$1" "$B/polyportctl" --pin-root "$BPF/$1" dump --canonical 2>/dev/null; }
# has H KIND NAME: H's dataplane has that object (KIND iport, sport, net: in
# pp_iports, pp_sports, pp_nets)
has() { dump "$1" | grep -q "^pp_$2s $3 "; }
hasnt() { ! has "$@"; }
# named H KIND NAME: H's daemon has given the object an id (pp_names): a look of
# ~2 ms (a dump takes ~80), for timing; the dump confirms
nkey() { local n=$2 i; printf '%02x 00 00 00' "$1"; for ((i = 0; i < 32; i++)); do printf ' %02x' "'${n:i:1}"; done; }
named() {
	local k
	case $2 in net) k=1 ;; iport) k=2 ;; sport) k=3 ;; esac
	# shellcheck disable=SC2046 # one word a byte
	bpftool map lookup pinned "$BPF/$1/pp_names" key hex $(nkey $k "$3") >/dev/null 2>&1
}
# on_only H KIND NAME: programmed on H and on no other host
on_only() {
	local h
	for h in "${HOSTS[@]}"; do
		if [[ $h == "$1" ]]; then has "$h" "$2" "$3" || return 1
		else hasnt "$h" "$2" "$3" || return 1; fi
	done
}
# moved FROM TO KIND NAME: on TO, no longer on FROM (named: for timing)
moved() { named "$2" "$3" "$4" && ! named "$1" "$3" "$4"; }
# active_tap H IPORT: the tap H's dataplane sends IPORT's frames to ("-": none)
active_tap() { dump "$1" | sed -n "s/^pp_iports $2 ifindex=\([^ ]*\) .*/\1/p"; }
# until_ms T0 LIMIT_MS CMD...: poll CMD until it succeeds; prints ms since T0
# (T0 from now()), returns 1 once LIMIT_MS have passed
until_ms() {
	local t0=$1 lim=$2
	shift 2
	while :; do
		"$@" >/dev/null 2>&1 && { ms_since "$t0"; return 0; }
		(($(ms_since "$t0") > lim)) && { echo "more than $lim"; return 1; }
		sleep 0.005
	done
}
fig() { FIG+=("$*"); echo "      measured: $*"; }
# qns NS [TTL]: a guest namespace that sends nothing on its own (no IPv6)
qns() {
	guest_ns "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	[[ -n ${2:-} ]] && ip netns exec "$1" sysctl -qw "net.ipv4.ip_default_ttl=$2"
	return 0
}
# pinger NAME NS DST: a timestamped ping stream every 20 ms (log $WORK/NAME.ping)
pinger() {
	ip netns exec "$2" ping -D -i 0.02 -W 1 "$3" >"$WORK/$1.ping" 2>&1 &
	PIDS+=($!)
	eval "PING_$1=$!"
}
ping_stop() { local v="PING_$1"; kill -INT "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }
replies() { grep -c "bytes from" "$WORK/$1.ping"; }
# lost NAME: echoes sent but not answered (ping's own summary, after ping_stop)
lost() {
	local tx rx
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$WORK/$1.ping")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORK/$1.ping")
	echo "$((${tx:-0} - ${rx:-0})) of ${tx:-0}"
}
# reply_time NAME first|last [PATTERN]: ms epoch of the first/last reply (matching PATTERN)
reply_time() {
	grep "bytes from.*${3:-}" "$WORK/$1.ping" | { [[ $2 == first ]] && head -1 || tail -1; } |
		sed -n 's/^\[\([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p'
}

# ---- the etcd and polyportd of the hosts -----------------------------------------------
STORE=1
PPD=${PPT_POLYPORTD:-$B/polyportd}	# PPT_POLYPORTD: another build (e.g. one with a check's feature disabled)
"$PPD" --help 2>&1 | grep -q -- '--store' || STORE=0
TTL=10 TTLARG=()
if "$PPD" --help 2>&1 | grep -q -- '--lease-ttl'; then TTL=3 TTLARG=(--lease-ttl 3); fi

# hstart H [NS [CERT]]: polyportd of host H in namespace NS ($CS-H) with
# client certificate CERT (client) and HARGS[H]; waits until it serves its API
hstart() {
	local h=$1 ns=${2:-$CS-$1} cert=${3:-client} st=$WORK/$1/state pid store=()
	mkdir -p "$WORK/$h/conf" "$st" "$RUN/$h"
	rm -f "$st/status.json"
	((STORE)) && store=(--store "etcd=https://$EP_IP:$EP_PORT" --host "$h" --etcd-ca "$CERTS/ca.crt"
		--etcd-cert "$CERTS/$cert.crt" --etcd-key "$CERTS/$cert.key" "${TTLARG[@]}")
	# shellcheck disable=SC2086 # HARGS: words
	ip netns exec "$ns" "$PPD" -f -v --config "$WORK/$h/conf" --pin-root "$BPF/$h" \
		--state-dir "$st" --api-socket "$RUN/$h/api.sock" "${store[@]}" ${HARGS[$h]:-} >>"$WORK/$h.log" 2>&1 &
	pid=$!
	HPID[$h]=$pid
	PIDS+=("$pid")
	for _ in $(seq 500); do
		grep -q "\"pid\": $pid," "$st/status.json" 2>/dev/null && [[ -S $RUN/$h/api.sock ]] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	echo "polyportd of $h did not start: $(tail -3 "$WORK/$h.log" | tr '\n' ' ')"
	return 1
}
hlog() { tail -${2:-6} "$WORK/$1.log" 2>/dev/null | sed "s/^/      $1| /"; }

# ---- topology ----------------------------------------------------------------------------
quiet() { ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }

# cluster_etcd: the namespaces of etcd and of the hosts (linked to etcd's),
# the test CA, etcd started and reached from every host; exits on failure
cluster_etcd() {
	local n
	ip netns add "$CS-etcd" && quiet "$CS-etcd"
	ip -n "$CS-etcd" link set lo up
	ip -n "$CS-etcd" addr add "$EP_IP/32" dev lo
	for n in 1 2 3; do
		ip netns add "$CS-h$n" && quiet "$CS-h$n"
		etcd_link "$CS-h$n" "$CS-etcd" "${CS}e" "$n" 10.97 "$EP_IP"
	done
	etcd_ca "$CERTS" "$EP_IP" || { fail "$PPT_NAME: the test CA (etcd_ca) failed"; exit 1; }
	etcd_start "$CS-etcd" "$EP_IP" "$EP_PORT" "$RUN/etcd" "$CERTS" >/dev/null ||
		{ fail "$PPT_NAME: etcd did not start: $(tail -3 "$RUN/etcd.log" | tr '\n' ' ')"; exit 1; }
	for n in 1 2 3; do
		ip netns exec "$CS-h$n" curl -sf -m 2 --cacert "$CERTS/ca.crt" --cert "$CERTS/client.crt" \
			--key "$CERTS/client.key" "$ETCD_EP/health" >/dev/null ||
			fail "$PPT_NAME: etcd is not reachable from $CS-h$n over TLS with the client certificate"
	done
}

# cluster_hosts_start: polyportd on every host; PASS once all are connected
# with a host record each on a lease (exits if one does not start)
cluster_hosts_start() {
	local t0 h ok=1 ms hosts leases
	if ((STORE == 0)); then
		fail "$PPT_NAME: polyportd has no --store option (issue 19's daemon side): nothing to test"
		exit 1
	fi
	t0=$(now)
	for h in "${HOSTS[@]}"; do
		hstart "$h" || fail "start: polyportd of $h did not start: $(tail -3 "$WORK/$h.log" | tr '\n' ' ')"
	done
	((FAILED)) && exit 1
	for h in "${HOSTS[@]}"; do
		ms=$(until_ms "$t0" 10000 connected "$h") || { ok=0; echo "      $h: $(hget "$h" /v1/status | jq -c .cluster)"; }
	done
	hosts=$(etcdctl_c get --prefix "${P}hosts/" --keys-only 2>/dev/null | grep -v '^$' | tr '\n' ' ')
	leases=$(for h in "${HOSTS[@]}"; do etcdctl_c get "${P}hosts/$h" -w json | jq -r '.kvs[0].lease // 0'; done | grep -vc '^0$')
	if ((ok)) && [[ $hosts == "${P}hosts/h1 ${P}hosts/h2 ${P}hosts/h3 " && $leases == 3 ]]; then
		pass "start: polyportd on h1, h2, h3 connect to etcd over TLS with client certificates (\"connected\": true; hosts/h1..h3 in the store, each on a lease)"
		fig "three daemons started -> all connected: $ms ms"
	else
		fail "start: connected: $(for h in "${HOSTS[@]}"; do echo -n "$h=$(hget "$h" /v1/status | jq -c .cluster.connected) "; done); host records: '$hosts', on a lease: $leases"
	fi
}

cluster_end() {
	local h
	echo "      figures:"
	printf '      | %s\n' "${FIG[@]}"
	if ((FAILED)); then
		for h in "${HOSTS[@]}"; do hlog "$h" 8; done
	fi
	exit $FAILED
}
