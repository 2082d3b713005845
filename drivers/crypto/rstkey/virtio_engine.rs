// SPDX-License-Identifier: GPL-2.0

//! The virtio-crypto device as an [`Engine`].
//!
//! The device has `max_dataqueues` data queues followed by one control queue (VIRTIO 1.2,
//! section 5.9.2). Sessions are created and destroyed on the control queue, one request at a
//! time: the caller sleeps until the control queue's callback has received the device's answer.
//! Cipher operations run on a data queue, for now synchronously in the same way.

use crate::{
    caps::Capabilities,
    engine::{
        Cipher,
        Direction,
        Segment,
        SessionId,
        AES_BLOCK_SIZE, //
    },
    keystore::KeyStore, //
};
use answer::{
    status_to_result,
    Answer, //
};
use core::ptr::NonNull;
use ctrl::CtrlState;
use kernel::{
    device::{
        self,
        Core, //
    },
    dma::DataDirection,
    prelude::*,
    str::CString,
    sync::{
        aref::ARef,
        atomic::{
            Atomic,
            Relaxed, //
        },
        new_mutex,
        new_spinlock_irq,
        Arc,
        Completion,
        Mutex, //
    },
    uapi,
    virtio::{
        self,
        Virtqueues, //
    }, //
};
use queue::{
    Backlog,
    QueueHandler, //
};
use request::{input_len, Done, Input, Mapped, Op, Part, Reply, Request};
use wire::{
    AkcipherDataReq,
    AkcipherOp,
    CipherDataReq,
    InHdr, //
};

mod answer;
mod ctrl;
mod ops;
mod queue;
mod request;
#[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
mod test;
mod wire;

/// The largest number of data queues rstkey sets up.
const MAX_DATA_QUEUES: u32 = 16;

/// The most asynchronous cipher requests on a data queue at once, each in memory set aside when
/// the device is bound; more wait on the backlog.
const MAX_IN_FLIGHT: usize = 256;

/// Counters shown in debugfs.
pub(crate) struct Stats {
    /// Sessions created and not destroyed.
    open_sessions: Atomic<u64>,
    /// Requests submitted to the control queue.
    ctrl_requests: Atomic<u64>,
    /// Requests submitted to the data queues.
    data_requests: Atomic<u64>,
}

impl kernel::debugfs::Writer for Stats {
    fn write(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "open_sessions: {}\nctrl_requests: {}\ndata_requests: {}\n",
            self.open_sessions.load(Relaxed),
            self.ctrl_requests.load(Relaxed),
            self.data_requests.load(Relaxed)
        ))
    }
}

/// The virtio-crypto device as an [`Engine`].
#[pin_data]
pub(crate) struct VirtioEngine {
    /// The data queues followed by the control queue.
    vqs: Virtqueues<QueueHandler>,
    /// The position of the control queue in `vqs`, which is also the number of data queues.
    ctrl_queue: usize,
    /// The data queue for the next asynchronous request, modulo the number of data queues.
    next_queue: Atomic<usize>,
    /// The device that does the DMA of the virtio device, to which key buffers are attached.
    dma_dev: ARef<device::Device>,
    /// Where keys are placed in restricted memory; `None` without a TEE that serves the key
    /// manager.
    keys: Option<KeyStore>,
    /// Serializes control requests; a sender holds it until the device has answered.
    #[pin]
    ctrl: Mutex<CtrlState>,
    /// The ciphers the device offers (`1 << VIRTIO_CRYPTO_CIPHER_*`).
    cipher_mask: u64,
    /// The akcipher algorithms the device offers (`1 << VIRTIO_CRYPTO_AKCIPHER_*`).
    akcipher_mask: u32,
    /// The longest cipher key the device accepts.
    max_cipher_key_len: u32,
    /// The largest request content the device accepts.
    max_size: u64,
    /// Counters.
    stats: Stats,
}

