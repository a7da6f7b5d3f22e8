#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the Go end-to-end targets (each tests/go/targets/<name>/main.go)
# with every Go toolchain found: the system `go` and each
# $BW_GO_TOOLCHAINS/go1.X/usr/lib/go-1.X unpacked there by fetch-toolchains.sh.
# For each toolchain it writes into $OUT/go1.X/:
#   <name>           CGO_ENABLED=0, statically and internally linked
#   <name>-stripped  -ldflags='-s -w'
#   <name>-pie       -buildmode=pie
#   GOROOT           the toolchain's GOROOT
# A target folder may hold a `goexperiment` file: GOEXPERIMENT names, one a
# line (# starts a comment). Each is set for the toolchains that know it
# (`go env` accepts it) and left out for the others.
# Go versions that were looked for and not found get a notice on stderr.
# Outputs newer than their sources (and this script) are kept. At most two
# builds run at a time. Offline and self-contained: no modules are needed,
# GOCACHE/GOPATH/config live under $OUT.
#
# usage: tests/go/build-targets.sh [out-dir (default .output/go-targets)]
# env:   BW_GO_TOOLCHAINS  toolchains folder (default .output/go-toolchains)
set -u

SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
SRC=$(cd "$(dirname "$0")/targets" && pwd) || exit 1
VARIANTS="normal stripped pie"
LOOK_FOR="1.17 1.18 1.19 1.20 1.21 1.22 1.23 1.24 1.25 1.26 1.27"

# experiments GOROOT FILE: the GOEXPERIMENTs of FILE (if any) that GOROOT's
# go knows, comma-separated.
experiments() {
	[ -f "$2" ] || return 0
	list=""
	for e in $(sed 's/#.*//' "$2"); do
		GOEXPERIMENT=$e "$1/bin/go" env GOEXPERIMENT >/dev/null 2>&1 &&
			list="${list:+$list,}$e"
	done
	echo "$list"
}

# --job GOROOT GO1.X NAME VARIANT: one build, run by xargs below.
if [ "${1:-}" = --job ]; then
	goroot=$2 short=$3 name=$4 variant=$5
	dest="$OUT/$short"
	case $variant in
	normal) out=$name; set -- ;;
	stripped) out=$name-stripped; set -- -ldflags='-s -w' ;;
	pie) out=$name-pie; set -- -buildmode=pie ;;
	*) echo "build-targets: unknown variant $variant" >&2; exit 1 ;;
	esac
	case $short in
	go1.1[0-7]) ;;
	*) set -- -buildvcs=false "$@" ;;
	esac
	exps=$(experiments "$goroot" "$SRC/$name/goexperiment")
	if (cd "$SRC" && GOCACHE="$OUT/.cache/$short" CGO_ENABLED=0 GOEXPERIMENT="$exps" \
		"$goroot/bin/go" build -o "$dest/$out.tmp" "$@" "./$name") >"$dest/$out.log" 2>&1 &&
		mv "$dest/$out.tmp" "$dest/$out"; then
		rm -f "$dest/$out.log"
		echo "built: $dest/$out${exps:+ (GOEXPERIMENT=$exps)}"
		exit 0
	fi
	rm -f "$dest/$out.tmp"
	echo "build-targets: failed to build $dest/$out (see $dest/$out.log)" >&2
	exit 1
fi

OUT=${1:-.output/go-targets}
TOOLCHAINS=${BW_GO_TOOLCHAINS:-.output/go-toolchains}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)

export OUT GOPATH="$OUT/.gopath" GOFLAGS='' GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local \
	GOENV=off GO111MODULE=on GOTELEMETRY=off XDG_CONFIG_HOME="$OUT/.config" HOME="$OUT/.home"
mkdir -p "$GOPATH" "$XDG_CONFIG_HOME" "$HOME"

names=""
for d in "$SRC"/*/main.go; do
	[ -f "$d" ] && names="$names $(basename "$(dirname "$d")")"
done
[ -n "$names" ] || { echo "build-targets: no target in $SRC" >&2; exit 1; }

roots=""
sys=$(go env GOROOT 2>/dev/null) && [ -x "$sys/bin/go" ] && roots="$sys"
for d in "$TOOLCHAINS"/go1.*/usr/lib/go-1.*; do
	[ -x "$d/bin/go" ] && roots="$roots $d"
done

jobs="$OUT/.jobs"
: >"$jobs" || exit 1
found=" "
for goroot in $roots; do
	goroot=$(cd "$goroot" && pwd)
	ver=$("$goroot/bin/go" env GOVERSION 2>/dev/null) || continue
	short=$(echo "$ver" | sed -n 's/^go\([0-9]*\.[0-9]*\).*/go\1/p')
	[ -n "$short" ] || continue
	case "$found" in
	*" $short "*) continue ;;
	esac
	found="$found$short "
	dest="$OUT/$short"
	mkdir -p "$dest" || exit 1
	if [ ! -f "$dest/GOROOT" ] || [ "$(cat "$dest/GOROOT")" != "$goroot" ]; then
		rm -f "$dest"/* && echo "$goroot" >"$dest/GOROOT" || exit 1
	fi
	for name in $names; do
		for variant in $VARIANTS; do
			case $variant in
			normal) out=$dest/$name ;;
			*) out=$dest/$name-$variant ;;
			esac
			if [ -f "$out" ] && [ -z "$(find "$SRC/go.mod" "$SRC/internal" "$SRC/$name" \
				"$SELF" -newer "$out" 2>/dev/null | head -1)" ]; then
				continue
			fi
			echo "$goroot $short $name $variant" >>"$jobs"
		done
	done
	echo "have: $short ($ver, $goroot)"
done

for v in $LOOK_FOR; do
	case "$found" in
	*" go$v "*) ;;
	*) echo "build-targets: NOTICE: no go$v toolchain found, go$v targets not built" \
		"(tests/go/fetch-toolchains.sh fetches the versions Debian serves)" >&2 ;;
	esac
done
[ "$found" != " " ] || { echo "build-targets: no Go toolchain found" >&2; exit 1; }

n=$(wc -l <"$jobs")
echo "build-targets: $n builds to do in $OUT"
fail=0
if [ "$n" -gt 0 ]; then
	xargs -P 2 -L 1 sh "$SELF" --job <"$jobs" || fail=1
fi
rm -f "$jobs"
exit $fail
