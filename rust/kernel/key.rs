// SPDX-License-Identifier: GPL-2.0

//! Key types of the kernel's key retention service.
//!
//! A key type defines what the payload of its keys is: how it is made from the data given to
//! `add_key()` (`keyctl add <type> <description> <data> <keyring>`), what `/proc/keys` says
//! about it and what `keyctl read` returns. In-kernel users hold keys as [`Key`]s. See
//! `Documentation/security/keys/core.rst`.
//!
//! C headers: [`include/linux/key-type.h`](srctree/include/linux/key-type.h),
//! [`include/linux/key.h`](srctree/include/linux/key.h)

use crate::{
    bindings,
    error::{
        from_err_ptr,
        from_result,
        to_result, //
    },
    prelude::*,
    seq_file::SeqFile,
    sync::aref::{
        ARef,
        AlwaysRefCounted, //
    },
    types::Opaque,
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

#[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
pub mod asymmetric;

/// A key of the key retention service, of any type (`struct key`).
///
/// Instances are always reference counted and used through an [`ARef<Key>`]; cloning the
/// [`ARef`] takes another reference (`key_get()`), dropping it releases one (`key_put()`). A
/// reference keeps the key's memory and payload; it does not keep the key from being revoked,
/// unlinked or expiring.
///
/// # Invariants
///
/// A [`Key`] is a valid `struct key` with a non-zero usage count.
#[repr(transparent)]
pub struct Key(Opaque<bindings::key>);

// SAFETY: The key retention service lets any thread take and release references to a key, and
// serializes what changes in it.
unsafe impl Send for Key {}

// SAFETY: As above: `&Key` only reads fields that do not change while the key is referenced.
unsafe impl Sync for Key {}

// SAFETY: The type invariants guarantee that `Key` is always reference counted, with
// `key_get()` and `key_put()`.
unsafe impl AlwaysRefCounted for Key {
    fn inc_ref(&self) {
        // SAFETY: The existence of a shared reference guarantees that the usage count is
        // non-zero.
        unsafe { bindings::key_get(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: The safety requirements guarantee that the usage count is non-zero and that
        // the caller owns the reference it releases here.
        unsafe { bindings::key_put(obj.cast().as_ptr()) };
    }
}

impl Key {
    /// Looks up a key of the type `ktype` by its description in the keyrings of the calling
    /// task (`request_key()`, without an upcall to user space): its thread, process and session
    /// keyrings, then its user's, as `keyctl search` does. A key the task has no `search`
    /// permission for, a revoked and an expired one are not found.
    ///
    /// # Errors
    ///
    /// [`ENOKEY`] if there is no such key (expired keys are passed over), [`EACCES`] if the only
    /// match is one the task may not search, [`EKEYREVOKED`] if it is revoked.
    ///
    /// # Safety
    ///
    /// `ktype` must be a registered key type.
    pub unsafe fn request(
        ktype: *mut bindings::key_type,
        description: &CStr,
    ) -> Result<ARef<Self>> {
        // SAFETY: `ktype` is registered by the safety requirements and `description` is
        // NUL-terminated; without callout information nothing is constructed.
        let key = from_err_ptr(unsafe {
            bindings::request_key_tag(
                ktype,
                description.as_char_ptr(),
                core::ptr::null_mut(),
                core::ptr::null(),
            )
        })?;
        let key = NonNull::new(key).ok_or(ENOKEY)?;
        // SAFETY: `request_key_tag()` returned a key with a reference the caller owns.
        Ok(unsafe { ARef::from_raw(key.cast()) })
    }

    /// Returns the underlying `struct key`.
    pub fn as_raw(&self) -> *mut bindings::key {
        self.0.get()
    }

    /// Returns whether the key is of the type `ktype`.
    pub fn is_type(&self, ktype: *const bindings::key_type) -> bool {
        // SAFETY: `self` is a valid key by the type invariants; its type never changes.
        core::ptr::eq(
            unsafe { (*self.as_raw()).__bindgen_anon_3.__bindgen_anon_1.type_ },
            ktype,
        )
    }
}

/// A key type: `Self` is the payload of a key of the type.
///
/// The payload is made once, when the key is instantiated, and never changes: keys of the type
/// can't be updated (they are not given the write permission, so `keyctl update` fails with
/// `EACCES`). It is dropped when the key is
/// destroyed, after its last user is gone.
///
/// # Examples
///
/// ```
/// use kernel::{key, prelude::*, seq_file::SeqFile, seq_print};
///
/// /// A key whose payload is the length of its data.
/// struct Length(usize);
///
/// impl key::KeyType for Length {
///     const NAME: &'static CStr = c"rust-doctest-length";
///
///     fn instantiate(data: &[u8]) -> Result<Self> {
///         Ok(Self(data.len()))
///     }
///
///     fn quota_len(&self) -> usize {
///         size_of::<Self>()
///     }
///
///     fn describe(&self, m: &SeqFile) {
///         seq_print!(m, ": {}", self.0);
///     }
/// }
/// ```
pub trait KeyType: Sized + Send + Sync + 'static {
    /// The name of the type, as `keyctl` and `/proc/keys` give it.
    const NAME: &'static CStr;

    /// Makes the payload of a new key from `data`, what user space gave to `add_key()` (possibly
    /// nothing). Runs in process context and may sleep.
    ///
    /// # Errors
    ///
    /// The error is what `add_key()` returns: for instance [`EINVAL`] for data the type does not
    /// parse.
    fn instantiate(data: &[u8]) -> Result<Self>;

    /// Returns the number of bytes of the owner's key quota the payload takes.
    fn quota_len(&self) -> usize;

    /// Writes what follows the key's description in `/proc/keys`, for instance `": <size>"`.
    /// Called under RCU: it must not sleep.
    fn describe(&self, m: &SeqFile);

    /// Writes the payload, as `keyctl read` returns it, into `buf` if it has room for the whole
    /// of it, and returns its length in either case; `buf` is empty when the caller only asks for
    /// the length. Without it, a key of the type can't be read (`EOPNOTSUPP`).
    fn read(&self, _buf: &mut [u8]) -> Result<usize> {
        Err(EOPNOTSUPP)
    }
}

/// The registration of a key type `T`.
///
/// # Invariants
///
/// `ktype` is registered with `register_key_type()` until the registration is dropped. The
/// payload of every instantiated key of the type is a pointer obtained from [`KBox::into_raw`] on
/// a `KBox<T>`, in `payload.data[0]`.
#[pin_data(PinnedDrop)]
pub struct Registration<T: KeyType> {
    /// The key type the key retention service refers to while it is registered.
    #[pin]
    ktype: Opaque<bindings::key_type>,
    /// The payloads are of type `T`.
    _t: PhantomData<T>,
}

// SAFETY: The key type is only used by the key retention service, which serializes its
// registration; the callbacks may run on any thread, which `T: Send + Sync` allows.
unsafe impl<T: KeyType> Sync for Registration<T> {}

// SAFETY: As above: nothing of the registration is tied to the thread that made it.
unsafe impl<T: KeyType> Send for Registration<T> {}

impl<T: KeyType> Registration<T> {
    /// Registers the key type `T`.
    ///
    /// # Errors
    ///
    /// [`EEXIST`] if a key type of that name is registered already.
    pub fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            ktype <- Opaque::try_ffi_init(move |slot: *mut bindings::key_type| {
                let mut kt: bindings::key_type = pin_init::zeroed();
                kt.name = T::NAME.as_char_ptr();
                kt.instantiate = Some(Adapter::<T>::instantiate);
                kt.destroy = Some(Adapter::<T>::destroy);
                kt.describe = Some(Adapter::<T>::describe);
                kt.read = Some(Adapter::<T>::read);
                // SAFETY: `slot` is valid for writes.
                unsafe { slot.write(kt) };
                // INVARIANT: The type is registered once this succeeds, with the callbacks of
                // `Adapter<T>`, which keep a `KBox<T>` in the payload.
                // SAFETY: `slot` is a valid key type, pinned, which stays valid until `drop`
                // unregisters it; `T::NAME` is static.
                to_result(unsafe { bindings::register_key_type(slot) })
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: KeyType> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `ktype` is registered by the type invariants. Unregistering destroys the keys
        // of the type, so no callback of it runs afterwards.
        unsafe { bindings::unregister_key_type(self.ktype.get()) };
    }
}

/// The callbacks of the key type `T`.
struct Adapter<T>(PhantomData<T>);

impl<T: KeyType> Adapter<T> {
    /// Returns the payload of `key`, `None` if it has none.
    ///
    /// # Safety
    ///
    /// `key` must be a valid key of the type `T`, and its payload, if it has one, must stay valid
    /// for `'a`: the key is not destroyed meanwhile.
    unsafe fn payload<'a>(key: *const bindings::key) -> Option<&'a T> {
        // SAFETY: `key` is valid by the safety requirements.
        let ptr = unsafe { (*key).__bindgen_anon_4.payload.data[0] }.cast::<T>();
        // SAFETY: By the type invariants of `Registration`, a non-null payload is a `KBox<T>`,
        // which is only dropped when the key is destroyed.
        unsafe { ptr.as_ref() }
    }

    /// `instantiate`: makes the payload of a new key from the data of `prep`.
    ///
    /// # Safety
    ///
    /// Called by the key retention service with a valid key of the type, not instantiated yet,
    /// and a valid `prep`.
    unsafe extern "C" fn instantiate(
        key: *mut bindings::key,
        prep: *mut bindings::key_preparsed_payload,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `prep` is valid by the safety requirements.
            let (data, len) = unsafe { ((*prep).data, (*prep).datalen) };
            let data = if data.is_null() || len == 0 {
                &[][..]
            } else {
                // SAFETY: The key retention service passes `datalen` readable bytes at `data`,
                // which stay valid during the call.
                unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) }
            };
            let payload = KBox::new(T::instantiate(data)?, GFP_KERNEL)?;
            // SAFETY: `key` is valid and being instantiated by the safety requirements.
            to_result(unsafe { bindings::key_payload_reserve(key, payload.quota_len()) })?;
            // INVARIANT: The payload is a `KBox<T>`, dropped in `destroy`.
            // SAFETY: `key` is being instantiated, which nothing else does meanwhile, and has no
            // payload yet.
            unsafe {
                (*key).__bindgen_anon_4.payload.data[0] = KBox::into_raw(payload).cast::<c_void>()
            };
            Ok(0)
        })
    }

    /// `destroy`: drops the payload of a key that is going away.
    ///
    /// # Safety
    ///
    /// Called by the key retention service with a valid key of the type that nothing uses any
    /// more.
    unsafe extern "C" fn destroy(key: *mut bindings::key) {
        // SAFETY: `key` is valid by the safety requirements.
        let slot = unsafe { &mut (*key).__bindgen_anon_4.payload.data[0] };
        let ptr = core::mem::take(slot).cast::<T>();
        if !ptr.is_null() {
            // SAFETY: By the type invariants of `Registration`, the payload is a `KBox<T>`; it is
            // not used any more and is taken out of the key, so it is dropped once.
            drop(unsafe { KBox::from_raw(ptr) });
        }
    }

    /// `describe`: the key's description and, for an instantiated key, its payload's.
    ///
    /// # Safety
    ///
    /// Called by the key retention service with a valid key of the type, under RCU, and a valid
    /// seq file that nothing else uses meanwhile.
    unsafe extern "C" fn describe(key: *const bindings::key, m: *mut bindings::seq_file) {
        // SAFETY: `key` is valid and its description a NUL-terminated string; `m` is valid.
        unsafe { bindings::__seq_puts(m, (*key).__bindgen_anon_3.__bindgen_anon_1.description) };
        // SAFETY: `m` is valid and only used here for the duration of the call.
        let m = unsafe { SeqFile::from_raw(m) };
        // SAFETY: `key` is valid.
        if unsafe { bindings::key_is_positive(key) } {
            // SAFETY: The key is instantiated, so its payload is set; the key retention service
            // destroys it only after the key is unreachable, which it is not during the call.
            if let Some(payload) = unsafe { Self::payload(key) } {
                payload.describe(m);
            }
        }
    }

    /// `read`: the payload, for `keyctl read`.
    ///
    /// # Safety
    ///
    /// Called by the key retention service with a valid, instantiated key of the type, with its
    /// semaphore held for reading, and a kernel buffer of `buflen` bytes at `buffer` (or none).
    unsafe extern "C" fn read(
        key: *const bindings::key,
        buffer: *mut c_char,
        buflen: usize,
    ) -> c_long {
        let buf = if buffer.is_null() || buflen == 0 {
            &mut [][..]
        } else {
            // SAFETY: By the safety requirements `buffer` holds `buflen` writable bytes, which
            // nothing else accesses during the call.
            unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), buflen) }
        };
        // SAFETY: The key is instantiated and can't be destroyed while its semaphore is held.
        let Some(payload) = (unsafe { Self::payload(key) }) else {
            // CAST: An errno fits any `c_long`.
            return ENOKEY.to_errno() as c_long;
        };
        match payload.read(buf) {
            Ok(len) => c_long::try_from(len).unwrap_or(c_long::MAX),
            // CAST: An errno fits any `c_long`.
            Err(e) => e.to_errno() as c_long,
        }
    }
}
