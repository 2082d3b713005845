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

# ktap_eq NAME GOT WANT: passes when GOT is WANT and not empty; the
# diagnostic shows both (their first 200 characters).
ktap_eq() {
	if [ -n "$3" ] && [ "$2" = "$3" ]; then
		ktap_ok "$1"
	else
		ktap_diag "$1: got '$(echo "$2" | cut -c1-200)', want '$(echo "$3" | cut -c1-200)'"
		ktap_fail "$1"
	fi
}

# ktap_kmemleak: the case no_kmemleak_reports. kmemleak reports objects
# that stayed unreferenced for 5 s over two scans.
ktap_kmemleak() {
	_kml=/sys/kernel/debug/kmemleak
	if [ -w $_kml ]; then
		sleep 6
		echo scan > $_kml
		echo scan > $_kml
		_leaks=$(cat $_kml)
		[ -n "$_leaks" ] && echo "$_leaks" | head -40 | sed 's/^/# /'
		ktap_check "no_kmemleak_reports" test -z "$_leaks"
	else
		ktap_skip "no_kmemleak_reports" "kmemleak not available"
	fi
}

# ktap_no_warnings MARKER: the case no_kernel_warnings, for the kernel log
# since the line that has MARKER.
ktap_no_warnings() {
	_w=$(dmesg | sed -n "/$1/,\$p" | grep -E 'WARNING|BUG|Oops|Call Trace' | head -5)
	[ -n "$_w" ] && ktap_diag "$_w"
	ktap_check "no_kernel_warnings" test -z "$_w"
}

# vm_monitor REQUEST: asks the host to run REQUEST on QEMU's monitor
# (`device_del` or `device_add` of the crypto device, see xtask/src/qmp.rs)
# and waits for it, up to 200 s; prints the host's answer, `ok <ms>` or
# `error <why>`, and returns 0 on `ok`.
vm_monitor() {
	_d=/mnt/ctl
	rm -f $_d/monitor.reply
	echo "$1" > $_d/monitor.request.tmp && mv $_d/monitor.request.tmp $_d/monitor.request
	_i=0
	while [ ! -f $_d/monitor.reply ] && [ $_i -lt 2000 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	_r=$(cat $_d/monitor.reply 2>/dev/null)
	rm -f $_d/monitor.reply
	echo "${_r:-error no answer from the host}"
	[ "${_r%% *}" = ok ]
}

# crypto_entry DRIVER FIELD: a field of the /proc/crypto entry of DRIVER,
# named by the first word of its name ("max" for "max keysize").
crypto_entry() {
	awk -v d="$1" -v f="$2" '
		/^name/ { inblk = 0 }
		$1 == "driver" && $3 == d { inblk = 1 }
		inblk && $1 == f { sub(/^[^:]*: /, ""); print; exit }
	' /proc/crypto
}

# wait_for_state WANT CMD...: runs CMD, which prints a state, until it prints WANT,
# up to 30 times a second apart (what is released asynchronously, such as
# device sessions, takes a moment).
wait_for_state() {
	_want=$1
	shift
	_i=0
	while [ $_i -lt 30 ] && [ "$("$@")" != "$_want" ]; do
		sleep 1
		_i=$((_i + 1))
	done
}

# pool_field NAME: a counter of the secure world's restricted pool
# (free_pages, buffers, ...).
pool_field() {
	sed -n "s/^$1 //p" /sys/kernel/debug/rstkey_sw/pool 2>/dev/null
}

# device_stat NAME: a counter of the `stats` file of the crypto device rstkey
# is bound to (open_sessions, ctrl_requests).
device_stat() {
	sed -n "s/^$1: //p" "/sys/kernel/debug/rstkey/$(basename "$(/usr/share/rstkey/find-crypto-dev)")/stats" 2>/dev/null
}

# le_iv N: the plain64 IV of sector N, in hex: N as 64-bit little endian,
# then zeros.
le_iv() {
	printf '%016x' "$1" | sed 's/../& /g' | awk '{ for (i = 8; i >= 1; i--) printf "%s", $i }'
	echo 0000000000000000
}

# cbc_plain64_openssl KEYHEX BITS PLAIN SECTOR_SIZE COUNT: what dm-crypt's
# cbc(aes)-plain64 makes of the first COUNT sectors of PLAIN, by openssl
# (the IV counts 512-byte sectors, whatever the sector size).
cbc_plain64_openssl() {
	_i=0
	while [ "$_i" -lt "$5" ]; do
		dd if="$3" bs="$4" skip="$_i" count=1 2>/dev/null |
			openssl enc -aes-"$2"-cbc -nopad -K "$1" -iv "$(le_iv $((_i * $4 / 512)))"
		_i=$((_i + 1))
	done
}

# flip_byte FILE OFFSET: changes the byte at OFFSET of FILE, inverting its
# lowest bit (writing a fixed value would change nothing where the byte
# already has it).
flip_byte() {
	_b=$(od -An -tu1 -j"$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the octal escape of the byte.
	printf "\\$(printf '%03o' $((_b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ktap_back_to_start FREE BUFFERS SESSIONS: the cases pool_back_to_start and
# no_session_left, once the restricted pool's free pages and buffers and the
# device's open sessions are back at the counts given (what keys release
# goes asynchronously).
ktap_back_to_start() {
	_state() { echo "$(pool_field free_pages)/$(pool_field buffers)/$(device_stat open_sessions)"; }
	wait_for_state "$1/$2/$3" _state
	ktap_eq "pool_back_to_start" "$(pool_field free_pages)/$(pool_field buffers)" "$1/$2"
	ktap_eq "no_session_left" "$(device_stat open_sessions)" "$3"
}

# The number of algorithms rstkey registers for the test platform's device:
# cbc-aes, cbc-paes, pkcs1-rsa-{sha1,sha256,sha512} and pkcs1pad-rsa.
RSTKEY_ALGS=6

# rstkey_selftests_passed [N]: returns 0 when the module rstkey has
# algorithms in /proc/crypto (N of them, if given) and every one passed its
# self-test; names those that did not (still running, failed) on `# ` lines.
rstkey_selftests_passed() {
	awk -v want="${1:-}" '
		/^driver/ { drv = $3 }
		/^module/ { mine = ($3 == "rstkey") }
		/^selftest/ && mine {
			n++
			if ($3 != "passed") { bad++; print "# " drv ": selftest " $3 }
		}
		END { exit !(n > 0 && bad == 0 && (want == "" || n == want)) }
	' /proc/crypto
}

ktap_done() {
	[ "$KTAP_FAILED" -eq 0 ]
}
