#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The virtio-crypto device is bound to rstkey, not to the C virtio_crypto
# driver, and rstkey's debugfs report exists for it.
. /usr/share/rstkey/lib.sh

ktap_plan 4

dev=$(/usr/share/rstkey/find-crypto-dev)
ktap_check "virtio_crypto_device_present" test -n "$dev"
ktap_diag "device: ${dev:-none}"

drv=
[ -n "$dev" ] && [ -e "$dev/driver" ] && drv=$(basename "$(readlink "$dev/driver")")
ktap_diag "driver: ${drv:-none}"
ktap_check "bound_to_rstkey" test "$drv" = rstkey

ktap_check "c_driver_not_loaded" sh -c '! grep -q "^virtio_crypto " /proc/modules'

ktap_check "debugfs_report_exists" test -r "/sys/kernel/debug/rstkey/$(basename "${dev:-none}")/capabilities"

ktap_done
