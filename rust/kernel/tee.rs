// SPDX-License-Identifier: GPL-2.0

//! Trusted Execution Environment (TEE), kernel client API.
//!
//! A TEE runs Trusted Applications (TAs) isolated from the normal world. A kernel driver talks to
//! a TA the same way a user space client does through `/dev/teeN`:
//!
//! 1. it opens a [`Context`] on a TEE device, chosen by a match function on the device's
//!    [`Version`] (implementation id and capabilities);
//! 2. it opens a [`Session`] to a TA, identified by its [`Uuid`], with the login method of kernel
//!    clients (`TEE_IOCTL_LOGIN_REE_KERNEL`);
//! 3. it invokes commands of the TA with [`Session::invoke`], passing up to [`MAX_PARAMS`]
//!    [`Param`]s: values, and memory references ([`MemRef`]) into shared memory ([`Shm`]).
//!
//! Shared memory is either a kernel buffer the CPU can read and write ([`Context::alloc_shm`]) or
//! a registered dma-buf ([`Context::register_dma_buf`]), for instance restricted (protected)
//! memory allocated with [`Context::alloc_protmem`]. The CPU never accesses a registered dma-buf
//! through this module, see [`crate::dma_buf`].
//!
//! # Bounds of memory references
//!
//! The TEE core checks the offset and size of a memory reference against its shared memory only
//! for requests from user space (`TEE_IOC_INVOKE`); `tee_client_invoke_func()` and
//! `tee_client_open_session()` hand the parameters of kernel clients to the TEE driver as they
//! are, and a TEE driver may check only the offset (OP-TEE's temporary memory references) or
//! leave the check to the secure world. This module therefore checks every memory reference,
//! when it is created ([`MemRef::new`]) and again when it is passed to the TEE: `offset + size`
//! must not overflow and must not exceed the size of the shared memory, which must belong to the
//! context of the session, otherwise the call fails with [`EINVAL`] before anything reaches the
//! TEE. The secure world still has to check what it receives.
//!
//! # Errors
//!
//! A call that fails in the TEE subsystem or the TEE driver returns the driver's error. A call
//! the TEE completed with a GlobalPlatform TEE Client API error code returns the [`Error`]
//! [`result_to_error`] maps it to.
//!
//! # Backend drivers
//!
//! The other side, a driver that implements a TEE and serves these clients, registers its TEE
//! device with [`backend::Registration`] and its protected memory with
//! [`protmem::ProtmemPool`].
//!
//! C header: [`include/linux/tee_drv.h`](srctree/include/linux/tee_drv.h)

use crate::{
    bindings,
    dma_buf::DmaBuf,
    error::{
        from_err_ptr,
        to_result, //
    },
    prelude::*,
    sync::aref::ARef,
};
use core::ptr::NonNull;

pub mod backend;
mod param;
pub mod protmem;
pub mod rstkey_km;
mod shm;

pub use self::param::{
    MemRef,
    Param,
    Value,
    MAX_PARAMS, //
};
pub use self::shm::Shm;

/// Implementation ids of TEEs, the [`Version::impl_id`] of a TEE device.
pub mod impl_id {
    /// OP-TEE.
    pub const OPTEE: u32 = crate::bindings::TEE_IMPL_ID_OPTEE;
    /// AMD Secure Processor TEE.
    pub const AMDTEE: u32 = crate::bindings::TEE_IMPL_ID_AMDTEE;
    /// Trusted Services (Arm FF-A).
    pub const TSTEE: u32 = crate::bindings::TEE_IMPL_ID_TSTEE;
    /// Qualcomm TEE.
    pub const QTEE: u32 = crate::bindings::TEE_IMPL_ID_QTEE;
}

/// Generic capabilities of TEEs, the bits of [`Version::gen_caps`].
pub mod gen_caps {
    /// The TEE is GlobalPlatform compliant.
    pub const GP: u32 = crate::bindings::TEE_GEN_CAP_GP;
    /// The device is the privileged device, for the supplicant.
    pub const PRIVILEGED: u32 = crate::bindings::TEE_GEN_CAP_PRIVILEGED;
    /// The TEE supports registering shared memory.
    pub const REG_MEM: u32 = crate::bindings::TEE_GEN_CAP_REG_MEM;
    /// The TEE supports memory references with a NULL buffer.
    pub const MEMREF_NULL: u32 = crate::bindings::TEE_GEN_CAP_MEMREF_NULL;
    /// The TEE supports generic object references.
    pub const OBJREF: u32 = crate::bindings::TEE_GEN_CAP_OBJREF;
}

