#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The key type rstkey: `keyctl add rstkey <desc> "new aes-<bits>-cbc"` has
# the secure world generate a key, and `keyctl pipe` gives its blob wrapped
# under the device key, never the key; `"load <hex blob>"` restores a key
# from its blob. The blobs key cbc(paes) (afalg-enc, directly and through a
# logon key): a generated key decrypts what it encrypted, two generated keys
# differ, and a loaded host-wrapped blob encrypts as openssl does with the
# clear key. Bad payloads and bad blobs are refused with their errno, keys
# can't be updated, and nothing is left in the restricted pool. The blob of
# a generated key and what it encrypted are kept for the next boot (the
# fault boot), which restores the key from the blob and decrypts it.
. /usr/share/rstkey/lib.sh

ktap_plan 40

fx=/mnt/ctl/fixtures
tmp=/tmp/keytype
mkdir -p $tmp

echo "rstkey-test: rstkey key type start" > /dev/kmsg

hex() { xxd -p "$1" | tr -d '\n'; }
# add DESC PAYLOAD: adds an rstkey key to the session keyring; prints its
# serial, or keyctl's error.
add() { keyctl add rstkey "$1" "$2" @s 2>&1; }
# blob_of SERIAL FILE: writes the blob of the key SERIAL to FILE.
blob_of() { keyctl pipe "$1" | xxd -r -p > "$2"; }

free0=$(pool_field free_pages) bufs0=$(pool_field buffers)
ktap_diag "at the start: pool free_pages=$free0 buffers=$bufs0"

# Everything runs in a session keyring of its own.
keyctl new_session > /dev/null

