// SPDX-License-Identifier: GPL-2.0

//! The skcipher algorithms: `cbc(aes)`, driver `cbc-aes-rstkey`.
//!
//! The requests are asynchronous: the crypto request's own source and destination scatterlists
//! go to the engine, which completes the request from its interrupt.

use kernel::{
    crypto::{
        alg_flags,
        skcipher::{
            Algorithm,
            AsyncRequest,
            Queued,
            Refused, //
        },
    },
    prelude::*,
    sync::Arc, //
};

use super::{
    pick,
    PRIORITY, //
};
use crate::{
    engine::{
        Cipher,
        CipherCompletion,
        CipherOp,
        CipherSgs,
        CompletionSource,
        Direction,
        Engine,
        Service,
        SessionId,
        Submitted, //
        AES_BLOCK_SIZE,
        AES_MAX_KEY_SIZE,
        AES_MIN_KEY_SIZE,
    },
    keystore::RestrictedKey,
};

/// The key of a transformation: in restricted memory, with a session per direction on the
/// engine.
struct CipherKey {
    _key: RestrictedKey,
    enc: SessionId,
    dec: SessionId,
}

/// The context of a `cbc-aes-rstkey` transformation.
pub(crate) struct CbcAesCtx {
    engine: Arc<dyn Engine>,
    key: Option<CipherKey>,
}

impl CbcAesCtx {
    /// Destroys the sessions of `key`; errors only mean the device is gone or forgot them.
    fn release(&self, key: CipherKey) {
        let _ = self.engine.destroy_cipher_session(key.enc);
        let _ = self.engine.destroy_cipher_session(key.dec);
    }
}

impl Drop for CbcAesCtx {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.release(key);
        }
    }
}

/// AES in CBC mode, on the accelerator, with the key in restricted memory.
pub(crate) struct CbcAes;

/// What AES-CBC keeps about a request while the device processes it, in the request itself.
#[derive(Default)]
pub(crate) struct CbcRequest {
    /// Decrypting, the IV after the request: the last block of the source, which an in-place
    /// request overwrites. Encrypting, `None`: the IV is the last block of the destination.
    next_iv: Option<[u8; AES_BLOCK_SIZE]>,
}

/// Where the result of an AES-CBC request goes.
struct CbcCompletion {
    /// The request, until it is completed.
    req: Option<AsyncRequest<CbcAes>>,
}

impl CipherCompletion for CbcCompletion {
    fn started(&mut self) {
        if let Some(req) = &self.req {
            req.notify_in_progress();
        }
    }

    fn done(&mut self, result: Result) {
        let Some(mut req) = self.req.take() else {
            return;
        };
        // The device wrote the result to the destination.
        let result = result.and_then(|()| {
            // CBC's output IV is the last ciphertext block.
            let next_iv = req.context().next_iv;
            let mut r = req.request();
            let last = match next_iv {
                Some(iv) => iv,
                None => {
                    let mut last = [0u8; AES_BLOCK_SIZE];
                    let len = r.cryptlen();
                    r.copy_from_dst(len.saturating_sub(AES_BLOCK_SIZE), &mut last)?;
                    last
                }
            };
            r.iv().copy_from_slice(&last);
            Ok(())
        });
        req.complete(result);
    }
}

/// A request on its way to the engine: the engine takes its completion once it accepts it.
struct Pending {
    /// The request, until the completion is taken.
    req: Option<AsyncRequest<CbcAes>>,
    /// The memory of the completion, allocated before the engine is asked.
    slot: Option<KBox<core::mem::MaybeUninit<CbcCompletion>>>,
}

impl CompletionSource for Pending {
    fn take(&mut self) -> Option<KBox<dyn CipherCompletion>> {
        self.req.as_ref()?;
        let slot = self.slot.take()?;
        let completion: KBox<dyn CipherCompletion> = slot.write(CbcCompletion {
            req: self.req.take(),
        });
        Some(completion)
    }
}

