#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Sanity check of the Go end-to-end targets themselves, against the Go
# runtime's own view: runs each target built by build-targets.sh, waits for
# its "ready" line, sends SIGQUIT (with GOTRACEBACK=all the runtime prints
# every goroutine and exits with status 2) and checks each announcement
#
#	goid N role R expect E wait W func F created C
#
# and each shape of a "ready NAME=EXPECT,FUNC,COUNT ..." line (at least
# COUNT goroutines with FUNC on their stacks) against the dump: goroutine N is there, its header shows wait reason W
# (not checked for W "-"; for E "none" a goroutine caught running or
# runnable passes too), F is one of its frames (unless its stack is
# unavailable: running on another thread), and its "created by" names C
# (none for C "-"). Prints the wait reasons seen per Go version at the end.
#
# usage: tests/go/check-targets.sh [targets-dir (default .output/go-targets)] [filter...]
#        a filter is a substring of "go1.X/<binary>", e.g. go1.21/ or -pie or healthy
# env:   V=1 also prints each announced goroutine with the reason the dump shows
# Exits 1 on any mismatch, 2 if there is nothing to check.
set -u

DIR=${1:-.output/go-targets}
[ $# -gt 0 ] && shift
READY_S=15
EXIT_S=10

[ -d "$DIR" ] || { echo "check-targets: no $DIR (run tests/go/build-targets.sh)" >&2; exit 2; }
TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT
: >"$TMP/reasons"

# alive PID: the process exists and is not a zombie
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$state" != Z ]
}

# wanted NAME: NAME (go1.X/<binary>) matches one of the filters, or there are none
wanted() {
	[ $# -eq 1 ] && return 0
	n=$1
	shift
	for f in "$@"; do
		case "$n" in *"$f"*) return 0 ;; esac
	done
	return 1
}

# compare ANNOUNCEMENTS DUMP VERSION: prints mismatches, appends "VERSION reason" lines
# to $TMP/reasons; exits 1 on a mismatch
compare() {
	awk -v ver="$3" -v reasons="$TMP/reasons" -v verbose="${V:-0}" '
	FNR == 1 { file++ }
	file == 1 {
		if ($0 == "") { cur = ""; next }
		if ($1 == "goroutine" && $2 ~ /^[0-9]+$/ && match($0, /\[[^]]*\]/)) {
			cur = $2
			r = substr($0, RSTART + 1, RLENGTH - 2)
			sub(/, .*/, "", r)
			reason[cur] = r
			funcs[cur] = "|"
			created[cur] = ""
			next
		}
		if (cur == "" || substr($0, 1, 1) == "\t" || substr($0, 1, 3) == "...") next
		if (substr($0, 1, 11) == "created by ") {
			c = substr($0, 12)
			sub(/ in goroutine [0-9]+$/, "", c)
			created[cur] = c
			next
		}
		f = $0
		sub(/\([^()]*\)$/, "", f)
		funcs[cur] = funcs[cur] f "|"
		next
	}
	$0 == "ready" { ready = 1; next }
	$1 == "ready" {
		# shapes: "ready NAME=EXPECT,FUNC,COUNT ...", COUNT goroutines with FUNC
		ready = 1
		for (i = 2; i <= NF; i++) {
			n++
			if (split($i, kv, "=") != 2 || split(kv[2], sh, ",") != 3) {
				print "bad shape " $i; bad = 1; continue
			}
			have = 0
			for (id in funcs)
				if (index(funcs[id], "|" sh[2] "|")) have++
			if (verbose == 1) printf "  %-17s %-8s %d x %s\n", kv[1], sh[1], sh[3], sh[2]
			if (have < sh[3]) {
				print "shape " kv[1] ": " have " goroutines with " sh[2] ", announced " sh[3]
				bad = 1
			}
		}
		next
	}
	$1 == "goid" {
		id = $2; role = $4; expect = $6
		# the wait reason may hold spaces (even " wait "): it ends at " func "
		w = substr($0, index($0, " wait ") + 6)
		fn = substr(w, index(w, " func ") + 6)
		w = substr(w, 1, index(w, " func ") - 1)
		by = substr(fn, index(fn, " created ") + 9)
		fn = substr(fn, 1, index(fn, " created ") - 1)
		n++
		what = "goroutine " id " (" role ")"
		if (!(id in reason)) { print what ": not in the dump"; bad = 1; next }
		r = reason[id]
		print ver " " r >>reasons
		if (verbose == 1) printf "  %-17s %-8s [%s] %s < %s\n", role, expect, r, fn, by
		if (w != "-" && r != w && !(expect == "none" && (r == "running" || r == "runnable"))) {
			print what ": [" r "], announced [" w "]"; bad = 1
		}
		if (funcs[id] != "|" && index(funcs[id], "|" fn "|") == 0) {
			print what ": no " fn " on the stack " funcs[id]; bad = 1
		}
		if ((by == "-" && created[id] != "") || (by != "-" && created[id] != by)) {
			print what ": created by \"" created[id] "\", announced \"" by "\""; bad = 1
		}
		next
	}
	{ print "unexpected output line: " $0; bad = 1 }
	END {
		if (!ready) { print "no ready line"; bad = 1 }
		if (n == 0) { print "no announcement"; bad = 1 }
		exit bad
	}' "$2" "$1"
}

