#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetches Debian's kernel image packages for the kernel matrix into a private
# folder, without touching the system's apt sources: apt runs on a private
# sources list, state and cache dirs (as tests/go/fetch-toolchains.sh does),
# and each package is only unpacked (dpkg -x) into $DIR/<suite>. For each
# suite the linux-image-amd64 metapackage is resolved to the linux-image-X
# package it depends on, which is downloaded. A suite the mirror no longer
# serves prints "skip: <suite> not served" and is not an error.
#
# usage: tests/kernels/fetch-kernels.sh [cache-dir] [suite ...]
# Prints one "have: <suite> <version> <dir>" line per kernel ready; <dir> holds
# VERSION, KERNEL and MODULES (paths inside <dir>), modules.dep made by depmod.
set -u
. "$(dirname "$0")/../lib/private-apt.sh"

DIR=${1:-/var/cache/blockwatch/kernels}
[ $# -gt 0 ] && shift
SUITES=${*:-"bullseye bookworm trixie sid"}
MIRROR=$(bw_apt_mirror)
if [ -z "$MIRROR" ]; then
	echo "fetch-kernels: no Debian mirror in /etc/apt/sources.list*; set BW_DEBIAN_MIRROR" >&2
	for s in $SUITES; do echo "skip: $s not served"; done
	exit 0
fi

mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd) || exit 1
APT_EXTRA="-o Dir::State::Status=/dev/null -o APT::Architecture=amd64"
# shellcheck disable=SC2086 # the suites are words
bw_apt_setup fetch-kernels "$DIR" "$MIRROR" $SUITES || exit 1

for s in $SUITES; do
	# linux-image-amd64 (= 5.10.x) depends on linux-image-5.10.0-N-amd64.
	pkg=$(apt-cache $APT_OPTS show "linux-image-amd64/$s" 2>/dev/null |
		sed -n 's/^Depends: *//p' | head -1 | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -1)
	if [ -z "$pkg" ]; then
		echo "skip: $s not served"
		continue
	fi
	dest="$DIR/$s"
	if [ -f "$dest/PACKAGE" ] && [ "$(cat "$dest/PACKAGE")" = "$pkg" ]; then
		echo "have: $s $(cat "$dest/VERSION") $dest"
		continue
	fi
	ver=${pkg#linux-image-}
	# Newer suites split the image: the kernel in linux-binary-X, modules in linux-modules-X.
	parts=$(apt-cache $APT_OPTS show "$pkg/$s" 2>/dev/null | sed -n 's/^Depends: *//p' |
		head -1 | tr ',|' '\n\n' | sed -n "s/^ *\(linux-\(binary\|modules\)-$ver\)\( .*\)*$/\1/p")
	rm -f "$DIR"/debs/*.deb
	dl=""
	for p in $pkg $parts; do dl="$dl $p/$s"; done
	if ! (cd "$DIR/debs" && apt-get $APT_OPTS download $dl) >"$DIR/download-$s.log" 2>&1; then
		echo "skip: $s not served ($pkg: see $DIR/download-$s.log)"
		continue
	fi
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp" || exit 1
	ok=1
	for deb in "$DIR"/debs/*.deb; do
		[ -f "$deb" ] && dpkg -x "$deb" "$dest.tmp" || ok=0
	done
	kernel=$(ls "$dest.tmp/boot/vmlinuz-$ver" "$dest.tmp/usr/lib/linux/vmlinuz-$ver" \
		"$dest.tmp"/usr/lib/modules/"$ver"/vmlinuz 2>/dev/null | head -1)
	mods=$(ls -d "$dest.tmp/lib/modules/$ver" "$dest.tmp/usr/lib/modules/$ver" 2>/dev/null |
		head -1)
	if [ $ok = 0 ] || [ -z "$kernel" ] || [ -z "$mods" ]; then
		rm -rf "$dest.tmp"
		echo "skip: $s not served ($pkg: unpack failed, or no kernel or modules in it)"
		continue
	fi
	# The packages leave modules.dep to the installer: make it, for the initramfs.
	mkdir -p "$dest.tmp/depmod/lib/modules" &&
		ln -s "$mods" "$dest.tmp/depmod/lib/modules/$ver" &&
		depmod -b "$dest.tmp/depmod" "$ver" 2>"$DIR/depmod-$s.log" || { rm -rf "$dest.tmp"; exit 1; }
	echo "${kernel#"$dest.tmp/"}" >"$dest.tmp/KERNEL" &&
		echo "${mods#"$dest.tmp/"}" >"$dest.tmp/MODULES" || exit 1
	echo "$pkg" >"$dest.tmp/PACKAGE" && echo "$ver" >"$dest.tmp/VERSION" || exit 1
	rm -rf "$dest" && mv "$dest.tmp" "$dest" || exit 1
	rm -f "$DIR"/debs/*.deb
	echo "have: $s $ver $dest"
done
exit 0
