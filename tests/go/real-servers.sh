#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Real Go servers from Debian's archive, idle and healthy, must get no false
# claim: each is started with a minimal config on a loopback port, served a
# few requests, then watched by blockwatch with --threshold 15s --duration
# 20s (all at once, one blockwatch each). Fails on any goroutine called leak
# or deadlock, or an exit status other than 0. Prints what each got.
#
# usage: tests/go/real-servers.sh BLOCKWATCH [port-base (default 19510)]
# Needs root (blockwatch reads the servers' memory). A server not installed
# is a failure: make deps installs them.
set -u

BW=$1
BASE=${2:-19510}
TMP=$(mktemp -d) || exit 2
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

# get URL: one HTTP GET, 0 on a 2xx answer
get() {
	python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5).read()' \
		"$1" 2>/dev/null
}

# up URL: waits up to 30 s for the server to answer
up() {
	i=0
	while ! get "$1"; do
		i=$((i + 1))
		[ $i -ge 150 ] && return 1
		sleep 0.2
	done
}

fail=0
SERVERS="prometheus node-exporter pushgateway caddy"
P1=$BASE P2=$((BASE + 1)) P3=$((BASE + 2)) P4=$((BASE + 3)) P5=$((BASE + 4))
cat >"$TMP/prometheus.yml" <<CFG
global:
  scrape_interval: 5s
scrape_configs:
  - job_name: self
    static_configs:
      - targets: ['127.0.0.1:$P1', '127.0.0.1:$P2', '127.0.0.1:$P3']
CFG

start() { # NAME CMD...: starts a server in the background, its pid in $TMP/NAME.pid
	name=$1
	shift
	command -v "$1" >/dev/null || { echo "real-servers: $1 not installed" >&2; fail=1; return 1; }
	"$@" >"$TMP/$name.log" 2>&1 &
	echo $! >"$TMP/$name.pid"
	PIDS="$PIDS $!"
}

start prometheus prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/data" \
	--web.listen-address=127.0.0.1:$P1
start node-exporter prometheus-node-exporter --web.listen-address=127.0.0.1:$P2
start pushgateway prometheus-pushgateway --web.listen-address=127.0.0.1:$P3
# caddy parks its main goroutine in select {} below main.main (cmd.cmdRun).
cat >"$TMP/Caddyfile" <<CFG
{
	admin 127.0.0.1:$P5
	auto_https off
	storage file_system $TMP/caddy
}
http://127.0.0.1:$P4 {
	respond "ok"
}
CFG
command -v caddy >/dev/null || { echo "real-servers: caddy not installed" >&2; fail=1; }
start caddy env HOME="$TMP" XDG_CONFIG_HOME="$TMP" XDG_DATA_HOME="$TMP" \
	caddy run --config "$TMP/Caddyfile" --adapter caddyfile

for u in "http://127.0.0.1:$P1/-/ready" "http://127.0.0.1:$P2/metrics" \
	"http://127.0.0.1:$P3/metrics" "http://127.0.0.1:$P4/"; do
	up "$u" || { echo "real-servers: $u never answered" >&2; fail=1; }
done
# A few requests, then idle.
get "http://127.0.0.1:$P1/api/v1/query?query=up"
get "http://127.0.0.1:$P1/metrics"
get "http://127.0.0.1:$P2/metrics"
python3 -c 'import urllib.request as u; u.urlopen(u.Request(
	"http://127.0.0.1:'"$P3"'/metrics/job/blockwatch", data=b"some_metric 1\n", method="POST"), timeout=5)' \
	2>/dev/null || echo "real-servers: push to pushgateway failed" >&2
get "http://127.0.0.1:$P3/metrics"
get "http://127.0.0.1:$P4/"

for name in $SERVERS; do
	[ -f "$TMP/$name.pid" ] || continue
	"$BW" -p "$(cat "$TMP/$name.pid")" --threshold 15s --duration 20s --json \
		>"$TMP/$name.json" 2>"$TMP/$name.err" &
	echo $! >"$TMP/$name.bw"
done
for name in $SERVERS; do
	[ -f "$TMP/$name.bw" ] || continue
	wait "$(cat "$TMP/$name.bw")"
	rc=$?
	bad=$(grep '"type":"goroutine"' "$TMP/$name.json" | grep -c '"verdict":"\(leak\|deadlock\)"')
	summary=$(grep '"type":"goroutine"' "$TMP/$name.json" |
		sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p' | sort | uniq -c | tr '\n' ' ')
	scan=$(grep -o '"scan":{[^}]*}' "$TMP/$name.json" | head -1)
	echo "$name: exit $rc, goroutines reported: ${summary:-none} $scan"
	if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
		fail=1
		echo "FAIL: $name: exit $rc, $bad leak/deadlock goroutines" >&2
		grep '"verdict":"\(leak\|deadlock\)"' "$TMP/$name.json" | head -5 >&2
		head -5 "$TMP/$name.err" >&2
	fi
done
[ $fail -eq 0 ] && echo "real-servers: 4 passed, 0 failed" || echo "real-servers: failed" >&2
exit $fail
