// SPDX-License-Identifier: GPL-2.0

//! The callbacks of the virtqueues and the backlog of the data queues.

use super::request::Request;
#[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
use kernel::sync::atomic::{
    Atomic,
    Relaxed, //
};
use kernel::{
    prelude::*,
    sync::SpinLockIrq,
    virtio::{
        self,
        AddError,
        Queue, //
    }, //
};

/// Requests waiting for room in a data queue.
pub(super) struct Backlog {
    /// The requests, with the index of their queue, oldest first.
    pub(super) reqs: KVec<(usize, KBox<Request>)>,
    /// Set when the device is being unbound: nothing is added any more.
    pub(super) closed: bool,
}

/// The callbacks of the device's virtqueues, and the backlog of the data queues.
#[pin_data]
pub(crate) struct QueueHandler {
    /// The backlog.
    #[pin]
    pub(super) backlog: SpinLockIrq<Backlog>,
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

    /// Moves the backlogged requests of `queue` to it, as long as there is room.
    pub(super) fn resubmit(&self, queue: &Queue<Request>) {
        let mut backlog = self.backlog.lock();
        let mut added = false;
        let mut vq = queue.lock();
        while let Some(pos) = backlog.reqs.iter().position(|(q, _)| *q == queue.index()) {
            if !self.has_room(&vq, backlog.reqs[pos].1.descriptors) {
                break;
            }
            let Ok((index, mut req)) = backlog.reqs.remove(pos) else {
                break;
            };
            req.started();
            match vq.add_sgs(req, GFP_ATOMIC, Request::describe) {
                Ok(()) => added = true,
                // There was room, so only a device that is gone gets here: the request stays on
                // the backlog, which is emptied when the device is unbound. (A request is not
                // dropped here: its completion may submit again, which takes these locks.)
                Err(AddError { request, .. }) => {
                    if let Err(e) = backlog.reqs.insert_within_capacity(pos, (index, request)) {
                        // Not reachable: an entry was just removed.
                        drop(e);
                    }
                    break;
                }
            }
        }
        if added {
            vq.kick();
        }
    }
}

impl virtio::Handler for QueueHandler {
    type Request = Request;

    fn callback(&self, queue: &Queue<Request>) {
        queue.drain(Request::complete);
        self.resubmit(queue);
    }
}
