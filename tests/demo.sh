#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The built-in demo: start tests/targets/demo (a deadlocked pair, a consumer
# stuck on a condvar, healthy idle and busy threads), wait until it is set
# up, watch it with blockwatch and show the report.
#
# usage: demo.sh BLOCKWATCH DEMO_TARGET
# Exit status: 0 when blockwatch exits 0 or 3 (3 is what the demo is for),
# blockwatch's own status otherwise.

set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 BLOCKWATCH DEMO_TARGET" >&2
	exit 1
fi
blockwatch=$1
demo=$2

out=$(mktemp "${TMPDIR:-/tmp}/blockwatch-demo.XXXXXX") || exit 1
pid=

cleanup() {
	if [ -n "$pid" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -f "$out"
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
echo "demo: running $blockwatch -p $pid --threshold 2s --duration 3s"
echo

"$blockwatch" -p "$pid" --threshold 2s --duration 3s
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
