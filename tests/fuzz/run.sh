#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs the libFuzzer targets built by mk/quality.mk.
#
#   run.sh fuzz    BIN_DIR WORK_DIR SECONDS NAME...   fuzz each target SECONDS
#   run.sh regress BIN_DIR NAME...                    every seed once, no fuzzing
#
# Seeds are read from tests/fuzz/corpus/NAME (never written); fuzzing writes
# what it finds to WORK_DIR/corpus/NAME, crashes to WORK_DIR/artifacts/NAME/
# and the log to WORK_DIR/logs/NAME.log. BIN_DIR/seeds/NAME holds inputs made
# at build time (real Go binaries, too big for git): regress always runs
# them, fuzz starts from them too when FUZZ_EXTRA_SEEDS=1. Exits non-zero
# when any target failed.
set -u

mode=$1
bin=$2
shift 2
seeds=tests/fuzz/corpus
fail=""

case $mode in
fuzz)
	work=$1 secs=$2
	shift 2
	printf '%-12s %12s %10s %8s %s\n' TARGET EXECS EXEC/S CORPUS RESULT
	for name in "$@"; do
		mkdir -p "$work/corpus/$name" "$work/artifacts/$name" "$work/logs"
		log=$work/logs/$name.log
		extra="" opts=""
		[ "${FUZZ_EXTRA_SEEDS:-0}" = 1 ] && [ -d "$bin/seeds/$name" ] && extra="$bin/seeds/$name"
		# Real Go binaries (the build-time seeds) are 1-2 MB: take them whole.
		[ "$name" = gobin ] && opts="-max_len=2097152"
		# -timeout: an input slower than that is a bug (a parser loop).
		"$bin/fuzz_$name" -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$work/artifacts/$name/" $opts \
			"$work/corpus/$name" "$seeds/$name" $extra >"$log" 2>&1
		rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		ncorp=$(ls "$work/corpus/$name" | wc -l)
		if [ $rc = 0 ]; then
			res=ok
		else
			res="FAILED (rc $rc, see $log and $work/artifacts/$name/)"
			fail="$fail $name"
		fi
		printf '%-12s %12s %10s %8s %s\n' "$name" "${execs:-?}" "${rate:-?}" "$ncorp" "$res"
	done
	;;
regress)
	for name in "$@"; do
		set -- "$seeds/$name"/*
		[ -d "$bin/seeds/$name" ] && set -- "$@" "$bin/seeds/$name"/*
		[ -e "$1" ] || continue
		if "$bin/fuzz_$name" "$@" >/dev/null 2>"$bin/regress-$name.log"; then
			echo "  FUZZ-REG $name: $# inputs ok"
		else
			echo "  FUZZ-REG $name: FAILED (see $bin/regress-$name.log)" >&2
			fail="$fail $name"
		fi
	done
	;;
*)
	echo "usage: $0 fuzz|regress ..." >&2
	exit 1
	;;
esac
if [ -n "$fail" ]; then
	echo "fuzz: failed:$fail" >&2
	exit 1
fi