impl VirtioEngine {
    /// Sets up the virtqueues of `vdev` and marks the device ready.
    pub(crate) fn new(vdev: &virtio::Device<Core<'_>>, caps: &Capabilities) -> Result<Arc<Self>> {
        // As the C driver does, a device that reports no data queue still has one.
        let data_queues = caps.max_dataqueues.clamp(1, MAX_DATA_QUEUES);
        if data_queues != caps.max_dataqueues {
            dev_info!(
                vdev,
                "using {data_queues} of {} data queues\n",
                caps.max_dataqueues
            );
        }

        // CAST: At most `MAX_DATA_QUEUES`.
        let ctrl_queue = data_queues as usize;
        let mut names = KVec::with_capacity(ctrl_queue + 1, GFP_KERNEL)?;
        for i in 0..data_queues {
            names.push(CString::try_from_fmt(fmt!("dataq.{i}"))?, GFP_KERNEL)?;
        }
        names.push(CString::try_from(c"controlq")?, GFP_KERNEL)?;

        let dma_dev: &device::Device = vdev.dma_device()?;
        let dma_dev: ARef<device::Device> = dma_dev.into();
        let keys = match KeyStore::new() {
            Ok(k) => Some(k),
            Err(e) => {
                dev_warn!(
                    vdev,
                    "no key manager (error {}): keys can't be kept in restricted memory\n",
                    e.to_errno()
                );
                None
            }
        };

        let vqs = Virtqueues::new(
            vdev,
            names,
            try_pin_init!(QueueHandler {
                backlog <- new_spinlock_irq!(Backlog::default(), "QueueHandler::backlog"),
                pool <- new_spinlock_irq!(KVec::new(), "QueueHandler::pool"),
                #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
                held: Atomic::new(false),
                #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
                limit: Atomic::new(0),
            }? Error),
        )?;
        Self::fill_pool(&vqs)?;
        vdev.ready();

        Arc::pin_init(
            try_pin_init!(Self {
                vqs,
                ctrl_queue,
                next_queue: Atomic::new(0usize),
                dma_dev,
                keys,
                ctrl <- new_mutex!(CtrlState { dead: false }, "VirtioEngine::ctrl"),
                cipher_mask: caps.cipher,
                akcipher_mask: caps.akcipher,
                max_cipher_key_len: caps.max_cipher_key_len,
                max_size: caps.max_size,
                stats: Stats {
                    open_sessions: Atomic::new(0u64),
                    ctrl_requests: Atomic::new(0u64),
                    data_requests: Atomic::new(0u64),
                },
            }? Error),
            GFP_KERNEL,
        )
    }

    /// Sets aside the memory of the asynchronous cipher requests: as many as the data queues
    /// hold at once, at most [`MAX_IN_FLIGHT`] per queue.
    fn fill_pool(vqs: &Virtqueues<QueueHandler>) -> Result {
        let mut slots = 0usize;
        for index in 0..vqs.len().saturating_sub(1) {
            if let Some(queue) = vqs.queue(index) {
                // CAST: A `u32` fits in a `usize` on the architectures the kernel supports.
                slots += (queue.lock().vring_size() as usize).min(MAX_IN_FLIGHT);
            }
        }
        let mut pool = KVec::with_capacity(slots, GFP_KERNEL)?;
        for _ in 0..slots {
            pool.push(KBox::new_uninit(GFP_KERNEL)?, GFP_KERNEL)?;
        }
        *vqs.handler().pool.lock() = pool;
        Ok(())
    }

    /// Returns whether the device offers `cipher`.
    fn offers(&self, cipher: Cipher) -> bool {
        let algo = match cipher {
            Cipher::AesCbc => uapi::VIRTIO_CRYPTO_CIPHER_AES_CBC,
        };
        self.cipher_mask & (1 << algo) != 0
    }

