#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside a kernel of the matrix (tests/kernels/init chroots into the host's
# root): the end-to-end subset, each test of tests/e2e run with its own
# conditions and bounds. Writes "<test> PASS|FAIL" lines to $2/results, each
# test's output to $2/<suite>_<test>.log, blockwatch's features to
# $2/features; exits 1 when a test failed.
#
# usage: guest.sh REPO RESULTS
set -u
REPO=$1 OUT=$2
TESTS=${BW_KERNEL_TESTS:-"verdicts/deadlock_pair verdicts/stuck_condvar goleaks/chanleak
	fleet/all_processes_at_once"}
export BW_BIN="$REPO/blockwatch" BW_TARGETS="$REPO/.output/targets"
cd /tmp || exit 1
uname -r >"$OUT/uname"

# One Go target, one toolchain: the newest build of chanleak (the goleaks
# test runs each go1.X/<name>[-stripped|-pie] it finds).
go=$(for d in "$REPO"/.output/go-targets/go1.*; do
	[ -x "$d/chanleak" ] && echo "${d##*/go1.} $d"
done | sort -n | tail -1 | cut -d' ' -f2-)
mkdir -p /tmp/go-targets
if [ -n "$go" ]; then
	mkdir -p "/tmp/go-targets/$(basename "$go")"
	ln -s "$go/chanleak" "/tmp/go-targets/$(basename "$go")/chanleak"
fi
export BW_GO_TARGETS=/tmp/go-targets BW_GO_DURATION=8s

# What this kernel gave blockwatch (the summary's "features"), with -v's story.
"$REPO/.output/targets/stuck_condvar" >/dev/null &
pid=$!
"$BW_BIN" -v -p $pid --duration 1s --json >"$OUT/features.json" 2>"$OUT/features.log"
echo "blockwatch exit $?" >>"$OUT/features.log"
kill $pid

fail=0
: >"$OUT/results"
for t in $TESTS; do
	log="$OUT/$(echo "$t" | tr / _).log"
	if timeout 900 "$REPO/.output/e2e-tests" --filter "$t" --jobs 1 --verbose >"$log" 2>&1 &&
		grep -q 'Passing: 1 ' "$log"; then
		echo "$t PASS" >>"$OUT/results"
	else
		echo "$t FAIL" >>"$OUT/results"
		fail=1
	fi
done
exit $fail
