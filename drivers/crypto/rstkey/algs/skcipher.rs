// SPDX-License-Identifier: GPL-2.0

//! The skcipher algorithms: `cbc(aes)`, driver `cbc-aes-rstkey`, and `cbc(paes)`, driver
//! `cbc-paes-rstkey`.
//!
//! Both are AES-CBC on the engine with the key in restricted memory; they differ in what their
//! users hand to setkey ([`KeySource`]). `cbc(aes)` takes the clear key, which is imported, as
//! the crypto API's other `cbc(aes)` drivers do. `cbc(paes)` is the protected-key algorithm: it
//! takes a key blob wrapped under the device key (`include/uapi/linux/rstkey_km.h`), which the
//! secure world unwraps straight into restricted memory, so that its users (dm-crypt, AF_ALG)
//! never hold the key itself. As the crypto API's other protected-key drivers do, it accepts a
//! clear key (16, 24 or 32 bytes, which no blob is) only while the crypto API's self-test of the
//! algorithm runs, which uses the AES-CBC test vectors, or if the module parameter `clear_keys`
//! allows it.
//!
//! The requests are asynchronous: the crypto request's own source and destination scatterlists
//! go to the engine, which completes the request from its interrupt.

use core::marker::PhantomData;
use kernel::{
    crypto::{
        alg_flags,
        skcipher::{
            Algorithm,
            AnyRequest,
            AsyncRequest,
            Complete,
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
        MAX_AES_BLOB,
    },
    keystore::{
        KeyPurpose,
        RestrictedKey, //
    },
};

/// Where the key of a `cbc` transformation comes from: what its users hand to setkey.
pub(crate) trait KeySource: Send + Sync + 'static {
    /// The algorithm's name.
    const NAME: &'static CStr;
    /// The algorithm's driver name.
    const DRIVER_NAME: &'static CStr;
    /// The smallest key setkey takes.
    const MIN_KEYSIZE: usize;
    /// The largest key setkey takes.
    const MAX_KEYSIZE: usize;
    /// What the algorithm needs an engine for.
    const SERVICE: Service;

    /// Places the key `key` stands for in restricted memory for `engine`; `untested` while the
    /// crypto API's self-test of the algorithm runs.
    fn restricted(engine: &dyn Engine, key: &[u8], untested: bool) -> Result<RestrictedKey>;
}

/// The user hands the clear key: `cbc(aes)`.
pub(crate) struct ClearKey;

impl KeySource for ClearKey {
    const NAME: &'static CStr = c"cbc(aes)";
    const DRIVER_NAME: &'static CStr = c"cbc-aes-rstkey";
    const MIN_KEYSIZE: usize = AES_MIN_KEY_SIZE;
    const MAX_KEYSIZE: usize = AES_MAX_KEY_SIZE;
    const SERVICE: Service = Service::Cipher(Cipher::AesCbc);

    fn restricted(engine: &dyn Engine, key: &[u8], _untested: bool) -> Result<RestrictedKey> {
        Cipher::AesCbc.check_key_len(key.len())?;
        engine.import_key(key)
    }
}

/// The user hands a key blob wrapped under the device key: `cbc(paes)`.
pub(crate) struct WrappedKey;

impl KeySource for WrappedKey {
    const NAME: &'static CStr = c"cbc(paes)";
    const DRIVER_NAME: &'static CStr = c"cbc-paes-rstkey";
    const MIN_KEYSIZE: usize = AES_MIN_KEY_SIZE;
    const MAX_KEYSIZE: usize = MAX_AES_BLOB;
    const SERVICE: Service = Service::ProtectedCipher(Cipher::AesCbc);

    fn restricted(engine: &dyn Engine, key: &[u8], untested: bool) -> Result<RestrictedKey> {
        // A blob has a header, at least a block of ciphertext and a tag: it is never as short
        // as an AES key.
        if key.len() <= AES_MAX_KEY_SIZE {
            Cipher::AesCbc.check_key_len(key.len())?;
            if !untested && !super::clear_keys_allowed() {
                return Err(EACCES);
            }
            return engine.import_key(key);
        }
        let restricted = engine.unwrap_key(key, KeyPurpose::AES_CBC)?;
        Cipher::AesCbc.check_key_len(restricted.len())?;
        Ok(restricted)
    }
}

/// The key of a transformation: in restricted memory, with a session per direction on the
/// engine.
struct CipherKey {
    _key: RestrictedKey,
    enc: SessionId,
    dec: SessionId,
}

/// The context of a `cbc` transformation.
pub(crate) struct CbcCtx {
    engine: Arc<dyn Engine>,
    key: Option<CipherKey>,
}

impl CbcCtx {
    /// Destroys the sessions of `key`; errors only mean the device is gone or forgot them.
    fn release(&self, key: CipherKey) {
        let _ = self.engine.destroy_cipher_session(key.enc);
        let _ = self.engine.destroy_cipher_session(key.dec);
    }
}

impl Drop for CbcCtx {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.release(key);
        }
    }
}

/// AES in CBC mode, on the accelerator, with the key in restricted memory, from `K`.
pub(crate) struct Cbc<K: KeySource>(PhantomData<K>);

/// `cbc-aes-rstkey`.
pub(crate) type CbcAes = Cbc<ClearKey>;

/// `cbc-paes-rstkey`.
pub(crate) type CbcPaes = Cbc<WrappedKey>;

