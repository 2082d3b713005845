// SPDX-License-Identifier: GPL-2.0

//! Asymmetric key ciphers (akcipher): public key encryption and private key decryption.
//!
//! An algorithm is implemented by a type that implements [`AkcipherAlgorithm`] and is registered
//! with the crypto API for as long as its [`Registration`] lives. Requests are completed
//! synchronously and may sleep: a request without `CRYPTO_TFM_REQ_MAY_SLEEP` is refused with
//! [`EAGAIN`]. The synchronous helpers of the crypto API (`crypto_akcipher_sync_encrypt()`, used
//! by the asymmetric key type) allow sleeping.
//!
//! C headers: [`include/crypto/akcipher.h`](srctree/include/crypto/akcipher.h) and
//! [`include/crypto/internal/akcipher.h`](srctree/include/crypto/internal/akcipher.h)

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
    ptr::NonNull,
};

/// An asymmetric key cipher.
///
/// The crypto API calls the operations with a transformation (tfm) context of type
/// [`AkcipherAlgorithm::Context`], created by [`AkcipherAlgorithm::init`] and dropped when the
/// transformation is freed. Keys are not set while the transformation is in use.
#[vtable]
pub trait AkcipherAlgorithm: Sized + 'static {
    /// The algorithm name, for instance `pkcs1pad(rsa)`.
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
    fn set_priv_key(ctx: &mut Self::Context, key: &[u8]) -> Result;

    /// Returns the largest output of an operation, in bytes (the key size), 0 without a key.
    fn max_size(ctx: &Self::Context) -> u32;

    /// Encrypts the source of `req` into its destination.
    fn encrypt(ctx: &Self::Context, req: &mut AkcipherRequest<'_>) -> Result;

    /// Decrypts the source of `req` into its destination.
    fn decrypt(_ctx: &Self::Context, _req: &mut AkcipherRequest<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A request to encrypt or decrypt (`struct akcipher_request`).
///
/// # Invariants
///
/// `ptr` points to a valid request being processed for the lifetime `'a`: its source holds
/// `src_len` bytes and its destination `dst_len` writable bytes.
pub struct AkcipherRequest<'a> {
    ptr: NonNull<bindings::akcipher_request>,
    _p: PhantomData<&'a mut bindings::akcipher_request>,
}

impl AkcipherRequest<'_> {
    fn raw(&self) -> &bindings::akcipher_request {
        // SAFETY: `ptr` is valid by the type invariants.
        unsafe { self.ptr.as_ref() }
    }

    /// Returns the length of the source.
    pub fn src_len(&self) -> usize {
        self.raw().src_len as usize
    }

    /// Returns the length of the destination.
    pub fn dst_len(&self) -> usize {
        self.raw().dst_len as usize
    }

    /// Copies the whole source into `buf`, which must be [`AkcipherRequest::src_len`] bytes.
    pub fn copy_from_src(&self, buf: &mut [u8]) -> Result {
        if buf.len() != self.src_len() {
            return Err(EINVAL);
        }
        if buf.is_empty() {
            return Ok(());
        }
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        // SAFETY: `buf` holds `len` writable bytes; the source holds `src_len` bytes by the type
        // invariants.
        unsafe { bindings::memcpy_from_sglist(buf.as_mut_ptr().cast(), self.raw().src, 0, len) };
        Ok(())
    }

    /// Copies `buf` to the start of the destination and sets the output length to its length.
    ///
    /// # Errors
    ///
    /// [`EOVERFLOW`] if the destination is too small; the output length is then set to the size
    /// needed, as the crypto API expects.
    pub fn set_output(&mut self, buf: &[u8]) -> Result {
        let len = u32::try_from(buf.len()).map_err(|_| EINVAL)?;
        if buf.len() > self.dst_len() {
            // SAFETY: `ptr` is valid and the request is ours by the type invariants.
            unsafe { (*self.ptr.as_ptr()).dst_len = len };
            return Err(EOVERFLOW);
        }
        if !buf.is_empty() {
            // SAFETY: The destination holds `dst_len >= len` writable bytes.
            unsafe { bindings::memcpy_to_sglist(self.raw().dst, 0, buf.as_ptr().cast(), len) };
        }
        // SAFETY: As above.
        unsafe { (*self.ptr.as_ptr()).dst_len = len };
        Ok(())
    }
}

