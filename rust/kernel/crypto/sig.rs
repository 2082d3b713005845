// SPDX-License-Identifier: GPL-2.0

//! Public key signature algorithms (sig).
//!
//! An algorithm is implemented by a type that implements [`SigAlgorithm`] and is registered with
//! the crypto API for as long as its [`Registration`] lives. The operations of the sig API are
//! synchronous and may sleep.
//!
//! C headers: [`include/crypto/sig.h`](srctree/include/crypto/sig.h) and
//! [`include/crypto/internal/sig.h`](srctree/include/crypto/internal/sig.h)

use crate::{
    bindings,
    error::{
        from_result,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    prelude::*,
    types::Opaque,
    ThisModule, //
};
use core::{
    marker::PhantomData,
    mem::{
        align_of,
        size_of, //
    },
};

/// A public key signature algorithm.
///
/// The crypto API calls the operations with a transformation (tfm) context of type
/// [`SigAlgorithm::Context`], created by [`SigAlgorithm::init`] when the transformation is
/// allocated and dropped when it is freed. The users of a transformation do not set its key while
/// they use it.
#[vtable]
pub trait SigAlgorithm: Sized + 'static {
    /// The algorithm name, for instance `pkcs1(rsa,sha256)`.
    const NAME: &'static CStr;

    /// The driver name, unique among registered algorithms.
    const DRIVER_NAME: &'static CStr;

    /// The priority: the crypto API picks the algorithm with the highest priority for a name.
    const PRIORITY: i32;

    /// Extra flags of the algorithm, see [`super::alg_flags`].
    const FLAGS: u32 = 0;

    /// The context of a transformation.
    type Context: Send + Sync;

    /// Creates the context of a new transformation.
    fn init() -> Result<Self::Context>;

    /// Sets a public key, in the algorithm's encoding (for RSA, a BER `RSAPublicKey`).
    fn set_pub_key(ctx: &mut Self::Context, key: &[u8]) -> Result;

    /// Sets a private key, in the algorithm's encoding (for RSA, a BER `RSAPrivateKey`).
    fn set_priv_key(_ctx: &mut Self::Context, _key: &[u8]) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Returns the size of the key in bits, 0 without a key.
    fn key_size(ctx: &Self::Context) -> u32;

    /// Signs `digest` into `sig` and returns the length of the signature.
    fn sign(_ctx: &Self::Context, _digest: &[u8], _sig: &mut [u8]) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Verifies that `sig` is a signature of `digest`.
    ///
    /// # Errors
    ///
    /// [`EKEYREJECTED`] if it is not; [`EINVAL`] or [`EBADMSG`] for malformed input.
    fn verify(ctx: &Self::Context, sig: &[u8], digest: &[u8]) -> Result;
}

/// The C callbacks of a [`SigAlgorithm`].
struct Adapter<T: SigAlgorithm>(PhantomData<T>);

impl<T: SigAlgorithm> Adapter<T> {
    /// Returns the context of `tfm`.
    ///
    /// # Safety
    ///
    /// `tfm` must be a valid transformation of the algorithm `T`.
    unsafe fn ctx(tfm: *mut bindings::crypto_sig) -> *mut T::Context {
        // SAFETY: `tfm` is valid by the safety requirements.
        unsafe { bindings::crypto_sig_ctx(tfm) }.cast()
    }

