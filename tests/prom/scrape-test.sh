#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A real Prometheus scrapes a /metrics endpoint and answers queries on it.
#
#   tests/prom/scrape-test.sh [--expect PROMQL]... [--timeout SEC] -- CMD [ARG...]
#
# Starts CMD with every "@ADDR@" in its arguments replaced by 127.0.0.1:PORT
# (a free port), then Debian's prometheus on another free port of 127.0.0.1
# with a temporary config (scrape every 1s, deploy/prometheus/alerts.yml as
# its rules) and storage in a temporary folder; waits, bounded, until the
# target is up, then until each PROMQL returns a non-empty result (so
# `sum(x) == 2` checks a value). Without --expect: `blockwatch_threads` and
# `blockwatch_scans_total >= 1`. Everything it started is stopped at exit.
#
#   tests/prom/scrape-test.sh -- .output/prom-serve @ADDR@
#   sudo tests/prom/scrape-test.sh -- ./blockwatch -a --prometheus @ADDR@ --threshold 1s
#
# Exit: 0 every check passed (or prometheus is not installed: SKIP), 1 not.
set -u

cd "$(dirname "$0")/../.."
repo=$(pwd)
expects=()
timeout=60

while [ $# -gt 0 ]; do
	case "$1" in
	--expect) expects+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [--expect PROMQL]... [--timeout SEC] -- CMD [ARG...]" >&2; exit 1 ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "usage: $0 [--expect PROMQL]... [--timeout SEC] -- CMD [ARG...]" >&2
	exit 1
fi
[ ${#expects[@]} -gt 0 ] || expects=('blockwatch_threads' 'blockwatch_scans_total >= 1')

for tool in prometheus python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP scrape-test: $tool not found (Debian package prometheus / python3)"
		exit 0
	fi
done

tmp=$(mktemp -d /tmp/bw-scrape.XXXXXX)
target_pid=
prom_pid=
cleanup() {
	[ -n "$target_pid" ] && kill "$target_pid" 2>/dev/null && wait "$target_pid" 2>/dev/null
	[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# PROMQL -> prints the result (JSON); status 0 when it is not empty.
query() {
	python3 - "$prom_port" "$1" <<'EOF'
import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?%s" % (
    sys.argv[1], urllib.parse.urlencode({"query": sys.argv[2]}))
try:
    with urllib.request.urlopen(url, timeout=5) as r:
        body = json.load(r)
except Exception as e:
    print("query failed: %s" % e)
    sys.exit(2)
res = body.get("data", {}).get("result", [])
print(json.dumps(res)[:2000])
sys.exit(0 if res else 1)
EOF
}

logs() {
	echo "--- target output:"
	tail -n 20 "$tmp/target.log"
	echo "--- prometheus output:"
	tail -n 20 "$tmp/prometheus.log"
}

alive() {
	if ! kill -0 "$target_pid" 2>/dev/null; then
		echo "FAIL scrape-test: the target exited"
		logs
		exit 1
	fi
	if ! kill -0 "$prom_pid" 2>/dev/null; then
		echo "FAIL scrape-test: prometheus exited"
		logs
		exit 1
	fi
}

# Waits until PROMQL returns something, at most $timeout seconds.
wait_for() {
	local deadline=$((SECONDS + timeout)) out
	while :; do
		alive
		if out=$(query "$1"); then
			echo "ok   $1: $out"
			return 0
		fi
		if [ $SECONDS -ge $deadline ]; then
			echo "FAIL $1: nothing after ${timeout}s: $out"
			logs
			return 1
		fi
		sleep 0.5
	done
}

target_port=$(free_port)
prom_port=$(free_port)
while [ "$prom_port" = "$target_port" ]; do
	prom_port=$(free_port)
done

cmd=()
for arg in "$@"; do
	cmd+=("${arg//@ADDR@/127.0.0.1:$target_port}")
done
"${cmd[@]}" >"$tmp/target.log" 2>&1 &
target_pid=$!

cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $repo/deploy/prometheus/alerts.yml
scrape_configs:
  - job_name: blockwatch
    static_configs:
      - targets: ["127.0.0.1:$target_port"]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!

echo "scrape-test: target \"${cmd[*]}\" scraped at 127.0.0.1:$target_port;" \
	"prometheus at 127.0.0.1:$prom_port"
failed=0
wait_for 'up{job="blockwatch"} == 1' || exit 1
for e in "${expects[@]}"; do
	wait_for "$e" || failed=$((failed + 1))
done
# The exposition itself, as promtool's linter reads it.
if python3 -c 'import sys, urllib.request
sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=5).read())' \
	"http://127.0.0.1:$target_port/metrics" >"$tmp/metrics" &&
	promtool check metrics <"$tmp/metrics" >"$tmp/lint" 2>&1; then
	echo "ok   promtool check metrics ($(grep -vc '^#' "$tmp/metrics") samples)"
else
	echo "FAIL promtool check metrics:"
	cat "$tmp/lint"
	failed=$((failed + 1))
fi
echo "scrape-test: $((${#expects[@]} + 2 - failed)) passed, $failed failed"
[ $failed -eq 0 ]
