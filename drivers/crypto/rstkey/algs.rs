// SPDX-License-Identifier: GPL-2.0

//! The crypto API algorithms rstkey registers, and the engines that serve them.
//!
//! An algorithm is registered when the first device that can serve it is bound, and stays
//! registered until the module is unloaded (which the crypto API prevents while a
//! transformation of it exists): a transformation picks an engine when it is allocated and
//! fails with [`ENODEV`] once that engine's device is gone.
//!
//! - `cbc(aes)`, driver `cbc-aes-rstkey`: [`CbcAes`].
//! - `pkcs1(rsa,sha1)`, `pkcs1(rsa,sha256)` and `pkcs1(rsa,sha512)`, drivers
//!   `pkcs1-rsa-<hash>-rstkey`: [`RsaPkcs1`], RSASSA-PKCS1-v1_5 signatures by the device's PKCS#1
//!   SIGN and VERIFY operations, for the hashes both the device's RSA sessions and the kernel's
//!   `pkcs1` template support.
//! - `pkcs1pad(rsa)`, driver `pkcs1pad-rsa-rstkey`: [`Pkcs1PadRsa`], RSAES-PKCS1-v1_5 encryption
//!   by the device's PKCS#1 ENCRYPT and DECRYPT operations.

use core::marker::PhantomData;
use kernel::{
    bindings,
    crypto::{
        akcipher::{
            self,
            AkcipherAlgorithm,
            AkcipherRequest, //
        },
        rsa,
        sig::{
            self,
            SigAlgorithm, //
        },
        skcipher::{
            self,
            Algorithm,
            AsyncRequest,
            Queued,
            Refused, //
        },
    },
    prelude::*,
    sync::Arc,
    ModuleMetadata,
    ThisModule, //
};

use crate::{
    engine::{
        Cipher,
        CipherCompletion,
        CipherOp,
        CipherSgs,
        Direction,
        Engine,
        RsaHash,
        RsaKeyType,
        SessionId,
        Submitted, //
        AES_BLOCK_SIZE,
    },
    keystore::RestrictedKey,
    virtio_engine::VirtioEngine,
};

/// Priority of rstkey's algorithms: above the generic implementations (100) and the C
/// virtio-crypto driver (150).
const PRIORITY: i32 = 300;

/// The engines and algorithm registrations of the module.
pub(crate) struct Algs {
    /// The engines of the bound devices.
    engines: KVec<Arc<VirtioEngine>>,
    /// `cbc-aes-rstkey`, once a device that serves it has been bound.
    cbc_aes: Option<Pin<KBox<skcipher::Registration<CbcAes>>>>,
    /// `pkcs1-rsa-sha256-rstkey`, once a device that serves it has been bound.
    rsa_sha256: Option<Pin<KBox<sig::Registration<RsaPkcs1<Sha256>>>>>,
    /// `pkcs1-rsa-sha1-rstkey`, registered with `rsa_sha256`.
    rsa_sha1: Option<Pin<KBox<sig::Registration<RsaPkcs1<Sha1>>>>>,
    /// `pkcs1-rsa-sha512-rstkey`, registered with `rsa_sha256`.
    rsa_sha512: Option<Pin<KBox<sig::Registration<RsaPkcs1<Sha512>>>>>,
    /// `pkcs1pad-rsa-rstkey`, registered with `rsa_sha256`.
    pkcs1pad: Option<Pin<KBox<akcipher::Registration<Pkcs1PadRsa>>>>,
}

impl Algs {
    /// No engine, nothing registered.
    pub(crate) const fn new() -> Self {
        Self {
            engines: KVec::new(),
            cbc_aes: None,
            rsa_sha256: None,
            rsa_sha1: None,
            rsa_sha512: None,
            pkcs1pad: None,
        }
    }
}

kernel::sync::global_lock! {
    // SAFETY: Initialized in the module's `init()` before the driver is registered, which is
    // before any other use of the lock.
    pub(crate) unsafe(uninit) static ALGS: Mutex<Algs> = Algs::new();
}

