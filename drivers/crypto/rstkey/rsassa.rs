// SPDX-License-Identifier: GPL-2.0

//! RSASSA-PKCS1-v1_5 over inputs in restricted memory.
//!
//! The crypto API's `crypto_sig` takes the digest and the signature as kernel virtual addresses,
//! and the generic `pkcs1(rsa,<hash>)` template copies them: neither can serve a digest that a
//! secure-world component left in restricted memory, which the CPU can't read. [`RsassaKey`]
//! signs a digest, and verifies a signature against a digest, where they lie: in a TEE protected
//! dma-buf ([`Restricted`]), which is attached to the accelerator and read by it with DMA. Nothing
//! is copied from the buffer or mapped for the CPU, and a buffer that is not protected memory is
//! refused with [`EPERM`] before anything is attached.
//!
//! How the input reaches the accelerator depends on what its RSA does
//! ([`Features::rsa`](crate::engine::Features::rsa)):
//!
//! - [`RsaPadding::Pkcs1`] (the virtio-crypto device): the accelerator builds the encoded message
//!   itself, and reads the digest alone.
//! - [`RsaPadding::Raw`]: the accelerator computes `m^d mod n` of a `k`-byte message `m`. The
//!   EMSA-PKCS1-v1_5 encoding `00 01 FF..FF 00 || DigestInfo || digest` (RFC 8017, section 9.2)
//!   is then built from two segments: the padding and `DigestInfo`, which do not depend on the
//!   digest, in kernel memory, followed by the digest in restricted memory ([`SignInput`]). The
//!   engine chains them in one scatterlist. Verifying needs the recovered message compared with
//!   the digest, which the CPU can't do: such an engine verifies only digests in kernel memory.
//!
//! So far only the test interface (`CONFIG_CRYPTO_DEV_RSTKEY_TEST`) hands in restricted digests.
#![cfg_attr(
    not(CONFIG_CRYPTO_DEV_RSTKEY_TEST),
    expect(
        dead_code,
        reason = "only the test interface hands in restricted inputs so far"
    )
)]

use kernel::{
    prelude::*,
    sync::Arc, //
};

use crate::{
    algs::rsa::rsa_key_bits,
    engine::{
        Engine,
        Restricted,
        RsaHash,
        RsaKeyType,
        RsaPadding,
        Segment,
        SessionId, //
        PKCS1_MIN_PADDING,
        RSA_MAX_BITS,
        RSA_MIN_BITS,
    },
    keystore::RestrictedKey,
};

/// The DER `DigestInfo` prefix of a SHA-256 digest (RFC 8017, section 9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The DER `DigestInfo` prefix of a SHA-1 digest.
const SHA1_DIGEST_INFO: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];

/// The DER `DigestInfo` prefix of a SHA-512 digest.
const SHA512_DIGEST_INFO: [u8; 19] = [
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];

impl RsaHash {
    /// Returns the DER `DigestInfo` that precedes a digest in an encoded message.
    fn digest_info(self) -> &'static [u8] {
        match self {
            Self::Sha1 => &SHA1_DIGEST_INFO,
            Self::Sha256 => &SHA256_DIGEST_INFO,
            Self::Sha512 => &SHA512_DIGEST_INFO,
        }
    }
}

/// Returns the EMSA-PKCS1-v1_5 encoding of a `hash` digest for a `key_bytes`-byte modulus, up to
/// the digest: `00 01 FF..FF 00 || DigestInfo`, of `key_bytes - hash.digest_size()` bytes.
///
/// # Errors
///
/// [`EINVAL`] if the modulus is too short for at least 8 bytes of `FF` padding.
pub(crate) fn emsa_pkcs1_v15_prefix(hash: RsaHash, key_bytes: usize) -> Result<KVec<u8>> {
    let info = hash.digest_info();
    let t_len = info.len() + hash.digest_size();
    // 00 01, at least 8 bytes of FF, 00.
    if key_bytes < t_len + PKCS1_MIN_PADDING {
        return Err(EINVAL);
    }
    let pad = key_bytes - t_len - 3;
    let mut prefix = KVec::with_capacity(key_bytes - hash.digest_size(), GFP_KERNEL)?;
    prefix.extend_from_slice(&[0x00, 0x01], GFP_KERNEL)?;
    prefix.extend_with(pad, 0xff, GFP_KERNEL)?;
    prefix.push(0x00, GFP_KERNEL)?;
    prefix.extend_from_slice(info, GFP_KERNEL)?;
    Ok(prefix)
}

/// What an engine signs for a digest in restricted memory.
///
/// # Invariants
///
/// `digest` is one digest of `hash`; `prefix` is empty for [`RsaPadding::Pkcs1`], and the
/// EMSA-PKCS1-v1_5 prefix for the key size for [`RsaPadding::Raw`].
pub(crate) struct SignInput<'a> {
    prefix: KVec<u8>,
    digest: Restricted<'a>,
}

impl<'a> SignInput<'a> {
    /// Builds what an engine that signs with `padding` signs for `digest`, a `hash` digest, with a
    /// `key_bytes`-byte key.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `digest` is not as long as a `hash` digest, or the key is too short.
    pub(crate) fn new(
        padding: RsaPadding,
        hash: RsaHash,
        key_bytes: usize,
        digest: Restricted<'a>,
    ) -> Result<Self> {
        if digest.len() != hash.digest_size() {
            return Err(EINVAL);
        }
        let prefix = match padding {
            RsaPadding::Pkcs1 => KVec::new(),
            RsaPadding::Raw => emsa_pkcs1_v15_prefix(hash, key_bytes)?,
        };
        // INVARIANT: Checked and built above.
        Ok(Self { prefix, digest })
    }

