#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Cipher sessions on the virtio-crypto device's control queue, through
# rstkey's test-only debugfs file `selftest`: AES-CBC sessions with 128-,
# 192- and 256-bit keys, and a decryption session, are created and
# destroyed on the device; keys of a wrong size are rejected by the driver
# without a request reaching the device; destroying a session twice fails
# on the device with EINVAL; the open-session counter is back to zero after
# each step and after a module reload, after which sessions work again
# (virtqueues set up anew).
. /usr/share/rstkey/lib.sh

ktap_plan 19

dev=$(/usr/share/rstkey/find-crypto-dev)
name=$(basename "${dev:-none}")
dir=/sys/kernel/debug/rstkey/$name
st=$dir/selftest
caps=$dir/capabilities

echo "rstkey-test: cipher sessions start" > /dev/kmsg

# stat NAME: a counter from the `stats` file.
stat() { sed -n "s/^$1: //p" "$dir/stats" 2>/dev/null; }
# run CMD: writes CMD to the selftest file; prints the result line.
run() {
	if echo "$1" > "$st" 2>/dev/null; then rc=0; else rc=1; fi
	res=$(cat "$st" 2>/dev/null)
	ktap_diag "'$1' -> write rc $rc: $res"
}
# expect NAME PATTERN: the result line matches the extended regex PATTERN.
expect() {
	if echo "$res" | grep -Eqx "$2"; then
		ktap_ok "$1"
	else
		ktap_diag "$1: expected /$2/"
		ktap_fail "$1"
	fi
}
# hexbytes N: N bytes as hexadecimal.
hexbytes() {
	i=0
	while [ $i -lt "$1" ]; do
		printf '%02x' $((i * 7 % 256))
		i=$((i + 1))
	done
}

ktap_check "selftest_and_stats_exist" test -w "$st" -a -r "$dir/stats"
ktap_check "no_open_sessions_at_start" test "$(stat open_sessions)" = 0

# The default key is the AES-128 key of NIST SP 800-38A, F.2.1.
req0=$(stat ctrl_requests)
run cipher-session
expect "aes128_session_created_and_destroyed" \
	"cipher-session: ok session_id=[0-9]+ open_sessions=1"
ktap_check "two_control_requests" test "$(stat ctrl_requests)" = $((req0 + 2))
ktap_check "no_open_sessions_after_destroy" test "$(stat open_sessions)" = 0

run "cipher-session $(hexbytes 24)"
expect "aes192_session" "cipher-session: ok session_id=[0-9]+ open_sessions=1"
run "cipher-session $(hexbytes 32)"
expect "aes256_session" "cipher-session: ok session_id=[0-9]+ open_sessions=1"
run cipher-session-dec
expect "aes128_decrypt_session" "cipher-session-dec: ok session_id=[0-9]+ open_sessions=1"

# Keys the driver must reject before sending anything to the device.
req0=$(stat ctrl_requests)
run "cipher-session $(hexbytes 17)"
expect "key_17_bytes_einval" "cipher-session: error -22 at create"
max=$(sed -n 's/^max_cipher_key_len: //p' "$caps")
ktap_diag "max_cipher_key_len: ${max:-unknown}"
run "cipher-session $(hexbytes $((${max:-64} + 1)))"
expect "key_above_device_max_einval" "cipher-session: error -22 at create"
ktap_check "rejected_keys_not_sent" test "$(stat ctrl_requests)" = "$req0"

run "cipher-session 2b7g"
expect "bad_hex_einval" "cipher-session: error -22 at parse"

# The device itself refuses to destroy a session that is gone.
run cipher-session-double-destroy
expect "double_destroy_einval_from_device" \
	"cipher-session-double-destroy: error -22 at destroy2"
# A data request in a session the device no longer has: the device fails it
# (VIRTIO_CRYPTO_INVSESS), and its status becomes the request's error.
run cbc-stale-session
expect "stale_session_request_einval_from_device" \
	"cbc-stale-session: error -22 at encrypt"
ktap_check "no_open_sessions_after_errors" test "$(stat open_sessions)" = 0

if grep -q '^rstkey ' /proc/modules; then
	rmmod rstkey && modprobe rstkey
	ktap_check "reload_selftests_passed" rstkey_selftests_passed $RSTKEY_ALGS
	ktap_check "reload_no_open_sessions" test "$(stat open_sessions)" = 0
	run cipher-session
	expect "session_after_reload" \
		"cipher-session: ok session_id=[0-9]+ open_sessions=1"
else
	ktap_skip "reload_selftests_passed" "rstkey is built in"
	ktap_skip "reload_no_open_sessions" "rstkey is built in"
	ktap_skip "session_after_reload" "rstkey is built in"
fi

ktap_no_warnings "rstkey-test: cipher sessions start"

ktap_done
