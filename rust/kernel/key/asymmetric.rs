// SPDX-License-Identifier: GPL-2.0

//! Asymmetric keys: parsers of the data given to `add_key()`, and the subtypes of the keys they
//! make.
//!
//! A key of the type `asymmetric` (`keyctl padd asymmetric <description> <keyring>`) is made by
//! the first registered parser that recognizes its data. The parser gives the key its subtype,
//! which implements what can be done with the key: `keyctl pkey_query`, `pkey_encrypt`,
//! `pkey_decrypt` and `pkey_sign` (the subtype's `query` and `eds_op`), and the verification of
//! signatures by the kernel ([`Subtype::verify_signature`], which `keyctl pkey_verify`, module
//! signatures and keyring restrictions such as `restrict_link_by_signature` call). See
//! `Documentation/crypto/asymmetric-keys.rst`.
//!
//! In-kernel users look an asymmetric key up by its description with [`request`], sign with it
//! with [`sign`], as `keyctl pkey_sign` does, and verify signatures with [`verify`]; a driver
//! reaches the payload of a key of its own subtype with [`SubtypeOps::payload`].
//!
//! C headers: [`include/keys/asymmetric-parser.h`](srctree/include/keys/asymmetric-parser.h),
//! [`include/keys/asymmetric-subtype.h`](srctree/include/keys/asymmetric-subtype.h),
//! [`include/crypto/public_key.h`](srctree/include/crypto/public_key.h),
//! [`include/linux/keyctl.h`](srctree/include/linux/keyctl.h)

use crate::{
    bindings,
    error::{
        from_err_ptr,
        from_result,
        to_result, //
    },
    key::Key,
    prelude::*,
    seq_file::SeqFile,
    str::CString,
    sync::aref::ARef,
    types::Opaque,
    ThisModule,
};
use core::marker::PhantomData;

/// The operations a key supports, as [`Query::supported_ops`] gives them (`KEYCTL_SUPPORTS_*`).
pub mod supports {
    /// Encryption with the public key.
    pub const ENCRYPT: u32 = bindings::KEYCTL_SUPPORTS_ENCRYPT;
    /// Decryption with the private key.
    pub const DECRYPT: u32 = bindings::KEYCTL_SUPPORTS_DECRYPT;
    /// Signing with the private key.
    pub const SIGN: u32 = bindings::KEYCTL_SUPPORTS_SIGN;
    /// Verification with the public key.
    pub const VERIFY: u32 = bindings::KEYCTL_SUPPORTS_VERIFY;
}

/// An operation of [`Subtype::eds_op`] (`enum kernel_pkey_operation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Encrypt the input with the public key.
    Encrypt,
    /// Decrypt the input with the private key.
    Decrypt,
    /// Sign the input, a digest, with the private key.
    Sign,
    /// Verify a signature (the kernel calls [`Subtype::verify_signature`] for it instead).
    Verify,
}

/// The parameters of a [`Subtype::query`] or [`Subtype::eds_op`] call
/// (`struct kernel_pkey_params`).
///
/// # Invariants
///
/// `raw` is a valid `kernel_pkey_params` whose strings, if set, are NUL-terminated, for `'a`.
pub struct Params<'a> {
    raw: &'a bindings::kernel_pkey_params,
}

impl<'a> Params<'a> {
    /// Returns the operation asked for, `None` for one this abstraction does not know.
    pub fn op(&self) -> Option<Op> {
        match self.raw.op() {
            bindings::kernel_pkey_operation_kernel_pkey_encrypt => Some(Op::Encrypt),
            bindings::kernel_pkey_operation_kernel_pkey_decrypt => Some(Op::Decrypt),
            bindings::kernel_pkey_operation_kernel_pkey_sign => Some(Op::Sign),
            bindings::kernel_pkey_operation_kernel_pkey_verify => Some(Op::Verify),
            _ => None,
        }
    }

