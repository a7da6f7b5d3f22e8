#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# blockwatch under valgrind (memcheck, full leak check) against one C target:
# starts deadlock_pair, waits for its "ready" line, watches it for 2 s with
# --json and --snapshot-dir. Fails on any valgrind error or leak, and when
# blockwatch does not find the deadlock (exit 3, two deadlock records and its
# automatic snapshot) so that a run which traced nothing cannot pass. Needs root (loads BPF).
#
# Valgrind and BPF: valgrind's bpf(2) wrapper misreads libbpf's map creation
# (see tests/valgrind.supp); it does not know BPF_LINK_CREATE, BPF_ITER_CREATE
# and BPF_PROG_BIND_MAP (28, 33, 35) and warns "unhandled eBPF command", which
# is harmless: those return an fd and write no user memory. Kernel-written
# memory (iterator reads, mmap'ed maps) is defined for valgrind.
#
# usage: tests/valgrind.sh [BLOCKWATCH (./blockwatch)] [TARGETS_DIR (.output/targets)]
set -u

BW=${1:-./blockwatch}
TARGETS=${2:-.output/targets}
SUPP=$(cd "$(dirname "$0")" && pwd)/valgrind.supp
TARGET=$TARGETS/deadlock_pair

fail() {
	echo "valgrind.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || fail "must run as root (loads BPF)"
command -v valgrind >/dev/null || fail "valgrind not found (apt-get install valgrind)"
[ -x "$BW" ] || fail "no blockwatch binary at $BW"
[ -x "$TARGET" ] || fail "no target at $TARGET (make targets)"

tmp=$(mktemp -d) || fail "failed to create a temporary directory"
tpid=""
cleanup() {
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

: >"$tmp/target.out" # exists before the first grep, whoever runs first
"$TARGET" >"$tmp/target.out" 2>&1 &
tpid=$!
# Bounded wait for the condition, not a bare sleep: 100 x 0.1 s.
i=0
until grep -qx ready "$tmp/target.out"; do
	kill -0 "$tpid" 2>/dev/null || fail "target exited before ready: $(cat "$tmp/target.out")"
	i=$((i + 1))
	[ $i -le 100 ] || fail "target not ready after 10 s"
	sleep 0.1
done

valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
	--suppressions="$SUPP" --log-file="$tmp/valgrind.log" \
	"$BW" -p "$tpid" --threshold 1s --duration 2s --json --snapshot-dir "$tmp/snaps" \
	>"$tmp/out.json" 2>"$tmp/err"
rc=$?

grep -v 'WARNING: unhandled eBPF command' "$tmp/valgrind.log" >"$tmp/valgrind.filtered"
summary=$(grep 'ERROR SUMMARY' "$tmp/valgrind.log")
deadlocks=$(grep -c '"verdict":"deadlock"' "$tmp/out.json")
snaps=$(find "$tmp/snaps" -name "blockwatch-$tpid-*.snap" 2>/dev/null | wc -l)
if [ "$rc" != 3 ] || [ "$deadlocks" -lt 2 ] || [ "$snaps" != 1 ]; then
	cat "$tmp/valgrind.filtered" "$tmp/err" >&2
	[ "$rc" = 1 ] && fail "valgrind found errors (exit 1); log above"
	fail "blockwatch exited $rc with $deadlocks deadlock records and $snaps snapshots" \
		"(want 3, 2 and 1)"
fi
echo "valgrind.sh: ok: ${summary#==*== }; blockwatch found $deadlocks deadlocked threads," \
	"wrote $snaps snapshot"