    /// # Safety
    ///
    /// Called by the crypto API with a new transformation of `T`.
    unsafe extern "C" fn init_callback(tfm: *mut bindings::crypto_sig) -> c_int {
        // SAFETY: The context area has `size_of::<T::Context>()` bytes, aligned enough (checked
        // in `alg`), and is not initialized yet.
        unsafe { super::init_tfm_ctx(Self::ctx(tfm), T::init) }
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T` being freed.
    unsafe extern "C" fn exit_callback(tfm: *mut bindings::crypto_sig) {
        // SAFETY: `init_callback` initialized the context, which is not used any more.
        unsafe { super::drop_tfm_ctx(Self::ctx(tfm)) };
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T` and `keylen` bytes at `key`.
    unsafe extern "C" fn set_pub_key_callback(
        tfm: *mut bindings::crypto_sig,
        key: *const c_void,
        keylen: c_uint,
    ) -> c_int {
        // SAFETY: The context was initialized; keys are not set concurrently with other
        // operations; `key` holds `keylen` bytes.
        unsafe { super::set_tfm_key(Self::ctx(tfm), key, keylen, T::set_pub_key) }
    }

    /// # Safety
    ///
    /// As for `set_pub_key_callback`.
    unsafe extern "C" fn set_priv_key_callback(
        tfm: *mut bindings::crypto_sig,
        key: *const c_void,
        keylen: c_uint,
    ) -> c_int {
        // SAFETY: As for `set_pub_key_callback`.
        unsafe { super::set_tfm_key(Self::ctx(tfm), key, keylen, T::set_priv_key) }
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T`.
    unsafe extern "C" fn key_size_callback(tfm: *mut bindings::crypto_sig) -> c_uint {
        // SAFETY: The context was initialized; operations get shared references to it.
        T::key_size(unsafe { &*Self::ctx(tfm) })
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T`, `slen` bytes at `src` and `dlen`
    /// writable bytes at `dst`.
    unsafe extern "C" fn sign_callback(
        tfm: *mut bindings::crypto_sig,
        src: *const c_void,
        slen: c_uint,
        dst: *mut c_void,
        dlen: c_uint,
    ) -> c_int {
        from_result(|| {
            let sig = if dst.is_null() || dlen == 0 {
                &mut []
            } else {
                // SAFETY: `dst` holds `dlen` writable bytes, not accessed by anything else during
                // the call.
                unsafe { core::slice::from_raw_parts_mut(dst.cast::<u8>(), dlen as usize) }
            };
            // SAFETY: The context was initialized; operations get shared references to it.
            let ctx = unsafe { &*Self::ctx(tfm) };
            // SAFETY: `src` holds `slen` bytes.
            let digest = unsafe { super::raw_bytes(src, slen) };
            let len = T::sign(ctx, digest, sig)?;
            c_int::try_from(len).map_err(|_| EOVERFLOW)
        })
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T`, `slen` bytes at `src` and `dlen`
    /// bytes at `digest`.
    unsafe extern "C" fn verify_callback(
        tfm: *mut bindings::crypto_sig,
        src: *const c_void,
        slen: c_uint,
        digest: *const c_void,
        dlen: c_uint,
    ) -> c_int {
        from_result(|| {
            // SAFETY: The context was initialized; operations get shared references to it.
            let ctx = unsafe { &*Self::ctx(tfm) };
            // SAFETY: `src` holds `slen` bytes and `digest` holds `dlen` bytes.
            let (sig, digest) =
                unsafe { (super::raw_bytes(src, slen), super::raw_bytes(digest, dlen)) };
            T::verify(ctx, sig, digest)?;
            Ok(0)
        })
    }

    /// Returns the `struct sig_alg` of `T`.
    fn alg(module: &'static ThisModule) -> Result<bindings::sig_alg> {
        build_assert!(
            align_of::<T::Context>() <= align_of::<u64>(),
            "the context must fit the alignment of the crypto API context area"
        );
        let mut alg: bindings::sig_alg = pin_init::zeroed();
        alg.init = Some(Self::init_callback);
        alg.exit = Some(Self::exit_callback);
        alg.set_pub_key = Some(Self::set_pub_key_callback);
        if T::HAS_SET_PRIV_KEY {
            alg.set_priv_key = Some(Self::set_priv_key_callback);
        }
        alg.key_size = Some(Self::key_size_callback);
        if T::HAS_SIGN {
            alg.sign = Some(Self::sign_callback);
        }
        alg.verify = Some(Self::verify_callback);
        alg.base.cra_flags = T::FLAGS;
        alg.base.cra_priority = T::PRIORITY;
        alg.base.cra_ctxsize = u32::try_from(size_of::<T::Context>()).map_err(|_| EINVAL)?;
        alg.base.cra_module = module.as_ptr();
        super::set_names(&mut alg.base, T::NAME, T::DRIVER_NAME)?;
        Ok(alg)
    }
}

/// The registration of a [`SigAlgorithm`] with the crypto API.
///
/// The algorithm is registered when the registration is initialized, which waits for the crypto
/// API's self-test of it, and unregistered when it is dropped; all its transformations must be
/// freed by then (the crypto API holds a reference to the module for each).
///
/// # Invariants
///
/// `alg` is registered with the crypto API.
#[pin_data(PinnedDrop)]
pub struct Registration<T: SigAlgorithm> {
    #[pin]
    alg: Opaque<bindings::sig_alg>,
    _t: PhantomData<T>,
}

// SAFETY: The registration can be dropped (unregistered) from any thread.
unsafe impl<T: SigAlgorithm> Send for Registration<T> {}

// SAFETY: A shared reference to a registration gives no access to anything.
unsafe impl<T: SigAlgorithm> Sync for Registration<T> {}

impl<T: SigAlgorithm> Registration<T> {
    /// Registers the algorithm `T`, provided by `module`.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if a name is too long, or the error of `crypto_register_sig()`.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            alg <- Opaque::try_ffi_init(move |slot: *mut bindings::sig_alg| {
                let alg = Adapter::<T>::alg(module)?;
                // INVARIANT: `alg` is registered once the initialization succeeds.
                // SAFETY: `slot` is valid for writes, pinned, and stays valid until `drop`
                // unregisters it.
                unsafe {
                    super::register_alg(
                        slot,
                        alg,
                        bindings::crypto_register_sig,
                        T::DRIVER_NAME,
                        0,
                        0,
                    )
                }
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: SigAlgorithm> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `alg` is registered by the type invariants.
        unsafe { bindings::crypto_unregister_sig(self.alg.get()) };
    }
}

/// A public key signature transformation (`struct crypto_sig`), for users of an algorithm.
///
/// # Invariants
///
/// `self.ptr` is a transformation allocated by `crypto_alloc_sig()` and owned by `self`.
pub struct SigTfm {
    ptr: core::ptr::NonNull<bindings::crypto_sig>,
}

// SAFETY: A transformation can be used and freed from any thread.
unsafe impl Send for SigTfm {}

impl SigTfm {
    /// Allocates a transformation of the algorithm `name` (generic or driver name), for instance
    /// `pkcs1(rsa,sha256)`.
    ///
    /// # Errors
    ///
    /// [`ENOENT`] if there is no such algorithm, or another error of `crypto_alloc_sig()`.
    pub fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string.
        let ptr = crate::error::from_err_ptr(unsafe {
            bindings::crypto_alloc_sig(name.as_char_ptr(), 0, 0)
        })?;
        // INVARIANT: `crypto_alloc_sig()` returned a transformation owned by the caller.
        Ok(Self {
            ptr: core::ptr::NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Sets the private key, in the algorithm's format (for RSA, a BER `RSAPrivateKey`).
    ///
    /// # Errors
    ///
    /// The error of the algorithm, for instance [`EINVAL`] for a key it does not accept.
    pub fn set_privkey(&mut self, key: &[u8]) -> Result {
        self.set_key(key, bindings::crypto_sig_set_privkey)
    }

    /// Sets the public key, in the algorithm's format (for RSA, a BER `RSAPublicKey`).
    ///
    /// # Errors
    ///
    /// As for [`SigTfm::set_privkey`].
    pub fn set_pubkey(&mut self, key: &[u8]) -> Result {
        self.set_key(key, bindings::crypto_sig_set_pubkey)
    }

    /// Sets `key` with `set`, `crypto_sig_set_{priv,pub}key()`.
    fn set_key(
        &mut self,
        key: &[u8],
        set: unsafe extern "C" fn(*mut bindings::crypto_sig, *const c_void, u32) -> c_int,
    ) -> Result {
        let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        // SAFETY: `self.ptr` is valid by the type invariants; `key` holds `len` bytes.
        to_result(unsafe { set(self.ptr.as_ptr(), key.as_ptr().cast(), len) })
    }

    /// Returns the largest signature the key makes, in bytes.
    pub fn max_size(&self) -> usize {
        // SAFETY: `self.ptr` is valid by the type invariants.
        let size = unsafe { bindings::crypto_sig_maxsize(self.ptr.as_ptr()) };
        // CAST: `usize` is at least 32 bits wide on the architectures the kernel supports.
        size as usize
    }

    /// Signs `digest` into `sig` and returns the length of the signature.
    ///
    /// # Errors
    ///
    /// The error of the algorithm, for instance [`EINVAL`] for a digest of the wrong size or
    /// without a private key, [`EOVERFLOW`] if `sig` is too small.
    pub fn sign(&self, digest: &[u8], sig: &mut [u8]) -> Result<usize> {
        let slen = u32::try_from(digest.len()).map_err(|_| EINVAL)?;
        let dlen = u32::try_from(sig.len()).map_err(|_| EINVAL)?;
        // SAFETY: `self.ptr` is valid by the type invariants; `digest` holds `slen` bytes and
        // `sig` is writable for `dlen` bytes.
        let ret = unsafe {
            bindings::crypto_sig_sign(
                self.ptr.as_ptr(),
                digest.as_ptr().cast(),
                slen,
                sig.as_mut_ptr().cast(),
                dlen,
            )
        };
        to_result(ret)?;
        // CAST: `ret` is a length, not negative after `to_result()`.
        Ok(ret as usize)
    }

    /// Verifies that `sig` is a signature of `digest`.
    ///
    /// # Errors
    ///
    /// [`EKEYREJECTED`] if it is not, or another error of the algorithm.
    pub fn verify(&self, sig: &[u8], digest: &[u8]) -> Result {
        let slen = u32::try_from(sig.len()).map_err(|_| EINVAL)?;
        let dlen = u32::try_from(digest.len()).map_err(|_| EINVAL)?;
        // SAFETY: `self.ptr` is valid by the type invariants; the buffers hold `slen` and `dlen`
        // bytes.
        to_result(unsafe {
            bindings::crypto_sig_verify(
                self.ptr.as_ptr(),
                sig.as_ptr().cast(),
                slen,
                digest.as_ptr().cast(),
                dlen,
            )
        })
    }
}

impl Drop for SigTfm {
    fn drop(&mut self) {
        // SAFETY: `self.ptr` is owned by `self` by the type invariants.
        unsafe { bindings::crypto_free_sig(self.ptr.as_ptr()) };
    }
}
