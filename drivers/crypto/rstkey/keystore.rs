// SPDX-License-Identifier: GPL-2.0

//! Keys in restricted memory.
//!
//! Every key rstkey is given is placed by the TEE's key manager (`include/uapi/linux/rstkey_km.h`)
//! into a buffer of the `protected,crypto-key` heap, which the CPU can't access; rstkey keeps no
//! other copy. The accelerator reads the key from that buffer with DMA.

use kernel::{
    dma_buf::DmaBuf,
    prelude::*,
    sync::aref::ARef,
    tee::{
        rstkey_km::{
            cmd::IMPORT as CMD_IMPORT,
            IMPL_ID,
            UUID as KM_UUID, //
        },
        Context,
        HeapId,
        MemRef,
        Param, //
    },
};

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
        let buf = self.ctx.alloc_protmem(HeapId::CryptoKey, key.len())?;
        let restricted = self.ctx.register_dma_buf(&buf)?;
        let mut clear = self.ctx.alloc_shm(key.len())?;
        clear.write(0, key)?;

        let session = self.ctx.open_session(&KM_UUID, &mut [])?;
        let mut params = [
            Param::MemRefInput(MemRef::new(&clear, 0, key.len())?),
            Param::MemRefOutput(MemRef::new(&restricted, 0, key.len())?),
        ];
        let ret = session.invoke(CMD_IMPORT, &mut params);
        drop(session);
        let written = match params[1] {
            Param::MemRefOutput(m) => m.size(),
            _ => 0,
        };

        // Whatever happened, the clear copy goes.
        let zeros = [0u8; 64];
        let mut wiped = Ok(());
        for off in (0..key.len()).step_by(zeros.len()) {
            let n = (key.len() - off).min(zeros.len());
            if let Err(e) = clear.write(off, &zeros[..n]) {
                wiped = Err(e);
            }
        }
        ret?;
        wiped?;
        if written != key.len() {
            return Err(EIO);
        }
        let len = written;

        // INVARIANT: The key manager wrote the `len` bytes of the key at the start of `buf`.
        Ok(RestrictedKey { buf, len })
    }
}
