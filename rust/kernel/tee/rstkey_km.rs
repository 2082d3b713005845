// SPDX-License-Identifier: GPL-2.0

//! Protocol of the rstkey key manager.
//!
//! The key manager is a Trusted Application of the rstkey emulated secure world
//! (`drivers/tee/rstkey_sw`), which serves it, and the rstkey crypto driver
//! (`drivers/crypto/rstkey`) is its client. Both take the constants of the protocol from this
//! module, which takes them from the UAPI header, so each is defined once.
//!
//! C header: [`include/uapi/linux/rstkey_km.h`](srctree/include/uapi/linux/rstkey_km.h)

use super::Uuid;

/// The implementation id of the emulated secure world, the [`Version::impl_id`] of its TEE
/// device (`RSTKEY_SW_IMPL_ID`).
///
/// [`Version::impl_id`]: super::Version::impl_id
pub const IMPL_ID: u32 = uapi::RSTKEY_SW_IMPL_ID;

/// The UUID of the key manager, `5c0d3a1e-7b4f-4d6a-9e21-5f8c3b9a0d17` (`RSTKEY_KM_UUID_*`).
pub const UUID: Uuid = {
    let clock_seq = (uapi::RSTKEY_KM_UUID_CLOCK_SEQ as u16).to_be_bytes();
    let node = uapi::RSTKEY_KM_UUID_NODE.to_be_bytes();
    Uuid::new(
        uapi::RSTKEY_KM_UUID_TIME_LOW,
        uapi::RSTKEY_KM_UUID_TIME_MID as u16,
        uapi::RSTKEY_KM_UUID_TIME_HI_AND_VERSION as u16,
        [
            clock_seq[0],
            clock_seq[1],
            node[2],
            node[3],
            node[4],
            node[5],
            node[6],
            node[7],
        ],
    )
};

// The fields of the UUID fit their widths: the casts and the 6 bytes taken of the node above
// don't truncate.
const _: () = {
    assert!(uapi::RSTKEY_KM_UUID_TIME_MID <= u16::MAX as u32);
    assert!(uapi::RSTKEY_KM_UUID_TIME_HI_AND_VERSION <= u16::MAX as u32);
    assert!(uapi::RSTKEY_KM_UUID_CLOCK_SEQ <= u16::MAX as u32);
    assert!(uapi::RSTKEY_KM_UUID_NODE >> 48 == 0);
};

/// The largest key the key manager imports, unwraps or generates, in bytes
/// (`RSTKEY_KM_MAX_KEY`).
pub const MAX_KEY: usize = uapi::RSTKEY_KM_MAX_KEY as usize;

/// The largest public key an RSA key's blob carries, in bytes (`RSTKEY_KM_MAX_PUB`).
pub const MAX_PUB: usize = uapi::RSTKEY_KM_MAX_PUB as usize;

/// The commands of the key manager (`RSTKEY_KM_CMD_*`), the functions of
/// [`Session::invoke`](super::Session::invoke).
///
/// The parameters of each command are described in the C header.
pub mod cmd {
    /// Copies a clear key into restricted memory, if the platform allows it
    /// (`RSTKEY_KM_CMD_IMPORT`).
    pub const IMPORT: u32 = uapi::RSTKEY_KM_CMD_IMPORT;

    /// Authenticates and decrypts a wrapped key blob into restricted memory
    /// (`RSTKEY_KM_CMD_UNWRAP`).
    pub const UNWRAP: u32 = uapi::RSTKEY_KM_CMD_UNWRAP;

    /// Generates a random key in restricted memory (`RSTKEY_KM_CMD_GENERATE`).
    pub const GENERATE: u32 = uapi::RSTKEY_KM_CMD_GENERATE;

    /// Overwrites restricted memory with zeros (`RSTKEY_KM_CMD_ZEROIZE`).
    pub const ZEROIZE: u32 = uapi::RSTKEY_KM_CMD_ZEROIZE;

    /// Returns the SHA-256 digest of restricted memory, never its content
    /// (`RSTKEY_KM_CMD_CHECK`).
    pub const CHECK: u32 = uapi::RSTKEY_KM_CMD_CHECK;
}

/// Wrapped key blobs, version 2.
///
/// A blob is a header (`struct rstkey_km_blob_hdr`: the key's length, type, usages and flags),
/// for an RSA key its public key (a little-endian 16-bit length, then DER `RSAPublicKey`), the
/// key encrypted with AES-256-CBC with PKCS#7 padding under the IV of the header, and an
/// HMAC-SHA256 tag over all that.
pub mod blob {
    use core::mem::{
        offset_of,
        size_of, //
    };
    use uapi::rstkey_km_blob_hdr as Header;

