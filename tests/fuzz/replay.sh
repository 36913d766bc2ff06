#!/usr/bin/env bash
# make test's "fuzz:replay": every file of the seed corpus and of the crashes
# kept (tests/fuzz/corpus/<target>/, tests/fuzz/crashes/<target>/) through
# its target once, without libFuzzer (build/tests/fuzz/replay-<target>).
# dhcp and frames run the programs with BPF_PROG_TEST_RUN: as root.
set -uo pipefail
cd "$(dirname "$0")/../.."

targets=(loader api dhcp frames)
rc=0
for t in "${targets[@]}"; do
	bin=build/tests/fuzz/replay-$t
	if [[ ! -x $bin ]]; then
		echo "FAIL fuzz/$t: $bin not built"
		rc=1
		continue
	fi
	if [[ $t == dhcp || $t == frames ]] && [[ $(id -u) -ne 0 ]]; then
		echo "SKIP fuzz/$t: needs root (BPF_PROG_TEST_RUN)"
		continue
	fi
	"$bin" "$t" "tests/fuzz/corpus/$t" "tests/fuzz/crashes/$t" || rc=1
done
exit $rc
