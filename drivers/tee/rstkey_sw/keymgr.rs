// SPDX-License-Identifier: GPL-2.0

//! The key manager, the Trusted Application of the emulated secure world.
//!
//! Protocol: `include/uapi/linux/rstkey_km.h`. Every command checks its parameter types first;
//! a restricted memory reference must be a registered dma-buf inside the carveout, and memory
//! references are checked against their shared memory by [`Params::memref`].

use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        new_mutex,
        Arc,
        Mutex, //
    },
    tee::{
        backend::{
            login,
            result,
            ClientId,
            Driver,
            Failure,
            MemRefArg,
            ParamType::{
                MemrefInout,
                MemrefInput,
                MemrefOutput,
                ValueInput, //
            },
            Params, //
        },
        gen_caps,
        protmem::PhysAddr,
        Uuid,
        Version, //
    },
};

use crate::{
    blob::{
        DeviceKey,
        Secret, //
    },
    carveout::Carveout,
};

/// The implementation id of the emulated secure world, `RSTKEY_SW_IMPL_ID`.
pub(crate) const IMPL_ID: u32 = 0x524b_5357;

/// The key manager, `RSTKEY_KM_UUID_BYTES`.
pub(crate) const UUID: Uuid = Uuid::from_bytes([
    0x5c, 0x0d, 0x3a, 0x1e, 0x7b, 0x4f, 0x4d, 0x6a, 0x9e, 0x21, 0x5f, 0x8c, 0x3b, 0x9a, 0x0d, 0x17,
]);

/// The largest key, `RSTKEY_KM_MAX_KEY`.
pub(crate) const MAX_KEY: usize = 4096;

/// Commands, `RSTKEY_KM_CMD_*`.
const CMD_IMPORT: u32 = 0;
const CMD_UNWRAP: u32 = 1;
const CMD_GENERATE: u32 = 2;
const CMD_ZEROIZE: u32 = 3;
const CMD_CHECK: u32 = 4;

/// The size of a SHA-256 digest.
const DIGEST: usize = 32;

/// A failure of the key manager with `code`.
fn fail(code: u32) -> Failure {
    Failure::ta(code)
}

/// Maps a parameter error to [`result::BAD_PARAMETERS`].
fn bad<T>(r: Result<T>) -> core::result::Result<T, Failure> {
    r.map_err(|_| fail(result::BAD_PARAMETERS))
}

/// The emulated secure world: its carveout, device key, policy and sessions.
#[pin_data]
pub(crate) struct SecureWorld {
    carveout: Arc<Carveout>,
    device_key: Option<DeviceKey>,
    allow_import: bool,
    next_session: Atomic<u32>,
    #[pin]
    sessions: Mutex<KVec<(ClientId, u32)>>,
}

