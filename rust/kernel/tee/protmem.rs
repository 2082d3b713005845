// SPDX-License-Identifier: GPL-2.0

//! Protected memory pools of TEE backend drivers.
//!
//! A TEE that protects a range of physical memory from the normal world implements
//! [`ProtmemPool`] for it and registers the pool as the heap of a use case with
//! [`Registration::register_protmem_heap`](super::backend::Registration::register_protmem_heap).
//! Buffers are physically contiguous, a whole number of pages, and described by a single
//! scatterlist entry; nothing here maps them for the CPU.
//!
//! C header: [`include/linux/tee_core.h`](srctree/include/linux/tee_core.h)

use crate::{
    bindings,
    device::Device,
    page::PAGE_SIZE,
    prelude::*,
    sync::Arc, //
};

/// A physical address.
pub type PhysAddr = bindings::phys_addr_t;

/// A pool of protected memory.
pub trait ProtmemPool: Send + Sync + 'static {
    /// Allocates `size` bytes, a non-zero multiple of [`PAGE_SIZE`], of physically contiguous
    /// protected memory and returns its physical address, page aligned.
    ///
    /// # Errors
    ///
    /// [`ENOMEM`] if the pool has no free range of `size` bytes.
    fn alloc(&self, size: usize) -> Result<PhysAddr>;

    /// Frees the `size` bytes at `phys` that [`ProtmemPool::alloc`] returned.
    ///
    /// The pool must make the memory unreadable for the next user, for instance by zeroing it,
    /// before it is handed out again.
    fn free(&self, phys: PhysAddr, size: usize);

    /// Returns whether `dev` may reach the pool's memory with DMA: `Ok(())` to let
    /// `dma_buf_attach()` proceed, or the error it fails with, [`EPERM`] for a device without a
    /// grant.
    fn attach(&self, dev: &Device) -> Result;
}

/// The C pool of a [`ProtmemPool`].
///
/// # Invariants
///
/// `raw.ops` is the vtable of `P`; the object was allocated by [`ProtmemPoolAdapter::alloc_raw`].
#[repr(C)]
pub(super) struct ProtmemPoolAdapter<P: ProtmemPool> {
    raw: bindings::tee_protmem_pool,
    pool: Arc<P>,
}

impl<P: ProtmemPool> ProtmemPoolAdapter<P> {
    const OPS: bindings::tee_protmem_pool_ops = bindings::tee_protmem_pool_ops {
        alloc: Some(Self::alloc),
        free: Some(Self::free),
        update_shm: Some(Self::update_shm),
        destroy_pool: Some(Self::destroy_pool),
        attach: Some(Self::attach),
    };

    /// Allocates the C pool of `pool`, to be handed to the TEE core or freed with
    /// [`ProtmemPoolAdapter::destroy`].
    pub(super) fn alloc_raw(pool: Arc<P>) -> Result<*mut bindings::tee_protmem_pool> {
        let adapter = KBox::new(
            Self {
                raw: bindings::tee_protmem_pool { ops: &Self::OPS },
                pool,
            },
            GFP_KERNEL,
        )?;
        // `raw` is the first field of a `repr(C)` struct.
        Ok(KBox::into_raw(adapter).cast())
    }

    /// Frees a C pool allocated by [`ProtmemPoolAdapter::alloc_raw`].
    ///
    /// # Safety
    ///
    /// `raw` must be a pool allocated by [`ProtmemPoolAdapter::alloc_raw`] with the same `P`, not
    /// used any more.
    pub(super) unsafe fn destroy(raw: *mut bindings::tee_protmem_pool) {
        // SAFETY: By the safety requirements `raw` is the start of a `KBox<Self>`.
        drop(unsafe { KBox::from_raw(raw.cast::<Self>()) });
    }

