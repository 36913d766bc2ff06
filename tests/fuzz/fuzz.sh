#!/usr/bin/env bash
# make fuzz: run each libFuzzer target (build/fuzz/fuzz-<target>, built by
# make) for SECONDS, one after the other (one fuzzing process at a time), and
# print the time, executions and findings of each.
#
#   tests/fuzz/fuzz.sh SECONDS TARGET...
#
# libFuzzer runs in fork mode with one job at a time (-fork=1): a finding
# does not end the run, each one is written to tests/fuzz/crashes/<target>/
# (crash-*, leak-*, timeout-*, oom-*), which make test replays: fix it, or
# keep it there until it is fixed.  The seed corpus (tests/fuzz/corpus/
# <target>/) is read, never written: what libFuzzer learns goes to
# build/fuzz/corpus/<target>/ and is kept between runs.  Logs:
# build/fuzz/<target>.log.
set -uo pipefail
cd "$(dirname "$0")/../.."

secs=${1:?usage: fuzz.sh SECONDS TARGET...}
shift

# the longest input each target reads (see each fuzz_<target>.c)
declare -A max_len=([loader]=16384 [api]=16384 [dhcp]=1700 [frames]=2051)

count() { find "$1" -type f ! -name 'README*' ! -name '.*' | wc -l; }

rc=0
summary=()
for t in "$@"; do
	bin=build/fuzz/fuzz-$t
	work=build/fuzz/corpus/$t
	crashes=tests/fuzz/crashes/$t
	log=build/fuzz/$t.log
	if [[ ! -x $bin ]]; then
		echo "fuzz: $bin not built" >&2
		rc=1
		continue
	fi
	mkdir -p "$work" "$crashes"
	before=$(count "$crashes")
	touch "$log.start"
	args=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1
	      -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048
	      -max_len="${max_len[$t]:-4096}" -artifact_prefix="$crashes/")
	[[ -f tests/fuzz/$t.dict ]] && args+=(-dict="tests/fuzz/$t.dict")
	echo "fuzz: $t for $secs s (log: $log)"
	start=$(date +%s)
	"$bin" "${args[@]}" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	st=$?
	took=$(($(date +%s) - start))
	found=$(($(count "$crashes") - before))
	# the last progress line of fork mode: "#EXECS: cov: C ft: F corp: N exec/s R ..."
	last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -1)
	execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
	cov=$(sed -nE 's/.* cov: ([0-9]+) .*/\1/p' <<<"$last")
	if ((st != 0 || found > 0)); then
		rc=1
		# each new finding replayed without libFuzzer, to say what it is
		find "$crashes" -type f -newer "$log.start" ! -name '.*' | while read -r f; do
			if [[ -x build/tests/fuzz/replay-$t ]]; then
				build/tests/fuzz/replay-$t "$t" "$f" 2>/dev/null | grep '^FAIL' |
					sed -E 's/^FAIL [^:]*: [^:]*: //' | cut -c1-160
			else
				echo "(build/tests/fuzz/replay-$t not built)"
			fi
		done | sort | uniq -c | sort -rn | sed 's/^/  /'
	fi
	rm -f "$log.start"
	summary+=("$(printf '%-8s %6ss %12s %9s %7s %9s %8s  %s' "$t" "$took" "${execs:-?}" \
		"$( ((took > 0)) && [[ -n $execs ]] && echo $((execs / took)) || echo '?')" \
		"${cov:-?}" "$(count "$work")" "$found" \
		"$( ((st == 0)) && echo ok || echo "exit $st")")")
done

printf '\n%-8s %7s %12s %9s %7s %9s %8s  %s\n' target time executions exec/s cov corpus findings status
for s in "${summary[@]}"; do
	echo "$s"
done
exit $rc
