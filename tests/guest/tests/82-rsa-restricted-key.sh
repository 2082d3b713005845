#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The asymmetric key subtype rstkey: `keyctl padd asymmetric` with the blob
# of an RSA key (2048, 3072 and 4096 bits, wrapped on the host with openssl,
# with its public key) makes a key whose private part the secure world
# unwrapped into restricted memory when the key was added. For each size:
# pkey_query gives the size and the operations; pkey_sign with SHA-1, SHA-256
# and SHA-512 gives exactly openssl's signatures (PKCS#1 v1.5 is
# deterministic), each one data request and no control request; pkey_verify
# accepts them and rejects a changed signature or digest; pkey_decrypt of
# openssl's encryption gives the message back; what pkey_encrypt makes,
# openssl decrypts; a changed signature, digest or ciphertext is refused.
# /proc/keys names the subtype and the size. A sign-only key does not
# decrypt; bad blobs, hashes and encodings are refused, and keys without the
# search permission, revoked or expired; with the device gone,
# a key's operations fail and it can still be unlinked; the device sessions
# and restricted buffers go with the keys.
. /usr/share/rstkey/lib.sh

ktap_plan 69

fx=/mnt/ctl/fixtures
tmp=/tmp/rsak
mkdir -p $tmp

echo "rstkey-test: rsa-restricted-key start" > /dev/kmsg

free0=$(pool_field free_pages) bufs0=$(pool_field buffers) sess0=$(device_stat open_sessions)
ktap_diag "at the start: pool free_pages=$free0 buffers=$bufs0, open sessions $sess0"

# The keys are possessed through a session keyring of this shell.
keyctl new_session > /dev/null

# err CMD...: the message of a failing keyctl command, its output dropped.
err() { "$@" 2>&1 >/dev/null | sed 's/^.*: //' | tail -1; }

