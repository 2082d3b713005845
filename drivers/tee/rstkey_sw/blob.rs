// SPDX-License-Identifier: GPL-2.0

//! Wrapped key blobs and the device key that unwraps them.
//!
//! The format is defined in `include/uapi/linux/rstkey_km.h`: a header that binds the key's type,
//! usages and flags, for an RSA key its public key in the clear, the key encrypted with
//! AES-256-CBC (PKCS#7 padding) and an HMAC-SHA256 tag over all that (encrypt-then-MAC). The tag
//! is checked, in constant time, before anything is decrypted.

use kernel::{
    crypto::{
        aes,
        sha256, //
    },
    prelude::*,
    tee::{
        backend::result,
        rstkey_km::{
            blob::{
                usage,
                ALG_AES256_CBC_HMAC_SHA256,
                ALG_OFFSET,
                FLAGS_OFFSET,
                FLAG_EXPORTABLE,
                HDR_SIZE,
                IV_OFFSET,
                IV_SIZE,
                KEY_AES,
                KEY_LEN_OFFSET,
                KEY_RSA,
                KEY_TYPE_OFFSET,
                MAGIC,
                MAGIC_OFFSET,
                PUB_LEN_SIZE,
                RESERVED_OFFSET,
                TAG_SIZE,
                USAGE_OFFSET,
                VERSION,
                VERSION_OFFSET, //
            },
            MAX_KEY,
            MAX_PUB, //
        },
    },
};

/// AES block size.
const BLOCK: usize = aes::BLOCK_SIZE;
/// Size of the encryption key of the device key: an AES-256 key.
const ENC_KEY_SIZE: usize = aes::KEY_SIZE_256;
/// Size of the MAC key of the device key: as long as an HMAC-SHA256 output.
const MAC_KEY_SIZE: usize = sha256::DIGEST_SIZE;
/// Size of the device key: the encryption key, then the MAC key.
pub(crate) const DEVICE_KEY_SIZE: usize = ENC_KEY_SIZE + MAC_KEY_SIZE;

// The IV is an AES-CBC IV, one block, and the tag an HMAC-SHA256 value.
const _: () = assert!(IV_SIZE == BLOCK && TAG_SIZE == sha256::DIGEST_SIZE);

/// Returns the length of the ciphertext of a key of `key_len` bytes: the key padded as in
/// PKCS#7 to whole blocks, with at least one byte of padding.
const fn ciphertext_len(key_len: usize) -> usize {
    (key_len / BLOCK + 1) * BLOCK
}

/// Size of the largest blob: that of an RSA key of [`MAX_KEY`] bytes with a public key of
/// [`MAX_PUB`] bytes.
pub(crate) const MAX_BLOB_SIZE: usize =
    HDR_SIZE + PUB_LEN_SIZE + MAX_PUB + ciphertext_len(MAX_KEY) + TAG_SIZE;

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

/// What a blob says of its key: its type, usages and flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KeyInfo {
    /// `RSTKEY_KM_KEY_*`.
    pub(crate) key_type: u8,
    /// `RSTKEY_KM_USAGE_*` bits.
    pub(crate) usage: u16,
    /// `RSTKEY_KM_FLAG_*` bits.
    pub(crate) flags: u32,
}

impl KeyInfo {
    /// Checks that a key of `len` bytes may have this type, these usages and flags.
    ///
    /// # Errors
    ///
    /// [`result::NOT_SUPPORTED`] for an unknown type, [`result::BAD_FORMAT`] for no usage, a usage
    /// of another type, an unknown flag or a length the type or a usage does not allow.
    pub(crate) fn check(&self, len: usize) -> core::result::Result<(), u32> {
        let (all, len_ok) = match self.key_type {
            KEY_AES => {
                // The lengths each mode takes: one AES key, or two for XTS.
                let one = matches!(len, 16 | 24 | 32);
                let two = matches!(len, 32 | 64);
                let ok = (self.usage & !usage::AES_XTS == 0 || one)
                    && (self.usage & usage::AES_XTS == 0 || two);
                (usage::AES, ok)
            }
            KEY_RSA => (usage::RSA, (1..=MAX_KEY).contains(&len)),
            _ => return Err(result::NOT_SUPPORTED),
        };
        if self.usage == 0 || self.usage & !all != 0 || self.flags & !FLAG_EXPORTABLE != 0 {
            return Err(result::BAD_FORMAT);
        }
        if !len_ok {
            return Err(result::BAD_FORMAT);
        }
        Ok(())
    }

