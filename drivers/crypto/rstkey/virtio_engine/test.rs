// SPDX-License-Identifier: GPL-2.0

//! Synchronous cipher operations of the engine, for the test interface
//! (`CONFIG_CRYPTO_DEV_RSTKEY_TEST`).

use super::answer::status_to_result;
use super::request::{
    input_len,
    Op,
    Output, //
};
use super::wire::InHdr;
use super::VirtioEngine;
use crate::engine::{
    Direction,
    Segment,
    SessionId, //
    AES_BLOCK_SIZE,
};
use kernel::prelude::*;

/// Synchronous cipher operations, for the test interface.
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
        src: &[u8],
    ) -> Result<KVec<u8>> {
        self.cipher_input(id, direction, iv, &[Segment::Kernel(src)])
    }
}
