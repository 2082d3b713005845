#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The secure world's command parameters, fuzzed: the test client
# (rstkey_sw_test `fuzz`) invokes the key manager $RSTKEY_SW_FUZZ_RUNS times
# (default 1,000,000, in runs of 10,000 with seeds 1, 2, ...) with random
# functions and raw parameters: every type, values, memory references with
# offsets and sizes inside, at the end of, past and overflowing their
# shared memory, to restricted memory and to ordinary memory; the input
# memory holds random bytes or a blob wrapped on the host with a few bits
# flipped (and sometimes none, so some unwrap).
#
# Every invocation gets one of the result codes the key manager documents
# (none unexpected, no error from the TEE core), bad parameters are refused,
# some of each command succeed, the kernel stays quiet (the debug lane adds
# KASAN, lockdep and UBSAN), and afterwards the restricted pool and kmemleak
# are back where they were.
. /usr/share/rstkey/lib.sh
[ -f /mnt/ctl/vm.env ] && . /mnt/ctl/vm.env

ktap_plan 9

runs=${RSTKEY_SW_FUZZ_RUNS:-1000000}
chunk=10000
cmd=/sys/kernel/debug/rstkey_sw_test/cmd
pool=/sys/kernel/debug/rstkey_sw/pool
field() { sed -n "s/^$1 //p" $pool 2>/dev/null; }
# sum KEY: the total of KEY=N over the results.
sum() { tr ' ' '\n' < /tmp/swfuzz.out | awk -F= -v k="$1" '$1 == k { s += $2 } END { print s + 0 }'; }

echo "rstkey-test: secure world fuzz start" > /dev/kmsg
modprobe rstkey_sw_test 2>/dev/null
ktap_check "secure_world_test_client" test -e $cmd
free0=$(field free_pages)
bufs0=$(field buffers)
[ -w /sys/kernel/debug/kmemleak ] && { echo scan > /sys/kernel/debug/kmemleak; echo clear > /sys/kernel/debug/kmemleak; }

blob=$(cat /mnt/ctl/fixtures/key32.blob.hex)
: > /tmp/swfuzz.out
seed=1
done_runs=0
start=$(date +%s)
while [ $done_runs -lt $runs ]; do
	n=$chunk
	[ $((runs - done_runs)) -lt $n ] && n=$((runs - done_runs))
	echo "fuzz $seed $n $blob" > $cmd || break
	cat $cmd >> /tmp/swfuzz.out
	seed=$((seed + 1))
	done_runs=$((done_runs + n))
done
secs=$(($(date +%s) - start))
ktap_diag "$(sum runs) invocations in ${secs}s: ok=$(sum ok) unwrapped=$(sum unwrapped)" \
	"bad_parameters=$(sum bad_parameters) short_buffer=$(sum short_buffer)" \
	"mac_invalid=$(sum mac_invalid) bad_format=$(sum bad_format)" \
	"not_supported=$(sum not_supported) bad_state=$(sum bad_state)" \
	"access_denied=$(sum access_denied) item_not_found=$(sum item_not_found)" \
	"out_of_memory=$(sum out_of_memory) unexpected=$(sum unexpected)"

ktap_eq "every_run_ended" "$(grep -c '^fuzz: ok' /tmp/swfuzz.out)" "$(((runs + chunk - 1) / chunk))"
ktap_eq "all_invocations_made" "$(sum runs)" "$runs"
ktap_eq "no_unexpected_result" "$(sum unexpected)" "0"
# A random parameter list is nearly always wrong; a MAC check needs the
# right types and sizes first, and some blobs have no bit flipped.
ktap_check "bad_parameters_refused" test "$(sum bad_parameters)" -gt $((runs / 2))
ktap_check "some_succeeded_some_unwrapped" test "$(sum ok)" -gt 0 -a "$(sum unwrapped)" -gt 0 \
	-a "$(sum mac_invalid)" -gt 0
ktap_eq "pool_back_to_start" "$(field free_pages)/$(field buffers)" "$free0/$bufs0"
ktap_no_warnings "secure world fuzz start"
ktap_kmemleak
ktap_done
