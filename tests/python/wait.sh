# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the Python frame checks: waiting on a target, each wait bounded,
# and the fake interpreter of an unknown version.
# READY_S must be set.

# Until the target's output file has its "ready" line; fails when it exits first.
wait_ready() { # pid file
	i=0
	while [ $i -lt $((READY_S * 20)) ]; do
		grep -q '^ready' "$2" 2>/dev/null && return 0
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# The dump is written from the signal handler: wait until it stops growing.
wait_dump() { # file
	i=0
	last=-1
	while [ $i -lt 100 ]; do
		size=$(wc -c <"$1" 2>/dev/null || echo 0)
		[ "$size" -gt 0 ] && [ "$size" = "$last" ] && return 0
		last=$size
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# A copy of python3.11 whose Py_Version says 3.12, a version without a layout
# (no Debian suite serves 3.12). Fails when the field is not found.
fake_python312() { # out
	addr=$(nm -D /usr/bin/python3.11 2>/dev/null | awk '$3 == "Py_Version" { print $1 }')
	[ -n "$addr" ] || return 1
	# Each PROGBITS section as "addr offset size" in hex; the one holding addr.
	sect=$(readelf -SW /usr/bin/python3.11 | sed 's/^ *\[ *[0-9]*\] *//' |
		awk '$2 == "PROGBITS" { print $3, $4, $5 }' | while read -r s o z; do
		if [ $((0x$addr)) -ge $((0x$s)) ] && [ $((0x$addr)) -lt $((0x$s + 0x$z)) ]; then
			echo $((0x$addr - 0x$s + 0x$o))
			break
		fi
	done)
	[ -n "$sect" ] && cp /usr/bin/python3.11 "$1" &&
		printf '\360\000\014\003' | dd of="$1" bs=1 seek="$sect" conv=notrunc 2>/dev/null
}
