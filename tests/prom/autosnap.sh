#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# --snapshot-dir and the write endpoints against the real tool, watching a
# deadlocked pair:
#   - the endpoints: 200 with the file's name, 400 (bad pid, bad JSON, another
#     webhook version), 404 (a pid not watched), 405, 413 (a body over 1 MiB),
#     each refusal one line on stderr; nothing a request sends reaches a path;
#   - --snapshot-keep: only the newest of ours stay, other files are left alone;
#   - a listener on every address: POSTs refused (403) without --http-token,
#     401 without or with a wrong bearer token, 200 with the right one;
#   - a full disk (a 64k tmpfs): full of bytes (the free-space check) and out of
#     inodes (the write itself fails): one "skipped snapshot ...: No space left
#     on device" line a process, and the watch goes on to its report (exit 3).
#
# usage: tests/prom/autosnap.sh BLOCKWATCH DEADLOCK_PAIR    (root: BPF, mount)
# Exit: 0 passed, 1 not.
set -u
bw=$1 target=$2
timeout=30

if [ "$(id -u)" != 0 ]; then
	echo "FAIL autosnap: must run as root (loads BPF, mounts a tmpfs)"
	exit 1
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP autosnap: python3 not found"
	exit 0
fi

tmp=$(mktemp -d /tmp/bw-autosnap.XXXXXX) || exit 1
pids=()
mnt=
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/../lib/tally.sh"
die() {
	fail "$*"
	[ -f "$tmp/bw.log" ] && tail -n 20 "$tmp/bw.log"
	exit 1
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# HTTP METHOD URL [BODY_FILE [HEADER]] -> prints "STATUS BODY"; the body's first line only.
http() {
	python3 - "$@" <<'EOF'
import sys, urllib.error, urllib.request
method, url = sys.argv[1], sys.argv[2]
data = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 and sys.argv[3] else None
req = urllib.request.Request(url, data=data, method=method)
if len(sys.argv) > 4:
    k, v = sys.argv[4].split(": ", 1)
    req.add_header(k, v)
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        status, body = r.status, r.read()
except urllib.error.HTTPError as e:
    status, body = e.code, e.read()
except Exception as e:
    status, body = 0, str(e).encode()
print(status, (body.decode(errors="replace").splitlines() or [""])[0])
EOF
}

# expect WANT_STATUS WHAT METHOD URL [BODY_FILE [HEADER]]: the status, and prints the body.
expect() {
	local want=$1 what=$2 got
	shift 2
	got=$(http "$@")
	if [ "${got%% *}" = "$want" ]; then
		ok "$what: $got"
	else
		fail "$what: got \"$got\", want $want"
	fi
	last_body=${got#* }
}

wait_for() {
	local what=$1 deadline=$((SECONDS + timeout))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || die "$what: nothing after ${timeout}s"
		sleep 0.1
	done
}

count() { grep -c "$1" "$tmp/bw.log"; }
our_files() { find "$1" -maxdepth 1 -name 'blockwatch-*.snap' | wc -l; }

"$target" >"$tmp/target.log" 2>&1 &
tpid=$!
pids+=("$tpid")
wait_for "the target ready" grep -qx ready "$tmp/target.log"

# ---- the endpoints on loopback, and --snapshot-keep ---------------------------------

dir=$tmp/snaps
mkdir "$dir"
echo keep >"$dir/notes.txt"
echo keep >"$dir/blockwatch-other.snap"
port=$(free_port)
"$bw" -p "$tpid" -t 1s --prometheus "127.0.0.1:$port" --snapshot-dir "$dir" \
	--snapshot-keep 2 >"$tmp/bw.out" 2>"$tmp/bw.log" &
bwpid=$!
pids+=("$bwpid")
base=http://127.0.0.1:$port
auto_written() { [ "$(count '(new deadlock or leak)')" -ge 1 ]; }
wait_for "the autosnapshot" auto_written
ok "the new deadlock wrote a snapshot by itself"

expect 200 "POST /snapshot?pid=$tpid" POST "$base/snapshot?pid=$tpid"
name=$last_body
case $name in
blockwatch-$tpid-deadlock_pair-*.snap) [ -f "$dir/$name" ] && ok "$name is in the dir" ||
	fail "$name is not in $dir" ;;
*) fail "not a snapshot name: $name" ;;
esac
refusals=$(count 'refused')
expect 200 "a name= in the query goes nowhere" POST "$base/snapshot?pid=$tpid&name=../../evil"
[ ! -e "$tmp/evil" ] && [ -z "$(find "$tmp" -name '*evil*')" ] && ok "no file named by the request" ||
	fail "a file named by the request"
expect 400 "bad pid" POST "$base/snapshot?pid=12ab"
expect 400 "pid 0" POST "$base/snapshot?pid=0"
expect 400 "no pid" POST "$base/snapshot"
expect 404 "a pid not watched" POST "$base/snapshot?pid=1"
expect 405 "GET /snapshot" GET "$base/snapshot"
printf '{not json' >"$tmp/bad.json"
expect 400 "bad JSON" POST "$base/alertmanager" "$tmp/bad.json"
printf '{"version":"3","alerts":[]}' >"$tmp/v3.json"
expect 400 "webhook version 3" POST "$base/alertmanager" "$tmp/v3.json"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$tmp/big.json"
expect 413 "a body over 1 MiB" POST "$base/alertmanager" "$tmp/big.json"
expect 405 "POST /other" POST "$base/other"
printf '{"version":"4","status":"firing","alerts":[{"status":"resolved","labels":{"pid":"%s"}},{"status":"firing","labels":{"alertname":"x"}}]}' \
	"$tpid" >"$tmp/none.json"
