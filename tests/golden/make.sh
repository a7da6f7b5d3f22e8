#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Makes the golden snapshots and their renderings (root: it runs blockwatch
# on live targets). Run once with a build whose output is the reference;
# tests/golden/check.sh then holds every later build to it byte for byte.
#
# usage: tests/golden/make.sh BLOCKWATCH C-TARGETS-DIR GO-TARGETS-DIR
set -eu
BW=$1
CT=$2
GT=$3
DIR=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'kill $(cat "$TMP"/pids 2>/dev/null) 2>/dev/null; rm -rf "$TMP"' EXIT

# start NAME PROGRAM: runs it until it says "ready" (30 s at most).
start() {
	"$2" >"$TMP/$1.out" 2>&1 &
	echo $! >>"$TMP/pids"
	i=0
	until grep -q '^ready' "$TMP/$1.out"; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "golden: $2 never said ready" >&2; exit 1; }
		sleep 0.1
	done
	PID=$!
}

snap() {
	"$BW" snapshot -p "$PID" -t "${2:-1s}" -o "$DIR/$1.bw" 2>/dev/null || [ $? = 3 ]
}

start pair "$CT/deadlock_pair" && snap deadlock_pair
start demo "$CT/demo" && snap demo
start pile "$CT/pile" && snap pile
# Version 2: the late waiter under the run's 4 s, for check.sh's filtered reports.
start late "$CT/late_waiter" && snap late_waiter 4s
start chanleak "$GT/go1.22/chanleak" && snap chanleak
# Version 2: every goroutine under an hour's threshold, judged again by check.sh.
start young "$GT/go1.22/chanleak" && snap chanleak_young 1h
start syncleak "$GT/go1.21/syncleak" && snap syncleak
start deadlock "$GT/go1.19/deadlock" && snap godeadlock
start growleak "$GT/go1.22/growleak" && snap growleak1
sleep 2
snap growleak2

"$(dirname "$0")/check.sh" "$BW" --write
