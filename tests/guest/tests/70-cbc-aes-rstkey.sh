#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cbc(aes) through the crypto API: rstkey registers cbc-aes-rstkey, which the
# crypto self-tests (CONFIG_CRYPTO_SELFTESTS_FULL, with random comparisons
# against the generic implementation) passed, above the generic and the C
# virtio driver's priorities, and which is what a user of "cbc(aes)" gets.
# Its results equal openssl's on the host (tests/host/make-fixtures) for
# 128-, 192- and 256-bit keys and 1 block, 4 blocks, a page and 3 pages, both
# ways, including the output IV. An empty request succeeds; a length that is
# not a whole number of blocks and a key of a wrong size are refused with
# EINVAL. Out of place works too; a source or destination list shorter than
# the request is refused with EINVAL before the device sees it. When the
# queue is full, requests wait on the backlog and complete correctly. Concurrency: 8 processes pinned to the vCPUs in turn, each with
# its own transformations, run 48 requests at the same time, and every
# result equals openssl's.
. /usr/share/rstkey/lib.sh

ktap_plan 42

fx=/mnt/ctl/fixtures
dev=$(/usr/share/rstkey/find-crypto-dev)
file=/sys/kernel/debug/rstkey/$(basename "${dev:-none}")/crypto

echo "rstkey-test: cbc-aes-rstkey start" > /dev/kmsg

# run CMD: runs CMD through the crypto file, sets $res.
run() {
	echo "$1" > "$file" 2>/dev/null
	res=$(head -n 1 "$file" 2>/dev/null)
}
ktap_eq "registered" "$(awk '$1 == "name" { n = $3 } $1 == "driver" && $3 == "cbc-aes-rstkey" { print n; exit }' /proc/crypto)" "cbc(aes)"
ktap_eq "selftest_passed" "$(crypto_entry cbc-aes-rstkey selftest)" "passed"
ktap_eq "priority_300" "$(crypto_entry cbc-aes-rstkey priority)" "300"
ktap_eq "async" "$(crypto_entry cbc-aes-rstkey async)" "yes"
# Every other cbc(aes) implementation has a lower priority.
others=$(awk '$1 == "name" { n = $3 } $1 == "driver" { d = $3 }
	$1 == "priority" && n == "cbc(aes)" && d != "cbc-aes-rstkey" { print $3 }' /proc/crypto)
ktap_diag "other cbc(aes) priorities: $(echo $others)"
top=$(echo "$others" | sort -n | tail -1)
ktap_check "highest_priority" test "${top:-0}" -lt 300

for bits in 128 192 256; do
	for size in 16 64 4096 12288; do
		v=$fx/cbc-$bits-$size
		key=$(cat $v.key) iv=$(cat $v.iv) pt=$(cat $v.pt.hex) ct=$(cat $v.ct.hex)
		last=$(echo "$ct" | tail -c 33)
		run "cbc-aes-rstkey enc $key $iv $pt"
		ktap_eq "enc_${bits}_${size}_matches_openssl" "$res" "crypto: ok $ct iv=$last"
		run "cbc-aes-rstkey dec $key $iv $ct"
		ktap_eq "dec_${bits}_${size}_matches_openssl" "$res" "crypto: ok $pt iv=$last"
	done
done

v=$fx/cbc-128-16
run "cbc-aes-rstkey enc $(cat $v.key) $(cat $v.iv) -"
ktap_eq "empty_request_ok" "$res" "crypto: ok  iv=$(cat $v.iv)"
run "cbc-aes-rstkey enc $(cat $v.key) $(cat $v.iv) 00112233445566778899aabbccddee"
ktap_eq "partial_block_einval" "$res" "crypto: error -22 at crypt"
run "cbc-aes-rstkey enc 00112233445566778899aabbccddeeff00 $(cat $v.iv) $(cat $v.pt.hex)"
ktap_eq "key_17_bytes_einval" "$res" "crypto: error -22 at setkey"

# Out of place: the device reads the source list and writes the destination
# list, both the request's own scatterlists.
v=$fx/cbc-256-4096
key=$(cat $v.key) iv=$(cat $v.iv) pt=$(cat $v.pt.hex) ct=$(cat $v.ct.hex)
last=$(echo "$ct" | tail -c 33)
run "cbc-aes-rstkey enc $key $iv $pt oop"
ktap_eq "out_of_place_enc_matches_openssl" "$res" "crypto: ok $ct iv=$last"
run "cbc-aes-rstkey dec $key $iv $ct oop"
ktap_eq "out_of_place_dec_matches_openssl" "$res" "crypto: ok $pt iv=$last"
# Lists shorter than the request are refused before the device sees them;
# a longer destination is fine (the bytes past the request stay zero).
run "cbc-aes-rstkey enc $key $iv $pt dst=4080"
ktap_eq "dst_one_block_short_einval" "$res" "crypto: error -22 at crypt"
run "cbc-aes-rstkey enc $key $iv $pt len=4112"
ktap_eq "src_shorter_than_request_einval" "$res" "crypto: error -22 at crypt"
run "cbc-aes-rstkey enc $key $iv $pt dst=4112"
ktap_eq "dst_longer_than_request_ok" "$res" "crypto: ok ${ct}00000000000000000000000000000000 iv=$last"
run "cbc-aes-rstkey enc $key $iv $pt len=4080 dst=4080"
ktap_eq "shorter_request_ok" "$res" "crypto: ok $(echo "$ct" | cut -c1-8160) iv=$(echo "$ct" | cut -c8129-8160)"

# The backlog: the emulated device answers each request as it is kicked and
# never fills its ring, so the test holds the data queues while it submits
# 64 requests at once: all wait on the backlog (EBUSY), go to the device
# (EINPROGRESS) when the hold is released, and complete, each equal to the
# generic implementation's result.
run "backlog cbc-aes-rstkey 64 4096"
ktap_eq "backlog_all_waited_results_equal_generic" "$res" "crypto: ok requests=64 backlogged=64"
run "backlog cbc-aes-rstkey 1 16"
ktap_eq "backlog_one_request" "$res" "crypto: ok requests=1 backlogged=1"

# Concurrency.
ncpu=$(nproc)
ktap_diag "vCPUs: $ncpu"
for p in 1 2 3 4 5 6 7 8; do
	taskset -c $((p % ncpu)) sh -c '
		fx=$1 file=$2 p=$3
		for bits in 128 192 256; do
			v=$fx/cbc-$bits-4096
			echo "@p$p-$bits-enc cbc-aes-rstkey enc $(cat $v.key) $(cat $v.iv) $(cat $v.pt.hex)" > $file
			echo "@p$p-$bits-dec cbc-aes-rstkey dec $(cat $v.key) $(cat $v.iv) $(cat $v.ct.hex)" > $file
		done' _ "$fx" "$file" $p &
done
wait
all=$(cat "$file")
good=0
for p in 1 2 3 4 5 6 7 8; do
	for bits in 128 192 256; do
		v=$fx/cbc-$bits-4096
		ct=$(cat $v.ct.hex) pt=$(cat $v.pt.hex)
		last=$(echo "$ct" | tail -c 33)
		echo "$all" | grep -qx "@p$p-$bits-enc crypto: ok $ct iv=$last" && good=$((good + 1))
		echo "$all" | grep -qx "@p$p-$bits-dec crypto: ok $pt iv=$last" && good=$((good + 1))
	done
done
ktap_eq "concurrent_48_requests_match_openssl" "$good" 48
ktap_no_warnings "rstkey-test: cbc-aes-rstkey start"

ktap_done
