#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The incident loop end to end, with the real programs:
#
#   deadlock_pair  <- blockwatch -a --comm ^deadlock_pair$ --prometheus --snapshot-dir
#                  <- Debian's prometheus (scrapes every 1s, deploy/prometheus/alerts.yml)
#                  -> Debian's prometheus-alertmanager (group_wait 1s)
#                  -> POST /alertmanager on blockwatch -> a snapshot in the dir
#
# The rules are a copy of deploy/prometheus/alerts.yml with BlockwatchDeadlock's
# `for: 1m` shortened to `for: 3s` (the only change). Checks, in order:
#   1. the new deadlock alone writes a snapshot (no alert yet), and
#      `blockwatch report` on it shows both deadlocked tids, exit 3;
#   2. the alert fires in Prometheus, Alertmanager sends its webhook, and a
#      second snapshot, written for it, appears; report: the tids, exit 3;
#   3. the target is killed: the snapshot taken before still tells the story.
# Prints the time from the alert firing (Alertmanager's startsAt) to the
# webhook's snapshot on disk, and the snapshot's size.
#
# usage: tests/prom/alert-loop.sh BLOCKWATCH DEADLOCK_PAIR     (root: loads BPF)
# Exit: 0 passed (or prometheus / alertmanager not installed: SKIP), 1 not.
set -u
bw=$1 target=$2
cd "$(dirname "$0")/../.."
timeout=60

for tool in prometheus prometheus-alertmanager python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP alert-loop: $tool not found (Debian packages prometheus," \
			"prometheus-alertmanager, python3)"
		exit 0
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "FAIL alert-loop: must run as root (loads BPF)"
	exit 1
fi

tmp=$(mktemp -d /tmp/bw-alert-loop.XXXXXX) || exit 1
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. tests/lib/tally.sh
logs() {
	local f
	for f in target blockwatch prometheus alertmanager; do
		echo "--- $f:"
		[ -f "$tmp/$f.log" ] && tail -n 15 "$tmp/$f.log"
	done
}
die() {
	fail "$*"
	logs
	echo "alert-loop: failed"
	exit 1
}

# Free ports of 127.0.0.1, distinct from one another.
ports=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
read -r bw_port prom_port am_port <<<"$ports"

# GET URL -> body on stdout; status 0 when it answered 2xx.
get() {
	python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' "$1" 2>/dev/null
}

# until COMMAND succeeds, at most $timeout seconds; WHAT names it in the failure.
wait_for() {
	local what=$1 deadline=$((SECONDS + timeout))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || die "$what: nothing after ${timeout}s"
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null || die "$what: a process exited (pid $p)"
		done
		sleep 0.2
	done
}

# ---- the target, blockwatch, Prometheus, Alertmanager ---------------------------------

"$target" >"$tmp/target.log" 2>&1 &
tpid=$!
pids+=("$tpid")
wait_for "$target ready" grep -qx ready "$tmp/target.log"
tids=$(awk '$6 == "deadlock" { print $2 }' "$tmp/target.log")
[ "$(echo "$tids" | wc -w)" = 2 ] || die "the target announced no two deadlocked threads"

mkdir "$tmp/snaps"
"$bw" -a --comm '^deadlock_pair$' --threshold 1s --prometheus "127.0.0.1:$bw_port" \
	--snapshot-dir "$tmp/snaps" --snapshot-every 2s >"$tmp/blockwatch.out" \
	2>"$tmp/blockwatch.log" &
pids+=("$!")

sed 's/^\(        for: \)1m$/\13s/' deploy/prometheus/alerts.yml >"$tmp/alerts.yml"
[ "$(diff deploy/prometheus/alerts.yml "$tmp/alerts.yml" | grep -c '^>')" = 1 ] &&
	grep -A2 'alert: BlockwatchDeadlock' "$tmp/alerts.yml" | grep -q 'for: 3s' ||
	die "could not shorten BlockwatchDeadlock's for: in a copy of alerts.yml"
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $tmp/alerts.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$am_port"]
scrape_configs:
  - job_name: blockwatch
    static_configs:
      - targets: ["127.0.0.1:$bw_port"]
EOF
cat >"$tmp/alertmanager.yml" <<EOF
route:
  receiver: blockwatch
  group_by: [alertname, pid]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: blockwatch
    webhook_configs:
      - url: http://127.0.0.1:$bw_port/alertmanager
        send_resolved: false