    /// Returns the encoding asked for (`enc=` of `keyctl`'s info string: `"pkcs1"`, `"raw"`,
    /// ...), if any.
    pub fn encoding(&self) -> Option<&'a CStr> {
        // SAFETY: By the type invariants, a non-null `encoding` is NUL-terminated and valid for
        // `'a`.
        unsafe { opt_cstr(self.raw.encoding) }
    }

    /// Returns the digest algorithm asked for (`hash=`: `"sha256"`, ...), if any.
    pub fn hash_algo(&self) -> Option<&'a CStr> {
        // SAFETY: As in `encoding`.
        unsafe { opt_cstr(self.raw.hash_algo) }
    }

    /// Returns the size of the input, in bytes.
    pub fn in_len(&self) -> usize {
        self.raw.in_len as usize
    }

    /// Returns the size of the output buffer, in bytes.
    pub fn out_len(&self) -> usize {
        // SAFETY: Both members of the union are `u32`: reading either is defined.
        unsafe { self.raw.__bindgen_anon_1.out_len as usize }
    }
}

/// Returns the string at `p`, `None` if it is null.
///
/// # Safety
///
/// A non-null `p` must point to a NUL-terminated string valid for `'a`.
unsafe fn opt_cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        None
    } else {
        // SAFETY: By the safety requirements.
        Some(unsafe { CStr::from_char_ptr(p) })
    }
}

/// What a key can do, as [`Subtype::query`] gives it (`struct kernel_pkey_query`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// The operations the key supports, a set of [`supports`] bits.
    pub supported_ops: u32,
    /// The size of the key, in bits.
    pub key_size: u32,
    /// The largest input of a signature, in bytes.
    pub max_data_size: u16,
    /// The size of a signature, in bytes.
    pub max_sig_size: u16,
    /// The size of an encrypted message, in bytes.
    pub max_enc_size: u16,
    /// The largest decrypted message, in bytes.
    pub max_dec_size: u16,
}

/// A signature the kernel asks a key to verify (`struct public_key_signature`).
///
/// # Invariants
///
/// `raw` is a valid signature whose `s` and `m` hold `s_size` and `m_size` bytes and whose
/// strings, if set, are NUL-terminated, for `'a`.
pub struct Signature<'a> {
    raw: &'a bindings::public_key_signature,
}

impl<'a> Signature<'a> {
    /// Wraps `raw`.
    ///
    /// # Safety
    ///
    /// `raw` must satisfy the type invariants for `'a`.
    unsafe fn from_raw(raw: &'a bindings::public_key_signature) -> Self {
        // INVARIANT: By the safety requirements.
        Self { raw }
    }

    /// Returns the signature.
    pub fn signature(&self) -> &'a [u8] {
        // SAFETY: By the type invariants, `s` holds `s_size` bytes.
        unsafe { bytes(self.raw.s, self.raw.s_size) }
    }

    /// Returns what was signed: a digest, unless [`Signature::algo_takes_data`].
    pub fn message(&self) -> &'a [u8] {
        // SAFETY: By the type invariants, `m` holds `m_size` bytes.
        unsafe { bytes(self.raw.m, self.raw.m_size) }
    }

    /// Returns whether the algorithm signs the data itself rather than a digest of it.
    pub fn algo_takes_data(&self) -> bool {
        self.raw.algo_takes_data
    }

    /// Returns the public-key algorithm (`"rsa"`, ...), if given.
    pub fn pkey_algo(&self) -> Option<&'a CStr> {
        // SAFETY: By the type invariants.
        unsafe { opt_cstr(self.raw.pkey_algo) }
    }

    /// Returns the digest algorithm (`"sha256"`, ...), if given.
    pub fn hash_algo(&self) -> Option<&'a CStr> {
        // SAFETY: By the type invariants.
        unsafe { opt_cstr(self.raw.hash_algo) }
    }

    /// Returns the encoding (`"pkcs1"`, ...), if given.
    pub fn encoding(&self) -> Option<&'a CStr> {
        // SAFETY: By the type invariants.
        unsafe { opt_cstr(self.raw.encoding) }
    }
}

