#!/usr/bin/env bash
# unit:etcd — build/tests/test_etcd against a real etcd (Debian's etcd-server)
# with TLS and client certificates, in network namespace ppue-1 (not a
# "ppt*" one, which e2e cleanups delete: it runs beside them, no lock).
# PPTE_WRAP: a command to run the binary under (valgrind ...).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/etcd.sh

bin=build/tests/test_etcd
ns=ppue-1
ip=10.99.1.1
if [[ ! -x /usr/bin/etcd || ! -x /usr/bin/etcdctl ]]; then
	echo "SKIP etcd: /usr/bin/etcd not installed (make deps: etcd-server etcd-client)"
	exit 0
fi
tmp=$(mktemp -d /tmp/ppue.XXXXXX)
data=/dev/shm/ppue-1.$$
cleanup() {
	etcd_stop
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp" "$data" "$data.log"
}
trap cleanup EXIT

ip netns del "$ns" 2>/dev/null
ip netns add "$ns" && ip -n "$ns" link set lo up && ip -n "$ns" addr add "$ip/32" dev lo || exit 1
etcd_ca "$tmp" "$ip" || { echo "FAIL etcd: the test CA (openssl)"; exit 1; }
etcd_start "$ns" "$ip" 2379 "$data" "$tmp" >/dev/null || { echo "FAIL etcd: etcd did not start"; exit 1; }
PPTE_ENDPOINT=$ETCD_EP PPTE_CERTS=$tmp PPTE_ETCD_PID=$ETCD_PID \
	ip netns exec "$ns" ${PPTE_WRAP:-} "$bin"