    /// Returns whether the key is of type `key_type` and may be used for every usage in `needed`
    /// (at least one).
    pub(crate) fn allows(&self, key_type: u8, needed: u16) -> bool {
        self.key_type == key_type && needed != 0 && self.usage & needed == needed
    }
}

/// An unwrapped key: its bytes and what its blob says of it.
pub(crate) struct Key {
    /// The key.
    pub(crate) secret: Secret,
    /// Its type, usages and flags.
    pub(crate) info: KeyInfo,
    /// The public key the blob of an RSA key carries, DER `RSAPublicKey`; empty for other types.
    pub(crate) public: KVec<u8>,
}

/// The device key: an AES-256 encryption key and an HMAC-SHA256 key, held by the secure world
/// only.
pub(crate) struct DeviceKey {
    enc: [u8; ENC_KEY_SIZE],
    mac: [u8; MAC_KEY_SIZE],
}

impl Drop for DeviceKey {
    fn drop(&mut self) {
        wipe(&mut self.enc);
        wipe(&mut self.mac);
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
    /// Creates the device key from its [`DEVICE_KEY_SIZE`] bytes: the encryption key, then the
    /// MAC key.
    pub(crate) fn new(bytes: &[u8]) -> Result<Self> {
        let (enc, mac) = bytes.split_at_checked(ENC_KEY_SIZE).ok_or(EINVAL)?;
        Ok(Self {
            enc: enc.try_into().map_err(|_| EINVAL)?,
            mac: mac.try_into().map_err(|_| EINVAL)?,
        })
    }

    /// Wraps `key`, of type, usages and flags `info`, into a blob with the IV `iv`: what
    /// [`DeviceKey::unwrap`] opens. `public` is the public key of an RSA key, DER
    /// `RSAPublicKey`, and empty for other types; it is not checked against the key.
    ///
    /// # Errors
    ///
    /// [`result::BAD_PARAMETERS`] if `key` is empty or longer than [`MAX_KEY`], or `public` is
    /// empty for an RSA key, given for another type or longer than [`MAX_PUB`], the errors of
    /// [`KeyInfo`]'s checks if `info` does not suit the key, [`result::OUT_OF_MEMORY`].
    pub(crate) fn wrap(
        &self,
        key: &[u8],
        public: &[u8],
        info: KeyInfo,
        iv: &[u8; IV_SIZE],
    ) -> core::result::Result<KVec<u8>, u32> {
        let key_len = u16::try_from(key.len()).map_err(|_| result::BAD_PARAMETERS)?;
        if key.is_empty() || key.len() > MAX_KEY {
            return Err(result::BAD_PARAMETERS);
        }
        let rsa = info.key_type == KEY_RSA;
        if rsa == public.is_empty() || public.len() > MAX_PUB {
            return Err(result::BAD_PARAMETERS);
        }
        info.check(key.len())?;
        let ct_len = ciphertext_len(key.len());
        let aes = aes::Key::new(&self.enc).map_err(|_| result::GENERIC)?;

        // The public key, if any, goes between the header and the ciphertext.
        let ct_start = HDR_SIZE + if rsa { PUB_LEN_SIZE + public.len() } else { 0 };
        let mut blob = KVec::new();
        blob.extend_with(ct_start + ct_len, 0, GFP_KERNEL)
            .map_err(|_| result::OUT_OF_MEMORY)?;
        let (head, ct) = blob.split_at_mut(ct_start);
        let (hdr, pub_part) = head.split_at_mut(HDR_SIZE);
        if rsa {
            // CAST: `public` is at most `MAX_PUB` bytes, which fits 16 bits.
            let pub_len = public.len() as u16;
            pub_part[..PUB_LEN_SIZE].copy_from_slice(&pub_len.to_le_bytes());
            pub_part[PUB_LEN_SIZE..].copy_from_slice(public);
        }
        hdr[MAGIC_OFFSET..MAGIC_OFFSET + MAGIC.len()].copy_from_slice(&MAGIC);
        hdr[VERSION_OFFSET] = VERSION;
        hdr[ALG_OFFSET] = ALG_AES256_CBC_HMAC_SHA256;
        hdr[KEY_LEN_OFFSET..KEY_LEN_OFFSET + 2].copy_from_slice(&key_len.to_le_bytes());
        hdr[KEY_TYPE_OFFSET] = info.key_type;
        hdr[USAGE_OFFSET..USAGE_OFFSET + 2].copy_from_slice(&info.usage.to_le_bytes());
        hdr[FLAGS_OFFSET..FLAGS_OFFSET + 4].copy_from_slice(&info.flags.to_le_bytes());
        hdr[IV_OFFSET..IV_OFFSET + IV_SIZE].copy_from_slice(iv);

        // CBC over the key padded as in PKCS#7; the block being encrypted is wiped after.
        // CAST: The padding is 1 to 16 bytes.
        let pad = (ct_len - key.len()) as u8;
        let mut prev = *iv;
        let mut block = [0u8; BLOCK];
        for (i, c) in ct.chunks_exact_mut(BLOCK).enumerate() {
            for (j, b) in block.iter_mut().enumerate() {
                *b = key.get(i * BLOCK + j).copied().unwrap_or(pad) ^ prev[j];
            }
            // `chunks_exact_mut()` gives whole blocks: the conversion doesn't fail.
            let c = <&mut aes::Block>::try_from(c).map_err(|_| result::GENERIC)?;
            aes.encrypt(c, &block);
            prev = *c;
        }
        wipe(&mut block);

        let tag = sha256::hmac(&self.mac, &blob);
        blob.extend_from_slice(&tag, GFP_KERNEL)
            .map_err(|_| result::OUT_OF_MEMORY)?;
        Ok(blob)
    }

    /// Authenticates and decrypts `blob` and returns the key with its type, usages and flags, and
    /// the public key of an RSA key.
    ///
    /// # Errors
    ///
    /// The result code for the client:
    /// - [`result::BAD_PARAMETERS`]: the blob is shorter than a header, or its length does not
    ///   match the key length of the header (and, for an RSA key, the length of its public key),
    ///   or the key length is 0 or above [`MAX_KEY`], or an RSA key's public key is empty or
    ///   longer than [`MAX_PUB`];
    /// - [`result::BAD_FORMAT`]: the magic is wrong, the reserved byte is not zero, the usages or
    ///   flags or the key length do not suit the key type (see [`KeyInfo`]), or the padding is
    ///   wrong (which the tag makes impossible for a blob wrapped under this device key);
    /// - [`result::NOT_SUPPORTED`]: an unknown version (version 1 included), algorithm or key
    ///   type;
    /// - [`result::MAC_INVALID`]: the tag does not match, the blob was changed or wrapped under
    ///   another key;
    /// - [`result::OUT_OF_MEMORY`].
    pub(crate) fn unwrap(&self, blob: &[u8]) -> core::result::Result<Key, u32> {
        let (hdr, rest) = blob
            .split_at_checked(HDR_SIZE)
            .ok_or(result::BAD_PARAMETERS)?;
        if hdr[MAGIC_OFFSET..MAGIC_OFFSET + MAGIC.len()] != MAGIC {
            return Err(result::BAD_FORMAT);
        }
        if hdr[VERSION_OFFSET] != VERSION || hdr[ALG_OFFSET] != ALG_AES256_CBC_HMAC_SHA256 {
            return Err(result::NOT_SUPPORTED);
        }
        let key_len = usize::from(u16::from_le_bytes([
            hdr[KEY_LEN_OFFSET],
            hdr[KEY_LEN_OFFSET + 1],
        ]));
        if key_len == 0 || key_len > MAX_KEY {
            return Err(result::BAD_PARAMETERS);
        }
        let ct_len = ciphertext_len(key_len);
        // The blob of an RSA key has its public key between the header and the ciphertext.
        let (public, rest) = if hdr[KEY_TYPE_OFFSET] == KEY_RSA {
            let (len, rest) = rest
                .split_at_checked(PUB_LEN_SIZE)
                .ok_or(result::BAD_PARAMETERS)?;
            let pub_len = usize::from(u16::from_le_bytes([len[0], len[1]]));
            if pub_len == 0 || pub_len > MAX_PUB {
                return Err(result::BAD_PARAMETERS);
            }
            rest.split_at_checked(pub_len)
                .ok_or(result::BAD_PARAMETERS)?
        } else {
            (&[][..], rest)
        };
        if rest.len() != ct_len + TAG_SIZE {
            return Err(result::BAD_PARAMETERS);
        }
        let (ct, tag) = rest.split_at(ct_len);
        if hdr[RESERVED_OFFSET] != 0 {
            return Err(result::BAD_FORMAT);
        }
        let info = KeyInfo {
            key_type: hdr[KEY_TYPE_OFFSET],
            usage: u16::from_le_bytes([hdr[USAGE_OFFSET], hdr[USAGE_OFFSET + 1]]),
            flags: u32::from_le_bytes([
                hdr[FLAGS_OFFSET],
                hdr[FLAGS_OFFSET + 1],
                hdr[FLAGS_OFFSET + 2],
                hdr[FLAGS_OFFSET + 3],
            ]),
        };
        info.check(key_len)?;

        let mac = sha256::hmac(&self.mac, &blob[..blob.len() - TAG_SIZE]);
        if !ct_eq(&mac, tag) {
            return Err(result::MAC_INVALID);
        }

        // The prepared key is zeroized when it is dropped.
        let aes = aes::Key::new(&self.enc).map_err(|_| result::GENERIC)?;

        let mut plain = Secret(KVec::new());
        plain
            .0
            .extend_with(ct_len, 0, GFP_KERNEL)
            .map_err(|_| result::OUT_OF_MEMORY)?;
        let mut prev: &[u8] = &hdr[IV_OFFSET..IV_OFFSET + IV_SIZE];
        for (c, p) in ct.chunks_exact(BLOCK).zip(plain.0.chunks_exact_mut(BLOCK)) {
            // `chunks_exact()` gives whole blocks: the conversions don't fail.
            let c = <&aes::Block>::try_from(c).map_err(|_| result::GENERIC)?;
            let p = <&mut aes::Block>::try_from(p).map_err(|_| result::GENERIC)?;
            aes.decrypt(p, c);
            for (x, y) in p.iter_mut().zip(prev) {
                *x ^= y;
            }
            prev = &c[..];
        }

        let pad = ct_len - key_len;
        if plain.0[key_len..].iter().any(|b| usize::from(*b) != pad) {
            return Err(result::BAD_FORMAT);
        }
        wipe(&mut plain.0[key_len..]);
        plain.0.truncate(key_len);
        let mut pub_copy = KVec::new();
        pub_copy
            .extend_from_slice(public, GFP_KERNEL)
            .map_err(|_| result::OUT_OF_MEMORY)?;
        Ok(Key {
            secret: plain,
            info,
            public: pub_copy,
        })
    }
}

#[kunit_tests(rstkey_sw_blob)]
mod tests {
    use super::*;