/// Returns the `len` bytes at `p`, an empty slice if `p` is null.
///
/// # Safety
///
/// A non-null `p` must point to `len` bytes valid for reads for `'a`.
unsafe fn bytes<'a>(p: *const u8, len: u32) -> &'a [u8] {
    if p.is_null() || len == 0 {
        &[]
    } else {
        // SAFETY: By the safety requirements.
        unsafe { core::slice::from_raw_parts(p, len as usize) }
    }
}

/// The subtype of asymmetric keys whose payload is `Self`.
///
/// The payload is made by a [`Parser`] and dropped when the key is destroyed (or when the key
/// that was being made is not, after all). It may be used from several threads at once.
pub trait Subtype: Sized + Send + Sync + 'static {
    /// Writes what follows the key's description and `": "` in `/proc/keys` (the key's ids
    /// follow it). Called under RCU: it must not sleep.
    fn describe(&self, m: &SeqFile);

    /// Says what the key can do with the encoding and digest `params` ask for.
    ///
    /// # Errors
    ///
    /// [`EOPNOTSUPP`] for an encoding or digest the key does not serve, for instance.
    fn query(&self, params: &Params<'_>) -> Result<Query>;

    /// Encrypts, decrypts or signs `input` into `output` as `params` ask, and returns the length
    /// of the result.
    ///
    /// # Errors
    ///
    /// [`EOPNOTSUPP`] for an operation, encoding or digest the key does not serve, [`EINVAL`] for
    /// an input of the wrong size, [`EMSGSIZE`] for an output buffer too small, for instance.
    fn eds_op(&self, params: &Params<'_>, input: &[u8], output: &mut [u8]) -> Result<usize>;

    /// Verifies `sig` with the key's public part.
    ///
    /// # Errors
    ///
    /// [`EKEYREJECTED`] for a signature that does not verify, [`EOPNOTSUPP`] or [`ENOPKG`] for
    /// an algorithm, encoding or digest the key does not serve, for instance.
    fn verify_signature(&self, sig: &Signature<'_>) -> Result;
}

/// The operations of the subtype whose payload is `T` (`struct asymmetric_key_subtype`), which
/// a module declares as a `static` and its [`Parser`] names.
///
/// # Invariants
///
/// `raw` has the callbacks of `Adapter<T>` and a static name; its `owner` is set, once, by the
/// first [`Registration`] of a parser that names it, before any key can have the subtype.
pub struct SubtypeOps<T: Subtype> {
    raw: Opaque<bindings::asymmetric_key_subtype>,
    _t: PhantomData<T>,
}

// SAFETY: The operations are read by the key retention service from any thread; `owner` is
// written once, before they are reachable.
unsafe impl<T: Subtype> Sync for SubtypeOps<T> {}

impl<T: Subtype> SubtypeOps<T> {
    /// Returns the operations of the subtype named `name` (shown nowhere but in messages).
    pub const fn new(name: &'static CStr) -> Self {
        // INVARIANT: The callbacks are those of `Adapter<T>`; `name` is static; `owner` is set
        // by `Registration::new`.
        Self {
            raw: Opaque::new(bindings::asymmetric_key_subtype {
                owner: core::ptr::null_mut(),
                name: crate::str::as_char_ptr_in_const_context(name),
                // CAST: A subtype's name is a few bytes.
                name_len: name.to_bytes().len() as u16,
                describe: Some(Adapter::<T>::describe),
                destroy: Some(Adapter::<T>::destroy),
                query: Some(Adapter::<T>::query),
                eds_op: Some(Adapter::<T>::eds_op),
                verify_signature: Some(Adapter::<T>::verify_signature),
            }),
            _t: PhantomData,
        }
    }

    /// Returns the payload of `key` if it is an asymmetric key of this subtype, `None` otherwise.
    ///
    /// The payload lives as long as the key: an asymmetric key can't be updated, revoking it
    /// leaves its payload, the type `asymmetric` is built in and the key holds the module of its
    /// subtype.
    pub fn payload<'a>(&self, key: &'a Key) -> Option<&'a T> {
        if !key.is_type(key_type()) {
            return None;
        }
        // SAFETY: `key` is a valid key, of the type `asymmetric`, whose payload is set when it
        // is instantiated and never changes afterwards.
        let data = unsafe { (*key.as_raw()).__bindgen_anon_4.payload.data };
        let subtype = data[bindings::asymmetric_payload_bits_asym_subtype as usize];
        if !core::ptr::eq(subtype.cast_const(), self.raw.get().cast_const().cast()) {
            return None;
        }
        // SAFETY: By the type invariants of `Registration`, the payload of a key of this subtype
        // is a `KBox<T>`, dropped only when the key is destroyed, after its last reference.
        unsafe {
            data[bindings::asymmetric_payload_bits_asym_crypto as usize]
                .cast::<T>()
                .as_ref()
        }
    }
}

