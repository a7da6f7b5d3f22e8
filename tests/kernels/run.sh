#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernel matrix: each Debian kernel fetched by fetch-kernels.sh is booted
# under qemu (software emulation, TCG) with a busybox initramfs
# (tests/kernels/init) that mounts this machine's root read-only over 9p and
# runs the end-to-end subset of tests/kernels/guest.sh in it. One line per
# kernel; exits 1 when any kernel booted and failed a test (or never
# reported), 0 when every kernel served passed. A suite the mirror no longer
# serves is skipped with a notice.
#
# usage: tests/kernels/run.sh [cache-dir] [suite ...]
# env:   BW_KERNEL_TIMEOUT_S  bound on one kernel's boot and tests (default 600)
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${1:-/var/cache/blockwatch/kernels}
[ $# -gt 0 ] && shift
OUT="$REPO/.output/kernels"
TIMEOUT_S=${BW_KERNEL_TIMEOUT_S:-600}
BUSYBOX=/bin/busybox
# Loaded in this order, with what modules.dep says they need first.
WANT="virtio_pci 9pnet_virtio 9p"

for f in "$REPO/blockwatch" "$REPO/.output/e2e-tests" "$REPO/.output/targets/deadlock_pair"; do
	[ -x "$f" ] || { echo "test-kernels: $f missing: run make test-kernels" >&2; exit 1; }
done
[ -x "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1 ||
	{ echo "test-kernels: $BUSYBOX missing or not static (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$OUT" || exit 1

# The modules of WANT and their dependencies, in load order, for one kernel.
modules_in_order() { # MODULES-DIR
	for w in $WANT; do
		line=$(grep -E "/$w\\.ko(\\.xz|\\.zst|\\.gz)?:" "$1/modules.dep")
		[ -n "$line" ] || continue # built in
		deps=${line#*:}
		rev=""
		for d in $deps; do rev="$d $rev"; done
		for d in $rev ${line%%:*}; do echo "$d"; done
	done | awk '!seen[$0]++'
}

# initramfs for one kernel: busybox, init, params, decompressed modules.
make_initramfs() { # KERNEL-DIR RESULTS OUT-FILE
	root="$3.d"
	rm -rf "$root" && mkdir -p "$root/bin" "$root/modules" "$root/proc" "$root/sys" \
		"$root/dev" || return 1
	cp "$BUSYBOX" "$root/bin/busybox" && cp "$REPO/tests/kernels/init" "$root/init" &&
		chmod 755 "$root/init" || return 1
	printf 'REPO=%s\nRESULTS=%s\n' "$REPO" "$2" >"$root/params"
	mods="$1/$(cat "$1/MODULES")"
	: >"$root/modules/order"
	for m in $(modules_in_order "$mods"); do
		name=$(basename "$m" | sed 's/\.\(xz\|zst\|gz\)$//')
		case $m in
		*.xz) xz -dc "$mods/$m" >"$root/modules/$name" ;;
		*.zst) zstd -qdc "$mods/$m" >"$root/modules/$name" ;;
		*.gz) gzip -dc "$mods/$m" >"$root/modules/$name" ;;
		*) cp "$mods/$m" "$root/modules/$name" ;;
		esac || return 1
		echo "$name" >>"$root/modules/order"
	done
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$3" || return 1
	rm -rf "$root"
}

fetched=$(sh "$REPO/tests/kernels/fetch-kernels.sh" "$CACHE" "$@")
echo "$fetched" | grep '^skip:' | sed 's/^skip:/test-kernels: NOTICE: skipped/'
fail=0 ran=0
for s in $(echo "$fetched" | sed -n 's/^have: \([^ ]*\) .*/\1/p'); do
	kdir="$CACHE/$s"
	ver=$(cat "$kdir/VERSION")
	res="$OUT/$s"
	rm -rf "$res" && mkdir -p "$res" || exit 1
	if ! make_initramfs "$kdir" "$res" "$OUT/$s.initramfs"; then
		echo "kernel $s $ver: FAIL (initramfs not built)"
		fail=1
		continue
	fi
	start=$(date +%s)
	# One TCG thread for both vCPUs: with a thread each, a vCPU could run a
	# stale translation of kernel text just patched through int3 (seen: a
	# 6.12 guest's "Oops: int3" in __schedule as tracepoints were toggled).
	timeout "$TIMEOUT_S" qemu-system-x86_64 -accel tcg,thread=single -cpu max -m 2048 -smp 2 \
		-kernel "$kdir/$(cat "$kdir/KERNEL")" -initrd "$OUT/$s.initramfs" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=4" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs local,path="$res",mount_tag=results,security_model=none,multidevs=remap \
		-display none -monitor none -serial file:"$OUT/$s.console" -no-reboot \
		>"$OUT/$s.qemu.log" 2>&1
	qrc=$?
	took=$(($(date +%s) - start))
	ran=$((ran + 1))
	if [ ! -f "$res/rc" ]; then
		why="no result"
		[ $qrc = 124 ] && why="timed out after ${TIMEOUT_S}s"
		echo "kernel $s $ver: FAIL ($why, ${took}s; see $OUT/$s.console)"
		fail=1
		continue
	fi
	feats=$(sed -n 's/.*"type":"summary".*"features":\({[^}]*}\).*/\1/p' "$res/features.json")
	failed=$(sed -n 's/ FAIL$//p' "$res/results" | tr '\n' ' ')
	passed=$(grep -c ' PASS$' "$res/results")
	if [ "$(cat "$res/rc")" = 0 ] && [ -z "$failed" ] && [ "$passed" -gt 0 ]; then
		echo "kernel $s $ver: PASS ($passed tests, ${took}s) features ${feats:-?}"
	else
		echo "kernel $s $ver: FAIL (${failed:-rc $(cat "$res/rc")}; ${took}s; logs in $res)" \
			"features ${feats:-?}"
		fail=1
	fi
done
[ $ran -gt 0 ] || echo "test-kernels: NOTICE: no kernel served; nothing tested"
exit $fail