/// The module that provides the algorithms.
fn this_module() -> &'static ThisModule {
    &<crate::LocalModule as ModuleMetadata>::THIS_MODULE
}

/// Makes `engine` available to the algorithms, and registers those it serves that are not
/// registered yet.
///
/// Registering an algorithm waits for its self-test, which uses the engine.
pub(crate) fn add_engine(engine: Arc<VirtioEngine>) -> Result {
    // The crypto API hands keys over in the clear: without a TEE that lets them be imported into
    // restricted memory, the engine serves no algorithm.
    let keys = engine.takes_clear_keys();
    let serves_cbc_aes = keys && engine.offers(Cipher::AesCbc);
    let serves_rsa = keys && engine.offers_rsa();
    let (register_cbc_aes, register_rsa) = {
        let mut algs = ALGS.lock();
        algs.engines.push(engine, GFP_KERNEL)?;
        (
            serves_cbc_aes && algs.cbc_aes.is_none(),
            serves_rsa && algs.rsa_sha256.is_none(),
        )
    };
    // The lock is not held while the self-tests allocate transformations.
    if register_cbc_aes {
        let reg = KBox::pin_init(
            skcipher::Registration::<CbcAes>::new(this_module()),
            GFP_KERNEL,
        )?;
        let mut algs = ALGS.lock();
        if algs.cbc_aes.is_none() {
            algs.cbc_aes = Some(reg);
        }
    }
    if register_rsa {
        let reg = KBox::pin_init(
            sig::Registration::<RsaPkcs1<Sha256>>::new(this_module()),
            GFP_KERNEL,
        )?;
        let sha1 = KBox::pin_init(
            sig::Registration::<RsaPkcs1<Sha1>>::new(this_module()),
            GFP_KERNEL,
        )?;
        let sha512 = KBox::pin_init(
            sig::Registration::<RsaPkcs1<Sha512>>::new(this_module()),
            GFP_KERNEL,
        )?;
        let pad = KBox::pin_init(
            akcipher::Registration::<Pkcs1PadRsa>::new(this_module()),
            GFP_KERNEL,
        )?;
        let mut algs = ALGS.lock();
        if algs.rsa_sha256.is_none() {
            algs.rsa_sha256 = Some(reg);
            algs.rsa_sha1 = Some(sha1);
            algs.rsa_sha512 = Some(sha512);
            algs.pkcs1pad = Some(pad);
        }
    }
    Ok(())
}

/// Removes `engine`, whose device is being unbound, from the algorithms.
pub(crate) fn remove_engine(engine: &Arc<VirtioEngine>) {
    ALGS.lock().engines.retain(|e| !Arc::ptr_eq(e, engine));
}

/// Unregisters the algorithms; called when the module is unloaded, after the driver.
pub(crate) fn unregister_all() {
    let (cbc_aes, rsa, pkcs1pad, engines) = {
        let mut algs = ALGS.lock();
        (
            algs.cbc_aes.take(),
            (
                algs.rsa_sha256.take(),
                algs.rsa_sha1.take(),
                algs.rsa_sha512.take(),
            ),
            algs.pkcs1pad.take(),
            core::mem::take(&mut algs.engines),
        )
    };
    drop(cbc_aes);
    drop(rsa);
    drop(pkcs1pad);
    drop(engines);
}

/// Returns an engine for which `serves` is true.
fn pick(serves: impl Fn(&VirtioEngine) -> bool) -> Result<Arc<VirtioEngine>> {
    ALGS.lock()
        .engines
        .iter()
        .find(|e| e.takes_clear_keys() && serves(e))
        .cloned()
        .ok_or(ENODEV)
}

/// The key of a transformation: in restricted memory, with a session per direction on the
/// engine.
struct CipherKey {
    _key: RestrictedKey,
    enc: SessionId,
    dec: SessionId,
}

