#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# RSASSA-PKCS1-v1_5 over inputs in restricted memory (drivers/crypto/rstkey/
# rsassa.rs), through the device's test-only debugfs file rsassa:
# - A digest the secure world placed in a restricted dma-buf, at offset 0 and
#   further in, is signed by the device reading it through the buffer's
#   attachment; the signatures equal openssl's on the host.
# - A protected dma-buf allocated by user space from the crypto-key heap
#   (all zeros) is signed as the all-zero digest, equal to openssl's; ranges
#   outside the buffer are refused (EINVAL), as is a buffer of ordinary
#   memory from the system heap, even with the right digest in it (EPERM),
#   and a descriptor that is no dma-buf.
# - Signatures and digests in restricted memory are verified with the private
#   and the public key; a changed signature or another digest give
#   EKEYREJECTED.
# - The raw-RSA path: the EMSA-PKCS1-v1_5 prefix rstkey chains before the
#   restricted digest equals the encoded message openssl recovers from its
#   signature, and the device, reading the chain (kernel entry, then the
#   restricted entry) as the input of an AES-128-CBC encryption, produces
#   exactly openssl's encryption of that encoded message.
# - Nothing is left behind: restricted pages and device sessions return to
#   their count before the test.
. /usr/share/rstkey/lib.sh

ktap_plan 23

fx=/mnt/ctl/fixtures
dev=$(/usr/share/rstkey/find-crypto-dev)
dir=/sys/kernel/debug/rstkey/$(basename "${dev:-none}")
file=$dir/rsassa
pool=/sys/kernel/debug/rstkey_sw/pool

echo "rstkey-test: rsassa restricted start" > /dev/kmsg

run() {
	echo "$1" > $file
	cat $file
}
hex() { cat "$fx/$1.hex"; }
pool_field() { sed -n "s/^$1 //p" $pool; }
sessions() { sed -n 's/^open_sessions: //p' $dir/stats; }

priv=$(hex rsa-priv.der)
pub=$(hex rsa-pub.der)
free0=$(pool_field free_pages)
sessions0=$(sessions)

# Digests placed in restricted memory by the secure world.
ktap_eq "sign_restricted_digest" "$(run "sign $priv import $(hex rsa-d1.bin)")" "rsassa: ok $(hex rsa-s1.bin)"
ktap_eq "sign_restricted_digest_at_offset_100" "$(run "sign $priv import $(hex rsa-d2.bin) 100")" "rsassa: ok $(hex rsa-s2.bin)"
ktap_eq "sign_short_digest_einval" "$(run "sign $priv import 00112233")" "rsassa: error -22 at run"

# Buffers allocated by user space.
fdcmd() {
	/usr/bin/dma-heap-test fdcmd "$@" || ktap_diag "dma-heap-test $*: failed"
	cat $file
}
ktap_eq "sign_user_protected_buffer" "$(fdcmd protected,crypto-key 4096 - $file sign $priv fd FD 0 32)" "rsassa: ok $(hex rsa-s0.bin)"
ktap_eq "sign_user_protected_buffer_end" "$(fdcmd protected,crypto-key 4096 - $file sign $priv fd FD 4064 32)" "rsassa: ok $(hex rsa-s0.bin)"
ktap_eq "range_past_end_einval" "$(fdcmd protected,crypto-key 4096 - $file sign $priv fd FD 4065 32)" "rsassa: error -22 at region"
ktap_eq "range_overflow_einval" "$(fdcmd protected,crypto-key 4096 - $file sign $priv fd FD 18446744073709551615 32)" "rsassa: error -22 at region"
ktap_eq "empty_range_einval" "$(fdcmd protected,crypto-key 4096 - $file sign $priv fd FD 0 0)" "rsassa: error -22 at region"
ktap_eq "system_heap_buffer_eperm" "$(fdcmd system 4096 $fx/rsa-d1.bin $file sign $priv fd FD 0 32)" "rsassa: error -1 at region"
ktap_eq "not_a_dma_buf_refused" "$(run "sign $priv fd 0 0 32")" "rsassa: error -22 at parse"

# Verification, with the signature and the digest in restricted memory.
ktap_eq "verify_private_key" "$(run "verify priv $priv import $(hex rsa-s1.bin) $(hex rsa-d1.bin)")" "rsassa: ok"
ktap_eq "verify_public_key" "$(run "verify pub $pub import $(hex rsa-s2.bin) $(hex rsa-d2.bin)")" "rsassa: ok"
bad=$(hex rsa-s1.bin | sed 's/^\(.\{200\}\)\(.\)/\1x\2/; s/x0/1/; s/x[1-9a-f]/0/')
ktap_diag "changed signature nibble 200: $(hex rsa-s1.bin | cut -c201) -> $(echo "$bad" | cut -c201)"
ktap_eq "changed_signature_ekeyrejected" "$(run "verify pub $pub import $bad $(hex rsa-d1.bin)")" "rsassa: error -129 at run"
ktap_eq "other_digest_ekeyrejected" "$(run "verify pub $pub import $(hex rsa-s1.bin) $(hex rsa-d2.bin)")" "rsassa: error -129 at run"
ktap_eq "short_signature_einval" "$(run "verify pub $pub import 0011 $(hex rsa-d2.bin)")" "rsassa: error -22 at run"
ktap_eq "bad_key_refused" "$(run "sign 3000 import $(hex rsa-d1.bin)")" "rsassa: error -74 at key"

# The raw-RSA path: padding in kernel memory chained before the restricted
# digest, read by the device.
out=$(run "chain 256 $(cat $fx/rsa-em1.key) $(cat $fx/rsa-em1.iv) import $(hex rsa-d1.bin)")
em=$(hex rsa-em1.bin)
ktap_eq "chain_prefix_equals_openssl_encoding" "$(echo "$out" | sed -n 's/.*prefix=\([0-9a-f]*\).*/\1/p')" "$(echo "$em" | cut -c1-448)"
ktap_eq "chain_two_segments" "$(echo "$out" | sed -n 's/.* segments=\([0-9]*\).*/\1/p')" "2"
ktap_eq "chain_read_by_device_equals_openssl" "$(echo "$out" | sed -n 's/.* cbc=\([0-9a-f]*\).*/\1/p')" "$(hex rsa-em1.cbc)"
ktap_eq "chain_key_too_short_einval" "$(run "chain 61 $(cat $fx/rsa-em1.key) $(cat $fx/rsa-em1.iv) import $(hex rsa-d1.bin)")" "rsassa: error -22 at run"

# Nothing left behind (dma-bufs freed in the kernel are released when the
# writing process returns to user space, before the next command).
echo "sign $priv import $(hex rsa-d1.bin)" > $file
ktap_eq "restricted_pages_returned" "$(pool_field free_pages)" "$free0"
ktap_eq "sessions_destroyed" "$(sessions)" "$sessions0"

ktap_no_warnings "rstkey-test: rsassa restricted start"

ktap_done
