/* SPDX-License-Identifier: GPL-2.0 */
/* The UAPI headers the fuzzed files use, as in rust/uapi/uapi_helper.h. */
#include <linux/virtio_ids.h>
#include <linux/virtio_crypto.h>
#include <linux/rstkey_km.h>
