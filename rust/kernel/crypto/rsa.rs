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

/// The public part of an RSA key: its modulus and public exponent, big-endian unsigned integers
/// without leading zero bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicParts<'a> {
    /// The modulus.
    pub n: &'a [u8],
    /// The public exponent.
    pub e: &'a [u8],
}

impl PublicParts<'_> {
    /// Returns the size of the modulus in bits.
    pub fn modulus_bits(&self) -> usize {
        bit_len(self.n)
    }
}

/// Returns `n` without its leading zero bytes.
fn strip(n: &[u8]) -> &[u8] {
    let zeros = n.iter().take_while(|b| **b == 0).count();
    &n[zeros..]
}

/// Parses the BER RSA key `key` of type `keytype` with `rsa_parse_pub_key()` or
/// `rsa_parse_priv_key()` and returns its public part, which points into `key`.
///
/// Two keys have the same public part, whatever their type, if their [`PublicParts`] are equal.
///
/// # Errors
///
/// [`EINVAL`] or [`EBADMSG`] if the key does not parse, or has a modulus or a public exponent of
/// zero.
///
/// # Examples
///
/// ```
/// use kernel::crypto::rsa::{public_parts, KeyType};
///
/// // SEQUENCE { INTEGER 0x00c1 (193, 8 bits), INTEGER 3 }
/// let key = [0x30, 0x07, 0x02, 0x02, 0x00, 0xc1, 0x02, 0x01, 0x03];
/// let parts = public_parts(&key, KeyType::Public)?;
/// assert_eq!((parts.n, parts.e), (&[0xc1][..], &[3][..]));
/// assert_eq!(parts.modulus_bits(), 8);
/// assert!(public_parts(&key[..5], KeyType::Public).is_err());
/// // SEQUENCE { INTEGER 0xc1, INTEGER 0 }: no exponent.
/// let key = [0x30, 0x07, 0x02, 0x02, 0x00, 0xc1, 0x02, 0x01, 0x00];
/// assert!(public_parts(&key, KeyType::Public).is_err());
/// # Ok::<(), Error>(())
/// ```
pub fn public_parts(key: &[u8], keytype: KeyType) -> Result<PublicParts<'_>> {
    let mut parsed: bindings::rsa_key = pin_init::zeroed();
    let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
    // SAFETY: `parsed` is writable and `key` holds `len` bytes; the parser only stores pointers
    // into `key` in `parsed`, which are used below for the lifetime of `key`.
    let ret = unsafe {
        match keytype {
            KeyType::Public => bindings::rsa_parse_pub_key(&mut parsed, key.as_ptr().cast(), len),
            KeyType::Private => bindings::rsa_parse_priv_key(&mut parsed, key.as_ptr().cast(), len),
        }
    };
    to_result(ret)?;
    if parsed.n.is_null() || parsed.e.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: The parser set `n` and `e` to the `n_sz` and `e_sz` bytes of the modulus and the
    // public exponent within `key`, which outlives the returned value.
    let (n, e) = unsafe {
        (
            core::slice::from_raw_parts(parsed.n, parsed.n_sz),
            core::slice::from_raw_parts(parsed.e, parsed.e_sz),
        )
    };
    let parts = PublicParts {
        n: strip(n),
        e: strip(e),
    };
    if parts.n.is_empty() || parts.e.is_empty() {
        return Err(EINVAL);
    }
    Ok(parts)
}

/// Parses the BER RSA key `key` of type `keytype` with `rsa_parse_pub_key()` or
/// `rsa_parse_priv_key()` and returns the size of its modulus in bits.
///
/// # Errors
///
/// [`EINVAL`] or [`EBADMSG`] if the key does not parse, or has a modulus or a public exponent of
/// zero.
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
    Ok(public_parts(key, keytype)?.modulus_bits())
}
