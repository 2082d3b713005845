// SPDX-License-Identifier: GPL-2.0

//! Wrapped key blobs and the device key that unwraps them.
//!
//! The format is defined in `include/uapi/linux/rstkey_km.h`: a header, the key encrypted with
//! AES-256-CBC (PKCS#7 padding) and an HMAC-SHA256 tag over the header and the ciphertext
//! (encrypt-then-MAC). The tag is checked, in constant time, before anything is decrypted.

use kernel::{
    bindings,
    prelude::*, //
};

use crate::keymgr::MAX_KEY;
use kernel::tee::backend::result;

/// Size of the blob header.
pub(crate) const HDR_SIZE: usize = 24;
/// Size of the tag.
pub(crate) const TAG_SIZE: usize = 32;
/// AES block size.
const BLOCK: usize = 16;
/// `"RKWB"`.
const MAGIC: [u8; 4] = *b"RKWB";
/// The blob version this secure world unwraps.
const VERSION: u8 = 1;
/// AES-256-CBC with HMAC-SHA256.
const ALG_AES256_CBC_HMAC_SHA256: u8 = 1;

/// Overwrites `buf` with zeros in a way the compiler does not elide.
pub(crate) fn wipe(buf: &mut [u8]) {
    for b in buf.iter_mut() {
        // SAFETY: `b` is a valid, exclusive reference.
        unsafe { core::ptr::write_volatile(b, 0) };
    }
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// A key-sized buffer that is wiped when dropped.
pub(crate) struct Secret(pub(crate) KVec<u8>);

impl Drop for Secret {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// The device key: an AES-256 encryption key and an HMAC-SHA256 key, held by the secure world
/// only.
pub(crate) struct DeviceKey {
    enc: [u8; 32],
    mac: [u8; 32],
}

impl Drop for DeviceKey {
    fn drop(&mut self) {
        wipe(&mut self.enc);
        wipe(&mut self.mac);
    }
}

/// An expanded AES key, wiped when dropped.
struct AesKey(bindings::aes_key);

impl Drop for AesKey {
    fn drop(&mut self) {
        // SAFETY: Any byte pattern is valid for the plain-data `struct aes_key`.
        let bytes = unsafe {
            core::slice::from_raw_parts_mut(
                (&raw mut self.0).cast::<u8>(),
                core::mem::size_of::<bindings::aes_key>(),
            )
        };
        wipe(bytes);
    }
}

/// Compares `a` and `b` in time that depends only on their length.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y));
    // SAFETY: Reading a local through a volatile read only keeps the compiler from turning the
    // fold into an early exit.
    unsafe { core::ptr::read_volatile(&diff) == 0 }
}

impl DeviceKey {
    /// Creates the device key from its 64 bytes: the encryption key, then the MAC key.
    pub(crate) fn new(bytes: &[u8]) -> Result<Self> {
        let (enc, mac) = bytes.split_at_checked(32).ok_or(EINVAL)?;
        Ok(Self {
            enc: enc.try_into().map_err(|_| EINVAL)?,
            mac: mac.try_into().map_err(|_| EINVAL)?,
        })
    }

    /// Authenticates and decrypts `blob` and returns the key.
    ///
    /// # Errors
    ///
    /// The result code for the client:
    /// - [`result::BAD_PARAMETERS`]: the blob is shorter than a header, or its length does not
    ///   match the key length of the header, or the key length is 0 or above [`MAX_KEY`];
    /// - [`result::BAD_FORMAT`]: the magic is wrong, or the padding is (which the tag makes
    ///   impossible for a blob wrapped under this device key);
    /// - [`result::NOT_SUPPORTED`]: an unknown version or algorithm;
    /// - [`result::MAC_INVALID`]: the tag does not match, the blob was changed or wrapped under
    ///   another key;
    /// - [`result::OUT_OF_MEMORY`].
    pub(crate) fn unwrap(&self, blob: &[u8]) -> core::result::Result<Secret, u32> {
        let (hdr, rest) = blob
            .split_at_checked(HDR_SIZE)
            .ok_or(result::BAD_PARAMETERS)?;
        if hdr[..4] != MAGIC {
            return Err(result::BAD_FORMAT);
        }
        if hdr[4] != VERSION || hdr[5] != ALG_AES256_CBC_HMAC_SHA256 {
            return Err(result::NOT_SUPPORTED);
        }
        let key_len = usize::from(u16::from_le_bytes([hdr[6], hdr[7]]));
        if key_len == 0 || key_len > MAX_KEY {
            return Err(result::BAD_PARAMETERS);
        }
        let ct_len = (key_len / BLOCK + 1) * BLOCK;
        if rest.len() != ct_len + TAG_SIZE {
            return Err(result::BAD_PARAMETERS);
        }
        let (ct, tag) = rest.split_at(ct_len);

        let mut mac = [0u8; 32];
        let authenticated = &blob[..HDR_SIZE + ct_len];
        // SAFETY: The pointers and lengths describe valid buffers; `mac` has 32 bytes.
        unsafe {
            bindings::hmac_sha256_usingrawkey(
                self.mac.as_ptr(),
                self.mac.len(),
                authenticated.as_ptr(),
                authenticated.len(),
                mac.as_mut_ptr(),
            )
        };
        if !ct_eq(&mac, tag) {
            return Err(result::MAC_INVALID);
        }

        // SAFETY: `struct aes_key` is plain data, all zeros is a valid value before it is
        // prepared.
        let mut aes = AesKey(unsafe { core::mem::zeroed() });
        // SAFETY: `aes.0` is writable and `enc` holds a 32-byte key.
        let ret =
            unsafe { bindings::aes_preparekey(&mut aes.0, self.enc.as_ptr(), self.enc.len()) };
        if ret != 0 {
            return Err(result::GENERIC);
        }

        let mut plain = Secret(KVec::new());
        plain
            .0
            .extend_with(ct_len, 0, GFP_KERNEL)
            .map_err(|_| result::OUT_OF_MEMORY)?;
        let mut prev: &[u8] = &hdr[8..HDR_SIZE];
        for (c, p) in ct.chunks_exact(BLOCK).zip(plain.0.chunks_exact_mut(BLOCK)) {
            // SAFETY: `aes.0` was prepared; `p` and `c` are 16-byte blocks.
            unsafe { bindings::aes_decrypt(&aes.0, p.as_mut_ptr(), c.as_ptr()) };
            for (x, y) in p.iter_mut().zip(prev) {
                *x ^= y;
            }
            prev = c;
        }

        let pad = ct_len - key_len;
        if plain.0[key_len..].iter().any(|b| usize::from(*b) != pad) {
            return Err(result::BAD_FORMAT);
        }
        wipe(&mut plain.0[key_len..]);
        plain.0.truncate(key_len);
        Ok(plain)
    }
}

#[kunit_tests(rstkey_sw_blob)]
mod tests {
    use super::*;

    /// The device key of the vector: bytes 0 to 63.
    fn device_key() -> Result<DeviceKey> {
        let mut k = [0u8; 64];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8;
        }
        DeviceKey::new(&k)
    }

    /// The key `0123456789abcdef` wrapped by `tests/host/wrap-key` (openssl) under
    /// [`device_key`] with the IV a0..af.
    const BLOB: [u8; 88] = [
        0x52, 0x4b, 0x57, 0x42, 0x01, 0x01, 0x10, 0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
        0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xce, 0x1c, 0xf3, 0xa4, 0xe3, 0xb8,
        0x7b, 0x13, 0x9b, 0xa3, 0xcf, 0xf1, 0x0a, 0xce, 0x35, 0xb6, 0x06, 0xd9, 0x6b, 0x2e, 0x18,
        0x4b, 0xf2, 0x2b, 0x73, 0xd3, 0x1b, 0xa4, 0xbe, 0x14, 0xd8, 0xc9, 0x6d, 0xf0, 0x67, 0xc5,
        0xe1, 0x78, 0x4a, 0x59, 0xf5, 0x69, 0xf1, 0x40, 0x11, 0x46, 0x13, 0xa7, 0x18, 0xc4, 0x10,
        0x22, 0x53, 0x3b, 0xc0, 0x41, 0xee, 0xdd, 0xbd, 0xb8, 0xf3, 0xa4, 0x69, 0xfc,
    ];

    /// A blob wrapped by openssl unwraps to its key.
    #[test]
    fn unwrap_openssl_vector() -> Result {
        let key = device_key()?.unwrap(&BLOB).map_err(|_| EINVAL)?;
        assert_eq!(&key.0[..], b"0123456789abcdef");
        Ok(())
    }

    /// Every changed byte, a wrong length, version, algorithm or device key is refused.
    #[test]
    fn unwrap_refuses_bad_blobs() -> Result {
        let dk = device_key()?;
        for i in 0..BLOB.len() {
            let mut b = BLOB;
            b[i] ^= 0x01;
            let want = match i {
                0..4 => result::BAD_FORMAT,
                4 | 5 => result::NOT_SUPPORTED,
                // Key length 17 has the same ciphertext length: only the tag catches it.
                7 => result::BAD_PARAMETERS,
                _ => result::MAC_INVALID,
            };
            assert_eq!(dk.unwrap(&b).err(), Some(want));
        }
        assert_eq!(dk.unwrap(&BLOB[..87]).err(), Some(result::BAD_PARAMETERS));
        assert_eq!(dk.unwrap(&BLOB[..10]).err(), Some(result::BAD_PARAMETERS));
        assert_eq!(dk.unwrap(&[]).err(), Some(result::BAD_PARAMETERS));

        let mut other = [0x55u8; 64];
        other[0] = 0;
        let other = DeviceKey::new(&other)?;
        assert_eq!(other.unwrap(&BLOB).err(), Some(result::MAC_INVALID));
        Ok(())
    }
}
