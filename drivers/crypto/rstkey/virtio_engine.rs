// SPDX-License-Identifier: GPL-2.0

//! The virtio-crypto device as an [`Engine`].
//!
//! The device has `max_dataqueues` data queues followed by one control queue (VIRTIO 1.2,
//! section 5.9.2). Sessions are created and destroyed on the control queue, one request at a
//! time: the caller sleeps until the control queue's callback has received the device's answer.
//! Cipher operations run on a data queue, for now synchronously in the same way.

use core::ptr::NonNull;
use kernel::{
    alloc::Flags,
    crypto::{
        memzero_explicit,
        RequestSg, //
    },
    device::{
        self,
        Core, //
    },
    dma::DataDirection,
    prelude::*,
    scatterlist::SGTable,
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
        Mutex,
        SpinLockIrq, //
    },
    uapi,
    virtio::{
        self,
        AddError,
        Queue,
        Sgs,
        Virtqueues, //
    }, //
};

use crate::{
    caps::Capabilities,
    engine::{
        Cipher,
        CipherCompletion,
        CipherOp,
        CompletionSource,
        Direction,
        Engine,
        Features,
        RsaHash,
        RsaKeyType,
        RsaPadding,
        Segment,
        SessionId,
        Submitted, //
        AES_BLOCK_SIZE,
        PKCS1_MIN_PADDING,
    },
    keystore::{
        KeyStore,
        RestrictedKey, //
    },
};

mod wire;

use wire::{
    AkcipherCreateSession,
    AkcipherDataReq,
    AkcipherOp,
    CipherCreateSession,
    CipherDataReq,
    DestroySession,
    InHdr,
    SessionInput, //
};

/// The largest number of data queues rstkey sets up.
const MAX_DATA_QUEUES: u32 = 16;

/// Maps a `VIRTIO_CRYPTO_*` status to an error.
///
/// This is the only place where device status codes become errors.
fn status_to_result(status: u32) -> Result {
    match status {
        uapi::VIRTIO_CRYPTO_OK => Ok(()),
        uapi::VIRTIO_CRYPTO_INVSESS | uapi::VIRTIO_CRYPTO_ERR => Err(EINVAL),
        uapi::VIRTIO_CRYPTO_BADMSG => Err(EBADMSG),
        uapi::VIRTIO_CRYPTO_NOTSUPP => Err(EOPNOTSUPP),
        uapi::VIRTIO_CRYPTO_NOSPC => Err(ENOSPC),
        uapi::VIRTIO_CRYPTO_KEY_REJECTED => Err(EKEYREJECTED),
        _ => Err(EIO),
    }
}

/// What the device answered to a request.
struct Answer {
    /// The number of bytes the device wrote.
    len: u32,
    /// The `VIRTIO_CRYPTO_*` status.
    status: u32,
    /// The session ID, for create requests.
    session_id: u64,
    /// The destination buffer, for cipher operations.
    dst: KVec<u8>,
}

/// Where a queue's callback leaves the answer to one request for its sender.
#[pin_data]
struct Done {
    /// Completed when the request has been answered or dropped.
    #[pin]
    completion: Completion,
    /// The answer; `None` if the request was dropped unanswered (device unbound).
    #[pin]
    answer: SpinLockIrq<Option<Answer>>,
}

/// A range of a buffer in restricted memory, mapped for the device while a request that reads it
/// is queued.
///
/// # Invariants
///
/// `sgt` is the table of a mapping of the buffer for the device's DMA device, which the sender of
/// the request keeps mapped until the request has been answered or dropped.
struct Mapped {
    sgt: NonNull<SGTable>,
    offset: usize,
    len: usize,
}

// SAFETY: The table is only read, and stays mapped while the request exists (type invariants);
// it may be read from any CPU.
unsafe impl Send for Mapped {}

impl Mapped {
    /// Appends the range to `sgs` as a device-readable buffer.
    fn describe(&self, sgs: &mut Sgs<'_>) -> Result {
        // SAFETY: By the type invariants the table stays mapped for the device's DMA device until
        // the request is answered or dropped.
        unsafe { sgs.readable_mapped(self.sgt.as_ref(), self.offset, self.len) }
    }
}

/// A scatterlist of the user of a request, see [`CipherSgs`](crate::engine::CipherSgs).
///
/// # Invariants
///
/// `sg` stays valid, with nothing else accessing it, until the request's completion is called or
/// dropped, which is after the device is done with the request.
struct UserSg {
    sg: RequestSg,
}

