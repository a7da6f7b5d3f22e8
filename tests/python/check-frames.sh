#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Python frames blockwatch reads from a CPython process's memory, checked
# against the interpreter's own dump of the same threads: each target
# (tests/python/targets/*.py) registers faulthandler on SIGUSR1 with
# all_threads=True, says "ready" once its threads are parked, then the
# driver (pyframes) reads it, the signal makes faulthandler dump, and the
# two must agree thread by thread (pthread id) on every frame's file, line
# and function name.
#
# Where Debian's austin runs (trixie's 3.7, fetched with the interpreters:
# it knows 3.11 to 3.13), `austin -w PID` is a second oracle, compared by
# kernel tid on each frame's qualified name, file and line.
#
# Each served version runs as Debian ships it, as a `strip --strip-all` copy
# (the debug file kept apart), and embedded (tests/python/embed loading
# libpython3.X.so). 3.11 is bookworm's; 3.13 and 3.14 come from the cache
# tests/python/fetch-pythons.sh fills; a version not there is skipped with a
# notice.
#
# usage: tests/python/check-frames.sh PYFRAMES EMBED WORKDIR [PYTHONS_CACHE]
set -u

PYFRAMES=$1
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

# faulthandler's dump and pyframes' output, each as one line per thread,
# "T <pthread id>" then its frames ("  File ..., line N in name"), sorted.
norm_fh() {
	awk '/^Current thread 0x/ { id = $3 }
	     /^Thread 0x/ { id = $2 }
	     /^(Current thread|Thread) 0x/ { if (rec != "") print rec; rec = "T " id; next }
	     /^  File / { rec = rec "|" $0 }
	     END { if (rec != "") print rec }' "$1" | sort
}
norm_ours() {
	awk '/^Thread 0x/ { if (rec != "") print rec; rec = "T " $2; next }
	     /^  File / { line = $0; sub(/ \[[^]]*\]$/, "", line); rec = rec "|" line }
	     END { if (rec != "") print rec }' "$1" | sort
}

plain() { sed 's/\x1b\[[0-9;]*m//g' "$1"; }

