#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Prometheus scrapes the real tool: blockwatch watches the C demo target
# (a deadlocked pair, a stuck condvar) and the leaking Go service, and the
# values come back through Prometheus's query API.
#
# usage: tests/prom/scrape-tool.sh BLOCKWATCH DEMO_TARGET GO_SERVICE
set -u
bw=$1 demo=$2 gosvc=$3
dir=$(mktemp -d "${TMPDIR:-/tmp}/bw-scrape.XXXXXX") || exit 1
pids=
cleanup() {
	for p in $pids; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT

start() { # PROGRAM OUT: starts it, waits (bounded) for its "ready" line
	"$1" >"$2" &
	pids="$pids $!"
	last=$!
	i=0
	until grep -qx ready "$2"; do
		i=$((i + 1))
		if [ "$i" -gt 200 ] || ! kill -0 "$last" 2>/dev/null; then
			echo "scrape-tool: $1 did not get ready" >&2
			exit 1
		fi
		sleep 0.05
	done
}

start "$demo" "$dir/demo.out"
cpid=$last
start "$gosvc" "$dir/go.out"
gpid=$last
# not exec: the trap must still stop the targets
bash "$(dirname "$0")/scrape-test.sh" \
	--expect "blockwatch_deadlocks{pid=\"$cpid\"} == 2" \
	--expect "blockwatch_threads{pid=\"$cpid\",wait=\"condvar\",verdict=\"stuck\"} == 1" \
	--expect "blockwatch_leaks{pid=\"$gpid\"} > 0" \
	--expect "blockwatch_goroutine_site_growth_per_minute{pid=\"$gpid\",verdict=\"leak\"} > 0" \
	--expect "blockwatch_go_info{pid=\"$gpid\"} == 1" \
	--expect 'blockwatch_scans_total >= 2' \
	-- "$bw" -p "$cpid" -p "$gpid" --threshold 1s --prometheus @ADDR@
exit $?
