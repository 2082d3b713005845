// SPDX-License-Identifier: GPL-2.0

//! The sig algorithms: RSASSA-PKCS1-v1_5, `pkcs1(rsa,<hash>)`, driver `pkcs1-rsa-<hash>-rstkey`.

use core::marker::PhantomData;
use kernel::{
    crypto::{
        alg_flags,
        sig::SigAlgorithm, //
    },
    prelude::*,
};

use super::{
    rsa::{
        generic_verify,
        RsaCtx,
        RsaKey, //
    },
    PRIORITY, //
};
use crate::engine::{
    RsaHash,
    RsaKeyType,
    Segment, //
};

/// A hash of RSASSA-PKCS1-v1_5 signatures rstkey registers an algorithm for.
pub(crate) trait SigHash: Send + Sync + 'static {
    /// The hash.
    const HASH: RsaHash;
    /// The algorithm's name, `pkcs1(rsa,<hash>)`.
    const NAME: &'static CStr;
    /// The driver's name, `pkcs1-rsa-<hash>-rstkey`.
    const DRIVER_NAME: &'static CStr;
}

/// SHA-1.
pub(crate) struct Sha1;

impl SigHash for Sha1 {
    const HASH: RsaHash = RsaHash::Sha1;
    const NAME: &'static CStr = c"pkcs1(rsa,sha1)";
    const DRIVER_NAME: &'static CStr = c"pkcs1-rsa-sha1-rstkey";
}

/// SHA-256.
pub(crate) struct Sha256;

impl SigHash for Sha256 {
    const HASH: RsaHash = RsaHash::Sha256;
    const NAME: &'static CStr = c"pkcs1(rsa,sha256)";
    const DRIVER_NAME: &'static CStr = c"pkcs1-rsa-sha256-rstkey";
}

/// SHA-512.
pub(crate) struct Sha512;

impl SigHash for Sha512 {
    const HASH: RsaHash = RsaHash::Sha512;
    const NAME: &'static CStr = c"pkcs1(rsa,sha512)";
    const DRIVER_NAME: &'static CStr = c"pkcs1-rsa-sha512-rstkey";
}

/// RSASSA-PKCS1-v1_5 with the hash `H` on the accelerator, with the key in restricted memory.
pub(crate) struct RsaPkcs1<H: SigHash>(PhantomData<H>);

#[vtable]
impl<H: SigHash> SigAlgorithm for RsaPkcs1<H> {
    const NAME: &'static CStr = H::NAME;
    const DRIVER_NAME: &'static CStr = H::DRIVER_NAME;
    const PRIORITY: i32 = PRIORITY;
    const FLAGS: u32 = alg_flags::KERN_DRIVER_ONLY;

    type Context = RsaCtx;

    fn init() -> Result<RsaCtx> {
        Ok(RsaCtx::new(H::HASH))
    }

    fn set_pub_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Public)
    }

    fn set_priv_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Private)
    }

    fn key_size(ctx: &RsaCtx) -> u32 {
        ctx.bits()
    }

    fn sign(ctx: &RsaCtx, digest: &[u8], sig: &mut [u8]) -> Result<usize> {
        let key = ctx.key()?;
        let (engine, session) = key.private()?;
        let k = key.bytes();
        if digest.len() != H::HASH.digest_size() {
            return Err(EINVAL);
        }
        let out = sig.get_mut(..k).ok_or(EOVERFLOW)?;
        let signature = engine.rsa_sign(session, H::HASH, &[Segment::Kernel(digest)], k)?;
        out.copy_from_slice(&signature);
        Ok(k)
    }

    fn verify(ctx: &RsaCtx, sig: &[u8], digest: &[u8]) -> Result {
        let key = ctx.key()?;
        if sig.len() != key.bytes() || digest.len() != H::HASH.digest_size() {
            return Err(EINVAL);
        }
        match key {
            RsaKey::Restricted {
                engine, session, ..
            } => engine.rsa_verify(
                *session,
                H::HASH,
                &[Segment::Kernel(sig)],
                &[Segment::Kernel(digest)],
            ),
            RsaKey::Software { public, .. } => generic_verify(public, H::HASH, sig, digest),
        }
    }
}
