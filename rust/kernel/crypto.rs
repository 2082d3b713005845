// SPDX-License-Identifier: GPL-2.0

//! Crypto API.
//!
//! Symmetric key ciphers ([`skcipher`]), public key signatures ([`sig`]) and asymmetric key
//! ciphers ([`akcipher`]) are wrapped.
//!
//! C header: [`include/linux/crypto.h`](srctree/include/linux/crypto.h)

use crate::{
    bindings,
    error::{
        from_result,
        to_result, //
    },
    prelude::*, //
};
use core::ptr::NonNull;

#[cfg(CONFIG_CRYPTO_LIB_AES = "y")]
pub mod aes;
#[cfg(CONFIG_CRYPTO_AKCIPHER = "y")]
pub mod akcipher;
#[cfg(CONFIG_CRYPTO_RSA = "y")]
pub mod rsa;
#[cfg(CONFIG_CRYPTO_LIB_SHA1 = "y")]
pub mod sha1;
#[cfg(CONFIG_CRYPTO_LIB_SHA256 = "y")]
pub mod sha256;
#[cfg(CONFIG_CRYPTO_SIG = "y")]
pub mod sig;
pub mod skcipher;

/// Flags of an algorithm (`CRYPTO_ALG_*`), for [`skcipher::Algorithm::FLAGS`].
///
/// `CRYPTO_ALG_ASYNC` is not among them: an skcipher algorithm is asynchronous if it implements the
/// asynchronous operations, see [`skcipher`].
pub mod alg_flags {
    use crate::bindings;

    /// The algorithm is only for use by other algorithms (`CRYPTO_ALG_INTERNAL`).
    ///
    /// Such an algorithm is only found by a lookup that asks for it with `type` and `mask` both
    /// containing this flag.
    pub const INTERNAL: u32 = bindings::CRYPTO_ALG_INTERNAL;

    /// The algorithm is implemented by a driver for a device only the kernel can use
    /// (`CRYPTO_ALG_KERN_DRIVER_ONLY`).
    pub const KERN_DRIVER_ONLY: u32 = bindings::CRYPTO_ALG_KERN_DRIVER_ONLY;

    /// The algorithm may allocate memory while it processes a request
    /// (`CRYPTO_ALG_ALLOCATES_MEMORY`).
    pub const ALLOCATES_MEMORY: u32 = bindings::CRYPTO_ALG_ALLOCATES_MEMORY;
}

/// Overwrites `buf`, which held a secret, with zeros, in a way the compiler does not optimize
/// away even if `buf` is not read again (`memzero_explicit()`).
///
/// # Examples
///
/// ```
/// let mut key = [0x2bu8; 16];
/// kernel::crypto::memzero_explicit(&mut key);
/// assert_eq!(key, [0u8; 16]);
/// ```
pub fn memzero_explicit(buf: &mut [u8]) {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
    unsafe { bindings::memzero_explicit(buf.as_mut_ptr().cast(), buf.len()) };
}

/// The source or the destination of a crypto request: a scatterlist of kernel memory, borrowed
/// from the request while its algorithm processes it.
///
/// An algorithm gets it from the request (for instance [`skcipher::AsyncRequest::sg_lists`]) and
/// may hand it to a device for DMA, as long as it completes the request only after the device is
/// done with it. It is only a description of the list: whoever reads or writes the memory it
/// describes relies on the request not being completed yet, which is why the functions that do
/// (such as `virtio::Sgs::readable_sg`) are `unsafe`.
///
/// # Invariants
///
/// When the object was created, `sg` pointed to a valid scatterlist whose first `entries` entries
/// hold at least `len > 0` bytes of kernel memory, which stays so until the request it was taken
/// from is completed.
#[derive(Clone, Copy)]
pub struct RequestSg {
    sg: NonNull<bindings::scatterlist>,
    len: usize,
    entries: usize,
}

// SAFETY: `RequestSg` is only a description of a list; the memory it describes is accessed only
// through `unsafe` functions whose callers guarantee that the request is still in flight, from
// whatever CPU processes it.
unsafe impl Send for RequestSg {}

// SAFETY: As for `Send`: a shared `RequestSg` gives no access to the memory it describes.
unsafe impl Sync for RequestSg {}

#[expect(
    clippy::len_without_is_empty,
    reason = "a request's list is never empty, see the type invariants"
)]
impl RequestSg {
    /// Describes the list `sg`, whose first `entries` entries hold `len` bytes.
    ///
    /// # Safety
    ///
    /// As in the type invariants: `sg` is a valid scatterlist of a request being processed, whose
    /// first `entries` entries hold at least `len > 0` bytes of kernel memory, and which stays so
    /// until the request is completed.
    pub(crate) unsafe fn new(
        sg: NonNull<bindings::scatterlist>,
        len: usize,
        entries: usize,
    ) -> Self {
        // INVARIANT: By the safety requirements.
        Self { sg, len, entries }
    }

