// SPDX-License-Identifier: GPL-2.0

//! The akcipher algorithms: RSAES-PKCS1-v1_5, `pkcs1pad(rsa)`, driver `pkcs1pad-rsa-rstkey`.

use kernel::{
    crypto::{
        akcipher::{
            AkcipherAlgorithm,
            AkcipherRequest, //
        },
        alg_flags,
        memzero_explicit, //
    },
    prelude::*,
};

use super::{
    rsa::{
        generic_encrypt,
        RsaCtx,
        RsaKey, //
    },
    PRIORITY, //
};
use crate::engine::{
    RsaHash,
    RsaKeyType, //
    PKCS1_MIN_PADDING,
};

/// RSAES-PKCS1-v1_5 on the accelerator, with the key in restricted memory.
pub(crate) struct Pkcs1PadRsa;

#[vtable]
impl AkcipherAlgorithm for Pkcs1PadRsa {
    const NAME: &'static CStr = c"pkcs1pad(rsa)";
    const DRIVER_NAME: &'static CStr = c"pkcs1pad-rsa-rstkey";
    const PRIORITY: i32 = PRIORITY;
    const FLAGS: u32 = alg_flags::KERN_DRIVER_ONLY;

    type Context = RsaCtx;

    fn init() -> Result<RsaCtx> {
        // The device creates RSA sessions for a hash only; encryption does not use it.
        Ok(RsaCtx::new(RsaHash::Sha256))
    }

    fn set_pub_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Public)
    }

    fn set_priv_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Private)
    }

    fn max_size(ctx: &RsaCtx) -> u32 {
        ctx.key()
            .map_or(0, |k| u32::try_from(k.bytes()).unwrap_or(0))
    }

    fn encrypt(ctx: &RsaCtx, req: &mut AkcipherRequest<'_>) -> Result {
        let key = ctx.key()?;
        let k = key.bytes();
        if req.src_len() > k.saturating_sub(PKCS1_MIN_PADDING) {
            return Err(EOVERFLOW);
        }
        let mut plain = KVec::from_elem(0u8, req.src_len(), GFP_KERNEL)?;
        req.copy_from_src(&mut plain)?;
        let cipher = match key {
            RsaKey::Restricted {
                engine, session, ..
            } => engine.rsa_encrypt(*session, &plain, k),
            RsaKey::Software { public, .. } => KVec::from_elem(0u8, k, GFP_KERNEL)
                .map_err(Error::from)
                .and_then(|mut c| generic_encrypt(public, &plain, &mut c).map(|()| c)),
        };
        memzero_explicit(&mut plain);
        req.set_output(&cipher?)
    }

    fn decrypt(ctx: &RsaCtx, req: &mut AkcipherRequest<'_>) -> Result {
        let key = ctx.key()?;
        let (engine, session) = key.private()?;
        if req.src_len() != key.bytes() {
            return Err(EINVAL);
        }
        let mut cipher = KVec::from_elem(0u8, req.src_len(), GFP_KERNEL)?;
        req.copy_from_src(&mut cipher)?;
        let mut plain = engine.rsa_decrypt(session, &cipher)?;
        let ret = req.set_output(&plain);
        memzero_explicit(&mut plain);
        ret
    }
}
