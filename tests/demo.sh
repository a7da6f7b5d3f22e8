#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The built-in demo: start tests/targets/demo (a deadlocked pair, a consumer
# stuck on a condvar, healthy idle and busy threads), wait until it is set
# up, watch it with blockwatch and show the report.
#
# usage: demo.sh BLOCKWATCH DEMO_TARGET [GO_SERVICE]
# GO_SERVICE: a leaking Go program (tests/go/targets/growleak) watched too.
# Exit status: 0 when blockwatch exits 0 or 3 (3 is what the demo is for),
# blockwatch's own status otherwise.

set -u

if [ $# -ne 2 ] && [ $# -ne 3 ]; then
	echo "usage: $0 BLOCKWATCH DEMO_TARGET [GO_SERVICE]" >&2
	exit 1
fi
blockwatch=$1
demo=$2
goservice=${3:-}
goout=
gopid=

out=$(mktemp "${TMPDIR:-/tmp}/blockwatch-demo.XXXXXX") || exit 1
pid=

cleanup() {
	for p in $pid $gopid; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -f "$out" ${goout:+"$goout"}
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$demo" >"$out" &
pid=$!

# The target prints "ready" once every thread sits in its blocking call.
tries=0
until grep -qx ready "$out"; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "demo: $demo exited before it was ready" >&2
		exit 1
	fi
	tries=$((tries + 1))
	if [ "$tries" -gt 100 ]; then
		echo "demo: $demo not ready after 10 s" >&2
		exit 1
	fi
	sleep 0.1
done

echo "demo: target pid $pid, threads:"
awk '$1 == "tid" {
	printf "  %-7s %-15s expect %s", $2, $4, $6
	if ($8 != "none")
		printf " (%s)", $8
	printf "\n"
}' "$out" | sort -n -k1,1
pids="-p $pid"
if [ -n "$goservice" ]; then
	goout=$(mktemp "${TMPDIR:-/tmp}/blockwatch-demo-go.XXXXXX") || exit 1
	"$goservice" >"$goout" &
	gopid=$!
	tries=0
	until grep -qx ready "$goout"; do
		if ! kill -0 "$gopid" 2>/dev/null || [ "$tries" -gt 100 ]; then
			echo "demo: $goservice did not get ready" >&2
			exit 1
		fi
		tries=$((tries + 1))
		sleep 0.1
	done
	echo "demo: Go service pid $gopid leaks a goroutine every 50 ms, each stuck in a chan send"
	pids="$pids -p $gopid"
fi
echo "demo: running $blockwatch $pids --threshold 2s --duration 3s"
echo

# shellcheck disable=SC2086 # pids is a list of options
"$blockwatch" $pids --threshold 2s --duration 3s
status=$?

echo
case $status in
3)
	echo "demo: blockwatch exited 3: it found a deadlock or leak, as the demo intends."
	exit 0
	;;
0)
	echo "demo: blockwatch exited 0: no deadlock or leak found (the demo has both)."
	exit 0
	;;
*)
	echo "demo: blockwatch failed with exit status $status" >&2
	exit "$status"
	;;
esac