/// The context of a `cbc-aes-rstkey` transformation.
pub(crate) struct CbcAesCtx {
    engine: Arc<VirtioEngine>,
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
        // SAFETY: The lists hold `len` bytes in that many entries (checked by the crypto
        // abstraction) and stay valid, with nothing else accessing them, until the request is
        // completed, which the completion does: it owns the request.
        let sgs = unsafe { CipherSgs::new(src, dst, len, req.sg_entries()) };

        let id = match direction {
            Direction::Encrypt => key.enc,
            Direction::Decrypt => key.dec,
        };
        let op = match ctx.engine.prepare_cipher(
            CipherOp {
                id,
                direction,
                iv,
                sgs,
            },
            gfp,
        ) {
            Ok(op) => op,
            Err(e) => return Err(req.refuse(e)),
        };
        let slot = match KBox::<CbcCompletion>::new_uninit(gfp) {
            Ok(s) => s,
            Err(e) => return Err(req.refuse(e.into())),
        };
        let may_backlog = req.may_backlog();
        let completion = slot.write(CbcCompletion { req: Some(req) });

        match ctx.engine.submit_cipher(op, completion, may_backlog) {
            Ok(Submitted::InProgress) => Ok(Queued::InProgress),
            Ok(Submitted::Backlogged) => Ok(Queued::Backlogged),
            Err((e, completion)) => match KBox::into_inner(completion).req {
                Some(req) => Err(req.refuse(e)),
                // Not reachable: the completion was not called.
                None => Ok(Queued::InProgress),
            },
        }
    }
}

#[vtable]
impl Algorithm for CbcAes {
    const NAME: &'static CStr = c"cbc(aes)";
    const DRIVER_NAME: &'static CStr = c"cbc-aes-rstkey";
    const PRIORITY: i32 = PRIORITY;
    const BLOCK_SIZE: u32 = AES_BLOCK_SIZE as u32;
    const MIN_KEYSIZE: u32 = 16;
    const MAX_KEYSIZE: u32 = 32;
    const IV_SIZE: u32 = AES_BLOCK_SIZE as u32;
    const FLAGS: u32 = kernel::bindings::CRYPTO_ALG_KERN_DRIVER_ONLY
        | kernel::bindings::CRYPTO_ALG_ALLOCATES_MEMORY;

    type Context = CbcAesCtx;
    type RequestContext = CbcRequest;

    fn init() -> Result<CbcAesCtx> {
        Ok(CbcAesCtx {
            engine: pick(|e| e.offers(Cipher::AesCbc))?,
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
struct RsaKey {
    _key: RestrictedKey,
    session: SessionId,
    bits: usize,
    keytype: RsaKeyType,
}

impl RsaKey {
    /// Returns the size of the modulus, and of a signature, in bytes.
    fn bytes(&self) -> usize {
        self.bits.div_ceil(8)
    }
}

/// The context of an RSA transformation: `pkcs1-rsa-<hash>-rstkey` or `pkcs1pad-rsa-rstkey`.
pub(crate) struct RsaCtx {
    engine: Arc<VirtioEngine>,
    key: Option<RsaKey>,
    /// The hash the sessions are created for (the device needs one even to encrypt).
    hash: RsaHash,
}

impl RsaCtx {
    /// Creates the context of a transformation, on an engine that offers RSA, for sessions of
    /// `hash`.
    fn new(hash: RsaHash) -> Result<Self> {
        Ok(Self {
            engine: pick(VirtioEngine::offers_rsa)?,
            key: None,
            hash,
        })
    }

    /// Places `key` in restricted memory and creates a session with it, replacing the old key.
    fn set_key(&mut self, key: &[u8], keytype: RsaKeyType) -> Result {
        let bits = rsa_key_bits(key, keytype)?;
        // The device supports moduli of 1024 to 4096 bits.
        if !(1024..=4096).contains(&bits) {
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
            let _ = self.engine.destroy_akcipher_session(old.session);
        }
        Ok(())
    }
}

impl Drop for RsaCtx {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let _ = self.engine.destroy_akcipher_session(key.session);
        }
    }
}

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
    const FLAGS: u32 = bindings::CRYPTO_ALG_KERN_DRIVER_ONLY;

    type Context = RsaCtx;

    fn init() -> Result<RsaCtx> {
        RsaCtx::new(H::HASH)
    }

    fn set_pub_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Public)
    }

    fn set_priv_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Private)
    }

    fn key_size(ctx: &RsaCtx) -> u32 {
        ctx.key
            .as_ref()
            .map_or(0, |k| u32::try_from(k.bits).unwrap_or(0))
    }

    fn sign(ctx: &RsaCtx, digest: &[u8], sig: &mut [u8]) -> Result<usize> {
        let key = ctx.key.as_ref().ok_or(ENOKEY)?;
        if key.keytype != RsaKeyType::Private {
            return Err(EINVAL);
        }
        let k = key.bytes();
        if digest.len() != H::HASH.digest_size() {
            return Err(EINVAL);
        }
        let out = sig.get_mut(..k).ok_or(EOVERFLOW)?;
        let signature = ctx.engine.rsa_sign(key.session, H::HASH, digest, k)?;
        out.copy_from_slice(&signature);
        Ok(k)
    }

    fn verify(ctx: &RsaCtx, sig: &[u8], digest: &[u8]) -> Result {
        let key = ctx.key.as_ref().ok_or(ENOKEY)?;
        if sig.len() != key.bytes() || digest.len() != H::HASH.digest_size() {
            return Err(EINVAL);
        }
        ctx.engine.rsa_verify(key.session, H::HASH, sig, digest)
    }
}

