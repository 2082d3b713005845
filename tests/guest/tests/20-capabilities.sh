#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The capabilities rstkey reports in debugfs equal what the device offers,
# as read straight from its PCI BAR by virtio-crypto-config (no driver code
# involved), and match the QEMU command line of this VM (data queues) and
# what QEMU's builtin backend is known to do (AES-CBC, RSA).
. /usr/share/rstkey/lib.sh

ktap_plan 16

dev=$(/usr/share/rstkey/find-crypto-dev)
report=/sys/kernel/debug/rstkey/$(basename "${dev:-none}")/capabilities
drv=$(cat "$report" 2>/dev/null)
raw=$(virtio-crypto-config 2>&1)
[ -f /mnt/ctl/vm.env ] && . /mnt/ctl/vm.env
ktap_diag "driver report:"
echo "$drv" | sed 's/^/#   /'
ktap_diag "device config space:"
echo "$raw" | sed 's/^/#   /'

# field NAME: the first word of the driver's value for NAME.
field() { echo "$drv" | sed -n "s/^$1: \([^ ]*\).*/\1/p"; }
# rest NAME: the decoded names after the number.
rest() { echo "$drv" | sed -n "s/^$1: [^ ]* //p"; }
# rawf NAME: the device's value for NAME.
rawf() { echo "$raw" | sed -n "s/^$1: //p"; }
# eq NAME A B: numeric equality, both sides non-empty.
eq() {
	if [ -n "$2" ] && [ -n "$3" ] && [ $(($2)) -eq $(($3)) ]; then
		ktap_ok "$1"
	else
		ktap_diag "$1: driver '$2', device '$3'"
		ktap_fail "$1"
	fi
}

ktap_check "report_readable" test -n "$drv"
ktap_check "device_config_readable" test -n "$(rawf status)"

eq status "$(field status)" "$(rawf status)"
eq max_dataqueues "$(field max_dataqueues)" "$(rawf max_dataqueues)"
eq services "$(field services)" "$(rawf crypto_services)"
eq cipher "$(field cipher)" "$(( ($(rawf cipher_algo_h) << 32) | $(rawf cipher_algo_l) ))"
eq hash "$(field hash)" "$(rawf hash_algo)"
eq mac "$(field mac)" "$(( ($(rawf mac_algo_h) << 32) | $(rawf mac_algo_l) ))"
eq aead "$(field aead)" "$(rawf aead_algo)"
eq akcipher "$(field akcipher)" "$(rawf akcipher_algo)"
eq max_cipher_key_len "$(field max_cipher_key_len)" "$(rawf max_cipher_key_len)"
eq max_auth_key_len "$(field max_auth_key_len)" "$(rawf max_auth_key_len)"
eq max_size "$(field max_size)" "$(rawf max_size)"

# What this VM was started with, and what the builtin backend does.
eq vm_data_queues "$(field max_dataqueues)" "${RSTKEY_VM_CRYPTO_QUEUES:-}"
ktap_check "hw_ready_aes_cbc_rsa" sh -c 'echo "$1" | grep -qw hw-ready && echo "$2" | grep -qw aes-cbc && echo "$3" | grep -qw rsa' _ "$(rest status)" "$(rest cipher)" "$(rest akcipher)"
ktap_check "services_decoded" test "$(rest services)" = "cipher hash mac akcipher"

ktap_done
