// SPDX-License-Identifier: GPL-2.0

//! Symmetric key ciphers (skcipher).
//!
//! An algorithm is implemented by a type that implements [`Algorithm`] and is registered with
//! the crypto API for as long as its [`Registration`] lives. Users of an algorithm allocate a
//! transformation with [`Tfm::new`].
//!
//! An algorithm completes requests either synchronously, [`Algorithm::encrypt`] and
//! [`Algorithm::decrypt`] returning the result of the operation (the algorithm is registered
//! without `CRYPTO_ALG_ASYNC`), or asynchronously, [`Algorithm::encrypt_async`] and
//! [`Algorithm::decrypt_async`] taking ownership of an [`AsyncRequest`] that they complete later,
//! for instance from an interrupt (the algorithm is registered with `CRYPTO_ALG_ASYNC`). An
//! asynchronous algorithm may put a request on a backlog when its queue is full, if the user
//! allows it (`CRYPTO_TFM_REQ_MAY_BACKLOG`): see [`Queued`]. The state an asynchronous
//! algorithm keeps for a request lives in the request itself, in its
//! [`Algorithm::RequestContext`].
//!
//! # TODO
//!
//! `export`/`import` are not wrapped yet.
//!
//! C headers: [`include/crypto/skcipher.h`](srctree/include/crypto/skcipher.h) and
//! [`include/crypto/internal/skcipher.h`](srctree/include/crypto/internal/skcipher.h)