    /// The device key of the vector: bytes 0 to 63.
    fn device_key() -> Result<DeviceKey> {
        let mut k = [0u8; DEVICE_KEY_SIZE];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8;
        }
        DeviceKey::new(&k)
    }

    /// The AES-CBC key `0123456789abcdef` wrapped by `tests/host/wrap-key` (openssl) under
    /// [`device_key`] with the IV a0..af.
    const BLOB: [u8; 96] = [
        0x52, 0x4b, 0x57, 0x42, 0x02, 0x01, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
        0xae, 0xaf, 0xce, 0x1c, 0xf3, 0xa4, 0xe3, 0xb8, 0x7b, 0x13, 0x9b, 0xa3, 0xcf, 0xf1, 0x0a,
        0xce, 0x35, 0xb6, 0x06, 0xd9, 0x6b, 0x2e, 0x18, 0x4b, 0xf2, 0x2b, 0x73, 0xd3, 0x1b, 0xa4,
        0xbe, 0x14, 0xd8, 0xc9, 0x1b, 0x8e, 0xc8, 0xa3, 0x6e, 0xc7, 0xe0, 0x81, 0x9a, 0x55, 0xb7,
        0xd1, 0x6a, 0x87, 0xe0, 0x0e, 0x31, 0xf5, 0x81, 0xa2, 0x1f, 0x35, 0x06, 0x3c, 0x5c, 0x4b,
        0xc8, 0x15, 0xcb, 0xf3, 0xe0, 0x7d,
    ];