# austin -w: "Thread N:TID" then frames outermost first, "qualname (file:line)".
norm_austin() {
	plain "$1" | awk '
	     function flush() { if (rec != "" && n > 0) { s = rec; for (i = n; i >= 1; i--) s = s "|" f[i]; print s } }
	     /Thread [0-9]+:[0-9]+/ { flush(); split($NF, p, ":"); rec = "T " p[2]; n = 0; next }
	     /^    [^ ].* \(.*:[0-9]+\)$/ { line = substr($0, 5); f[++n] = line }
	     END { flush() }' | sort
}
norm_ours_austin() {
	awk 'function flush() { if (rec != "" && n > 0) print rec }
	     /^Thread 0x/ { flush(); rec = "T " $4; n = 0; next }
	     /^  File / { q = $0; sub(/.*\[/, "", q); sub(/\]$/, "", q)
			 file = $0; sub(/^  File "/, "", file); sub(/", line .*/, "", file)
			 ln = $0; sub(/.*", line /, "", ln); sub(/ in .*/, "", ln)
			 rec = rec "|" q " (" file ":" ln ")"; n++ }
	     END { flush() }' "$1" | sort
}
AUSTIN=$CACHE/austin/usr/bin/austin
austin_passed=0
austin_skipped=0

. "$HERE/wait.sh"

# The frames against austin's, by kernel tid (qualified names): skipped,
# with a notice, where austin does not know the version.
check_austin() {
	[ "$austin_rc" = skip ] && return
	if ! plain "$WORK/$tag.austin" | grep -q 'Thread [0-9]*:'; then
		echo "skip: $name: austin: $(plain "$WORK/$tag.austin" | grep -m1 -iE 'not a python|error|version' | sed 's/^[^A-Za-z]*//')"
		austin_skipped=$((austin_skipped + 1))
		return
	fi
	norm_austin "$WORK/$tag.austin" >"$WORK/$tag.austin.norm"
	norm_ours_austin "$ours" >"$ours.austin.norm"
	if cmp -s "$WORK/$tag.austin.norm" "$ours.austin.norm"; then
		echo "ok: $name: $(wc -l <"$ours.austin.norm") threads match austin -w" \
			"(tid, qualified name, file, line)"
		passed=$((passed + 1))
		austin_passed=$((austin_passed + 1))
	else
		echo "FAIL: $name: frames differ from austin's:"
		diff "$WORK/$tag.austin.norm" "$ours.austin.norm" | tr '|' '\n' | head -40
		failed=$((failed + 1))
	fi
}

# One check: label, debug root, PYTHONHOME ("" for none), sources of
# _PyRuntime pyframes leaves out ("" for none), then the command.
check() {
	c_label=$1
	c_root=$2
	c_home=$3
	c_skip=$4
	shift 4
	for script in "$HERE"/targets/*.py; do
		name="$c_label $(basename "$script")"
		tag=$(echo "$name" | tr ' /' '__')
		fh="$WORK/$tag.faulthandler"
		ours="$WORK/$tag.pyframes"
		out="$WORK/$tag.stdout"
		rm -f "$fh" "$ours" "$out"
		if [ -n "$c_home" ]; then
			PYTHONHOME=$c_home "$@" "$script" "$fh" >"$out" 2>"$WORK/$tag.stderr" &
		else
			"$@" "$script" "$fh" >"$out" 2>"$WORK/$tag.stderr" &
		fi
		pid=$!
		if ! wait_ready $pid "$out"; then
			echo "FAIL: $name: the target did not say ready (see $WORK/$tag.stderr)"
			kill $pid 2>/dev/null
			wait $pid 2>/dev/null
			failed=$((failed + 1))
			continue
		fi
		t0=$(date +%s%N)
		"$PYFRAMES" ${c_skip:+-x "$c_skip"} $pid "$c_root" >"$ours" 2>"$WORK/$tag.pyframes.err"
		rc=$?
		t1=$(date +%s%N)
		austin_rc=skip
		if [ -x "$AUSTIN" ] && [ $rc = 0 ]; then
			# Austin gives up on a process it cannot read yet: a few tries.
			for try in 1 2 3 4 5; do
				timeout 20 "$AUSTIN" -w $pid >"$WORK/$tag.austin" 2>&1
				austin_rc=$?
				plain "$WORK/$tag.austin" | grep -q 'Thread [0-9]*:' && break
				plain "$WORK/$tag.austin" | grep -q 'not a Python' && [ $try -ge 3 ] && break
				sleep 0.2
			done
		fi
		kill -USR1 $pid
		wait_dump "$fh"
		kill $pid 2>/dev/null
		wait $pid 2>/dev/null
		if [ $rc != 0 ]; then
			echo "FAIL: $name: pyframes exited $rc: $(cat "$WORK/$tag.pyframes.err")"
			failed=$((failed + 1))
			continue
		fi
		norm_fh "$fh" >"$fh.norm"
		norm_ours "$ours" >"$ours.norm"
		threads=$(wc -l <"$fh.norm")
		frames=$(grep -c '^  File ' "$fh")
		if [ "$threads" -gt 0 ] && cmp -s "$fh.norm" "$ours.norm"; then
			echo "ok: $name: $threads threads, $frames frames match faulthandler" \
				"($(head -1 "$ours" | awk '{ n = split($8, p, "/")
					print $2 ", layout " $4 ", _PyRuntime from " $6 " of " p[n] }');" \
				"$(((t1 - t0) / 1000000)) ms for the driver)"
			passed=$((passed + 1))
			check_austin
		else
			echo "FAIL: $name: frames differ from faulthandler's ($threads threads):"
			diff "$fh.norm" "$ours.norm" | tr '|' '\n' | head -40
			failed=$((failed + 1))
		fi
	done
}

for v in $VERSIONS; do
	if [ "$v" = 3.11 ]; then
		base=
		exe=/usr/bin/python3.11
		lib=/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0
		root=/usr/lib/debug
		home=/usr
	else
		base=$CACHE/python$v
		exe=$base/usr/bin/python$v
		lib=$base/usr/lib/x86_64-linux-gnu/libpython$v.so.1.0
		root=$base/usr/lib/debug
		home=$base/usr
	fi
	if [ ! -x "$exe" ]; then
		echo "skip: python$v not fetched (make python-pythons)"
		skipped=$((skipped + 1))
		continue
	fi
	check "python$v" "$root" "" "" "$exe"
	# Debian's binary already lacks .symtab; --strip-all drops every other
	# section it can, so only .dynsym, .PyRuntime and the debug file are left.
	# The fetched ones were stripped before patchelf (strip breaks its output).
	stripped=$exe.stripped
	if [ -z "$base" ]; then
		stripped=$WORK/python$v.stripped
		strip --strip-all -o "$stripped" "$exe" && chmod +x "$stripped"
	fi
	if [ -x "$stripped" ]; then
		check "python$v stripped" "$root" "$home" "" "$stripped"
		# What a binary without .dynsym would leave: the section, then the debug file.
		check "python$v stripped, no dynsym" "$root" "$home" dynsym "$stripped"
		check "python$v stripped, debug file only" "$root" "$home" dynsym,section "$stripped"
	else
		echo "skip: python$v stripped: no $stripped (tests/python/fetch-pythons.sh makes it)"
		skipped=$((skipped + 1))
	fi
	if [ ! -f "$lib" ]; then
		echo "skip: python$v embedded: no $lib"
		skipped=$((skipped + 1))
		continue
	fi
	embed=$EMBED
	if [ -n "$base" ]; then
		# The newer libpython needs its own glibc: the program loads through it too.
		ld=$(patchelf --print-interpreter "$exe")
		embed=$WORK/embed-$v
		cp "$EMBED" "$embed" && patchelf --set-interpreter "$ld" --force-rpath \
			--set-rpath "$base/usr/lib/x86_64-linux-gnu" "$embed"
	fi
	check "python$v embedded" "$root" "$home" "" "$embed" "$lib"
done

# A version without a layout: python3.11 whose Py_Version says 3.12 (no
# Debian suite serves 3.12, and it has neither a table nor _Py_DebugOffsets).
# pyframes must say so (exit 3) and print no frame, rather than guess.
fake=$WORK/python3.12-fake
if fake_python312 "$fake"; then
	PYTHONHOME=/usr "$fake" "$HERE/targets/parked.py" "$WORK/fake.fh" >"$WORK/fake.out" 2>&1 &
	pid=$!
	wait_ready $pid "$WORK/fake.out"
	"$PYFRAMES" $pid >"$WORK/fake.pyframes" 2>"$WORK/fake.err"
	rc=$?
	kill $pid 2>/dev/null
	wait $pid 2>/dev/null
	if [ $rc = 3 ] && ! grep -q '^  File' "$WORK/fake.pyframes" &&
		grep -q 'python 3.12: no layout' "$WORK/fake.err"; then
		echo "ok: python3.11 saying 3.12: $(cat "$WORK/fake.err" | sed 's/^pyframes: //')"
		passed=$((passed + 1))
	else
		echo "FAIL: python3.11 saying 3.12: pyframes exited $rc: $(cat "$WORK/fake.err")"
		failed=$((failed + 1))
	fi
else
	echo "skip: no Py_Version in /usr/bin/python3.11 to make a 3.12 of"
	skipped=$((skipped + 1))
fi

# Not Python: said as such (exit 2), nothing printed as frames.
sleep 30 &
pid=$!
"$PYFRAMES" $pid >"$WORK/notpython.out" 2>"$WORK/notpython.err"
rc=$?
kill $pid 2>/dev/null
wait $pid 2>/dev/null
if [ $rc = 2 ] && [ ! -s "$WORK/notpython.out" ] && grep -q 'is not a Python process' "$WORK/notpython.err"; then
	echo "ok: sleep(1): not a Python process"
	passed=$((passed + 1))
else
	echo "FAIL: sleep(1): pyframes exited $rc: $(cat "$WORK/notpython.err")"
	failed=$((failed + 1))
fi

[ -x "$AUSTIN" ] || echo "skip: austin not fetched: no second oracle"
echo "austin: $austin_passed matched, $austin_skipped skipped (versions it does not read)"
echo "python frames: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
