// SPDX-License-Identifier: GPL-2.0

//! The device's answers to requests, checked before anything in them is used.
//!
//! The device is not trusted: what it says it wrote is checked against what the request gave it,
//! and its status codes become errors here and nowhere else. This file has no other
//! dependencies, so that it can also be built for the host and fuzzed (`tests/fuzz`).

use super::wire::SessionInput;
use kernel::{
    prelude::*,
    uapi, //
};

/// Maps a `VIRTIO_CRYPTO_*` status to an error.
///
/// This is the only place where device status codes become errors.
pub(super) fn status_to_result(status: u32) -> Result {
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
pub(super) struct Answer {
    /// The number of bytes the device wrote.
    pub(super) len: u32,
    /// The `VIRTIO_CRYPTO_*` status.
    pub(super) status: u32,
    /// The session ID, for create requests.
    pub(super) session_id: u64,
    /// The destination buffer, for cipher operations.
    pub(super) dst: KVec<u8>,
}

// The device is not trusted: what it says it wrote is checked against what the request gave it
// before anything is used.
impl Answer {
    /// Returns the session the device created, if it says it did and wrote the whole answer.
    ///
    /// # Errors
    ///
    /// The error of the device's status, or [`EIO`] if it wrote less than a whole
    /// `virtio_crypto_session_input`.
    pub(super) fn session(&self) -> Result<u64> {
        status_to_result(self.status)?;
        // CAST: The size of `SessionInput` fits in a `u32`.
        if self.len < core::mem::size_of::<SessionInput>() as u32 {
            return Err(EIO);
        }
        Ok(self.session_id)
    }

    /// Checks the answer to a request whose only output is the status byte.
    ///
    /// # Errors
    ///
    /// The error of the device's status, or [`EIO`] if it did not write the status.
    pub(super) fn status_only(&self) -> Result {
        status_to_result(self.status)?;
        if self.len < 1 {
            return Err(EIO);
        }
        Ok(())
    }

    /// Returns the destination as a big-endian integer of `len` bytes, for the result of an RSA
    /// operation (a signature, a ciphertext), which is an integer modulo `n`.
    ///
    /// The device may write the integer without its leading zero bytes: QEMU 7.2's nettle
    /// backend does, for the results below `2^(8 * (len - 1))` (one in 256 to one in 128, as the
    /// modulus's first byte is). That is the same integer, so the bytes it wrote are moved to the
    /// end of the destination, after zeros.
    ///
    /// # Errors
    ///
    /// [`EIO`] if the device wrote no byte of output or more than `len` bytes, or the destination
    /// is not `len` bytes long.
    pub(super) fn integer_output(self, len: usize) -> Result<KVec<u8>> {
        let written = usize::try_from(self.len.checked_sub(1).ok_or(EIO)?).map_err(|_| EIO)?;
        let mut out = self.dst;
        if written == 0 || written > len || out.len() != len {
            return Err(EIO);
        }
        let pad = len - written;
        if pad > 0 {
            // Both ranges are within `out`: `pad + written == len == out.len()`.
            out.copy_within(..written, pad);
            out.get_mut(..pad).ok_or(EIO)?.fill(0);
        }
        Ok(out)
    }

    /// Returns the part of the destination the device wrote before the status byte, for an
    /// output of variable length (a decrypted message).
    ///
    /// # Errors
    ///
    /// [`EIO`] if the device wrote nothing, or more than the destination holds.
    pub(super) fn variable_output(self) -> Result<KVec<u8>> {
        let len = usize::try_from(self.len.checked_sub(1).ok_or(EIO)?).map_err(|_| EIO)?;
        let mut out = self.dst;
        if len > out.len() {
            return Err(EIO);
        }
        out.truncate(len);
        Ok(out)
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

    /// An answer with `len` bytes written, `status` and a destination of `dst` bytes.
    fn answer(len: u32, status: u32, dst: usize) -> Result<Answer> {
        Ok(Answer {
            len,
            status,
            session_id: 7,
            dst: KVec::from_elem(0x5au8, dst, GFP_KERNEL)?,
        })
    }

    /// Session answers: a whole one is taken, a short one, a failed one and one with a status
    /// outside the specification are not.
    #[test]
    fn session_answers() -> Result {
        // CAST: The size of `SessionInput` fits in a `u32`.
        let whole = core::mem::size_of::<SessionInput>() as u32;
        assert_eq!(answer(whole, uapi::VIRTIO_CRYPTO_OK, 0)?.session(), Ok(7));
        assert_eq!(
            answer(whole + 64, uapi::VIRTIO_CRYPTO_OK, 0)?.session(),
            Ok(7)
        );
        assert_eq!(
            answer(whole - 1, uapi::VIRTIO_CRYPTO_OK, 0)?.session(),
            Err(EIO)
        );
        assert_eq!(answer(0, uapi::VIRTIO_CRYPTO_OK, 0)?.session(), Err(EIO));
        assert_eq!(
            answer(whole, uapi::VIRTIO_CRYPTO_ERR, 0)?.session(),
            Err(EINVAL)
        );
        assert_eq!(answer(whole, 0x7f, 0)?.session(), Err(EIO));
        assert_eq!(answer(u32::MAX, u32::MAX, 0)?.session(), Err(EIO));
        Ok(())
    }

    /// Status answers: the status byte must have been written.
    #[test]
    fn status_answers() -> Result {
        assert_eq!(answer(1, uapi::VIRTIO_CRYPTO_OK, 0)?.status_only(), Ok(()));
        assert_eq!(
            answer(0, uapi::VIRTIO_CRYPTO_OK, 0)?.status_only(),
            Err(EIO)
        );
        assert_eq!(
            answer(1, uapi::VIRTIO_CRYPTO_INVSESS, 0)?.status_only(),
            Err(EINVAL)
        );
        assert_eq!(answer(1, 1000, 0)?.status_only(), Err(EIO));
        Ok(())
    }

    /// Integer outputs: a whole one is taken as it is; one without its leading zero bytes is
    /// the same integer, padded; none, or more than the request had room for, is refused.
    #[test]
    fn integer_outputs() -> Result {
        let mut short = answer(255, uapi::VIRTIO_CRYPTO_OK, 256)?;
        for (i, b) in short.dst.iter_mut().enumerate() {
            // CAST: Only the low byte is wanted.
            *b = i as u8;
        }
        let out = short.integer_output(256)?;
        assert_eq!(&out[..2], &[0, 0]);
        assert_eq!(out[2], 0);
        assert_eq!(out[255], 253);
        let out = answer(257, uapi::VIRTIO_CRYPTO_OK, 256)?.integer_output(256)?;
        assert!(out.iter().all(|b| *b == 0x5a));
        assert!(answer(1, uapi::VIRTIO_CRYPTO_OK, 256)?
            .integer_output(256)
            .is_err());
        assert!(answer(0, uapi::VIRTIO_CRYPTO_OK, 256)?
            .integer_output(256)
            .is_err());
        assert!(answer(258, uapi::VIRTIO_CRYPTO_OK, 256)?
            .integer_output(256)
            .is_err());
        assert!(answer(u32::MAX, uapi::VIRTIO_CRYPTO_OK, 256)?
            .integer_output(256)
            .is_err());
        assert!(answer(200, uapi::VIRTIO_CRYPTO_OK, 128)?
            .integer_output(256)
            .is_err());
        Ok(())
    }

    /// Variable-length outputs: at most the destination, and the status byte.
    #[test]
    fn variable_outputs() -> Result {
        assert_eq!(
            answer(5, uapi::VIRTIO_CRYPTO_OK, 256)?
                .variable_output()?
                .len(),
            4
        );
        assert_eq!(
            answer(1, uapi::VIRTIO_CRYPTO_OK, 256)?
                .variable_output()?
                .len(),
            0
        );
        assert_eq!(
            answer(257, uapi::VIRTIO_CRYPTO_OK, 256)?
                .variable_output()?
                .len(),
            256
        );
        assert!(answer(0, uapi::VIRTIO_CRYPTO_OK, 256)?
            .variable_output()
            .is_err());
        assert!(answer(258, uapi::VIRTIO_CRYPTO_OK, 256)?
            .variable_output()
            .is_err());
        assert!(answer(u32::MAX, uapi::VIRTIO_CRYPTO_OK, 256)?
            .variable_output()
            .is_err());
        Ok(())
    }
}
