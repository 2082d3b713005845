// SPDX-License-Identifier: GPL-2.0

//! Fuzzes the checks of the device's answers, `drivers/crypto/rstkey/virtio_engine/answer.rs`,
//! with the layouts of the device-written buffers from `virtio_engine/wire.rs`.
//!
//! An input is one answer: which kind of request it answers (byte 0: a session, a status, an RSA
//! integer, a variable output), the used length the
//! device reports (bytes 1-4), the destination's size and the expected output size (bytes 5-8)
//! and then the bytes the device wrote into the status buffer (a `virtio_crypto_session_input`
//! for a create request, a `virtio_crypto_inhdr` otherwise) and the destination. Each check's
//! result is compared with the rules of VIRTIO 1.2 section 5.9 and the driver's documentation,
//! written out again here.

#![no_main]

use libfuzzer_sys::fuzz_target;

// The two files are modules of the crate root here, as they are of `virtio_engine` in the
// driver: `answer` finds `wire` as `super::wire`.
#[path = "../../../drivers/crypto/rstkey/virtio_engine/wire.rs"]
#[allow(dead_code)]
mod wire;

#[path = "../../../drivers/crypto/rstkey/virtio_engine/answer.rs"]
mod answer;

mod check {
    use crate::answer::{status_to_result, Answer};
    use crate::wire::{InHdr, SessionInput};
    use kernel::{prelude::*, transmute::FromBytes};

    /// The error the driver documents for each `VIRTIO_CRYPTO_*` status (values from the
    /// specification).
    fn expected(status: u32) -> Result {
        match status {
            0 => Ok(()),
            1 | 4 => Err(EINVAL),
            2 => Err(EBADMSG),
            3 => Err(EOPNOTSUPP),
            5 => Err(ENOSPC),
            6 => Err(EKEYREJECTED),
            _ => Err(EIO),
        }
    }

    fn u16_at(d: &[u8], i: usize) -> usize {
        usize::from(u16::from_le_bytes([d[i], d[i + 1]]))
    }

    pub(crate) fn run(data: &[u8]) {
        if data.len() < 9 {
            return;
        }
        let kind = data[0] % 4;
        let len = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
        let dst_len = u16_at(data, 5) % 4097;
        let want = u16_at(data, 7) % 4097;
        let written = &data[9..];

        // What the device wrote, in the buffer the driver gave it (zeros past the input).
        let mut status_buf = [0u8; 16];
        let n = written.len().min(16);
        status_buf[..n].copy_from_slice(&written[..n]);
        let (status, session_id) = if kind == 0 {
            let input = SessionInput::from_bytes_copy(&status_buf).expect("16 bytes");
            // The wire layout: le64 session_id, then le32 status.
            let id = u64::from_le_bytes(status_buf[0..8].try_into().expect("8 bytes"));
            let st = u32::from_le_bytes(status_buf[8..12].try_into().expect("4 bytes"));
            assert_eq!((input.session_id(), input.status()), (id, st));
            (input.status(), input.session_id())
        } else {
            let hdr = InHdr::from_bytes_copy(&status_buf[..1]).expect("1 byte");
            assert_eq!(hdr.status(), u32::from(status_buf[0]));
            (hdr.status(), 0)
        };
        assert_eq!(status_to_result(status), expected(status));

        let mut dst = KVec::new();
        for i in 0..dst_len {
            dst.push(written.get(16 + i).copied().unwrap_or(0), GFP_KERNEL)
                .expect("host allocation");
        }
        let answer = Answer {
            len,
            status,
            session_id,
            dst: dst.clone(),
        };
        let len = len as usize;
        match kind {
            0 => {
                let want = expected(status).and(if len >= 16 { Ok(session_id) } else { Err(EIO) });
                assert_eq!(answer.session(), want);
            }
            1 => {
                let want = expected(status).and(if len >= 1 { Ok(()) } else { Err(EIO) });
                assert_eq!(answer.status_only(), want);
            }
            2 => match answer.integer_output(want) {
                Ok(out) => {
                    assert!(len >= 2 && len - 1 <= want && dst_len == want);
                    // The same integer: zeros, then what the device wrote.
                    let pad = want - (len - 1);
                    assert!(out[..pad].iter().all(|b| *b == 0));
                    assert_eq!(&out[pad..], &dst[..len - 1]);
                }
                Err(e) => {
                    assert_eq!(e, EIO);
                    assert!(len < 2 || len - 1 > want || dst_len != want);
                }
            },
            _ => match answer.variable_output() {
                Ok(out) => {
                    assert!(len >= 1 && len - 1 <= dst_len);
                    assert_eq!(&out[..], &dst[..len - 1]);
                }
                Err(e) => {
                    assert_eq!(e, EIO);
                    assert!(len == 0 || len - 1 > dst_len);
                }
            },
        }
    }
}

fuzz_target!(|data: &[u8]| check::run(data));
