// SPDX-License-Identifier: GPL-2.0

//! Keys in restricted memory.
//!
//! Every key rstkey is given is placed by the TEE's key manager (`include/uapi/linux/rstkey_km.h`)
//! into a buffer of the `protected,crypto-key` heap, which the CPU can't access; rstkey keeps no
//! other copy. A clear key is imported, if the platform allows it; a key wrapped under the
//! device key is unwrapped by the key manager straight into that buffer. The accelerator reads
//! the key from the buffer with DMA.

use kernel::{
    dma_buf::DmaBuf,
    prelude::*,
    sync::aref::ARef,
    tee::{
        rstkey_km::{
            blob,
            cmd::{
                GENERATE as CMD_GENERATE,
                IMPORT as CMD_IMPORT,
                UNWRAP as CMD_UNWRAP, //
            },
            IMPL_ID,
            MAX_KEY,
            UUID as KM_UUID, //
        },
        Context,
        HeapId,
        MemRef,
        Param,
        Value, //
    },
};

use crate::engine::AES_BLOCK_SIZE;

/// A key in restricted memory.
///
/// # Invariants
///
/// The first `len` bytes of `buf`, a buffer of the crypto-key heap, hold the key.
pub(crate) struct RestrictedKey {
    buf: ARef<DmaBuf>,
    len: usize,
}

impl RestrictedKey {
    /// Returns the buffer holding the key.
    pub(crate) fn dma_buf(&self) -> &DmaBuf {
        &self.buf
    }

    /// Returns the length of the key.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// The TEE context through which keys are placed in restricted memory.
pub(crate) struct KeyStore {
    ctx: Context,
    /// Whether the platform lets clear keys be imported.
    import_allowed: bool,
}

impl KeyStore {
    /// Opens a context on the TEE that serves the key manager.
    ///
    /// # Errors
    ///
    /// [`ENOENT`] if there is no such TEE, or the error of opening a session to the key manager.
    pub(crate) fn new() -> Result<Self> {
        let ctx = Context::open(|v| v.impl_id == IMPL_ID)?;
        drop(ctx.open_session(&KM_UUID, &mut [])?);
        let mut store = Self {
            ctx,
            import_allowed: true,
        };
        // The platform's policy decides whether clear keys, which is what the crypto API hands
        // to drivers, may be imported: try with a throw-away key.
        store.import_allowed = match store.import(&[0u8; 16]) {
            Ok(_) => true,
            Err(e) if e == EACCES => false,
            Err(e) => return Err(e),
        };
        Ok(store)
    }

    /// Returns whether the platform lets clear keys be imported.
    pub(crate) fn import_allowed(&self) -> bool {
        self.import_allowed
    }

    /// Places `key` in restricted memory.
    ///
    /// The key passes through kernel memory shared with the TEE, which is overwritten with zeros
    /// before it is freed.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for an empty key, [`EACCES`] if the platform does not allow importing clear
    /// keys, [`ENOMEM`], or another error of the TEE.
    pub(crate) fn import(&self, key: &[u8]) -> Result<RestrictedKey> {
        if key.is_empty() {
            return Err(EINVAL);
        }
        self.place(CMD_IMPORT, key, key.len(), None)
    }

    /// Has the key manager authenticate `blob`, a key wrapped under the device key, and decrypt
    /// it into restricted memory, for `purpose`: the key itself never is in normal-world memory.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a blob too short or too long to hold a key, or one the key manager finds
    /// malformed, [`EBADMSG`] for one whose tag is wrong (tampered with, or wrapped under another
    /// device key), [`EACCES`] for a key of another type or without the usages of `purpose`,
    /// [`EOPNOTSUPP`] for another blob version, [`ENOENT`] if the platform has no device key,
    /// [`ENOMEM`], or another error of the TEE.
    pub(crate) fn unwrap(&self, blob: &[u8], purpose: KeyPurpose) -> Result<RestrictedKey> {
        // An RSA key's blob carries its public key, with its length, after the header. A blob
        // that does not read as one (`peek`) is sized as an AES key's, for the key manager to
        // refuse with its own error.
        let public = blob::peek(blob)
            .and_then(|p| p.public)
            .map_or(0, |k| blob::PUB_LEN_SIZE + k.len());
        // The ciphertext is the key padded to whole blocks, with at least one byte of padding.
        let ciphertext = blob
            .len()
            .checked_sub(blob::HDR_SIZE + public + blob::TAG_SIZE)
            .filter(|&n| n >= AES_BLOCK_SIZE && n % AES_BLOCK_SIZE == 0)
            .ok_or(EINVAL)?;
        let room = (ciphertext - 1).min(MAX_KEY);
        let want = Param::ValueInput(Value {
            a: purpose.key_type.into(),
            b: purpose.usage.into(),
            c: 0,
        });
        self.place(CMD_UNWRAP, blob, room, Some(want))
    }

