#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The arrows of user/: a part includes only itself and the parts below it.
#   core      the model, capture, hash table, patterns, escaping, parsing
#   platform  the kernel, procfs, memory, symbols
#   threads, go, python   the runtimes, side by side: none includes another
#   export    every output, made from the capture
#   cli       the command line: wiring only
# Prints each include that points up or sideways, and exits 1 if there is one.
set -u
cd "$(dirname "$0")/../.." || exit 2

rank() {
	case $1 in
	core) echo 0 ;;
	platform) echo 1 ;;
	threads | go | python) echo 2 ;;
	export) echo 3 ;;
	cli) echo 4 ;;
	*) echo x ;;
	esac
}

bad=0
for f in user/*/*.c user/*/*.h; do
	part=${f#user/}
	part=${part%%/*}
	r=$(rank "$part")
	if [ "$r" = x ]; then
		echo "layers: $f: $part is no part of user/ (core platform threads go python export cli)"
		bad=1
		continue
	fi
	for inc in $(sed -n 's|^#include "\([a-z]*\)/[^"]*".*|\1|p' "$f" | sort -u); do
		[ "$inc" = proto ] && continue
		[ "$inc" = "$part" ] && continue
		ri=$(rank "$inc")
		if [ "$ri" = x ] || [ "$ri" -ge "$r" ]; then
			echo "layers: $f includes $inc/: $part may include only parts below it"
			bad=1
		fi
	done
done
[ $bad = 0 ] && echo "layers: every include of user/ points down"
exit $bad
