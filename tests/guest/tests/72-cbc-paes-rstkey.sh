#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cbc(paes) through AF_ALG: rstkey registers cbc-paes-rstkey, whose
# self-test (the AES-CBC vectors, with clear keys accepted only during the
# test) passed. Its setkey takes a key blob wrapped on the host under the
# device key (tests/host/make-fixtures), which the secure world unwraps into
# restricted memory; the results equal openssl's with the clear key for
# 128-, 192- and 256-bit keys, a page and random numbers of blocks, both
# ways, also with twelve clients at once. The blob also comes from a logon
# key (ALG_SET_KEY_BY_KEY_SERIAL).
# Outside the self-test a clear key is refused (EACCES), as is every
# malformed, truncated, tampered, other-device or other-purpose blob, each
# with its errno; afterwards no buffer of the restricted pool and no device
# session is left, and nothing leaked.
. /usr/share/rstkey/lib.sh

ktap_plan 51

fx=/mnt/ctl/fixtures
tmp=/tmp/paes
mkdir -p $tmp

echo "rstkey-test: cbc-paes-rstkey start" > /dev/kmsg

# paes enc|dec KEY IV IN OUT: one cbc(paes) operation; prints its result.
paes() {
	afalg-enc "$1" "cbc(paes)" "$2" "$3" "$4" "$5" 2>&1
}

free0=$(pool_field free_pages) bufs0=$(pool_field buffers) sess0=$(device_stat open_sessions)
ktap_diag "at the start: pool free_pages=$free0 buffers=$bufs0, open sessions $sess0"

ktap_eq "registered" "$(awk '$1 == "name" { n = $3 } $1 == "driver" && $3 == "cbc-paes-rstkey" { print n; exit }' /proc/crypto)" "cbc(paes)"
ktap_eq "selftest_passed" "$(crypto_entry cbc-paes-rstkey selftest)" "passed"
ktap_eq "priority_300" "$(crypto_entry cbc-paes-rstkey priority)" "300"
ktap_eq "max_keysize_is_largest_aes_blob" "$(crypto_entry cbc-paes-rstkey max)" "112"

# Host-wrapped blobs against openssl with the clear keys.
for n in 16 24 32; do
	for i in 1 2 3 4; do
		v=$fx/paes-$n-$i
		iv=$(cat $v.iv)
		r=$(paes enc $fx/key$n.blob "$iv" $v.pt $tmp/ct)
		ktap_check "enc_$((n * 8))_${i}_matches_openssl" sh -c "[ '$r' = ok ] && cmp -s $tmp/ct $v.ct"
		[ "$r" = ok ] || ktap_diag "enc $n $i: $r"
		r=$(paes dec $fx/key$n.blob "$iv" $v.ct $tmp/pt)
		ktap_check "dec_$((n * 8))_${i}_matches_openssl" sh -c "[ '$r' = ok ] && cmp -s $tmp/pt $v.pt"
	done
done
ktap_diag "random lengths: $(for v in $fx/paes-*-[234].pt; do wc -c < $v; done | tr '\n' ' ')"
# The blob made by the provisioning tool opens too.
v=$fx/paes-32-1
r=$(paes enc $fx/tool-key32.blob "$(cat $v.iv)" $v.pt $tmp/ct)
ktap_check "tool_blob_enc_matches_openssl" sh -c "[ '$r' = ok ] && cmp -s $tmp/ct $v.ct"

# The blob from a logon key: the kernel hands its payload to setkey. The key
# lives in a session keyring of its own, which the commands share.
iv=$(cat $v.iv)
keyctl session - sh -c "
	s=\$(keyctl padd logon rstkey:paes-test @s < $fx/key32.blob)
	echo serial \$s
	echo enc \$(afalg-enc enc 'cbc(paes)' @\$s $iv $v.pt $tmp/ct-serial 2>&1)
	echo dec \$(afalg-enc dec 'cbc(paes)' @\$s $iv $v.ct $tmp/pt-serial 2>&1)
	keyctl revoke \$s
	echo revoked \$(afalg-enc enc 'cbc(paes)' @\$s $iv $v.pt $tmp/ct-revoked 2>&1)
" > $tmp/serial.out 2>&1
ktap_diag "logon key: $(sed -n 's/^serial //p' $tmp/serial.out)"
ktap_check "key_serial_enc_matches_openssl" sh -c "grep -qx 'enc ok' $tmp/serial.out && cmp -s $tmp/ct-serial $v.ct"
ktap_check "key_serial_dec_matches_openssl" sh -c "grep -qx 'dec ok' $tmp/serial.out && cmp -s $tmp/pt-serial $v.pt"
ktap_eq "revoked_key_serial_refused" "$(sed -n 's/^revoked //p' $tmp/serial.out)" "error -128 at setkey"

# Concurrent users on both vCPUs: twelve AF_ALG clients at once, four per key
# size, each encrypting its vector 8 times; every result equals openssl's.
for n in 16 24 32; do
	for i in 1 2 3 4; do
		v=$fx/paes-$n-$i
		(
			j=0
			while [ $j -lt 8 ]; do
				r=$(paes enc $fx/key$n.blob "$(cat $v.iv)" $v.pt $tmp/cc-$n-$i)
				if [ "$r" != ok ] || ! cmp -s $tmp/cc-$n-$i $v.ct; then
					echo "$n-$i round $j: $r" >> $tmp/concurrent.bad
				fi
				j=$((j + 1))
			done
		) &
	done
done
wait
[ -e $tmp/concurrent.bad ] && ktap_diag "$(head -3 $tmp/concurrent.bad)"
ktap_check "concurrent_users_match_openssl" test ! -e $tmp/concurrent.bad

# Clear keys only during the self-test.
r=$(paes enc $fx/key16.bin "$(cat $v.iv)" $v.pt $tmp/ct)
ktap_eq "clear_key_refused_eacces" "$r" "error -13 at setkey"

# Bad blobs, with the errno of each: the crypto API's size check (EINVAL),
# rstkey's shape check (EINVAL; a version 1 blob, with its shorter header,
# has no whole number of blocks of ciphertext in a version 2 layout) and the
# secure world's (see
# Documentation/rstkey/bad-input.rst).
for b in bad-magic:-74 bad-version:-95 bad-alg:-95 bad-keylen:-22 \
	 bad-tag:-74 bad-ciphertext:-74 truncated:-22 extended:-22 short:-22 \
	 other-key:-74 aes-17-bytes:-74 version-1:-22 key1:-13; do
	name=${b%%:*} err=${b#*:}
	r=$(paes enc $fx/$name.blob "$(cat $v.iv)" $v.pt $tmp/ct)
	ktap_eq "blob_${name}_refused" "$r" "error $err at setkey"
done

# Nothing is left: the restricted buffers of the failed and released keys
# are freed, and so are the device sessions.
state() { echo "$(pool_field free_pages)/$(pool_field buffers)/$(device_stat open_sessions)"; }
wait_for_state "$free0/$bufs0/$sess0" state
ktap_eq "pool_back_to_start" "$(pool_field free_pages)/$(pool_field buffers)" "$free0/$bufs0"
ktap_eq "no_session_left" "$(device_stat open_sessions)" "$sess0"
ktap_no_warnings "rstkey-test: cbc-paes-rstkey start"
ktap_kmemleak
rm -rf $tmp
ktap_done
