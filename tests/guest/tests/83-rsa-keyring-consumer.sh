#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-kernel users of restricted RSA keys (the asymmetric key subtype rstkey),
# through the test-only debugfs file rstkey/keyring, and the keyring's own
# users of the keys' public parts:
# - The file looks the key up by its description in this shell's keyrings
#   (request_key()), has the device sign a digest that the secure world
#   placed in a restricted dma-buf (at offset 0 and further in, through
#   drivers/crypto/rstkey/rsassa.rs), and checks the signature with
#   verify_signature() on the key's public part: for RSA-2048, 3072 and 4096
#   with SHA-1, SHA-256 and SHA-512 the signatures equal openssl's, one data
#   request and no control request each. The same with the digest in kernel
#   memory, through the key type as keyctl pkey_sign does, for the restricted
#   key and for a PKCS#8 key of the same private key (the kernel's
#   public_key subtype): both equal openssl's; also a signature whose first
#   byte is zero, and 10,000 signatures of random digests all verify.
# - Refused: a key of another subtype for a restricted digest, an unknown
#   description, a key without the search permission, a revoked and an
#   expired key, a digest of the wrong size, an output buffer too small, a
#   hash the key does not sign, a changed signature.
# - The key's identifier is openssl's subject key identifier of the same key
#   (SHA-1 of the public key): keyctl search id: finds it. A keyring
#   restricted to what the key signed (key_or_keyring:<key>) accepts
#   openssl's certificate signed with the key, and refuses one signed by
#   another CA (no signer) and one forged to name the key as its signer (the
#   signature does not verify); the same with the CA's X.509 certificate of
#   that key as the restricting key, whose public_key subtype verifies on
#   the device.
# - Another user (uid 1000) can't use the key until its permissions grant
#   others the search permission.
# - Nothing is left behind: restricted pages and device sessions return to
#   their count before the test.
. /usr/share/rstkey/lib.sh

ktap_plan 52

fx=/mnt/ctl/fixtures
file=/sys/kernel/debug/rstkey/keyring
tmp=/tmp/rsac
mkdir -p $tmp

echo "rstkey-test: rsa-keyring-consumer start" > /dev/kmsg

free0=$(pool_field free_pages) bufs0=$(pool_field buffers) sess0=$(device_stat open_sessions)

keyctl new_session > /dev/null

hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
run() {
	echo "$1" > $file
	cat $file
}
# err CMD...: the message of a failing command, its output dropped.
err() { "$@" 2>&1 >/dev/null | sed 's/^.*: //' | tail -1; }
counts() { echo "$(device_stat ctrl_requests)/$(device_stat data_requests)"; }

for bits in 2048 3072 4096; do
	k=$fx/ak$bits
	key=$(keyctl padd asymmetric "rsac$bits" @s < $k.blob)
	ktap_check "rsa${bits}_added" test -n "$key"
	ctrl=$(device_stat ctrl_requests) data=$(device_stat data_requests) ok=1
	for h in sha1 sha256 sha512; do
		got=$(run "sign rsac$bits $h $(hexof $k-d-$h.bin) restricted")
		[ "$got" = "keyring: ok $(hexof $k-s-$h.bin)" ] ||
			{ ok=0; ktap_diag "restricted $bits $h: $(echo "$got" | cut -c1-80)"; }
	done
	ktap_eq "rsa${bits}_restricted_digest_signs_as_openssl" "$ok" 1
	# Three signatures: three data requests, no control request.
	ktap_eq "rsa${bits}_restricted_one_data_request_each" "$(counts)" "$ctrl/$((data + 3))"
	ok=1
	for h in sha1 sha256 sha512; do
		got=$(run "sign rsac$bits $h $(hexof $k-d-$h.bin) kernel")
		[ "$got" = "keyring: ok $(hexof $k-s-$h.bin)" ] ||
			{ ok=0; ktap_diag "kernel $bits $h: $(echo "$got" | cut -c1-80)"; }
	done
	ktap_eq "rsa${bits}_kernel_digest_signs_as_openssl" "$ok" 1
	ktap_eq "rsa${bits}_kernel_one_data_request_each" "$(counts)" "$ctrl/$((data + 6))"
	# The same private key as PKCS#8: the kernel's public_key subtype.
	p8=$(keyctl padd asymmetric "rsap$bits" @s < $k.p8)
	ktap_eq "rsa${bits}_pkcs8_key_signs_as_openssl" \
		"$(run "sign rsap$bits sha256 $(hexof $k-d-sha256.bin) kernel")" \
		"keyring: ok $(hexof $k-s-sha256.bin)"
	ktap_eq "rsa${bits}_pkcs8_key_no_restricted_digest" \
		"$(run "sign rsap$bits sha256 $(hexof $k-d-sha256.bin) restricted")" \
		"keyring: error -95 at subtype"
	keyctl unlink "$p8" @s > /dev/null
	# keyctl search by the key identifier, computed by openssl.
	ktap_eq "rsa${bits}_found_by_subject_key_id" \
		"$(keyctl search @s asymmetric "id:$(cat $k.skid)" 2>&1)" "$key"
	eval "key$bits=$key"
