// SPDX-License-Identifier: GPL-2.0

//! SHA-1 library.
//!
//! One-shot SHA-1 digests with the library of `lib/crypto`, for identifiers that conventions fix
//! to SHA-1, such as the key identifier of an X.509 public key (RFC 5280, section 4.2.1.2). Not
//! for new signatures or integrity checks.
//!
//! C header: [`include/crypto/sha1.h`](srctree/include/crypto/sha1.h)

use crate::bindings;

/// The size of a SHA-1 digest in bytes (`SHA1_DIGEST_SIZE`).
pub const DIGEST_SIZE: usize = bindings::SHA1_DIGEST_SIZE as usize;

/// A SHA-1 digest.
pub type Digest = [u8; DIGEST_SIZE];

/// Returns the SHA-1 digest of `data` (`sha1()`).
///
/// # Examples
///
/// ```
/// use kernel::crypto::sha1;
///
/// assert_eq!(
///     sha1::digest(b"abc"),
///     [
///         0xa9, 0x99, 0x3e, 0x36, 0x47, 0x06, 0x81, 0x6a, 0xba, 0x3e, 0x25, 0x71, 0x78, 0x50,
///         0xc2, 0x6c, 0x9c, 0xd0, 0xd8, 0x9d,
///     ]
/// );
/// ```
pub fn digest(data: &[u8]) -> Digest {
    let mut out = [0u8; DIGEST_SIZE];
    // SAFETY: `data` is valid for reads of `data.len()` bytes and `out` for writes of a digest.
    unsafe { bindings::sha1(data.as_ptr(), data.len(), out.as_mut_ptr()) };
    out
}