    /// Runs the akcipher operation `op` in session `id` on a data queue and waits for it: `src`
    /// is the source, `digest` the digest to verify a signature against (empty otherwise), both
    /// made of segments, and `dst_len` the size of the destination (0 to verify). Returns the
    /// answer of a request the device completed with success.
    fn akcipher_op(
        &self,
        id: SessionId,
        op: AkcipherOp,
        src: &[Segment<'_>],
        digest: &[Segment<'_>],
        dst_len: usize,
    ) -> Result<Answer> {
        let src_len = u32::try_from(input_len(src)?).map_err(|_| EINVAL)?;
        // The device's destination length of a verification is the digest's.
        let dst_field = if op == AkcipherOp::Verify {
            input_len(digest)?
        } else {
            dst_len
        };
        let dst_field = u32::try_from(dst_field).map_err(|_| EINVAL)?;
        let dst = KVec::from_elem(0u8, dst_len, GFP_KERNEL)?;
        let answer = self.with_inputs(src, digest, |src, digest| {
            self.send(
                self.data_queue(),
                Op::Akcipher {
                    req: AkcipherDataReq::rsa(op, id.0, src_len, dst_field),
                    src,
                    digest,
                    dst,
                    status: InHdr::new(),
                },
            )
        })?;
        status_to_result(answer.status)?;
        Ok(answer)
    }

    /// Turns `a` and `b` into the inputs of a request, and calls `send` with them, which must
    /// wait for the request to be answered or dropped.
    ///
    /// Kernel segments are copied; restricted segments are attached to the device's DMA device
    /// and mapped until `send` returns. The device can't be unbound meanwhile: with a restricted
    /// segment, the control lock is held, and nothing is sent after [`VirtioEngine::shutdown`].
    fn with_inputs(
        &self,
        a: &[Segment<'_>],
        b: &[Segment<'_>],
        send: impl FnOnce(Input, Input) -> Result<Answer>,
    ) -> Result<Answer> {
        let restricted = [a, b]
            .iter()
            .any(|segments| segments.iter().any(|s| matches!(s, Segment::Restricted(_))));
        let state = if restricted {
            let state = self.ctrl.lock();
            if state.dead {
                return Err(ENODEV);
            }
            Some(state)
        } else {
            None
        };
        let dev = state.as_ref().map(|_| {
            // SAFETY: The control lock is held: the device is unbound only after `shutdown()`
            // marked the engine dead under that lock, and the DMA device stays bound for as long
            // as the virtio device is. The reference is not used after the lock is released.
            unsafe { self.dma_dev.as_bound() }
        });
        let mut mappings = KVec::new();
        let mut inputs = [KVec::new(), KVec::new()];
        for (segments, input) in [a, b].into_iter().zip(inputs.iter_mut()) {
            for segment in segments {
                let part = match segment {
                    Segment::Kernel(buf) => {
                        let mut copy = KVec::with_capacity(buf.len(), GFP_KERNEL)?;
                        copy.extend_from_slice(buf, GFP_KERNEL)?;
                        Part::Owned(copy)
                    }
                    Segment::Restricted(r) => {
                        let dev = dev.ok_or(EINVAL)?;
                        let mapping = r.dma_buf().attach(dev)?.map(DataDirection::ToDevice)?;
                        // INVARIANT: `mapping` stays in `mappings` until after `send` returned,
                        // which is after the request has been answered or dropped.
                        let part = Part::Mapped(Mapped {
                            sgt: NonNull::from(&*mapping),
                            offset: r.offset(),
                            len: r.len(),
                        });
                        mappings.push(mapping, GFP_KERNEL)?;
                        part
                    }
                };
                input.push(part, GFP_KERNEL)?;
            }
        }
        let [a, b] = inputs;
        let answer = send(Input::Parts(a), Input::Parts(b));
        drop(mappings);
        drop(state);
        answer
    }

    /// Returns the data queue for the next request.
    fn data_queue(&self) -> usize {
        self.next_queue
            .fetch_add(1, Relaxed)
            .checked_rem(self.ctrl_queue)
            .unwrap_or(0)
    }

    /// Returns whether the device offers RSA with PKCS#1 v1.5 padding.
    fn offers_rsa(&self) -> bool {
        self.akcipher_mask & (1 << uapi::VIRTIO_CRYPTO_AKCIPHER_RSA) != 0
    }

    /// Returns the number of sessions created and not destroyed yet.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    pub(crate) fn open_sessions(&self) -> u64 {
        self.stats.open_sessions.load(Relaxed)
    }

    /// While `held`, sends no request to the data queues: they wait on the backlog (or fail
    /// with [`ENOSPC`] if they may not). Releasing the hold moves the backlog to the queues.
    /// For the tests of the backlog only.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    pub(crate) fn hold(&self, held: bool) {
        self.vqs.handler().held.store(held, Relaxed);
        if !held {
            self.resubmit_all();
        }
    }

    /// Lets each data queue have at most `limit` descriptors in use (none if zero), so that
    /// a load of the tests fills the backlog; the emulated device answers each request as it
    /// is kicked, and the queues otherwise never fill.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    pub(crate) fn set_queue_limit(&self, limit: u32) {
        self.vqs.handler().limit.store(limit, Relaxed);
        self.resubmit_all();
    }

    /// Returns the limit [`VirtioEngine::set_queue_limit`] set.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    pub(crate) fn queue_limit(&self) -> u32 {
        self.vqs.handler().limit.load(Relaxed)
    }

