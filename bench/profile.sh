#!/usr/bin/env bash
# Where the time of one path goes (not part of make bench): perf on the
# benchmark's CPU while the path runs, and a source-line profile of the
# polyport program it runs.  This VM has no hardware counters: perf samples
# cpu-clock, and bpftool/perf here cannot disassemble JIT code, so
# "ppbench lineprof" maps the samples to BPF source lines (BTF line info).
#
#   bench/profile.sh KEY [SECONDS]     e.g. v2n-pp-1u, n2v-pp-100k, tv2n-pp, n2v-pp-l3, v2h-pp-chain
#
# Output under build/bench/profile/KEY.*: perf.data, top.txt (symbols on the
# CPU), lines.txt (samples per source line of the polyport program).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
key=${1:?usage: bench/profile.sh KEY [SECONDS]}
secs=${2:-3}
cpu=1
out=build/bench/profile
mkdir -p "$out"
case $key in
*-pp-1u) inst=u ;; *-pp-1) inst=v ;; *-pp-4094) inst=k ;; *-pp-100k) inst=m ;;
*2n-tc|n2v-tc) inst=t ;; tv2n-*|tn2v-*) inst=w ;; v2n-flood) inst=l ;; v2n-sec) inst=e ;;
*-pp-l3) inst=r ;;
*-pp-chain) inst=z ;;
*) inst= ;;
esac
case $key in
*-tc) prog=${key%%-*}; [[ $prog == n2v ]] && prog=net_tc || prog=tap_tc ;;
v2n-flood) prog=tap_tc ;;	# XDP hands the broadcast to TC, which makes the copies
n2v-*|tn2v-*) prog=net_xdp ;;
*) prog=tap_xdp ;;
esac
mode=(--quick)
[[ $inst == [vkm] || $key == *ovs* || $key == *1000 ]] && mode=(--reps 1)
log=$out/$key.log
make --no-print-directory -s build/bench/ppbench || exit 1
BENCH_OUT=$out/run bench/bench.sh "${mode[@]}" --no-control --no-ovs --only "$key" --ms $(((secs + 8) * 1000)) \
	--cpu "$cpu" >"$log" 2>&1 &
bpid=$!
for _ in $(seq 1200); do
	grep -q "repetitions of every path" "$log" && break
	kill -0 $bpid 2>/dev/null || { echo "profile: bench ended early:" >&2; tail "$log" >&2; exit 1; }
	sleep 0.1
done
sleep 1.5
perf record -q -a -C "$cpu" -g -o "$out/$key.perf.data" -- sleep "$secs" 2>/dev/null
id=
if [[ -n $inst ]]; then
	id=$(grep "configuration $inst:" "$log" | grep -o "$prog [0-9]*" | awk '{print $2}')
	# Each sample's innermost frame inside the program: the line that ran, or
	# that called the helper (hash lookup, adjust_head, redirect) that ran.
	perf script -i "$out/$key.perf.data" -F ip,sym,symoff 2>/dev/null |
		awk -v pat="_pp_$prog+0x" 'BEGIN { RS = "" } { n = split($0, l, "\n");
			for (i = 1; i <= n; i++) if (index(l[i], pat)) { print l[i]; break } }' \
		>"$out/$key.offsets"
	build/bench/ppbench lineprof --prog-id "$id" <"$out/$key.offsets" >"$out/$key.lines.txt" 2>&1
fi
wait $bpid
perf report -i "$out/$key.perf.data" --no-children --stdio -g none --percent-limit 0.5 2>/dev/null |
	grep -v '^#' | grep -v '^$' >"$out/$key.top.txt"
echo "== $key: $(grep "rep 1" "$log" | sed 's/^ *//')"
echo "-- symbols on CPU $cpu (top.txt)"
head -25 "$out/$key.top.txt"
if [[ -n $id ]]; then
	echo "-- polyport $prog (program $id) by source line, helpers it calls included (lines.txt);"
	echo "   $(wc -l <"$out/$key.offsets") of $(perf script -i "$out/$key.perf.data" -F ip 2>/dev/null | awk 'BEGIN{RS=""}END{print NR}') samples on the CPU ran in or under it"
	head -30 "$out/$key.lines.txt"
fi
