/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Key manager of the rstkey emulated secure world.
 *
 * The key manager is a Trusted Application of the rstkey emulated secure
 * world (drivers/tee/rstkey_sw), reached through the standard TEE client
 * interface. It places key material in protected memory of the
 * "protected,crypto-key" heap, where only the secure world and the devices
 * it granted access can reach it. Only kernel clients
 * (TEE_IOCTL_LOGIN_REE_KERNEL) may open sessions.
 *
 * See Documentation/tee/rstkey-sw.rst.
 */

#ifndef _UAPI_LINUX_RSTKEY_KM_H
#define _UAPI_LINUX_RSTKEY_KM_H

#include <linux/types.h>

/* Implementation id of the emulated secure world, TEE_IOC_VERSION impl_id */
#define RSTKEY_SW_IMPL_ID	0x524b5357	/* "RKSW" */

/*
 * UUID of the key manager: 5c0d3a1e-7b4f-4d6a-9e21-5f8c3b9a0d17, by field of
 * its textual form, and as the 16 bytes of a UUID (RFC 4122 order, as in
 * struct tee_ioctl_open_session_arg) derived from the fields.
 */
#define RSTKEY_KM_UUID_TIME_LOW			0x5c0d3a1e
#define RSTKEY_KM_UUID_TIME_MID			0x7b4f
#define RSTKEY_KM_UUID_TIME_HI_AND_VERSION	0x4d6a
#define RSTKEY_KM_UUID_CLOCK_SEQ		0x9e21
#define RSTKEY_KM_UUID_NODE			0x5f8c3b9a0d17ULL

#define __RSTKEY_KM_UUID_BYTE(field, shift)	((__u8)((field) >> (shift)))

#define RSTKEY_KM_UUID_BYTES						\
	{ __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_LOW, 24),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_LOW, 16),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_LOW, 8),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_LOW, 0),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_MID, 8),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_MID, 0),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_HI_AND_VERSION, 8),	\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_TIME_HI_AND_VERSION, 0),	\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_CLOCK_SEQ, 8),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_CLOCK_SEQ, 0),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_NODE, 40),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_NODE, 32),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_NODE, 24),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_NODE, 16),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_NODE, 8),		\
	  __RSTKEY_KM_UUID_BYTE(RSTKEY_KM_UUID_NODE, 0) }

/*
 * Commands. "Restricted" memory references refer to a registered dma-buf of
 * the crypto-key heap; the others to kernel shared memory.
 */

/*
 * Copy a clear key into restricted memory, if the platform's policy allows
 * importing clear keys.
 * [in]     param[0] memref: the key, 1 to RSTKEY_KM_MAX_KEY bytes
 * [out]    param[1] memref: restricted destination; size set to the key length
 */
#define RSTKEY_KM_CMD_IMPORT		0

/*
 * Authenticate and decrypt a wrapped key blob (struct rstkey_km_blob_hdr)
 * under the device key into restricted memory, for the use the caller names:
 * a blob of another key type, or without one of the usages, is refused
 * (TEE_ERROR_ACCESS_DENIED).
 * [in]     param[0] memref: the blob
 * [out]    param[1] memref: restricted destination; size set to the key length
 * [in]     param[2] value: a = key type (RSTKEY_KM_KEY_*), b = the usages
 *          the caller needs (RSTKEY_KM_USAGE_*, at least one)
 */
#define RSTKEY_KM_CMD_UNWRAP		1

/*
 * Generate a random key in restricted memory, and, if it is exportable, its
 * blob wrapped under the device key: the key itself never leaves the secure
 * world and restricted memory.
 * [in]     param[0] value: a = key length, b = key type (RSTKEY_KM_KEY_AES;
 *          others are not generated), c = usages (bits 0-15) and flags
 *          (bits 32-63); length, usages and flags as for a blob
 * [out]    param[1] memref: restricted destination; size set to the key length
 * [out]    param[2] memref: kernel memory for the blob; size set to the
 *          blob's length. Given if and only if the flags have
 *          RSTKEY_KM_FLAG_EXPORTABLE.
 */