fail=0 count=0 nfailed=0 failed=""
for bin in "$DIR"/go1.*/*; do
	case "$bin" in *.log | *.tmp | */GOROOT) continue ;; esac
	if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
		continue
	fi
	ver=$(basename "$(dirname "$bin")")
	name="$ver/$(basename "$bin")"
	wanted "$name" "$@" || continue
	count=$((count + 1))
	out="$TMP/out" err="$TMP/err"
	: >"$out" && : >"$err" || exit 2 # before the child opens them: grep reads $out at once
	# A background job of a script starts with SIGQUIT ignored; the Go runtime
	# installs its own handler anyway.
	GOTRACEBACK=all "$bin" >"$out" 2>"$err" &
	pid=$!
	why=""
	i=0
	while ! grep -Eq '^ready( |$)' "$out"; do
		if ! alive $pid; then
			why="exited before ready"
			break
		fi
		if [ $i -ge $((READY_S * 20)) ]; then
			why="no ready within ${READY_S}s"
			break
		fi
		i=$((i + 1))
		sleep 0.05
	done
	[ -z "$why" ] && kill -QUIT $pid
	i=0
	while alive $pid && [ $i -lt $((EXIT_S * 20)) ]; do
		i=$((i + 1))
		sleep 0.05
	done
	alive $pid && kill -KILL $pid
	wait $pid
	rc=$?
	if [ -z "$why" ]; then
		if [ $rc -ne 2 ] || ! grep -q '^SIGQUIT: quit' "$err"; then
			why="no goroutine dump after SIGQUIT (exit status $rc)"
		elif ! compare "$out" "$err" "$ver" >"$TMP/diff"; then
			why=$(cat "$TMP/diff")
		elif [ "${V:-0}" = 1 ]; then
			cat "$TMP/diff"
		fi
	fi
	if [ -z "$why" ]; then
		echo "ok: $name ($(grep -c '^goid ' "$out") goroutines)"
	else
		fail=1
		nfailed=$((nfailed + 1))
		failed="$failed $name"
		echo "FAIL: $name: $why" >&2
		sed 's/^/  stdout: /' "$out" >&2
		head -c 2000 "$err" | sed 's/^/  stderr: /' >&2
	fi
done

[ $count -gt 0 ] || { echo "check-targets: no target matched in $DIR" >&2; exit 2; }
echo "wait reasons seen:"
sort -u "$TMP/reasons" | awk '
	$1 != v { if (v != "") print line; v = $1; line = "  " v ":"; sep = " " }
	{ r = $0; sub(/^[^ ]* /, "", r); line = line sep r; sep = ", " }
	END { if (v != "") print line }'
if [ $fail -ne 0 ]; then
	echo "check-targets: $nfailed of $count failed:$failed" >&2
	exit 1
fi
echo "check-targets: all $count passed"