    /// Returns the number of bytes of the request the list holds, never 0.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns the number of entries that hold [`RequestSg::len`] bytes.
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Returns the C list.
    pub(crate) fn as_raw(&self) -> *mut bindings::scatterlist {
        self.sg.as_ptr()
    }
}

/// Sets the algorithm and driver names of `base`, the `struct crypto_alg` of an algorithm being
/// registered.
///
/// # Errors
///
/// [`EINVAL`] if a name does not fit, with its NUL, in `CRYPTO_MAX_ALG_NAME` bytes.
pub(crate) fn set_names(base: &mut bindings::crypto_alg, name: &CStr, driver: &CStr) -> Result {
    fn copy(dst: &mut [c_char], name: &CStr) -> Result {
        let src = name.to_bytes_with_nul();
        if src.len() > dst.len() {
            return Err(EINVAL);
        }
        for (d, s) in dst.iter_mut().zip(src) {
            // CAST: A byte of a C string.
            *d = *s as c_char;
        }
        Ok(())
    }
    copy(&mut base.cra_name, name)?;
    copy(&mut base.cra_driver_name, driver)
}

/// Makes a slice of the `len` bytes a callback of the crypto API got at `ptr`; empty for a NULL
/// pointer or a zero length.
///
/// # Safety
///
/// `ptr` must be NULL or point to `len` bytes valid for reads for `'a`.
pub(crate) unsafe fn raw_bytes<'a>(ptr: *const c_void, len: c_uint) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: By the safety requirements `ptr` points to `len` readable bytes.
    unsafe { core::slice::from_raw_parts(ptr.cast(), len as usize) }
}

/// Creates the context of a new transformation with `init` and places it at `ctx`: the body of
/// the `init` callback of every algorithm type.
///
/// # Safety
///
/// `ctx` must be the context area of a transformation the crypto API is initializing, with room
/// and alignment for a `C` (as the algorithm's `cra_ctxsize` and the crypto API's
/// `CRYPTO_MINALIGN` provide), not initialized yet. If this fails, the crypto API does not call
/// `exit`.
pub(crate) unsafe fn init_tfm_ctx<C>(ctx: *mut C, init: fn() -> Result<C>) -> c_int {
    from_result(|| {
        let value = init()?;
        // SAFETY: By the safety requirements `ctx` is valid for writes of a `C`.
        unsafe { ctx.write(value) };
        Ok(0)
    })
}

/// Drops the context at `ctx` of a transformation being freed: the body of the `exit` callback.
///
/// # Safety
///
/// `ctx` must have been initialized by [`init_tfm_ctx`] and not be used any more.
pub(crate) unsafe fn drop_tfm_ctx<C>(ctx: *mut C) {
    // SAFETY: By the safety requirements `ctx` holds an initialized `C` nothing uses.
    unsafe { core::ptr::drop_in_place(ctx) };
}

/// Sets the key of the transformation whose context is at `ctx` with `set`, from the `keylen`
/// bytes at `key`: the body of the key-setting callbacks.
///
/// # Safety
///
/// `ctx` must have been initialized by [`init_tfm_ctx`], and the transformation not be used for
/// anything else meanwhile (the crypto API's users do not set a key concurrently with other
/// operations); `key` must be NULL or point to `keylen` readable bytes.
pub(crate) unsafe fn set_tfm_key<C>(
    ctx: *mut C,
    key: *const c_void,
    keylen: c_uint,
    set: fn(&mut C, &[u8]) -> Result,
) -> c_int {
    from_result(|| {
        // SAFETY: By the safety requirements the context is initialized and only used here.
        let ctx = unsafe { &mut *ctx };
        // SAFETY: By the safety requirements `key` holds `keylen` bytes.
        let key = unsafe { raw_bytes(key, keylen) };
        set(ctx, key)?;
        Ok(0)
    })
}

/// Places `alg` at `slot`, registers it with `register`, and waits for the self-test of the
/// crypto API on it, which holds a reference to the algorithm: the lookup of `driver_name` with
/// `type_` and `mask` returns when the test is done, so that the registration can be dropped
/// right away. The result of the self-test does not matter here: the crypto API does not hand out
/// an algorithm that failed it. The lookup waits for at most 60 s; a self-test that takes longer is
/// killed, and the algorithm stays failed until it is registered again.
///
/// # Safety
///
/// `slot` must be valid for writes and stay pinned and valid until it is unregistered, if this
/// succeeds; `register` must be the registration function of the algorithm type of `A`.
pub(crate) unsafe fn register_alg<A>(
    slot: *mut A,
    alg: A,
    register: unsafe extern "C" fn(*mut A) -> c_int,
    driver_name: &CStr,
    type_: u32,
    mask: u32,
) -> Result {
    // SAFETY: `slot` is valid for writes by the safety requirements.
    unsafe { slot.write(alg) };
    // SAFETY: `slot` is initialized, and stays pinned and valid until it is unregistered.
    to_result(unsafe { register(slot) })?;
    // SAFETY: `driver_name` is a valid C string.
    unsafe { bindings::crypto_has_alg(driver_name.as_char_ptr(), type_, mask) };
    Ok(())
}
