// SPDX-License-Identifier: GPL-2.0

//! The callbacks of the virtqueues and the backlog of the data queues.

use super::request::Request;
use core::mem::MaybeUninit;
#[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::{
    crypto::skcipher,
    prelude::*,
    sync::SpinLockIrq,
    virtio::{
        self,
        Queue, //
    }, //
};

/// Requests waiting for room in the data queues.
#[derive(Default)]
pub(super) struct Backlog {
    /// The requests, oldest first, linked through themselves.
    pub(super) reqs: skcipher::Backlog,
    /// Set when the device is being unbound: nothing is added any more.
    pub(super) closed: bool,
}

/// The callbacks of the device's virtqueues, the backlog of the data queues, and the requests
/// set aside for them.
#[pin_data]
pub(crate) struct QueueHandler {
    /// The backlog.
    #[pin]
    pub(super) backlog: SpinLockIrq<Backlog>,
    /// The memory of the asynchronous cipher requests, allocated when the device is bound, so
    /// that submitting one allocates nothing; when it is used up, the data queues count as full.
    #[pin]
    pub(super) pool: SpinLockIrq<KVec<KBox<MaybeUninit<Request>>>>,
    /// While set, the data queues have no room: new requests wait on the backlog. Set by the
    /// tests ([`VirtioEngine::hold`]) to exercise the backlog, which the emulated device,
    /// answering each request as it is kicked, never fills otherwise.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    pub(super) held: Atomic<bool>,
    /// If not zero, a data queue has room only while fewer of its descriptors than this are in
    /// use, so that a load fills the backlog ([`VirtioEngine::set_queue_limit`], for the tests).
    ///
    /// [`VirtioEngine::set_queue_limit`]: super::VirtioEngine::set_queue_limit
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    pub(super) limit: Atomic<u32>,
}

impl QueueHandler {
    /// Returns whether `vq` has room for a request of `descriptors` descriptors.
    pub(super) fn has_room(&self, vq: &virtio::Virtqueue<Request>, descriptors: u32) -> bool {
        #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
        if self.held.load(Relaxed) {
            return false;
        }
        #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
        {
            let limit = self.limit.load(Relaxed);
            if limit != 0 && vq.vring_size().saturating_sub(vq.num_free()) >= limit {
                return false;
            }
        }
        // A request longer than the ring fits once the ring is empty, with indirect descriptors.
        vq.num_free() >= descriptors.min(vq.vring_size())
    }

    /// Takes the memory for an asynchronous cipher request; `None` if all of it is in use.
    pub(super) fn take_slot(&self) -> Option<KBox<MaybeUninit<Request>>> {
        self.pool.lock().pop()
    }

    /// Disposes of `req`, which is done or was never queued: the memory of an asynchronous
    /// cipher request goes back to the pool.
    pub(super) fn release(&self, req: KBox<Request>) {
        if !req.pooled {
            return;
        }
        // Dropping the contents completes the request if nobody did, which may submit again: not
        // under the pool's lock.
        self.put_slot(KBox::drop_contents(req));
    }

    /// Puts `slot`, taken with [`QueueHandler::take_slot`], back in the pool.
    pub(super) fn put_slot(&self, slot: KBox<MaybeUninit<Request>>) {
        // There is room: the pool holds at most the requests it was filled with.
        if let Err(e) = self.pool.lock().push_within_capacity(slot) {
            drop(e);
        }
    }

    /// Resumes what waits on the backlog, oldest first, while `queue` has room: each request goes
    /// through its algorithm again ([`Complete::resume`]), which submits it to a data queue with
    /// room, or puts it first on the backlog again.
    ///
    /// [`Complete::resume`]: kernel::crypto::skcipher::Complete::resume
    pub(super) fn resubmit(&self, queue: &Queue<Request>) {
        // At most as many as wait now: one that finds no room again is first on the backlog
        // again, and waits for the next request to be answered.
        let mut waiting = self.backlog.lock().reqs.len();
        while waiting > 0 {
            waiting -= 1;
            let req = {
                let mut backlog = self.backlog.lock();
                let room = self.has_room(&queue.lock(), 1) && !self.pool.lock().is_empty();
                if !room {
                    return;
                }
                backlog.reqs.pop_front()
            };
            // Not under the locks: the algorithm submits the request again, which takes them.
            match req {
                Some(req) => req.resume(),
                None => return,
            }
        }
    }
}

impl virtio::Handler for QueueHandler {
    type Request = Request;

    fn callback(&self, queue: &Queue<Request>) {
        queue.drain(|req, len| self.release(Request::complete(req, len)));
        self.resubmit(queue);
    }
}
