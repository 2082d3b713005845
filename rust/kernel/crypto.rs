// SPDX-License-Identifier: GPL-2.0

//! Crypto API.
//!
//! Symmetric key ciphers ([`skcipher`]), public key signatures ([`sig`]) and asymmetric key
//! ciphers ([`akcipher`]) are wrapped.
//!
//! C header: [`include/linux/crypto.h`](srctree/include/linux/crypto.h)

#[cfg(CONFIG_CRYPTO_AKCIPHER = "y")]
pub mod akcipher;
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