/// RSAES-PKCS1-v1_5 on the accelerator, with the key in restricted memory.
pub(crate) struct Pkcs1PadRsa;

#[vtable]
impl AkcipherAlgorithm for Pkcs1PadRsa {
    const NAME: &'static CStr = c"pkcs1pad(rsa)";
    const DRIVER_NAME: &'static CStr = c"pkcs1pad-rsa-rstkey";
    const PRIORITY: i32 = PRIORITY;
    const FLAGS: u32 = bindings::CRYPTO_ALG_KERN_DRIVER_ONLY;

    type Context = RsaCtx;

    fn init() -> Result<RsaCtx> {
        // The device creates RSA sessions for a hash only; encryption does not use it.
        RsaCtx::new(RsaHash::Sha256)
    }

    fn set_pub_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Public)
    }

    fn set_priv_key(ctx: &mut RsaCtx, key: &[u8]) -> Result {
        ctx.set_key(key, RsaKeyType::Private)
    }

    fn max_size(ctx: &RsaCtx) -> u32 {
        ctx.key
            .as_ref()
            .map_or(0, |k| u32::try_from(k.bytes()).unwrap_or(0))
    }

    fn encrypt(ctx: &RsaCtx, req: &mut AkcipherRequest<'_>) -> Result {
        let key = ctx.key.as_ref().ok_or(ENOKEY)?;
        let k = key.bytes();
        if req.src_len() > k.saturating_sub(11) {
            return Err(EOVERFLOW);
        }
        let mut plain = KVec::from_elem(0u8, req.src_len(), GFP_KERNEL)?;
        req.copy_from_src(&mut plain)?;
        let cipher = ctx.engine.rsa_encrypt(key.session, &plain, k);
        plain.as_mut_slice().fill(0);
        req.set_output(&cipher?)
    }

    fn decrypt(ctx: &RsaCtx, req: &mut AkcipherRequest<'_>) -> Result {
        let key = ctx.key.as_ref().ok_or(ENOKEY)?;
        if key.keytype != RsaKeyType::Private || req.src_len() != key.bytes() {
            return Err(EINVAL);
        }
        let mut cipher = KVec::from_elem(0u8, req.src_len(), GFP_KERNEL)?;
        req.copy_from_src(&mut cipher)?;
        let mut plain = ctx.engine.rsa_decrypt(key.session, &cipher)?;
        let ret = req.set_output(&plain);
        plain.as_mut_slice().fill(0);
        ret
    }
}