/// The version data of a TEE device: what it implements and which capabilities it has.
///
/// This is what the match function of [`Context::open`] decides on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    /// The implementation id, one of [`impl_id`].
    pub impl_id: u32,
    /// Implementation-specific capabilities.
    pub impl_caps: u32,
    /// Generic capabilities, bits of [`gen_caps`].
    pub gen_caps: u32,
}

impl Version {
    /// Creates the version data from its C representation.
    fn from_raw(raw: &bindings::tee_ioctl_version_data) -> Self {
        Self {
            impl_id: raw.impl_id,
            impl_caps: raw.impl_caps,
            gen_caps: raw.gen_caps,
        }
    }

    /// Returns whether the TEE has all the generic capabilities in `caps`, bits of [`gen_caps`].
    pub fn has_gen_caps(&self, caps: u32) -> bool {
        self.gen_caps & caps == caps
    }
}

/// The UUID of a Trusted Application.
///
/// The bytes are in the order of RFC 4122 (big endian fields), the order of `uuid_t` and of the
/// `uuid` of `struct tee_ioctl_open_session_arg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Uuid([u8; bindings::TEE_IOCTL_UUID_LEN as usize]);

impl Uuid {
    /// Creates a UUID from its fields, like the C `UUID_INIT()` macro.
    ///
    /// `time_low`, `time_mid` and `time_hi_and_version` are the first three groups of the textual
    /// form, `clock_seq_and_node` the last two.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::tee::Uuid;
    ///
    /// // 8aaaf200-2450-11e4-abe2-0002a5d5c51b
    /// let uuid = Uuid::new(
    ///     0x8aaaf200,
    ///     0x2450,
    ///     0x11e4,
    ///     [0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b],
    /// );
    /// assert_eq!(uuid.as_bytes()[..4], [0x8a, 0xaa, 0xf2, 0x00]);
    /// assert_eq!(uuid.as_bytes()[6..8], [0x11, 0xe4]);
    /// ```
    pub const fn new(
        time_low: u32,
        time_mid: u16,
        time_hi_and_version: u16,
        clock_seq_and_node: [u8; 8],
    ) -> Self {
        let l = time_low.to_be_bytes();
        let m = time_mid.to_be_bytes();
        let h = time_hi_and_version.to_be_bytes();
        let c = clock_seq_and_node;
        Self([
            l[0], l[1], l[2], l[3], m[0], m[1], h[0], h[1], c[0], c[1], c[2], c[3], c[4], c[5],
            c[6], c[7],
        ])
    }

    /// Creates a UUID from its 16 bytes in RFC 4122 order.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Returns the 16 bytes of the UUID in RFC 4122 order.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// A use case of TEE protected memory, `enum tee_dma_heap_id`.
///
/// A TEE device registers at most one protected memory heap per use case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum HeapId {
    /// Secure video playback, heap `protected,secure-video`.
    SecureVideoPlay = bindings::tee_dma_heap_id_TEE_DMA_HEAP_SECURE_VIDEO_PLAY,
    /// Trusted user interface, heap `protected,trusted-ui`.
    TrustedUi = bindings::tee_dma_heap_id_TEE_DMA_HEAP_TRUSTED_UI,
    /// Secure video recording, heap `protected,secure-video-record`.
    SecureVideoRecord = bindings::tee_dma_heap_id_TEE_DMA_HEAP_SECURE_VIDEO_RECORD,
    /// Key material of a cryptographic engine, heap `protected,crypto-key`.
    CryptoKey = bindings::tee_dma_heap_id_TEE_DMA_HEAP_CRYPTO_KEY,
}

