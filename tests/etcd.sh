# shellcheck shell=bash
# Shell helpers for tests that need a real etcd (Debian's etcd-server 3.4):
# a test CA, etcd started with TLS and client-certificate authentication in a
# network namespace, etcdctl with the test's certificates.  Source this file.
#
#   etcd_ca DIR [IP...]                       the test CA and certificates in DIR
#   etcd_start NETNS IP PORT DATADIR CERTDIR  etcd in NETNS; sets ETCD_PID, ETCD_EP
#   etcd_stop                                 kill it (by PID), wait at most 5 s
#   etcdctl_c ARGS...                         etcdctl on ETCD_EP with the client cert
#   etcd_link NS ETCDNS DEV N NET EPIP        a host namespace linked to etcd's
#   etcd_mounts_gone RUN BPF                  the hosts' bpffs and tmpfs unmounted
#
# Files of etcd_ca: ca.crt/ca.key (the CA), server.crt/key (SANs 127.0.0.1 and
# the IPs), client.crt/key (CN polyport), other-ca.crt and other.crt/key (a
# client certificate of another CA: etcd must refuse it).

ETCD_PID= ETCD_EP= ETCD_CERTS= ETCD_DATA=

_etcd_ssl() { openssl "$@" >/dev/null 2>&1; }

# _etcd_cert DIR NAME CN CA EXT: a P-256 key and a certificate signed by CA
_etcd_cert() {
	local d=$1 n=$2 cn=$3 ca=$4 ext=$5
	_etcd_ssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=$cn" -keyout "$d/$n.key" -out "$d/$n.csr" || return 1
	_etcd_ssl x509 -req -in "$d/$n.csr" -CA "$d/$ca.crt" -CAkey "$d/$ca.key" \
		-CAcreateserial -days 2 -extfile <(printf '%s\n' "$ext") -out "$d/$n.crt" || return 1
	rm -f "$d/$n.csr"
}

etcd_ca() {
	local d=$1 ip san="IP:127.0.0.1"
	shift
	for ip in "$@"; do san+=",IP:$ip"; done
	mkdir -p "$d" || return 1
	local ca
	for ca in ca other-ca; do
		_etcd_ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-days 2 -subj "/CN=polyport test $ca" -keyout "$d/$ca.key" \
			-out "$d/$ca.crt" || return 1
	done
	_etcd_cert "$d" server etcd ca \
		"subjectAltName=$san
extendedKeyUsage=serverAuth,clientAuth" || return 1
	_etcd_cert "$d" client polyport ca "extendedKeyUsage=clientAuth" || return 1
	_etcd_cert "$d" other polyport other-ca "extendedKeyUsage=clientAuth" || return 1
	chmod 600 "$d"/*.key
}

# etcd_start NETNS IP PORT DATADIR CERTDIR: DATADIR should be on tmpfs
# (/dev/shm/...); etcd's peer port is PORT+1 on 127.0.0.1 of NETNS.  Waits at
# most 10 s for etcd to answer; its log is DATADIR.log.
etcd_start() {
	local ns=$1 ip=$2 port=$3 data=$4 certs=$5 i
	local peer=http://127.0.0.1:$((port + 1))
	mkdir -p "$data" || return 1
	ETCD_EP=https://$ip:$port ETCD_CERTS=$certs ETCD_DATA=$data
	ip netns exec "$ns" /usr/bin/etcd --name ppte --data-dir "$data/etcd" \
		--listen-client-urls "$ETCD_EP" --advertise-client-urls "$ETCD_EP" \
		--listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
		--initial-cluster "ppte=$peer" --initial-cluster-state new \
		--cert-file "$certs/server.crt" --key-file "$certs/server.key" \
		--trusted-ca-file "$certs/ca.crt" --client-cert-auth \
		>"$data.log" 2>&1 &
	ETCD_PID=$!
	disown "$ETCD_PID"	# no "Killed" notice when a test kills it
	echo "etcd: pid $ETCD_PID on $ETCD_EP (netns $ns)"
	for ((i = 0; i < 100; i++)); do
		if ! kill -0 "$ETCD_PID" 2>/dev/null; then
			echo "etcd: exited; its log:" >&2; tail -5 "$data.log" >&2
			ETCD_PID=
			return 1
		fi
		ip netns exec "$ns" curl -sf --max-time 1 --cacert "$certs/ca.crt" \
			--cert "$certs/client.crt" --key "$certs/client.key" \
			"$ETCD_EP/health" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "etcd: no answer in 10 s" >&2
	etcd_stop
	return 1
}

etcd_stop() {
	[[ -n "$ETCD_PID" ]] || return 0
	local i
	kill -CONT "$ETCD_PID" 2>/dev/null
	kill "$ETCD_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$ETCD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$ETCD_PID" 2>/dev/null && kill -KILL "$ETCD_PID"
	ETCD_PID=
}

etcdctl_c() {
	ETCDCTL_API=3 etcdctl --endpoints "$ETCD_EP" --cacert "$ETCD_CERTS/ca.crt" \
		--cert "$ETCD_CERTS/client.crt" --key "$ETCD_CERTS/client.key" "$@"
}

# etcd_link NS ETCDNS DEV N NET EPIP: namespace NS (existing; lo brought up)
# reaches etcd's address EPIP in ETCDNS over veth DEV (DEV$N on etcd's side):
# NET.N.2/24 in NS, NET.N.1/24 in ETCDNS, a host route to EPIP.
etcd_link() {
	local ns=$1 ens=$2 dev=$3 n=$4 net=$5 ep=$6
	ip -n "$ns" link set lo up &&
		ip -n "$ns" link add "$dev" type veth peer name "$dev$n" netns "$ens" &&
		ip -n "$ns" addr add "$net.$n.2/24" dev "$dev" &&
		ip -n "$ns" link set "$dev" up &&
		ip -n "$ns" route add "$ep/32" via "$net.$n.1" &&
		ip -n "$ens" addr add "$net.$n.1/24" dev "$dev$n" &&
		ip -n "$ens" link set "$dev$n" up
}

# etcd_mounts_gone RUN BPF: the bpffs of the hosts' pin roots (BPF, emptied
# first) and the tmpfs RUN under it, unmounted; RUN removed.
etcd_mounts_gone() {
	local run=$1 bpf=$2
	if mountpoint -q "$bpf"; then
		find "$bpf" -mindepth 1 -delete 2>/dev/null
		umount -l "$bpf"
	fi
	mountpoint -q "$run" && umount -l "$run"
	rmdir "$run" 2>/dev/null
	return 0
}
