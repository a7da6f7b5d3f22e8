#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every rendering of the golden snapshots (text, JSON, pprof, folded, diff)
# must come out of BLOCKWATCH byte for byte as it did when they were made
# (tests/golden/make.sh). No root: report and diff read files only.
#
# usage: tests/golden/check.sh BLOCKWATCH [--write]
set -u
BW=$1
WRITE=${2:-}
DIR=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

# same NAME FILE: FILE is what DIR/NAME holds (or becomes it, with --write).
same() {
	if [ "$WRITE" = --write ]; then
		cp "$2" "$DIR/expect/$1"
	elif cmp -s "$2" "$DIR/expect/$1"; then
		pass=$((pass + 1))
		return
	else
		echo "golden: $1 differs:"
		diff "$DIR/expect/$1" "$2" | head -20
		fail=$((fail + 1))
	fi
}

mkdir -p "$DIR/expect"
for bw in "$DIR"/*.bw; do
	n=$(basename "$bw" .bw)
	"$BW" report "$bw" >"$TMP/$n.txt"
	echo "exit $?" >>"$TMP/$n.txt"
	same "$n.txt" "$TMP/$n.txt"
	"$BW" report --json --pprof "$TMP/$n.pprof" --folded "$TMP/$n.folded" "$bw" >"$TMP/$n.json"
	echo "exit $?" >>"$TMP/$n.json"
	same "$n.json" "$TMP/$n.json"
	same "$n.folded" "$TMP/$n.folded"
	# The profile's gzip wrapper is zlib's business: compare what it holds.
	gzip -dc "$TMP/$n.pprof" >"$TMP/$n.pb"
	same "$n.pb" "$TMP/$n.pb"
done
# Version-2 snapshots looked at again: under the run's threshold, and narrowed.
"$BW" report --threshold 1s "$DIR/chanleak_young.bw" >"$TMP/young_1s.txt"
echo "exit $?" >>"$TMP/young_1s.txt"
same young_1s.txt "$TMP/young_1s.txt"
"$BW" report --json -t 1s --verdict leak --folded "$TMP/young_1s.folded" \
	"$DIR/chanleak_young.bw" >"$TMP/young_leak.json"
echo "exit $?" >>"$TMP/young_leak.json"
same young_leak.json "$TMP/young_leak.json"
same young_1s.folded "$TMP/young_1s.folded"
"$BW" report --threshold 1ms "$DIR/late_waiter.bw" >"$TMP/late_1ms.txt"
echo "exit $?" >>"$TMP/late_1ms.txt"
same late_1ms.txt "$TMP/late_1ms.txt"
"$BW" report --json -t 1ms --verdict idle,leak --comm 'late_*' "$DIR/late_waiter.bw" \
	>"$TMP/late_idle.json"
echo "exit $?" >>"$TMP/late_idle.json"
same late_idle.json "$TMP/late_idle.json"
"$BW" diff "$DIR/growleak1.bw" "$DIR/growleak2.bw" "$DIR/growleak2.bw" >"$TMP/series.txt"
echo "exit $?" >>"$TMP/series.txt"
same series.txt "$TMP/series.txt"
"$BW" diff --json "$DIR/pile.bw" "$DIR/pile.bw" "$DIR/pile.bw" >"$TMP/series.json"
echo "exit $?" >>"$TMP/series.json"
same series.json "$TMP/series.json"
"$BW" diff "$DIR/growleak1.bw" "$DIR/growleak2.bw" >"$TMP/diff.txt"
echo "exit $?" >>"$TMP/diff.txt"
same diff.txt "$TMP/diff.txt"
"$BW" diff --json "$DIR/deadlock_pair.bw" "$DIR/demo.bw" >"$TMP/diff.json"
echo "exit $?" >>"$TMP/diff.json"
same diff.json "$TMP/diff.json"
[ "$WRITE" = --write ] && { echo "golden: wrote $DIR/expect"; exit 0; }
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ]