for bits in 2048 3072 4096; do
	k=$fx/ak$bits
	ctrl0=$(device_stat ctrl_requests)
	key=$(keyctl padd asymmetric "rsak$bits" @s < $k.blob 2>$tmp/err)
	[ -s $tmp/err ] && ktap_diag "add $bits: $(cat $tmp/err)"
	ktap_check "rsa${bits}_blob_added" test -n "$key"
	ktap_diag "adding: control requests $ctrl0 -> $(device_stat ctrl_requests)"
	ktap_check "rsa${bits}_proc_keys_names_subtype" \
		grep -q "rsak$bits: rstkey restricted RSA-$bits" /proc/keys
	q=$(keyctl pkey_query "$key" 0 enc=pkcs1 hash=sha256 2>&1 | tr '\n' ' ')
	ktap_diag "$q"
	ktap_check "rsa${bits}_query" sh -c "echo '$q' | grep -q 'key_size=$bits' &&
		echo '$q' | grep -q 'max_sig_size=$((bits / 8))' && echo '$q' | grep -q 'sign=y' &&
		echo '$q' | grep -q 'decrypt=y'"

	ctrl=$(device_stat ctrl_requests) data=$(device_stat data_requests) ok=1
	for h in sha1 sha256 sha512; do
		keyctl pkey_sign "$key" 0 $k-d-$h.bin enc=pkcs1 hash=$h > $tmp/s-$h 2>$tmp/err
		[ -s $tmp/err ] && ktap_diag "sign $bits $h: $(cat $tmp/err)"
		cmp -s $tmp/s-$h $k-s-$h.bin || ok=0
	done
	ktap_eq "rsa${bits}_signs_equal_openssl" "$ok" 1
	# Three signatures: three data requests, no control request.
	ktap_eq "rsa${bits}_signs_one_data_request_each" \
		"$(device_stat ctrl_requests)/$(device_stat data_requests)" "$ctrl/$((data + 3))"

	ok=1
	for h in sha1 sha256 sha512; do
		keyctl pkey_verify "$key" 0 $k-d-$h.bin $k-s-$h.bin enc=pkcs1 hash=$h 2>/dev/null || ok=0
	done
	ktap_eq "rsa${bits}_verifies_openssl_signatures" "$ok" 1
	cp $k-s-sha256.bin $tmp/bad-sig
	flip_byte $tmp/bad-sig 20
	ktap_eq "rsa${bits}_changed_signature_rejected" \
		"$(err keyctl pkey_verify "$key" 0 $k-d-sha256.bin $tmp/bad-sig enc=pkcs1 hash=sha256)" \
		"Key was rejected by service"
	ktap_eq "rsa${bits}_other_digest_rejected" \
		"$(err keyctl pkey_verify "$key" 0 $k-d-sha1.bin $k-s-sha256.bin enc=pkcs1 hash=sha1)" \
		"Key was rejected by service"
	cp $k-d-sha256.bin $tmp/bad-d
	flip_byte $tmp/bad-d 5
	ktap_eq "rsa${bits}_changed_digest_rejected" \
		"$(err keyctl pkey_verify "$key" 0 $tmp/bad-d $k-s-sha256.bin enc=pkcs1 hash=sha256)" \
		"Key was rejected by service"

	keyctl pkey_decrypt "$key" 0 $k-cipher.bin enc=pkcs1 > $tmp/plain 2>$tmp/err
	[ -s $tmp/err ] && ktap_diag "decrypt $bits: $(cat $tmp/err)"
	ktap_check "rsa${bits}_decrypts_openssl" cmp -s $tmp/plain $k-plain.bin
	cp $k-cipher.bin $tmp/bad-c
	flip_byte $tmp/bad-c 10
	ktap_eq "rsa${bits}_changed_ciphertext_refused" \
		"$(err keyctl pkey_decrypt "$key" 0 $tmp/bad-c enc=pkcs1)" "Invalid argument"
	keyctl pkey_encrypt "$key" 0 $k-plain.bin enc=pkcs1 > $tmp/enc 2>$tmp/err
	openssl pkeyutl -decrypt -inkey $k.pem -pkeyopt rsa_padding_mode:pkcs1 \
		-in $tmp/enc -out $tmp/dec 2>/dev/null
	ktap_check "rsa${bits}_encryption_decrypts_with_openssl" cmp -s $tmp/dec $k-plain.bin

	ktap_eq "rsa${bits}_unsupported_hash" \
		"$(err keyctl pkey_sign "$key" 0 $k-d-sha256.bin enc=pkcs1 hash=sha384)" \
		"Operation not supported"
	ktap_eq "rsa${bits}_raw_encoding_refused" \
		"$(err keyctl pkey_sign "$key" 0 $k-d-sha256.bin enc=raw)" "Operation not supported"
	ktap_eq "rsa${bits}_digest_of_wrong_size" \
		"$(err keyctl pkey_sign "$key" 0 $k-d-sha1.bin enc=pkcs1 hash=sha256)" "Invalid argument"
	eval "key$bits=$key"
done

# Three keys: one restricted buffer and three sessions each.
ktap_eq "three_keys_three_buffers" "$(pool_field buffers)" "$((bufs0 + 3))"
ktap_eq "three_keys_nine_sessions" "$(device_stat open_sessions)" "$((sess0 + 9))"

# A sign-only key signs and does not decrypt.
key=$(keyctl padd asymmetric rsak-sign @s < $fx/ak2048-sign.blob)
keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256 > $tmp/s 2>/dev/null
ktap_check "sign_only_key_signs" cmp -s $tmp/s $fx/ak2048-s-sha256.bin
ktap_eq "sign_only_key_does_not_decrypt" \
	"$(err keyctl pkey_decrypt "$key" 0 $fx/ak2048-cipher.bin enc=pkcs1)" "Operation not supported"
q=$(keyctl pkey_query "$key" 0 enc=pkcs1 hash=sha256 2>&1 | tr '\n' ' ')
ktap_check "sign_only_key_query" sh -c "echo '$q' | grep -q 'decrypt=n' && echo '$q' | grep -q 'sign=y'"
keyctl unlink "$key" @s > /dev/null

