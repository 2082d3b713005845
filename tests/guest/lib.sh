# SPDX-License-Identifier: GPL-2.0
#
# KTAP helpers for the guest tests (Documentation/dev-tools/ktap.rst).
#
# A test script sources this file, calls `ktap_plan N`, then one of
# `ktap_ok`, `ktap_fail`, `ktap_skip` (or `ktap_check`) per test case, and
# ends with `ktap_done`. Diagnostics go on `# ` lines.

KTAP_N=0
KTAP_FAILED=0

ktap_plan() {
	echo "KTAP version 1"
	echo "1..$1"
}

ktap_ok() {
	KTAP_N=$((KTAP_N + 1))
	echo "ok $KTAP_N $1"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1))
	KTAP_FAILED=$((KTAP_FAILED + 1))
	echo "not ok $KTAP_N $1"
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1))
	echo "ok $KTAP_N $1 # SKIP $2"
}

# ktap_check NAME CMD...: passes when CMD exits 0.
ktap_check() {
	_name=$1
	shift
	if "$@"; then
		ktap_ok "$_name"
	else
		ktap_fail "$_name"
	fi
}

ktap_diag() {
	echo "# $*"
}

ktap_done() {
	[ "$KTAP_FAILED" -eq 0 ]
}
