#!/usr/bin/env bash
# make bench-smoke, and make test's suite "bench:smoke": the benchmark's code
# (bench/bench.sh --quick) in seconds, so that it cannot rot.  It checks only
# that every path and figure runs and gives sane numbers (non-zero, the
# generator faster than the path it drives, no frame dropped by polyport),
# not speed; polyport's paths also with a baseline's programs (here this
# tree's own, as --baseline REF would load another commit's).  Prints
# "PASS/FAIL/SKIP name" lines; details in build/bench/smoke/smoke.log.
cd "$(dirname "$0")/.." || exit 1
if [[ $(id -u) -ne 0 ]]; then
	echo "SKIP bench:smoke: needs root (namespaces, BPF)"
	exit 0
fi
if ! out=$(make --no-print-directory -s build/bench/ppbench build/bench/ppetcd 2>&1); then
	echo "FAIL bench:smoke: building ppbench and ppetcd: $(echo "$out" | tail -3 | tr '\n' ' ')"
	exit 1
fi
mkdir -p build/bench/smoke
log=build/bench/smoke/smoke.log
# --baseline-bin: this tree's own ppbench as the baseline, so that the
# mechanism of --baseline REF (ppbench install, the programs swapped per
# path) runs too, on two paths (each configuration loads 4 programs: half a
# second): XDP with TC behind it (the flood), and the tap, whose programs
# change by path: "PASS bench:KEY@base" lines.  The cluster part (bench/cluster.sh
# --quick: three daemons on one etcd, 100 and 1,200 service ports through the
# store, 3 API changes) gives "PASS bench:cluster_*/N" lines (numbers > 0);
# the VXLAN part (bench/vxlan.sh --quick: one second of each figure over
# polyport's VXLAN path and Linux's) "PASS bench:vxlan_path_*" (the traffic
# left through the VXLAN devices) and "PASS bench:vxlan_*/1" (numbers > 0).
bench/bench.sh --quick --baseline-bin build/bench/ppbench --baseline-only v2n-flood,tv2n-pp "$@" \
	2>"$log"
rc=$?
if ((rc != 0)); then
	echo "bench:smoke failed (exit $rc); the end of $log:"
	tail -15 "$log" | sed 's/^/    /'
fi
exit $rc