impl SecureWorld {
    pub(crate) fn new(
        carveout: Arc<Carveout>,
        device_key: Option<DeviceKey>,
        allow_import: bool,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            carveout,
            device_key,
            allow_import,
            next_session: Atomic::new(1),
            sessions <- new_mutex!(KVec::new()),
        }? Error)
    }

    /// Returns the physical address of the restricted memory reference `m`.
    fn restricted(&self, m: &MemRefArg<'_>) -> core::result::Result<PhysAddr, Failure> {
        let phys = bad(m.shm.dma_buf_phys())? + m.offset as u64;
        let (base, size) = self.carveout.range();
        if phys < base || phys - base + m.size as u64 > size as u64 {
            return Err(fail(result::BAD_PARAMETERS));
        }
        Ok(phys)
    }

    /// Copies `key` to the restricted output memory reference `i`.
    fn store(
        &self,
        params: &mut Params<'_>,
        i: usize,
        key: &[u8],
    ) -> core::result::Result<(), Failure> {
        let dst = bad(params.memref(i))?;
        let phys = self.restricted(&dst)?;
        if dst.size < key.len() {
            bad(params.set_memref_size(i, key.len()))?;
            return Err(fail(result::SHORT_BUFFER));
        }
        bad(self.carveout.write(phys, key))?;
        bad(params.set_memref_size(i, key.len()))
    }

    /// Reads the kernel memory reference `i`, of 1 to [`MAX_KEY`] bytes.
    fn read_input(params: &Params<'_>, i: usize) -> core::result::Result<Secret, Failure> {
        let src = bad(params.memref(i))?;
        if src.size == 0 || src.size > MAX_KEY {
            return Err(fail(result::BAD_PARAMETERS));
        }
        let mut buf = Secret(KVec::new());
        buf.0
            .extend_with(src.size, 0, GFP_KERNEL)
            .map_err(|_| fail(result::OUT_OF_MEMORY))?;
        bad(src.shm.read(src.offset, &mut buf.0))?;
        Ok(buf)
    }

    fn import(&self, params: &mut Params<'_>) -> core::result::Result<(), Failure> {
        bad(params.check_types(&[MemrefInput, MemrefOutput]))?;
        if !self.allow_import {
            return Err(fail(result::ACCESS_DENIED));
        }
        let key = Self::read_input(params, 0)?;
        self.store(params, 1, &key.0)
    }

    fn unwrap(&self, params: &mut Params<'_>) -> core::result::Result<(), Failure> {
        bad(params.check_types(&[MemrefInput, MemrefOutput]))?;
        let device_key = self
            .device_key
            .as_ref()
            .ok_or(fail(result::ITEM_NOT_FOUND))?;
        let src = bad(params.memref(0))?;
        let max_blob = crate::blob::HDR_SIZE + MAX_KEY + 16 + crate::blob::TAG_SIZE;
        if src.size > max_blob {
            return Err(fail(result::BAD_PARAMETERS));
        }
        let mut blob = KVec::new();
        blob.extend_with(src.size, 0, GFP_KERNEL)
            .map_err(|_| fail(result::OUT_OF_MEMORY))?;
        bad(src.shm.read(src.offset, &mut blob))?;
        let key = device_key.unwrap(&blob).map_err(fail)?;
        self.store(params, 1, &key.0)
    }

    fn generate(&self, params: &mut Params<'_>) -> core::result::Result<(), Failure> {
        bad(params.check_types(&[ValueInput, MemrefOutput]))?;
        let len = bad(params.value(0))?.a;
        let len = match usize::try_from(len) {
            Ok(l) if (1..=MAX_KEY).contains(&l) => l,
            _ => return Err(fail(result::BAD_PARAMETERS)),
        };
        let mut key = Secret(KVec::new());
        key.0
            .extend_with(len, 0, GFP_KERNEL)
            .map_err(|_| fail(result::OUT_OF_MEMORY))?;
        // SAFETY: `key` holds `len` writable bytes.
        unsafe { bindings::get_random_bytes(key.0.as_mut_ptr().cast(), len) };
        self.store(params, 1, &key.0)
    }

    fn zeroize(&self, params: &mut Params<'_>) -> core::result::Result<(), Failure> {
        bad(params.check_types(&[MemrefInout]))?;
        let m = bad(params.memref(0))?;
        let phys = self.restricted(&m)?;
        bad(self.carveout.zero(phys, m.size))
    }

    fn check(&self, params: &mut Params<'_>) -> core::result::Result<(), Failure> {
        bad(params.check_types(&[MemrefInput, MemrefOutput]))?;
        let m = bad(params.memref(0))?;
        let phys = self.restricted(&m)?;
        let out = bad(params.memref(1))?;
        if out.size < DIGEST {
            bad(params.set_memref_size(1, DIGEST))?;
            return Err(fail(result::SHORT_BUFFER));
        }
        let mut digest = [0u8; DIGEST];
        bad(self.carveout.with_bytes(phys, m.size, |bytes| {
            // SAFETY: `bytes` is valid for its length and `digest` has 32 bytes.
            unsafe { bindings::sha256(bytes.as_ptr(), bytes.len(), digest.as_mut_ptr()) }
        }))?;
        bad(out.shm.write(out.offset, &digest))?;
        bad(params.set_memref_size(1, DIGEST))
    }
}

#[vtable]
impl Driver for SecureWorld {
    fn version(&self) -> Version {
        Version {
            impl_id: IMPL_ID,
            impl_caps: 0,
            gen_caps: gen_caps::GP,
        }
    }

    fn open_session(
        &self,
        client: ClientId,
        login_method: u32,
        uuid: &Uuid,
        params: &mut Params<'_>,
    ) -> core::result::Result<u32, Failure> {
        if *uuid != UUID {
            return Err(Failure::tee(result::ITEM_NOT_FOUND));
        }
        if login_method != login::REE_KERNEL {
            return Err(Failure::tee(result::ACCESS_DENIED));
        }
        bad(params.check_types(&[]))?;
        let id = self.next_session.fetch_add(1, Relaxed);
        self.sessions
            .lock()
            .push((client, id), GFP_KERNEL)
            .map_err(|_| Failure::tee(result::OUT_OF_MEMORY))?;
        Ok(id)
    }

    fn close_session(&self, client: ClientId, session: u32) -> Result {
        let mut sessions = self.sessions.lock();
        let before = sessions.len();
        sessions.retain(|s| *s != (client, session));
        if sessions.len() == before {
            return Err(EINVAL);
        }
        Ok(())
    }

    fn invoke(
        &self,
        client: ClientId,
        session: u32,
        func: u32,
        params: &mut Params<'_>,
    ) -> core::result::Result<(), Failure> {
        if !self.sessions.lock().contains(&(client, session)) {
            return Err(Failure::tee(result::BAD_STATE));
        }
        match func {
            CMD_IMPORT => self.import(params),
            CMD_UNWRAP => self.unwrap(params),
            CMD_GENERATE => self.generate(params),
            CMD_ZEROIZE => self.zeroize(params),
            CMD_CHECK => self.check(params),
            _ => Err(fail(result::NOT_SUPPORTED)),
        }
    }

    fn release(&self, client: ClientId) {
        self.sessions.lock().retain(|s| s.0 != client);
    }
}
