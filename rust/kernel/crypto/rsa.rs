// SPDX-License-Identifier: GPL-2.0

//! RSA keys in the BER formats the kernel's RSA implementations take.
//!
//! C header: [`include/crypto/internal/rsa.h`](srctree/include/crypto/internal/rsa.h)

use crate::{
    bindings,
    error::to_result,
    prelude::*, //
};

/// The type of a BER RSA key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// `RSAPublicKey`: the modulus and the public exponent.
    Public,
    /// `RSAPrivateKey`: the modulus, the exponents and the CRT parameters.
    Private,
}

/// Returns the size in bits of the big-endian unsigned integer `n`.
fn bit_len(n: &[u8]) -> usize {
    match n.iter().position(|b| *b != 0) {
        // CAST: A `u8`'s leading zeros are at most 8.
        Some(i) => (n.len() - i) * 8 - n[i].leading_zeros() as usize,
        None => 0,
    }
}

/// Parses the BER RSA key `key` of type `keytype` with `rsa_parse_pub_key()` or
/// `rsa_parse_priv_key()` and returns the size of its modulus in bits.
///
/// # Errors
///
/// [`EINVAL`] or [`EBADMSG`] if the key does not parse or has no modulus.
///
/// # Examples
///
/// ```
/// use kernel::crypto::rsa::{modulus_bits, KeyType};
///
/// // SEQUENCE { INTEGER 0x00c1 (193, 8 bits), INTEGER 3 }
/// let key = [0x30, 0x07, 0x02, 0x02, 0x00, 0xc1, 0x02, 0x01, 0x03];
/// assert_eq!(modulus_bits(&key, KeyType::Public)?, 8);
/// assert!(modulus_bits(&key[..5], KeyType::Public).is_err());
/// # Ok::<(), Error>(())
/// ```
pub fn modulus_bits(key: &[u8], keytype: KeyType) -> Result<usize> {
    let mut parsed: bindings::rsa_key = pin_init::zeroed();
    let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
    // SAFETY: `parsed` is writable and `key` holds `len` bytes; the parser only stores pointers
    // into `key` in `parsed`, used below while `key` is borrowed.
    let ret = unsafe {
        match keytype {
            KeyType::Public => bindings::rsa_parse_pub_key(&mut parsed, key.as_ptr().cast(), len),
            KeyType::Private => bindings::rsa_parse_priv_key(&mut parsed, key.as_ptr().cast(), len),
        }
    };
    to_result(ret)?;
    if parsed.n.is_null() || parsed.n_sz == 0 {
        return Err(EINVAL);
    }
    // SAFETY: The parser set `n` to the `n_sz` bytes of the modulus within `key`.
    let n = unsafe { core::slice::from_raw_parts(parsed.n, parsed.n_sz) };
    Ok(bit_len(n))
}