/// Returns the key type `asymmetric`.
fn key_type() -> *mut bindings::key_type {
    &raw mut bindings::key_type_asymmetric
}

/// Looks up the asymmetric key described by `description` in the keyrings of the calling task,
/// as [`Key::request`] does.
///
/// # Errors
///
/// As for [`Key::request`]: [`ENOKEY`], [`EACCES`] or [`EKEYREVOKED`].
///
/// # Examples
///
/// ```
/// use kernel::{key::asymmetric, prelude::*};
///
/// assert_eq!(asymmetric::request(c"rust-doctest-no-such-key").err(), Some(ENOKEY));
/// ```
pub fn request(description: &CStr) -> Result<ARef<Key>> {
    // SAFETY: The type `asymmetric` is built in, so it is registered for good.
    unsafe { Key::request(key_type(), description) }
}

/// Signs `digest`, a digest of `hash_algo` (`"sha256"`, ...), with the private key of `key` in
/// the encoding `encoding` (`"pkcs1"`, ...), into `sig`, as `keyctl pkey_sign` does (the type's
/// `asym_eds_op`), and returns the length of the signature.
///
/// # Errors
///
/// [`EINVAL`] for a key that is not asymmetric or a digest longer than the key signs, otherwise
/// the subtype's: [`EOPNOTSUPP`] for an encoding or digest it does not serve, for instance.
pub fn sign(
    key: &Key,
    encoding: &CStr,
    hash_algo: &CStr,
    digest: &[u8],
    sig: &mut [u8],
) -> Result<usize> {
    if !key.is_type(key_type()) {
        return Err(EINVAL);
    }
    let mut params: bindings::kernel_pkey_params = pin_init::zeroed();
    params.key = key.as_raw();
    params.encoding = encoding.as_char_ptr();
    params.hash_algo = hash_algo.as_char_ptr();
    params.set_op(bindings::kernel_pkey_operation_kernel_pkey_sign);
    // As keyctl does, the query bounds the sizes.
    let mut info: bindings::kernel_pkey_query = pin_init::zeroed();
    // SAFETY: `params` names a valid key and NUL-terminated strings, and `info` is writable.
    to_result(unsafe { bindings::query_asymmetric_key(&params, &mut info) })?;
    params.in_len = u32::try_from(digest.len()).map_err(|_| EINVAL)?;
    if params.in_len > info.max_data_size.into() {
        return Err(EINVAL);
    }
    params.__bindgen_anon_1.out_len = u32::try_from(sig.len())
        .unwrap_or(u32::MAX)
        .min(info.max_sig_size.into());
    // SAFETY: `key_type()` is a valid key type, never written.
    let eds_op = unsafe { (*key_type()).asym_eds_op }.ok_or(EOPNOTSUPP)?;
    // SAFETY: `params` is valid as above, with `in_len` readable bytes at `digest` and `out_len`
    // writable bytes at `sig`, which nothing else accesses during the call.
    let ret = unsafe { eds_op(&mut params, digest.as_ptr().cast(), sig.as_mut_ptr().cast()) };
    to_result(ret)?;
    // CAST: `ret` is not negative, and at most `out_len`.
    Ok(ret as usize)
}

