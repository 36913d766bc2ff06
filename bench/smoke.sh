#!/usr/bin/env bash
# make bench-smoke, and make test's suite "bench:smoke": the benchmark's code
# (bench/bench.sh --quick) in seconds, so that it cannot rot.  It checks only
# that every path and figure runs and gives sane numbers (non-zero, the
# generator faster than the path it drives, no frame dropped by polyport),
# not speed.  Prints "PASS/FAIL/SKIP name" lines; details in
# build/bench/smoke/smoke.log.
cd "$(dirname "$0")/.." || exit 1
if [[ $(id -u) -ne 0 ]]; then
	echo "SKIP bench:smoke: needs root (namespaces, BPF)"
	exit 0
fi
if ! out=$(make --no-print-directory -s build/bench/ppbench 2>&1); then
	echo "FAIL bench:smoke: building ppbench: $(echo "$out" | tail -3 | tr '\n' ' ')"
	exit 1
fi
mkdir -p build/bench/smoke
log=build/bench/smoke/smoke.log
bench/bench.sh --quick "$@" 2>"$log"
rc=$?
if ((rc != 0)); then
	echo "bench:smoke failed (exit $rc); the end of $log:"
	tail -15 "$log" | sed 's/^/    /'
fi
exit $rc