/// The C callbacks of an [`AkcipherAlgorithm`].
struct Adapter<T: AkcipherAlgorithm>(PhantomData<T>);

impl<T: AkcipherAlgorithm> Adapter<T> {
    /// # Safety
    ///
    /// `tfm` must be a valid transformation of `T`.
    unsafe fn ctx(tfm: *mut bindings::crypto_akcipher) -> *mut T::Context {
        // SAFETY: `tfm` is valid by the safety requirements.
        unsafe { bindings::akcipher_tfm_ctx(tfm) }.cast()
    }

    /// # Safety
    ///
    /// Called by the crypto API with a new transformation of `T`.
    unsafe extern "C" fn init_callback(tfm: *mut bindings::crypto_akcipher) -> c_int {
        // SAFETY: The context area has `size_of::<T::Context>()` bytes, aligned enough (checked
        // in `alg`), and is not initialized yet.
        unsafe { super::init_tfm_ctx(Self::ctx(tfm), T::init) }
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T` being freed.
    unsafe extern "C" fn exit_callback(tfm: *mut bindings::crypto_akcipher) {
        // SAFETY: `init_callback` initialized the context, which is not used any more.
        unsafe { super::drop_tfm_ctx(Self::ctx(tfm)) };
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T` and `keylen` bytes at `key`.
    unsafe extern "C" fn set_pub_key_callback(
        tfm: *mut bindings::crypto_akcipher,
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
        tfm: *mut bindings::crypto_akcipher,
        key: *const c_void,
        keylen: c_uint,
    ) -> c_int {
        // SAFETY: As for `set_pub_key_callback`.
        unsafe { super::set_tfm_key(Self::ctx(tfm), key, keylen, T::set_priv_key) }
    }

    /// # Safety
    ///
    /// Called by the crypto API with a transformation of `T`.
    unsafe extern "C" fn max_size_callback(tfm: *mut bindings::crypto_akcipher) -> c_uint {
        // SAFETY: The context was initialized; operations get shared references to it.
        T::max_size(unsafe { &*Self::ctx(tfm) })
    }

    /// Runs `op` on `req`.
    ///
    /// # Safety
    ///
    /// `req` must be a request the crypto API passed to an operation of `T`.
    unsafe fn crypt(
        req: *mut bindings::akcipher_request,
        op: fn(&T::Context, &mut AkcipherRequest<'_>) -> Result,
    ) -> c_int {
        from_result(|| {
            let ptr = NonNull::new(req).ok_or(EINVAL)?;
            // SAFETY: `req` is a valid request of a transformation of `T`.
            let flags = unsafe { (*req).base.flags };
            if flags & bindings::CRYPTO_TFM_REQ_MAY_SLEEP == 0 {
                return Err(EAGAIN);
            }
            // SAFETY: As above.
            let tfm = unsafe { bindings::crypto_akcipher_reqtfm(req) };
            // SAFETY: The context was initialized; operations get shared references to it.
            let ctx = unsafe { &*Self::ctx(tfm) };
            // INVARIANT: The crypto API hands the request to `T` until this returns.
            let mut req = AkcipherRequest {
                ptr,
                _p: PhantomData,
            };
            op(ctx, &mut req)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// Called by the crypto API with a request of a transformation of `T`.
    unsafe extern "C" fn encrypt_callback(req: *mut bindings::akcipher_request) -> c_int {
        // SAFETY: Guaranteed by the safety requirements of this function.
        unsafe { Self::crypt(req, T::encrypt) }
    }

    /// # Safety
    ///
    /// Called by the crypto API with a request of a transformation of `T`.
    unsafe extern "C" fn decrypt_callback(req: *mut bindings::akcipher_request) -> c_int {
        // SAFETY: Guaranteed by the safety requirements of this function.
        unsafe { Self::crypt(req, T::decrypt) }
    }

    /// Returns the `struct akcipher_alg` of `T`.
    fn alg(module: &'static ThisModule) -> Result<bindings::akcipher_alg> {
        build_assert!(
            align_of::<T::Context>() <= align_of::<u64>(),
            "the context must fit the alignment of the crypto API context area"
        );
        let mut alg: bindings::akcipher_alg = pin_init::zeroed();
        alg.init = Some(Self::init_callback);
        alg.exit = Some(Self::exit_callback);
        alg.set_pub_key = Some(Self::set_pub_key_callback);
        alg.set_priv_key = Some(Self::set_priv_key_callback);
        alg.max_size = Some(Self::max_size_callback);
        alg.encrypt = Some(Self::encrypt_callback);
        if T::HAS_DECRYPT {
            alg.decrypt = Some(Self::decrypt_callback);
        }
        alg.base.cra_flags = T::FLAGS;
        alg.base.cra_priority = T::PRIORITY;
        alg.base.cra_ctxsize = u32::try_from(size_of::<T::Context>()).map_err(|_| EINVAL)?;
        alg.base.cra_module = module.as_ptr();
        super::set_names(&mut alg.base, T::NAME, T::DRIVER_NAME)?;
        Ok(alg)
    }
}

/// The registration of an [`AkcipherAlgorithm`] with the crypto API.
///
/// The algorithm is registered when the registration is initialized, which waits for the crypto
/// API's self-test of it, and unregistered when it is dropped; all its transformations must be
/// freed by then (the crypto API holds a reference to the module for each).
///
/// # Invariants
///
/// `alg` is registered with the crypto API.
#[pin_data(PinnedDrop)]
pub struct Registration<T: AkcipherAlgorithm> {
    #[pin]
    alg: Opaque<bindings::akcipher_alg>,
    _t: PhantomData<T>,
}

// SAFETY: The registration can be dropped (unregistered) from any thread.
unsafe impl<T: AkcipherAlgorithm> Send for Registration<T> {}

// SAFETY: A shared reference to a registration gives no access to anything.
unsafe impl<T: AkcipherAlgorithm> Sync for Registration<T> {}

impl<T: AkcipherAlgorithm> Registration<T> {
    /// Registers the algorithm `T`, provided by `module`.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if a name is too long, or the error of `crypto_register_akcipher()`.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            alg <- Opaque::try_ffi_init(move |slot: *mut bindings::akcipher_alg| {
                let alg = Adapter::<T>::alg(module)?;
                // INVARIANT: `alg` is registered once the initialization succeeds.
                // SAFETY: `slot` is valid for writes, pinned, and stays valid until `drop`
                // unregisters it.
                unsafe {
                    super::register_alg(
                        slot,
                        alg,
                        bindings::crypto_register_akcipher,
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
impl<T: AkcipherAlgorithm> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `alg` is registered by the type invariants.
        unsafe { bindings::crypto_unregister_akcipher(self.alg.get()) };
    }
}

/// An asymmetric cipher transformation (`struct crypto_akcipher`), for users of an algorithm.
///
/// # Invariants
///
/// `self.ptr` is a transformation allocated by `crypto_alloc_akcipher()` and owned by `self`.
pub struct AkcipherTfm {
    ptr: NonNull<bindings::crypto_akcipher>,
}

// SAFETY: A transformation can be used and freed from any thread.
unsafe impl Send for AkcipherTfm {}

impl AkcipherTfm {
    /// Allocates a transformation of the algorithm `name` (generic or driver name), for instance
    /// `pkcs1pad(rsa)`.
    ///
    /// # Errors
    ///
    /// [`ENOENT`] if there is no such algorithm, or another error of `crypto_alloc_akcipher()`.
    pub fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string.
        let ptr = crate::error::from_err_ptr(unsafe {
            bindings::crypto_alloc_akcipher(name.as_char_ptr(), 0, 0)
        })?;
        // INVARIANT: `crypto_alloc_akcipher()` returned a transformation owned by the caller.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Sets the private key, in the algorithm's format (for RSA, a BER `RSAPrivateKey`).
    ///
    /// # Errors
    ///
    /// The error of the algorithm, for instance [`EINVAL`] for a key it does not accept.
    pub fn set_priv_key(&mut self, key: &[u8]) -> Result {
        self.set_key(key, bindings::crypto_akcipher_set_priv_key)
    }

    /// Sets the public key, in the algorithm's format (for RSA, a BER `RSAPublicKey`).
    ///
    /// # Errors
    ///
    /// As for [`AkcipherTfm::set_priv_key`].
    pub fn set_pub_key(&mut self, key: &[u8]) -> Result {
        self.set_key(key, bindings::crypto_akcipher_set_pub_key)
    }

    /// Sets `key` with `set`, `crypto_akcipher_set_{priv,pub}_key()`.
    fn set_key(
        &mut self,
        key: &[u8],
        set: unsafe extern "C" fn(*mut bindings::crypto_akcipher, *const c_void, u32) -> c_int,
    ) -> Result {
        let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        // SAFETY: `self.ptr` is valid by the type invariants; `key` holds `len` bytes.
        to_result(unsafe { set(self.ptr.as_ptr(), key.as_ptr().cast(), len) })
    }

    /// Returns the largest output of an operation with the key, in bytes.
    pub fn max_size(&self) -> usize {
        // SAFETY: `self.ptr` is valid by the type invariants.
        let size = unsafe { bindings::crypto_akcipher_maxsize(self.ptr.as_ptr()) };
        // CAST: `usize` is at least 32 bits wide on the architectures the kernel supports.
        size as usize
    }

    /// Encrypts `src` into `dst`, which should be [`AkcipherTfm::max_size`] bytes long, and
    /// waits for the result.
    ///
    /// The buffers are copied by the crypto API, so they may be anywhere.
    ///
    /// # Errors
    ///
    /// The error of the algorithm, for instance [`EOVERFLOW`] if `dst` is too small.
    pub fn encrypt(&self, src: &[u8], dst: &mut [u8]) -> Result {
        self.crypt(src, dst, true).map(|_| ())
    }

    /// Decrypts `src` into `dst`, waiting for the result, and returns the length of the output.
    ///
    /// The buffers are copied by the crypto API, so they may be anywhere.
    ///
    /// # Errors
    ///
    /// As for [`AkcipherTfm::encrypt`].
    pub fn decrypt(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        self.crypt(src, dst, false)
    }

    fn crypt(&self, src: &[u8], dst: &mut [u8], encrypt: bool) -> Result<usize> {
        let slen = u32::try_from(src.len()).map_err(|_| EINVAL)?;
        let dlen = u32::try_from(dst.len()).map_err(|_| EINVAL)?;
        let (tfm, s, d) = (
            self.ptr.as_ptr(),
            src.as_ptr().cast(),
            dst.as_mut_ptr().cast(),
        );
        // SAFETY: `tfm` is valid by the type invariants; `src` holds `slen` bytes and `dst` is
        // writable for `dlen` bytes. The helpers copy both and wait for the request.
        let ret = unsafe {
            if encrypt {
                bindings::crypto_akcipher_sync_encrypt(tfm, s, slen, d, dlen)
            } else {
                bindings::crypto_akcipher_sync_decrypt(tfm, s, slen, d, dlen)
            }
        };
        to_result(ret)?;
        // CAST: `ret` is not negative after `to_result()`: 0 for an encryption, the length of the
        // output for a decryption.
        Ok(ret as usize)
    }
}

impl Drop for AkcipherTfm {
    fn drop(&mut self) {
        // SAFETY: `self.ptr` is owned by `self` by the type invariants.
        unsafe { bindings::crypto_free_akcipher(self.ptr.as_ptr()) };
    }
}