/// GlobalPlatform TEE Client API result codes (`TEEC_*`) and the errors they map to.
///
/// The table of [`result_to_error`].
const RESULT_ERRORS: &[(u32, Error)] = &[
    // TEEC_ERROR_GENERIC
    (0xffff_0000, EIO),
    // TEEC_ERROR_ACCESS_DENIED
    (0xffff_0001, EACCES),
    // TEEC_ERROR_CANCEL
    (0xffff_0002, ECANCELED),
    // TEEC_ERROR_ACCESS_CONFLICT
    (0xffff_0003, EBUSY),
    // TEEC_ERROR_EXCESS_DATA
    (0xffff_0004, EINVAL),
    // TEEC_ERROR_BAD_FORMAT
    (0xffff_0005, EBADMSG),
    // TEEC_ERROR_BAD_PARAMETERS
    (0xffff_0006, EINVAL),
    // TEEC_ERROR_BAD_STATE
    (0xffff_0007, EINVAL),
    // TEEC_ERROR_ITEM_NOT_FOUND
    (0xffff_0008, ENOENT),
    // TEEC_ERROR_NOT_IMPLEMENTED
    (0xffff_0009, EOPNOTSUPP),
    // TEEC_ERROR_NOT_SUPPORTED
    (0xffff_000a, EOPNOTSUPP),
    // TEEC_ERROR_NO_DATA
    (0xffff_000b, ENODATA),
    // TEEC_ERROR_OUT_OF_MEMORY
    (0xffff_000c, ENOMEM),
    // TEEC_ERROR_BUSY
    (0xffff_000d, EBUSY),
    // TEEC_ERROR_COMMUNICATION
    (0xffff_000e, ECOMM),
    // TEEC_ERROR_SECURITY
    (0xffff_000f, EPERM),
    // TEEC_ERROR_SHORT_BUFFER
    (0xffff_0010, EOVERFLOW),
    // TEEC_ERROR_EXTERNAL_CANCEL
    (0xffff_0011, ECANCELED),
    // TEE_ERROR_STORAGE_NO_SPACE
    (0xffff_3041, ENOSPC),
    // TEE_ERROR_MAC_INVALID
    (0xffff_3071, EBADMSG),
    // TEE_ERROR_SIGNATURE_INVALID
    (0xffff_3072, EKEYREJECTED),
];

/// Returns the error for a GlobalPlatform TEE Client API result code other than `TEEC_SUCCESS`.
///
/// | Result code                        | Error            |
/// |------------------------------------|------------------|
/// | `TEEC_ERROR_ACCESS_DENIED`         | [`EACCES`]       |
/// | `TEEC_ERROR_CANCEL`                | [`ECANCELED`]    |
/// | `TEEC_ERROR_EXTERNAL_CANCEL`       | [`ECANCELED`]    |
/// | `TEEC_ERROR_ACCESS_CONFLICT`       | [`EBUSY`]        |
/// | `TEEC_ERROR_BUSY`                  | [`EBUSY`]        |
/// | `TEEC_ERROR_EXCESS_DATA`           | [`EINVAL`]       |
/// | `TEEC_ERROR_BAD_PARAMETERS`        | [`EINVAL`]       |
/// | `TEEC_ERROR_BAD_STATE`             | [`EINVAL`]       |
/// | `TEEC_ERROR_BAD_FORMAT`            | [`EBADMSG`]      |
/// | `TEE_ERROR_MAC_INVALID`            | [`EBADMSG`]      |
/// | `TEE_ERROR_SIGNATURE_INVALID`      | [`EKEYREJECTED`] |
/// | `TEEC_ERROR_ITEM_NOT_FOUND`        | [`ENOENT`]       |
/// | `TEEC_ERROR_NOT_IMPLEMENTED`       | [`EOPNOTSUPP`]   |
/// | `TEEC_ERROR_NOT_SUPPORTED`         | [`EOPNOTSUPP`]   |
/// | `TEEC_ERROR_NO_DATA`               | [`ENODATA`]      |
/// | `TEEC_ERROR_OUT_OF_MEMORY`         | [`ENOMEM`]       |
/// | `TEEC_ERROR_COMMUNICATION`         | [`ECOMM`]        |
/// | `TEEC_ERROR_SECURITY`              | [`EPERM`]        |
/// | `TEEC_ERROR_SHORT_BUFFER`          | [`EOVERFLOW`]    |
/// | `TEE_ERROR_STORAGE_NO_SPACE`       | [`ENOSPC`]       |
/// | anything else                      | [`EIO`]          |
///
/// # Examples
///
/// ```
/// use kernel::tee::result_to_error;
///
/// // TEEC_ERROR_BAD_PARAMETERS
/// assert_eq!(result_to_error(0xffff0006), EINVAL);
/// // TEEC_ERROR_SHORT_BUFFER
/// assert_eq!(result_to_error(0xffff0010), EOVERFLOW);
/// // An implementation-defined code.
/// assert_eq!(result_to_error(0x8000_0001), EIO);
/// ```
pub fn result_to_error(code: u32) -> Error {
    RESULT_ERRORS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(EIO, |(_, e)| *e)
}