/// Verifies with the public part of `key` (`verify_signature()`) that `signature`, made with
/// the public-key algorithm `pkey_algo` (`"rsa"`, ...) in the encoding `encoding`, signs
/// `digest`, a digest of `hash_algo`.
///
/// # Errors
///
/// [`EKEYREJECTED`] for a signature that does not verify, [`EINVAL`] for a key that is not
/// asymmetric, otherwise the subtype's: [`EOPNOTSUPP`] or [`ENOPKG`] for an algorithm it does
/// not serve, for instance.
pub fn verify(
    key: &Key,
    pkey_algo: &CStr,
    encoding: &CStr,
    hash_algo: &CStr,
    signature: &[u8],
    digest: &[u8],
) -> Result {
    let mut sig: bindings::public_key_signature = pin_init::zeroed();
    sig.s = signature.as_ptr().cast_mut();
    sig.s_size = u32::try_from(signature.len()).map_err(|_| EINVAL)?;
    sig.m = digest.as_ptr().cast_mut();
    sig.m_size = u32::try_from(digest.len()).map_err(|_| EINVAL)?;
    sig.pkey_algo = pkey_algo.as_char_ptr();
    sig.hash_algo = hash_algo.as_char_ptr();
    sig.encoding = encoding.as_char_ptr();
    // SAFETY: `key` is a valid key and `sig` a valid signature whose buffers and strings stay
    // valid during the call; `verify_signature()` only reads them and frees nothing of `sig`.
    to_result(unsafe { bindings::verify_signature(key.as_raw(), &sig) })
}

/// A key a [`Parser`] made of the data given to `add_key()`.
pub struct Parsed<T> {
    /// The payload, whose [`Subtype`] implements the key's operations.
    pub key: T,
    /// The key's ids (`asymmetric_key_ids`): by convention the first names the key by its
    /// issuer and serial number, the second by its subject key identifier, which
    /// `keyctl search`'s `id:` and the keyring restrictions match; `None` for none.
    pub ids: [Option<KVec<u8>>; 3],
    /// The description the key gets if `add_key()` was given none.
    pub description: Option<CString>,
    /// The number of bytes of the owner's key quota the key takes.
    pub quota_len: usize,
}

/// A parser of the data given to `add_key()` for an asymmetric key.
pub trait Parser: 'static {
    /// The payload of the keys the parser makes.
    type Key: Subtype;

    /// The name of the parser (shown nowhere but in debug messages).
    const NAME: &'static CStr;

    /// Returns the operations of the parser's subtype, a `static` of the module.
    fn subtype() -> &'static SubtypeOps<Self::Key>;

    /// Makes a key of `data`. Runs in process context and may sleep.
    ///
    /// # Errors
    ///
    /// [`EBADMSG`] if the data is not of the parser's format: the next parser gets its turn.
    /// Any other error is what `add_key()` returns.
    fn parse(data: &[u8]) -> Result<Parsed<Self::Key>>;
}

/// The registration of the parser `T`.
///
/// While a key of the parser's subtype exists, it holds a reference to the module that
/// registered the parser, so the module can't be unloaded.
///
/// # Invariants
///
/// `parser` is registered with `register_asymmetric_key_parser()` until the registration is
/// dropped, with the callback of `Adapter<T::Key>`, which gives the keys it makes the subtype
/// `T::subtype()` and a payload obtained from [`KBox::into_raw`] on a `KBox<T::Key>`.
#[pin_data(PinnedDrop)]
pub struct Registration<T: Parser> {
    #[pin]
    parser: Opaque<bindings::asymmetric_key_parser>,
    _t: PhantomData<T>,
}

