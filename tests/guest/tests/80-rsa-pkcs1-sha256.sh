#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# RSASSA-PKCS1-v1_5 with SHA-256 on the device: rstkey registers
# pkcs1(rsa,sha256) as pkcs1-rsa-sha256-rstkey, which passed the crypto
# self-test (a 2048-bit private key, verify and an exact sign), above the
# generic template. The kernel's keyring uses it: with an ordinary PKCS#8
# RSA-2048 private key added with keyctl, pkey_sign of three digests gives
# exactly the signatures openssl made on the host (PKCS#1 v1.5 is
# deterministic), going through the device's control queue; pkey_verify
# accepts them, with the private key and with the public key of an X.509
# certificate, and rejects a changed signature (EKEYREJECTED) and a changed
# digest. RSAES-PKCS1-v1_5 (pkcs1pad(rsa), pkcs1pad-rsa-rstkey, also on the
# device): pkey_decrypt of a message openssl encrypted on the host gives the
# message back, pkey_encrypt with the certificate's public key followed by
# pkey_decrypt too, and a changed ciphertext is refused.
# pkcs1(rsa,sha1) and pkcs1(rsa,sha512) are registered as well
# (pkcs1-rsa-sha1-rstkey, pkcs1-rsa-sha512-rstkey): pkey_sign with those
# hashes equals openssl's signatures, pkey_verify accepts them and rejects a
# signature of another digest.
. /usr/share/rstkey/lib.sh

ktap_plan 31

fx=/mnt/ctl/fixtures
dev=$(/usr/share/rstkey/find-crypto-dev)
stats=/sys/kernel/debug/rstkey/$(basename "${dev:-none}")/stats

echo "rstkey-test: rsa pkcs1 start" > /dev/kmsg

field() {
	awk -v d="$1" -v f="$2" '$1 == "driver" { x = ($3 == d) } x && $1 == f { print $3; exit }' /proc/crypto
}
ctrl() { sed -n 's/^ctrl_requests: //p' "$stats"; }

ktap_eq "registered" "$(awk '$1 == "name" { n = $3 } $1 == "driver" && $3 == "pkcs1-rsa-sha256-rstkey" { print n; exit }' /proc/crypto)" "pkcs1(rsa,sha256)"
ktap_eq "selftest_passed" "$(field pkcs1-rsa-sha256-rstkey selftest)" "passed"
ktap_eq "priority_300" "$(field pkcs1-rsa-sha256-rstkey priority)" "300"
others=$(awk '$1 == "name" { n = $3 } $1 == "driver" { d = $3 }
	$1 == "priority" && n == "pkcs1(rsa,sha256)" && d != "pkcs1-rsa-sha256-rstkey" { print $3 }' /proc/crypto)
top=$(echo "$others" | sort -n | tail -1)
ktap_check "highest_priority" test "${top:-0}" -lt 300

# The keys are possessed through a session keyring of this shell.
keyctl new_session > /dev/null
key=$(keyctl padd asymmetric rstkey-test-key @s < $fx/rsa.p8)
ktap_check "pkcs8_key_added" test -n "$key"
ktap_diag "$(keyctl pkey_query "$key" 0 enc=pkcs1 hash=sha256 2>&1 | tr '\n' ' ')"

before=$(ctrl)
for i in 1 2 3; do
	keyctl pkey_sign "$key" 0 $fx/rsa-d$i.bin enc=pkcs1 hash=sha256 > /tmp/sig$i 2>/tmp/err
	[ -s /tmp/err ] && ktap_diag "sign $i: $(cat /tmp/err)"
	ktap_check "sign_${i}_equals_openssl" cmp -s /tmp/sig$i $fx/rsa-s$i.bin
done
after=$(ctrl)
ktap_diag "control requests: $before -> $after"
ktap_check "signed_on_device" test "${after:-0}" -gt "${before:-0}"

for i in 1 2 3; do
	ktap_check "verify_${i}_private_key" keyctl pkey_verify "$key" 0 $fx/rsa-d$i.bin $fx/rsa-s$i.bin enc=pkcs1 hash=sha256
done

cert=$(keyctl padd asymmetric rstkey-test-cert @s < $fx/rsa.crt)
ktap_check "verify_certificate_public_key" keyctl pkey_verify "$cert" 0 $fx/rsa-d1.bin $fx/rsa-s1.bin enc=pkcs1 hash=sha256

# A changed signature and a changed digest are rejected.
cp $fx/rsa-s1.bin /tmp/bad-sig
byte=$(od -An -tu1 -j 100 -N1 /tmp/bad-sig | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 255)))" | dd of=/tmp/bad-sig bs=1 seek=100 conv=notrunc 2>/dev/null
ktap_diag "changed byte 100: $byte -> $(od -An -tu1 -j 100 -N1 /tmp/bad-sig | tr -d ' ')"
out=$(keyctl pkey_verify "$cert" 0 $fx/rsa-d1.bin /tmp/bad-sig enc=pkcs1 hash=sha256 2>&1)
ktap_diag "changed signature: $out"
ktap_check "changed_signature_rejected" sh -c "echo '$out' | grep -q 'Key was rejected'"
out=$(keyctl pkey_verify "$cert" 0 $fx/rsa-d2.bin $fx/rsa-s1.bin enc=pkcs1 hash=sha256 2>&1)
ktap_diag "other digest: $out"
ktap_check "other_digest_rejected" sh -c "echo '$out' | grep -q 'Key was rejected'"

