// SPDX-License-Identifier: GPL-2.0

//! Requests of several algorithms in the queues of one engine: [`AnyRequest`] and [`Backlog`].
//!
//! A driver whose hardware serves several algorithms queues their requests together, and
//! completes them from its interrupt without knowing which algorithm each belongs to. An
//! [`AnyRequest`] is an [`AsyncRequest`] whose algorithm's type is erased: completing it runs the
//! algorithm's [`Complete::done`]. A [`Backlog`] holds requests that wait for room in the
//! hardware's queue, linked through their own request area, so that neither completing nor
//! backlogging a request allocates memory: the algorithm can be registered without
//! `CRYPTO_ALG_ALLOCATES_MEMORY`, which dm-crypt requires.

use super::{
    Adapter,
    Algorithm,
    AsyncRequest, //
};
use crate::{
    bindings,
    prelude::*, //
};
use core::{
    marker::PhantomData,
    mem::ManuallyDrop,
    ptr::NonNull, //
};

/// An asynchronous algorithm whose requests can be held as [`AnyRequest`]s.
pub trait Complete: Algorithm {
    /// Completes `req`, which the hardware processed, with `result`: what the mode of operation
    /// needs, such as the output IV, then [`AsyncRequest::complete`].
    ///
    /// May be called from any context, including hard interrupts.
    fn done(req: AsyncRequest<Self>, result: Result);

    /// Submits `req`, which waited on a [`Backlog`], again, now that the hardware may have room.
    /// The algorithm owns the request as in [`Algorithm::encrypt_async`], and calls
    /// [`AsyncRequest::notify_in_progress`] once the hardware accepted it.
    ///
    /// May be called from any context, including hard interrupts.
    fn resume(ctx: &Self::Context, req: AsyncRequest<Self>);
}

/// The operations of an [`AnyRequest`], for one algorithm.
struct Ops {
    /// Completes the request with the result.
    done: unsafe fn(NonNull<bindings::skcipher_request>, Result),
    /// Submits the request again.
    resume: unsafe fn(NonNull<bindings::skcipher_request>),
}

/// The [`Ops`] of the algorithm `T`.
struct OpsOf<T>(PhantomData<T>);

impl<T: Complete> OpsOf<T> {
    const OPS: Ops = Ops {
        done: Self::done,
        resume: Self::resume,
    };

    /// Turns `ptr` back into the request of `T` it was made from.
    ///
    /// # Safety
    ///
    /// `ptr` must come from an [`AnyRequest`] made from an [`AsyncRequest<T>`], which is
    /// consumed.
    unsafe fn request(ptr: NonNull<bindings::skcipher_request>) -> AsyncRequest<T> {
        // SAFETY: By the safety requirements, the request area holds a header, written by
        // `Adapter::crypt_async`.
        let entries = unsafe { (*Header::of(ptr.as_ptr())).entries };
        // INVARIANT: By the safety requirements the request was owned by an `AsyncRequest<T>`,
        // whose ownership passed to the `AnyRequest`, which is consumed.
        AsyncRequest {
            ptr,
            entries,
            _p: PhantomData,
        }
    }

    /// # Safety
    ///
    /// As for [`OpsOf::request`].
    unsafe fn done(ptr: NonNull<bindings::skcipher_request>, result: Result) {
        // SAFETY: Guaranteed by the safety requirements of this function.
        T::done(unsafe { Self::request(ptr) }, result);
    }

    /// # Safety
    ///
    /// As for [`OpsOf::request`].
    unsafe fn resume(ptr: NonNull<bindings::skcipher_request>) {
        // SAFETY: Guaranteed by the safety requirements of this function.
        let req = unsafe { Self::request(ptr) };
        // SAFETY: The request belongs to a transformation of `T`, which outlives its requests
        // and whose context `init_callback` initialized; operations only get shared references
        // to it.
        let ctx = unsafe { &*Adapter::<T>::ctx(bindings::crypto_skcipher_reqtfm(ptr.as_ptr())) };
        T::resume(ctx, req);
    }
}

