# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the fetch scripts (Go toolchains, Pythons, kernels): apt on a
# sources list, package lists and cache of their own, so packages of other
# Debian suites are downloaded (and unpacked with dpkg -x) without touching
# the system's apt sources.

# The mirror the system's apt already uses (its first non-security Debian
# URI), or BW_DEBIAN_MIRROR; empty when there is none.
bw_apt_mirror() {
	m=${BW_DEBIAN_MIRROR:-$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs: *\([^ ]*\).*/\1/p' | grep -v security | head -1)}
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' \
		/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null)
	echo "$m"
}

# bw_apt_setup NAME DIR MIRROR SUITE...: DIR (absolute) gets the folders and
# a sources.list of SUITE's main; APT_OPTS is set for apt-get and apt-cache
# (with APT_EXTRA, when set, at its end); the package lists are refreshed at
# most once a day, and when a suite has none yet. NAME prefixes the message
# of a failed update (not fatal: downloads then say what is missing).
bw_apt_setup() {
	name=$1
	dir=$2
	mirror=$3
	shift 3
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs" || return 1
	: >"$dir/sources.list.tmp" || return 1
	for s; do
		echo "deb $mirror $s main" >>"$dir/sources.list.tmp"
	done
	mv "$dir/sources.list.tmp" "$dir/sources.list" || return 1
	APT_OPTS="-q -o Dir::Etc::SourceList=$dir/sources.list -o Dir::Etc::SourceParts=/dev/null
 -o Dir::State::Lists=$dir/lists -o Dir::Cache=$dir/cache -o Debug::NoLocking=1
 -o APT::Get::AllowUnauthenticated=false ${APT_EXTRA:-}"
	fresh=$(find "$dir/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -1)
	for s; do
		ls "$dir/lists/"*"_dists_${s}_"*Packages* >/dev/null 2>&1 || fresh=""
	done
	if [ -z "$fresh" ] && ! apt-get $APT_OPTS update >"$dir/update.log" 2>&1; then
		echo "$name: apt-get update had errors (see $dir/update.log)" >&2
	fi
	return 0
}
