// SPDX-License-Identifier: GPL-2.0

//! The key type `rstkey`: AES keys that exist in the clear only in the secure world and
//! restricted memory, kept by the keyring as their blobs wrapped under the device key.
//!
//! User space creates a key with `keyctl add rstkey <description> "<command>" <keyring>`, where
//! the command is one of:
//!
//! - `new aes-128-cbc`, `new aes-192-cbc`, `new aes-256-cbc`: the secure world generates a random
//!   key of that size for AES-CBC, exportable, and wraps it under the device key;
//! - `load <blob>`, with the blob in hexadecimal: a blob of an AES-CBC key wrapped under this
//!   device's key, which the secure world authenticates by unwrapping it.
//!
//! A single newline may end the command (what `keyctl padd` reads from `echo`); nothing else is
//! accepted. `keyctl read` and `keyctl pipe` give the blob in hexadecimal, to be stored and
//! loaded again in a later boot; `/proc/keys` gives the key's size. The key itself is never in
//! normal-world memory: the restricted copy the secure world makes while it generates or checks a
//! key is released at once, and whoever uses the key (`cbc(paes)`, through AF_ALG or dm-crypt,
//! with the blob in a `logon` key) has the secure world unwrap the blob again.

mod command;

use command::Command;
use kernel::{
    key::KeyType,
    prelude::*,
    seq_file::SeqFile,
    seq_print, //
};

use crate::{
    algs::pick,
    engine::{
        Cipher,
        Service,
        MAX_AES_BLOB,
        MIN_AES_BLOB, //
    },
    keystore::KeyPurpose,
};

/// The payload of an `rstkey` key: the blob of an AES-CBC key.
///
/// # Invariants
///
/// `blob` is the blob of an AES-CBC key of `len` bytes (16, 24 or 32) wrapped under the device
/// key, which the secure world has authenticated.
pub(crate) struct ProtectedKey {
    len: usize,
    blob: KVec<u8>,
}

impl KeyType for ProtectedKey {
    const NAME: &'static CStr = c"rstkey";

    fn instantiate(data: &[u8]) -> Result<Self> {
        let engine = pick(Service::ProtectedCipher(Cipher::AesCbc))?;
        let (restricted, blob) = match Command::parse(data, MIN_AES_BLOB..=MAX_AES_BLOB)? {
            Command::New(len) => engine.generate_key(len, KeyPurpose::AES_CBC)?,
            Command::Load(blob) => (engine.unwrap_key(&blob, KeyPurpose::AES_CBC)?, blob),
        };
        let len = restricted.len();
        Cipher::AesCbc.check_key_len(len)?;
        // The restricted copy goes now: users of the key unwrap the blob again.
        drop(restricted);
        // INVARIANT: The secure world generated or authenticated the blob, of an AES-CBC key of
        // `len` bytes, checked above.
        Ok(Self { len, blob })
    }

    fn quota_len(&self) -> usize {
        self.blob.len()
    }

    fn describe(&self, m: &SeqFile) {
        seq_print!(m, ": aes-{}-cbc", self.len * 8);
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        Ok(command::write_hex(&self.blob, buf))
    }
}
