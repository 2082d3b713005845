// SPDX-License-Identifier: GPL-2.0

//! The crypto API algorithms rstkey registers, and the engines that serve them.
//!
//! The algorithms know engines only through the [`Engine`] trait: the list below holds
//! `Arc<dyn Engine>`, and a transformation picks the first engine whose
//! [`Features`](crate::engine::Features) serve it, when it is allocated (ciphers) or when its key
//! is set (RSA). An algorithm is registered when the first engine that can serve it is added,
//! and stays registered until the module is unloaded (which the crypto API prevents while a
//! transformation of it exists): a transformation whose engine's device is gone fails with
//! [`ENODEV`]. Without an engine, the RSA algorithms still take public keys, for the kernel's
//! generic RSA: the kernel verifies module signatures and certificates with the highest-priority
//! `pkcs1(rsa,<hash>)`, which must not fail because a device went ([`rsa::RsaKey::Software`]).
//!
//! One file per crypto API type, as the C drivers do:
//!
//! - [`skcipher`]: `cbc(aes)`, driver `cbc-aes-rstkey`, with clear keys, and the protected-key
//!   `cbc(paes)`, driver `cbc-paes-rstkey`, with keys wrapped under the device key.
//! - [`sig`]: `pkcs1(rsa,sha1)`, `pkcs1(rsa,sha256)` and `pkcs1(rsa,sha512)`, drivers
//!   `pkcs1-rsa-<hash>-rstkey`: RSASSA-PKCS1-v1_5 signatures by the device's PKCS#1 SIGN and
//!   VERIFY operations, for the hashes both the device's RSA sessions and the kernel's `pkcs1`
//!   template support.
//! - [`akcipher`]: `pkcs1pad(rsa)`, driver `pkcs1pad-rsa-rstkey`: RSAES-PKCS1-v1_5 encryption by
//!   the device's PKCS#1 ENCRYPT and DECRYPT operations.
//!
//! The RSA transformations of both share their key handling, [`rsa`].

use kernel::{
    crypto::{
        akcipher as crypto_akcipher,
        sig as crypto_sig,
        skcipher as crypto_skcipher, //
    },
    prelude::*,
    sync::Arc,
    ModuleMetadata,
    ThisModule, //
};

use crate::engine::{
    Cipher,
    Engine,
    Features,
    Service, //
};

pub(crate) mod akcipher;
pub(crate) mod rsa;
pub(crate) mod sig;
pub(crate) mod skcipher;

/// Priority of rstkey's algorithms: above the generic implementations (100) and the C
/// virtio-crypto driver (150).
const PRIORITY: i32 = 300;

/// The registrations of the RSA algorithms, which the same engines serve.
struct RsaAlgs {
    /// `pkcs1-rsa-sha256-rstkey`.
    _sha256: Pin<KBox<crypto_sig::Registration<sig::RsaPkcs1<sig::Sha256>>>>,
    /// `pkcs1-rsa-sha1-rstkey`.
    _sha1: Pin<KBox<crypto_sig::Registration<sig::RsaPkcs1<sig::Sha1>>>>,
    /// `pkcs1-rsa-sha512-rstkey`.
    _sha512: Pin<KBox<crypto_sig::Registration<sig::RsaPkcs1<sig::Sha512>>>>,
    /// `pkcs1pad-rsa-rstkey`.
    _pkcs1pad: Pin<KBox<crypto_akcipher::Registration<akcipher::Pkcs1PadRsa>>>,
}

impl RsaAlgs {
    /// Registers the RSA algorithms, all or none: a failure unregisters those registered before.
    fn register() -> Result<Self> {
        Ok(Self {
            _sha256: register(crypto_sig::Registration::new(this_module()))?,
            _sha1: register(crypto_sig::Registration::new(this_module()))?,
            _sha512: register(crypto_sig::Registration::new(this_module()))?,
            _pkcs1pad: register(crypto_akcipher::Registration::new(this_module()))?,
        })
    }
}

