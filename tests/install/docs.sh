#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What installs with blockwatch, checked without root (make test-docs):
#   - docs/blockwatch.8 lints clean: mandoc -T lint, groff -ww, man --warnings
#   - its option items are exactly the options that blockwatch --help and
#     snapshot|report|diff --help print, long and short: a new option without
#     documentation, or documentation of a gone one, fails
#   - completion/blockwatch.bash offers each command exactly the options its
#     --help prints, and completes subcommands, pids, files and values
#   - one version: user/core/model.h's BW_VERSION, debian/changelog's, and
#     blockwatch --version's, which also names the libbpf built and running
#   - make install into a scratch DESTDIR (PREFIX /usr/local and /usr) puts
#     each file in place, the unit's ExecStart on the installed binary, and
#     make uninstall leaves nothing
# Prints one ok/FAIL/SKIP line a check, then "docs: N passed, N failed,
# N skipped". Exit 1 when one failed.
#
# usage: tests/install/docs.sh BLOCKWATCH
set -u
cd "$(dirname "$0")/../.." || exit 2
root=$(pwd)
bw=$1
page=docs/blockwatch.8
comp=completion/blockwatch.bash

. tests/lib/tally.sh
tmp=$(mktemp -d /tmp/bw-docs.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT

# same NAME WANT GOT: ok when the two files hold the same lines, else the difference.
same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		fail "$1 (< missing, > extra)"
		diff "$2" "$3" | grep '^[<>]' | sed 's/^/     /'
	fi
}

# ---- the page lints -----------------------------------------------------------------

if ! command -v mandoc >/dev/null 2>&1; then
	skip "mandoc -T lint $page: mandoc not found (Debian package mandoc)"
# Debian's mandoc looks up each .Xr in a mandoc.db it does not keep: not the page's fault.
elif mandoc -T lint $page >"$tmp/out" 2>&1 &&
	! grep -v 'outdated mandoc.db lacks' "$tmp/out" | grep -q .; then
	ok "mandoc -T lint $page"
else
	fail "mandoc -T lint $page"
	sed 's/^/     /' "$tmp/out"
fi
if ! command -v groff >/dev/null 2>&1; then
	skip "groff -ww $page: groff not found (Debian package groff-base)"
elif groff -ww -z -mandoc $page >"$tmp/out" 2>&1 && [ ! -s "$tmp/out" ]; then
	ok "groff -ww -z -mandoc $page"
else
	fail "groff -ww -z -mandoc $page"
	sed 's/^/     /' "$tmp/out"
fi
# As lintian reads pages.
if ! command -v man >/dev/null 2>&1; then
	skip "man --warnings -l $page: man not found (Debian package man-db)"
elif LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z $page >/dev/null \
	2>"$tmp/out" && [ ! -s "$tmp/out" ]; then
	ok "man --warnings -l $page"
else
	fail "man --warnings -l $page"
	sed 's/^/     /' "$tmp/out"
fi

# ---- every option documented --------------------------------------------------------

# The options one --help prints, one a line: "-p", "--pid", ...
help_opts() {
	"$bw" "$@" --help | grep -E '^ {1,8}-' |
		sed -E 's/^ +//; s/  .*//; s/[=[].*//; s/, / /g' | tr ' ' '\n' | grep '^-' | sort -u
}
: >"$tmp/help-all"
for cmd in watch snapshot report diff; do
	args=$cmd
	[ $cmd = watch ] && args=
	# shellcheck disable=SC2086 # args: no word or one
	help_opts $args >"$tmp/help-$cmd"
	cat "$tmp/help-$cmd" >>"$tmp/help-all"
done
sort -u -o "$tmp/help-all" "$tmp/help-all"
# The flags of the page's .It items: ".It Fl t Ar dur , Fl -threshold" gives -t, --threshold.
awk '$1 == ".It" {
	for (i = 2; i < NF; i++)
		if ($i == "Fl") {
			f = $(i + 1)
			sub(/^\\&/, "", f)
			print "-" f
		}
}' $page | sort -u >"$tmp/page"
if [ "$(wc -l <"$tmp/help-all")" -lt 30 ]; then
	fail "options of $bw --help: only $(wc -l <"$tmp/help-all") found"
fi
same "$page documents every option of --help, snapshot|report|diff --help" \
	"$tmp/help-all" "$tmp/page"

# ---- the completion -----------------------------------------------------------------

