#!/usr/bin/env bash
# The README's first command (`make run` as root = scripts/demo.sh) must work.
source "$(dirname "$0")/lib.sh"
need_root
trap finish EXIT
out=$("$TOP/scripts/demo.sh" --no-wait </dev/null 2>&1); rc=$?
if [[ $rc == 0 && "$out" == *"every network answered over its own VLAN"* ]]; then
	pass "demo: scripts/demo.sh runs and every network answers"
else
	fail "demo: exit $rc: $(echo "$out" | tail -5 | tr '\n' ' ')"
fi
left=$(ip -o link show | awk -F': ' '{print $2}' | grep -c '^ppd')
[[ $left == 0 && ! -e /sys/fs/bpf/polyport-demo ]] && pass "demo: cleans up after itself" \
	|| fail "demo: left $left devices or its pins"
exit $FAILED