use crate::{
    bindings,
    error::{
        from_result,
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
    ptr::NonNull, //
};

mod any;
#[cfg(CONFIG_RUST_CRYPTO_TEST_API)]
mod batch;
mod request;
mod tfm;

pub use any::{
    AnyRequest,
    Backlog,
    Complete, //
};
use any::{
    Header,
    RequestArea, //
};
#[cfg(CONFIG_RUST_CRYPTO_TEST_API)]
pub use batch::{
    Batch,
    Ends, //
};
pub use request::{
    AsyncRequest,
    Request, //
};
pub use tfm::Tfm;

/// A symmetric key cipher algorithm.
///
/// The crypto API calls the operations with a transformation (tfm) context of type
/// [`Algorithm::Context`], which lives in the context area the crypto API allocates with each
/// transformation (`cra_ctxsize`). It is created by [`Algorithm::init`] when the transformation
/// is allocated and dropped when it is freed.
///
/// An asynchronous algorithm also has a context for each request, of type
/// [`Algorithm::RequestContext`], in the area the crypto API allocates with each request
/// (`reqsize`): what it needs to remember about a request until it completes it lives there,
/// not in an allocation of its own.
///
/// # Examples
///
/// An algorithm that copies the source to the destination:
///
/// ```
/// use kernel::crypto::skcipher::{self, Algorithm, Registration, Request};
///
/// struct Copy;
///
/// #[vtable]
/// impl Algorithm for Copy {
///     const NAME: &'static CStr = c"ecb(rust-doc-copy)";
///     const DRIVER_NAME: &'static CStr = c"ecb-rust-doc-copy";
///     const PRIORITY: i32 = 0;
///     const BLOCK_SIZE: u32 = 1;
///     const MIN_KEYSIZE: u32 = 0;
///     const MAX_KEYSIZE: u32 = 0;
///
///     type Context = ();
///     type RequestContext = ();
///
///     fn init() -> Result<()> {
///         Ok(())
///     }
///
///     fn setkey(_ctx: &mut (), _key: &[u8]) -> Result {
///         Ok(())
///     }
///
///     fn encrypt(_ctx: &(), req: &mut Request<'_, Self>) -> Result {
///         let mut buf = [0u8; 8];
///         let mut offset = 0;
///         while offset < req.cryptlen() {
///             let len = buf.len().min(req.cryptlen() - offset);
///             req.copy_from_src(offset, &mut buf[..len])?;
///             req.copy_to_dst(offset, &buf[..len])?;
///             offset += len;
///         }
///         Ok(())
///     }
///
///     fn decrypt(ctx: &(), req: &mut Request<'_, Self>) -> Result {
///         Self::encrypt(ctx, req)
///     }
/// }
///
/// let reg = KBox::pin_init(
///     Registration::<Copy>::new(kernel::module::this_module::<crate::LocalModule>()),
///     GFP_KERNEL,
/// )?;
///
/// let tfm = skcipher::Tfm::new(c"ecb-rust-doc-copy", 0, 0)?;
/// let mut data = *b"some data";
/// tfm.encrypt_buf(&mut [], &mut data)?;
/// assert_eq!(&data, b"some data");
///
/// drop(tfm);
/// drop(reg);
/// # Ok::<(), Error>(())
/// ```
#[vtable]
pub trait Algorithm: Sized + 'static {
    /// The generic name of the algorithm (`cra_name`), e.g. `c"cbc(aes)"`.
    const NAME: &'static CStr;

    /// The unique name of this implementation (`cra_driver_name`), e.g. `c"cbc-aes-foo"`.
    const DRIVER_NAME: &'static CStr;

    /// The priority of this implementation among those of [`Algorithm::NAME`]
    /// (`cra_priority`).
    const PRIORITY: i32;

    /// The block size in bytes (`cra_blocksize`).
    const BLOCK_SIZE: u32;

    /// The smallest key size in bytes (`min_keysize`).
    const MIN_KEYSIZE: u32;

    /// The largest key size in bytes (`max_keysize`).
    const MAX_KEYSIZE: u32;

    /// The size of the IV in bytes (`ivsize`).
    const IV_SIZE: u32 = 0;

    /// Additional flags of the algorithm, see [`crate::crypto::alg_flags`].
    const FLAGS: u32 = 0;

    /// The transformation context.
    ///
    /// Its alignment must not be larger than the one of `u64`, which the crypto API guarantees
    /// for the context area (`CRYPTO_MINALIGN`).
    type Context: Send + Sync;

    /// The context of each request of an asynchronous algorithm, see
    /// [`AsyncRequest::context`]; `()` if the algorithm needs none or is synchronous.
    ///
    /// It is created with [`Default::default`] when the crypto API hands a request to
    /// [`Algorithm::encrypt_async`] or [`Algorithm::decrypt_async`], and dropped when the request
    /// is completed, finished or refused. Its alignment must not be larger than the one of
    /// `u64`, which the crypto API guarantees for the request context area (`CRYPTO_MINALIGN`).
    type RequestContext: Default + Send;

    /// Creates the context of a new transformation.
    fn init() -> Result<Self::Context>;

    /// Sets the key of a transformation.
    ///
    /// The crypto API has checked that the size of `key` is between [`Algorithm::MIN_KEYSIZE`]
    /// and [`Algorithm::MAX_KEYSIZE`]. The users of a transformation do not set its key while
    /// they use it for requests.
    fn setkey(ctx: &mut Self::Context, key: &[u8]) -> Result;

    /// Sets the key of a transformation while the algorithm is not tested yet, instead of
    /// [`Algorithm::setkey`]: the transformations of the crypto API's self-test of the algorithm
    /// (`crypto_skcipher_tested()` is false for them).
    ///
    /// A protected-key algorithm, whose [`Algorithm::setkey`] takes a reference to a key the
    /// hardware keeps rather than key bytes, accepts here the clear keys of the self-test's
    /// vectors, as the protected-key drivers of the crypto API do. Without it, the self-test
    /// uses [`Algorithm::setkey`] too.
    fn setkey_untested(_ctx: &mut Self::Context, _key: &[u8]) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Encrypts the request synchronously.
    ///
    /// The `cryptlen` bytes of the source are encrypted into the destination and the IV is
    /// updated as the mode of operation defines. Several requests of the same transformation may
    /// be processed concurrently.
    fn encrypt(_ctx: &Self::Context, _req: &mut Request<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Decrypts the request synchronously.
    ///
    /// The `cryptlen` bytes of the source are decrypted into the destination and the IV is
    /// updated as the mode of operation defines.
    fn decrypt(_ctx: &Self::Context, _req: &mut Request<'_, Self>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Starts encrypting the request asynchronously, instead of [`Algorithm::encrypt`].
    ///
    /// On success the algorithm owns the request until it completes it with
    /// [`AsyncRequest::complete`] (or finishes it at once with [`AsyncRequest::finish`]). On
    /// failure it gives the request back, not completed, with the error the user gets.
    fn encrypt_async(
        _ctx: &Self::Context,
        _req: AsyncRequest<Self>,
    ) -> core::result::Result<Queued, Refused<Self>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Starts decrypting the request asynchronously, instead of [`Algorithm::decrypt`]; see
    /// [`Algorithm::encrypt_async`].
    fn decrypt_async(
        _ctx: &Self::Context,
        _req: AsyncRequest<Self>,
    ) -> core::result::Result<Queued, Refused<Self>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// An asynchronous operation of an algorithm: [`Algorithm::encrypt_async`] or
/// [`Algorithm::decrypt_async`].
type AsyncOp<T> =
    fn(&<T as Algorithm>::Context, AsyncRequest<T>) -> core::result::Result<Queued, Refused<T>>;

/// What became of a request an asynchronous algorithm accepted.
pub enum Queued {
    /// The request is being processed and will be completed (`-EINPROGRESS` for the user).
    InProgress,
    /// The queue was full and the user allowed a backlog: the request waits, the algorithm calls
    /// [`AsyncRequest::notify_in_progress`] when it starts processing it, then completes it
    /// (`-EBUSY` for the user).
    Backlogged,
    /// The request was finished synchronously with [`AsyncRequest::finish`] (`0` for the user).
    Done(Finished),
}

/// Proof that a request was finished synchronously, see [`AsyncRequest::finish`].
pub struct Finished(());

/// A request an asynchronous algorithm refused: the error for the user and the request, which
/// is not completed.
pub struct Refused<T: Algorithm> {
    /// The error the user gets.
    pub error: Error,
    /// The request, given back.
    pub request: AsyncRequest<T>,
}

/// The C callbacks of an [`Algorithm`].
struct Adapter<T: Algorithm>(PhantomData<T>);

impl<T: Algorithm> Adapter<T> {
    /// Returns the context of `tfm`.
    ///
    /// # Safety
    ///
    /// `tfm` must be a valid transformation of the algorithm `T`.
    unsafe fn ctx(tfm: *mut bindings::crypto_skcipher) -> *mut T::Context {
        // SAFETY: `tfm` is valid by the safety requirements.
        unsafe { bindings::crypto_skcipher_ctx(tfm) }.cast()
    }

    /// The `init` callback.
    ///
    /// # Safety
    ///
    /// Called by the crypto API with a new transformation of the algorithm `T`.
    unsafe extern "C" fn init_callback(tfm: *mut bindings::crypto_skcipher) -> c_int {
        // CAST: `alg()` checked that the size fits in a `u32`. Synchronous operations have no
        // request area.
        let reqsize = if T::HAS_ENCRYPT_ASYNC {
            size_of::<RequestArea<T::RequestContext>>() as u32
        } else {
            0
        };
        // SAFETY: `tfm` is a new transformation, not used for requests yet.
        unsafe { bindings::crypto_skcipher_set_reqsize(tfm, reqsize) };
        // SAFETY: The context area of `tfm` has `size_of::<T::Context>()` bytes (see
        // `Registration::new`), is aligned enough for it (checked in `alg()`) and is not
        // initialized yet.
        unsafe { super::init_tfm_ctx(Self::ctx(tfm), T::init) }
    }

    /// The `exit` callback.
    ///
    /// # Safety
    ///
    /// Called by the crypto API with a transformation of the algorithm `T` whose `init`
    /// succeeded, which is being freed.
    unsafe extern "C" fn exit_callback(tfm: *mut bindings::crypto_skcipher) {
        // SAFETY: `init_callback` initialized the context, and it is not used any more.
        unsafe { super::drop_tfm_ctx(Self::ctx(tfm)) };
    }

    /// The `setkey` callback.
    ///
    /// # Safety
    ///
    /// Called by the crypto API with a transformation of the algorithm `T` whose `init`
    /// succeeded, and `keylen` bytes at `key`.
    unsafe extern "C" fn setkey_callback(
        tfm: *mut bindings::crypto_skcipher,
        key: *const u8,
        keylen: c_uint,
    ) -> c_int {
        // SAFETY: `tfm` is a valid transformation.
        let tested = unsafe { bindings::crypto_skcipher_tested(tfm) };
        let set = if T::HAS_SETKEY_UNTESTED && !tested {
            T::setkey_untested
        } else {
            T::setkey
        };
        // SAFETY: The context was initialized by `init_callback`. The users of a transformation
        // do not set its key concurrently with other operations on it. The crypto API passes
        // `keylen` readable bytes at `key`.
        unsafe { super::set_tfm_key(Self::ctx(tfm), key.cast(), keylen, set) }
    }

    /// Runs `op` on a request.
    ///
    /// # Safety
    ///
    /// `req` must be a request the crypto API passed to the `encrypt` or `decrypt` operation of
    /// the algorithm `T`.
    unsafe fn crypt(
        req: *mut bindings::skcipher_request,
        op: fn(&T::Context, &mut Request<'_, T>) -> Result,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `req` is valid by the safety requirements.
            unsafe { Self::check_lengths(req) }?;
            // SAFETY: `req` is valid by the safety requirements and belongs to a transformation
            // of `T`.
            let tfm = unsafe { bindings::crypto_skcipher_reqtfm(req) };
            // SAFETY: The context was initialized by `init_callback`; operations only get shared
            // references to it.
            let ctx = unsafe { &*Self::ctx(tfm) };
            // SAFETY: `req` is being processed by `T` until this function returns, and only
            // through the returned object.
            let mut req = unsafe { Request::<T>::from_raw(req) }.ok_or(EINVAL)?;
            op(ctx, &mut req)?;
            Ok(0)
        })
    }

    /// The `encrypt` callback.
    ///
    /// # Safety
    ///
    /// Called by the crypto API with a request of a transformation of the algorithm `T`.
    unsafe extern "C" fn encrypt_callback(req: *mut bindings::skcipher_request) -> c_int {
        // SAFETY: Guaranteed by the safety requirements of this function.
        unsafe { Self::crypt(req, T::encrypt) }
    }

    /// The `decrypt` callback.
    ///
    /// # Safety
    ///
    /// Called by the crypto API with a request of a transformation of the algorithm `T`.
    unsafe extern "C" fn decrypt_callback(req: *mut bindings::skcipher_request) -> c_int {
        // SAFETY: Guaranteed by the safety requirements of this function.
        unsafe { Self::crypt(req, T::decrypt) }
    }

    /// Checks that the source and the destination of `req` hold `cryptlen` bytes, as the crypto
    /// API requires of its users; the algorithm is not called for a request that breaks this.
    /// Returns the number of entries of each list that hold them.
    ///
    /// # Safety
    ///
    /// `req` must be a valid request.
    unsafe fn check_lengths(req: *mut bindings::skcipher_request) -> Result<(usize, usize)> {
        // SAFETY: `req` is valid by the safety requirements.
        let (src, dst, len) = unsafe { ((*req).src, (*req).dst, (*req).cryptlen) };
        if len == 0 {
            return Ok((0, 0));
        }
        if src.is_null() || dst.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: A valid request's `src` and `dst` are valid scatterlists.
        let (s, d) = unsafe {
            (
                bindings::sg_nents_for_len(src, len.into()),
                bindings::sg_nents_for_len(dst, len.into()),
            )
        };
        // A negative count: the list is shorter than the request.
        match (usize::try_from(s), usize::try_from(d)) {
            (Ok(s), Ok(d)) => Ok((s, d)),
            _ => Err(EINVAL),
        }
    }

    /// Runs the asynchronous operation `op` on a request.
    ///
    /// # Safety
    ///
    /// `req` must be a request the crypto API passed to the `encrypt` or `decrypt` operation of
    /// the algorithm `T`.
    unsafe fn crypt_async(req: *mut bindings::skcipher_request, op: AsyncOp<T>) -> c_int {
        let Some(ptr) = NonNull::new(req) else {
            return EINVAL.to_errno();
        };
        // SAFETY: `req` is valid by the safety requirements.
        let entries = match unsafe { Self::check_lengths(req) } {
            Ok(entries) => entries,
            Err(e) => return e.to_errno(),
        };
        // SAFETY: `req` is valid by the safety requirements and belongs to a transformation of
        // `T`.
        let tfm = unsafe { bindings::crypto_skcipher_reqtfm(req) };
        // SAFETY: The context was initialized by `init_callback`; operations only get shared
        // references to it, and the transformation outlives its requests.
        let ctx = unsafe { &*Self::ctx(tfm) };
        // SAFETY: The request's area has room for a `RequestArea<T::RequestContext>` (see
        // `init_callback`) and is aligned enough for it (checked in `alg()`); the request was
        // just handed to `T`, so nothing uses the area.
        unsafe {
            bindings::skcipher_request_ctx(req)
                .cast::<RequestArea<T::RequestContext>>()
                .write(RequestArea {
                    header: Header::new(entries),
                    ctx: T::RequestContext::default(),
                })
        };
        // INVARIANT: The crypto API hands the request to `T`, which owns it until it completes
        // it, or gives it back; its context was initialized above.
        let req = AsyncRequest {
            ptr,
            entries,
            _p: PhantomData,
        };
        match op(ctx, req) {
            Ok(Queued::InProgress) => EINPROGRESS.to_errno(),
            Ok(Queued::Backlogged) => EBUSY.to_errno(),
            Ok(Queued::Done(Finished(()))) => 0,
            Err(refused) => refused.error.to_errno(),
        }
    }

    /// The `encrypt` callback of an asynchronous algorithm.
    ///
    /// # Safety
    ///
    /// Called by the crypto API with a request of a transformation of the algorithm `T`.
    unsafe extern "C" fn encrypt_async_callback(req: *mut bindings::skcipher_request) -> c_int {
        // SAFETY: Guaranteed by the safety requirements of this function.
        unsafe { Self::crypt_async(req, T::encrypt_async) }
    }

    /// The `decrypt` callback of an asynchronous algorithm.
    ///
    /// # Safety
    ///
    /// Called by the crypto API with a request of a transformation of the algorithm `T`.
    unsafe extern "C" fn decrypt_async_callback(req: *mut bindings::skcipher_request) -> c_int {
        // SAFETY: Guaranteed by the safety requirements of this function.
        unsafe { Self::crypt_async(req, T::decrypt_async) }
    }

    /// Returns the `struct skcipher_alg` of `T`.
    fn alg(module: &'static ThisModule) -> Result<bindings::skcipher_alg> {
        build_assert!(
            align_of::<T::Context>() <= align_of::<u64>(),
            "the context must fit the alignment of the crypto API context area"
        );
        build_assert!(
            align_of::<RequestArea<T::RequestContext>>() <= align_of::<u64>(),
            "the request context must fit the alignment of the crypto API request context area"
        );
        u32::try_from(size_of::<RequestArea<T::RequestContext>>()).map_err(|_| EINVAL)?;
        build_assert!(
            T::FLAGS & (bindings::CRYPTO_ALG_ASYNC | bindings::CRYPTO_ALG_TYPE_MASK) == 0,
            "the type and `CRYPTO_ALG_ASYNC` follow from the operations"
        );
        build_assert!(
            T::HAS_ENCRYPT != T::HAS_ENCRYPT_ASYNC && T::HAS_DECRYPT != T::HAS_DECRYPT_ASYNC,
            "an algorithm implements either the synchronous or the asynchronous operations"
        );
        build_assert!(
            T::HAS_ENCRYPT_ASYNC == T::HAS_DECRYPT_ASYNC,
            "an algorithm implements either the synchronous or the asynchronous operations"
        );

        let mut co: bindings::skcipher_alg_common = pin_init::zeroed();
        co.min_keysize = T::MIN_KEYSIZE;
        co.max_keysize = T::MAX_KEYSIZE;
        co.ivsize = T::IV_SIZE;
        co.base.cra_flags = T::FLAGS
            | if T::HAS_ENCRYPT_ASYNC {
                bindings::CRYPTO_ALG_ASYNC
            } else {
                0
            };
        co.base.cra_priority = T::PRIORITY;
        co.base.cra_blocksize = T::BLOCK_SIZE;
        co.base.cra_ctxsize = u32::try_from(size_of::<T::Context>()).map_err(|_| EINVAL)?;
        co.base.cra_module = module.as_ptr();
        super::set_names(&mut co.base, T::NAME, T::DRIVER_NAME)?;

        let mut alg: bindings::skcipher_alg = pin_init::zeroed();
        alg.setkey = Some(Self::setkey_callback);
        if T::HAS_ENCRYPT_ASYNC {
            alg.encrypt = Some(Self::encrypt_async_callback);
            alg.decrypt = Some(Self::decrypt_async_callback);
        } else {
            alg.encrypt = Some(Self::encrypt_callback);
            alg.decrypt = Some(Self::decrypt_callback);
        }
        alg.init = Some(Self::init_callback);
        alg.exit = Some(Self::exit_callback);
        alg.__bindgen_anon_1.co = co;
        Ok(alg)
    }
}

/// The registration of an [`Algorithm`] with the crypto API.
///
/// The algorithm is registered when the registration is initialized, which also waits for the
/// self-test of the crypto API on the algorithm, and unregistered when it is dropped. All the
/// transformations of the algorithm must have been freed by then: the crypto
/// API holds a reference to the module given to [`Registration::new`] for each transformation,
/// so a registration that lives as long as its module is unregistered only after that.
///
/// # Invariants
///
/// `alg` is registered with the crypto API.
#[pin_data(PinnedDrop)]
pub struct Registration<T: Algorithm> {
    /// The algorithm definition the crypto API refers to while it is registered.
    #[pin]
    alg: Opaque<bindings::skcipher_alg>,
    /// The registered algorithm.
    _t: PhantomData<T>,
}

// SAFETY: The registration can be dropped (unregistered) from any thread.
unsafe impl<T: Algorithm> Send for Registration<T> {}

// SAFETY: A shared reference to a registration gives no access to anything.
unsafe impl<T: Algorithm> Sync for Registration<T> {}

impl<T: Algorithm> Registration<T> {
    /// Registers the algorithm `T`, provided by `module`.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if a name is longer than the crypto API allows, or the error of
    /// `crypto_register_skcipher()` (for instance [`EEXIST`] if [`Algorithm::DRIVER_NAME`] is
    /// registered already).
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            alg <- Opaque::try_ffi_init(move |slot: *mut bindings::skcipher_alg| {
                let alg = Adapter::<T>::alg(module)?;
                // An internal algorithm is found only by a lookup that asks for one.
                let internal = T::FLAGS & bindings::CRYPTO_ALG_INTERNAL;
                // INVARIANT: `alg` is registered once the initialization succeeds.
                // SAFETY: `slot` is valid for writes, pinned, and stays valid until `drop`
                // unregisters it.
                unsafe {
                    super::register_alg(
                        slot,
                        alg,
                        bindings::crypto_register_skcipher,
                        T::DRIVER_NAME,
                        internal,
                        internal,
                    )
                }
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: Algorithm> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `alg` is registered by the type invariants.
        unsafe { bindings::crypto_unregister_skcipher(self.alg.get()) };
    }
}

#[cfg(CONFIG_RUST_CRYPTO_SKCIPHER_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_crypto_skcipher)]
mod tests {
    use super::*;
    use crate::sync::atomic::{
        Atomic,
        Relaxed, //
    };

    /// The block and key size of [`Xor`].
    const SIZE: usize = 16;

    /// A test cipher that XORs every block with the key.
    struct Xor;

    #[vtable]
    impl Algorithm for Xor {
        const NAME: &'static CStr = c"ecb(rust-test-xor)";
        const DRIVER_NAME: &'static CStr = c"ecb-rust-test-xor";
        const PRIORITY: i32 = 0;
        const BLOCK_SIZE: u32 = SIZE as u32;
        const MIN_KEYSIZE: u32 = SIZE as u32;
        const MAX_KEYSIZE: u32 = SIZE as u32;

        type Context = [u8; SIZE];
        type RequestContext = ();

        fn init() -> Result<[u8; SIZE]> {
            Ok([0; SIZE])
        }

        fn setkey(ctx: &mut [u8; SIZE], key: &[u8]) -> Result {
            *ctx = key.try_into().map_err(|_| EINVAL)?;
            Ok(())
        }

        fn encrypt(ctx: &[u8; SIZE], req: &mut Request<'_, Self>) -> Result {
            xor(ctx, req)
        }

        fn decrypt(ctx: &[u8; SIZE], req: &mut Request<'_, Self>) -> Result {
            Self::encrypt(ctx, req)
        }
    }

    /// XORs every block of `req` with `key`.
    fn xor<T: Algorithm>(key: &[u8; SIZE], req: &mut Request<'_, T>) -> Result {
        if req.cryptlen() % SIZE != 0 || !req.iv().is_empty() {
            return Err(EINVAL);
        }
        let mut block = [0u8; SIZE];
        for offset in (0..req.cryptlen()).step_by(SIZE) {
            req.copy_from_src(offset, &mut block)?;
            for (b, k) in block.iter_mut().zip(key) {
                *b ^= k;
            }
            req.copy_to_dst(offset, &block)?;
        }
        Ok(())
    }

    /// The number of [`Tracked`] request contexts alive, and created in all.
    static LIVE: Atomic<usize> = Atomic::new(0);
    static CREATED: Atomic<usize> = Atomic::new(0);

    /// A request context that counts its instances.
    struct Tracked {
        /// The bytes the operation processed.
        processed: usize,
    }

    impl Default for Tracked {
        fn default() -> Self {
            LIVE.fetch_add(1, Relaxed);
            CREATED.fetch_add(1, Relaxed);
            Self { processed: 0 }
        }
    }

    impl Drop for Tracked {
        fn drop(&mut self) {
            LIVE.fetch_sub(1, Relaxed);
        }
    }

    /// [`Xor`] as an asynchronous algorithm that keeps what it did in the request's context:
    /// encryption finishes requests synchronously, decryption completes them before returning.
    struct AsyncXor;

    impl AsyncXor {
        /// XORs the request, recording the length in its context; refuses what [`xor`] refuses.
        fn run(
            key: &[u8; SIZE],
            mut req: AsyncRequest<Self>,
        ) -> core::result::Result<AsyncRequest<Self>, Refused<Self>> {
            if let Err(e) = xor(key, &mut req.request()) {
                return Err(req.refuse(e));
            }
            let len = req.request().cryptlen();
            req.context().processed = len;
            Ok(req)
        }
    }

    #[vtable]
    impl Algorithm for AsyncXor {
        const NAME: &'static CStr = c"ecb(rust-test-xor-async)";
        const DRIVER_NAME: &'static CStr = c"ecb-rust-test-xor-async";
        const PRIORITY: i32 = 0;
        const BLOCK_SIZE: u32 = SIZE as u32;
        const MIN_KEYSIZE: u32 = SIZE as u32;
        const MAX_KEYSIZE: u32 = SIZE as u32;

        type Context = [u8; SIZE];
        type RequestContext = Tracked;

        fn init() -> Result<[u8; SIZE]> {
            Ok([0; SIZE])
        }

        fn setkey(ctx: &mut [u8; SIZE], key: &[u8]) -> Result {
            *ctx = key.try_into().map_err(|_| EINVAL)?;
            Ok(())
        }

        fn encrypt_async(
            ctx: &[u8; SIZE],
            req: AsyncRequest<Self>,
        ) -> core::result::Result<Queued, Refused<Self>> {
            let mut req = Self::run(ctx, req)?;
            if req.context().processed != req.request().cryptlen() {
                return Err(req.refuse(EIO));
            }
            Ok(Queued::Done(req.finish()))
        }

        fn decrypt_async(
            ctx: &[u8; SIZE],
            req: AsyncRequest<Self>,
        ) -> core::result::Result<Queued, Refused<Self>> {
            let mut req = Self::run(ctx, req)?;
            let result = if req.context().processed == req.request().cryptlen() {
                Ok(())
            } else {
                Err(EIO)
            };
            req.complete(result);
            Ok(Queued::InProgress)
        }
    }

    /// [`Xor`] as an asynchronous algorithm whose requests go through a [`Backlog`] as
    /// [`AnyRequest`]s: encryption resumes the request it takes off the backlog, which XORs it
    /// and completes it through [`Complete::done`]; decryption drops the backlog with the request
    /// on it, which completes it with `ECANCELED`.
    struct QueuedXor;

    impl Complete for QueuedXor {
        fn done(mut req: AsyncRequest<Self>, result: Result) {
            let len = req.request().cryptlen();
            let result = result.and_then(|()| {
                if req.context().processed == len {
                    Ok(())
                } else {
                    Err(EIO)
                }
            });
            req.complete(result);
        }

        fn resume(ctx: &[u8; SIZE], mut req: AsyncRequest<Self>) {
            match xor(ctx, &mut req.request()) {
                Ok(()) => {
                    req.context().processed = req.request().cryptlen();
                    AnyRequest::from(req).complete(Ok(()));
                }
                Err(e) => req.complete(Err(e)),
            }
        }
    }

    #[vtable]
    impl Algorithm for QueuedXor {
        const NAME: &'static CStr = c"ecb(rust-test-xor-queued)";
        const DRIVER_NAME: &'static CStr = c"ecb-rust-test-xor-queued";
        const PRIORITY: i32 = 0;
        const BLOCK_SIZE: u32 = SIZE as u32;
        const MIN_KEYSIZE: u32 = SIZE as u32;
        const MAX_KEYSIZE: u32 = SIZE as u32;

        type Context = [u8; SIZE];
        type RequestContext = Tracked;

        fn init() -> Result<[u8; SIZE]> {
            Ok([0; SIZE])
        }

        fn setkey(ctx: &mut [u8; SIZE], key: &[u8]) -> Result {
            *ctx = key.try_into().map_err(|_| EINVAL)?;
            Ok(())
        }

        fn encrypt_async(
            _ctx: &[u8; SIZE],
            req: AsyncRequest<Self>,
        ) -> core::result::Result<Queued, Refused<Self>> {
            let mut backlog = Backlog::new();
            backlog.push_back(AnyRequest::from(req));
            assert_eq!(backlog.len(), 1);
            let req = backlog.pop_front();
            assert!(backlog.is_empty() && backlog.pop_front().is_none());
            if let Some(req) = req {
                req.resume();
            }
            Ok(Queued::InProgress)
        }

        fn decrypt_async(
            _ctx: &[u8; SIZE],
            req: AsyncRequest<Self>,
        ) -> core::result::Result<Queued, Refused<Self>> {
            let mut backlog = Backlog::new();
            backlog.push_front(AnyRequest::from(req));
            drop(backlog);
            Ok(Queued::InProgress)
        }
    }

    /// A request held as an [`AnyRequest`] and on a [`Backlog`] reaches its algorithm again, its
    /// context intact, and is completed once; one dropped on a backlog is completed with
    /// `ECANCELED`. Every context is dropped.
    #[test]
    fn any_request_backlog() -> Result {
        let reg = KBox::pin_init(
            Registration::<QueuedXor>::new(crate::module::this_module::<crate::LocalModule>()),
            GFP_KERNEL,
        )?;
        let mut tfm = Tfm::new(c"ecb-rust-test-xor-queued", 0, 0)?;
        tfm.setkey(&[0xa5; SIZE])?;

        let plain: [u8; 2 * SIZE] = core::array::from_fn(|i| i as u8);
        let mut data = plain;
        tfm.encrypt_buf(&mut [], &mut data)?;
        assert!(data.iter().zip(&plain).all(|(d, p)| *d == p ^ 0xa5));
        assert_eq!(tfm.decrypt_buf(&mut [], &mut data), Err(ECANCELED));
        assert!(data.iter().zip(&plain).all(|(d, p)| *d == p ^ 0xa5));
        assert_eq!(LIVE.load(Relaxed), 0);

        drop(tfm);
        drop(reg);
        Ok(())
    }

    /// Each request of an asynchronous algorithm gets its own context, which is dropped however
    /// the request ends: finished, completed or refused.
    #[test]
    fn request_context() -> Result {
        let reg = KBox::pin_init(
            Registration::<AsyncXor>::new(crate::module::this_module::<crate::LocalModule>()),
            GFP_KERNEL,
        )?;
        let created = CREATED.load(Relaxed);
        let mut tfm = Tfm::new(c"ecb-rust-test-xor-async", 0, 0)?;
        let key = [0x3c; SIZE];
        tfm.setkey(&key)?;

        let plain: [u8; 2 * SIZE] = core::array::from_fn(|i| i as u8);
        let mut data = plain;
        tfm.encrypt_buf(&mut [], &mut data)?;
        assert!(data.iter().zip(&plain).all(|(d, p)| *d == p ^ 0x3c));
        tfm.decrypt_buf(&mut [], &mut data)?;
        assert_eq!(data, plain);

        // Refused by the algorithm: not a whole block.
        let mut odd = [0u8; SIZE + 1];
        assert_eq!(tfm.encrypt_buf(&mut [], &mut odd), Err(EINVAL));

        assert_eq!(CREATED.load(Relaxed) - created, 3);
        assert_eq!(LIVE.load(Relaxed), 0);

        drop(tfm);
        drop(reg);
        Ok(())
    }

    /// Returns the registration of [`Xor`].
    fn register() -> Result<Pin<KBox<Registration<Xor>>>> {
        KBox::pin_init(
            Registration::<Xor>::new(crate::module::this_module::<crate::LocalModule>()),
            GFP_KERNEL,
        )
    }

    #[test]
    fn encrypt_decrypt() -> Result {
        let reg = register()?;
        let mut tfm = Tfm::new(c"ecb-rust-test-xor", 0, 0)?;
        assert_eq!(tfm.iv_size(), 0);

        let key: [u8; SIZE] = core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0x5a);
        tfm.setkey(&key)?;

        let plain: [u8; 3 * SIZE] = core::array::from_fn(|i| i as u8);
        let mut expected = plain;
        for (i, b) in expected.iter_mut().enumerate() {
            *b ^= key[i % SIZE];
        }

        let mut data = plain;
        tfm.encrypt_buf(&mut [], &mut data)?;
        assert_eq!(data, expected);

        tfm.decrypt_buf(&mut [], &mut data)?;
        assert_eq!(data, plain);

        drop(tfm);
        drop(reg);
        Ok(())
    }

    #[test]
    fn rejects_bad_input() -> Result {
        let reg = register()?;
        let mut tfm = Tfm::new(c"ecb-rust-test-xor", 0, 0)?;

        assert_eq!(tfm.setkey(&[0; SIZE - 1]), Err(EINVAL));
        assert_eq!(tfm.setkey(&[0; SIZE + 1]), Err(EINVAL));
        tfm.setkey(&[1; SIZE])?;

        // Not a multiple of the block size.
        let mut data = [0u8; SIZE + 1];
        assert_eq!(tfm.encrypt_buf(&mut [], &mut data), Err(EINVAL));
        assert_eq!(data, [0u8; SIZE + 1]);

        // Wrong IV size.
        let mut data = [0u8; SIZE];
        assert_eq!(tfm.encrypt_buf(&mut [0; 16], &mut data), Err(EINVAL));

        drop(tfm);
        drop(reg);
        Ok(())
    }

    #[test]
    fn unregistered_after_drop() -> Result {
        let reg = register()?;
        drop(reg);
        assert!(Tfm::new(c"ecb-rust-test-xor", 0, 0).is_err());
        Ok(())
    }
}