    /// Has the key manager generate a random key of `len` bytes in restricted memory for
    /// `purpose`, exportable, and returns it with its blob wrapped under the device key: the key
    /// itself never is in normal-world memory.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a length the key type does not have, [`EOPNOTSUPP`] for a key type the key
    /// manager does not generate, [`ENOENT`] if the platform has no device key, [`ENOMEM`], or
    /// another error of the TEE.
    pub(crate) fn generate(
        &self,
        len: usize,
        purpose: KeyPurpose,
    ) -> Result<(RestrictedKey, KVec<u8>)> {
        if len == 0 || len > MAX_KEY {
            return Err(EINVAL);
        }
        // The key padded to whole blocks, with at least one byte of padding.
        let blob_len =
            blob::HDR_SIZE + (len / AES_BLOCK_SIZE + 1) * AES_BLOCK_SIZE + blob::TAG_SIZE;
        let buf = self.ctx.alloc_protmem(HeapId::CryptoKey, len)?;
        let restricted = self.ctx.register_dma_buf(&buf)?;
        let shared = self.ctx.alloc_shm(blob_len)?;

        let session = self.ctx.open_session(&KM_UUID, &mut [])?;
        let mut params = [
            Param::ValueInput(Value {
                // CAST: `len` is at most `MAX_KEY`.
                a: len as u64,
                b: purpose.key_type.into(),
                c: u64::from(purpose.usage) | (u64::from(blob::FLAG_EXPORTABLE) << 32),
            }),
            Param::MemRefOutput(MemRef::new(&restricted, 0, len)?),
            Param::MemRefOutput(MemRef::new(&shared, 0, blob_len)?),
        ];
        session.invoke(CMD_GENERATE, &mut params)?;
        drop(session);
        let (written, exported) = match (&params[1], &params[2]) {
            (Param::MemRefOutput(k), Param::MemRefOutput(b)) => (k.size(), b.size()),
            _ => (0, 0),
        };
        if written != len || exported != blob_len {
            return Err(EIO);
        }
        let mut out = KVec::from_elem(0u8, blob_len, GFP_KERNEL)?;
        shared.read(0, &mut out)?;

        // INVARIANT: The key manager wrote the `len` bytes of the key at the start of `buf`.
        Ok((RestrictedKey { buf, len }, out))
    }

    /// Invokes `cmd` of the key manager with `input` in kernel shared memory and a restricted
    /// output of `room` bytes (and `extra` as third parameter), and returns the key it wrote
    /// there. The shared memory is overwritten with zeros before it is freed.
    fn place(
        &self,
        cmd: u32,
        input: &[u8],
        room: usize,
        extra: Option<Param<'_>>,
    ) -> Result<RestrictedKey> {
        let buf = self.ctx.alloc_protmem(HeapId::CryptoKey, room)?;
        let restricted = self.ctx.register_dma_buf(&buf)?;
        let mut shared = self.ctx.alloc_shm(input.len())?;
        shared.write(0, input)?;

        let n = 2 + usize::from(extra.is_some());
        let session = self.ctx.open_session(&KM_UUID, &mut [])?;
        let mut params = [
            Param::MemRefInput(MemRef::new(&shared, 0, input.len())?),
            Param::MemRefOutput(MemRef::new(&restricted, 0, room)?),
            extra.unwrap_or(Param::None),
        ];
        let ret = session.invoke(cmd, &mut params[..n]);
        drop(session);
        let written = match params[1] {
            Param::MemRefOutput(m) => m.size(),
            _ => 0,
        };

        // Whatever happened, the copy in shared memory goes.
        let zeros = [0u8; 64];
        let mut wiped = Ok(());
        for off in (0..input.len()).step_by(zeros.len()) {
            let n = (input.len() - off).min(zeros.len());
            if let Err(e) = shared.write(off, &zeros[..n]) {
                wiped = Err(e);
            }
        }
        ret?;
        wiped?;
        if written == 0 || written > room {
            return Err(EIO);
        }

        // INVARIANT: The key manager wrote the `written` bytes of the key at the start of `buf`.
        Ok(RestrictedKey { buf, len: written })
    }
}

/// What a key is unwrapped for: the key manager refuses a blob whose header does not allow it.
#[derive(Clone, Copy)]
pub(crate) struct KeyPurpose {
    /// The key type (`blob::KEY_*`).
    pub(crate) key_type: u8,
    /// The usages the key must have (`blob::usage::*`).
    pub(crate) usage: u16,
}

impl KeyPurpose {
    /// An AES key for CBC.
    pub(crate) const AES_CBC: Self = Self {
        key_type: blob::KEY_AES,
        usage: blob::usage::AES_CBC,
    };
}