    /// Calls `f` with the segments the engine reads, in order: the prefix in kernel memory, if
    /// any, then the digest in restricted memory.
    pub(crate) fn with_segments<R>(&self, f: impl FnOnce(&[Segment<'_>]) -> R) -> R {
        let digest = Segment::Restricted(self.digest);
        if self.prefix.is_empty() {
            f(&[digest])
        } else {
            f(&[Segment::Kernel(&self.prefix), digest])
        }
    }
}

/// An RSA key in restricted memory, with a session on an accelerator, for RSASSA-PKCS1-v1_5 over
/// digests and signatures in restricted memory.
///
/// # Invariants
///
/// `session` is an RSA session of `engine` with the key in `_key`, for digests of `hash`; the
/// modulus is `bits` bits long.
pub(crate) struct RsassaKey {
    engine: Arc<dyn Engine>,
    _key: RestrictedKey,
    session: SessionId,
    keytype: RsaKeyType,
    hash: RsaHash,
    bits: usize,
}

impl RsassaKey {
    /// Places the BER RSA key `key` of type `keytype` in restricted memory and creates a session
    /// with it on `engine`, for `hash` digests.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] or [`EBADMSG`] for a key that does not parse or whose modulus is not 1024 to
    /// 4096 bits long, otherwise the error of placing it in restricted memory
    /// ([`Engine::import_key`]) or of the session ([`Engine::create_rsa_session`]).
    pub(crate) fn new(
        engine: Arc<dyn Engine>,
        key: &[u8],
        keytype: RsaKeyType,
        hash: RsaHash,
    ) -> Result<Self> {
        let bits = rsa_key_bits(key, keytype)?;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(EINVAL);
        }
        let restricted = engine.import_key(key)?;
        let session = engine.create_rsa_session(keytype, hash, &restricted)?;
        // INVARIANT: The session was just created with the key, for `hash`.
        Ok(Self {
            engine,
            _key: restricted,
            session,
            keytype,
            hash,
            bits,
        })
    }

    /// Returns the size of the modulus, and of a signature, in bytes.
    pub(crate) fn key_bytes(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// Signs `digest`, which the accelerator reads from restricted memory, and returns the
    /// signature.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a public key or a digest of the wrong length, [`EPERM`] if the TEE does not
    /// let the accelerator read the buffer, [`EOPNOTSUPP`] if the engine offers no RSA, otherwise
    /// as for [`Engine::rsa_sign`].
    pub(crate) fn sign(&self, digest: Restricted<'_>) -> Result<KVec<u8>> {
        if self.keytype != RsaKeyType::Private {
            return Err(EINVAL);
        }
        let k = self.key_bytes();
        let padding = self.engine.features().rsa.ok_or(EOPNOTSUPP)?;
        let input = SignInput::new(padding, self.hash, k, digest)?;
        input.with_segments(|segments| self.engine.rsa_sign(self.session, self.hash, segments, k))
    }

    /// Verifies that `sig` is a signature of `digest`; the accelerator reads both from restricted
    /// memory.
    ///
    /// # Errors
    ///
    /// [`EKEYREJECTED`] if it is not, [`EINVAL`] for a signature or a digest of the wrong length,
    /// [`EOPNOTSUPP`] on an engine that does raw RSA only, otherwise as for [`RsassaKey::sign`].
    pub(crate) fn verify(&self, sig: Restricted<'_>, digest: Restricted<'_>) -> Result {
        if sig.len() != self.key_bytes() || digest.len() != self.hash.digest_size() {
            return Err(EINVAL);
        }
        if self.engine.features().rsa != Some(RsaPadding::Pkcs1) {
            return Err(EOPNOTSUPP);
        }
        self.engine.rsa_verify(
            self.session,
            self.hash,
            &[Segment::Restricted(sig)],
            &[Segment::Restricted(digest)],
        )
    }
}

impl Drop for RsassaKey {
    fn drop(&mut self) {
        // An error only means the device is gone or forgot the session.
        let _ = self.engine.destroy_rsa_session(self.session);
    }
}

#[kunit_tests(rstkey_rsassa)]
mod tests {
    use super::*;

    /// The encoding of a SHA-256 digest for a 2048-bit key: 00 01, 202 bytes of FF, 00 and the
    /// `DigestInfo`, 224 bytes before the digest.
    #[test]
    fn prefix_2048() -> Result {
        let prefix = emsa_pkcs1_v15_prefix(RsaHash::Sha256, 256)?;
        assert_eq!(prefix.len(), 224);
        assert_eq!(&prefix[..2], &[0x00, 0x01]);
        assert!(prefix[2..204].iter().all(|b| *b == 0xff));
        assert_eq!(prefix[204], 0x00);
        assert_eq!(&prefix[205..], &SHA256_DIGEST_INFO);
        Ok(())
    }

    /// The shortest modulus leaves 8 bytes of padding; one byte less is refused.
    #[test]
    fn shortest_key() -> Result {
        let t_len = SHA256_DIGEST_INFO.len() + 32;
        let prefix = emsa_pkcs1_v15_prefix(RsaHash::Sha256, t_len + PKCS1_MIN_PADDING)?;
        assert_eq!(prefix.len(), t_len + PKCS1_MIN_PADDING - 32);
        assert!(prefix[2..10].iter().all(|b| *b == 0xff));
        assert_eq!(
            emsa_pkcs1_v15_prefix(RsaHash::Sha256, t_len + PKCS1_MIN_PADDING - 1).err(),
            Some(EINVAL)
        );
        Ok(())
    }
}
