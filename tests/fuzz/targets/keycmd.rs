// SPDX-License-Identifier: GPL-2.0

//! Fuzzes the payload parser of the key type `rstkey`,
//! `drivers/crypto/rstkey/keytype/command.rs`.
//!
//! An input is what user space gives to `add_key()` or, if its first byte is odd, the rest of it
//! as the blob of a `load` command, in hexadecimal (so that most inputs reach the blob's
//! decoding). The target checks the parser against a reference written from the syntax the
//! key type documents, and that a blob written in hexadecimal as `keyctl read` gives it loads
//! back unchanged.

#![no_main]

#[path = "../../../drivers/crypto/rstkey/keytype/command.rs"]
mod command;

use command::{write_hex, Command};
use libfuzzer_sys::fuzz_target;

/// The blob lengths the key type takes: those of AES keys of 16 to 32 bytes.
const BLOBS: core::ops::RangeInclusive<usize> = 96..=112;

/// The reference: `Some(n)` for `new` of an `n`-byte key, the bytes for `load`, `None` for
/// anything the syntax does not allow.
fn reference(data: &[u8]) -> Option<Result<usize, Vec<u8>>> {
    let line = std::str::from_utf8(data).ok()?;
    let line = line.strip_suffix('\n').unwrap_or(line);
    if let Some(alg) = line.strip_prefix("new ") {
        return match alg {
            "aes-128-cbc" => Some(Ok(16)),
            "aes-192-cbc" => Some(Ok(24)),
            "aes-256-cbc" => Some(Ok(32)),
            _ => None,
        };
    }
    let hex = line.strip_prefix("load ")?;
    if hex.len() % 2 != 0 || !BLOBS.contains(&(hex.len() / 2)) {
        return None;
    }
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some(Err(bytes))
}

fuzz_target!(|data: &[u8]| {
    let input: Vec<u8> = match data.split_first() {
        Some((first, rest)) if first % 2 == 1 => {
            let mut hex = vec![0u8; 2 * rest.len()];
            assert_eq!(write_hex(rest, &mut hex), hex.len());
            [b"load ".as_slice(), &hex].concat()
        }
        _ => data.to_vec(),
    };
    let got = Command::parse(&input, BLOBS);
    match (reference(&input), &got) {
        (None, Err(e)) => assert_eq!(*e, kernel::prelude::EINVAL),
        (Some(Ok(n)), Ok(Command::New(m))) => assert_eq!(n, *m),
        (Some(Err(bytes)), Ok(Command::Load(blob))) => {
            assert_eq!(&bytes[..], &blob[..]);
            // What `keyctl read` gives loads back unchanged; a short buffer is left alone.
            let mut hex = vec![0u8; 2 * blob.len()];
            assert_eq!(write_hex(blob, &mut hex), hex.len());
            assert!(hex
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)));
            let again = Command::parse(&[b"load ".as_slice(), &hex].concat(), BLOBS);
            assert_eq!(again, Ok(Command::Load(blob.clone())));
            let mut short = vec![0xffu8; hex.len() - 1];
            assert_eq!(write_hex(blob, &mut short), hex.len());
            assert!(short.iter().all(|&b| b == 0xff));
        }
        (want, got) => panic!("reference {want:?}, parser {got:?}"),
    }
});
