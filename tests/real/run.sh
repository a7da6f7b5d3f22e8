#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Real programs from Debian's archive, idle and healthy, watched as a user
# would: --threshold 15s --duration 20s --json. Each must get no leak and no
# deadlock, and blockwatch must exit 0. The stuck threads left are listed.
#
# usage: run.sh BLOCKWATCH [PORT]   (PORT: redis-server's, default 19201)
set -u
bw=$1
port=${2:-19201}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/bw-real.XXXXXX)
pids=""
fail=0

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# wait_for FILE WORD SECONDS: until FILE has a line WORD.
wait_for() {
	i=0
	while ! grep -qx "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($3 * 10)) ] && return 1
		sleep 0.1
	done
}

# check NAME PID: watch it and judge the JSON lines.
check() {
	name=$1
	pid=$2
	"$bw" -p "$pid" --threshold 15s --duration 20s --json >"$tmp/$name.json" 2>"$tmp/$name.err"
	code=$?
	python3 - "$name" "$code" "$tmp/$name.json" <<'PY'
import json, sys
name, code, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
recs = [json.loads(l) for l in open(path)]
threads = [r for r in recs if r.get("type") == "thread"]
count = {}
for t in threads:
    count[t["verdict"]] = count.get(t["verdict"], 0) + 1
bad = [t for t in threads if t["verdict"] in ("leak", "deadlock")]
stuck = [t for t in threads if t["verdict"] == "stuck"]
print("real: %s: exit %d, %s" % (name, code, ", ".join("%d %s" % (n, v) for v, n in sorted(count.items()))))
for t in stuck:
    print("real: %s: stuck %d %s on %s: %s" % (name, t["tid"], t["comm"], t["wait"], t.get("why", "")))
for t in bad:
    print("real: %s: FAIL %s %d %s on %s: %s" % (name, t["verdict"], t["tid"], t["comm"], t["wait"], t.get("why", "")))
if not threads:
    print("real: %s: FAIL no thread reported (nothing blocked 15 s?)" % name)
sys.exit(1 if bad or code != 0 or not threads else 0)
PY
	[ $? -eq 0 ] || { fail=1; sed 's/^/real: stderr: /' "$tmp/$name.err"; }
}

# CPython: a ThreadPoolExecutor that ran tasks and a queue.Queue consumer.
/usr/bin/python3 "$here/idle_pool.py" >"$tmp/py.out" 2>&1 &
pids="$pids $!"
if wait_for "$tmp/py.out" ready 30; then check python "$!"; else echo "real: FAIL python not ready"; fail=1; fi

# redis-server on our port, its own dir and config, in the foreground.
mkdir -p "$tmp/redis"
printf 'port %s\nbind 127.0.0.1\ndir %s/redis\nsave ""\nappendonly no\ndaemonize no\n' \
	"$port" "$tmp" >"$tmp/redis.conf"
/usr/bin/redis-server "$tmp/redis.conf" >"$tmp/redis.out" 2>&1 &
rpid=$!
pids="$pids $rpid"
i=0
until [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; do
	i=$((i + 1))
	[ $i -gt 300 ] && break
	sleep 0.1
done
if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
	for k in 1 2 3 4 5; do redis-cli -p "$port" set "k$k" "v$k" >/dev/null; done
	redis-cli -p "$port" del k1 k2 >/dev/null
	check redis "$rpid"
else
	echo "real: FAIL redis-server not answering on $port"
	fail=1
fi

# The JVM: an ExecutorService that ran tasks (java runs the source file).
java "$here/Idle.java" >"$tmp/java.out" 2>&1 &
jpid=$!
pids="$pids $jpid"
if wait_for "$tmp/java.out" ready 120; then check java "$jpid"; else echo "real: FAIL java not ready"; fail=1; fi

exit $fail
