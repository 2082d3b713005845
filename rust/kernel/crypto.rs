// SPDX-License-Identifier: GPL-2.0

//! Crypto API.
//!
//! Symmetric key ciphers ([`skcipher`]), public key signatures ([`sig`]) and asymmetric key
//! ciphers ([`akcipher`]) are wrapped.
//!
//! C header: [`include/linux/crypto.h`](srctree/include/linux/crypto.h)

use crate::{
    bindings,
    prelude::*, //
};

#[cfg(CONFIG_CRYPTO_AKCIPHER = "y")]
pub mod akcipher;
#[cfg(CONFIG_CRYPTO_SIG = "y")]
pub mod sig;
#[cfg(CONFIG_CRYPTO_RSA = "y")]
pub mod rsa;
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
#[cfg(any(CONFIG_CRYPTO_SIG = "y", CONFIG_CRYPTO_AKCIPHER = "y"))]
pub(crate) unsafe fn raw_bytes<'a>(ptr: *const c_void, len: c_uint) -> &'a [u8] {
    if ptr.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: By the safety requirements `ptr` points to `len` readable bytes.
    unsafe { core::slice::from_raw_parts(ptr.cast(), len as usize) }
}