// SAFETY: The parser is used by the asymmetric key type, which serializes its registration; the
// callbacks may run on any thread, which `T::Key: Send + Sync` allows.
unsafe impl<T: Parser> Sync for Registration<T> {}

// SAFETY: As above: nothing of the registration is tied to the thread that made it.
unsafe impl<T: Parser> Send for Registration<T> {}

impl<T: Parser> Registration<T> {
    /// Registers the parser `T` of `module`, after the parsers registered before it.
    pub fn new(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            parser <- Opaque::try_ffi_init(move |slot: *mut bindings::asymmetric_key_parser| {
                let ops = T::subtype().raw.get();
                // SAFETY: `ops` is valid; no key has the subtype before its parser is
                // registered, below, so nothing reads `owner` meanwhile, and a module registers
                // its parsers from its init function, one at a time.
                unsafe { (*ops).owner = module.as_ptr() };
                let mut p: bindings::asymmetric_key_parser = pin_init::zeroed();
                p.owner = module.as_ptr();
                p.name = T::NAME.as_char_ptr();
                p.parse = Some(parse::<T>);
                // SAFETY: `slot` is valid for writes.
                unsafe { slot.write(p) };
                // INVARIANT: The parser is registered once this succeeds, with `parse::<T>`.
                // SAFETY: `slot` is a valid parser, pinned, which stays valid until `drop`
                // unregisters it; `T::NAME` is static.
                to_result(unsafe { bindings::register_asymmetric_key_parser(slot) })
            }),
            _t: PhantomData,
        })
    }
}

#[pinned_drop]
impl<T: Parser> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `parser` is registered by the type invariants. Unregistering waits for the
        // parsers that are running; the keys made before hold the module.
        unsafe { bindings::unregister_asymmetric_key_parser(self.parser.get()) };
    }
}

/// Frees `ids`, an `asymmetric_key_ids` whose ids are null or from
/// `asymmetric_key_generate_id()`.
struct Ids(*mut bindings::asymmetric_key_ids);

impl Drop for Ids {
    fn drop(&mut self) {
        if self.0.is_null() {
            return;
        }
        // SAFETY: By the type's definition, `self.0` and its non-null ids are allocations of
        // `kmalloc()` that nothing else refers to.
        unsafe {
            for id in (*self.0).id {
                bindings::kfree(id);
            }
            bindings::kfree(self.0.cast());
        }
    }
}

