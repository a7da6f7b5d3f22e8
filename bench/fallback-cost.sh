#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the fallbacks of kernels before 5.15 cost on this kernel: blockwatch -a
# with every feature, then with BLOCKWATCH_FALLBACKS=all (tid-keyed hashes,
# registers read from the kernel stack), each under `perf bench sched pipe`
# on one CPU; ns per run of each BPF program from bpf_stats (run_time_ns /
# run_cnt in the programs' fdinfo), interleaved rounds, medians printed.
#
# usage: bench/fallback-cost.sh [rounds (default 5)] [pipe loops (default 200000)]
# env:   MODES  "native" and BLOCKWATCH_FALLBACKS values (default "native all")
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-5} LOOPS=${2:-200000} MODES=${MODES:-"native all"}
BW=$PWD/blockwatch
WORK=$(mktemp -d)
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"; rm -rf "$WORK"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1

stats() { # PID: "name run_time_ns run_cnt" of each program
	local f id
	for f in /proc/"$1"/fdinfo/*; do
		awk '$1 == "prog_id:" { id = $2 } $1 == "run_time_ns:" { t = $2 }
		     $1 == "run_cnt:" { c = $2 } END { if (id != "") print id, t, c }' "$f" 2>/dev/null
	done | sort -u | while read -r id t c; do
		echo "$(bpftool prog show id "$id" | awk '{ for (i = 1; i < NF; i++)
			if ($i == "name") { print $(i + 1); exit } }') $t $c"
	done
}

for ((r = 0; r < ROUNDS; r++)); do
	for mode in $MODES; do
		if [ "$mode" = native ]; then
			"$BW" -a --json --interval 1s >/dev/null 2>&1 &
		else
			BLOCKWATCH_FALLBACKS=$mode "$BW" -a --json --interval 1s >/dev/null 2>&1 &
		fi
		pid=$!
		for ((i = 0; i < 100; i++)); do # loaded: its programs show in fdinfo
			[ -n "$(stats $pid | grep sched_switch)" ] && break
			sleep 0.1
		done
		stats $pid >"$WORK/before"
		taskset -c 0 perf bench sched pipe -l "$LOOPS" >/dev/null 2>&1
		stats $pid >"$WORK/after"
		kill -INT $pid
		wait $pid 2>/dev/null
		join "$WORK/before" "$WORK/after" | awk -v m=$mode '$5 > $3 {
			printf "%s %s %.1f\n", m, $1, ($4 - $2) / ($5 - $3) }' >>"$WORK/samples"
	done
done
echo "mode          program            ns/run: median (every round)"
cut -d' ' -f1,2 "$WORK/samples" | sort -u | while read -r mode prog; do
	vals=$(awk -v m="$mode" -v p="$prog" '$1 == m && $2 == p { print $3 }' "$WORK/samples" |
		sort -n)
	n=$(echo "$vals" | wc -l)
	printf '%-13s %-18s %s  (%s)\n' "$mode" "$prog" "$(echo "$vals" | sed -n "$(((n + 1) / 2))p")" \
		"$(echo $vals)"
done