/// What the crypto abstraction keeps in the request area of an asynchronous request, before the
/// algorithm's [`Algorithm::RequestContext`].
pub(super) struct Header {
    /// The scatterlist entries that hold the `cryptlen` bytes of the source and destination.
    pub(super) entries: (usize, usize),
    /// The operations of the algorithm while the request is on a [`Backlog`]; null before.
    ops: *const Ops,
    /// The next request on the [`Backlog`] the request is on.
    next: Option<NonNull<bindings::skcipher_request>>,
}

impl Header {
    /// Returns a header for a request whose lists hold `cryptlen` bytes in `entries`.
    pub(super) fn new(entries: (usize, usize)) -> Self {
        Self {
            entries,
            ops: core::ptr::null(),
            next: None,
        }
    }

    /// Returns the header in the request area of `req`.
    ///
    /// # Safety
    ///
    /// `req` must be a valid request of a transformation of an asynchronous algorithm
    /// registered by this abstraction.
    pub(super) unsafe fn of(req: *mut bindings::skcipher_request) -> *mut Self {
        // SAFETY: `req` is valid by the safety requirements; `init_callback` sized the area for
        // a `RequestArea`, whose first field is the header.
        unsafe { bindings::skcipher_request_ctx(req) }.cast()
    }
}

/// The request area (`reqsize`) of an asynchronous request.
#[repr(C)]
pub(super) struct RequestArea<C> {
    /// The abstraction's part.
    pub(super) header: Header,
    /// The algorithm's part.
    pub(super) ctx: C,
}

/// A request an asynchronous algorithm owns until it completes it, whose algorithm's type is
/// erased: what an engine serving several algorithms holds.
///
/// Whoever holds it must eventually call [`AnyRequest::complete`] or [`AnyRequest::resume`];
/// dropping it completes the request with [`ECANCELED`].
///
/// # Invariants
///
/// `ptr` is a request owned as by an [`AsyncRequest<T>`] for an algorithm `T` that implements
/// [`Complete`], and `ops` are the operations of `T`.
pub struct AnyRequest {
    ptr: NonNull<bindings::skcipher_request>,
    ops: &'static Ops,
}

// SAFETY: The request may be processed and completed from any context, as an `AsyncRequest`.
unsafe impl Send for AnyRequest {}

impl<T: Complete> From<AsyncRequest<T>> for AnyRequest {
    fn from(req: AsyncRequest<T>) -> Self {
        // The ownership of the request, and of its context, passes to the new object.
        let req = ManuallyDrop::new(req);
        // INVARIANT: The request belongs to `T` (type invariants of `AsyncRequest`).
        Self {
            ptr: req.ptr,
            ops: &OpsOf::<T>::OPS,
        }
    }
}

impl AnyRequest {
    /// Returns the request and the operations of its algorithm, and consumes `self`.
    fn into_raw(self) -> (NonNull<bindings::skcipher_request>, &'static Ops) {
        let this = ManuallyDrop::new(self);
        (this.ptr, this.ops)
    }

    /// Completes the request with `result`, through its algorithm's [`Complete::done`].
    ///
    /// May be called from any context, including hard interrupts.
    pub fn complete(self, result: Result) {
        let (ptr, ops) = self.into_raw();
        // SAFETY: `ptr` and `ops` come from an `AnyRequest` made from a request of the algorithm
        // of `ops`, which is consumed.
        unsafe { (ops.done)(ptr, result) };
    }

    /// Submits the request again, through its algorithm's [`Complete::resume`].
    pub fn resume(self) {
        let (ptr, ops) = self.into_raw();
        // SAFETY: As in `complete`.
        unsafe { (ops.resume)(ptr) };
    }

