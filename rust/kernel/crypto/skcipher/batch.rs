// SPDX-License-Identifier: GPL-2.0

//! Batches of skcipher requests submitted together, for tests and benchmarks
//! (`CONFIG_RUST_CRYPTO_TEST_API`).

use super::Tfm;
use crate::{
    bindings,
    error::to_result,
    prelude::*,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    types::Opaque, //
};
use core::{
    ffi::c_void,
    ptr::NonNull, //
};

/// What the callback of a request was told.
struct Done {
    /// Completed when the request ends.
    wait: Opaque<bindings::crypto_wait>,
    /// How many times the callback was called with the request's end (a status other than
    /// `-EINPROGRESS`): once for a request that went asynchronous, never for one that finished
    /// at once.
    ends: Atomic<u32>,
}

/// The callback of every request of a batch: counts the ends, then does what
/// `crypto_req_done()` does.
///
/// # Safety
///
/// `data` points to the [`Done`] of a live [`Slot`].
unsafe extern "C" fn request_done(data: *mut c_void, err: c_int) {
    // SAFETY: By the safety requirements, `data` points to a live `Done`.
    let done = unsafe { &*data.cast::<Done>() };
    if err != EINPROGRESS.to_errno() {
        done.ends.fetch_add(1, Relaxed);
    }
    // SAFETY: `wait` was set up with `crypto_init_wait()`; the slot lives until the waiter,
    // woken here, has seen the end.
    unsafe { bindings::crypto_req_done(done.wait.get().cast(), err) };
}

/// How the requests of one [`Batch::wait`] ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ends {
    /// Requests that ended successfully.
    pub ok: usize,
    /// Requests that ended with an error.
    pub errors: usize,
    /// Requests the algorithm put on its backlog (`-EBUSY`), counted in `ok` or `errors` too.
    pub backlogged: usize,
    /// Requests that were backlogged and ended with an error.
    pub backlogged_errors: usize,
    /// Requests whose callback was not told their end exactly once (or was, for a request
    /// that finished at once): a lost or doubly completed request.
    pub not_once: usize,
    /// The first error.
    pub first_error: Option<Error>,
}

/// One request of a [`Batch`], with its buffer.
///
/// # Invariants
///
/// `req` is a request of the batch's transformation, owned by the slot, whose callback is
/// [`request_done`] on `done` and whose source and destination are `sg`, which covers `buf`; `iv` is as long as the
/// transformation's IV. The slot is boxed and never moved, since the request points into it.
struct Slot {
    req: NonNull<bindings::skcipher_request>,
    sg: Opaque<bindings::scatterlist>,
    done: Done,
    iv: KVec<u8>,
    buf: KVec<u8>,
    /// What submitting the request returned.
    ret: c_int,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // SAFETY: `req` is owned by the slot by the type invariants, and not in flight:
        // `Batch::run` waits for every request it submits.
        unsafe { bindings::skcipher_request_free(self.req.as_ptr()) };
    }
}

/// A set of requests of one transformation that run together, as the crypto self-tests' and
/// `tcrypt`'s multibuffer tests do: all are submitted, then all are waited for.
///
/// Each request has its own buffer of the same length, in `kmalloc()` memory, processed in place.
pub struct Batch<'a> {
    tfm: &'a Tfm,
    slots: KVec<KBox<Slot>>,
    /// Whether the requests have been submitted and not waited for.
    in_flight: bool,
}