/// A device-readable part of the input of a request.
enum Part {
    /// A copy in kernel memory, owned by the request.
    Owned(KVec<u8>),
    /// A range of restricted memory, read through the buffer's mapping.
    Mapped(Mapped),
    /// The source of a crypto request, read where it is.
    User(UserSg),
}

/// Where the device writes the result of a cipher request.
enum Output {
    /// A buffer of the request, handed to the completion.
    Owned(KVec<u8>),
    /// The destination of a crypto request, written where it is.
    User(UserSg),
}

/// The input of a request: its parts, in order.
enum Input {
    /// A single part, held without an allocation: the source of a cipher request.
    One(Part),
    /// Any number of parts.
    Parts(KVec<Part>),
}

impl Input {
    /// Returns the parts, in order.
    fn parts(&self) -> &[Part] {
        match self {
            Self::One(part) => core::slice::from_ref(part),
            Self::Parts(parts) => parts,
        }
    }

    /// Returns the parts, in order, for changing them.
    fn parts_mut(&mut self) -> &mut [Part] {
        match self {
            Self::One(part) => core::slice::from_mut(part),
            Self::Parts(parts) => parts,
        }
    }
}

/// Returns the total length of `segments`.
///
/// # Errors
///
/// [`EINVAL`] if it overflows.
fn input_len(segments: &[Segment<'_>]) -> Result<usize> {
    segments
        .iter()
        .try_fold(0usize, |n, s| n.checked_add(s.len()))
        .ok_or(EINVAL)
}

/// Appends the parts of `input` to `sgs` as device-readable buffers.
fn describe_input<'a>(input: &'a Input, sgs: &mut Sgs<'a>) -> Result {
    for part in input.parts() {
        match part {
            Part::Owned(buf) => sgs.readable_vec(buf)?,
            Part::Mapped(m) => m.describe(sgs)?,
            // SAFETY: By the type invariants of `UserSg`, the list stays valid until the request
            // is answered or dropped.
            Part::User(u) => unsafe { sgs.readable_sg(&u.sg)? },
        }
    }
    Ok(())
}

/// Overwrites the copies in kernel memory of `input` with zeros.
fn wipe_input(input: &mut Input) {
    for part in input.parts_mut() {
        if let Part::Owned(buf) = part {
            memzero_explicit(buf);
        }
    }
}

/// The operation of a request, with its device-readable and device-writable buffers.
enum Op {
    /// `VIRTIO_CRYPTO_CIPHER_CREATE_SESSION`.
    CreateCipher {
        /// The request header (device-readable).
        req: CipherCreateSession,
        /// The key, in restricted memory (device-readable).
        key: Mapped,
        /// The answer (device-writable).
        input: SessionInput,
    },
    /// `VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION`.
    CreateAkcipher {
        /// The request header (device-readable).
        req: AkcipherCreateSession,
        /// The key, in restricted memory (device-readable).
        key: Mapped,
        /// The answer (device-writable).
        input: SessionInput,
    },
    /// `VIRTIO_CRYPTO_{CIPHER,AKCIPHER}_DESTROY_SESSION`.
    DestroySession {
        /// The request header (device-readable).
        req: DestroySession,
        /// The answer (device-writable).
        status: InHdr,
    },
    /// `VIRTIO_CRYPTO_AKCIPHER_{SIGN,VERIFY}`, on a data queue.
    Akcipher {
        /// The request header (device-readable).
        req: AkcipherDataReq,
        /// The source: the digest to sign, or the signature to verify (device-readable).
        src: Input,
        /// The digest to verify the signature of, empty to sign (device-readable).
        digest: Input,
        /// The signature, empty to verify (device-writable).
        dst: KVec<u8>,
        /// The status (device-writable).
        status: InHdr,
    },
    /// `VIRTIO_CRYPTO_CIPHER_{EN,DE}CRYPT`, on a data queue.
    Cipher {
        /// The request header (device-readable).
        req: CipherDataReq,
        /// The IV (device-readable).
        iv: [u8; AES_BLOCK_SIZE],
        /// The source (device-readable).
        src: Input,
        /// The destination, as long as the source (device-writable).
        dst: Output,
        /// The status (device-writable).
        status: InHdr,
    },
}

