// SPDX-License-Identifier: GPL-2.0

//! The control queue: sessions are created and destroyed there, one request at a time.

use super::answer::Answer;
use super::request::{Mapped, Op};
use super::wire::{
    DestroySession,
    InHdr, //
};
use super::VirtioEngine;
use crate::{
    engine::SessionId,
    keystore::RestrictedKey, //
};
use core::ptr::NonNull;
use kernel::{
    dma::DataDirection,
    prelude::*,
    sync::{
        atomic::Relaxed, //
    },
    time::{
        delay::fsleep,
        Delta, //
    }, //
};

/// How many times a session destroy is tried when memory is short.
const DESTROY_TRIES: u32 = 100;

/// The state of the control queue's sender side.
pub(super) struct CtrlState {
    /// Set when the device is being unbound: no more requests are sent.
    pub(super) dead: bool,
}

impl VirtioEngine {
    /// Sends `op` on the control queue and waits for the device's answer.
    pub(super) fn ctrl_request(&self, op: Op) -> Result<Answer> {
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
    pub(super) fn create_session(
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
        let id = answer?.session()?;
        self.stats.open_sessions.add(1u64, Relaxed);
        Ok(SessionId(id))
    }

    /// Destroys a session with the request `make` returns and counts it as gone.
    ///
    /// A destroy that is never sent leaves the session open on the device for good, so one that
    /// fails for lack of memory is tried again, up to [`DESTROY_TRIES`] times, a millisecond
    /// apart, as a `__GFP_NOFAIL` allocation would retry.
    pub(super) fn destroy_session(&self, make: impl Fn() -> DestroySession) -> Result {
        let mut tries = 1;
        let answer = loop {
            match self.ctrl_request(Op::DestroySession {
                req: make(),
                status: InHdr::new(),
            }) {
                Err(e) if e == ENOMEM && tries < DESTROY_TRIES => {
                    tries += 1;
                    fsleep(Delta::from_millis(1));
                }
                answer => break answer?,
            }
        };
        answer.status_only()?;
        self.stats.open_sessions.fetch_sub(1u64, Relaxed);
        Ok(())
    }

    /// Sends `op` on the control queue, whose lock the caller holds, and waits for the answer.
    pub(super) fn send_ctrl(&self, op: Op) -> Result<Answer> {
        self.send(self.ctrl_queue, op)
    }
}
