# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the Python frame checks: waiting on a target, each wait bounded.
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
