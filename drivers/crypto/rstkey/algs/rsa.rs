// SPDX-License-Identifier: GPL-2.0

//! The key of an RSA transformation, shared by the [`sig`](super::sig) and
//! [`akcipher`](super::akcipher) algorithms.

use kernel::{
    crypto::rsa,
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

/// The key of an RSA transformation: in restricted memory, with a session on the engine.
pub(crate) struct RsaKey {
    _key: RestrictedKey,
    /// The session with the key.
    pub(crate) session: SessionId,
    /// The size of the modulus in bits.
    pub(crate) bits: usize,
    /// Whether the key is private or public.
    pub(crate) keytype: RsaKeyType,
}

impl RsaKey {
    /// Returns the size of the modulus, and of a signature, in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.bits.div_ceil(8)
    }
}

/// The context of an RSA transformation: `pkcs1-rsa-<hash>-rstkey` or `pkcs1pad-rsa-rstkey`.
pub(crate) struct RsaCtx {
    /// The engine the transformation runs on.
    pub(crate) engine: Arc<dyn Engine>,
    /// The key, once set.
    pub(crate) key: Option<RsaKey>,
    /// The hash the sessions are created for (the device needs one even to encrypt).
    hash: RsaHash,
}

impl RsaCtx {
    /// Creates the context of a transformation, on an engine that offers RSA, for sessions of
    /// `hash`.
    pub(crate) fn new(hash: RsaHash) -> Result<Self> {
        Ok(Self {
            engine: pick(Service::RsaPkcs1)?,
            key: None,
            hash,
        })
    }

    /// Places `key` in restricted memory and creates a session with it, replacing the old key.
    pub(crate) fn set_key(&mut self, key: &[u8], keytype: RsaKeyType) -> Result {
        let bits = rsa_key_bits(key, keytype)?;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(EINVAL);
        }
        let restricted = self.engine.import_key(key)?;
        let session = self
            .engine
            .create_rsa_session(keytype, self.hash, &restricted)?;
        let old = self.key.replace(RsaKey {
            _key: restricted,
            session,
            bits,
            keytype,
        });
        if let Some(old) = old {
            let _ = self.engine.destroy_rsa_session(old.session);
        }
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
            .map_or(0, |k| u32::try_from(k.bits).unwrap_or(0))
    }
}

impl Drop for RsaCtx {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let _ = self.engine.destroy_rsa_session(key.session);
        }
    }
}