    /// The magic of a blob, `"RKWB"`, as its bytes (`RSTKEY_KM_BLOB_MAGIC`, little endian).
    pub const MAGIC: [u8; 4] = uapi::RSTKEY_KM_BLOB_MAGIC.to_le_bytes();

    /// The version of the format (`RSTKEY_KM_BLOB_VERSION`).
    pub const VERSION: u8 = uapi::RSTKEY_KM_BLOB_VERSION as u8;

    /// AES-256-CBC with HMAC-SHA256, the only algorithm of the format
    /// (`RSTKEY_KM_BLOB_ALG_AES256_CBC_HMAC_SHA256`).
    pub const ALG_AES256_CBC_HMAC_SHA256: u8 =
        uapi::RSTKEY_KM_BLOB_ALG_AES256_CBC_HMAC_SHA256 as u8;

    /// The size of the tag at the end of a blob, in bytes (`RSTKEY_KM_BLOB_TAG_SIZE`).
    pub const TAG_SIZE: usize = uapi::RSTKEY_KM_BLOB_TAG_SIZE as usize;

    /// The size of the header, in bytes.
    pub const HDR_SIZE: usize = size_of::<Header>();

    /// The offset of the magic (`__le32 magic`) in the header.
    pub const MAGIC_OFFSET: usize = offset_of!(Header, magic);

    /// The offset of the version (`__u8 version`) in the header.
    pub const VERSION_OFFSET: usize = offset_of!(Header, version);

    /// The offset of the algorithm (`__u8 alg`) in the header.
    pub const ALG_OFFSET: usize = offset_of!(Header, alg);

    /// The offset of the key length (`__le16 key_len`) in the header.
    pub const KEY_LEN_OFFSET: usize = offset_of!(Header, key_len);

    /// The offset of the key type (`__u8 key_type`) in the header.
    pub const KEY_TYPE_OFFSET: usize = offset_of!(Header, key_type);

    /// The offset of the reserved byte (`__u8 reserved`, zero) in the header.
    pub const RESERVED_OFFSET: usize = offset_of!(Header, reserved);

    /// The offset of the usages (`__le16 usage`) in the header.
    pub const USAGE_OFFSET: usize = offset_of!(Header, usage);

    /// The offset of the flags (`__le32 flags`) in the header.
    pub const FLAGS_OFFSET: usize = offset_of!(Header, flags);

    /// The offset of the IV (`__u8 iv[]`) in the header.
    pub const IV_OFFSET: usize = offset_of!(Header, iv);

    /// The size of the IV, in bytes: the IV is the last field of the header.
    pub const IV_SIZE: usize = HDR_SIZE - IV_OFFSET;

    /// The size of the length of the public key (`__le16 pub_len`) that follows the header in
    /// the blob of an RSA key.
    pub const PUB_LEN_SIZE: usize = 2;

    /// An AES key (`RSTKEY_KM_KEY_AES`).
    pub const KEY_AES: u8 = uapi::RSTKEY_KM_KEY_AES as u8;

    /// An RSA private key, DER `RSAPrivateKey` (`RSTKEY_KM_KEY_RSA`).
    pub const KEY_RSA: u8 = uapi::RSTKEY_KM_KEY_RSA as u8;

    /// Usages (`RSTKEY_KM_USAGE_*`): the modes and operations a key may be used for.
    pub mod usage {
        /// AES in CBC mode.
        pub const AES_CBC: u16 = uapi::RSTKEY_KM_USAGE_AES_CBC as u16;
        /// AES in ECB mode.
        pub const AES_ECB: u16 = uapi::RSTKEY_KM_USAGE_AES_ECB as u16;
        /// AES in CTR mode.
        pub const AES_CTR: u16 = uapi::RSTKEY_KM_USAGE_AES_CTR as u16;
        /// AES in XTS mode: the key is two AES keys.
        pub const AES_XTS: u16 = uapi::RSTKEY_KM_USAGE_AES_XTS as u16;
        /// Every usage of an AES key.
        pub const AES: u16 = AES_CBC | AES_ECB | AES_CTR | AES_XTS;
        /// RSA signatures.
        pub const RSA_SIGN: u16 = uapi::RSTKEY_KM_USAGE_RSA_SIGN as u16;
        /// RSA decryption.
        pub const RSA_DECRYPT: u16 = uapi::RSTKEY_KM_USAGE_RSA_DECRYPT as u16;
        /// Every usage of an RSA key.
        pub const RSA: u16 = RSA_SIGN | RSA_DECRYPT;
    }

    /// The key may be exported, wrapped under the device key (`RSTKEY_KM_FLAG_EXPORTABLE`).
    pub const FLAG_EXPORTABLE: u32 = uapi::RSTKEY_KM_FLAG_EXPORTABLE;

