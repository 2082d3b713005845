// SPDX-License-Identifier: GPL-2.0

//! TEE backend drivers: the side of the TEE subsystem that serves clients.
//!
//! A TEE backend driver implements [`Driver`] and registers a TEE device with
//! [`Registration::new`]. The TEE core then creates `/dev/teeN` and routes the sessions and
//! commands of its clients, user space through the ioctls and kernel drivers through
//! [`Context`](super::Context), to the driver.
//!
//! The registration also provides the device with a pool of kernel shared memory, so that clients
//! can allocate shared memory the CPU can access ([`Context::alloc_shm`]), and can register
//! protected memory heaps ([`Registration::register_protmem_heap`]) backed by a
//! [`ProtmemPool`].
//!
//! The parameters of a request reach the driver as [`Params`]. The TEE core checks the memory
//! references of user space against their shared memory but hands those of kernel clients over
//! unchecked, so [`Params::memref`] checks every memory reference again: a reference outside its
//! shared memory is refused with [`EINVAL`], which a driver reports as
//! [`result::BAD_PARAMETERS`].
//!
//! C header: [`include/linux/tee_core.h`](srctree/include/linux/tee_core.h)
//!
//! [`Context::alloc_shm`]: super::Context::alloc_shm

use super::{
    param::{
        check_bounds,
        Value, //
    },
    protmem::{
        ProtmemPool,
        ProtmemPoolAdapter, //
    },
    HeapId,
    Uuid,
    Version, //
};
use crate::{
    bindings,
    device::Device,
    error::{
        from_err_ptr,
        to_result,
        VTABLE_DEFAULT_ERROR, //
    },
    prelude::*,
    sync::Arc,
    types::Opaque,
    ThisModule, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

/// GlobalPlatform result codes a TEE returns to its clients (`TEEC_*`, `TEE_*`).
///
/// [`super::result_to_error`] maps them to errors on the client side.
pub mod result;

/// Where a result code comes from (`TEEC_ORIGIN_*`).
pub mod origin {
    /// The communication between the normal and the secure world.
    pub const COMMS: u32 = 2;
    /// The TEE itself.
    pub const TEE: u32 = 3;
    /// The Trusted Application.
    pub const TRUSTED_APP: u32 = 4;
}

/// Login methods of clients (`TEE_IOCTL_LOGIN_*`).
pub mod login {
    /// No login data.
    pub const PUBLIC: u32 = crate::bindings::TEE_IOCTL_LOGIN_PUBLIC;
    /// A kernel client. The TEE core refuses this method for user space.
    pub const REE_KERNEL: u32 = crate::bindings::TEE_IOCTL_LOGIN_REE_KERNEL;
}

/// The result code and origin a TEE returns for a request it refused or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// A result code other than [`result::SUCCESS`].
    pub code: u32,
    /// Where the failure comes from, one of [`origin`].
    pub origin: u32,
}

impl Failure {
    /// A failure of the Trusted Application with `code`.
    pub const fn ta(code: u32) -> Self {
        Self {
            code,
            origin: origin::TRUSTED_APP,
        }
    }

    /// A failure of the TEE with `code`.
    pub const fn tee(code: u32) -> Self {
        Self {
            code,
            origin: origin::TEE,
        }
    }
}

/// Identifies the client context of a request.
///
/// Unique among the contexts that are open on the device; it may be reused once the driver's
/// [`Driver::release`] was called for the context.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientId(usize);

impl ClientId {
    fn from_raw(ctx: *mut bindings::tee_context) -> Self {
        Self(ctx as usize)
    }
}

