#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The kernel verifies module signatures through the accelerator: the test
# kernel signs its modules (CONFIG_MODULE_SIG_ALL, SHA-512, the build's
# RSA-4096 key in the builtin trusted keyring), and once rstkey is bound the
# kernel's PKCS#7 check of a module's signature uses the highest-priority
# pkcs1(rsa,sha512): rstkey's, on the device.
# - Loading the signed module virtio_crypto (the C driver, which binds no
#   device while rstkey has it) succeeds, and the device verified it: its
#   data requests grew; the kernel does not taint itself for an unverified
#   module.
# - The same module with one byte of its signature changed is refused
#   (EKEYREJECTED), after the device was asked; so is the module with one
#   byte of its code changed, under its original signature.
# - With the device unbound, rstkey's algorithms stay registered: a signed
#   module still loads and a changed one is refused (the public key goes to
#   the generic RSA), and a certificate verifies a signature, while a
#   private key is refused (ENODEV).
. /usr/share/rstkey/lib.sh

ktap_plan 14

tmp=/tmp/modsig
mkdir -p $tmp

echo "rstkey-test: module-signature start" > /dev/kmsg

# err CMD...: the message of a failing command.
err() { "$@" 2>&1 >/dev/null | sed 's/^.*: //' | tail -1; }
# bad_sig MODULE COPY: COPY is MODULE with a byte of its signature changed.
# The signature is the last thing before the module_signature trailer (12
# bytes) and the marker (28 bytes).
bad_sig() {
	cp "$1" "$2"
	flip_byte "$2" $(($(wc -c < "$1") - 40 - 16))
}

# virtio_crypto needs crypto_engine, a module too: modprobe loads it (its
# signature verified the same way).
ko=$(find /lib/modules/"$(uname -r)" -name virtio_crypto.ko | head -1)
had_engine=$(grep -c '^crypto_engine ' /proc/modules)
ktap_check "module_is_signed" sh -c "tail -c 28 '$ko' | grep -q 'Module signature appended'"
ktap_eq "rstkey_serves_pkcs1_rsa_sha512" "$(crypto_entry pkcs1-rsa-sha512-rstkey module)" rstkey
rmmod virtio_crypto 2>/dev/null
taint0=$(cat /proc/sys/kernel/tainted)

modprobe crypto_engine
data=$(device_stat data_requests)
insmod "$ko" 2>$tmp/err
[ -s $tmp/err ] && ktap_diag "insmod: $(cat $tmp/err)"
ktap_check "signed_module_loads" grep -q '^virtio_crypto ' /proc/modules
ktap_diag "loading virtio_crypto: device data requests $data -> $(device_stat data_requests)"
ktap_check "signature_verified_on_device" test "$(device_stat data_requests)" -gt "$data"
ktap_eq "kernel_not_tainted" "$(cat /proc/sys/kernel/tainted)" "$taint0"
rmmod virtio_crypto

# A byte of the signature changed, then one of the code.
bad_sig "$ko" $tmp/bad-sig.ko
data=$(device_stat data_requests)
ktap_eq "changed_signature_refused" "$(err insmod $tmp/bad-sig.ko)" "Key was rejected by service"
ktap_check "changed_signature_checked_on_device" test "$(device_stat data_requests)" -gt "$data"
cp "$ko" $tmp/bad-code.ko
flip_byte $tmp/bad-code.ko 100
ktap_eq "changed_module_refused" "$(err insmod $tmp/bad-code.ko)" "Key was rejected by service"

# Without a device, rstkey's pkcs1(rsa,<hash>) stays registered and keeps
# the public keys it is given for the generic RSA: the kernel still
# verifies module signatures (and refuses a bad one), and a private key is
# refused, not placed in normal memory.
# (The module loaded is crypto_engine: virtio_crypto would bind the device.)
drv=/sys/bus/virtio/drivers/rstkey
name=$(basename "$(/usr/share/rstkey/find-crypto-dev)")
eko=$(find /lib/modules/"$(uname -r)" -name crypto_engine.ko | head -1)
bad_sig "$eko" $tmp/bad-engine.ko
rmmod crypto_engine
echo "$name" > $drv/unbind
insmod "$eko" 2>$tmp/err
[ -s $tmp/err ] && ktap_diag "insmod without a device: $(cat $tmp/err)"
ktap_check "no_device_signed_module_loads" grep -q '^crypto_engine ' /proc/modules
rmmod crypto_engine 2>/dev/null
ktap_eq "no_device_changed_signature_refused" "$(err insmod $tmp/bad-engine.ko)" \
	"Key was rejected by service"
keyctl new_session > /dev/null
p8=$(keyctl padd asymmetric modsig-p8 @s < /mnt/ctl/fixtures/ak2048.p8)
ktap_eq "no_device_private_key_refused" \
	"$(err keyctl pkey_sign "$p8" 0 /mnt/ctl/fixtures/ak2048-d-sha256.bin enc=pkcs1 hash=sha256)" \
	"No such device"
# (public_key uses a PKCS#8 key's private key even to verify: a certificate
# of the same key gives the public key.)
cert=$(keyctl padd asymmetric modsig-cert @s < /mnt/ctl/fixtures/ca.der)
ktap_check "no_device_certificate_verifies" keyctl pkey_verify "$cert" 0 \
	/mnt/ctl/fixtures/ak2048-d-sha256.bin /mnt/ctl/fixtures/ak2048-s-sha256.bin enc=pkcs1 hash=sha256
keyctl unlink "$p8" @s > /dev/null
keyctl unlink "$cert" @s > /dev/null
echo "$name" > $drv/bind
bound() { [ -e "$drv/$name" ] && echo yes; }
wait_for_state yes bound
ktap_check "device_back" test "$(bound)" = yes
[ "$had_engine" = 1 ] && modprobe crypto_engine

ktap_no_warnings "rstkey-test: module-signature start"
rm -rf $tmp
ktap_done
