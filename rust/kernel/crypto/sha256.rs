// SPDX-License-Identifier: GPL-2.0

//! SHA-256 and HMAC-SHA256 library.
//!
//! One-shot digests and message authentication codes with the SHA-256 library of `lib/crypto`,
//! for code that holds the data itself and needs no transform of the crypto API.
//!
//! C header: [`include/crypto/sha2.h`](srctree/include/crypto/sha2.h)

use crate::bindings;

/// The size of a SHA-256 digest, and of an HMAC-SHA256 value, in bytes (`SHA256_DIGEST_SIZE`).
pub const DIGEST_SIZE: usize = bindings::SHA256_DIGEST_SIZE as usize;

/// A SHA-256 digest or an HMAC-SHA256 value.
pub type Digest = [u8; DIGEST_SIZE];

/// Returns the SHA-256 digest of `data` (`sha256()`).
///
/// # Examples
///
/// ```
/// use kernel::crypto::sha256;
///
/// assert_eq!(
///     sha256::digest(b"abc"),
///     [
///         0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
///         0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
///         0xf2, 0x00, 0x15, 0xad,
///     ]
/// );
/// ```
pub fn digest(data: &[u8]) -> Digest {
    let mut out = [0u8; DIGEST_SIZE];
    // SAFETY: `data` is valid for reads of `data.len()` bytes and `out` for writes of a digest.
    unsafe { bindings::sha256(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}

/// Returns the HMAC-SHA256 of `data` under the raw key `key`, of any length
/// (`hmac_sha256_usingrawkey()`).
///
/// The library zeroizes the state it derives from `key`; the caller stays responsible for
/// zeroizing `key` itself.
///
/// # Examples
///
/// Test case 2 of RFC 4231:
///
/// ```
/// use kernel::crypto::sha256;
///
/// assert_eq!(
///     sha256::hmac(b"Jefe", b"what do ya want for nothing?"),
///     [
///         0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
///         0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
///         0x64, 0xec, 0x38, 0x43,
///     ]
/// );
/// ```
pub fn hmac(key: &[u8], data: &[u8]) -> Digest {
    let mut out = [0u8; DIGEST_SIZE];
    // SAFETY: `key` and `data` are valid for reads of their lengths and `out` for writes of a
    // digest.
    unsafe {
        bindings::hmac_sha256_usingrawkey(
            key.as_ptr(),
            key.len(),
            data.as_ptr(),
            data.len(),
            out.as_mut_ptr(),
        )
    };
    out
}

#[cfg(CONFIG_RUST_CRYPTO_SHA256_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_crypto_sha256)]
mod tests {
    use super::*;

    /// The digest of the empty message and the example of FIPS 180-2, appendix B.1.
    #[test]
    fn sha256_vectors() {
        assert_eq!(
            digest(b""),
            [
                0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
                0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
                0x78, 0x52, 0xb8, 0x55,
            ]
        );
        assert_eq!(
            digest(b"abc"),
            [
                0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
                0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
                0xf2, 0x00, 0x15, 0xad,
            ]
        );
    }

    /// Test cases 1, 2 and 6 of RFC 4231: a short key, a key shorter than the output and a key
    /// longer than a block, which is hashed first.
    #[test]
    fn hmac_sha256_rfc4231() {
        assert_eq!(
            hmac(&[0x0b; 20], b"Hi There"),
            [
                0xb0, 0x34, 0x4c, 0x61, 0xd8, 0xdb, 0x38, 0x53, 0x5c, 0xa8, 0xaf, 0xce, 0xaf, 0x0b,
                0xf1, 0x2b, 0x88, 0x1d, 0xc2, 0x00, 0xc9, 0x83, 0x3d, 0xa7, 0x26, 0xe9, 0x37, 0x6c,
                0x2e, 0x32, 0xcf, 0xf7,
            ]
        );
        assert_eq!(
            hmac(b"Jefe", b"what do ya want for nothing?"),
            [
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
                0x64, 0xec, 0x38, 0x43,
            ]
        );
        assert_eq!(
            hmac(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            [
                0x60, 0xe4, 0x31, 0x59, 0x1e, 0xe0, 0xb6, 0x7f, 0x0d, 0x8a, 0x26, 0xaa, 0xcb, 0xf5,
                0xb7, 0x7f, 0x8e, 0x0b, 0xc6, 0x21, 0x37, 0x28, 0xc5, 0x14, 0x05, 0x46, 0x04, 0x0f,
                0x0e, 0xe3, 0x7f, 0x54,
            ]
        );
    }
}
