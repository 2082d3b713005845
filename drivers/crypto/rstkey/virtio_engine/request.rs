// SPDX-License-Identifier: GPL-2.0

//! Requests on the virtqueues: the buffers of an operation, and where its answer goes.

use super::answer::{
    status_to_result,
    Answer, //
};
use super::wire::{
    AkcipherCreateSession,
    AkcipherDataReq,
    CipherCreateSession,
    CipherDataReq,
    DestroySession,
    InHdr,
    SessionInput, //
};
use crate::engine::{
    Segment, //
    AES_BLOCK_SIZE,
};
use core::ptr::NonNull;
use kernel::{
    crypto::{
        memzero_explicit,
        skcipher::AnyRequest,
        RequestSg, //
    },
    prelude::*,
    scatterlist::SGTable,
    sync::{
        Arc,
        Completion,
        SpinLockIrq, //
    },
    virtio::Sgs, //
};

/// Where a queue's callback leaves the answer to one request for its sender.
#[pin_data]
pub(super) struct Done {
    /// Completed when the request has been answered or dropped.
    #[pin]
    pub(super) completion: Completion,
    /// The answer; `None` if the request was dropped unanswered (device unbound).
    #[pin]
    pub(super) answer: SpinLockIrq<Option<Answer>>,
}

/// A range of a buffer in restricted memory, mapped for the device while a request that reads it
/// is queued.
///
/// # Invariants
///
/// `sgt` is the table of a mapping of the buffer for the device's DMA device, which the sender of
/// the request keeps mapped until the request has been answered or dropped.
pub(super) struct Mapped {
    pub(super) sgt: NonNull<SGTable>,
    pub(super) offset: usize,
    pub(super) len: usize,
}

// SAFETY: The table is only read, and stays mapped while the request exists (type invariants);
// it may be read from any CPU.
unsafe impl Send for Mapped {}

impl Mapped {
    /// Appends the range to `sgs` as a device-readable buffer.
    pub(super) fn describe(&self, sgs: &mut Sgs<'_>) -> Result {
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
pub(super) struct UserSg {
    pub(super) sg: RequestSg,
}

/// A device-readable part of the input of a request.
pub(super) enum Part {
    /// A copy in kernel memory, owned by the request.
    Owned(KVec<u8>),
    /// A range of restricted memory, read through the buffer's mapping.
    Mapped(Mapped),
    /// The source of a crypto request, read where it is.
    User(UserSg),
}

/// Where the device writes the result of a cipher request.
pub(super) enum Output {
    /// A buffer of the request, handed to the completion.
    #[cfg_attr(
        not(CONFIG_CRYPTO_DEV_RSTKEY_TEST),
        expect(
            dead_code,
            reason = "only the synchronous test operations have their own output"
        )
    )]
    Owned(KVec<u8>),
    /// The destination of a crypto request, written where it is.
    User(UserSg),
}

/// The input of a request: its parts, in order.
pub(super) enum Input {
    /// A single part, held without an allocation: the source of a cipher request.
    One(Part),
    /// Any number of parts.
    Parts(KVec<Part>),
}

impl Input {
    /// Returns the parts, in order.
    pub(super) fn parts(&self) -> &[Part] {
        match self {
            Self::One(part) => core::slice::from_ref(part),
            Self::Parts(parts) => parts,
        }
    }

    /// Returns the parts, in order, for changing them.
    pub(super) fn parts_mut(&mut self) -> &mut [Part] {
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
pub(super) fn input_len(segments: &[Segment<'_>]) -> Result<usize> {
    segments
        .iter()
        .try_fold(0usize, |n, s| n.checked_add(s.len()))
        .ok_or(EINVAL)
}

/// Appends the parts of `input` to `sgs` as device-readable buffers.
pub(super) fn describe_input<'a>(input: &'a Input, sgs: &mut Sgs<'a>) -> Result {
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
pub(super) fn wipe_input(input: &mut Input) {
    for part in input.parts_mut() {
        if let Part::Owned(buf) = part {
            memzero_explicit(buf);
        }
    }
}

/// The operation of a request, with its device-readable and device-writable buffers.
pub(super) enum Op {
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
pub(super) enum Reply {
    /// To a sender waiting for it.
    Wait(Arc<Done>),
    /// To the crypto request of an asynchronous cipher operation, which is completed; `None` once
    /// it has been.
    Call(Option<AnyRequest>),
}

/// A request on one of the queues: the buffers of the operation and where to leave the answer.
pub(crate) struct Request {
    /// The request's memory comes from the pool of its queue handler, where it goes back.
    pub(super) pooled: bool,
    /// The operation.
    pub(super) op: Op,
    /// Where the answer goes.
    pub(super) reply: Reply,
}

impl Request {
    /// Lists the buffers of the request for [`virtio::Virtqueue::add_sgs`].
    pub(super) fn describe<'a>(&'a mut self, sgs: &mut Sgs<'a>) -> Result {
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

    /// Hands the device's answer (`len` bytes written) to the sender or the crypto request, and
    /// gives the request back, to be released.
    ///
    /// Runs in the queue's callback, in interrupt context.
    pub(super) fn complete(mut req: KBox<Self>, len: u32) -> KBox<Self> {
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
                if let Some(c) = completion.take() {
                    c.complete(status_to_result(status));
                }
            }
        }

        // Dropping the request completes `done`.
        req
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
                if let Some(c) = c.take() {
                    c.complete(Err(ENODEV));
                }
            }
        }
    }
}
