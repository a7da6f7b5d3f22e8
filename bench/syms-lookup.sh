#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What the symbol lookups of stripped binaries cost per binary (not part of
# make bench): bench/syms_open on the host's libc with its libc6-dbg debug
# file and without (an empty debug root), on symfix's stripped copies and on
# a stripped Go binary. Run from the source root after `make targets
# go-fixtures`.
#
# usage: bench/syms-lookup.sh [runs (default 20)]
set -eu

N=${1:-20}
OUT=.output/bench
mkdir -p "$OUT"
make -s .output/unit-tests
# An archive of the user modules: the link takes the ones syms needs.
rm -f "$OUT/libbw.a"
ar rcs "$OUT/libbw.a" $(ls .output/user/*/*.o | grep -v '/cli/')
cc -O2 -Wall -Iuser -Ibpf -I.output bench/syms_open.c "$OUT/libbw.a" -ldw -lelf -llzma -lz \
	-o "$OUT/syms_open"
empty=$(mktemp -d)
trap 'rmdir "$empty"' EXIT

libc=$(ldd "$OUT/syms_open" | awk '$1 == "libc.so.6" { print $3 }')
# __lll_lock_wait: named only by the debug file; its address from nm on that file.
build_id=$(readelf -n "$libc" | awk '/Build ID/ { print $3 }')
dbg=/usr/lib/debug/.build-id/$(echo "$build_id" | cut -c1-2)/$(echo "$build_id" | cut -c3-).debug
addr=0x$(nm "$dbg" | awk '$3 == "__lll_lock_wait" { print $1; exit }')
printf '%-34s ' "libc, libc6-dbg:" && "$OUT/syms_open" "$N" "$libc" "$addr"
printf '%-34s ' "libc, no debug file:" && "$OUT/syms_open" "$N" "$libc" "$addr" "$empty"

fx=.output/fixtures
sym=0x$(nm "$fx/symfix" | awk '$3 == "symfix_inner" { print $1 }')
printf '%-34s ' "symfix (.symtab):" && "$OUT/syms_open" "$N" "$fx/symfix" "$sym" "$empty"
printf '%-34s ' "symfix.stripped (nothing):" && "$OUT/syms_open" "$N" "$fx/symfix.stripped" "$sym" "$empty"
printf '%-34s ' "symfix.minidebug:" && "$OUT/syms_open" "$N" "$fx/symfix.minidebug" "$sym" "$empty"
printf '%-34s ' "symfix.minibomb (refused):" && "$OUT/syms_open" 5 "$fx/symfix.minibomb" "$sym" "$empty"

for go in .output/go-fixtures/go1.*/normal.gnustrip; do
	[ -f "$go" ] || continue
	ref=$(dirname "$go")/normal
	gp=0x$(nm "$ref" | awk '$3 == "runtime.gopark" { print $1 }')
	printf '%-34s ' "$(basename "$(dirname "$go")") gnustrip (pclntab):"
	"$OUT/syms_open" "$N" "$go" "$gp" "$empty"
done
