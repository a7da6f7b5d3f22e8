#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Soak: blockwatch -a --json --prometheus for SOAK_SECONDS (default 180)
# against churning targets: thread_churn (threads created and ended without
# pause, plus an AB-BA deadlocked pair), gochurn (goroutines and OS threads
# created and ended), and processes started and ended (a copy of sleep, ~50/s).
#
# Asserts, after a warm-up (SOAK_WARMUP_SECONDS, default a fifth of the run):
#  - every /metrics scrape shows the pair deadlocked (no missed stuck thread);
#  - no sustained growth of blockwatch's RSS (mean of the last quarter of the
#    samples within 10% or 2 MiB of the first post-warm-up quarter) nor of its
#    fd count (the last sample no higher than the highest at warm-up end);
#  - blockwatch exits 3 (a deadlock found) without a crash.
# Prints the samples to $OUT/samples.tsv and the figures on stdout.
#
# usage: bench/soak.sh BLOCKWATCH TARGETS_DIR OUT_DIR
set -eu

BW=$1
TARGETS=$2
OUT=$3
SECONDS_=${SOAK_SECONDS:-180}
WARMUP=${SOAK_WARMUP_SECONDS:-$((SECONDS_ / 5))}
PORT=${SOAK_PORT:-19464}
GO=${GO:-/usr/bin/go}

[ "$(id -u)" = 0 ] || { echo "soak: must run as root (loads BPF)" >&2; exit 1; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
pids=""
cleanup() {
	for p in $pids; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Go churn, built with Debian's Go into OUT (its own cache: nothing shared is touched).
GOCACHE="$OUT/gocache" GOPATH="$OUT/gopath" GO111MODULE=off GOFLAGS= \
	"$GO" build -o "$OUT/gochurn" "$(dirname "$0")/soak/gochurn.go"

CHURN_VERBOSE=1 "$TARGETS/thread_churn" >"$OUT/churn.out" 2>"$OUT/churn.err" &
churn=$!
pids="$pids $churn"
"$OUT/gochurn" &
gochurn=$!
pids="$pids $gochurn"
# A copy of sleep(1) named soakproc: -a --comm picks these, not the host's sleeps.
cp "$(command -v sleep)" "$OUT/soakproc"
(while :; do "$OUT/soakproc" 0.02 & "$OUT/soakproc" 0.02; wait; done) >/dev/null 2>&1 &
pids="$pids $!"

# The pair is announced before "ready".
i=0
until grep -q '^ready' "$OUT/churn.out"; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "soak: thread_churn not ready" >&2; exit 1; }
	sleep 0.05
done

"$BW" -a --comm '^(thread_churn|gochurn|soakproc|churn)$' --json --threshold 2s --interval 1s \
	--duration "${SECONDS_}s" --prometheus "127.0.0.1:$PORT" >"$OUT/report.json" 2>"$OUT/bw.err" &
bw=$!
pids="$pids $bw"

printf 't_s\trss_kb\tfds\tdeadlock_seen\n' >"$OUT/samples.tsv"
start=$(date +%s)
missed=0
scrapes=0
while kill -0 "$bw" 2>/dev/null; do
	now=$(($(date +%s) - start))
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$bw/status" 2>/dev/null || echo 0)
	fds=$(ls "/proc/$bw/fd" 2>/dev/null | wc -l)
	seen=0
	if curl -s --max-time 2 "http://127.0.0.1:$PORT/metrics" >"$OUT/metrics.txt" 2>/dev/null &&
		grep -q "^blockwatch_threads{pid=\"$churn\".*verdict=\"deadlock\"} 2\$" "$OUT/metrics.txt"; then
		seen=1
	fi
	[ -n "$rss" ] || rss=0
	printf '%s\t%s\t%s\t%s\n' "$now" "$rss" "$fds" "$seen" >>"$OUT/samples.tsv"
	if [ "$now" -ge "$WARMUP" ] && [ "$rss" -gt 0 ]; then
		scrapes=$((scrapes + 1))
		[ "$seen" = 1 ] || missed=$((missed + 1))
	fi
	cat "/proc/$bw/stat" >"$OUT/bw.stat" 2>/dev/null || true
	sleep 1
done
set +e
wait "$bw"
code=$?
set -e

awk -v warm="$WARMUP" -v missed="$missed" -v scrapes="$scrapes" -v code="$code" '
NR > 1 && $2 > 0 {
	if ($1 < warm) { if ($3 > fdwarm) fdwarm = $3; next }
	n++; t[n] = $1; rss[n] = $2; fd[n] = $3
}
END {
	if (n < 8) { print "soak: too few samples after warm-up: " n; exit 1 }
	q = int(n / 4)
	for (i = 1; i <= q; i++) a += rss[i]
	for (i = n - q + 1; i <= n; i++) b += rss[i]
	a /= q; b /= q
	for (i = 1; i <= n; i++) { if (fd[i] > fdmax) fdmax = fd[i]; if (rss[i] > rssmax) rssmax = rss[i] }
	printf "soak: %d samples after a %d s warm-up; blockwatch exit %d\n", n, warm, code
	printf "soak: RSS first quarter %.0f KB, last quarter %.0f KB (%+.1f%%), max %d KB\n", \
		a, b, (b - a) * 100 / a, rssmax
	printf "soak: fds at warm-up end %d, last %d, max %d\n", fdwarm, fd[n], fdmax
	printf "soak: deadlocked pair missing from %d of %d scrapes\n", missed, scrapes
	fail = 0
	if (b > a * 1.10 && b - a > 2048) { print "soak: FAIL: RSS grows"; fail = 1 }
	if (fdwarm && fd[n] > fdwarm) { print "soak: FAIL: fd count grows"; fail = 1 }
	if (missed > 0) { print "soak: FAIL: the deadlocked pair was missed"; fail = 1 }
	if (code != 3) { print "soak: FAIL: blockwatch exit " code ", want 3"; fail = 1 }
	exit fail
}' "$OUT/samples.tsv" || fail=1
echo "soak: thread_churn made $(tail -n 1 "$OUT/churn.err" | sed 's/churned //') threads;" \
	"blockwatch used $(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' \
	"$OUT/bw.stat" 2>/dev/null) s of CPU"
exit ${fail:-0}
