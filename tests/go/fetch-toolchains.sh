#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Fetches Debian's Go toolchains golang-1.X-go (+ -src) for versions other than the
# system one into a private folder, without touching the system's apt sources:
# apt runs on a private sources list, state and cache dirs, and the packages are
# only unpacked (dpkg -x) into $DIR/go1.X. A version that no suite serves prints
# "skip: go1.X not served" and is not an error.
#
# usage: tests/go/fetch-toolchains.sh [cache-dir (default .output/go-toolchains)] [1.X ...]
# The suites tried: bookworm-backports, trixie(-backports), sid, experimental.
set -u
. "$(dirname "$0")/../lib/private-apt.sh"

DIR=${1:-.output/go-toolchains}
[ $# -gt 0 ] && shift
VERSIONS=${*:-"1.17 1.18 1.20 1.21 1.22 1.23 1.24 1.25 1.26 1.27"}
MIRROR=$(bw_apt_mirror)
if [ -z "$MIRROR" ]; then
	echo "fetch-toolchains: no Debian mirror in /etc/apt/sources.list*; set BW_DEBIAN_MIRROR"
	for v in $VERSIONS; do echo "skip: go$v not served"; done
	exit 0
fi

mkdir -p "$DIR" && DIR=$(cd "$DIR" && pwd) || exit 1
bw_apt_setup fetch-toolchains "$DIR" "$MIRROR" bookworm-backports trixie trixie-backports sid \
	experimental || exit 1

for v in $VERSIONS; do
	dest="$DIR/go$v"
	if [ -x "$dest/usr/lib/go-$v/bin/go" ]; then
		echo "have: go$v ($dest/usr/lib/go-$v)"
		continue
	fi
	if ! (cd "$DIR/debs" && apt-get $APT_OPTS download "golang-$v-go" "golang-$v-src") \
		>"$DIR/download-$v.log" 2>&1; then
		echo "skip: go$v not served"
		continue
	fi
	rm -rf "$dest.tmp" && mkdir -p "$dest.tmp" || exit 1
	ok=1
	for deb in "$DIR"/debs/golang-"$v"-go_*.deb "$DIR"/debs/golang-"$v"-src_*.deb; do
		[ -f "$deb" ] || { ok=0; break; }
		dpkg -x "$deb" "$dest.tmp" || { ok=0; break; }
	done
	if [ $ok = 1 ] && [ -x "$dest.tmp/usr/lib/go-$v/bin/go" ]; then
		rm -rf "$dest" && mv "$dest.tmp" "$dest"
		rm -f "$DIR"/debs/golang-"$v"-*.deb
		echo "got: go$v ($dest/usr/lib/go-$v)"
	else
		rm -rf "$dest.tmp"
		echo "skip: go$v not served (unpack failed)"
	fi
done
exit 0
