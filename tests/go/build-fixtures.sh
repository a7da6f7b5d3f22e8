#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Builds the Go fixture in tests/go/gobin with every Go toolchain found: the
# system `go` and each $TOOLCHAINS/go1.X/usr/lib/go-1.X unpacked there by
# fetch-toolchains.sh. For each it writes into $OUT/go1.X/:
#   normal    CGO_ENABLED=0
#   stripped  CGO_ENABLED=0 -ldflags='-s -w'
#   pie       CGO_ENABLED=0 -buildmode=pie
#   pie-stripped
#   cgo       CGO_ENABLED=1 -ldflags=-linkmode=external   (only if gcc works)
#   cgo-stripped
#   cgo-pie   CGO_ENABLED=1 -buildmode=pie -ldflags=-linkmode=external
#   cgo-pie-stripped
#   X.gnustrip  for X in normal pie cgo cgo-pie: `strip -o` of X, same addresses
#             as X without .symtab and DWARF (checks what is recovered without them)
#   addr2line the toolchain's addr2line (built from its GOROOT when not shipped,
#             as from Go 1.24 on), the reference for pc -> file:line
#   GOROOT    the toolchain's GOROOT
# Offline and self-contained: GOCACHE/GOPATH/config under $OUT, no modules.
#
# usage: tests/go/build-fixtures.sh [out-dir (default .output/go-fixtures)]
#        [toolchains-dir (default .output/go-toolchains)]
set -u

SRC=$(cd "$(dirname "$0")/gobin" && pwd) || exit 1
OUT=${1:-${BW_GO_FIXTURES:-.output/go-fixtures}}
TOOLCHAINS=${2:-.output/go-toolchains}
mkdir -p "$OUT" || exit 1
OUT=$(cd "$OUT" && pwd)

export GOPATH="$OUT/.gopath" GOFLAGS='' GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local GOENV=off \
	GO111MODULE=on GOTELEMETRY=off XDG_CONFIG_HOME="$OUT/.config" HOME="$OUT/.home"
mkdir -p "$GOPATH" "$XDG_CONFIG_HOME" "$HOME"

have_gcc=0
if printf 'int main(void){return 0;}\n' | gcc -x c -o "$OUT/.gcc-check" - 2>/dev/null; then
	have_gcc=1
fi
rm -f "$OUT/.gcc-check"

# build GOROOT NAME CGO_ENABLED go-build-args...
build() {
	goroot=$1 name=$2 cgo=$3
	shift 3
	if ! (cd "$SRC" && CGO_ENABLED=$cgo "$goroot/bin/go" build -o "$dest/$name.tmp" "$@" .) \
		>"$dest/$name.log" 2>&1; then
		echo "build-fixtures: failed to build $dest/$name (see $dest/$name.log)" >&2
		fail=1
		return
	fi
	mv "$dest/$name.tmp" "$dest/$name" && rm -f "$dest/$name.log"
}

fail=0
roots=""
sys=$(go env GOROOT 2>/dev/null) && [ -x "$sys/bin/go" ] && roots="$sys"
for d in "$TOOLCHAINS"/go1.*/usr/lib/go-1.*; do
	[ -x "$d/bin/go" ] && roots="$roots $d"
done
[ -n "$roots" ] || { echo "build-fixtures: no Go toolchain found" >&2; exit 1; }

for goroot in $roots; do
	goroot=$(cd "$goroot" && pwd)
	ver=$("$goroot/bin/go" env GOVERSION 2>/dev/null) || continue
	short=$(echo "$ver" | sed -n 's/^go\([0-9]*\.[0-9]*\).*/go\1/p')
	[ -n "$short" ] || continue
	dest="$OUT/$short"
	if [ -f "$dest/GOROOT" ] && [ "$(cat "$dest/GOROOT")" = "$goroot" ] &&
		[ -z "$(find "$SRC" "$0" -newer "$dest/GOROOT" | head -1)" ]; then
		echo "have: $dest ($ver)"
		continue
	fi
	mkdir -p "$dest"
	export GOCACHE="$OUT/.cache/$short"
	build "$goroot" normal 0
	build "$goroot" stripped 0 -ldflags='-s -w'
	build "$goroot" pie 0 -buildmode=pie
	build "$goroot" pie-stripped 0 -buildmode=pie -ldflags='-s -w'
	if [ $have_gcc = 1 ]; then
		build "$goroot" cgo 1 -ldflags=-linkmode=external
		build "$goroot" cgo-stripped 1 -ldflags='-linkmode=external -s -w'
		build "$goroot" cgo-pie 1 -buildmode=pie -ldflags=-linkmode=external
		build "$goroot" cgo-pie-stripped 1 -buildmode=pie -ldflags='-linkmode=external -s -w'
	else
		echo "skip: $short cgo builds (gcc does not work)"
	fi
	if command -v strip >/dev/null; then
		for name in normal pie cgo cgo-pie; do
			[ -f "$dest/$name" ] && strip -o "$dest/$name.gnustrip" "$dest/$name"
		done
	fi
	tool="$goroot/pkg/tool/linux_amd64/addr2line"
	if [ -x "$tool" ]; then
		ln -sf "$tool" "$dest/addr2line"
	elif ! "$goroot/bin/go" build -o "$dest/addr2line" cmd/addr2line >"$dest/addr2line.log" 2>&1
	then
		echo "build-fixtures: failed to build $dest/addr2line (see $dest/addr2line.log)" >&2
		fail=1
	else
		rm -f "$dest/addr2line.log"
	fi
	echo "$goroot" > "$dest/GOROOT"
	echo "built: $dest ($ver)"
done
exit $fail