done

d=$(hexof $fx/ak2048-d-sha256.bin) s=$(hexof $fx/ak2048-s-sha256.bin)
ktap_eq "restricted_digest_at_offset_4000" "$(run "sign rsac2048 sha256 $d restricted 4000")" \
	"keyring: ok $s"
# A signature whose first byte is zero, which the device writes without it.
dz=$(hexof $fx/ak2048-d-zero.bin) sz=$(hexof $fx/ak2048-s-zero.bin)
ktap_eq "leading_zero_signature_restricted" "$(run "sign rsac2048 sha256 $dz restricted")" \
	"keyring: ok $sz"
ktap_eq "leading_zero_signature_kernel" "$(run "sign rsac2048 sha256 $dz kernel")" \
	"keyring: ok $sz"
# 10,000 signatures of random digests, each verified: none fails, and some
# start with a zero byte (39 to 78, as the modulus's first byte is). The
# debug kernel (lockdep, KASAN), whose signatures take ten times longer,
# makes 1,000, which may well have none with a zero byte.
n=10000 zero='[1-9][0-9]*'
[ -e /proc/lockdep ] && n=1000 zero='[0-9]+'
got=$(run "repeat rsac2048 $n")
ktap_diag "$n signatures: $got"
ktap_check "many_signatures_verify" sh -c \
	"echo '$got' | grep -Eq '^keyring: ok verified=$n zero=$zero\$'"
ktap_eq "verify_openssl_signature" "$(run "verify rsac2048 sha256 $s $d")" "keyring: ok"
bad=$(echo "$s" | sed 's/^\(.\{40\}\)./\1f/')
[ "$bad" = "$s" ] && bad=$(echo "$s" | sed 's/^\(.\{40\}\)./\1e/')
ktap_eq "changed_signature_rejected" "$(run "verify rsac2048 sha256 $bad $d")" \
	"keyring: error -129 at verify"
ktap_eq "wrong_digest_size_restricted" \
	"$(run "sign rsac2048 sha256 $(hexof $fx/ak2048-d-sha1.bin) restricted")" \
	"keyring: error -22 at sign"
ktap_eq "wrong_digest_size_kernel" \
	"$(run "sign rsac2048 sha256 $(hexof $fx/ak2048-d-sha1.bin) kernel")" \
	"keyring: error -22 at sign"
ktap_eq "output_buffer_too_small" "$(run "sign rsac2048 sha256 $d kernel 255")" \
	"keyring: error -75 at sign"
ktap_eq "unsupported_hash_restricted" "$(run "sign rsac2048 sha384 $d restricted")" \
	"keyring: error -95 at sign"
ktap_eq "unknown_description" "$(run "sign rsac-none sha256 $d kernel")" \
	"keyring: error -126 at lookup"
# A sign-only key signs; the keyring's permissions hold for in-kernel users.
key=$(keyctl padd asymmetric rsac-sign @s < $fx/ak2048-sign.blob)
ktap_eq "sign_only_key_signs_restricted" "$(run "sign rsac-sign sha256 $d restricted")" \
	"keyring: ok $s"