    /// What the normal world can read of a blob without the device key: what its header says of
    /// the key, and the public key of an RSA key. None of it is authenticated before the key
    /// manager unwraps the blob.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Peeked<'a> {
        /// The key type (`KEY_*`).
        pub key_type: u8,
        /// The length of the key, in bytes.
        pub key_len: usize,
        /// The usages (`usage::*`).
        pub usage: u16,
        /// The public key of an RSA key, DER `RSAPublicKey`; `None` for other types.
        pub public: Option<&'a [u8]>,
    }

    /// Reads the header of `blob` and the public key of an RSA key's blob.
    ///
    /// Returns `None` if `blob` is not laid out as a blob of this version: shorter than its
    /// header, another magic, version or algorithm, a key length of 0 or above
    /// [`MAX_KEY`](super::MAX_KEY), an RSA key's public key empty or above
    /// [`MAX_PUB`](super::MAX_PUB), or a length that is not that of the layout the header gives.
    /// The other rules of the header (usages of the key type, flags) are the key manager's.
    pub fn peek(blob: &[u8]) -> Option<Peeked<'_>> {
        let hdr = blob.get(..HDR_SIZE)?;
        if hdr[MAGIC_OFFSET..MAGIC_OFFSET + MAGIC.len()] != MAGIC
            || hdr[VERSION_OFFSET] != VERSION
            || hdr[ALG_OFFSET] != ALG_AES256_CBC_HMAC_SHA256
        {
            return None;
        }
        let le16 = |at: usize| {
            Some(usize::from(u16::from_le_bytes([
                *blob.get(at)?,
                *blob.get(at + 1)?,
            ])))
        };
        let key_len = le16(KEY_LEN_OFFSET)?;
        if key_len == 0 || key_len > super::MAX_KEY {
            return None;
        }
        let key_type = hdr[KEY_TYPE_OFFSET];
        let (public, pub_size) = if key_type == KEY_RSA {
            let len = le16(HDR_SIZE)?;
            if len == 0 || len > super::MAX_PUB {
                return None;
            }
            let start = HDR_SIZE + PUB_LEN_SIZE;
            (Some(blob.get(start..start + len)?), PUB_LEN_SIZE + len)
        } else {
            (None, 0)
        };
        // The key padded as in PKCS#7 to whole AES blocks (the size of the IV), with at least
        // one byte of padding.
        const BLOCK: usize = IV_SIZE;
        let ciphertext = (key_len / BLOCK + 1) * BLOCK;
        if blob.len() != HDR_SIZE + pub_size + ciphertext + TAG_SIZE {
            return None;
        }
        Some(Peeked {
            key_type,
            key_len,
            usage: u16::from_le_bytes([hdr[USAGE_OFFSET], hdr[USAGE_OFFSET + 1]]),
            public,
        })
    }

    // The casts above don't truncate.
    const _: () = {
        assert!(uapi::RSTKEY_KM_BLOB_VERSION <= u8::MAX as u32);
        assert!(uapi::RSTKEY_KM_BLOB_ALG_AES256_CBC_HMAC_SHA256 <= u8::MAX as u32);
        assert!(uapi::RSTKEY_KM_KEY_AES <= u8::MAX as u32);
        assert!(uapi::RSTKEY_KM_KEY_RSA <= u8::MAX as u32);
        assert!(uapi::RSTKEY_KM_USAGE_RSA_DECRYPT <= u16::MAX as u32);
    };
}

#[cfg(CONFIG_RUST_TEE_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_tee_rstkey_km)]
mod tests {
    use super::*;
    use crate::{
        bindings,
        error::to_result,
        prelude::*, //
    };

    /// [`UUID`] is the UUID of the textual form in the C header, as `uuid_parse()` reads it.
    #[test]
    fn uuid_matches_the_header() -> Result {
        let mut parsed: bindings::uuid_t = pin_init::zeroed();
        // SAFETY: The string is NUL-terminated and `parsed` is valid for writes.
        to_result(unsafe {
            bindings::uuid_parse(
                c"5c0d3a1e-7b4f-4d6a-9e21-5f8c3b9a0d17".as_char_ptr(),
                &mut parsed,
            )
        })?;
        assert_eq!(*UUID.as_bytes(), parsed.b);
        Ok(())
    }

    /// The blob header has the layout the C header describes.
    #[test]
    fn blob_header_layout() {
        assert_eq!(&blob::MAGIC, b"RKWB");
        assert_eq!(
            (
                blob::MAGIC_OFFSET,
                blob::VERSION_OFFSET,
                blob::ALG_OFFSET,
                blob::KEY_LEN_OFFSET,
                blob::KEY_TYPE_OFFSET,
                blob::RESERVED_OFFSET,
                blob::USAGE_OFFSET,
                blob::FLAGS_OFFSET,
                blob::IV_OFFSET,
                blob::HDR_SIZE
            ),
            (0, 4, 5, 6, 8, 9, 10, 12, 16, 32)
        );
    }
}
