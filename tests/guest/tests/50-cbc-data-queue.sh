#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# AES-128-CBC on the virtio-crypto device's data queue, through rstkey's
# test-only debugfs file `selftest`: the known-answer vector of NIST SP
# 800-38A, F.2.1 is encrypted and decrypted by the device, each in a session
# of its own (two sessions created and destroyed on the control queue), and
# no session is left open.
. /usr/share/rstkey/lib.sh

ktap_plan 4

dev=$(/usr/share/rstkey/find-crypto-dev)
dir=/sys/kernel/debug/rstkey/$(basename "${dev:-none}")
st=$dir/selftest

echo "rstkey-test: cbc data queue start" > /dev/kmsg

# stat NAME: a counter from the `stats` file.
stat() { sed -n "s/^$1: //p" "$dir/stats" 2>/dev/null; }

req0=$(stat ctrl_requests)
if echo cbc-kat > "$st" 2>/dev/null; then rc=0; else rc=1; fi
res=$(cat "$st" 2>/dev/null)
ktap_diag "'cbc-kat' -> write rc $rc: $res"
ktap_check "nist_sp800_38a_f21_encrypt_decrypt" test "$rc" = 0 -a "$res" = "cbc-kat: ok"
ktap_check "four_control_requests" test "$(stat ctrl_requests)" = $((${req0:-0} + 4))
ktap_check "no_open_sessions" test "$(stat open_sessions)" = 0

ktap_no_warnings "rstkey-test: cbc data queue start"

ktap_done
