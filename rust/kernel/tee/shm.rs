// SPDX-License-Identifier: GPL-2.0

//! Memory shared with a TEE.
//!
//! C header: [`include/linux/tee_drv.h`](srctree/include/linux/tee_drv.h)

use super::param::check_bounds;
use crate::{
    bindings,
    error::from_err_ptr,
    prelude::*, //
};
use core::ptr::NonNull;

/// Memory shared with a TEE, `struct tee_shm`.
///
/// Created by [`Context::alloc_shm`] (kernel memory the CPU can read and write) or
/// [`Context::register_dma_buf`] (a dma-buf, which the CPU can't access), freed with
/// `tee_shm_free()` when dropped. Commands reach it through [`MemRef`](super::MemRef) parameters
/// of sessions of the same context.
///
/// Shared memory holds a reference to its context and to the TEE device, so it may outlive the
/// [`Context`] it was created in, as shared memory of user space may outlive the file descriptor
/// of the TEE device. This lets a driver keep, for instance, a registered key buffer next to the
/// context in its private data.
///
/// # Invariants
///
/// `shm` is valid shared memory, owned by this object.
///
/// [`Context`]: super::Context
/// [`Context::alloc_shm`]: super::Context::alloc_shm
/// [`Context::register_dma_buf`]: super::Context::register_dma_buf
pub struct Shm {
    /// The shared memory.
    shm: NonNull<bindings::tee_shm>,
}

// SAFETY: Shared memory may be used and freed from any thread.
unsafe impl Send for Shm {}

// SAFETY: The methods that take `&self` only read the shared memory object, whose fields don't
// change after it has been created, and the memory itself (see `Shm::read`).
unsafe impl Sync for Shm {}

impl Shm {
    /// Takes ownership of the shared memory `shm`.
    ///
    /// # Safety
    ///
    /// `shm` must be valid shared memory owned by the caller, whose ownership is transferred to
    /// the returned object.
    pub(super) unsafe fn from_raw_owned(shm: *mut bindings::tee_shm) -> Self {
        // INVARIANT: By the safety requirements `shm` is valid shared memory, owned by the new
        // object.
        Self {
            // SAFETY: By the safety requirements `shm` is valid, hence not NULL.
            shm: unsafe { NonNull::new_unchecked(shm) },
        }
    }

    /// Returns the raw `struct tee_shm` pointer.
    pub fn as_raw(&self) -> *mut bindings::tee_shm {
        self.shm.as_ptr()
    }

    /// Returns whether the shared memory belongs to the context `ctx`.
    ///
    /// `ctx` is only compared, never dereferenced.
    pub(super) fn belongs_to(&self, ctx: *mut bindings::tee_context) -> bool {
        // SAFETY: By the type invariants `self.as_raw()` is valid; its `ctx` doesn't change.
        unsafe { (*self.as_raw()).ctx == ctx }
    }

    /// Returns the size of the shared memory in bytes.
    pub fn size(&self) -> usize {
        // SAFETY: By the type invariants `self.as_raw()` is valid; its size doesn't change.
        unsafe { (*self.as_raw()).size }
    }

    /// Returns whether the CPU can read and write the shared memory.
    ///
    /// This is the case for memory from [`Context::alloc_shm`], not for a registered dma-buf.
    ///
    /// [`Context::alloc_shm`]: super::Context::alloc_shm
    pub fn has_cpu_access(&self) -> bool {
        // SAFETY: By the type invariants `self.as_raw()` is valid; its `kaddr` doesn't change.
        !unsafe { (*self.as_raw()).kaddr }.is_null()
    }

    /// Returns a CPU pointer to `len` bytes of the shared memory at `offset`.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the CPU can't access the memory or the range isn't within it.
    fn cpu_ptr(&self, offset: usize, len: usize) -> Result<*mut u8> {
        if !self.has_cpu_access() {
            return Err(EINVAL);
        }
        check_bounds(offset, len, self.size())?;
        if len == 0 {
            return Ok(NonNull::dangling().as_ptr());
        }

        // SAFETY: By the type invariants `self.as_raw()` is valid.
        let ptr = from_err_ptr(unsafe { bindings::tee_shm_get_va(self.as_raw(), offset) })?;
        Ok(ptr.cast())
    }

    /// Copies `data` into the shared memory at `offset`.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the CPU can't access the memory (a registered dma-buf) or the range
    /// isn't within it.
    pub fn write(&mut self, offset: usize, data: &[u8]) -> Result {
        let dst = self.cpu_ptr(offset, data.len())?;

        // SAFETY: `cpu_ptr()` checked that `data.len()` bytes at `dst` are kernel memory of
        // `self`, which the CPU may write; nothing else in the kernel writes it while `self` is
        // borrowed mutably (memory references borrow it immutably), and it doesn't overlap `data`.
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) };
        Ok(())
    }

    /// Copies the shared memory at `offset` into `buf`.
    ///
    /// The TEE may write the memory during a call that has a memory reference to it; read it
    /// after the call.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the CPU can't access the memory (a registered dma-buf) or the range
    /// isn't within it.
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result {
        let src = self.cpu_ptr(offset, buf.len())?;

        // SAFETY: `cpu_ptr()` checked that `buf.len()` bytes at `src` are kernel memory of
        // `self`, which the CPU may read, and they don't overlap `buf`.
        unsafe { core::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `self.as_raw()` is valid and owned by `self`; no memory
        // reference to it is left, as they borrow `self`. The shared memory holds its own
        // references to its context and TEE device, so they are still valid.
        unsafe { bindings::tee_shm_free(self.as_raw()) };
    }
}