#define RSTKEY_KM_CMD_GENERATE		2

/*
 * Overwrite restricted memory with zeros.
 * [inout]  param[0] memref: restricted range
 */
#define RSTKEY_KM_CMD_ZEROIZE		3

/*
 * Self-check: the SHA-256 digest of restricted memory, never its content.
 * [in]     param[0] memref: restricted range
 * [out]    param[1] memref: at least 32 bytes for the digest
 */
#define RSTKEY_KM_CMD_CHECK		4

/* The largest key the key manager imports, unwraps or generates */
#define RSTKEY_KM_MAX_KEY		4096

/* The largest public key an RSA key's blob carries */
#define RSTKEY_KM_MAX_PUB		1024

/*
 * Wrapped key blob, version 2:
 *
 *   struct rstkey_km_blob_hdr hdr;
 *   __le16 pub_len;                RSA keys only
 *   __u8 pub[pub_len];             RSA keys only
 *   __u8 ciphertext[(key_len / 16 + 1) * 16];
 *   __u8 tag[32];
 *
 * The ciphertext is the key, padded as in PKCS#7, encrypted with AES-256-CBC
 * under the device's encryption key with the IV of the header. The tag is
 * HMAC-SHA256 under the device's MAC key over everything before it: the
 * header, the public key if any, the ciphertext (encrypt-then-MAC). The
 * device key is 64 bytes: the encryption key followed by the MAC key.
 *
 * The blob of an RSA key carries the key's public part in the clear, as a
 * DER RSAPublicKey of 1 to RSTKEY_KM_MAX_PUB bytes, so that the normal world
 * can verify, encrypt and name the key without unwrapping it (as a TPM key
 * blob has its public area). The tag covers it, and the key manager refuses
 * a blob whose public key is not that of its private key
 * (TEE_ERROR_BAD_FORMAT).
 *
 * The header binds what the key is and what it may be used for: its type,
 * its usages (at least one, all of the type) and its flags (reserved must be
 * zero). An AES key is 16, 24 or 32 bytes, or, for XTS, 32 or 64 (two keys);
 * with several usages its length must suit each. An RSA key is a DER
 * RSAPrivateKey of 1 to RSTKEY_KM_MAX_KEY bytes. Version 1 blobs, which bound
 * no type or usage, are refused (TEE_ERROR_NOT_SUPPORTED).
 */
#define RSTKEY_KM_BLOB_MAGIC		0x42574b52	/* "RKWB", little endian */
#define RSTKEY_KM_BLOB_VERSION		2
#define RSTKEY_KM_BLOB_ALG_AES256_CBC_HMAC_SHA256	1
#define RSTKEY_KM_BLOB_TAG_SIZE		32

/* Key types */
#define RSTKEY_KM_KEY_AES		1
#define RSTKEY_KM_KEY_RSA		2

/* Usages of AES keys */
#define RSTKEY_KM_USAGE_AES_CBC		(1 << 0)
#define RSTKEY_KM_USAGE_AES_ECB		(1 << 1)
#define RSTKEY_KM_USAGE_AES_CTR		(1 << 2)
#define RSTKEY_KM_USAGE_AES_XTS		(1 << 3)
/* Usages of RSA keys */
#define RSTKEY_KM_USAGE_RSA_SIGN	(1 << 8)
#define RSTKEY_KM_USAGE_RSA_DECRYPT	(1 << 9)

/* Flags: the key may be exported, wrapped under the device key */
#define RSTKEY_KM_FLAG_EXPORTABLE	(1 << 0)

struct rstkey_km_blob_hdr {
	__le32 magic;
	__u8 version;
	__u8 alg;
	__le16 key_len;
	__u8 key_type;
	__u8 reserved;
	__le16 usage;
	__le32 flags;
	__u8 iv[16];
};

#endif /* _UAPI_LINUX_RSTKEY_KM_H */