/// What AES-CBC keeps about a request while the device processes it, in the request itself.
#[derive(Default)]
pub(crate) struct CbcRequest {
    /// The direction, to submit the request again after it waited on the engine's backlog.
    direction: Option<Direction>,
    /// Decrypting, the IV after the request: the last block of the source, which an in-place
    /// request overwrites. Encrypting, `None`: the IV is the last block of the destination.
    next_iv: Option<[u8; AES_BLOCK_SIZE]>,
}

/// A request on its way to the engine, which takes it once it accepts the operation.
struct Pending<K: KeySource>(Option<AsyncRequest<Cbc<K>>>);

impl<K: KeySource> CompletionSource for Pending<K> {
    fn take(&mut self) -> Option<AnyRequest> {
        self.0.take().map(AnyRequest::from)
    }
}

impl<K: KeySource> Cbc<K> {
    /// Starts `direction` on `req`; `resumed` if it waited on the engine's backlog.
    ///
    /// Nothing here allocates memory or sleeps: the request's state lives in its context, the
    /// engine's in memory it set aside when the device was bound.
    fn crypt(
        ctx: &CbcCtx,
        mut req: AsyncRequest<Self>,
        direction: Direction,
        resumed: bool,
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
            Ok(next_iv) => {
                let c = req.context();
                c.next_iv = next_iv;
                c.direction = Some(direction);
            }
            Err(e) => return Err(req.refuse(e)),
        }
        let Some((src, dst)) = req.sg_lists() else {
            return Err(req.refuse(EINVAL));
        };
        // SAFETY: The lists stay valid, with nothing else accessing them, until the request is
        // completed, which is after the engine is done with them: it owns the request.
        let sgs = match unsafe { CipherSgs::new(src, dst) } {
            Ok(sgs) => sgs,
            Err(e) => return Err(req.refuse(e)),
        };
        let id = match direction {
            Direction::Encrypt => key.enc,
            Direction::Decrypt => key.dec,
        };
        let may_backlog = req.may_backlog();
        let mut pending = Pending(Some(req));

        let submitted = ctx.engine.submit_cipher(
            CipherOp {
                id,
                direction,
                iv,
                sgs,
            },
            may_backlog,
            resumed,
            &mut pending,
        );
        match (submitted, pending.0) {
            (Ok(Submitted::InProgress), _) => Ok(Queued::InProgress),
            (Ok(Submitted::Backlogged), _) => Ok(Queued::Backlogged),
            // The engine refused the request before it took it.
            (Err(e), Some(req)) => Err(req.refuse(e)),
            // Not reachable: an engine that took the request reports errors to it.
            (Err(_), None) => Ok(Queued::InProgress),
        }
    }

    /// Sets the key of `ctx` to the one `key` stands for.
    fn set(ctx: &mut CbcCtx, key: &[u8], untested: bool) -> Result {
        let engine = &ctx.engine;
        let restricted = K::restricted(&**engine, key, untested)?;
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
}

#[vtable]
impl<K: KeySource> Algorithm for Cbc<K> {
    const NAME: &'static CStr = K::NAME;
    const DRIVER_NAME: &'static CStr = K::DRIVER_NAME;
    const PRIORITY: i32 = PRIORITY;
    const BLOCK_SIZE: u32 = AES_BLOCK_SIZE as u32;
    const MIN_KEYSIZE: u32 = K::MIN_KEYSIZE as u32;
    const MAX_KEYSIZE: u32 = K::MAX_KEYSIZE as u32;
    const IV_SIZE: u32 = AES_BLOCK_SIZE as u32;
    // The data path allocates no memory (see `crypt`): dm-crypt asks for that.
    const FLAGS: u32 = alg_flags::KERN_DRIVER_ONLY;

    type Context = CbcCtx;
    type RequestContext = CbcRequest;

    fn init() -> Result<CbcCtx> {
        Ok(CbcCtx {
            engine: pick(K::SERVICE)?,
            key: None,
        })
    }

    fn setkey(ctx: &mut CbcCtx, key: &[u8]) -> Result {
        Self::set(ctx, key, false)
    }

    fn setkey_untested(ctx: &mut CbcCtx, key: &[u8]) -> Result {
        Self::set(ctx, key, true)
    }

    fn encrypt_async(
        ctx: &CbcCtx,
        req: AsyncRequest<Self>,
    ) -> core::result::Result<Queued, Refused<Self>> {
        Self::crypt(ctx, req, Direction::Encrypt, false)
    }

    fn decrypt_async(
        ctx: &CbcCtx,
        req: AsyncRequest<Self>,
    ) -> core::result::Result<Queued, Refused<Self>> {
        Self::crypt(ctx, req, Direction::Decrypt, false)
    }
}

impl<K: KeySource> Complete for Cbc<K> {
    fn done(mut req: AsyncRequest<Self>, result: Result) {
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

    fn resume(ctx: &CbcCtx, mut req: AsyncRequest<Self>) {
        let Some(direction) = req.context().direction else {
            // Not reachable: a request reaches the backlog through `crypt`.
            req.complete(Err(EINVAL));
            return;
        };
        // The user was told the request is on the backlog: it gets the result through its
        // completion, also if the request is refused now.
        if let Err(Refused { error, request }) = Self::crypt(ctx, req, direction, true) {
            request.complete(Err(error));
        }
    }
}