EOF
prometheus-alertmanager --config.file="$tmp/alertmanager.yml" --storage.path="$tmp/am" \
	--web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= \
	--log.level=warn >"$tmp/alertmanager.log" 2>&1 &
pids+=("$!")
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom" \
	--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
pids+=("$!")
echo "alert-loop: target $tpid; blockwatch 127.0.0.1:$bw_port, prometheus :$prom_port," \
	"alertmanager :$am_port"

# ---- 1. the deadlock alone writes a snapshot -------------------------------------------

# The path of the snapshot a log line written for WHY names (the last one).
snap_for() {
	sed -n "s|^blockwatch: wrote snapshot \(.*\) ($1): [0-9]* bytes\$|\1|p" \
		"$tmp/blockwatch.log" | tail -n 1
}
has_snap_for() { [ -n "$(snap_for "$1")" ]; }

# REPORT_OF FILE WHAT: blockwatch report FILE exits 3 and names both deadlocked tids.
check_report() {
	local code t bad=
	"$bw" report "$1" >"$tmp/report" 2>&1
	code=$?
	for t in $tids; do
		grep -Eq "^deadlock +$tpid +$t " "$tmp/report" || bad="$bad $t"
	done
	if [ $code = 3 ] && [ -z "$bad" ]; then
		ok "$2: report shows the deadlock of $(echo $tids), exit 3"
	else
		fail "$2: report exit $code (want 3), tids missing:${bad:- none}"
		sed 's/^/     /' "$tmp/report"
	fi
}

wait_for "a snapshot of the new deadlock" has_snap_for 'new deadlock or leak'
auto=$(snap_for 'new deadlock or leak')
if grep -q 'POST /alertmanager' "$tmp/blockwatch.log"; then
	fail "the first snapshot came after a webhook"
else
	ok "the new deadlock alone wrote $(basename "$auto") (no alert yet)"
fi
check_report "$auto" "autosnapshot"

# ---- 2. Prometheus fires, Alertmanager calls blockwatch --------------------------------

firing() {
	get "http://127.0.0.1:$prom_port/api/v1/alerts" |
		python3 -c 'import json, sys
a = [x for x in json.load(sys.stdin)["data"]["alerts"]
     if x["labels"].get("alertname") == "BlockwatchDeadlock" and x["state"] == "firing"
     and x["labels"].get("pid") == sys.argv[1]]
sys.exit(0 if a else 1)' "$tpid"
}
wait_for "BlockwatchDeadlock firing in Prometheus" firing
ok "BlockwatchDeadlock fires in Prometheus for pid $tpid"
wait_for "the webhook's snapshot" has_snap_for 'POST /alertmanager'
hooked=$(snap_for 'POST /alertmanager')
ok "Alertmanager's webhook wrote $(basename "$hooked")"
check_report "$hooked" "webhook snapshot"

# Alertmanager's startsAt of the alert, against the file's mtime.
starts_at=$(get "http://127.0.0.1:$am_port/api/v2/alerts?filter=alertname%3DBlockwatchDeadlock" |
	python3 -c 'import json, sys
a = [x for x in json.load(sys.stdin) if x["labels"].get("pid") == sys.argv[1]]
print(a[0]["startsAt"] if a else "")' "$tpid")
python3 - "$starts_at" "$hooked" <<'EOF' || fail "no startsAt in Alertmanager's alerts"
import datetime, os, re, sys
s = sys.argv[1]
if not s:
    sys.exit(1)
# RFC 3339 with up to nanoseconds: keep microseconds for fromisoformat.
m = re.match(r"(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", s)
frac = (m.group(2) or ".0")[:7].ljust(7, "0")
tz = "+00:00" if m.group(3) == "Z" else m.group(3)
t0 = datetime.datetime.fromisoformat(m.group(1) + frac + tz).timestamp()
st = os.stat(sys.argv[2])
print("alert-loop: alert firing (startsAt %s) -> snapshot on disk: %.3f s; snapshot %d bytes"
      % (s, st.st_mtime - t0, st.st_size))
EOF

# ---- 3. the target dies: the snapshot still tells -------------------------------------

kill -KILL "$tpid"
{ wait "$tpid"; } 2>/dev/null
pids=("${pids[@]:1}") # the target first: the others must live on
gone() { ! kill -0 "$tpid" 2>/dev/null; }
wait_for "the target gone" gone
ok "target $tpid killed"
check_report "$hooked" "after the kill, the webhook snapshot"
check_report "$auto" "after the kill, the autosnapshot"

tally_end alert-loop