/// Returns `Ok(())` for `TEEC_SUCCESS` and the mapped error for any other result code.
fn check_result(code: u32) -> Result {
    match code {
        0 => Ok(()),
        code => Err(result_to_error(code)),
    }
}

/// Returns whether `buf` is TEE protected memory, allocated from a protected memory heap (by user
/// space or with [`Context::alloc_protmem`]), which the CPU can't access.
///
/// A driver that must only let a device read memory the CPU can't, checks a buffer it is given
/// with this before attaching it.
pub fn is_protmem(buf: &DmaBuf) -> bool {
    // SAFETY: `buf.as_raw()` is a valid dma-buf, which the function only compares the operations
    // of.
    unsafe { bindings::tee_dma_buf_is_protmem(buf.as_raw()) }
}

/// A context on a TEE device, the kernel equivalent of an open `/dev/teeN`.
///
/// The context is closed with `tee_client_close_context()` when dropped. [`Session`]s borrow the
/// context, so they are closed before it; [`Shm`]s hold their own reference to it.
///
/// # Invariants
///
/// `ctx` is a valid context returned by `tee_client_open_context()` and not closed yet.
pub struct Context {
    /// The context.
    ctx: NonNull<bindings::tee_context>,
}

// SAFETY: A TEE context may be used and closed from any thread.
unsafe impl Send for Context {}

// SAFETY: The TEE client functions may be called concurrently on the same context; TEE drivers
// serialise what needs to be serialised.
unsafe impl Sync for Context {}

/// Calls the match function of [`Context::open`] for a TEE device.
///
/// # Safety
///
/// - `vers` must point to valid version data.
/// - `data` must point to an `F`, valid for the duration of the call.
unsafe extern "C" fn match_callback<F: Fn(&Version) -> bool>(
    vers: *mut bindings::tee_ioctl_version_data,
    data: *const c_void,
) -> c_int {
    // SAFETY: By the safety requirements `vers` points to valid version data.
    let version = Version::from_raw(unsafe { &*vers });

    // SAFETY: By the safety requirements `data` points to an `F`.
    let matches = unsafe { &*data.cast::<F>() };

    c_int::from(matches(&version))
}

impl Context {
    /// Opens a context on the first TEE device for which `matches` returns `true`.
    ///
    /// `matches` is called with the [`Version`] of each TEE device in turn. Requests in the
    /// context don't wait for a TEE supplicant that isn't running (the default for kernel
    /// clients).
    ///
    /// # Errors
    ///
    /// Returns [`ENOENT`] if no TEE device matches (for instance because there is no TEE device
    /// at all), otherwise the error of the TEE driver's `open`, for instance [`ENOMEM`].
    ///
    /// # Examples
    ///
    /// No TEE device matches a function that matches nothing:
    ///
    /// ```
    /// use kernel::tee::Context;
    ///
    /// assert_eq!(Context::open(|_| false).err(), Some(ENOENT));
    /// ```
    ///
    /// Open a context on an OP-TEE that can register shared memory:
    ///
    /// ```no_run
    /// use kernel::tee::{
    ///     gen_caps,
    ///     impl_id,
    ///     Context, //
    /// };
    ///
    /// # fn no_run() -> Result {
    /// let ctx = Context::open(|v| {
    ///     v.impl_id == impl_id::OPTEE && v.has_gen_caps(gen_caps::REG_MEM)
    /// })?;
    /// pr_info!("TEE capabilities: {:#x}\n", ctx.version().gen_caps);
    /// # Ok(())
    /// # }
    /// ```
    pub fn open<F: Fn(&Version) -> bool>(matches: F) -> Result<Self> {
        let data: *const F = &matches;

        // SAFETY:
        // - `match_callback::<F>` is called only during this call, with valid version data and
        //   with `data`, which points to `matches`.
        // - A NULL `start` starts the search at the first TEE device and a NULL `vers` is
        //   allowed.
        let ctx = from_err_ptr(unsafe {
            bindings::tee_client_open_context(
                core::ptr::null_mut(),
                Some(match_callback::<F>),
                data.cast(),
                core::ptr::null_mut(),
            )
        })?;

        // INVARIANT: `tee_client_open_context()` succeeded, so `ctx` is an open context.
        Ok(Self {
            // SAFETY: `tee_client_open_context()` doesn't return NULL on success.
            ctx: unsafe { NonNull::new_unchecked(ctx) },
        })
    }