/// `parse`: the callback of the parser `T`.
///
/// # Safety
///
/// Called by the asymmetric key type with a valid `prep` whose payload is empty.
unsafe extern "C" fn parse<T: Parser>(prep: *mut bindings::key_preparsed_payload) -> c_int {
    from_result(|| {
        // SAFETY: `prep` is valid by the safety requirements.
        let prep = unsafe { &mut *prep };
        let data = if prep.data.is_null() || prep.datalen == 0 {
            &[][..]
        } else {
            // SAFETY: The key retention service passes `datalen` readable bytes at `data`,
            // which stay valid during the call.
            unsafe { core::slice::from_raw_parts(prep.data.cast::<u8>(), prep.datalen) }
        };
        let parsed = T::parse(data)?;

        let ids = Ids(KBox::into_raw(KBox::new(
            bindings::asymmetric_key_ids {
                id: [core::ptr::null_mut(); 3],
            },
            GFP_KERNEL,
        )?));
        for (slot, id) in parsed.ids.iter().enumerate() {
            if let Some(id) = id {
                // SAFETY: `id` holds `id.len()` readable bytes; the second value is empty.
                let kid = from_err_ptr(unsafe {
                    bindings::asymmetric_key_generate_id(
                        id.as_ptr().cast(),
                        id.len(),
                        core::ptr::null(),
                        0,
                    )
                })?;
                // SAFETY: `ids.0` is a valid allocation of `KBox`, which uses `kmalloc()`.
                unsafe { (*ids.0).id[slot] = kid.cast() };
            }
        }
        let payload = KBox::new(parsed.key, GFP_KERNEL)?;
        // The description, NUL-terminated, in memory of `kmalloc()`, which the asymmetric key
        // type frees with `kfree()`; nothing can fail after it is made.
        let description = match &parsed.description {
            Some(d) => {
                let mut v = KVec::new();
                v.extend_from_slice(d.to_bytes_with_nul(), GFP_KERNEL)?;
                v.into_raw_parts().0.cast::<c_char>()
            }
            None => core::ptr::null_mut(),
        };

        let ops = T::subtype().raw.get();
        // The key holds the module of its subtype (without module unloading, there's nothing to
        // hold).
        #[cfg(CONFIG_MODULE_UNLOAD)]
        // SAFETY: `ops` is valid; its `owner`, set by the registration, is the module that
        // registered this parser, which is live while the parser runs.
        unsafe {
            bindings::__module_get((*ops).owner)
        };
        // INVARIANT: The payload is a `KBox<T::Key>`, the subtype `T::subtype()`, whose
        // `destroy` drops the payload and whose owner the asymmetric key type puts.
        // SAFETY: `payload` is a union of pointer arrays, of which the asymmetric key type uses
        // `data`; any bits are valid for it.
        let data = unsafe { &mut prep.payload.data };
        data[bindings::asymmetric_payload_bits_asym_crypto as usize] =
            KBox::into_raw(payload).cast();
        data[bindings::asymmetric_payload_bits_asym_subtype as usize] = ops.cast();
        data[bindings::asymmetric_payload_bits_asym_key_ids as usize] = ids.0.cast();
        core::mem::forget(ids);
        prep.description = description;
        prep.quotalen = parsed.quota_len;
        Ok(0)
    })
}

/// The callbacks of the subtype whose payload is `T`.
struct Adapter<T>(PhantomData<T>);

impl<T: Subtype> Adapter<T> {
    /// Returns the payload of `key`, `None` if it has none.
    ///
    /// # Safety
    ///
    /// `key` must be a valid asymmetric key of the subtype of `T`, whose payload, if it has one,
    /// stays valid for `'a`.
    unsafe fn payload<'a>(key: *const bindings::key) -> Option<&'a T> {
        // SAFETY: `key` is valid by the safety requirements.
        let ptr = unsafe {
            (*key).__bindgen_anon_4.payload.data
                [bindings::asymmetric_payload_bits_asym_crypto as usize]
        };
        // SAFETY: By the type invariants of `Registration`, the payload of a key of the subtype
        // is a `KBox<T>`, dropped only when the key is destroyed.
        unsafe { ptr.cast::<T>().as_ref() }
    }

    /// `describe`, for `/proc/keys`.
    ///
    /// # Safety
    ///
    /// Called by the asymmetric key type with a valid, instantiated key of the subtype, under
    /// RCU, and a valid seq file.
    unsafe extern "C" fn describe(key: *const bindings::key, m: *mut bindings::seq_file) {
        // SAFETY: `m` is valid and only used here for the duration of the call.
        let m = unsafe { SeqFile::from_raw(m) };
        // SAFETY: The key can't be destroyed under RCU while it is being described.
        if let Some(payload) = unsafe { Self::payload(key) } {
            payload.describe(m);
        }
    }

    /// `destroy`: drops the payload of a key that is going away, or of one that was not made.
    ///
    /// # Safety
    ///
    /// Called by the asymmetric key type, once, with the payload of a key of the subtype, which
    /// nothing uses any more.
    unsafe extern "C" fn destroy(payload: *mut c_void, _auth: *mut c_void) {
        if !payload.is_null() {
            // SAFETY: By the type invariants of `Registration`, the payload is a `KBox<T>`,
            // dropped only here.
            drop(unsafe { KBox::from_raw(payload.cast::<T>()) });
        }
    }