    /// # Safety
    ///
    /// `raw` must be a pool allocated by [`ProtmemPoolAdapter::alloc_raw`] with the same `P`.
    unsafe fn pool<'a>(raw: *mut bindings::tee_protmem_pool) -> &'a P {
        // SAFETY: By the safety requirements `raw` is the first field of a live `Self`.
        unsafe { &(*raw.cast::<Self>()).pool }
    }

    /// # Safety
    ///
    /// `raw` must be a pool of ours, `sgt` an unused table and `offs` valid for writes.
    unsafe extern "C" fn alloc(
        raw: *mut bindings::tee_protmem_pool,
        sgt: *mut bindings::sg_table,
        size: usize,
        offs: *mut usize,
    ) -> c_int {
        // SAFETY: The TEE core calls the operations of a pool we allocated.
        let pool = unsafe { Self::pool(raw) };
        let Some(len) = size.checked_next_multiple_of(PAGE_SIZE).filter(|l| *l != 0) else {
            return EINVAL.to_errno();
        };
        let Ok(len_u32) = u32::try_from(len) else {
            return ENOMEM.to_errno();
        };
        let phys = match pool.alloc(len) {
            Ok(p) => p,
            Err(e) => return e.to_errno(),
        };
        // SAFETY: `sgt` is an uninitialised table for the buffer.
        let ret = unsafe { bindings::sg_alloc_table(sgt, 1, bindings::GFP_KERNEL) };
        if ret != 0 {
            pool.free(phys, len);
            return ret;
        }
        // SAFETY: `sgt` has one entry; the pool's memory has `struct page`s (the pool checked it
        // is covered by the memory map), and `len` bytes at `phys` are the buffer.
        unsafe {
            let page = bindings::pfn_to_page((phys >> bindings::PAGE_SHIFT) as c_ulong);
            bindings::sg_set_page((*sgt).sgl, page, len_u32, 0);
            *offs = 0;
        }
        0
    }

    /// # Safety
    ///
    /// `raw` must be a pool of ours and `sgt` a table its `alloc` filled.
    unsafe extern "C" fn free(raw: *mut bindings::tee_protmem_pool, sgt: *mut bindings::sg_table) {
        // SAFETY: The TEE core calls the operations of a pool we allocated.
        let pool = unsafe { Self::pool(raw) };
        // SAFETY: `sgt` is the one-entry table `alloc` filled.
        unsafe {
            let sg = (*sgt).sgl;
            pool.free(bindings::sg_phys(sg), (*sg).length as usize);
            bindings::sg_free_table(sgt);
        }
    }

    /// # Safety
    ///
    /// `sgt` must be a table `alloc` filled, `shm` the shared memory being registered for it
    /// and `parent_shm` valid for writes.
    unsafe extern "C" fn update_shm(
        _raw: *mut bindings::tee_protmem_pool,
        sgt: *mut bindings::sg_table,
        _offs: usize,
        shm: *mut bindings::tee_shm,
        parent_shm: *mut *mut bindings::tee_shm,
    ) -> c_int {
        // SAFETY: `sgt` is a table `alloc` filled and `shm` the shared memory being registered
        // for it.
        unsafe {
            (*shm).paddr = bindings::sg_phys((*sgt).sgl);
            *parent_shm = core::ptr::null_mut();
        }
        0
    }

    /// # Safety
    ///
    /// `raw` must be a pool of ours, not used after this.
    unsafe extern "C" fn destroy_pool(raw: *mut bindings::tee_protmem_pool) {
        // SAFETY: The heap destroys the pool it was given once, after its last buffer is freed.
        unsafe { Self::destroy(raw) };
    }

    /// # Safety
    ///
    /// `raw` must be a pool of ours and `dev` a valid device.
    unsafe extern "C" fn attach(
        raw: *mut bindings::tee_protmem_pool,
        dev: *mut bindings::device,
    ) -> c_int {
        // SAFETY: The TEE core calls the operations of a pool we allocated.
        let pool = unsafe { Self::pool(raw) };
        // SAFETY: `dev` is the valid device being attached.
        let dev = unsafe { Device::from_raw(dev) };
        match pool.attach(dev) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}
