#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# blockwatch's own reports in Python's terms: blockwatch --json runs on each
# Python target (tests/python/targets/*.py), then the target's faulthandler
# dumps its threads (SIGUSR1), and every thread's frames with
# "lang":"python" must be faulthandler's, function, file and line, one for
# one (tests/python/report-frames.py; threads tied by the idents and tids
# the target prints). Then: --no-python shows no Python frame, and a
# version without a layout keeps its C frames with one line on stderr.
#
# Versions: 3.11 as Debian ships it (/usr/bin/python3.11, debug files from
# python3.11-dbg), run as is and embedded (tests/python/embed loading
# libpython3.11.so). 3.13 and 3.14 from the cache tests/python/fetch-pythons.sh
# fills, each run as is, where the unwinder has only .dynsym (this host's
# /usr/lib/debug has no debug file of theirs): 3.14's cold part of the eval
# loop is then unnamed, and found by the stack range of each activation's
# shim frame; and embedded, their libpython copied with its debug file beside
# it (the .gnu_debuglink name), where the unwinder names
# _PyEval_EvalFrameDefault.cold from .symtab.
#
# usage: tests/python/check-report.sh BLOCKWATCH EMBED WORKDIR [PYTHONS_CACHE]
set -u

BW=$1
EMBED=$2
WORK=$3
CACHE=${4:-/var/cache/blockwatch/pythons}
HERE=$(cd "$(dirname "$0")" && pwd)
VERSIONS=${BW_PY_VERSIONS:-"3.11 3.13 3.14"}
READY_S=20

mkdir -p "$WORK" || exit 2
WORK=$(cd "$WORK" && pwd)
passed=0
failed=0
skipped=0

. "$HERE/wait.sh"

# Starts a target: label, PYTHONHOME ("" for none), then the command; sets pid, tag, out.
start() {
	s_label=$1
	s_home=$2
	shift 2
	tag=$(echo "$s_label" | tr ' /' '__')
	out="$WORK/$tag.stdout"
	fh="$WORK/$tag.faulthandler"
	rm -f "$out" "$fh"
	if [ -n "$s_home" ]; then
		PYTHONHOME=$s_home "$@" "$fh" >"$out" 2>"$WORK/$tag.stderr" &
	else
		"$@" "$fh" >"$out" 2>"$WORK/$tag.stderr" &
	fi
	pid=$!
	if ! wait_ready $pid "$out"; then
		echo "FAIL: $s_label: the target did not say ready (see $WORK/$tag.stderr)"
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		failed=$((failed + 1))
		return 1
	fi
	return 0
}

stop() {
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
}