# Bad blobs: an AES key's (another purpose), a tampered one, one of another
# device, an RSA blob whose public key is another key's (the secure world
# refuses it) or too small a key's, a truncated one (not a blob: no parser
# takes it).
b=$tmp/bad.blob
cp $fx/ak2048.blob $b
len=$(wc -c < $b)
flip_byte $b $((len - 1))
for c in key32.blob:"Permission denied" $b:"Bad message" ak-other-device.blob:"Bad message" \
	 ak-other-pub.blob:"Bad message" rsa-other-pub.blob:"Invalid argument"; do
	f=${c%%:*} msg=${c#*:}
	case $f in /*) ;; *) f=$fx/$f ;; esac
	ktap_eq "blob_$(basename "$f" .blob)_refused" \
		"$(err keyctl padd asymmetric bad @s < $f)" "$msg"
done
head -c $((len - 1)) $fx/ak2048.blob > $tmp/short.blob
ktap_eq "blob_truncated_refused" "$(err keyctl padd asymmetric bad @s < $tmp/short.blob)" "Bad message"
ktap_check "no_bad_key_added" sh -c "! grep -q ' bad: ' /proc/keys"

# The keyring's permissions hold for the subtype's keys: one without the
# search permission, a revoked one, an expired one can't be used.
key=$(keyctl padd asymmetric rsak-perm @s < $fx/ak2048.blob)
keyctl setperm "$key" 0x37010000
ktap_eq "no_search_permission_refused" \
	"$(err keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256)" "Permission denied"
# (Without the search permission, the key is not found as possessed: its
# permissions can't be given back.)
keyctl unlink "$key" @s > /dev/null
key=$(keyctl padd asymmetric rsak-rev @s < $fx/ak2048.blob)
keyctl revoke "$key"
ktap_eq "revoked_key_refused" \
	"$(err keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256)" "Key has been revoked"
keyctl unlink "$key" @s > /dev/null
key=$(keyctl padd asymmetric rsak-exp @s < $fx/ak2048.blob)
keyctl timeout "$key" 1
sleep 2
ktap_eq "expired_key_refused" \
	"$(err keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256)" "Key has expired"
keyctl unlink "$key" @s > /dev/null 2>&1

# The keys hold the module.
ktap_check "rmmod_refused_while_keys_exist" sh -c "! rmmod rstkey 2>/dev/null"

# The device goes while a key exists: the key's operations fail, a new key
# can't be made, the key can be unlinked; once the device is back, a key
# added from the blob signs.
drv=/sys/bus/virtio/drivers/rstkey
name=$(basename "$(/usr/share/rstkey/find-crypto-dev)")
key=$(keyctl padd asymmetric rsak-gone @s < $fx/ak2048.blob)
echo "$name" > $drv/unbind
ktap_eq "device_gone_sign_fails" \
	"$(err keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256)" "No such device"
ktap_eq "device_gone_add_fails" "$(err keyctl padd asymmetric rsak-none @s < $fx/ak2048.blob)" \
	"No such device"
ktap_check "device_gone_key_unlinked" sh -c "keyctl unlink $key @s > /dev/null"
echo "$name" > $drv/bind
bound() { [ -e "$drv/$name" ] && echo yes; }
wait_for_state yes bound
key=$(keyctl padd asymmetric rsak-back @s < $fx/ak2048.blob)
keyctl pkey_sign "$key" 0 $fx/ak2048-d-sha256.bin enc=pkcs1 hash=sha256 > $tmp/s 2>/dev/null
ktap_check "device_back_new_key_signs" cmp -s $tmp/s $fx/ak2048-s-sha256.bin
keyctl unlink "$key" @s > /dev/null

# The keys go: their sessions and restricted buffers with them.
for bits in 2048 3072 4096; do
	eval "keyctl unlink \$key$bits @s" > /dev/null
done
ktap_back_to_start "$free0" "$bufs0" "$sess0"
ktap_no_warnings "rstkey-test: rsa-restricted-key start"
ktap_kmemleak
rm -rf $tmp
ktap_done