# Generated keys.
g1=$(add gen1 "new aes-256-cbc")
ktap_check "new_aes_256_added" sh -c "[ '$g1' -gt 0 ] 2>/dev/null"
g2=$(add gen2 "new aes-256-cbc")
g3=$(add gen3 "new aes-128-cbc")
g4=$(add gen4 "new aes-192-cbc
")
ktap_check "new_aes_128_and_192_added" sh -c "[ '$g3' -gt 0 ] && [ '$g4' -gt 0 ]" 2>/dev/null
ktap_eq "describe_names_the_type" "$(keyctl rdescribe $g1 | cut -d';' -f1,5)" "rstkey;gen1"
ktap_check "proc_keys_says_the_size" sh -c "grep -q ' rstkey *gen1: aes-256-cbc$' /proc/keys && grep -q ' rstkey *gen3: aes-128-cbc$' /proc/keys && grep -q ' rstkey *gen4: aes-192-cbc$' /proc/keys"
p1=$(keyctl pipe $g1)
ktap_eq "pipe_is_a_blob_of_112_bytes" "${#p1}" "224"
ktap_eq "blob_header_aes_cbc_exportable" "$(echo "$p1" | cut -c1-32)" "524b5742020120000100010001000000"
ktap_eq "blob_of_128_bit_key_is_96_bytes" "$(keyctl pipe $g3 | tr -d '\n' | wc -c)" "192"
ktap_eq "print_gives_the_blob" "$(keyctl print $g1)" "$p1"
ktap_check "generated_blobs_differ" sh -c "[ '$p1' != '$(keyctl pipe $g2)' ]"

# The generated key at work: cbc(paes) with its blob.
head -c 4096 /dev/urandom > $tmp/pt
iv=$(head -c 16 /dev/urandom | xxd -p)
blob_of $g1 $tmp/g1.blob
blob_of $g2 $tmp/g2.blob
r1=$(afalg-enc enc "cbc(paes)" $tmp/g1.blob $iv $tmp/pt $tmp/ct1 2>&1)
r2=$(afalg-enc dec "cbc(paes)" $tmp/g1.blob $iv $tmp/ct1 $tmp/pt1 2>&1)
ktap_check "generated_key_round_trip" sh -c "[ '$r1/$r2' = ok/ok ] && cmp -s $tmp/pt $tmp/pt1 && ! cmp -s $tmp/pt $tmp/ct1"
afalg-enc enc "cbc(paes)" $tmp/g2.blob $iv $tmp/pt $tmp/ct2 > /dev/null 2>&1
ktap_check "generated_keys_differ" sh -c "[ -s $tmp/ct2 ] && ! cmp -s $tmp/ct1 $tmp/ct2"
# The same blob through a logon key, as dm-crypt and AF_ALG users pass it.
s=$(keyctl padd logon rstkey:gen1 @s < $tmp/g1.blob)
r=$(afalg-enc enc "cbc(paes)" @$s $iv $tmp/pt $tmp/ct-logon 2>&1)
ktap_check "generated_key_through_logon_key" sh -c "[ '$r' = ok ] && cmp -s $tmp/ct1 $tmp/ct-logon"
for k in $g3 $g4; do
	blob_of $k $tmp/k.blob
	afalg-enc enc "cbc(paes)" $tmp/k.blob $iv $tmp/pt $tmp/ct > /dev/null 2>&1
	afalg-enc dec "cbc(paes)" $tmp/k.blob $iv $tmp/ct $tmp/pt2 > /dev/null 2>&1
	cmp -s $tmp/pt $tmp/pt2 || echo "$k" >> $tmp/bad-round-trip
done
ktap_check "128_and_192_bit_keys_round_trip" test ! -e $tmp/bad-round-trip

# For the next boot: the blob, the IV, a ciphertext and its plaintext, in
# hexadecimal, separated by colons.
head -c 64 /dev/urandom > $tmp/pt64
afalg-enc enc "cbc(paes)" $tmp/g1.blob $iv $tmp/pt64 $tmp/ct64 > /dev/null 2>&1
echo "$p1:$iv:$(hex $tmp/ct64):$(hex $tmp/pt64)" > /mnt/ctl/keytype-persist.txt

# Loaded keys: host-wrapped blobs, against openssl with the clear keys.
for n in 16 24 32; do
	l=$(add load$n "load $(hex $fx/key$n.blob)")
	v=$fx/paes-$n-2
	blob_of "$l" $tmp/l.blob
	r=$(afalg-enc enc "cbc(paes)" $tmp/l.blob "$(cat $v.iv)" $v.pt $tmp/ct 2>&1)
	ktap_check "load_$((n * 8))_matches_openssl" sh -c "[ '$r' = ok ] && cmp -s $tmp/l.blob $fx/key$n.blob && cmp -s $tmp/ct $v.ct && grep -q ' rstkey *load$n: aes-$((n * 8))-cbc$' /proc/keys"
done
l=$(add upper "load $(hex $fx/key32.blob | tr a-f A-F)")
ktap_eq "load_takes_uppercase_hex" "$(keyctl pipe "$l" 2>&1)" "$(hex $fx/key32.blob)"

# Bad payloads (EINVAL before the secure world sees them) and bad blobs
# (the secure world's errors, as for cbc(paes)); an RSA key's blob is longer
# than any AES key's.
einval="add_key: Invalid argument"
ktap_eq "empty_payload_refused" "$(add bad "")" "$einval"
ktap_eq "unknown_algorithm_refused" "$(add bad "new aes-512-cbc")" "$einval"
ktap_eq "two_spaces_refused" "$(add bad "new  aes-256-cbc")" "$einval"
ktap_eq "trailing_word_refused" "$(add bad "new aes-256-cbc now")" "$einval"
ktap_eq "unknown_command_refused" "$(add bad "generate aes-256-cbc")" "$einval"
ktap_eq "odd_hex_refused" "$(add bad "load $(hex $fx/key32.blob)0")" "$einval"
ktap_eq "not_hex_refused" "$(add bad "load $(hex $fx/key32.blob | sed 's/^./g/')")" "$einval"
ktap_eq "short_blob_refused" "$(add bad "load $(hex $fx/key32.blob | cut -c1-158)")" "$einval"
ktap_eq "tampered_blob_refused" "$(add bad "load $(hex $fx/bad-tag.blob)")" "add_key: Bad message"
ktap_eq "other_device_blob_refused" "$(add bad "load $(hex $fx/other-key.blob)")" "add_key: Bad message"
ktap_eq "xts_only_blob_refused" "$(add bad "load $(hex $fx/aes-xts.blob)")" "add_key: Permission denied"
ktap_eq "rsa_blob_refused" "$(add bad "load $(hex $fx/key1.blob)")" "$einval"
ktap_eq "no_bad_key_added" "$(grep -c ' rstkey *bad' /proc/keys)" "0"

# Keys can't be updated (they have no write permission); a revoked one can't
# be read.
ktap_eq "update_refused" "$(echo "new aes-256-cbc" | keyctl pupdate $g1 2>&1)" "keyctl_update: Permission denied"
ktap_eq "pipe_unchanged_after_update" "$(keyctl pipe $g1)" "$p1"
keyctl revoke $g2
ktap_eq "revoked_key_not_read" "$(keyctl pipe $g2 2>&1)" "keyctl_read_alloc: Key has been revoked"
keyctl unlink $g1 @s > /dev/null
ktap_check "unlinked_key_goes" sh -c "i=0; while grep -q ' rstkey *gen1:' /proc/keys && [ \$i -lt 20 ]; do sleep 1; i=\$((i + 1)); done; ! grep -q ' rstkey *gen1:' /proc/keys"

# Unloading rstkey unregisters the type, which destroys its keys (those
# still in the session keyring here).
if rmmod rstkey 2>/dev/null; then
	ktap_eq "keys_gone_with_the_module" "$(grep -c ' rstkey ' /proc/keys)" "0"
	ktap_eq "type_gone_with_the_module" "$(add x "new aes-256-cbc")" "add_key: No such device"
	modprobe rstkey
	ktap_check "type_back_with_the_module" sh -c "k=\$(keyctl add rstkey back 'new aes-128-cbc' @s) && keyctl pipe \$k > /dev/null"
else
	ktap_skip "keys_gone_with_the_module" "rstkey is built in"
	ktap_skip "type_gone_with_the_module" "rstkey is built in"
	ktap_skip "type_back_with_the_module" "rstkey is built in"
fi
keyctl clear @s

state() { echo "$(pool_field free_pages)/$(pool_field buffers)"; }
wait_for_state "$free0/$bufs0" state
ktap_eq "pool_back_to_start" "$(pool_field free_pages)/$(pool_field buffers)" "$free0/$bufs0"
ktap_no_warnings "rstkey-test: rstkey key type start"
ktap_kmemleak
rm -rf $tmp
ktap_done
