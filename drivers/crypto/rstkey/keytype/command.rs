// SPDX-License-Identifier: GPL-2.0

//! The payload syntax of the key type `rstkey`: what user space gives to `add_key()`, which the
//! key type parses strictly, and the hexadecimal form of a blob that `keyctl read` returns.
//!
//! The parser reads untrusted bytes; `tests/fuzz/targets/keycmd.rs` fuzzes it against a
//! reference.

use core::ops::RangeInclusive;
use kernel::prelude::*;

/// A command of the payload given to `add_key()`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// `new aes-<bits>-cbc`: generate an AES-CBC key of that many bytes.
    New(usize),
    /// `load <hex>`: the blob the hexadecimal digits give.
    Load(KVec<u8>),
}

impl Command {
    /// Parses `data`: `new aes-128-cbc`, `new aes-192-cbc`, `new aes-256-cbc` or `load ` and
    /// the hexadecimal digits (either case) of a blob whose length is in `blob_sizes`, ended by
    /// at most one newline.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for anything else, [`ENOMEM`].
    pub(crate) fn parse(data: &[u8], blob_sizes: RangeInclusive<usize>) -> Result<Self> {
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        let Some(space) = data.iter().position(|&b| b == b' ') else {
            return Err(EINVAL);
        };
        let (cmd, arg) = (&data[..space], &data[space + 1..]);
        match cmd {
            b"new" => match arg {
                b"aes-128-cbc" => Ok(Self::New(16)),
                b"aes-192-cbc" => Ok(Self::New(24)),
                b"aes-256-cbc" => Ok(Self::New(32)),
                _ => Err(EINVAL),
            },
            b"load" if arg.len() % 2 == 0 && blob_sizes.contains(&(arg.len() / 2)) => {
                let mut blob = KVec::new();
                for pair in arg.chunks_exact(2) {
                    let byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
                    blob.push(byte, GFP_KERNEL)?;
                }
                Ok(Self::Load(blob))
            }
            _ => Err(EINVAL),
        }
    }
}

/// Returns the value of the hexadecimal digit `d`.
fn nibble(d: u8) -> Result<u8> {
    match d {
        b'0'..=b'9' => Ok(d - b'0'),
        b'a'..=b'f' => Ok(d - b'a' + 10),
        b'A'..=b'F' => Ok(d - b'A' + 10),
        _ => Err(EINVAL),
    }
}

/// Writes `bytes` in lowercase hexadecimal digits to `out` if it has room for them, and returns
/// their number, twice the number of bytes, in either case.
pub(crate) fn write_hex(bytes: &[u8], out: &mut [u8]) -> usize {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let len = 2 * bytes.len();
    if let Some(out) = out.get_mut(..len) {
        for (pair, b) in out.chunks_exact_mut(2).zip(bytes.iter()) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0xf)];
        }
    }
    len
}