keyctl setperm "$key" 0x37010000
ktap_eq "no_search_permission_refused" "$(run "sign rsac-sign sha256 $d restricted")" \
	"keyring: error -13 at lookup"
keyctl unlink "$key" @s > /dev/null
key=$(keyctl padd asymmetric rsac-rev @s < $fx/ak2048.blob)
keyctl revoke "$key"
ktap_eq "revoked_key_refused" "$(run "sign rsac-rev sha256 $d restricted")" \
	"keyring: error -128 at lookup"
keyctl unlink "$key" @s > /dev/null
key=$(keyctl padd asymmetric rsac-exp @s < $fx/ak2048.blob)
keyctl timeout "$key" 1
sleep 2
# (request_key() passes over expired keys: there is none to find.)
ktap_eq "expired_key_refused" "$(run "sign rsac-exp sha256 $d restricted")" \
	"keyring: error -126 at lookup"
keyctl unlink "$key" @s > /dev/null 2>&1

# Another user, uid 1000, in a session of its own: it does not possess the
# key and is not its owner.
grep -q '^rsac:' /etc/passwd 2>/dev/null || echo 'rsac:x:1000:1000::/tmp:/bin/sh' >> /etc/passwd
as_user() { su -s /bin/sh rsac -c "keyctl session - $*"; }
key=$key2048
ktap_eq "other_uid_refused" \
	"$(err as_user keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256)" \
	"Permission denied"
keyctl setperm "$key" 0x3f010008
as_user keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256 > $tmp/s 2>$tmp/err
[ -s $tmp/err ] && ktap_diag "as uid 1000: $(cat $tmp/err)"
ktap_check "other_uid_signs_with_search_permission" cmp -s $tmp/s $fx/ak2048-s-sha256.bin
keyctl setperm "$key" 0x3f010000

# Keyrings restricted to the certificates a key signed.
# restricted NAME SIGNER: a new keyring restricted to what SIGNER signed.
restricted() {
	_r=$(keyctl newring "$1" @s)
	keyctl restrict_keyring "$_r" asymmetric "key_or_keyring:$2" || ktap_diag "restrict $1 failed"
	echo "$_r"
}
ca=$(keyctl padd asymmetric rsac-ca @s < $fx/ca.der)
for signer in restricted:$key2048 x509:$ca; do
	n=${signer%%:*} id=${signer#*:}
	r=$(restricted "rsac-$n-ring" "$id")
	ctrl=$(device_stat ctrl_requests) data=$(device_stat data_requests)
	leaf=$(keyctl padd asymmetric "" "$r" < $fx/leaf-by-ca.der 2>$tmp/err)
	[ -s $tmp/err ] && ktap_diag "$n: $(cat $tmp/err)"
	ktap_check "${n}_signer_accepts_its_certificate" test -n "$leaf"
	if [ $n = x509 ]; then
		# The public_key subtype verifies with pkcs1(rsa,sha256): rstkey's.
		ktap_check "x509_signer_verifies_on_device" \
			test "$(device_stat data_requests)" -gt "$data"
	fi
	ktap_eq "${n}_signer_refuses_other_ca" \
		"$(err keyctl padd asymmetric "" "$r" < $fx/leaf-by-other-ca.der)" \
		"Required key not available"
	ktap_eq "${n}_signer_refuses_forged" \
		"$(err keyctl padd asymmetric "" "$r" < $fx/leaf-forged.der)" \
		"Key was rejected by service"
	keyctl unlink "$r" @s > /dev/null
done
keyctl unlink "$ca" @s > /dev/null

for bits in 2048 3072 4096; do
	eval "keyctl unlink \$key$bits @s" > /dev/null
done
ktap_back_to_start "$free0" "$bufs0" "$sess0"
ktap_no_warnings "rstkey-test: rsa-keyring-consumer start"
ktap_kmemleak
rm -rf $tmp
ktap_done