/// The engines and algorithm registrations of the module.
pub(crate) struct Algs {
    /// The engines of the bound devices.
    engines: KVec<Arc<dyn Engine>>,
    /// `cbc-aes-rstkey`, once an engine that serves it has been added.
    cbc_aes: Option<Pin<KBox<crypto_skcipher::Registration<skcipher::CbcAes>>>>,
    /// `cbc-paes-rstkey`, once an engine that serves it has been added.
    cbc_paes: Option<Pin<KBox<crypto_skcipher::Registration<skcipher::CbcPaes>>>>,
    /// The RSA algorithms, once an engine that serves them has been added.
    rsa: Option<RsaAlgs>,
}

impl Algs {
    /// No engine, nothing registered.
    pub(crate) const fn new() -> Self {
        Self {
            engines: KVec::new(),
            cbc_aes: None,
            cbc_paes: None,
            rsa: None,
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

/// Returns whether the protected-key algorithms may take clear keys outside their self-test, as
/// the module parameter `clear_keys` says; logs it the first time.
fn clear_keys_allowed() -> bool {
    let allowed = crate::module_parameters::clear_keys.value();
    if allowed {
        kernel::pr_warn_once!(
            "clear_keys=1: cbc(paes) takes clear keys, which are in kernel memory\n"
        );
    }
    allowed
}

/// Registers an algorithm with `reg`, which waits for its self-test.
fn register<R>(reg: impl PinInit<R, Error>) -> Result<Pin<KBox<R>>> {
    KBox::pin_init(reg, GFP_KERNEL)
}

/// Makes `engine` available to the algorithms, and registers those it serves that are not
/// registered yet.
///
/// Registering an algorithm waits for its self-test, which uses the engine.
///
/// # Errors
///
/// The error of a registration, or [`ENOMEM`]. The engine is then not in the list any more,
/// and the algorithms registered before the one that failed stay registered.
pub(crate) fn add_engine(engine: Arc<dyn Engine>) -> Result {
    let features = engine.features();
    ALGS.lock().engines.push(engine.clone(), GFP_KERNEL)?;
    // Registering waits for the self-tests, which pick engines: the lock is not held meanwhile.
    let registered = register_for(features);
    if registered.is_err() {
        remove_engine(&*engine);
    }
    registered
}

/// Registers the algorithms an engine with `features` serves, unless they are registered
/// already.
fn register_for(features: Features) -> Result {
    if features.serves(Service::Cipher(Cipher::AesCbc)) && ALGS.lock().cbc_aes.is_none() {
        let reg = register(crypto_skcipher::Registration::new(this_module()))?;
        ALGS.lock().cbc_aes.get_or_insert(reg);
    }
    if features.serves(Service::ProtectedCipher(Cipher::AesCbc)) && ALGS.lock().cbc_paes.is_none() {
        let reg = register(crypto_skcipher::Registration::new(this_module()))?;
        ALGS.lock().cbc_paes.get_or_insert(reg);
    }
    if features.serves(Service::RsaPkcs1) && ALGS.lock().rsa.is_none() {
        let regs = RsaAlgs::register()?;
        ALGS.lock().rsa.get_or_insert(regs);
    }
    Ok(())
}

/// Removes `engine`, whose device is being unbound, from the algorithms.
pub(crate) fn remove_engine(engine: &dyn Engine) {
    ALGS.lock()
        .engines
        .retain(|e| !core::ptr::addr_eq(Arc::as_ptr(e), engine));
}

/// Returns the number of engines in the list.
#[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
pub(crate) fn engine_count() -> usize {
    ALGS.lock().engines.len()
}

/// Unregisters the algorithms; called when the module is unloaded, after the driver.
pub(crate) fn unregister_all() {
    let (cbc_aes, cbc_paes, rsa, engines) = {
        let mut algs = ALGS.lock();
        (
            algs.cbc_aes.take(),
            algs.cbc_paes.take(),
            algs.rsa.take(),
            core::mem::take(&mut algs.engines),
        )
    };
    drop(cbc_aes);
    drop(cbc_paes);
    drop(rsa);
    drop(engines);
}

/// Returns an engine that serves `service`.
///
/// # Errors
///
/// [`ENODEV`] if there is none.
pub(crate) fn pick(service: Service) -> Result<Arc<dyn Engine>> {
    ALGS.lock()
        .engines
        .iter()
        .find(|e| e.features().serves(service))
        .cloned()
        .ok_or(ENODEV)
}
