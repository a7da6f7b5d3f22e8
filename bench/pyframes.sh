#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What Python frames cost one report: a CPython process of NTHREADS threads,
# each DEPTH Python frames deep (bench/pydeep.py: Thread._bootstrap,
# _bootstrap_inner, run, then down() to the depth, parked in Event.wait),
# watched by `blockwatch -p PID --json --threshold 100ms --duration 1s`
# (two scans: the first on attach, the last at the end, each reading every
# thread's Python frames) with and without --no-python, interleaved in the
# same run (the order alternating by round). CPU (user + sys) of each
# blockwatch run from /usr/bin/time; medians, min-max, and the ratio of the
# medians; the Python frames counted in the last run's report.
#
# usage: bench/pyframes.sh [rounds (default 5)]
# env:   BW (./blockwatch) PYTHON (/usr/bin/python3.11) NTHREADS (1000) DEPTH (50)
set -u
cd "$(dirname "$0")/.." || exit 1
ROUNDS=${1:-5}
BW=${BW:-$PWD/blockwatch}
PYTHON=${PYTHON:-/usr/bin/python3.11}
NTHREADS=${NTHREADS:-1000}
DEPTH=${DEPTH:-50}
WORK=$(mktemp -d)
target=
trap '[ -n "$target" ] && kill "$target" 2>/dev/null; rm -rf "$WORK"' EXIT

"$PYTHON" bench/pydeep.py "$NTHREADS" "$DEPTH" >"$WORK/target.out" 2>&1 &
target=$!
for ((i = 0; i < 1200; i++)); do
	grep -q '^ready' "$WORK/target.out" && break
	kill -0 $target 2>/dev/null || break
	sleep 0.1
done
if ! grep -q '^ready' "$WORK/target.out"; then
	echo "pyframes: the target did not get ready: $(head -3 "$WORK/target.out")" >&2
	exit 1
fi

run() { # mode: prints "cpu_s" of one run
	local extra=
	[ "$1" = c ] && extra=--no-python
	/usr/bin/time -f '%U %S' -o "$WORK/time" "$BW" -p $target --json --threshold 100ms \
		--duration 1s $extra >"$WORK/report.$1" 2>"$WORK/err.$1"
	awk '{ printf "%.3f\n", $1 + $2 }' "$WORK/time"
}

declare -a py c
for ((r = 0; r < ROUNDS; r++)); do
	if ((r % 2)); then
		c+=("$(run c)")
		py+=("$(run py)")
	else
		py+=("$(run py)")
		c+=("$(run c)")
	fi
done

stats() { # values...: "median min max"
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.3f %.3f %.3f\n", m, v[1], v[NR] }'
}

read -r pm pmin pmax <<<"$(stats "${py[@]}")"
read -r cm cmin cmax <<<"$(stats "${c[@]}")"
frames=$(grep -o '"lang":"python"' "$WORK/report.py" | wc -l)
cframes=$(grep -o '"lang":"python"' "$WORK/report.c" | wc -l)
threads=$(grep -c '"type":"thread"' "$WORK/report.py")
echo "target: $PYTHON, $NTHREADS threads x $DEPTH frames; $threads threads in the report," \
	"$frames python frames ($cframes with --no-python)"
echo "rounds: $ROUNDS; cpu s python: ${py[*]}; --no-python: ${c[*]}"
printf '%-12s %8s %8s %8s\n' mode median min max
printf '%-12s %8s %8s %8s\n' python "$pm" "$pmin" "$pmax" no-python "$cm" "$cmin" "$cmax"
awk -v p="$pm" -v c="$cm" 'BEGIN { printf "ratio python/no-python %.3fx, python frames +%.3f s of CPU a run\n", p / c, p - c }'
grep -h 'blockwatch:' "$WORK/err.py" "$WORK/err.c" | sort -u | head -3