    /// Returns the raw `struct tee_context` pointer.
    pub fn as_raw(&self) -> *mut bindings::tee_context {
        self.ctx.as_ptr()
    }

    /// Returns the version data of the TEE device of the context.
    pub fn version(&self) -> Version {
        let mut raw: bindings::tee_ioctl_version_data = pin_init::zeroed();

        // SAFETY: By the type invariants `self.as_raw()` is an open context; `raw` is valid for
        // writes.
        unsafe { bindings::tee_client_get_version(self.as_raw(), &mut raw) };

        Version::from_raw(&raw)
    }

    /// Opens a session to the Trusted Application `uuid`, passing it `params`.
    ///
    /// The session is opened with the login method of kernel clients,
    /// `TEE_IOCTL_LOGIN_REE_KERNEL`. Output parameters are updated with what the TA returned,
    /// also when the TA refused the session with a result code.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if there are more than [`MAX_PARAMS`] parameters or a memory reference
    /// is out of the bounds of its shared memory or belongs to another context, an error of the
    /// TEE driver, or the mapped TA result code, see [`result_to_error`].
    pub fn open_session(&self, uuid: &Uuid, params: &mut [Param<'_>]) -> Result<Session<'_>> {
        let mut raw = param::encode(self.as_raw(), params)?;
        let mut arg = bindings::tee_ioctl_open_session_arg {
            uuid: *uuid.as_bytes(),
            clnt_uuid: [0; 16],
            clnt_login: bindings::TEE_IOCTL_LOGIN_REE_KERNEL,
            cancel_id: 0,
            session: 0,
            ret: 0,
            ret_origin: 0,
            // CAST: `encode()` checked that there are at most `MAX_PARAMS` parameters.
            num_params: params.len() as u32,
            params: bindings::__IncompleteArrayField::new(),
        };

        // SAFETY:
        // - By the type invariants `self.as_raw()` is an open context.
        // - `arg` is a valid argument and `raw` holds `arg.num_params` valid parameters, whose
        //   memory references point into shared memory of this context that is borrowed for the
        //   duration of the call.
        to_result(unsafe {
            bindings::tee_client_open_session(self.as_raw(), &mut arg, raw.as_mut_ptr())
        })?;
        param::update(params, &raw);
        check_result(arg.ret)?;

        // INVARIANT: The TEE opened session `arg.session` in this context.
        Ok(Session {
            ctx: self,
            id: arg.session,
        })
    }

    /// Allocates `size` bytes of kernel memory shared with the TEE.
    ///
    /// The size is rounded up by the TEE driver, usually to whole pages. The CPU reads and writes
    /// the memory with [`Shm::read`] and [`Shm::write`].
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the TEE device has no shared memory pool, [`ENOMEM`] or another
    /// error of the TEE driver.
    pub fn alloc_shm(&self, size: usize) -> Result<Shm> {
        // SAFETY: By the type invariants `self.as_raw()` is an open context.
        let shm = from_err_ptr(unsafe { bindings::tee_shm_alloc_kernel_buf(self.as_raw(), size) })?;

        // SAFETY: `shm` is new shared memory, owned by the caller.
        Ok(unsafe { Shm::from_raw_owned(shm) })
    }

    /// Registers the dma-buf `buf` as memory shared with the TEE.
    ///
    /// The buffer must have been allocated from a protected memory heap of the TEE device of this
    /// context, for instance with [`Context::alloc_protmem`]. The returned [`Shm`] holds its own
    /// reference to the buffer; the CPU can't read or write it through the [`Shm`].
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if `buf` isn't a protected memory buffer of the TEE device of this
    /// context, [`EOPNOTSUPP`] if the buffer can't be passed to the TEE by a kernel client (see
    /// `tee_shm_register_dma_buf()`), or [`ENOMEM`].
    pub fn register_dma_buf(&self, buf: &DmaBuf) -> Result<Shm> {
        // SAFETY:
        // - By the type invariants `self.as_raw()` is an open context.
        // - `buf.as_raw()` is a valid dma-buf; `tee_shm_register_dma_buf()` takes its own
        //   reference.
        let shm = from_err_ptr(unsafe {
            bindings::tee_shm_register_dma_buf(self.as_raw(), buf.as_raw())
        })?;

        // SAFETY: `shm` is new shared memory, owned by the caller.
        Ok(unsafe { Shm::from_raw_owned(shm) })
    }

    /// Allocates `size` bytes of protected memory for the use case `id`.
    ///
    /// The memory comes from the protected memory heap that the TEE device of this context
    /// registered for `id`; `size` is rounded up to whole pages. The returned dma-buf can't be
    /// accessed by the CPU; a device reaches it through [`DmaBuf::attach`] and the TEE through
    /// [`Context::register_dma_buf`].
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if `size` is 0, [`ENOENT`] if the TEE device has no heap for `id`,
    /// [`EOPNOTSUPP`] if the kernel is built without TEE dma-buf heaps, [`ENOMEM`] or another
    /// error of the protected memory pool.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use kernel::{
    ///     device::{
    ///         Bound,
    ///         Device, //
    ///     },
    ///     dma::DataDirection,
    ///     tee::{
    ///         Context,
    ///         HeapId, //
    ///     },
    /// };
    ///
    /// # fn no_run(ctx: &Context, engine: &Device<Bound>) -> Result {
    /// let key = ctx.alloc_protmem(HeapId::CryptoKey, 32)?;
    /// let mapping = key.attach(engine)?.map(DataDirection::ToDevice)?;
    /// for entry in mapping.iter() {
    ///     pr_info!("{:#x} + {:#x}\n", entry.dma_address(), entry.dma_len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn alloc_protmem(&self, id: HeapId, size: usize) -> Result<ARef<DmaBuf>> {
        // SAFETY: By the type invariants `self.as_raw()` is an open context.
        let buf = from_err_ptr(unsafe {
            bindings::tee_protmem_alloc(self.as_raw(), id as bindings::tee_dma_heap_id, size)
        })?;

        // SAFETY: On success `tee_protmem_alloc()` returns a new dma-buf whose reference the
        // caller owns.
        Ok(unsafe { DmaBuf::from_raw_owned(buf) })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `self.as_raw()` is an open context; all sessions
        // borrowing it are closed. Shared memory holds its own reference to the context.
        unsafe { bindings::tee_client_close_context(self.as_raw()) };
    }
}

/// A session to a Trusted Application.
///
/// Opened with [`Context::open_session`], closed with `tee_client_close_session()` when dropped.
///
/// # Invariants
///
/// `id` is an open session of `ctx`.
pub struct Session<'ctx> {
    /// The context of the session.
    ctx: &'ctx Context,
    /// The session id.
    id: u32,
}