    /// A blob wrapped by openssl unwraps to its key, type, usages and flags.
    #[test]
    fn unwrap_openssl_vector() -> Result {
        let key = device_key()?.unwrap(&BLOB).map_err(|_| EINVAL)?;
        assert_eq!(&key.secret.0[..], b"0123456789abcdef");
        assert_eq!(
            key.info,
            KeyInfo {
                key_type: KEY_AES,
                usage: usage::AES_CBC,
                flags: 0
            }
        );
        assert!(key.info.allows(KEY_AES, usage::AES_CBC));
        assert!(!key.info.allows(KEY_AES, usage::AES_CTR));
        assert!(!key.info.allows(KEY_AES, 0));
        assert!(!key.info.allows(KEY_RSA, usage::AES_CBC));
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
                // The version (1 is no longer read), the algorithm, the key type (0).
                4 | 5 | 8 => result::NOT_SUPPORTED,
                // Key length 272: another ciphertext length.
                7 => result::BAD_PARAMETERS,
                // Key length 17, the reserved byte, no usage, an RSA usage, unknown flags.
                6 | 9 | 10 | 11 | 13..16 => result::BAD_FORMAT,
                // The exportable flag is a flag, but the tag no longer matches.
                _ => result::MAC_INVALID,
            };
            assert_eq!(dk.unwrap(&b).err(), Some(want));
        }
        assert_eq!(dk.unwrap(&BLOB[..95]).err(), Some(result::BAD_PARAMETERS));
        assert_eq!(dk.unwrap(&BLOB[..10]).err(), Some(result::BAD_PARAMETERS));
        assert_eq!(dk.unwrap(&[]).err(), Some(result::BAD_PARAMETERS));

        let mut other = [0x55u8; DEVICE_KEY_SIZE];
        other[0] = 0;
        let other = DeviceKey::new(&other)?;
        assert_eq!(other.unwrap(&BLOB).err(), Some(result::MAC_INVALID));
        Ok(())
    }

    /// Wrapping the vector's key with its IV gives openssl's blob, and a wrapped key unwraps.
    #[test]
    fn wrap_matches_openssl() -> Result {
        let dk = device_key()?;
        let info = KeyInfo {
            key_type: KEY_AES,
            usage: usage::AES_CBC,
            flags: 0,
        };
        let iv: [u8; IV_SIZE] = core::array::from_fn(|i| 0xa0 + i as u8);
        let blob = dk
            .wrap(b"0123456789abcdef", &[], info, &iv)
            .map_err(|_| EINVAL)?;
        assert_eq!(&blob[..], &BLOB[..]);
        assert_eq!(
            dk.wrap(b"0123456789abcdef", &[1], info, &iv).err(),
            Some(result::BAD_PARAMETERS)
        );

        let rsa = KeyInfo {
            key_type: KEY_RSA,
            usage: usage::RSA,
            flags: FLAG_EXPORTABLE,
        };
        for (len, pub_len) in [
            (1, 1),
            (15, 2),
            (16, 300),
            (17, MAX_PUB),
            (MAX_KEY, MAX_PUB),
        ] {
            let key = KVec::from_elem(0x42u8, len, GFP_KERNEL)?;
            let public = KVec::from_elem(0x17u8, pub_len, GFP_KERNEL)?;
            let blob = dk.wrap(&key, &public, rsa, &iv).map_err(|_| EINVAL)?;
            assert_eq!(
                blob.len(),
                HDR_SIZE + 2 + pub_len + ciphertext_len(len) + TAG_SIZE
            );
            assert!(blob.len() <= MAX_BLOB_SIZE);
            let back = dk.unwrap(&blob).map_err(|_| EINVAL)?;
            assert_eq!((&back.secret.0[..], back.info), (&key[..], rsa));
            assert_eq!(&back.public[..], &public[..]);
        }
        assert_eq!(
            dk.wrap(&[], &[1], rsa, &iv).err(),
            Some(result::BAD_PARAMETERS)
        );
        assert_eq!(
            dk.wrap(&[1], &[], rsa, &iv).err(),
            Some(result::BAD_PARAMETERS)
        );
        let long = KVec::from_elem(0u8, MAX_PUB + 1, GFP_KERNEL)?;
        assert_eq!(
            dk.wrap(&[1], &long, rsa, &iv).err(),
            Some(result::BAD_PARAMETERS)
        );
        assert_eq!(
            dk.wrap(&[0; 17], &[], info, &iv).err(),
            Some(result::BAD_FORMAT)
        );
        Ok(())
    }

    /// The RSA-typed key `0123456789abcdef` (for signing) with the public key `30 03 02 01 03`
    /// wrapped by `tests/host/wrap-key` (openssl) under [`device_key`] with the IV a0..af.
    const RSA_BLOB: [u8; 103] = [
        0x52, 0x4b, 0x57, 0x42, 0x02, 0x01, 0x10, 0x00, 0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        0x00, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
        0xae, 0xaf, 0x05, 0x00, 0x30, 0x03, 0x02, 0x01, 0x03, 0xce, 0x1c, 0xf3, 0xa4, 0xe3, 0xb8,
        0x7b, 0x13, 0x9b, 0xa3, 0xcf, 0xf1, 0x0a, 0xce, 0x35, 0xb6, 0x06, 0xd9, 0x6b, 0x2e, 0x18,
        0x4b, 0xf2, 0x2b, 0x73, 0xd3, 0x1b, 0xa4, 0xbe, 0x14, 0xd8, 0xc9, 0xb6, 0xf0, 0x9e, 0x3a,
        0xce, 0xca, 0xa2, 0x6c, 0xf7, 0x5b, 0x87, 0xe5, 0x6d, 0xc3, 0x23, 0x10, 0x9a, 0x72, 0x8f,
        0xdb, 0xb1, 0xa5, 0xa8, 0x36, 0xbb, 0x0f, 0xf0, 0x71, 0x99, 0x92, 0xda, 0xe8,
    ];

    /// An RSA blob wrapped by openssl unwraps to its key and public key, and wrapping them again
    /// gives the same blob.
    #[test]
    fn rsa_blob_matches_openssl() -> Result {
        let dk = device_key()?;
        let key = dk.unwrap(&RSA_BLOB).map_err(|_| EINVAL)?;
        assert_eq!(&key.secret.0[..], b"0123456789abcdef");
        assert_eq!(&key.public[..], &[0x30, 0x03, 0x02, 0x01, 0x03]);
        let iv: [u8; IV_SIZE] = core::array::from_fn(|i| 0xa0 + i as u8);
        let again = dk
            .wrap(&key.secret.0, &key.public, key.info, &iv)
            .map_err(|_| EINVAL)?;
        assert_eq!(&again[..], &RSA_BLOB[..]);
        Ok(())
    }

    /// The public key of an RSA blob is authenticated, and its length must fit the blob.
    #[test]
    fn rsa_blob_refuses_bad_public_keys() -> Result {
        let dk = device_key()?;
        for i in HDR_SIZE..HDR_SIZE + 2 + 5 {
            let mut b = RSA_BLOB;
            b[i] ^= 0x01;
            let want = match i - HDR_SIZE {
                // The length: 4 or 261 bytes, which the blob's length does not fit.
                0 | 1 => result::BAD_PARAMETERS,
                _ => result::MAC_INVALID,
            };
            assert_eq!(dk.unwrap(&b).err(), Some(want));
        }
        // A length of 0, and one above the maximum.
        for len in [0u16, MAX_PUB as u16 + 1] {
            let mut b = RSA_BLOB;
            b[HDR_SIZE..HDR_SIZE + 2].copy_from_slice(&len.to_le_bytes());
            assert_eq!(dk.unwrap(&b).err(), Some(result::BAD_PARAMETERS));
        }
        // Without its public key (as an AES key's blob is laid out).
        let mut b = KVec::new();
        b.extend_from_slice(&RSA_BLOB[..HDR_SIZE], GFP_KERNEL)?;
        b.extend_from_slice(&RSA_BLOB[HDR_SIZE + 7..], GFP_KERNEL)?;
        assert_eq!(dk.unwrap(&b).err(), Some(result::BAD_PARAMETERS));
        assert_eq!(
            dk.unwrap(&RSA_BLOB[..HDR_SIZE + 1]).err(),
            Some(result::BAD_PARAMETERS)
        );
        Ok(())
    }

    /// The lengths, usages and flags each key type takes.
    #[test]
    fn key_info_rules() {
        let info = |key_type, usage, flags| KeyInfo {
            key_type,
            usage,
            flags,
        };
        let cbc = usage::AES_CBC;
        let xts = usage::AES_XTS;
        for len in [16, 24, 32] {
            assert_eq!(info(KEY_AES, cbc, 0).check(len), Ok(()));
        }
        assert_eq!(info(KEY_AES, xts, 0).check(64), Ok(()));
        assert_eq!(info(KEY_AES, xts | cbc, 0).check(32), Ok(()));
        assert_eq!(
            info(KEY_AES, xts | cbc, 0).check(64),
            Err(result::BAD_FORMAT)
        );
        assert_eq!(info(KEY_AES, xts, 0).check(16), Err(result::BAD_FORMAT));
        assert_eq!(info(KEY_AES, cbc, 0).check(64), Err(result::BAD_FORMAT));
        assert_eq!(info(KEY_AES, cbc, FLAG_EXPORTABLE).check(16), Ok(()));
        assert_eq!(info(KEY_AES, cbc, 2).check(16), Err(result::BAD_FORMAT));
        assert_eq!(info(KEY_AES, 0, 0).check(16), Err(result::BAD_FORMAT));
        assert_eq!(
            info(KEY_AES, usage::RSA_SIGN, 0).check(16),
            Err(result::BAD_FORMAT)
        );
        assert_eq!(info(KEY_RSA, usage::RSA, 0).check(1), Ok(()));
        assert_eq!(info(KEY_RSA, usage::RSA_SIGN, 0).check(MAX_KEY), Ok(()));
        assert_eq!(info(KEY_RSA, cbc, 0).check(16), Err(result::BAD_FORMAT));
        assert_eq!(info(0, cbc, 0).check(16), Err(result::NOT_SUPPORTED));
        assert_eq!(info(3, cbc, 0).check(16), Err(result::NOT_SUPPORTED));
    }
}