impl<'a> Batch<'a> {
    /// Allocates `n` requests of `tfm` on buffers of `len` bytes, filled with `fill`.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `len` does not fit in a `u32`, or [`ENOMEM`].
    pub fn new(tfm: &'a Tfm, n: usize, len: usize, fill: u8) -> Result<Self> {
        let len_u32 = u32::try_from(len).map_err(|_| EINVAL)?;
        let mut slots = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            // SAFETY: `tfm.ptr` is valid by the type invariants of `Tfm`.
            let req =
                unsafe { bindings::skcipher_request_alloc(tfm.ptr.as_ptr(), GFP_KERNEL.as_raw()) };
            let req = NonNull::new(req).ok_or(ENOMEM)?;
            let slot = KBox::new(
                Slot {
                    req,
                    sg: Opaque::uninit(),
                    done: Done {
                        wait: Opaque::uninit(),
                        ends: Atomic::new(0),
                    },
                    iv: KVec::from_elem(0u8, tfm.iv_size(), GFP_KERNEL)?,
                    buf: KVec::from_elem(fill, len, GFP_KERNEL)?,
                    ret: 0,
                },
                GFP_KERNEL,
            )?;
            // SAFETY:
            // - `slot` is boxed and not moved from here on; `sg` and `wait` are valid for writes.
            // - `buf` is `kmalloc()` memory of `len` bytes, in the linear mapping.
            // - `request_done` gets `done`, which lives as long as the request.
            // - `iv` is as long as the transformation's IV.
            unsafe {
                bindings::sg_init_one(slot.sg.get(), slot.buf.as_ptr().cast(), len_u32);
                bindings::crypto_init_wait(slot.done.wait.get());
                bindings::skcipher_request_set_callback(
                    req.as_ptr(),
                    bindings::CRYPTO_TFM_REQ_MAY_BACKLOG,
                    Some(request_done),
                    core::ptr::from_ref(&slot.done).cast_mut().cast(),
                );
                bindings::skcipher_request_set_crypt(
                    req.as_ptr(),
                    slot.sg.get(),
                    slot.sg.get(),
                    len_u32,
                    slot.iv.as_ptr().cast_mut().cast(),
                );
            }
            // INVARIANT: The request was set up above for the boxed slot.
            slots.push(slot, GFP_KERNEL)?;
        }
        Ok(Self {
            tfm,
            slots,
            in_flight: false,
        })
    }

    /// Returns the transformation of the batch.
    pub fn tfm(&self) -> &Tfm {
        self.tfm
    }

    /// Encrypts (or decrypts, if `!encrypt`) every buffer in place: submits every request, then
    /// waits for each. Must be called in a context that may sleep.
    ///
    /// Returns how many requests the algorithm put on its backlog (`-EBUSY`), which it must
    /// then have completed like the others.
    ///
    /// # Errors
    ///
    /// The first error of a request; all requests have completed when this returns.
    pub fn run(&mut self, encrypt: bool) -> Result<usize> {
        self.submit(encrypt);
        self.wait()
    }

    /// Submits every request, to encrypt (or decrypt, if `!encrypt`) its buffer in place,
    /// without waiting; [`Batch::wait`] waits for them. Does nothing if they are in flight.
    pub fn submit(&mut self, encrypt: bool) {
        if self.in_flight {
            return;
        }
        self.in_flight = true;
        for slot in self.slots.iter_mut() {
            // SAFETY: The request is set up by the type invariants of `Slot`, and not in flight.
            slot.ret = unsafe {
                if encrypt {
                    bindings::crypto_skcipher_encrypt(slot.req.as_ptr())
                } else {
                    bindings::crypto_skcipher_decrypt(slot.req.as_ptr())
                }
            };
        }
    }

    /// Waits for the requests [`Batch::submit`] submitted, and returns how many the algorithm put
    /// on its backlog (`-EBUSY`). Must be called in a context that may sleep.
    ///
    /// # Errors
    ///
    /// The first error of a request; all requests have completed when this returns.
    pub fn wait(&mut self) -> Result<usize> {
        let ends = self.wait_ends();
        match ends.first_error {
            Some(e) => Err(e),
            None => Ok(ends.backlogged),
        }
    }

    /// Waits for the requests [`Batch::submit`] submitted, like [`Batch::wait`], and tells how
    /// each ended. Must be called in a context that may sleep.
    pub fn wait_ends(&mut self) -> Ends {
        let mut ends = Ends::default();
        if !self.in_flight {
            return ends;
        }
        self.in_flight = false;
        for slot in self.slots.iter() {
            let went_async = slot.ret == EINPROGRESS.to_errno() || slot.ret == EBUSY.to_errno();
            let backlogged = slot.ret == EBUSY.to_errno();
            // SAFETY: `wait` is the completion of the request, which was submitted with result
            // `slot.ret`; this waits for it if it is in flight and re-arms the wait.
            let ret = unsafe { bindings::crypto_wait_req(slot.ret, slot.done.wait.get()) };
            // The next run counts again.
            let told = slot.done.ends.xchg(0, Relaxed);
            if told != u32::from(went_async) {
                ends.not_once += 1;
            }
            ends.backlogged += usize::from(backlogged);
            match to_result(ret) {
                Ok(()) => ends.ok += 1,
                Err(e) => {
                    ends.errors += 1;
                    ends.backlogged_errors += usize::from(backlogged);
                    ends.first_error.get_or_insert(e);
                }
            }
        }
        ends
    }

    /// Returns the buffer of request `i`.
    pub fn buf(&self, i: usize) -> Option<&[u8]> {
        if self.in_flight {
            return None;
        }
        self.slots.get(i).map(|s| &s.buf[..])
    }

    /// Returns the buffer of request `i` to write, between runs.
    pub fn buf_mut(&mut self, i: usize) -> Option<&mut [u8]> {
        if self.in_flight {
            return None;
        }
        self.slots.get_mut(i).map(|s| &mut s.buf[..])
    }
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        // The requests are freed with the slots: they must not be in flight.
        let _ = self.wait();
    }
}