# SHA-1 and SHA-512: registered too, and used by the keyring.
for h in sha1 sha512; do
	ktap_eq "${h}_registered" "$(field pkcs1-rsa-$h-rstkey priority)" "300"
	ktap_eq "${h}_selftest_passed" "$(field pkcs1-rsa-$h-rstkey selftest)" "passed"
	keyctl pkey_sign "$key" 0 $fx/rsa-d-$h.bin enc=pkcs1 hash=$h > /tmp/sig-$h 2>/tmp/err
	[ -s /tmp/err ] && ktap_diag "sign $h: $(cat /tmp/err)"
	ktap_check "${h}_sign_equals_openssl" cmp -s /tmp/sig-$h $fx/rsa-s-$h.bin
	ktap_check "${h}_verify_certificate" keyctl pkey_verify "$cert" 0 $fx/rsa-d-$h.bin $fx/rsa-s-$h.bin enc=pkcs1 hash=$h
	out=$(keyctl pkey_verify "$cert" 0 $fx/rsa-d-$h.bin $fx/rsa-s1.bin enc=pkcs1 hash=$h 2>&1)
	ktap_check "${h}_wrong_signature_rejected" sh -c "echo '$out' | grep -q 'Key was rejected'"
done

# Encryption.
ktap_eq "pkcs1pad_registered" "$(field pkcs1pad-rsa-rstkey priority)" "300"
keyctl pkey_decrypt "$key" 0 $fx/rsa-cipher.bin enc=pkcs1 > /tmp/plain 2>/tmp/err
[ -s /tmp/err ] && ktap_diag "decrypt: $(cat /tmp/err)"
ktap_check "decrypt_openssl_ciphertext" cmp -s /tmp/plain $fx/rsa-plain.bin
keyctl pkey_encrypt "$cert" 0 $fx/rsa-plain.bin enc=pkcs1 > /tmp/cipher 2>/tmp/err
[ -s /tmp/err ] && ktap_diag "encrypt: $(cat /tmp/err)"
ktap_check "encrypt_256_bytes" test "$(wc -c < /tmp/cipher)" -eq 256
keyctl pkey_decrypt "$key" 0 /tmp/cipher enc=pkcs1 > /tmp/plain2 2>/tmp/err
ktap_check "encrypt_decrypt_round_trip" cmp -s /tmp/plain2 $fx/rsa-plain.bin
cp $fx/rsa-cipher.bin /tmp/bad-cipher
byte=$(od -An -tu1 -j 7 -N1 /tmp/bad-cipher | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 255)))" | dd of=/tmp/bad-cipher bs=1 seek=7 conv=notrunc 2>/dev/null
out=$(keyctl pkey_decrypt "$key" 0 /tmp/bad-cipher enc=pkcs1 2>&1 > /tmp/plain3)
ktap_diag "changed ciphertext: $out"
ktap_check "changed_ciphertext_refused" sh -c "[ -n '$out' ] && ! cmp -s /tmp/plain3 $fx/rsa-plain.bin"

keyctl unlink "$key" @s > /dev/null 2>&1
keyctl unlink "$cert" @s > /dev/null 2>&1

ktap_no_warnings "rstkey-test: rsa pkcs1 start"

ktap_done