impl Session<'_> {
    /// Returns the session id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Invokes the command `func` of the Trusted Application with `params`.
    ///
    /// Output parameters are updated with what the TA returned, also when the TA failed the
    /// command with a result code: for instance the size of an output memory reference that was
    /// too short (`TEEC_ERROR_SHORT_BUFFER`, [`EOVERFLOW`]).
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if there are more than [`MAX_PARAMS`] parameters or a memory reference
    /// is out of the bounds of its shared memory or belongs to another context, an error of the
    /// TEE driver, or the mapped TA result code, see [`result_to_error`].
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use kernel::tee::{
    ///     Context,
    ///     MemRef,
    ///     Param,
    ///     Uuid,
    ///     Value, //
    /// };
    ///
    /// const TA: Uuid = Uuid::new(
    ///     0x8aaaf200,
    ///     0x2450,
    ///     0x11e4,
    ///     [0xab, 0xe2, 0x00, 0x02, 0xa5, 0xd5, 0xc5, 0x1b],
    /// );
    /// const CMD_DIGEST: u32 = 1;
    ///
    /// # fn no_run(ctx: &Context) -> Result {
    /// let session = ctx.open_session(&TA, &mut [])?;
    /// let mut shm = ctx.alloc_shm(64)?;
    /// shm.write(0, b"hello")?;
    /// let mut params = [
    ///     Param::MemRefInput(MemRef::new(&shm, 0, 5)?),
    ///     Param::ValueOutput(Value::default()),
    /// ];
    /// session.invoke(CMD_DIGEST, &mut params)?;
    /// if let Param::ValueOutput(v) = params[1] {
    ///     pr_info!("digest prefix {:#x}\n", v.a);
    /// }
    /// // Out of the bounds of `shm`: refused before reaching the TEE.
    /// assert_eq!(MemRef::new(&shm, 1, shm.size()).err(), Some(EINVAL));
    /// # Ok(())
    /// # }
    /// ```
    pub fn invoke(&self, func: u32, params: &mut [Param<'_>]) -> Result {
        let mut raw = param::encode(self.ctx.as_raw(), params)?;
        let mut arg = bindings::tee_ioctl_invoke_arg {
            func,
            session: self.id,
            cancel_id: 0,
            ret: 0,
            ret_origin: 0,
            // CAST: `encode()` checked that there are at most `MAX_PARAMS` parameters.
            num_params: params.len() as u32,
            params: bindings::__IncompleteArrayField::new(),
        };

        // SAFETY:
        // - By the type invariants `self.ctx` is an open context and `self.id` an open session of
        //   it.
        // - `arg` is a valid argument and `raw` holds `arg.num_params` valid parameters, whose
        //   memory references point into shared memory of this context that is borrowed for the
        //   duration of the call.
        to_result(unsafe {
            bindings::tee_client_invoke_func(self.ctx.as_raw(), &mut arg, raw.as_mut_ptr())
        })?;
        param::update(params, &raw);
        check_result(arg.ret)
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `self.id` is an open session of `self.ctx`. The session
        // is closed even if the call fails, so the error is of no use.
        let _ = unsafe { bindings::tee_client_close_session(self.ctx.as_raw(), self.id) };
    }
}

#[cfg(CONFIG_RUST_TEE_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_tee)]
mod tests {
    use super::*;

    /// `Uuid::new()` lays the fields out like `uuid_parse()` does.
    #[test]
    fn uuid_matches_uuid_parse() -> Result {
        let uuid = Uuid::new(
            0x58ac9ca0,
            0x2086,
            0x4683,
            [0xa1, 0xb8, 0xec, 0x4b, 0xc0, 0x8e, 0x01, 0xb6],
        );
        let mut parsed: bindings::uuid_t = pin_init::zeroed();
        // SAFETY: The string is NUL-terminated and `parsed` is valid for writes.
        to_result(unsafe {
            bindings::uuid_parse(
                c"58ac9ca0-2086-4683-a1b8-ec4bc08e01b6".as_char_ptr(),
                &mut parsed,
            )
        })?;
        assert_eq!(*uuid.as_bytes(), parsed.b);
        assert_eq!(Uuid::from_bytes(parsed.b), uuid);
        Ok(())
    }

    /// A match function that matches nothing gives `ENOENT`, with or without TEE devices.
    #[test]
    fn open_without_match() {
        assert_eq!(Context::open(|_| false).err(), Some(ENOENT));
    }

    /// Opening any TEE device either works or, when there is none, fails with `ENOENT`.
    #[test]
    fn open_any() {
        match Context::open(|_| true) {
            Ok(ctx) => {
                let _ = ctx.version();
            }
            Err(e) => assert_eq!(e, ENOENT),
        }
    }

    /// The result codes map to the documented errors.
    #[test]
    fn result_codes() {
        assert_eq!(check_result(0), Ok(()));
        assert_eq!(result_to_error(0xffff_0000), EIO);
        assert_eq!(result_to_error(0xffff_0006), EINVAL);
        assert_eq!(result_to_error(0xffff_000c), ENOMEM);
        assert_eq!(result_to_error(0xffff_0010), EOVERFLOW);
        assert_eq!(result_to_error(0xffff_3071), EBADMSG);
        assert_eq!(result_to_error(0xffff_3072), EKEYREJECTED);
        assert_eq!(result_to_error(1), EIO);
        assert_eq!(check_result(0xffff_0008), Err(ENOENT));
    }

    /// The heap ids are the C enum values.
    #[test]
    fn heap_ids() {
        assert_eq!(HeapId::SecureVideoPlay as u32, 1);
        assert_eq!(HeapId::TrustedUi as u32, 2);
        assert_eq!(HeapId::SecureVideoRecord as u32, 3);
        assert_eq!(HeapId::CryptoKey as u32, 4);
    }

    /// `Version::has_gen_caps()` wants all the bits.
    #[test]
    fn version_caps() {
        let v = Version {
            impl_id: impl_id::OPTEE,
            impl_caps: 0,
            gen_caps: gen_caps::GP | gen_caps::REG_MEM,
        };
        assert!(v.has_gen_caps(gen_caps::GP));
        assert!(v.has_gen_caps(gen_caps::GP | gen_caps::REG_MEM));
        assert!(!v.has_gen_caps(gen_caps::GP | gen_caps::MEMREF_NULL));
    }
}
