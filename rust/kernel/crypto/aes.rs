// SPDX-License-Identifier: GPL-2.0

//! AES block cipher library.
//!
//! Encryption and decryption of single AES blocks with the AES library of `lib/crypto`, for code
//! that holds the data itself and needs no transform of the crypto API, such as a mode of
//! operation over a buffer in memory. A [`Key`] is the key prepared for both directions.
//!
//! C header: [`include/crypto/aes.h`](srctree/include/crypto/aes.h)

use crate::{
    bindings,
    error::to_result,
    prelude::*, //
};

/// The size of an AES block, in bytes (`AES_BLOCK_SIZE`).
pub const BLOCK_SIZE: usize = bindings::AES_BLOCK_SIZE as usize;

/// The size of an AES-128 key, in bytes (`AES_KEYSIZE_128`).
pub const KEY_SIZE_128: usize = bindings::AES_KEYSIZE_128 as usize;

/// The size of an AES-192 key, in bytes (`AES_KEYSIZE_192`).
pub const KEY_SIZE_192: usize = bindings::AES_KEYSIZE_192 as usize;

/// The size of an AES-256 key, in bytes (`AES_KEYSIZE_256`).
pub const KEY_SIZE_256: usize = bindings::AES_KEYSIZE_256 as usize;

/// An AES block.
pub type Block = [u8; BLOCK_SIZE];

/// An AES key prepared for encryption and decryption (`struct aes_key`).
///
/// The prepared key is overwritten with zeros by `memzero_explicit()` when it is dropped. Moving
/// a [`Key`] may leave a copy of it behind, like moving any value, so a key that must not
/// outlive its use is kept in one place (a local, or a [`KBox`]) until it is dropped.
///
/// # Invariants
///
/// `self.0` has been prepared by a successful `aes_preparekey()`.
///
/// # Examples
///
/// The example vector of FIPS-197, appendix C.1:
///
/// ```
/// use kernel::crypto::aes::{
///     Block,
///     Key, //
/// };
///
/// let key = Key::new(&[
///     0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
///     0x0f,
/// ])?;
/// let plain: Block = [
///     0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
///     0xff,
/// ];
/// let mut cipher = [0u8; 16];
/// key.encrypt(&mut cipher, &plain);
/// assert_eq!(
///     cipher,
///     [
///         0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
///         0xc5, 0x5a,
///     ]
/// );
/// let mut decrypted = [0u8; 16];
/// key.decrypt(&mut decrypted, &cipher);
/// assert_eq!(decrypted, plain);
/// # Ok::<(), Error>(())
/// ```
pub struct Key(bindings::aes_key);

impl Key {
    /// Prepares the raw key `key`, of [`KEY_SIZE_128`], [`KEY_SIZE_192`] or [`KEY_SIZE_256`]
    /// bytes, for encryption and decryption.
    ///
    /// The caller stays responsible for zeroizing `key` once it no longer needs it.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `key` has another length.
    pub fn new(key: &[u8]) -> Result<Self> {
        if !matches!(key.len(), KEY_SIZE_128 | KEY_SIZE_192 | KEY_SIZE_256) {
            return Err(EINVAL);
        }
        let mut this = Self(bindings::aes_key::default());
        // SAFETY: `this.0` is valid for writes and `key` is valid for reads of `key.len()` bytes.
        let ret = unsafe { bindings::aes_preparekey(&mut this.0, key.as_ptr(), key.len()) };
        // On failure `this` is dropped, and zeroized, here.
        to_result(ret)?;
        // INVARIANT: `aes_preparekey()` succeeded.
        Ok(this)
    }

    /// Encrypts the block `input` into `out`.
    pub fn encrypt(&self, out: &mut Block, input: &Block) {
        let key = bindings::aes_encrypt_arg { full_key: &self.0 };
        // SAFETY:
        // - `key` points to `self.0`, prepared for both directions by the type invariants;
        //   `aes_encrypt()` takes such a key as the `full_key` member of its argument.
        // - `out` is valid for writes and `input` for reads of a block.
        unsafe { bindings::aes_encrypt(key, out.as_mut_ptr(), input.as_ptr()) };
    }

    /// Decrypts the block `input` into `out`.
    pub fn decrypt(&self, out: &mut Block, input: &Block) {
        // SAFETY:
        // - `self.0` has been prepared for both directions, by the type invariants.
        // - `out` is valid for writes and `input` for reads of a block.
        unsafe { bindings::aes_decrypt(&self.0, out.as_mut_ptr(), input.as_ptr()) };
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: `self.0` is valid for writes of its size, and any byte pattern is valid for the
        // plain-data `struct aes_key`.
        unsafe {
            bindings::memzero_explicit(
                (&raw mut self.0).cast(),
                core::mem::size_of::<bindings::aes_key>(),
            )
        };
    }
}

#[cfg(CONFIG_RUST_CRYPTO_AES_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_crypto_aes)]
mod tests {
    use super::*;

    /// The plaintext of the example vectors of FIPS-197, appendix C.
    const PLAIN: Block = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
        0xff,
    ];

    /// The example vectors of FIPS-197, appendix C.1 to C.3: the key is bytes 0 to `len - 1`.
    const VECTORS: [(usize, Block); 3] = [
        (
            KEY_SIZE_128,
            [
                0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30, 0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4,
                0xc5, 0x5a,
            ],
        ),
        (
            KEY_SIZE_192,
            [
                0xdd, 0xa9, 0x7c, 0xa4, 0x86, 0x4c, 0xdf, 0xe0, 0x6e, 0xaf, 0x70, 0xa0, 0xec, 0x0d,
                0x71, 0x91,
            ],
        ),
        (
            KEY_SIZE_256,
            [
                0x8e, 0xa2, 0xb7, 0xca, 0x51, 0x67, 0x45, 0xbf, 0xea, 0xfc, 0x49, 0x90, 0x4b, 0x49,
                0x60, 0x89,
            ],
        ),
    ];

    /// Returns the bytes 0 to 31, whose prefixes are the raw keys of [`VECTORS`].
    fn raw_key() -> [u8; KEY_SIZE_256] {
        let mut k = [0u8; KEY_SIZE_256];
        for (i, b) in k.iter_mut().enumerate() {
            // CAST: `i` is below `KEY_SIZE_256`.
            *b = i as u8;
        }
        k
    }

    /// Every key size encrypts and decrypts the FIPS-197 vectors.
    #[test]
    fn fips197_vectors() -> Result {
        let raw = raw_key();
        for (len, cipher) in VECTORS {
            let key = Key::new(&raw[..len])?;
            let mut out = [0u8; BLOCK_SIZE];
            key.encrypt(&mut out, &PLAIN);
            assert_eq!(out, cipher);
            key.decrypt(&mut out, &cipher);
            assert_eq!(out, PLAIN);
        }
        Ok(())
    }

    /// Keys of any other length are refused.
    #[test]
    fn bad_key_sizes() {
        let raw = [0u8; KEY_SIZE_256 + 1];
        for len in [0, 1, KEY_SIZE_128 - 1, KEY_SIZE_128 + 1, KEY_SIZE_256 + 1] {
            assert_eq!(Key::new(&raw[..len]).err(), Some(EINVAL));
        }
    }
}