    /// Tells the user that the request, which was backlogged, is now being processed.
    pub fn notify_in_progress(&self) {
        // SAFETY: `ptr` is valid and not completed by the type invariants; a `-EINPROGRESS`
        // completion is the notification for backlogged requests and does not end it.
        unsafe { bindings::skcipher_request_complete(self.ptr.as_ptr(), EINPROGRESS.to_errno()) };
    }
}

impl Drop for AnyRequest {
    fn drop(&mut self) {
        // SAFETY: As in `complete`; `self` is not used any more.
        unsafe { (self.ops.done)(self.ptr, Err(ECANCELED)) };
    }
}

/// Requests waiting for room in the hardware's queues, oldest first.
///
/// The requests are linked through their request areas, so that holding them allocates nothing.
/// Dropping the backlog completes the requests on it with [`ECANCELED`]; a driver that holds it
/// under a lock takes it out first ([`core::mem::take`]), since a completion may submit again.
///
/// # Invariants
///
/// `head` is the first of `len` requests linked through the `next` of their `Header`s, the
/// last of which is `tail`; each is owned by the backlog as by an [`AnyRequest`] whose `ops` are
/// the `ops` of its header.
#[derive(Default)]
pub struct Backlog {
    head: Option<NonNull<bindings::skcipher_request>>,
    tail: Option<NonNull<bindings::skcipher_request>>,
    len: usize,
}

// SAFETY: The backlog owns its requests, which may be processed and completed from any context.
unsafe impl Send for Backlog {}

impl Backlog {
    /// Returns an empty backlog.
    pub const fn new() -> Self {
        Self {
            head: None,
            tail: None,
            len: 0,
        }
    }

    /// Returns the number of requests on the backlog.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Returns whether the backlog is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Puts `req` last on the backlog.
    pub fn push_back(&mut self, req: AnyRequest) {
        let (ptr, ops) = req.into_raw();
        // SAFETY: The request is valid (type invariants of `AnyRequest`) and now owned by the
        // backlog, so nothing else accesses its header.
        unsafe {
            let header = Header::of(ptr.as_ptr());
            (*header).ops = ops;
            (*header).next = None;
        }
        match self.tail {
            // SAFETY: `tail` is a request on the backlog (type invariants).
            Some(tail) => unsafe { (*Header::of(tail.as_ptr())).next = Some(ptr) },
            None => self.head = Some(ptr),
        }
        // INVARIANT: `ptr` was linked after the old last request, or is the only one.
        self.tail = Some(ptr);
        self.len += 1;
    }

    /// Puts `req` first on the backlog, for a request taken from it that still finds no room.
    pub fn push_front(&mut self, req: AnyRequest) {
        let (ptr, ops) = req.into_raw();
        // SAFETY: As in `push_back`.
        unsafe {
            let header = Header::of(ptr.as_ptr());
            (*header).ops = ops;
            (*header).next = self.head;
        }
        if self.tail.is_none() {
            self.tail = Some(ptr);
        }
        // INVARIANT: `ptr` was linked before the old first request, or is the only one.
        self.head = Some(ptr);
        self.len += 1;
    }

    /// Takes the first request off the backlog.
    pub fn pop_front(&mut self) -> Option<AnyRequest> {
        let ptr = self.head?;
        // SAFETY: `head` is a request on the backlog (type invariants), whose header holds the
        // operations of its algorithm.
        let (next, ops) = unsafe {
            let header = Header::of(ptr.as_ptr());
            ((*header).next.take(), &*(*header).ops)
        };
        self.head = next;
        if next.is_none() {
            self.tail = None;
        }
        self.len -= 1;
        // INVARIANT: The backlog owned the request as an `AnyRequest` with `ops` does, and gives
        // it up.
        Some(AnyRequest { ptr, ops })
    }
}

impl Drop for Backlog {
    fn drop(&mut self) {
        while let Some(req) = self.pop_front() {
            req.complete(Err(ECANCELED));
        }
    }
}
