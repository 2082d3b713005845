// SPDX-License-Identifier: GPL-2.0

//! The key of an RSA transformation, shared by the [`sig`](super::sig) and
//! [`akcipher`](super::akcipher) algorithms, and the public-key operations with the kernel's
//! generic RSA for keys no engine holds ([`generic_verify`], [`generic_encrypt`]).

use kernel::{
    crypto::{
        akcipher::AkcipherTfm,
        rsa,
        sig::SigTfm, //
    },
    prelude::*,
    sync::Arc, //
};

use super::pick;
use crate::{
    engine::{
        Engine,
        RsaHash,
        RsaKeyType,
        Service,
        SessionId, //
        RSA_MAX_BITS,
        RSA_MIN_BITS,
    },
    keystore::RestrictedKey,
};

/// Returns the size in bits of the modulus of the BER RSA key `key`, private or public.
///
/// # Errors
///
/// [`EINVAL`] or [`EBADMSG`] if the key does not parse.
pub(crate) fn rsa_key_bits(key: &[u8], keytype: RsaKeyType) -> Result<usize> {
    let keytype = match keytype {
        RsaKeyType::Public => rsa::KeyType::Public,
        RsaKeyType::Private => rsa::KeyType::Private,
    };
    rsa::modulus_bits(key, keytype)
}

/// Verifies with the kernel's generic RSASSA-PKCS1-v1_5, `pkcs1(rsa-generic,<hash>)`, that `sig`
/// signs `digest`, a `hash` digest, under the DER `RSAPublicKey` `public`.
///
/// # Errors
///
/// The generic implementation's: [`EKEYREJECTED`] for another digest, [`EBADMSG`] or [`EINVAL`]
/// for a signature that does not decode, for instance.
pub(crate) fn generic_verify(public: &[u8], hash: RsaHash, sig: &[u8], digest: &[u8]) -> Result {
    let name = match hash {
        RsaHash::Sha1 => c"pkcs1(rsa-generic,sha1)",
        RsaHash::Sha256 => c"pkcs1(rsa-generic,sha256)",
        RsaHash::Sha512 => c"pkcs1(rsa-generic,sha512)",
    };
    let mut tfm = SigTfm::new(name)?;
    tfm.set_pubkey(public)?;
    tfm.verify(sig, digest)
}

/// Encrypts `plain` into `cipher` with the kernel's generic RSAES-PKCS1-v1_5,
/// `pkcs1pad(rsa-generic)`, under the DER `RSAPublicKey` `public`.
///
/// # Errors
///
/// The generic implementation's: [`EOVERFLOW`] if `cipher` is smaller than the key, for
/// instance.
pub(crate) fn generic_encrypt(public: &[u8], plain: &[u8], cipher: &mut [u8]) -> Result {
    let mut tfm = AkcipherTfm::new(c"pkcs1pad(rsa-generic)")?;
    tfm.set_pub_key(public)?;
    tfm.encrypt(plain, cipher)
}

/// The key of an RSA transformation.
pub(crate) enum RsaKey {
    /// In restricted memory, with a session on an engine.
    Restricted {
        /// The engine that has the session.
        engine: Arc<dyn Engine>,
        /// The key, DER, in restricted memory.
        _key: RestrictedKey,
        /// The session with the key.
        session: SessionId,
        /// The size of the modulus in bits.
        bits: usize,
        /// Whether the key is private or public.
        keytype: RsaKeyType,
    },
    /// A public key set while no engine offered RSA, used with the kernel's generic RSA.
    ///
    /// The kernel verifies module signatures and X.509 certificates with the highest-priority
    /// implementation, rstkey's once it has registered: without a device, the public-key
    /// operations must still work. A private key is never used so: it stays out of normal-world
    /// memory, and [`RsaCtx::set_key`] fails with [`ENODEV`].
    Software {
        /// The key, DER `RSAPublicKey`.
        public: KVec<u8>,
        /// The size of the modulus in bits.
        bits: usize,
    },
}

impl RsaKey {
    /// Returns the size of the modulus in bits.
    pub(crate) fn bits(&self) -> usize {
        match self {
            Self::Restricted { bits, .. } | Self::Software { bits, .. } => *bits,
        }
    }

    /// Returns the size of the modulus, and of a signature, in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.bits().div_ceil(8)
    }

    /// Returns the engine and the session of a private key, for signing and decrypting.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a public key.
    pub(crate) fn private(&self) -> Result<(&Arc<dyn Engine>, SessionId)> {
        match self {
            Self::Restricted {
                engine,
                session,
                keytype: RsaKeyType::Private,
                ..
            } => Ok((engine, *session)),
            _ => Err(EINVAL),
        }
    }
}

impl Drop for RsaKey {
    fn drop(&mut self) {
        if let Self::Restricted {
            engine, session, ..
        } = self
        {
            // An error only means the device is gone or forgot the session.
            let _ = engine.destroy_rsa_session(*session);
        }
    }
}

/// The context of an RSA transformation: `pkcs1-rsa-<hash>-rstkey` or `pkcs1pad-rsa-rstkey`.
pub(crate) struct RsaCtx {
    /// The key, once set.
    key: Option<RsaKey>,
    /// The hash the sessions are created for (the device needs one even to encrypt).
    hash: RsaHash,
}

impl RsaCtx {
    /// Creates the context of a transformation for sessions of `hash`. The engine is picked
    /// when a key is set.
    pub(crate) fn new(hash: RsaHash) -> Self {
        Self { key: None, hash }
    }

    /// Places `key` in restricted memory and creates a session with it on an engine that offers
    /// RSA, replacing the old key; without such an engine, a public key is kept for the generic
    /// RSA ([`RsaKey::Software`]).
    ///
    /// # Errors
    ///
    /// [`EINVAL`] or [`EBADMSG`] for a key that does not parse or whose modulus is not 1024 to
    /// 4096 bits long, [`ENODEV`] for a private key while no engine offers RSA, otherwise the
    /// error of placing it in restricted memory or of the session.
    pub(crate) fn set_key(&mut self, key: &[u8], keytype: RsaKeyType) -> Result {
        let bits = rsa_key_bits(key, keytype)?;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(EINVAL);
        }
        let new = match pick(Service::RsaPkcs1) {
            Ok(engine) => {
                let restricted = engine.import_key(key)?;
                let session = engine.create_rsa_session(keytype, self.hash, &restricted)?;
                RsaKey::Restricted {
                    engine,
                    _key: restricted,
                    session,
                    bits,
                    keytype,
                }
            }
            Err(e) if e == ENODEV && keytype == RsaKeyType::Public => {
                let mut public = KVec::new();
                public.extend_from_slice(key, GFP_KERNEL)?;
                RsaKey::Software { public, bits }
            }
            Err(e) => return Err(e),
        };
        // Dropping the old key destroys its session.
        self.key = Some(new);
        Ok(())
    }

    /// Returns the key, [`ENOKEY`] if none is set.
    pub(crate) fn key(&self) -> Result<&RsaKey> {
        self.key.as_ref().ok_or(ENOKEY)
    }

    /// Returns the size of the modulus in bits, 0 without a key.
    pub(crate) fn bits(&self) -> u32 {
        self.key
            .as_ref()
            .map_or(0, |k| u32::try_from(k.bits()).unwrap_or(0))
    }
}
