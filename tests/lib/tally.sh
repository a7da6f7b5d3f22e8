# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the shell test scripts: one line per check ("ok   ...",
# "FAIL ...", "SKIP ...") and the closing "NAME: N passed, N failed, N skipped".
passed=0
failed=0
skipped=0

ok() {
	echo "ok   $*"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $*"
	failed=$((failed + 1))
}
skip() {
	echo "SKIP $*"
	skipped=$((skipped + 1))
}
# tally_end NAME: the closing line; the status is 0 when nothing failed.
tally_end() {
	echo "$1: $passed passed, $failed failed, $skipped skipped"
	[ $failed -eq 0 ]
}
