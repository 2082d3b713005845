#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# A probe that fails while it registers the algorithms leaves nothing
# behind: rstkey_name_taken takes the driver name pkcs1-rsa-sha1-rstkey, so
# binding rstkey fails with EEXIST after cbc-aes-rstkey, cbc-paes-rstkey and
# pkcs1-rsa-sha256-rstkey were registered. The engine must not stay in the
# algorithms' list (the module's `engines` count is 0 and cbc-aes-rstkey,
# which stays registered and whose self-test ended before the probe gave
# up, gets ENODEV), the RSA registrations made before
# the failure are undone, and once the name is free a bind works and every
# algorithm passes its self-test.
. /usr/share/rstkey/lib.sh

PLAN=16
ktap_plan $PLAN

if ! grep -q '^rstkey ' /proc/modules || ! modinfo rstkey_name_taken >/dev/null 2>&1; then
	i=0
	while [ $i -lt $PLAN ]; do
		ktap_skip "probe_failure_$i" "rstkey is built in or has no test interfaces"
		i=$((i + 1))
	done
	exit 0
fi

dev=$(/usr/share/rstkey/find-crypto-dev)
name=$(basename "$dev")
dbg=/sys/kernel/debug/rstkey
echo "rstkey-test: probe failure start" > /dev/kmsg

# `driver` of /proc/crypto, with its self-test result: "<driver> <selftest>".
alg_state() {
	awk -v d="$1" '$1 == "driver" { cur = $3 } $1 == "selftest" && cur == d { print cur, $3 }' /proc/crypto
}

ktap_check "rmmod_rstkey" rmmod rstkey
ktap_check "load_name_taken" modprobe rstkey_name_taken
ktap_check "name_taken_registered" grep -q "rstkey-name-taken" /proc/crypto
ktap_check "modprobe_rstkey" modprobe rstkey
ktap_check "device_not_bound" sh -c "[ ! -e $dev/driver ] && [ ! -e $dbg/$name ]"
ktap_check "probe_error_logged" sh -c "dmesg | sed -n '/rstkey-test: probe failure start/,\$p' | grep -q 'registering the algorithms failed: -17'"
engines=$(cat $dbg/engines 2>/dev/null)
ktap_diag "engines after the failed probe: $engines"
ktap_check "no_engine_left" test "$engines" = 0
cbc=$(alg_state cbc-aes-rstkey)
ktap_diag "after the failed probe: $cbc"
ktap_check "cbc_aes_tested_before_the_failure" test "$cbc" = "cbc-aes-rstkey passed"
echo "skcipher cbc-aes-rstkey 16 1 10" > $dbg/bench 2>/dev/null
res=$(cat $dbg/bench)
ktap_diag "cbc-aes-rstkey without an engine: $res"
ktap_check "registered_alg_gets_enodev" test "$res" = "bench: error -19 at alloc"
ktap_check "rsa_registrations_undone" sh -c "! grep -q 'pkcs1-rsa-sha256-rstkey' /proc/crypto"

ktap_check "rmmod_name_taken" rmmod rstkey_name_taken
ktap_check "bind_again" sh -c "echo $name > /sys/bus/virtio/drivers/rstkey/bind"
ktap_check "bound_with_one_engine" sh -c "[ \"\$(basename \"\$(readlink $dev/driver)\")\" = rstkey ] && [ \"\$(cat $dbg/engines)\" = 1 ]"
sha1=$(alg_state pkcs1-rsa-sha1-rstkey)
ktap_diag "after the bind: $sha1"
ktap_check "rsa_registered_and_tested" test "$sha1" = "pkcs1-rsa-sha1-rstkey passed"
ktap_check "all_tested" rstkey_selftests_passed $RSTKEY_ALGS
echo "skcipher cbc-aes-rstkey 16 1 10" > $dbg/bench
res=$(cat $dbg/bench)
ktap_check "cbc_aes_runs_again" sh -c "case '$res' in 'bench: ok '*) true ;; *) false ;; esac"

warnings=$(dmesg | sed -n '/rstkey-test: probe failure start/,$p' | grep -E 'WARNING|BUG|Oops|Call Trace' | head -5)
[ -n "$warnings" ] && ktap_diag "$warnings"
ktap_done