    /// Moves what waits on the backlog to the data queues, as far as they have room.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    fn resubmit_all(&self) {
        let handler = self.vqs.handler();
        for index in 0..self.ctrl_queue {
            if let Some(queue) = self.vqs.queue(index) {
                handler.resubmit(queue);
            }
        }
    }

    /// Returns the counters.
    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Stops sending requests, after the one in flight (if any) has been answered.
    ///
    /// Called when the device is unbound, before it is reset.
    pub(crate) fn shutdown(&self) {
        self.ctrl.lock().dead = true;

        // Backlogged requests won't reach the device: they complete with ENODEV, outside the
        // lock, since a completion may submit again.
        let mut reqs = {
            let mut backlog = self.vqs.handler().backlog.lock();
            backlog.closed = true;
            core::mem::take(&mut backlog.reqs)
        };
        while let Some(req) = reqs.pop_front() {
            req.complete(Err(ENODEV));
        }
    }

    /// Sends `op` on queue `index` and waits for the device's answer.
    fn send(&self, index: usize, op: Op) -> Result<Answer> {
        let done = Arc::pin_init(
            pin_init!(Done {
                completion <- Completion::new(),
                answer <- new_spinlock_irq!(None, "Done::answer"),
            }),
            GFP_KERNEL,
        )?;
        let req = KBox::new(
            Request {
                pooled: false,
                op,
                reply: Reply::Wait(done.clone()),
            },
            GFP_KERNEL,
        )?;

        let queue = self.vqs.queue(index).ok_or(ENODEV)?;
        {
            let mut vq = queue.lock();
            vq.add_sgs(req, GFP_ATOMIC, Request::describe)?;
            vq.kick();
        }
        let counter = if index == self.ctrl_queue {
            &self.stats.ctrl_requests
        } else {
            &self.stats.data_requests
        };
        counter.add(1u64, Relaxed);

        // The request completes `done` when it is answered, or when it is dropped unanswered
        // because the device was unbound.
        done.completion.wait_for_completion();

        let answer = done.answer.lock().take().ok_or(ENODEV)?;
        Ok(answer)
    }

    /// Returns the header of a cipher operation of `len` bytes in the session `id`, after checking
    /// the length against the cipher and the device.
    fn cipher_req(&self, id: SessionId, direction: Direction, len: usize) -> Result<CipherDataReq> {
        if len == 0 || len % AES_BLOCK_SIZE != 0 {
            return Err(EINVAL);
        }
        let len_u32 = u32::try_from(len).map_err(|_| EINVAL)?;
        // The device's limit covers the IV, the source, the destination and the status.
        let total = u64::from(len_u32) * 2 + AES_BLOCK_SIZE as u64 + 1;
        if total > self.max_size {
            return Err(EINVAL);
        }
        // CAST: The IV size fits in a `u32`.
        Ok(CipherDataReq::new(
            direction == Direction::Encrypt,
            uapi::VIRTIO_CRYPTO_CIPHER_AES_CBC,
            id.0,
            AES_BLOCK_SIZE as u32,
            len_u32,
        ))
    }
}