    /// Returns the payload of the key of `params`.
    ///
    /// # Safety
    ///
    /// `params` must be valid, its key an instantiated key of the subtype that stays so for `'a`.
    unsafe fn params<'a>(
        params: *const bindings::kernel_pkey_params,
    ) -> Result<(Params<'a>, &'a T)> {
        // SAFETY: `params` is valid by the safety requirements.
        let raw = unsafe { &*params };
        // INVARIANT: The key retention service passes NUL-terminated strings or null.
        let p = Params { raw };
        // SAFETY: By the safety requirements.
        let payload = unsafe { Self::payload(raw.key) }.ok_or(ENOKEY)?;
        Ok((p, payload))
    }

    /// `query`.
    ///
    /// # Safety
    ///
    /// Called by the asymmetric key type with valid `params`, whose key is one of the subtype
    /// the caller holds a reference to, and a writable `info`.
    unsafe extern "C" fn query(
        params: *const bindings::kernel_pkey_params,
        info: *mut bindings::kernel_pkey_query,
    ) -> c_int {
        from_result(|| {
            // SAFETY: By the safety requirements.
            let (p, payload) = unsafe { Self::params(params) }?;
            let q = payload.query(&p)?;
            // SAFETY: `info` is writable by the safety requirements.
            unsafe {
                info.write(bindings::kernel_pkey_query {
                    supported_ops: q.supported_ops,
                    key_size: q.key_size,
                    max_data_size: q.max_data_size,
                    max_sig_size: q.max_sig_size,
                    max_enc_size: q.max_enc_size,
                    max_dec_size: q.max_dec_size,
                })
            };
            Ok(0)
        })
    }

    /// `eds_op`: encrypt, decrypt or sign; returns the length of the output.
    ///
    /// # Safety
    ///
    /// Called by the asymmetric key type with valid `params`, whose key is one of the subtype the
    /// caller holds a reference to, `in_len` readable bytes at `input` and `out_len` writable
    /// bytes at `output`, which nothing else accesses during the call.
    unsafe extern "C" fn eds_op(
        params: *mut bindings::kernel_pkey_params,
        input: *const c_void,
        output: *mut c_void,
    ) -> c_int {
        from_result(|| {
            // SAFETY: By the safety requirements.
            let (p, payload) = unsafe { Self::params(params) }?;
            // SAFETY: By the safety requirements, `input` holds `in_len` bytes.
            let input = unsafe { bytes(input.cast(), p.raw.in_len) };
            let out_len = p.out_len();
            let output = if output.is_null() || out_len == 0 {
                &mut [][..]
            } else {
                // SAFETY: By the safety requirements, `output` holds `out_len` writable bytes.
                unsafe { core::slice::from_raw_parts_mut(output.cast::<u8>(), out_len) }
            };
            let len = payload.eds_op(&p, input, output)?;
            if len > output.len() {
                return Err(EMSGSIZE);
            }
            c_int::try_from(len).map_err(|_| EMSGSIZE)
        })
    }

    /// `verify_signature`.
    ///
    /// # Safety
    ///
    /// Called by the asymmetric key type with a valid key of the subtype the caller holds a
    /// reference to and a valid signature.
    unsafe extern "C" fn verify_signature(
        key: *const bindings::key,
        sig: *const bindings::public_key_signature,
    ) -> c_int {
        from_result(|| {
            // SAFETY: By the safety requirements.
            let payload = unsafe { Self::payload(key) }.ok_or(ENOKEY)?;
            // SAFETY: `sig` is a valid signature by the safety requirements, whose buffers hold
            // their sizes and whose strings are NUL-terminated, for the call.
            let sig = unsafe { Signature::from_raw(&*sig) };
            payload.verify_signature(&sig)?;
            Ok(0)
        })
    }
}
