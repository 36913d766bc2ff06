#!/usr/bin/env bash
# Run every test suite and print one summary line: "N passed, N failed, N skipped".
#
# Suites print one line per test: "PASS name", "FAIL name" or "SKIP name: reason"
# (cmocka suites run with TAP output and are translated).  A suite that exits
# non-zero without reporting a failure counts as one failure.
#
#   tests/run.sh            every suite
#   tests/run.sh e2e        only suites whose name contains "e2e"
set -uo pipefail
cd "$(dirname "$0")/.."

filter=${1:-}
B=build
pass=0 fail=0 skip=0
skips=() fails=()

# name | command
suites=(
	"unit:config|$B/tests/test_config"
	"unit:maps|$B/tests/test_maps"
	"unit:layout|$B/tests/test_layout"
	"unit:reconcile|$B/tests/test_reconcile"
	"unit:l3nh|$B/tests/test_l3nh"
	"unit:etcd|tests/unit/test_etcd.sh"
	"unit:place|$B/tests/test_place"
	"bpf:prog_test|$B/tests/prog_test"
	"bpf:corpus|$B/tests/corpus --frames 100000"
	"fuzz:replay|tests/fuzz/replay.sh"
	"e2e:dataplane|tests/e2e/dataplane.sh"
	"e2e:xdp|tests/e2e/xdp.sh"
	"e2e:daemon|tests/e2e/daemon.sh"
	"e2e:api|tests/e2e/api.sh"
	"e2e:ctl|tests/e2e/ctl.sh"
	"e2e:plug|tests/e2e/plug.sh"
	"e2e:cluster|tests/e2e/cluster.sh"
	"e2e:vxlan|tests/e2e/vxlan.sh"
	"e2e:api-robust|tests/e2e/api_robust.sh"
	"e2e:services|tests/e2e/services.sh"
	"e2e:l3|tests/e2e/l3.sh"
	"e2e:l3-bgp|tests/e2e/l3_bgp.sh"
	"e2e:services-tc|tests/e2e/services.sh tc"
	"e2e:tpid|tests/e2e/tpid.sh"
	"e2e:tpid-tc|tests/e2e/tpid.sh tc"
	"e2e:isolation|tests/e2e/isolation.sh"
	"e2e:chain|tests/e2e/chain.sh"
	"e2e:chain-tc|tests/e2e/chain.sh tc"
	"e2e:crash|tests/e2e/crash.sh"
	"e2e:upgrade|tests/e2e/upgrade.sh"
	"e2e:demo|tests/e2e/demo.sh"
	"bench:smoke|bench/smoke.sh"
	"e2e:vm|tests/e2e/vm.sh"
	"e2e:plug-vm|tests/e2e/plug_vm.sh"
)

run_suite() {
	local name=$1 cmd=$2 out rc line sfail=0
	out=$(mktemp)
	echo "== $name"
	CMOCKA_MESSAGE_OUTPUT=TAP $cmd >"$out" 2>&1
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		PASS\ *)	pass=$((pass + 1)) ;;
		FAIL\ *)	fail=$((fail + 1)); sfail=1; fails+=("$name: ${line#FAIL }") ;;
		SKIP\ *)	skip=$((skip + 1)); skips+=("$name: ${line#SKIP }") ;;
		ok\ [0-9]*\ -\ *)
				if [[ "$line" == *"# SKIP"* ]]; then
					skip=$((skip + 1)); skips+=("$name: ${line#*- }")
				else
					pass=$((pass + 1)); line="PASS ${line#*- }"
				fi ;;
		not\ ok\ [0-9]*\ -\ *)
				fail=$((fail + 1)); sfail=1; fails+=("$name: ${line#*- }")
				line="FAIL ${line#*- }" ;;
		esac
		echo "  $line"
	done <"$out"
	rm -f "$out"
	if ((rc != 0 && sfail == 0)); then
		fail=$((fail + 1))
		fails+=("$name: exited $rc without naming a failure")
		echo "  FAIL $name (exit $rc)"
	fi
}

for s in "${suites[@]}"; do
	name=${s%%|*} cmd=${s#*|}
	[[ -n "$filter" && "$name" != *"$filter"* ]] && continue
	bin=${cmd%% *}
	if [[ ! -x "$bin" ]]; then
		fail=$((fail + 1)); fails+=("$name: $bin not built")
		echo "== $name"; echo "  FAIL $name: $bin not built"
		continue
	fi
	run_suite "$name" "$cmd"
done

echo
for s in "${fails[@]}"; do echo "failed: $s"; done
for s in "${skips[@]}"; do echo "skipped: $s"; done
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