# complete WORD...: what the completion offers for the last word, one a line.
complete_words() {
	(cd "$tmp/cwd" && bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_blockwatch; [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' sh "$root/$comp" "$@") | sort
}
# expect DESC WANT WORD...: ok when the completion of WORD... offers WANT (lines).
expect() {
	desc=$1
	printf '%s' "$2" | sort >"$tmp/want"
	shift 2
	complete_words "$@" >"$tmp/got"
	same "completion: $desc" "$tmp/want" "$tmp/got"
}
mkdir -p "$tmp/cwd/dir"
: >"$tmp/cwd/incident.bw"
if ! command -v bash >/dev/null 2>&1; then
	skip "$comp: no bash"
else
	for cmd in watch snapshot report diff; do
		if [ $cmd = watch ]; then
			complete_words blockwatch - >"$tmp/got"
		else
			complete_words blockwatch $cmd - >"$tmp/got"
			cmd=" $cmd"
		fi
		same "completion: the options of blockwatch${cmd#watch} --help" \
			"$tmp/help-${cmd# }" "$tmp/got"
	done
	expect "subcommands" 'report
' blockwatch rep
	expect "report FILE" 'dir
incident.bw
' blockwatch report ''
	expect "diff OLD NEW" 'incident.bw
' blockwatch diff incident.bw i
	expect "-o FILE" 'incident.bw
' blockwatch snapshot -p 1 -o inc
	expect "--pprof=FILE" 'incident.bw
' blockwatch --pprof = in
	expect "--folded=" 'dir
incident.bw
' blockwatch --folded =
	expect "--fail-on VALUE" 'stuck
' blockwatch --fail-on ''
	expect "--threshold DUR: nothing" '' blockwatch -t ''
	if complete_words blockwatch -p '' | grep -qx 1; then
		ok "completion: -p offers process IDs"
	else
		fail "completion: -p offers no pid 1"
	fi
fi

# ---- one version --------------------------------------------------------------------

want=$(sed -n 's/^#define BW_VERSION "\(.*\)"$/\1/p' user/core/model.h)
deb=$(sed -n '1s/^blockwatch (\([^)]*\)).*/\1/p' debian/changelog)
if [ -n "$want" ] && [ "$deb" = "$want" ]; then
	ok "debian/changelog's version is BW_VERSION ($want)"
else
	fail "debian/changelog's version $deb is not BW_VERSION $want (user/core/model.h)"
fi
out=$("$bw" --version)
built=$(sed -n 's/^#define LIBBPF_M[AI][JN]OR_VERSION //p' /usr/include/bpf/libbpf_version.h |
	paste -sd.)
if echo "$out" | grep -qx "blockwatch $want (libbpf $built built, [0-9]*\.[0-9]* running)"; then
	ok "blockwatch --version: $out"
else
	fail "blockwatch --version: want blockwatch $want (libbpf $built built, M.N running), got $out"
fi
# The libbpf running is the one installed (Debian: libbpf1 1:1.1.2-0+deb12u1 is 1.1).
run=$(dpkg-query -W -f '${Version}' libbpf1 2>/dev/null | sed -E 's/^[0-9]+://; s/^([0-9]+\.[0-9]+).*/\1/')
if [ -z "$run" ]; then
	skip "libbpf running is libbpf1's: no libbpf1 package"
elif echo "$out" | grep -q "$run running)"; then
	ok "libbpf running is libbpf1's ($run)"
else
	fail "libbpf running: libbpf1 is $run, --version says $out"
fi

# ---- make install, make uninstall ---------------------------------------------------

# The make running this one must not lend its jobserver to these.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$root" "$@" \
		>"$tmp/make" 2>&1 || sed 's/^/     /' "$tmp/make"
}
for prefix in /usr/local /usr; do
	dest=$tmp/dest
	rm -rf "$dest"
	mkdir "$dest"
	mk install DESTDIR="$dest" PREFIX=$prefix
	bad=
	for f in sbin/blockwatch:755 share/man/man8/blockwatch.8:644 \
		share/bash-completion/completions/blockwatch:644 lib/systemd/system/blockwatch.service:644; do
		p=$dest$prefix/${f%:*}
		[ "$(stat -c %a "$p" 2>/dev/null)" = "${f#*:}" ] || bad="$bad $prefix/${f%:*}"
	done
	[ "$(find "$dest" -type f | wc -l)" -eq 4 ] || bad="$bad (not 4 files)"
	exec=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$dest$prefix/lib/systemd/system/blockwatch.service" \
		2>/dev/null)
	[ "$exec" = "$prefix/sbin/blockwatch" ] || bad="$bad ExecStart=$exec"
	"$dest$prefix/sbin/blockwatch" --version >/dev/null 2>&1 || bad="$bad (no --version)"
	if [ -z "$bad" ]; then
		ok "make install DESTDIR=... PREFIX=$prefix: 4 files, ExecStart=$exec"
	else
		fail "make install DESTDIR=... PREFIX=$prefix:$bad"
	fi
	mk uninstall DESTDIR="$dest" PREFIX=$prefix
	if [ -z "$(find "$dest" -mindepth 1)" ]; then
		ok "make uninstall DESTDIR=... PREFIX=$prefix leaves nothing"
	else
		fail "make uninstall DESTDIR=... PREFIX=$prefix left:"
		find "$dest" -mindepth 1 | sed 's/^/     /'
	fi
done

tally_end docs
