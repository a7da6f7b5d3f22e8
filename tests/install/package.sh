#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The Debian package, end to end (make test-package, root):
#   - dpkg-buildpackage -b in a copy of the tree (the tracked and untracked,
#     not ignored files: no build output), so the checkout stays clean and
#     the build starts from nothing
#   - lintian on the .changes: no error, no warning (debian/*.lintian-overrides
#     says why for each tag it overrides)
#   - dpkg -i; the installed blockwatch --version; the installed blockwatch on
#     DEMO (tests/targets/demo): the deadlock found, exit 3; man -l on the
#     installed page, mandoc -T lint on docs/blockwatch.8; the completion loads
#   - dpkg -r: no file of the package left (nor a folder it brought), then
#     dpkg -P so dpkg forgets it
# A blockwatch package already installed is left as it was: the installed
# checks then run on the package unpacked with dpkg-deb -x, and dpkg -i/-r are
# skipped with a notice. Prints one ok/FAIL/SKIP line a check, then
# "package: N passed, N failed, N skipped". Exit 1 when one failed.
#
# usage: tests/install/package.sh DEMO
set -u
cd "$(dirname "$0")/../.." || exit 2
demo=$1

. tests/lib/tally.sh
finish() {
	tally_end package
	exit
}

if [ "$(id -u)" != 0 ]; then
	skip "test-package: must run as root (dpkg -i)"
	finish
fi
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian mandoc:mandoc man:man-db; do
	if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
		skip "test-package: ${tool%%:*} not found (Debian package ${tool#*:})"
		finish
	fi
done

tmp=$(mktemp -d /tmp/bw-package.XXXXXX) || exit 2
installed=
target=
cleanup() {
	[ -n "$target" ] && kill -KILL "$target" 2>/dev/null && wait "$target" 2>/dev/null
	# A failed run must not leave its package behind.
	[ -n "$installed" ] && dpkg -P blockwatch >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- build --------------------------------------------------------------------------

mkdir "$tmp/src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard |
		tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -xf - -C "$tmp/src"
else
	tar --exclude=./.output --exclude=./blockwatch -cf - . | tar -xf - -C "$tmp/src"
fi
version=$(dpkg-parsechangelog -l debian/changelog -S Version)
arch=$(dpkg --print-architecture)
deb=$tmp/blockwatch_${version}_$arch.deb
changes=$tmp/blockwatch_${version}_$arch.changes
start=$(date +%s)
if (cd "$tmp/src" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -b -us -uc) \
	>"$tmp/build.log" 2>&1 && [ -f "$deb" ]; then
	ok "dpkg-buildpackage -b -us -uc ($(($(date +%s) - start)) s): $(basename "$deb"),\
 $(stat -c %s "$deb") bytes, installed size $(dpkg-deb -f "$deb" Installed-Size) KiB"
else
	fail "dpkg-buildpackage -b -us -uc"
	tail -30 "$tmp/build.log" | sed 's/^/     /'
	finish
fi
dpkg-deb -c "$deb" | awk '{ print "     " $1 " " $3 " " $6 }'

# ---- lint ---------------------------------------------------------------------------

# lintian unpacks what it checks: not as root where it can be helped, in a
# folder of its own (it writes temporary files in the current one too).
chmod 0755 "$tmp"
mkdir "$tmp/lint"
lint="lintian --fail-on error,warning"
if command -v runuser >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	chown nobody "$tmp/lint"
	lint="runuser -u nobody -- env HOME=$tmp/lint TMPDIR=$tmp/lint $lint"
fi
if (cd "$tmp/lint" && $lint "$changes") >"$tmp/lintian" 2>&1 &&
	! grep -q '^[EW]:' "$tmp/lintian"; then
	ok "lintian $(basename "$changes"): no error, no warning"
else
	fail "lintian $(basename "$changes")"
fi
sed 's/^/     /' "$tmp/lintian"

# Debian's mandoc looks up each .Xr in a mandoc.db it does not keep: not the page's fault.
if mandoc -T lint docs/blockwatch.8 >"$tmp/mandoc" 2>&1 &&
	! grep -v 'outdated mandoc.db lacks' "$tmp/mandoc" | grep -q .; then
	ok "mandoc -T lint docs/blockwatch.8"
else
	fail "mandoc -T lint docs/blockwatch.8"
	sed 's/^/     /' "$tmp/mandoc"
fi

# ---- install ------------------------------------------------------------------------

# The package's files, and its folders (some the system has anyway: /usr, /lib).
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print substr($6, 2) }' >"$tmp/files"
dpkg-deb -c "$deb" | awk '$1 ~ /^d/ { print substr($6, 2) }' | sed 's|/$||' | grep . >"$tmp/dirs"
prefix=
if dpkg-query -W -f '${Status}\n' blockwatch 2>/dev/null | grep -q ' installed$'; then
	skip "dpkg -i, dpkg -r: a blockwatch package is installed here ($(dpkg-query -W \
		-f '${Version}' blockwatch)), left as it was; checking the package unpacked"
	prefix=$tmp/unpacked
	dpkg-deb -x "$deb" "$prefix"
