#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures under a mixed load (Documentation/fault-injection/).
#
# failslab and fail_page_alloc fail 10% of the allocations that may fail
# (sleeping ones included, every order, not vmalloc()'s pages), only in the
# tasks marked with make-it-fail: fault-load (tests/guest/src/fault-load.c)
# marks itself and runs $RSTKEY_FAULT_OPS operations (default 11,000, 1,000
# of each kind;
# then a tenth of that at 2%, where the operations with many allocations
# succeed often enough to have their results checked):
# cbc(aes) with a new transformation and setkey each time, RSA sign,
# verify, verify of a wrong signature, decrypt and encrypt/decrypt through
# the keyring, PKCS#8 key import, and the secure world's unwrap, import and
# generate commands. The allocations of the driver, the crypto API and the
# secure world made in that task fail with it.
#
# Every operation ends (no hang), ends with an error or with the result
# openssl gives on the host (none wrong), every kind had some of each, and
# ENOMEM reached user space. Afterwards the restricted pool, the device's
# open sessions and kmemleak are back where they were, and the algorithms
# work without a failure.
. /usr/share/rstkey/lib.sh
[ -f /mnt/ctl/vm.env ] && . /mnt/ctl/vm.env

ktap_plan 16

fx=/mnt/ctl/fixtures
ops=${RSTKEY_FAULT_OPS:-11000}
pool=/sys/kernel/debug/rstkey_sw/pool
kml=/sys/kernel/debug/kmemleak
dbg=/sys/kernel/debug
dev=$(/usr/share/rstkey/find-crypto-dev)
stats=$dbg/rstkey/$(basename "${dev:-none}")/stats
cryptof=$dbg/rstkey/$(basename "${dev:-none}")/crypto

echo "rstkey-test: fault injection start" > /dev/kmsg

field() { sed -n "s/^$1 //p" $pool 2>/dev/null; }
stat() { sed -n "s/^$1: //p" "$stats" 2>/dev/null; }
# count KIND FIELD: a counter of fault-load's report (count2: of the 2% run).
count() { awk -v k="$1" -v f="$2=" '$1 == k { for (i = 2; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) }' ${FL:-/tmp/fl.out}; }
count2() { FL=/tmp/fl2.out count "$@"; }
# arm PERCENT: sets both fault attributes.
arm() {
	for a in failslab fail_page_alloc; do
		echo "$1" > $dbg/$a/probability
	done
}

modprobe rstkey_sw_test 2>/dev/null
ktap_check "fault_attributes_present" test -d $dbg/failslab -a -d $dbg/fail_page_alloc
ktap_check "secure_world_test_client" test -e $dbg/rstkey_sw_test/cmd

pages=$(field pages)
free0=$(field free_pages)
bufs0=$(field buffers)
sess0=$(stat open_sessions)
ktap_diag "start: pool $free0/$pages pages free, $bufs0 buffers, $sess0 sessions"
[ -w $kml ] && { echo scan > $kml; echo clear > $kml; }

for a in failslab fail_page_alloc; do
	echo 1 > $dbg/$a/interval
	echo -1 > $dbg/$a/times
	echo 0 > $dbg/$a/space
	echo 0 > $dbg/$a/verbose
	echo Y > $dbg/$a/task-filter
	echo N > $dbg/$a/ignore-gfp-wait
done
echo 0 > $dbg/fail_page_alloc/min-order
# ignore-gfp-highmem stays Y: vmalloc()'s pages are not failed, since
# vmalloc() reports each failure with a stack dump (the driver does not use
# it; seq_file buffers larger than a page do).
# The crypto file shows its last 64 tagged results, and test 70 leaves
# long ones: short ones in their place keep its text within a page, which
# seq_file allocates without vmalloc().
i=0
while [ $i -lt 64 ]; do
	echo "@flush -" > "$cryptof" 2>/dev/null
	i=$((i + 1))
done
ktap_diag "crypto file: $(wc -c < "$cryptof") bytes"
# load PERCENT OPS OUT: runs OPS operations with PERCENT% of the allocations
# failing; the report goes to OUT, the exit status to $rc.
load() {
	arm "$1"
	fault-load $fx "$cryptof" "$2" > "$3" 2> "$3.err"
	rc=$?
	arm 0
	sed "s/^/# $1%: /" "$3"
	head -20 "$3.err" | sed 's/^/# /'
}
load 10 "$ops" /tmp/fl.out
rc1=$rc
# At 10%, operations that make many allocations (an RSA operation through
# the keyring makes dozens) rarely succeed; at 2% they do, so that their
# results under failures are checked too.
ops2=$((ops / 10))
load 2 "$ops2" /tmp/fl2.out
rc2=$rc

ktap_eq "load_ended_without_hang_or_wrong_result" "$rc1/$rc2" 0/0
ktap_eq "all_operations_ran" "$(count total ops)/$(count2 total ops)" "$ops/$ops2"
ktap_eq "no_wrong_result" "$(count total wrong)/$(count2 total wrong)" 0/0
kinds=$(awk '$1 != "total" { print $1 }' /tmp/fl.out)
none_ok=$(for k in $kinds; do [ $(($(count $k ok) + $(count2 $k ok))) -gt 0 ] || echo $k; done)
none_err=$(for k in $kinds; do [ "$(count $k err)" -gt 0 ] || echo $k; done)
ktap_diag "kinds without a success: ${none_ok:-none}; without a failure: ${none_err:-none}"
ktap_check "every_kind_succeeded_sometimes" test -n "$kinds" -a -z "$none_ok"
ktap_check "every_kind_failed_sometimes" test -n "$kinds" -a -z "$none_err"
enomem=$(awk '$1 != "total" { for (i = 2; i <= NF; i++) if ($i ~ /^enomem=/) s += substr($i, 8) } END { print s + 0 }' /tmp/fl.out)
ktap_diag "ENOMEM returned $enomem times"
ktap_check "enomem_reached_user_space" test "$enomem" -gt 0

# Requests and key releases finish asynchronously; wait for them.
settle() {
	i=0
	while [ $i -lt 30 ] && [ "$(field free_pages)/$(field buffers)/$(stat open_sessions)" != "$free0/$bufs0/$sess0" ]; do
		sleep 1
		i=$((i + 1))
	done
}
settle
ktap_eq "pool_back_to_start" "$(field free_pages)/$(field buffers)" "$free0/$bufs0"
ktap_eq "sessions_back_to_start" "$(stat open_sessions)" "$sess0"

# Without failures every operation succeeds with the right result.
fault-load $fx "$cryptof" 110 > /tmp/fl.out 2> /tmp/fl.err
rc=$?
sed 's/^/# after: /' /tmp/fl.out | tail -1
settle
ktap_eq "after_no_failure_exit" "$rc" 0
ktap_eq "after_all_ok" "$(count total ok)/$(count total err)" "110/0"
ktap_eq "after_pool_back_to_start" "$(field free_pages)/$(field buffers)" "$free0/$bufs0"
ktap_eq "after_sessions_back_to_start" "$(stat open_sessions)" "$sess0"

ktap_kmemleak

ktap_no_warnings "rstkey-test: fault injection start"

ktap_done