/// Where the answer to a request goes.
enum Reply {
    /// To a sender waiting for it.
    Wait(Arc<Done>),
    /// To the completion of an asynchronous cipher operation; `None` once it has been called or
    /// taken back.
    Call(Option<KBox<dyn CipherCompletion>>),
}

/// A request on one of the queues: the buffers of the operation and where to leave the answer.
pub(crate) struct Request {
    /// The number of descriptors the request takes in a queue, without indirect descriptors.
    descriptors: u32,
    /// The operation.
    op: Op,
    /// Where the answer goes.
    reply: Reply,
}

/// The most buffers a request has, hence the most descriptors it takes in a queue.
const MAX_REQUEST_BUFFERS: u32 = 5;

impl Request {
    /// Lists the buffers of the request for [`virtio::Virtqueue::add_sgs`].
    fn describe<'a>(&'a mut self, sgs: &mut Sgs<'a>) -> Result {
        match self.op {
            Op::CreateCipher {
                ref req,
                ref key,
                ref mut input,
            } => {
                sgs.readable(req)?;
                key.describe(sgs)?;
                sgs.writable(input)
            }
            Op::CreateAkcipher {
                ref req,
                ref key,
                ref mut input,
            } => {
                sgs.readable(req)?;
                key.describe(sgs)?;
                sgs.writable(input)
            }
            Op::DestroySession {
                ref req,
                ref mut status,
            } => {
                sgs.readable(req)?;
                sgs.writable(status)
            }
            Op::Akcipher {
                ref req,
                ref src,
                ref digest,
                ref mut dst,
                ref mut status,
            } => {
                sgs.readable(req)?;
                describe_input(src, sgs)?;
                describe_input(digest, sgs)?;
                if !dst.is_empty() {
                    sgs.writable_vec(dst)?;
                }
                sgs.writable(status)
            }
            Op::Cipher {
                ref req,
                ref iv,
                ref src,
                ref mut dst,
                ref mut status,
            } => {
                sgs.readable(req)?;
                sgs.readable(iv)?;
                describe_input(src, sgs)?;
                match dst {
                    Output::Owned(buf) => sgs.writable_vec(buf)?,
                    // SAFETY: By the type invariants of `UserSg`, the list stays valid, and
                    // nothing else accesses it, until the request is answered or dropped.
                    Output::User(u) => unsafe { sgs.writable_sg(&u.sg)? },
                }
                sgs.writable(status)
            }
        }
    }

    /// Hands the device's answer (`len` bytes written) to the sender or the completion.
    ///
    /// Runs in the queue's callback, in interrupt context.
    fn complete(mut req: KBox<Self>, len: u32) {
        let (status, session_id, dst) = match &mut req.op {
            Op::CreateCipher { input, .. } | Op::CreateAkcipher { input, .. } => {
                (input.status(), input.session_id(), KVec::new())
            }
            Op::DestroySession { status, .. } => (status.status(), 0, KVec::new()),
            Op::Akcipher { status, dst, .. } => (status.status(), 0, core::mem::take(dst)),
            Op::Cipher { status, dst, .. } => {
                let dst = match dst {
                    Output::Owned(buf) => core::mem::take(buf),
                    Output::User(_) => KVec::new(),
                };
                (status.status(), 0, dst)
            }
        };

        match &mut req.reply {
            Reply::Wait(done) => {
                *done.answer.lock() = Some(Answer {
                    len,
                    status,
                    session_id,
                    dst,
                });
            }
            Reply::Call(completion) => {
                if let Some(mut c) = completion.take() {
                    c.done(status_to_result(status));
                }
            }
        }

        // Dropping the request completes `done`.
    }

    /// Tells the completion of a backlogged request that it has been handed to the device.
    fn started(&mut self) {
        if let Reply::Call(Some(c)) = &mut self.reply {
            c.started();
        }
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        match &mut self.op {
            Op::CreateCipher { .. } | Op::CreateAkcipher { .. } => (),
            Op::Akcipher {
                src, digest, dst, ..
            } => {
                wipe_input(src);
                wipe_input(digest);
                memzero_explicit(dst);
            }
            Op::Cipher { src, dst, .. } => {
                wipe_input(src);
                if let Output::Owned(buf) = dst {
                    memzero_explicit(buf);
                }
            }
            Op::DestroySession { .. } => (),
        }

        match &mut self.reply {
            Reply::Wait(done) => done.completion.complete_all(),
            // Dropped unanswered: the device is gone.
            Reply::Call(c) => {
                if let Some(mut c) = c.take() {
                    c.done(Err(ENODEV));
                }
            }
        }
    }
}