else
	# The folders the package brings (not there before) must go with it.
	while read -r p; do
		[ -e "$p" ] || echo "$p"
	done <"$tmp/dirs" >"$tmp/new"
	installed=1
	if dpkg -i "$deb" >"$tmp/dpkg" 2>&1; then
		ok "dpkg -i $(basename "$deb")"
	else
		fail "dpkg -i $(basename "$deb")"
		sed 's/^/     /' "$tmp/dpkg"
		finish
	fi
fi
bw=$prefix/usr/sbin/blockwatch

out=$("$bw" --version 2>&1)
if echo "$out" | grep -qx "blockwatch $version (libbpf [0-9]*\.[0-9]* built, [0-9]*\.[0-9]* running)"; then
	ok "$bw --version: $out"
else
	fail "$bw --version: want blockwatch $version (libbpf M.N built, M.N running), got: $out"
fi

# The demo prints "ready" once every thread sits in its blocking call.
"$demo" >"$tmp/demo.out" &
target=$!
tries=0
until grep -qx ready "$tmp/demo.out" 2>/dev/null || [ $tries -gt 100 ]; do
	tries=$((tries + 1))
	sleep 0.1
done
"$bw" -p $target --threshold 2s --duration 3s >"$tmp/report" 2>&1
status=$?
if [ $status -eq 3 ] && [ "$(grep -c '^deadlock ' "$tmp/report")" -eq 2 ]; then
	ok "$bw -p DEMO: exit 3, the deadlocked pair found"
else
	fail "$bw -p DEMO: want exit 3 and two deadlock lines, got exit $status"
	sed 's/^/     /' "$tmp/report" | head -30
fi
kill -KILL $target 2>/dev/null
wait $target 2>/dev/null
target=

page=$prefix/usr/share/man/man8/blockwatch.8.gz
if LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" >"$tmp/man" 2>"$tmp/man.err" &&
	[ ! -s "$tmp/man.err" ] && grep -q 'EXIT STATUS' "$tmp/man"; then
	ok "man -l $page"
else
	fail "man -l $page"
	sed 's/^/     /' "$tmp/man.err"
fi

comp=$prefix/usr/share/bash-completion/completions/blockwatch
if bash -c '. "$1" && complete -p blockwatch' sh "$comp" >/dev/null 2>&1; then
	ok "$comp loads"
else
	fail "$comp loads"
fi

unit=$prefix/lib/systemd/system/blockwatch.service
if grep -qx 'ExecStart=/usr/sbin/blockwatch -a --prometheus :9464 --snapshot-dir /var/lib/blockwatch/snapshots' "$unit"; then
	ok "$unit: ExecStart=/usr/sbin/blockwatch"
else
	fail "$unit: ExecStart is not /usr/sbin/blockwatch"
fi

# ---- remove -------------------------------------------------------------------------

if [ -n "$installed" ]; then
	if dpkg -r blockwatch >"$tmp/dpkg" 2>&1; then
		ok "dpkg -r blockwatch"
	else
		fail "dpkg -r blockwatch"
		sed 's/^/     /' "$tmp/dpkg"
	fi
	left=
	while read -r p; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			left="$left $p"
		fi
	done <"$tmp/files"
	while read -r p; do
		[ -e "$p" ] && left="$left $p/"
	done <"$tmp/new"
	if [ -z "$left" ]; then
		ok "dpkg -r: nothing of the package left (files: $(wc -l <"$tmp/files"),\
 folders it brought: $(wc -l <"$tmp/new"))"
	else
		fail "dpkg -r left:$left"
	fi
	dpkg -P blockwatch >/dev/null 2>&1
	case $(dpkg-query -W -f '${Status}' blockwatch 2>/dev/null) in
	'' | *not-installed) installed= ;;
	*) fail "dpkg -P blockwatch: dpkg still has it" ;;
	esac
fi

finish