/// A TEE backend driver.
#[vtable]
pub trait Driver: Send + Sync + 'static {
    /// Returns the version data of the TEE, reported to clients.
    fn version(&self) -> Version;

    /// Opens a session of `client` to the Trusted Application `uuid` with the login method
    /// `login`, one of [`login`], and returns the session id.
    fn open_session(
        &self,
        client: ClientId,
        login: u32,
        uuid: &Uuid,
        params: &mut Params<'_>,
    ) -> core::result::Result<u32, Failure>;

    /// Closes the session `session` of `client`.
    fn close_session(&self, client: ClientId, session: u32) -> Result;

    /// Invokes the command `func` in the session `session` of `client`.
    fn invoke(
        &self,
        client: ClientId,
        session: u32,
        func: u32,
        params: &mut Params<'_>,
    ) -> core::result::Result<(), Failure>;

    /// Releases what the driver holds for `client`, whose context is going away; its sessions
    /// are not closed by the TEE core.
    fn release(&self, _client: ClientId) {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The parameter types of [`Params`] (`TEE_IOCTL_PARAM_ATTR_TYPE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    /// The parameter is not used.
    None,
    /// A value from the client.
    ValueInput,
    /// A value to the client.
    ValueOutput,
    /// A value in both directions.
    ValueInout,
    /// Memory the TEE reads.
    MemrefInput,
    /// Memory the TEE writes.
    MemrefOutput,
    /// Memory the TEE reads and writes.
    MemrefInout,
    /// A type this module does not support (user buffers, object references).
    Unsupported,
}

impl ParamType {
    fn from_attr(attr: u64) -> Self {
        match (attr & u64::from(bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MASK)) as u32 {
            bindings::TEE_IOCTL_PARAM_ATTR_TYPE_NONE => Self::None,
            bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT => Self::ValueInput,
            bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT => Self::ValueOutput,
            bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INOUT => Self::ValueInout,
            bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT => Self::MemrefInput,
            bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT => Self::MemrefOutput,
            bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT => Self::MemrefInout,
            _ => Self::Unsupported,
        }
    }
}

/// The parameters of a request to a [`Driver`].
///
/// # Invariants
///
/// Every memory reference parameter in `raw` with a non-NULL `shm` points to shared memory that
/// stays valid for `'a`.
pub struct Params<'a> {
    raw: &'a mut [bindings::tee_param],
}

impl<'a> Params<'a> {
    /// Creates the parameters from the array the TEE core passes to a driver.
    ///
    /// # Safety
    ///
    /// `raw` must point to `num` parameters, valid and exclusively ours for `'a`, whose memory
    /// references point to shared memory that stays valid for `'a`.
    unsafe fn from_raw(raw: *mut bindings::tee_param, num: usize) -> Self {
        let raw = if num == 0 || raw.is_null() {
            &mut []
        } else {
            // SAFETY: By the safety requirements `raw` points to `num` parameters exclusively
            // ours for `'a`.
            unsafe { core::slice::from_raw_parts_mut(raw, num) }
        };
        // INVARIANT: By the safety requirements the shared memory of the references stays valid.
        Self { raw }
    }

    /// Creates parameters over `raw`, for tests of drivers.
    ///
    /// # Safety
    ///
    /// Every memory reference parameter in `raw` with a non-NULL `shm` must point to shared
    /// memory that stays valid for `'a`.
    pub unsafe fn from_slice(raw: &'a mut [bindings::tee_param]) -> Self {
        // INVARIANT: By the safety requirements the shared memory of the references stays valid.
        Self { raw }
    }

    /// Returns the number of parameters.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Returns whether there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Returns the type of parameter `i`, [`ParamType::None`] past the last one.
    pub fn param_type(&self, i: usize) -> ParamType {
        self.raw
            .get(i)
            .map_or(ParamType::None, |p| ParamType::from_attr(p.attr))
    }

    /// Checks that the parameters have exactly the types `types`, the check a Trusted Application
    /// does first; parameters past `types` must be unused.
    pub fn check_types(&self, types: &[ParamType]) -> Result {
        for i in 0..self.raw.len().max(types.len()) {
            let want = types.get(i).copied().unwrap_or(ParamType::None);
            if self.param_type(i) != want {
                return Err(EINVAL);
            }
        }
        Ok(())
    }

    /// Returns the value of parameter `i`, which must be a value input.
    pub fn value(&self, i: usize) -> Result<Value> {
        match self.param_type(i) {
            ParamType::ValueInput | ParamType::ValueInout => {
                let v = &self.raw[i].u;
                // SAFETY: The type of the parameter says the union holds a value.
                let v = unsafe { v.value };
                Ok(Value {
                    a: v.a,
                    b: v.b,
                    c: v.c,
                })
            }
            _ => Err(EINVAL),
        }
    }

    /// Sets the value of parameter `i`, which must be a value output.
    pub fn set_value(&mut self, i: usize, value: Value) -> Result {
        match self.param_type(i) {
            ParamType::ValueOutput | ParamType::ValueInout => {
                self.raw[i].u.value = bindings::tee_param_value {
                    a: value.a,
                    b: value.b,
                    c: value.c,
                };
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    /// Returns the memory reference of parameter `i`.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if the parameter is not a memory reference, has no shared memory, or its
    /// `offset + size` overflows or exceeds the size of the shared memory.
    pub fn memref(&self, i: usize) -> Result<MemRefArg<'a>> {
        match self.param_type(i) {
            ParamType::MemrefInput | ParamType::MemrefOutput | ParamType::MemrefInout => {}
            _ => return Err(EINVAL),
        }
        // SAFETY: The type of the parameter says the union holds a memory reference.
        let m = unsafe { self.raw[i].u.memref };
        let shm = NonNull::new(m.shm).ok_or(EINVAL)?;
        // SAFETY: By the type invariants the shared memory of a reference is valid for `'a`.
        let shm = unsafe { SharedMem::from_raw(shm.as_ptr()) };
        check_bounds(m.shm_offs, m.size, shm.size())?;
        Ok(MemRefArg {
            shm,
            offset: m.shm_offs,
            size: m.size,
        })
    }

    /// Sets the size of the output memory reference `i`, the number of bytes the TEE wrote or, for
    /// [`result::SHORT_BUFFER`], needs.
    pub fn set_memref_size(&mut self, i: usize, size: usize) -> Result {
        match self.param_type(i) {
            ParamType::MemrefOutput | ParamType::MemrefInout => {
                // Writing a field of the union is safe; the type of the parameter says the union
                // holds a memory reference, of which only the size changes.
                self.raw[i].u.memref.size = size;
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
}

/// A memory reference parameter: `size` bytes at `offset` of shared memory.
///
/// # Invariants
///
/// `offset + size` does not overflow and is at most the size of `shm`.
#[derive(Clone, Copy)]
pub struct MemRefArg<'a> {
    /// The shared memory.
    pub shm: &'a SharedMem,
    /// The offset of the range in the shared memory.
    pub offset: usize,
    /// The size of the range.
    pub size: usize,
}

/// Shared memory as a TEE driver sees it, `struct tee_shm`.
///
/// # Invariants
///
/// The object is a valid `struct tee_shm`.
#[repr(transparent)]
pub struct SharedMem(Opaque<bindings::tee_shm>);

impl SharedMem {
    /// Creates a reference to the shared memory `shm`.
    ///
    /// # Safety
    ///
    /// `shm` must be valid shared memory for `'a`.
    unsafe fn from_raw<'a>(shm: *mut bindings::tee_shm) -> &'a Self {
        // SAFETY: `SharedMem` is a transparent wrapper of `struct tee_shm`, valid by the safety
        // requirements.
        unsafe { &*shm.cast() }
    }

    fn raw(&self) -> &bindings::tee_shm {
        // SAFETY: By the type invariants the object is valid; the fields read through this
        // reference don't change while a request that refers to it is served.
        unsafe { &*self.0.get() }
    }

    /// Returns the size of the shared memory.
    pub fn size(&self) -> usize {
        self.raw().size
    }

    /// Returns whether the shared memory is a registered dma-buf, such as protected memory.
    pub fn is_dma_buf(&self) -> bool {
        self.raw().flags & bindings::TEE_SHM_DMA_BUF != 0
    }

    /// Returns the physical address of a registered dma-buf, which its protected memory pool set
    /// when it was registered.
    pub fn dma_buf_phys(&self) -> Result<bindings::phys_addr_t> {
        if !self.is_dma_buf() {
            return Err(EINVAL);
        }
        Ok(self.raw().paddr)
    }

    /// Returns the kernel address of the memory if the CPU may access it through the kernel
    /// mapping: memory of kernel clients, not of user space and not dma-bufs.
    fn kernel_ptr(&self) -> Result<*mut u8> {
        let raw = self.raw();
        if raw.flags & (bindings::TEE_SHM_USER_MAPPED | bindings::TEE_SHM_DMA_BUF) != 0
            || raw.kaddr.is_null()
        {
            return Err(EINVAL);
        }
        Ok(raw.kaddr.cast())
    }

    /// Copies `buf.len()` bytes at `offset` of kernel shared memory into `buf`.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if the range is outside the shared memory or the CPU has no kernel access to it
    /// (user space memory, dma-bufs).
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        check_bounds(offset, buf.len(), self.size())?;
        let ptr = self.kernel_ptr()?;
        // SAFETY: The range is within the shared memory, which is kernel memory mapped at `ptr`
        // for `size()` bytes; the client may write it concurrently, a byte copy tolerates that.
        unsafe { core::ptr::copy_nonoverlapping(ptr.add(offset), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copies `data` to `offset` of kernel shared memory.
    ///
    /// # Errors
    ///
    /// As for [`SharedMem::read`].
    pub fn write(&self, offset: usize, data: &[u8]) -> Result {
        check_bounds(offset, data.len(), self.size())?;
        let ptr = self.kernel_ptr()?;
        // SAFETY: As in `read`; the client hands the memory to the TEE for the request.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), ptr.add(offset), data.len()) };
        Ok(())
    }
}

/// The TEE device of a [`Driver`], registered with the TEE subsystem.
///
/// # Invariants
///
/// - `teedev` is a registered TEE device whose driver data is `data` and whose descriptor is
///   `desc`; it is unregistered on drop, which waits until no client uses it any more.
/// - `shm_pool` is the kernel shared memory pool of `teedev`, destroyed after it.
pub struct Registration<T: Driver> {
    teedev: NonNull<bindings::tee_device>,
    desc: KBox<bindings::tee_desc>,
    shm_pool: KBox<bindings::tee_shm_pool>,
    data: Pin<KBox<T>>,
}

// SAFETY: The registration may be dropped on any thread; `T` is `Send`.
unsafe impl<T: Driver> Send for Registration<T> {}

// SAFETY: `&Registration` only gives access to `&T`, which is `Sync`, and to TEE functions that
// may be called concurrently.
unsafe impl<T: Driver> Sync for Registration<T> {}

impl<T: Driver> Registration<T> {
    /// Registers a TEE device, `/dev/teeN`, whose parent is `parent` and whose requests `data`
    /// serves.
    pub fn new(
        name: &'static CStr,
        parent: &Device,
        data: impl PinInit<T, Error>,
        module: &'static ThisModule,
    ) -> Result<Self> {
        let data = KBox::pin_init(data, GFP_KERNEL)?;
        let desc = KBox::new(
            bindings::tee_desc {
                name: name.as_char_ptr(),
                ops: DriverVTable::<T>::build(),
                owner: module.as_ptr(),
                flags: 0,
            },
            GFP_KERNEL,
        )?;
        let shm_pool = KBox::new(
            bindings::tee_shm_pool {
                ops: &SHM_POOL_OPS,
                private_data: core::ptr::null_mut(),
            },
            GFP_KERNEL,
        )?;
        let data_ptr: *const T = &*data;

        // SAFETY: `desc` and `shm_pool` live in allocations that outlive the device (dropped
        // after it is unregistered), `parent` is a valid device, and the driver data `data_ptr`
        // stays valid until the device is unregistered.
        let teedev = from_err_ptr(unsafe {
            bindings::tee_device_alloc(
                &*desc,
                parent.as_raw(),
                core::ptr::from_ref::<bindings::tee_shm_pool>(&shm_pool).cast_mut(),
                data_ptr.cast_mut().cast(),
            )
        })?;

        // SAFETY: `teedev` was just allocated.
        let ret = to_result(unsafe { bindings::tee_device_register(teedev) });
        if let Err(e) = ret {
            // SAFETY: `tee_device_unregister()` frees a device whose registration failed.
            unsafe { bindings::tee_device_unregister(teedev) };
            return Err(e);
        }

        // INVARIANT: `teedev` is registered with `desc`, `shm_pool` and `data`.
        Ok(Self {
            // SAFETY: `from_err_ptr` returned no error, so `teedev` is not NULL.
            teedev: unsafe { NonNull::new_unchecked(teedev) },
            desc,
            shm_pool,
            data,
        })
    }

    /// Returns the driver data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// Registers the protected memory heap for the use case `id`, backed by `pool`.
    ///
    /// The heap holds the pool until its last buffer is freed, which may be after this
    /// registration is dropped.
    pub fn register_protmem_heap<P: ProtmemPool>(&self, id: HeapId, pool: Arc<P>) -> Result {
        let adapter = ProtmemPoolAdapter::alloc_raw(pool)?;
        // SAFETY: `teedev` is registered; `adapter` is a valid pool whose ownership passes to
        // the heap on success.
        let ret = to_result(unsafe {
            bindings::tee_device_register_dma_heap(
                self.teedev.as_ptr(),
                id as bindings::tee_dma_heap_id,
                adapter,
            )
        });
        if ret.is_err() {
            // SAFETY: The heap did not take the pool, so it is still ours.
            unsafe { ProtmemPoolAdapter::<P>::destroy(adapter) };
        }
        ret
    }
}

impl<T: Driver> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `teedev` is registered. This waits until no client uses
        // it, after which no callback runs any more.
        unsafe { bindings::tee_device_unregister(self.teedev.as_ptr()) };
        // `desc`, `shm_pool` and `data` are dropped after the device is gone.
        let _ = (&self.desc, &self.shm_pool);
    }
}

/// Kernel shared memory pool of a backend: page-backed memory, like OP-TEE's dynamic pool.
static SHM_POOL_OPS: bindings::tee_shm_pool_ops = bindings::tee_shm_pool_ops {
    alloc: Some(shm_pool_alloc),
    free: Some(shm_pool_free),
    destroy_pool: Some(shm_pool_destroy),
};

/// # Safety
///
/// Called by the TEE core with a valid `shm` to allocate memory for.
unsafe extern "C" fn shm_pool_alloc(
    _pool: *mut bindings::tee_shm_pool,
    shm: *mut bindings::tee_shm,
    size: usize,
    align: usize,
) -> c_int {
    // SAFETY: `shm` is valid by the safety requirements; no registration with the TEE is needed,
    // the driver reaches kernel memory directly.
    unsafe { bindings::tee_dyn_shm_alloc_helper(shm, size, align, None) }
}

/// # Safety
///
/// Called by the TEE core with a `shm` allocated by `shm_pool_alloc`.
unsafe extern "C" fn shm_pool_free(
    _pool: *mut bindings::tee_shm_pool,
    shm: *mut bindings::tee_shm,
) {
    // SAFETY: `shm` was allocated by `tee_dyn_shm_alloc_helper()`.
    unsafe { bindings::tee_dyn_shm_free_helper(shm, None) }
}

/// The pool is owned by the [`Registration`], which frees it.
/// # Safety
///
/// Called by the TEE core with a pool of ours; nothing to do, the [`Registration`] owns it.
unsafe extern "C" fn shm_pool_destroy(_pool: *mut bindings::tee_shm_pool) {}

/// The `struct tee_driver_ops` of a [`Driver`].
struct DriverVTable<T>(PhantomData<T>);

impl<T: Driver> DriverVTable<T> {
    const VTABLE: bindings::tee_driver_ops = bindings::tee_driver_ops {
        get_version: Some(Self::get_version),
        get_tee_revision: None,
        open: Some(Self::open),
        close_context: None,
        release: Some(Self::release),
        open_session: Some(Self::open_session),
        close_session: Some(Self::close_session),
        system_session: None,
        invoke_func: Some(Self::invoke_func),
        object_invoke_func: None,
        cancel_req: None,
        supp_recv: None,
        supp_send: None,
        shm_register: Some(Self::shm_register),
        shm_unregister: Some(Self::shm_unregister),
    };

    const fn build() -> &'static bindings::tee_driver_ops {
        &Self::VTABLE
    }

    /// Returns the driver data of the device of `teedev`.
    ///
    /// # Safety
    ///
    /// `teedev` must be a device registered by a [`Registration<T>`], not unregistered yet.
    unsafe fn data<'a>(teedev: *mut bindings::tee_device) -> &'a T {
        // SAFETY: By the safety requirements the driver data is the `T` of the registration,
        // which outlives the device.
        unsafe { &*bindings::tee_get_drvdata(teedev).cast::<T>() }
    }

    /// # Safety
    ///
    /// `ctx` must be a valid context of a device registered by a [`Registration<T>`].
    unsafe fn ctx_data<'a>(ctx: *mut bindings::tee_context) -> &'a T {
        // SAFETY: By the safety requirements `ctx` is valid and its device is ours; a context
        // holds a user of the device, so it is not unregistered yet.
        unsafe { Self::data((*ctx).teedev) }
    }

    /// # Safety
    ///
    /// `teedev` must be a device of a [`Registration<T>`] and `vers` valid for writes.
    unsafe extern "C" fn get_version(
        teedev: *mut bindings::tee_device,
        vers: *mut bindings::tee_ioctl_version_data,
    ) {
        // SAFETY: The TEE core calls this for a device of ours.
        let v = unsafe { Self::data(teedev) }.version();
        // SAFETY: `vers` is valid for writes.
        unsafe {
            (*vers).impl_id = v.impl_id;
            (*vers).impl_caps = v.impl_caps;
            (*vers).gen_caps = v.gen_caps;
        }
    }

    /// # Safety
    ///
    /// `ctx` must be a context being opened on a device of a [`Registration<T>`].
    unsafe extern "C" fn open(_ctx: *mut bindings::tee_context) -> c_int {
        0
    }

    /// # Safety
    ///
    /// `ctx` must be a valid context of a device of a [`Registration<T>`].
    unsafe extern "C" fn release(ctx: *mut bindings::tee_context) {
        if T::HAS_RELEASE {
            // SAFETY: The TEE core calls this for a context of ours.
            unsafe { Self::ctx_data(ctx) }.release(ClientId::from_raw(ctx));
        }
    }

    /// # Safety
    ///
    /// `ctx` must be a valid context of a device of a [`Registration<T>`], `arg` valid and
    /// `param` hold `arg.num_params` parameters, as the TEE core passes them.
    unsafe extern "C" fn open_session(
        ctx: *mut bindings::tee_context,
        arg: *mut bindings::tee_ioctl_open_session_arg,
        param: *mut bindings::tee_param,
    ) -> c_int {
        // SAFETY: The TEE core calls this for a context of ours with a valid `arg`.
        let (data, arg) = unsafe { (Self::ctx_data(ctx), &mut *arg) };
        // SAFETY: `param` holds `num_params` parameters for the duration of the call, whose
        // shared memory the TEE core holds references to.
        let mut params = unsafe { Params::from_raw(param, arg.num_params as usize) };
        let uuid = Uuid::from_bytes(arg.uuid);
        match data.open_session(ClientId::from_raw(ctx), arg.clnt_login, &uuid, &mut params) {
            Ok(session) => {
                arg.session = session;
                arg.ret = result::SUCCESS;
                arg.ret_origin = origin::TRUSTED_APP;
            }
            Err(f) => {
                arg.ret = f.code;
                arg.ret_origin = f.origin;
            }
        }
        0
    }

    /// # Safety
    ///
    /// `ctx` must be a valid context of a device of a [`Registration<T>`].
    unsafe extern "C" fn close_session(ctx: *mut bindings::tee_context, session: u32) -> c_int {
        // SAFETY: The TEE core calls this for a context of ours.
        let data = unsafe { Self::ctx_data(ctx) };
        match data.close_session(ClientId::from_raw(ctx), session) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// As for `open_session`.
    unsafe extern "C" fn invoke_func(
        ctx: *mut bindings::tee_context,
        arg: *mut bindings::tee_ioctl_invoke_arg,
        param: *mut bindings::tee_param,
    ) -> c_int {
        // SAFETY: The TEE core calls this for a context of ours with a valid `arg`.
        let (data, arg) = unsafe { (Self::ctx_data(ctx), &mut *arg) };
        // SAFETY: As in `open_session`.
        let mut params = unsafe { Params::from_raw(param, arg.num_params as usize) };
        match data.invoke(ClientId::from_raw(ctx), arg.session, arg.func, &mut params) {
            Ok(()) => {
                arg.ret = result::SUCCESS;
                arg.ret_origin = origin::TRUSTED_APP;
            }
            Err(f) => {
                arg.ret = f.code;
                arg.ret_origin = f.origin;
            }
        }
        0
    }

    /// Registering memory needs no action: the driver reaches kernel memory directly and refuses
    /// user space memory when it is referenced.
    /// # Safety
    ///
    /// Called by the TEE core; the arguments are not used.
    unsafe extern "C" fn shm_register(
        _ctx: *mut bindings::tee_context,
        _shm: *mut bindings::tee_shm,
        _pages: *mut *mut bindings::page,
        _num_pages: usize,
        _start: c_ulong,
    ) -> c_int {
        0
    }

    /// # Safety
    ///
    /// Called by the TEE core; the arguments are not used.
    unsafe extern "C" fn shm_unregister(
        _ctx: *mut bindings::tee_context,
        _shm: *mut bindings::tee_shm,
    ) -> c_int {
        0
    }
}

#[cfg(CONFIG_RUST_TEE_KUNIT_TEST)]
#[macros::kunit_tests(rust_kernel_tee_backend)]
mod tests {
    use super::*;

    /// A parameter of type `attr` referring to `size` bytes at `offset` of `shm`.
    fn memref(
        attr: u32,
        shm: *mut bindings::tee_shm,
        offset: usize,
        size: usize,
    ) -> bindings::tee_param {
        let mut p: bindings::tee_param = pin_init::zeroed();
        p.attr = u64::from(attr);
        p.u.memref = bindings::tee_param_memref {
            shm_offs: offset,
            size,
            shm,
        };
        p
    }

    /// Memory references outside their shared memory are refused, as the TEE core does for user
    /// space; those inside are accepted, and only CPU-accessible memory is read.
    #[test]
    fn memref_bounds() -> Result {
        let mut shm: bindings::tee_shm = pin_init::zeroed();
        shm.size = 4096;
        shm.flags = bindings::TEE_SHM_DMA_BUF;
        shm.paddr = 0x3000_0000;
        let s: *mut bindings::tee_shm = &mut shm;
        let input = bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT;
        let mut raw = [
            memref(input, s, 0, 4096),
            memref(input, s, 4096, 1),
            memref(input, s, 1, 4096),
            memref(input, s, usize::MAX, 2),
            memref(input, core::ptr::null_mut(), 0, 0),
        ];
        // SAFETY: The shared memory of the references is `shm`, which outlives `params`.
        let params = unsafe { Params::from_slice(&mut raw) };

        let m = params.memref(0)?;
        assert_eq!((m.offset, m.size), (0, 4096));
        assert_eq!(m.shm.dma_buf_phys()?, 0x3000_0000);
        // The CPU has no access to a dma-buf.
        assert_eq!(m.shm.read(0, &mut [0u8; 4]), Err(EINVAL));
        for i in 1..5 {
            assert_eq!(params.memref(i).err(), Some(EINVAL));
        }
        // A memory reference is not a value, and the types must match exactly.
        assert_eq!(params.value(0).err(), Some(EINVAL));
        assert_eq!(params.check_types(&[ParamType::MemrefInput]), Err(EINVAL));
        Ok(())
    }

    /// Values are read from inputs and written to outputs only.
    #[test]
    fn values() -> Result {
        let mut raw: [bindings::tee_param; 2] = pin_init::zeroed();
        raw[0].attr = bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT.into();
        raw[0].u.value = bindings::tee_param_value { a: 1, b: 2, c: 3 };
        raw[1].attr = bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_OUTPUT.into();
        // SAFETY: There are no memory references.
        let mut params = unsafe { Params::from_slice(&mut raw) };

        params.check_types(&[ParamType::ValueInput, ParamType::ValueOutput])?;
        assert_eq!(params.value(0)?, Value { a: 1, b: 2, c: 3 });
        assert_eq!(params.value(1).err(), Some(EINVAL));
        let v = Value { a: 4, b: 5, c: 6 };
        assert_eq!(params.set_value(0, v), Err(EINVAL));
        params.set_value(1, v)?;
        assert_eq!(params.param_type(2), ParamType::None);
        // SAFETY: Parameter 1 is a value.
        assert_eq!(unsafe { raw[1].u.value.c }, 6);
        Ok(())
    }
}