/// Requests waiting for room in a data queue.
struct Backlog {
    /// The requests, with the index of their queue, oldest first.
    reqs: KVec<(usize, KBox<Request>)>,
    /// Set when the device is being unbound: nothing is added any more.
    closed: bool,
}

/// The callbacks of the device's virtqueues, and the backlog of the data queues.
#[pin_data]
pub(crate) struct QueueHandler {
    /// The backlog.
    #[pin]
    backlog: SpinLockIrq<Backlog>,
    /// While set, the data queues have no room: new requests wait on the backlog. Set by the
    /// tests ([`VirtioEngine::hold`]) to exercise the backlog, which the emulated device,
    /// answering each request as it is kicked, never fills otherwise.
    #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
    held: Atomic<bool>,
}

impl QueueHandler {
    /// Returns whether `vq` has room for a request of `descriptors` descriptors.
    fn has_room(&self, vq: &virtio::Virtqueue<Request>, descriptors: u32) -> bool {
        #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
        if self.held.load(Relaxed) {
            return false;
        }
        // A request longer than the ring fits once the ring is empty, with indirect descriptors.
        vq.num_free() >= descriptors.min(vq.vring_size())
    }

    /// Moves the backlogged requests of `queue` to it, as long as there is room.
    fn resubmit(&self, queue: &Queue<Request>) {
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

/// The state of the control queue's sender side.
struct CtrlState {
    /// Set when the device is being unbound: no more requests are sent.
    dead: bool,
}

/// Counters shown in debugfs.
pub(crate) struct Stats {
    /// Sessions created and not destroyed.
    open_sessions: Atomic<u64>,
    /// Requests submitted to the control queue.
    ctrl_requests: Atomic<u64>,
}

impl kernel::debugfs::Writer for Stats {
    fn write(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        f.write_fmt(fmt!(
            "open_sessions: {}\nctrl_requests: {}\n",
            self.open_sessions.load(Relaxed),
            self.ctrl_requests.load(Relaxed)
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
                backlog <- new_spinlock_irq!(
                    Backlog {
                        reqs: KVec::new(),
                        closed: false,
                    },
                    "QueueHandler::backlog"
                ),
                #[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
                held: Atomic::new(false),
            }? Error),
        )?;
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
                },
            }? Error),
            GFP_KERNEL,
        )
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

    /// Returns the destination of `answer` if the device wrote all `len` bytes of it (and the
    /// status byte), [`EIO`] otherwise.
    fn whole_output(answer: Answer, len: usize) -> Result<KVec<u8>> {
        let written = usize::try_from(answer.len).map_err(|_| EIO)?;
        if written != len + 1 || answer.dst.len() != len {
            return Err(EIO);
        }
        Ok(answer.dst)
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
        let handler = self.vqs.handler();
        handler.held.store(held, Relaxed);
        if !held {
            for index in 0..self.ctrl_queue {
                if let Some(queue) = self.vqs.queue(index) {
                    handler.resubmit(queue);
                }
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
        let reqs = {
            let mut backlog = self.vqs.handler().backlog.lock();
            backlog.closed = true;
            core::mem::take(&mut backlog.reqs)
        };
        drop(reqs);
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
                descriptors: MAX_REQUEST_BUFFERS,
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

    /// Sends `op` on the control queue and waits for the device's answer.
    fn ctrl_request(&self, op: Op) -> Result<Answer> {
        let state = self.ctrl.lock();
        if state.dead {
            return Err(ENODEV);
        }
        let answer = self.send_ctrl(op);
        drop(state);
        answer
    }

    /// Sends the session creation `make` returns for `key`, which the device reads from
    /// restricted memory, on the control queue, waits for the answer and returns the new
    /// session's ID.
    fn create_session(
        &self,
        key: &RestrictedKey,
        make: impl FnOnce(Mapped) -> Op,
    ) -> Result<SessionId> {
        let state = self.ctrl.lock();
        if state.dead {
            return Err(ENODEV);
        }
        // SAFETY: The device is unbound only after `shutdown()` marked the engine dead, under the
        // lock held here; the DMA device stays bound for as long as the virtio device is, and the
        // reference is not used after the lock is released.
        let dev = unsafe { self.dma_dev.as_bound() };
        // The key's buffer is mapped for the device while the request is in flight.
        let mapping = key.dma_buf().attach(dev)?.map(DataDirection::ToDevice)?;
        // INVARIANT: `mapping` stays mapped until after `send_ctrl()` returns, which is after
        // the request has been answered or dropped.
        let answer = self.send_ctrl(make(Mapped {
            sgt: NonNull::from(&*mapping),
            offset: 0,
            len: key.len(),
        }));
        drop(mapping);
        drop(state);
        let answer = answer?;
        status_to_result(answer.status)?;
        // CAST: The size of `SessionInput` fits in a `u32`.
        if answer.len < core::mem::size_of::<SessionInput>() as u32 {
            return Err(EIO);
        }
        self.stats.open_sessions.add(1u64, Relaxed);
        Ok(SessionId(answer.session_id))
    }

    /// Destroys a session with the request `req` and counts it as gone.
    fn destroy_session(&self, req: DestroySession) -> Result {
        let answer = self.ctrl_request(Op::DestroySession {
            req,
            status: InHdr::new(),
        })?;
        status_to_result(answer.status)?;
        if answer.len < 1 {
            return Err(EIO);
        }
        self.stats.open_sessions.fetch_sub(1u64, Relaxed);
        Ok(())
    }

    /// Sends `op` on the control queue, whose lock the caller holds, and waits for the answer.
    fn send_ctrl(&self, op: Op) -> Result<Answer> {
        self.stats.ctrl_requests.add(1u64, Relaxed);
        self.send(self.ctrl_queue, op)
    }
}

impl Engine for VirtioEngine {
    fn features(&self) -> Features {
        Features {
            clear_keys: self.keys.as_ref().is_some_and(KeyStore::import_allowed),
            aes_cbc: self.offers(Cipher::AesCbc),
            rsa: self.offers_rsa().then_some(RsaPadding::Pkcs1),
        }
    }

    fn import_key(&self, key: &[u8]) -> Result<RestrictedKey> {
        self.keys.as_ref().ok_or(ENODEV)?.import(key)
    }

    fn create_cipher_session(
        &self,
        cipher: Cipher,
        direction: Direction,
        key: &RestrictedKey,
    ) -> Result<SessionId> {
        let algo = match cipher {
            Cipher::AesCbc => uapi::VIRTIO_CRYPTO_CIPHER_AES_CBC,
        };
        if self.cipher_mask & (1 << algo) == 0 {
            return Err(EOPNOTSUPP);
        }

        let keylen = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        if keylen > self.max_cipher_key_len {
            return Err(EINVAL);
        }
        cipher.check_key_len(key.len())?;

        let op = match direction {
            Direction::Encrypt => uapi::VIRTIO_CRYPTO_OP_ENCRYPT,
            Direction::Decrypt => uapi::VIRTIO_CRYPTO_OP_DECRYPT,
        };

        self.create_session(key, |key| Op::CreateCipher {
            req: CipherCreateSession::new(algo, keylen, op),
            key,
            input: SessionInput::new(),
        })
    }

    fn destroy_cipher_session(&self, id: SessionId) -> Result {
        self.destroy_session(DestroySession::cipher(id.0))
    }

    fn create_rsa_session(
        &self,
        keytype: RsaKeyType,
        hash: RsaHash,
        key: &RestrictedKey,
    ) -> Result<SessionId> {
        if !self.offers_rsa() {
            return Err(EOPNOTSUPP);
        }
        let keylen = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        let keytype = match keytype {
            RsaKeyType::Public => uapi::VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC,
            RsaKeyType::Private => uapi::VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE,
        };
        let hash = match hash {
            RsaHash::Sha1 => uapi::VIRTIO_CRYPTO_RSA_SHA1,
            RsaHash::Sha256 => uapi::VIRTIO_CRYPTO_RSA_SHA256,
            RsaHash::Sha512 => uapi::VIRTIO_CRYPTO_RSA_SHA512,
        };
        self.create_session(key, |key| Op::CreateAkcipher {
            req: AkcipherCreateSession::rsa(
                keytype,
                keylen,
                uapi::VIRTIO_CRYPTO_RSA_PKCS1_PADDING,
                hash,
            ),
            key,
            input: SessionInput::new(),
        })
    }

    fn destroy_rsa_session(&self, id: SessionId) -> Result {
        self.destroy_session(DestroySession::akcipher(id.0))
    }

    fn rsa_sign(
        &self,
        id: SessionId,
        hash: RsaHash,
        input: &[Segment<'_>],
        key_bytes: usize,
    ) -> Result<KVec<u8>> {
        if input_len(input)? != hash.digest_size() || key_bytes == 0 {
            return Err(EINVAL);
        }
        let answer = self.akcipher_op(id, AkcipherOp::Sign, input, &[], key_bytes)?;
        // QEMU 7.2 writes one byte less when the signature's first byte is zero, and loses its
        // last byte: refuse that signature.
        Self::whole_output(answer, key_bytes)
    }

    fn rsa_verify(
        &self,
        id: SessionId,
        hash: RsaHash,
        sig: &[Segment<'_>],
        digest: &[Segment<'_>],
    ) -> Result {
        if input_len(digest)? != hash.digest_size() || input_len(sig)? == 0 {
            return Err(EINVAL);
        }
        self.akcipher_op(id, AkcipherOp::Verify, sig, digest, 0)
            .map(|_| ())
    }

    fn rsa_encrypt(&self, id: SessionId, plain: &[u8], key_bytes: usize) -> Result<KVec<u8>> {
        if key_bytes < PKCS1_MIN_PADDING || plain.len() > key_bytes - PKCS1_MIN_PADDING {
            return Err(EINVAL);
        }
        // QEMU 7.2 returns a ciphertext one byte short when its first byte is zero; the padding
        // is random, so another encryption almost always gives a whole one.
        for _ in 0..4 {
            let answer = self.akcipher_op(
                id,
                AkcipherOp::Encrypt,
                &[Segment::Kernel(plain)],
                &[],
                key_bytes,
            )?;
            if let Ok(cipher) = Self::whole_output(answer, key_bytes) {
                return Ok(cipher);
            }
        }
        Err(EIO)
    }

    fn rsa_decrypt(&self, id: SessionId, cipher: &[u8]) -> Result<KVec<u8>> {
        if cipher.is_empty() {
            return Err(EINVAL);
        }
        let answer = self.akcipher_op(
            id,
            AkcipherOp::Decrypt,
            &[Segment::Kernel(cipher)],
            &[],
            cipher.len(),
        )?;
        // The device wrote the plaintext and the status byte.
        let plain_len = usize::try_from(answer.len.checked_sub(1).ok_or(EIO)?).map_err(|_| EIO)?;
        let mut plain = answer.dst;
        if plain_len > plain.len() {
            return Err(EIO);
        }
        plain.truncate(plain_len);
        Ok(plain)
    }

    fn submit_cipher(
        &self,
        op: CipherOp,
        gfp: Flags,
        may_backlog: bool,
        completion: &mut dyn CompletionSource,
    ) -> Result<Submitted> {
        let sgs = op.sgs;
        let len = sgs.len();
        let req = self.cipher_req(op.id, op.direction, len)?;
        // The header, the IV and the status, and the entries of the lists.
        let descriptors = sgs
            .src()
            .entries()
            .checked_add(sgs.dst().entries())
            .and_then(|n| n.checked_add(3))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(EINVAL)?;
        let slot = KBox::<Request>::new_uninit(gfp)?;

        // There is at least one data queue.
        let index = self
            .next_queue
            .fetch_add(1, Relaxed)
            .checked_rem(self.ctrl_queue);
        let queue = index.and_then(|i| self.vqs.queue(i)).ok_or(ENODEV)?;
        let handler = self.vqs.handler();

        // Lock order: the backlog, then the queue.
        let mut backlog = handler.backlog.lock();
        if backlog.closed {
            return Err(ENODEV);
        }
        let mut vq = queue.lock();
        // Requests go to the device in order: a new one waits while older ones do.
        let index = queue.index();
        let waiting = backlog.reqs.iter().any(|(q, _)| *q == index);
        let room = !waiting && handler.has_room(&vq, descriptors);
        if !room {
            if !may_backlog {
                return Err(ENOSPC);
            }
            backlog.reqs.reserve(1, GFP_ATOMIC)?;
        }

        // From here on, errors go to the completion.
        let completion = completion.take().ok_or(EINVAL)?;
        // INVARIANT: By the type invariants of `CipherSgs`, the lists stay valid, with nothing
        // else accessing them, until the completion is called or dropped.
        let request = slot.write(Request {
            descriptors,
            op: Op::Cipher {
                req,
                iv: op.iv,
                src: Input::One(Part::User(UserSg { sg: *sgs.src() })),
                dst: Output::User(UserSg { sg: *sgs.dst() }),
                status: InHdr::new(),
            },
            reply: Reply::Call(Some(completion)),
        });

        if !room {
            // There is room for one more: this does not fail, and does not drop the request.
            if let Err(e) = backlog.reqs.push_within_capacity((index, request)) {
                drop(e);
            }
            return Ok(Submitted::Backlogged);
        }

        match vq.add_sgs(request, GFP_ATOMIC, Request::describe) {
            Ok(()) => {
                vq.kick();
            }
            // There was room, so only a device that is gone or broken gets here: the request's
            // completion is told when the request is dropped, outside the locks.
            Err(AddError { request, .. }) => {
                drop(vq);
                drop(backlog);
                drop(request);
            }
        }
        Ok(Submitted::InProgress)
    }
}

/// Synchronous cipher operations, for the test interface.
#[cfg(CONFIG_CRYPTO_DEV_RSTKEY_TEST)]
impl VirtioEngine {
    /// Runs the cipher session `id`, created for `direction`, with `iv` on `src`, the
    /// concatenation of its segments, and returns the result. Waits for the device, which reads
    /// restricted segments as for [`Engine::rsa_sign`].
    pub(crate) fn cipher_input(
        &self,
        id: SessionId,
        direction: Direction,
        iv: &[u8],
        src: &[Segment<'_>],
    ) -> Result<KVec<u8>> {
        let iv: [u8; AES_BLOCK_SIZE] = iv.try_into().map_err(|_| EINVAL)?;
        let len = input_len(src)?;
        let req = self.cipher_req(id, direction, len)?;
        let dst = KVec::from_elem(0u8, len, GFP_KERNEL)?;
        let answer = self.with_inputs(src, &[], |src, _| {
            self.send(
                self.data_queue(),
                Op::Cipher {
                    req,
                    iv,
                    src,
                    dst: Output::Owned(dst),
                    status: InHdr::new(),
                },
            )
        })?;
        status_to_result(answer.status)?;
        if answer.dst.len() != len {
            return Err(EIO);
        }
        Ok(answer.dst)
    }

    /// Runs the cipher session `id`, created for `direction`, on `src` with `iv`, and returns
    /// the result, as long as `src`. Waits for the device.
    pub(crate) fn cipher(
        &self,
        id: SessionId,
        direction: Direction,
        iv: &[u8],
        src: KVec<u8>,
    ) -> Result<KVec<u8>> {
        let iv: [u8; AES_BLOCK_SIZE] = iv.try_into().map_err(|_| EINVAL)?;
        let len = src.len();
        let req = self.cipher_req(id, direction, len)?;
        let dst = KVec::from_elem(0u8, len, GFP_KERNEL)?;

        let answer = self.send(
            0,
            Op::Cipher {
                req,
                iv,
                src: Input::One(Part::Owned(src)),
                dst: Output::Owned(dst),
                status: InHdr::new(),
            },
        )?;

        status_to_result(answer.status)?;
        if answer.dst.len() != len {
            return Err(EIO);
        }

        Ok(answer.dst)
    }
}

#[kunit_tests(rstkey_virtio_engine)]
mod tests {
    use super::*;

    /// Device status codes map to the documented errors.
    #[test]
    fn status_codes() {
        assert!(status_to_result(uapi::VIRTIO_CRYPTO_OK).is_ok());
        assert_eq!(status_to_result(uapi::VIRTIO_CRYPTO_ERR), Err(EINVAL));
        assert_eq!(status_to_result(uapi::VIRTIO_CRYPTO_INVSESS), Err(EINVAL));
        assert_eq!(status_to_result(uapi::VIRTIO_CRYPTO_BADMSG), Err(EBADMSG));
        assert_eq!(
            status_to_result(uapi::VIRTIO_CRYPTO_NOTSUPP),
            Err(EOPNOTSUPP)
        );
        assert_eq!(status_to_result(uapi::VIRTIO_CRYPTO_NOSPC), Err(ENOSPC));
        assert_eq!(
            status_to_result(uapi::VIRTIO_CRYPTO_KEY_REJECTED),
            Err(EKEYREJECTED)
        );
        assert_eq!(status_to_result(0xff), Err(EIO));
    }
}