impl CbcAes {
    /// Starts `direction` on `req`.
    fn crypt(
        ctx: &CbcAesCtx,
        mut req: AsyncRequest<Self>,
        direction: Direction,
    ) -> core::result::Result<Queued, Refused<Self>> {
        let Some(key) = &ctx.key else {
            return Err(req.refuse(ENOKEY));
        };
        let len = req.request().cryptlen();
        if len == 0 {
            return Ok(Queued::Done(req.finish()));
        }
        if len % AES_BLOCK_SIZE != 0 {
            return Err(req.refuse(EINVAL));
        }

        let gfp = req.gfp();
        let mut iv = [0u8; AES_BLOCK_SIZE];
        let mut next_iv = [0u8; AES_BLOCK_SIZE];
        let copied = {
            let mut r = req.request();
            iv.copy_from_slice(r.iv());
            // Decrypting, the output IV is the last source block, which an in-place request
            // overwrites.
            match direction {
                Direction::Decrypt => r
                    .copy_from_src(len.saturating_sub(AES_BLOCK_SIZE), &mut next_iv)
                    .map(|()| Some(next_iv)),
                Direction::Encrypt => Ok(None),
            }
        };
        match copied {
            Ok(next_iv) => req.context().next_iv = next_iv,
            Err(e) => return Err(req.refuse(e)),
        }
        let Some((src, dst)) = req.sg_lists() else {
            return Err(req.refuse(EINVAL));
        };
        // SAFETY: The lists stay valid, with nothing else accessing them, until the request is
        // completed, which the completion does: it owns the request.
        let sgs = match unsafe { CipherSgs::new(src, dst) } {
            Ok(sgs) => sgs,
            Err(e) => return Err(req.refuse(e)),
        };
        let id = match direction {
            Direction::Encrypt => key.enc,
            Direction::Decrypt => key.dec,
        };
        let slot = match KBox::<CbcCompletion>::new_uninit(gfp) {
            Ok(s) => s,
            Err(e) => return Err(req.refuse(e.into())),
        };
        let may_backlog = req.may_backlog();
        let mut pending = Pending {
            req: Some(req),
            slot: Some(slot),
        };

        let submitted = ctx.engine.submit_cipher(
            CipherOp {
                id,
                direction,
                iv,
                sgs,
            },
            gfp,
            may_backlog,
            &mut pending,
        );
        match (submitted, pending.req) {
            (Ok(Submitted::InProgress), _) => Ok(Queued::InProgress),
            (Ok(Submitted::Backlogged), _) => Ok(Queued::Backlogged),
            // The engine refused the request before it took the completion.
            (Err(e), Some(req)) => Err(req.refuse(e)),
            // Not reachable: an engine that took the completion reports errors to it.
            (Err(_), None) => Ok(Queued::InProgress),
        }
    }
}

#[vtable]
impl Algorithm for CbcAes {
    const NAME: &'static CStr = c"cbc(aes)";
    const DRIVER_NAME: &'static CStr = c"cbc-aes-rstkey";
    const PRIORITY: i32 = PRIORITY;
    const BLOCK_SIZE: u32 = AES_BLOCK_SIZE as u32;
    const MIN_KEYSIZE: u32 = AES_MIN_KEY_SIZE as u32;
    const MAX_KEYSIZE: u32 = AES_MAX_KEY_SIZE as u32;
    const IV_SIZE: u32 = AES_BLOCK_SIZE as u32;
    const FLAGS: u32 = alg_flags::KERN_DRIVER_ONLY | alg_flags::ALLOCATES_MEMORY;

    type Context = CbcAesCtx;
    type RequestContext = CbcRequest;

    fn init() -> Result<CbcAesCtx> {
        Ok(CbcAesCtx {
            engine: pick(Service::Cipher(Cipher::AesCbc))?,
            key: None,
        })
    }

    fn setkey(ctx: &mut CbcAesCtx, key: &[u8]) -> Result {
        Cipher::AesCbc.check_key_len(key.len())?;
        let engine = &ctx.engine;
        let restricted = engine.import_key(key)?;
        let enc = engine.create_cipher_session(Cipher::AesCbc, Direction::Encrypt, &restricted)?;
        let dec =
            match engine.create_cipher_session(Cipher::AesCbc, Direction::Decrypt, &restricted) {
                Ok(dec) => dec,
                Err(e) => {
                    let _ = engine.destroy_cipher_session(enc);
                    return Err(e);
                }
            };
        let old = ctx.key.replace(CipherKey {
            _key: restricted,
            enc,
            dec,
        });
        if let Some(old) = old {
            ctx.release(old);
        }
        Ok(())
    }

    fn encrypt_async(
        ctx: &CbcAesCtx,
        req: AsyncRequest<Self>,
    ) -> core::result::Result<Queued, Refused<Self>> {
        Self::crypt(ctx, req, Direction::Encrypt)
    }

    fn decrypt_async(
        ctx: &CbcAesCtx,
        req: AsyncRequest<Self>,
    ) -> core::result::Result<Queued, Refused<Self>> {
        Self::crypt(ctx, req, Direction::Decrypt)
    }
}
