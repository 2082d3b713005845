// SPDX-License-Identifier: GPL-2.0

//! Requests as an [`Algorithm`] sees them: [`Request`] while a synchronous operation runs,
//! [`AsyncRequest`] until an asynchronous one completes it.

use super::{
    Algorithm,
    Finished,
    Refused,
    RequestArea, //
};
use crate::{
    alloc::flags::GFP_KERNEL,
    bindings,
    crypto::RequestSg,
    prelude::*, //
};
use core::{
    marker::PhantomData,
    ptr::NonNull, //
};

impl<T: Algorithm> AsyncRequest<T> {
    /// Refuses the request with `error`.
    pub fn refuse(self, error: Error) -> Refused<T> {
        Refused {
            error,
            request: self,
        }
    }
}

/// A request an asynchronous algorithm owns until it completes it.
///
/// It gives the same access to the request as [`Request`]. Whoever holds it must eventually
/// call [`AsyncRequest::complete`] (or [`AsyncRequest::finish`] before giving it back from the
/// operation): the user waits for the completion.
///
/// # Invariants
///
/// `ptr` points to a valid `struct skcipher_request` of a transformation of `T`, accepted by an
/// asynchronous operation of `T` and not completed yet; its buffers and IV are as for
/// [`Request`], and nothing but this object accesses it. Its context area holds an initialized
/// `T::RequestContext`, which this object owns.
pub struct AsyncRequest<T: Algorithm> {
    pub(super) ptr: NonNull<bindings::skcipher_request>,
    /// The scatterlist entries that hold the `cryptlen` bytes of the source and destination.
    pub(super) entries: (usize, usize),
    pub(super) _p: PhantomData<T>,
}

// SAFETY: The request may be processed and completed from any context, which is what the
// asynchronous interface is for.
unsafe impl<T: Algorithm> Send for AsyncRequest<T> {}

impl<T: Algorithm> AsyncRequest<T> {
    /// Returns the context of the request in the `reqsize` area.
    ///
    /// # Safety
    ///
    /// `req` must be a valid request of a transformation of `T`, an asynchronous algorithm.
    pub(super) unsafe fn raw_context(
        req: *mut bindings::skcipher_request,
    ) -> *mut T::RequestContext {
        // SAFETY: `req` is valid by the safety requirements; `init_callback` sized the area of
        // the requests of an asynchronous algorithm for a `RequestArea<T::RequestContext>`.
        unsafe {
            let area = bindings::skcipher_request_ctx(req).cast::<RequestArea<T::RequestContext>>();
            core::ptr::addr_of_mut!((*area).ctx)
        }
    }

    /// Returns the algorithm's context of the request, see [`Algorithm::RequestContext`].
    pub fn context(&mut self) -> &mut T::RequestContext {
        // SAFETY: By the type invariants the request is valid, belongs to `T` and its context is
        // initialized and owned by `self`, which is borrowed mutably for the lifetime of the
        // returned reference.
        unsafe { &mut *Self::raw_context(self.ptr.as_ptr()) }
    }

