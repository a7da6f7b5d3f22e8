#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetches Debian's CPython interpreters other than the system one (python3.13
# from trixie, python3.14 from sid) with their -dbg packages into a private
# folder, without touching the system's apt sources: apt runs on a private
# sources list, state and cache dirs, and the packages are only unpacked
# (dpkg -x) into $DIR/python3.X. A version no suite serves prints
# "skip: python3.X not served" and is not an error.
#
# They are built against a newer glibc than this system's, so the glibc, zlib,
# expat and libffi of the same suite are unpacked beside them, and the
# interpreter is patched (patchelf) to load through that glibc's loader with
# those libraries first (an RPATH, which also covers the extension modules it
# dlopens). The process is the real interpreter: /proc/PID/exe is
# $DIR/python3.X/usr/bin/python3.X, its text and data as Debian built them,
# its build-id unchanged, so its debug file (from python3.X-dbg, under
# $DIR/python3.X/usr/lib/debug/.build-id) still belongs to it.
#
# usage: tests/python/fetch-pythons.sh [cache-dir (default /var/cache/blockwatch/pythons)] [3.X ...]
set -u
. "$(dirname "$0")/../lib/private-apt.sh"

DIR=${1:-/var/cache/blockwatch/pythons}
[ $# -gt 0 ] && shift
VERSIONS=${*:-"3.13 3.14"}
MIRROR=$(bw_apt_mirror)
if [ -z "$MIRROR" ]; then
	echo "fetch-pythons: no Debian mirror in /etc/apt/sources.list*; set BW_DEBIAN_MIRROR"
	for v in $VERSIONS; do echo "skip: python$v not served"; done
	exit 0
fi
if ! command -v patchelf >/dev/null; then
	echo "fetch-pythons: patchelf is not installed (make deps)"
	for v in $VERSIONS; do echo "skip: python$v not served"; done
	exit 0
fi

mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd) || exit 1
bw_apt_setup fetch-pythons "$DIR" "$MIRROR" trixie sid || exit 1

# The suite whose version of a package to take: 3.13 is trixie's, the rest sid's.
suite_of() {
	case $1 in
	3.13) echo trixie ;;
	*) echo sid ;;
	esac
}

for v in $VERSIONS; do
	dest="$DIR/python$v"
	if [ -x "$dest/usr/bin/python$v.stripped" ] && [ -f "$dest/.patched" ]; then
		echo "have: python$v ($dest/usr/bin/python$v)"
		continue
	fi
	s=$(suite_of "$v")
	pkgs="python$v-minimal/$s libpython$v-minimal/$s libpython$v-stdlib/$s libpython$v/$s
 python$v-dbg/$s libpython$v-dbg/$s libc6/$s zlib1g/$s libexpat1/$s libffi8/$s"
	rm -rf "$DIR/debs" && mkdir -p "$DIR/debs" || exit 1
	# shellcheck disable=SC2086 # one word per package
	if ! (cd "$DIR/debs" && apt-get $APT_OPTS download $pkgs) >"$DIR/download-$v.log" 2>&1; then
		echo "skip: python$v not served"
		continue
	fi
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp" || exit 1
	ok=1
	for deb in "$DIR"/debs/*.deb; do
		dpkg -x "$deb" "$dest.tmp" || { ok=0; break; }
	done
	exe="$dest.tmp/usr/bin/python$v"
	libdir=$dest/usr/lib/x86_64-linux-gnu
	ld=$(cd "$dest.tmp" && ls usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
		lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 2>/dev/null | head -1)
	if [ $ok = 1 ] && [ -x "$exe" ] && [ -n "$ld" ]; then
		# A copy as stripped as strip makes it, its debug file kept apart; made
		# before patchelf, whose output strip cannot rewrite.
		strip --strip-all -o "$exe.stripped" "$exe" || ok=0
		# The final paths ($dest, not $dest.tmp): the folder is renamed below.
		for e in "$exe" "$exe.stripped"; do
			patchelf --set-interpreter "$dest/$ld" --force-rpath \
				--set-rpath "$libdir:$dest/lib/x86_64-linux-gnu" "$e" || ok=0
		done
		# The embedded interpreter's library gets the same search path.
		for so in "$dest.tmp"/usr/lib/x86_64-linux-gnu/libpython"$v".so.1.0; do
			[ -f "$so" ] || continue
			patchelf --force-rpath --set-rpath "$libdir:$dest/lib/x86_64-linux-gnu" "$so" || ok=0
		done
	else
		ok=0
	fi
	if [ $ok = 1 ]; then
		touch "$dest.tmp/.patched"
		rm -rf "$dest" && mv "$dest.tmp" "$dest"
		if "$dest/usr/bin/python$v" -c 'import threading, queue, faulthandler' \
			>"$DIR/run-$v.log" 2>&1; then
			echo "got: python$v ($dest/usr/bin/python$v)"
		else
			echo "skip: python$v does not run here (see $DIR/run-$v.log)"
		fi
	else
		rm -rf "$dest.tmp"
		echo "skip: python$v not served (unpack failed)"
	fi
done
# Austin (where mode, -w PID) as a second oracle: trixie's, with trixie's
# glibc beside it, patched the same way.
dest=$DIR/austin
if [ -x "$dest/usr/bin/austin" ] && [ -f "$dest/.patched" ]; then
	echo "have: austin ($dest/usr/bin/austin)"
else
	rm -rf "$DIR/debs" "$dest.tmp" && mkdir -p "$DIR/debs" "$dest.tmp" || exit 1
	ok=1
	(cd "$DIR/debs" && apt-get $APT_OPTS download austin/trixie libc6/trixie) >"$DIR/download-austin.log" 2>&1 ||
		ok=0
	for deb in "$DIR"/debs/*.deb; do
		[ $ok = 1 ] && [ -f "$deb" ] && { dpkg -x "$deb" "$dest.tmp" || ok=0; }
	done
	if [ $ok = 1 ] && [ -x "$dest.tmp/usr/bin/austin" ] &&
		patchelf --set-interpreter "$dest/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
			--force-rpath --set-rpath "$dest/usr/lib/x86_64-linux-gnu" \
			"$dest.tmp/usr/bin/austin"; then
		touch "$dest.tmp/.patched"
		rm -rf "$dest" && mv "$dest.tmp" "$dest"
		echo "got: austin ($dest/usr/bin/austin)"
	else
		rm -rf "$dest.tmp"
		echo "skip: austin not served"
	fi
fi
rm -rf "$DIR/debs"
exit 0