expect 200 "a webhook naming no firing process" POST "$base/alertmanager" "$tmp/none.json"
case $last_body in *'"snapshots":[]'*) ok "no snapshot for it" ;; *) fail "snapshots: $last_body" ;; esac
got=$(($(count 'refused') - refusals))
# 400 x5, 404, 405 x2, 413.
[ "$got" = 9 ] && ok "one log line for each of the 9 refusals" || fail "$got refusal lines, want 9"
expect 200 "GET /metrics still served" GET "$base/metrics"
expect 200 "another POST /snapshot" POST "$base/snapshot?pid=$tpid"
[ "$(our_files "$dir")" = 3 ] && [ -f "$dir/notes.txt" ] &&
	ok "--snapshot-keep 2: two of ours, the other files left alone" ||
	fail "--snapshot-keep 2: $(ls "$dir" | tr '\n' ' ')"
kill -TERM "$bwpid"
wait "$bwpid"
code=$?
[ $code = 3 ] && ok "SIGTERM: the report, exit 3" || fail "SIGTERM: exit $code, want 3"

# ---- a listener on every address: token or nothing ------------------------------------

port=$(free_port)
"$bw" -p "$tpid" -t 1s --prometheus ":$port" --snapshot-dir "$dir" >"$tmp/bw.out" \
	2>"$tmp/bw.log" &
bwpid=$!
pids+=("$bwpid")
base=http://127.0.0.1:$port
up() { [ "$(http GET "$base/metrics" | cut -d' ' -f1)" = 200 ]; }
wait_for "/metrics on :$port" up
expect 403 "POST on :PORT without --http-token" POST "$base/snapshot?pid=$tpid"
kill -TERM "$bwpid"
wait "$bwpid"

printf 's3cret-token\n' >"$tmp/token"
port=$(free_port)
"$bw" -p "$tpid" -t 1s --prometheus ":$port" --snapshot-dir "$dir" --http-token "$tmp/token" \
	>"$tmp/bw.out" 2>"$tmp/bw.log" &
bwpid=$!
pids+=("$bwpid")
base=http://127.0.0.1:$port
wait_for "/metrics on :$port" up
expect 401 "no bearer token" POST "$base/snapshot?pid=$tpid"
expect 401 "a wrong token" POST "$base/snapshot?pid=$tpid" "" "Authorization: Bearer s3cret-tokeN"
expect 401 "a longer token" POST "$base/snapshot?pid=$tpid" "" "Authorization: Bearer s3cret-token2"
expect 200 "the right token" POST "$base/snapshot?pid=$tpid" "" "Authorization: Bearer s3cret-token"
kill -TERM "$bwpid"
wait "$bwpid"

# ---- a full disk -----------------------------------------------------------------------

mnt=$tmp/full
mkdir "$mnt"
if ! mount -t tmpfs -o size=64k,nr_inodes=64,mode=0700 blockwatch-test "$mnt"; then
	fail "mount -t tmpfs -o size=64k"
	mnt=
else
	# Every byte taken: the free-space check refuses.
	dd if=/dev/zero of="$mnt/fill" bs=4k 2>/dev/null
	timeout 30 "$bw" -p "$tpid" -t 1s -d 4s --snapshot-dir "$mnt" >"$tmp/bw.out" \
		2>"$tmp/bw.log"
	code=$?
	n=$(grep -c "^blockwatch: skipped snapshot $mnt/blockwatch-$tpid-.*: No space left on device\$" \
		"$tmp/bw.log")
	[ "$n" = 1 ] && ok "a full tmpfs: one skipped-snapshot line" ||
		fail "a full tmpfs: $n skipped-snapshot lines, want 1: $(cat "$tmp/bw.log")"
	[ $code = 3 ] && grep -q '^deadlock ' "$tmp/bw.out" &&
		ok "a full tmpfs: the watch went on to its report, exit 3" ||
		fail "a full tmpfs: exit $code, want 3 and the report"
	[ "$(our_files "$mnt")" = 0 ] && [ -z "$(ls "$mnt" | grep -v '^fill$')" ] &&
		ok "a full tmpfs: nothing left behind" || fail "left in $mnt: $(ls "$mnt")"

	# Bytes free, inodes not: the write itself fails, same line.
	rm -f "$mnt/fill"
	i=0
	while touch "$mnt/i$i" 2>/dev/null; do i=$((i + 1)); done
	timeout 30 "$bw" -p "$tpid" -t 1s -d 4s --snapshot-dir "$mnt" >"$tmp/bw.out" \
		2>"$tmp/bw.log"
	code=$?
	n=$(grep -c "^blockwatch: skipped snapshot $mnt/blockwatch-$tpid-.*: No space left on device\$" \
		"$tmp/bw.log")
	[ "$n" = 1 ] && ok "a tmpfs out of inodes: one skipped-snapshot line" ||
		fail "a tmpfs out of inodes: $n skipped-snapshot lines, want 1: $(cat "$tmp/bw.log")"
	[ $code = 3 ] && ok "a tmpfs out of inodes: the watch went on, exit 3" ||
		fail "a tmpfs out of inodes: exit $code, want 3"
	[ "$(our_files "$mnt")" = 0 ] && ok "a tmpfs out of inodes: no snapshot file" ||
		fail "left in $mnt: $(ls "$mnt")"
	umount "$mnt" && mnt=
fi

tally_end autosnap