    /// Returns a view of the request, to read the source, write the destination and update the
    /// IV.
    pub fn request(&mut self) -> Request<'_, T> {
        // INVARIANT: By the type invariants the request is being processed by `T` and only
        // through `self`, which is borrowed for the lifetime of the view.
        Request {
            ptr: self.ptr,
            _p: PhantomData,
        }
    }

    /// Returns the flags of the request (`CRYPTO_TFM_REQ_*`).
    fn flags(&self) -> u32 {
        // SAFETY: `ptr` is valid by the type invariants.
        unsafe { (*self.ptr.as_ptr()).base.flags }
    }

    /// Returns whether the operation may sleep (`CRYPTO_TFM_REQ_MAY_SLEEP`).
    pub fn may_sleep(&self) -> bool {
        self.flags() & bindings::CRYPTO_TFM_REQ_MAY_SLEEP != 0
    }

    /// Returns whether the request may be put on a backlog (`CRYPTO_TFM_REQ_MAY_BACKLOG`).
    pub fn may_backlog(&self) -> bool {
        self.flags() & bindings::CRYPTO_TFM_REQ_MAY_BACKLOG != 0
    }

    /// Returns the allocation flags for work done for the request before it is queued.
    pub fn gfp(&self) -> crate::alloc::Flags {
        if self.may_sleep() {
            GFP_KERNEL
        } else {
            crate::alloc::flags::GFP_ATOMIC
        }
    }

    /// Tells the user that a backlogged request is now being processed.
    pub fn notify_in_progress(&self) {
        // SAFETY: `ptr` is valid and not completed by the type invariants; a `-EINPROGRESS`
        // completion is the notification for backlogged requests and does not end it.
        unsafe { bindings::skcipher_request_complete(self.ptr.as_ptr(), EINPROGRESS.to_errno()) };
    }

    /// Completes the request with `result`; the user's completion callback runs.
    ///
    /// May be called from any context, including hard interrupts.
    pub fn complete(self, result: Result) {
        let err = match result {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
        let ptr = self.ptr.as_ptr();
        // The context is dropped before the user, who may free the request, gets it back.
        drop(self);
        // SAFETY: `ptr` is valid and not completed by the type invariants of the `AsyncRequest`
        // it came from, which is consumed: the request is completed once.
        unsafe { bindings::skcipher_request_complete(ptr, err) };
    }

    /// Returns the source and the destination scatterlists of the request (the same list for an
    /// in-place request), which hold at least `cryptlen` bytes; `None` for an empty request, whose
    /// lists the crypto API allows to be missing.
    ///
    /// They stay valid, and the user does not access their memory, until the request is
    /// completed: an engine may hand them to a device for DMA as long as it completes the request
    /// only after the device is done with them.
    pub fn sg_lists(&self) -> Option<(RequestSg, RequestSg)> {
        // SAFETY: `ptr` is valid by the type invariants.
        let (src, dst, len) = unsafe {
            let req = self.ptr.as_ptr();
            ((*req).src, (*req).dst, (*req).cryptlen)
        };
        let len = usize::try_from(len).ok().filter(|len| *len > 0)?;
        let (src, dst) = (NonNull::new(src)?, NonNull::new(dst)?);
        let (src_entries, dst_entries) = self.entries;
        // SAFETY: The request is being processed and is not completed (type invariants); the
        // crypto abstraction checked with `sg_nents_for_len()` that the first entries of its
        // lists hold `cryptlen` bytes (`Adapter::check_lengths`), and its user does not touch
        // them until the request is completed.
        Some(unsafe {
            (
                RequestSg::new(src, len, src_entries),
                RequestSg::new(dst, len, dst_entries),
            )
        })
    }

    /// Ends a request that the operation processed synchronously, with success: the operation
    /// returns [`Queued::Done`](super::Queued::Done) and the user's callback is not called.
    pub fn finish(self) -> Finished {
        Finished(())
    }
}

impl<T: Algorithm> Drop for AsyncRequest<T> {
    /// Drops the context of the request; the request itself is completed (or given back to the
    /// crypto API) by whoever dropped `self`.
    fn drop(&mut self) {
        // SAFETY: By the type invariants the context is initialized and owned by `self`, which
        // is not used any more.
        unsafe { core::ptr::drop_in_place(Self::raw_context(self.ptr.as_ptr())) };
    }
}

/// A request to encrypt or decrypt (`struct skcipher_request`) for an algorithm of type `T`.
///
/// # Invariants
///
/// `self.ptr` points to a valid `struct skcipher_request` of a transformation of the algorithm
/// `T`, which is being processed by `T` for the lifetime `'a`: its source and destination hold at
/// least `cryptlen` bytes and, if `T::IV_SIZE` is not zero, its `iv` points to `T::IV_SIZE`
/// bytes the algorithm may read and write.
pub struct Request<'a, T: Algorithm> {
    /// The C request.
    ptr: NonNull<bindings::skcipher_request>,
    /// The request is borrowed for `'a` and belongs to `T`.
    _p: PhantomData<(&'a mut bindings::skcipher_request, T)>,
}

impl<'a, T: Algorithm> Request<'a, T> {
    /// Creates a request view from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `struct skcipher_request` that the crypto API passed to an
    /// operation of the algorithm `T`, and the request must remain valid and not be accessed by
    /// anything else than the returned object for the lifetime `'a`.
    pub(super) unsafe fn from_raw(ptr: *mut bindings::skcipher_request) -> Option<Self> {
        // INVARIANT: The caller guarantees that `ptr` is a request being processed by `T`, the
        // crypto API guarantees the sizes of its buffers and its IV.
        Some(Self {
            ptr: NonNull::new(ptr)?,
            _p: PhantomData,
        })
    }