# Every target of one interpreter: label, PYTHONHOME, then the command before the script.
check() {
	c_label=$1
	c_home=$2
	shift 2
	for script in "$HERE"/targets/*.py; do
		name="$c_label $(basename "$script")"
		start "$name" "$c_home" "$@" "$script" || continue
		json="$WORK/$tag.json"
		"$BW" -p $pid --json --threshold 100ms --duration 1s >"$json" 2>"$WORK/$tag.bw.err"
		rc=$?
		kill -USR1 $pid
		wait_dump "$fh"
		stop
		if [ $rc != 0 ]; then
			echo "FAIL: $name: blockwatch exited $rc: $(head -3 "$WORK/$tag.bw.err")"
			failed=$((failed + 1))
			continue
		fi
		if res=$(python3 "$HERE/report-frames.py" "$json" "$fh" "$out" 2>&1); then
			echo "ok: $name: $res"
			passed=$((passed + 1))
		else
			echo "FAIL: $name: blockwatch's frames differ from faulthandler's:"
			echo "$res" | head -20
			failed=$((failed + 1))
		fi
	done
}

# --no-python: the eval loop's C frames, no Python frame.
check_no_python() { # label home command...
	n_label=$1
	n_home=$2
	shift 2
	start "$n_label --no-python" "$n_home" "$@" "$HERE/targets/parked.py" || return
	json="$WORK/$tag.json"
	"$BW" -p $pid --json --no-python --threshold 100ms --duration 1s >"$json" 2>"$WORK/$tag.bw.err"
	rc=$?
	stop
	py=$(grep -c '"lang":"python"' "$json")
	eval_frames=$(grep -o '"func":"_PyEval_EvalFrameDefault[^"]*"' "$json" | wc -l)
	if [ $rc = 0 ] && [ "$py" = 0 ] && [ "$eval_frames" -gt 0 ]; then
		echo "ok: $n_label --no-python: $eval_frames eval-loop C frames, no python frame"
		passed=$((passed + 1))
	else
		echo "FAIL: $n_label --no-python: exit $rc, $py lines with python frames," \
			"$eval_frames eval-loop frames"
		failed=$((failed + 1))
	fi
}

# A copy of a library with its debug file beside it, by its .gnu_debuglink name.
with_debug() { # lib debug_root dir
	mkdir -p "$3"
	cp "$1" "$3/" || return 1
	link=$(readelf --string-dump=.gnu_debuglink "$1" 2>/dev/null | awk '/\[ *0\]/ { print $3 }')
	id=$(readelf -n "$1" 2>/dev/null | awk '/Build ID/ { print $3 }')
	dbg=$2/.build-id/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-).debug
	[ -n "$link" ] && [ -f "$dbg" ] && ln -sf "$dbg" "$3/$link"
}

for v in $VERSIONS; do
	if [ "$v" = 3.11 ]; then
		exe=/usr/bin/python3.11
		lib=/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0
		home=
		if [ ! -x "$exe" ]; then
			echo "skip: python3.11 not installed (make deps)"
			skipped=$((skipped + 1))
			continue
		fi
		check "python$v" "" "$exe"
		check_no_python "python$v" "" "$exe"
		[ -f "$lib" ] && check "python$v embedded" "" "$EMBED" "$lib"
		continue
	fi
	base=$CACHE/python$v
	exe=$base/usr/bin/python$v
	lib=$base/usr/lib/x86_64-linux-gnu/libpython$v.so.1.0
	home=$base/usr
	if [ ! -x "$exe" ] || [ ! -f "$lib" ]; then
		echo "skip: python$v not fetched (make python-pythons)"
		skipped=$((skipped + 1))
		continue
	fi
	check "python$v" "" "$exe"
	# The newer libpython needs its own glibc: the program loads through it too.
	ld=$(patchelf --print-interpreter "$exe")
	embed=$WORK/embed-$v
	cp "$EMBED" "$embed" && patchelf --set-interpreter "$ld" --force-rpath \
		--set-rpath "$base/usr/lib/x86_64-linux-gnu" "$embed"
	if ! with_debug "$lib" "$base/usr/lib/debug" "$WORK/lib-$v"; then
		echo "FAIL: python$v: no debug file for $lib"
		failed=$((failed + 1))
		continue
	fi
	check "python$v embedded" "$home" "$embed" "$WORK/lib-$v/$(basename "$lib")"
	check_no_python "python$v embedded" "$home" "$embed" "$WORK/lib-$v/$(basename "$lib")"
done

# A version without a layout: python3.11 whose Py_Version says 3.12 (as in
# check-frames.sh). The report keeps C frames and says so once on stderr.
fake=$WORK/python3.12-fake
if fake_python312 "$fake"; then
	if start "python3.11 saying 3.12" /usr "$fake" "$HERE/targets/parked.py"; then
		json="$WORK/$tag.json"
		"$BW" -p $pid --json --threshold 100ms --duration 1s >"$json" 2>"$WORK/$tag.bw.err"
		rc=$?
		stop
		notes=$(grep -c 'python 3.12 has no known layout (C frames only)' "$WORK/$tag.bw.err")
		py=$(grep -c '"lang":"python"' "$json")
		eval_frames=$(grep -o '"func":"_PyEval_EvalFrameDefault"' "$json" | wc -l)
		if [ $rc = 0 ] && [ "$notes" = 1 ] && [ "$py" = 0 ] && [ "$eval_frames" -gt 0 ]; then
			echo "ok: python3.11 saying 3.12: C frames ($eval_frames eval-loop), one notice:" \
				"$(head -1 "$WORK/$tag.bw.err")"
			passed=$((passed + 1))
		else
			echo "FAIL: python3.11 saying 3.12: exit $rc, $notes notices, $py lines with" \
				"python frames, $eval_frames eval-loop frames: $(head -2 "$WORK/$tag.bw.err")"
			failed=$((failed + 1))
		fi
	fi
else
	echo "skip: no Py_Version in /usr/bin/python3.11 to make a 3.12 of"
	skipped=$((skipped + 1))
fi

echo "python report: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