    /// Returns the number of bytes to process (`cryptlen`).
    pub fn cryptlen(&self) -> usize {
        // SAFETY: `self.ptr` is valid by the type invariants.
        let len = unsafe { (*self.ptr.as_ptr()).cryptlen };
        // CAST: `usize` is at least 32 bits wide on the architectures the kernel supports.
        len as usize
    }

    /// Returns the IV, [`Algorithm::IV_SIZE`] bytes the algorithm may update.
    pub fn iv(&mut self) -> &mut [u8] {
        if T::IV_SIZE == 0 {
            return &mut [];
        }
        // SAFETY: By the type invariants, `iv` points to `T::IV_SIZE` bytes that nothing else
        // accesses while the request is processed; `&mut self` ensures the slice is unique.
        unsafe { core::slice::from_raw_parts_mut((*self.ptr.as_ptr()).iv, T::IV_SIZE as usize) }
    }

    /// Checks that `offset..offset + len` is within the `cryptlen` bytes of the request.
    fn check_range(&self, offset: usize, len: usize) -> Result<(u32, u32)> {
        let end = offset.checked_add(len).ok_or(EINVAL)?;
        if end > self.cryptlen() {
            return Err(EINVAL);
        }
        Ok((
            u32::try_from(offset).map_err(|_| EINVAL)?,
            u32::try_from(len).map_err(|_| EINVAL)?,
        ))
    }

    /// Copies `buf.len()` bytes at `offset` of the source into `buf`.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the range is not within the `cryptlen` bytes of the request.
    pub fn copy_from_src(&self, offset: usize, buf: &mut [u8]) -> Result {
        // SAFETY: `ptr` is valid by the type invariants.
        let src = unsafe { (*self.ptr.as_ptr()).src };
        // SAFETY: By the type invariants, `src` is a valid scatterlist of at least `cryptlen`
        // bytes.
        unsafe { self.copy_from(src, offset, buf) }
    }

    /// Copies `buf.len()` bytes at `offset` of the destination into `buf`, for instance what a
    /// device wrote there.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the range is not within the `cryptlen` bytes of the request.
    pub fn copy_from_dst(&self, offset: usize, buf: &mut [u8]) -> Result {
        // SAFETY: `ptr` is valid by the type invariants.
        let dst = unsafe { (*self.ptr.as_ptr()).dst };
        // SAFETY: By the type invariants, `dst` is a valid scatterlist of at least `cryptlen`
        // bytes.
        unsafe { self.copy_from(dst, offset, buf) }
    }

    /// Copies `buf.len()` bytes at `offset` of `sg` into `buf`.
    ///
    /// # Safety
    ///
    /// `sg` must be a valid scatterlist of at least `cryptlen` bytes of the request.
    unsafe fn copy_from(
        &self,
        sg: *mut bindings::scatterlist,
        offset: usize,
        buf: &mut [u8],
    ) -> Result {
        let (start, nbytes) = self.check_range(offset, buf.len())?;
        if nbytes == 0 {
            return Ok(());
        }
        // SAFETY:
        // - `buf` is valid for writing `nbytes` bytes.
        // - By the safety requirements, `sg` is a valid scatterlist of at least `cryptlen`
        //   bytes, and `start + nbytes <= cryptlen` has been checked.
        unsafe { bindings::memcpy_from_sglist(buf.as_mut_ptr().cast(), sg, start, nbytes) };
        Ok(())
    }

    /// Copies `buf` to the destination at `offset`.
    ///
    /// # Errors
    ///
    /// Returns [`EINVAL`] if the range is not within the `cryptlen` bytes of the request.
    pub fn copy_to_dst(&mut self, offset: usize, buf: &[u8]) -> Result {
        let (start, nbytes) = self.check_range(offset, buf.len())?;
        if nbytes == 0 {
            return Ok(());
        }
        // SAFETY:
        // - `buf` is valid for reading `nbytes` bytes.
        // - By the type invariants, `dst` is a valid scatterlist of at least `cryptlen` bytes
        //   the algorithm may write, and `start + nbytes <= cryptlen` has been checked.
        unsafe {
            bindings::memcpy_to_sglist((*self.ptr.as_ptr()).dst, start, buf.as_ptr().cast(), nbytes)
        };
        Ok(())
    }
}
