// SPDX-License-Identifier: GPL-2.0

//! The key manager, the Trusted Application of the emulated secure world.
//!
//! Protocol: `include/uapi/linux/rstkey_km.h`. Every command checks its parameter types first;
//! a restricted memory reference must be a registered dma-buf inside the carveout, and memory
//! references are checked against their shared memory by [`Params::memref`].

use kernel::{
    crypto::{
        rsa,
        sha256, //
    },
    prelude::*,
    random,
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
        rstkey_km::{
            blob::{
                FLAG_EXPORTABLE,
                IV_SIZE,
                KEY_AES,
                KEY_RSA, //
            },
            cmd,
            IMPL_ID,
            MAX_KEY,
            UUID, //
        },
        Uuid,
        Version, //
    },
};

use crate::{
    blob::{
        DeviceKey,
        KeyInfo,
        Secret,
        MAX_BLOB_SIZE, //
    },
    carveout::Carveout,
};

/// The keys of the AES-CBC test vectors of the crypto API's self-tests (`aes_cbc_tv_template` in
/// `crypto/testmgr.h`, from NIST SP 800-38A and RFC 3602), which the self-test of a protected-key
/// algorithm gives as clear keys. They are published, so they may be imported whatever the
/// platform's policy: a key made from them protects nothing, and no other key is among them.
const TEST_VECTOR_KEYS: [&[u8]; 5] = [
    b"\x06\xa9\x21\x40\x36\xb8\xa1\x5b\x51\x2e\x03\xd5\x34\x12\x00\x06",
    b"\xc2\x86\x69\x6d\x88\x7c\x9a\xa0\x61\x1b\xbb\x3e\x20\x25\xa4\x5a",
    b"\x8e\x73\xb0\xf7\xda\x0e\x64\x52\xc8\x10\xf3\x2b\x80\x90\x79\xe5\
      \x62\xf8\xea\xd2\x52\x2c\x6b\x7b",
    b"\x60\x3d\xeb\x10\x15\xca\x71\xbe\x2b\x73\xae\xf0\x85\x7d\x77\x81\
      \x1f\x35\x2c\x07\x3b\x61\x08\xd7\x2d\x98\x10\xa3\x09\x14\xdf\xf4",
    b"\xc9\x83\xa6\xc9\xec\x0f\x32\x55\x0f\x32\x55\x78\x9b\xbe\x78\x9b\
      \xbe\xe1\x04\x27\xe1\x04\x27\x4a\x6d\x90\x4a\x6d\x90\xb3\xd6\xf9",
];

/// Returns whether `key` is one of [`TEST_VECTOR_KEYS`].
fn is_test_vector_key(key: &[u8]) -> bool {
    TEST_VECTOR_KEYS.contains(&key)
}

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
        let key = Self::read_input(params, 0)?;
        // Published test keys reveal nothing: the crypto API's self-tests may run with them even
        // where the platform forbids importing clear keys.
        if !self.allow_import && !is_test_vector_key(&key.0) {
            return Err(fail(result::ACCESS_DENIED));
        }
        self.store(params, 1, &key.0)
    }

    fn unwrap(&self, params: &mut Params<'_>) -> core::result::Result<(), Failure> {
        bad(params.check_types(&[MemrefInput, MemrefOutput, ValueInput]))?;
        // The use the caller will make of the key: its type and the usages it needs.
        let want = bad(params.value(2))?;
        let (Ok(key_type), Ok(needed)) = (u8::try_from(want.a), u16::try_from(want.b)) else {
            return Err(fail(result::BAD_PARAMETERS));
        };
        let device_key = self
            .device_key
            .as_ref()
            .ok_or(fail(result::ITEM_NOT_FOUND))?;
        let src = bad(params.memref(0))?;
        if src.size > MAX_BLOB_SIZE {
            return Err(fail(result::BAD_PARAMETERS));
        }
        let mut blob = KVec::new();
        blob.extend_with(src.size, 0, GFP_KERNEL)
            .map_err(|_| fail(result::OUT_OF_MEMORY))?;
        bad(src.shm.read(src.offset, &mut blob))?;
        let key = device_key.unwrap(&blob).map_err(fail)?;
        if !key.info.allows(key_type, needed) {
            return Err(fail(result::ACCESS_DENIED));
        }
        if key.info.key_type == KEY_RSA {
            // The public key the blob carries, which the normal world uses, must be the private
            // key's.
            let private = rsa::public_parts(&key.secret.0, rsa::KeyType::Private);
            let public = rsa::public_parts(&key.public, rsa::KeyType::Public);
            match (private, public) {
                (Ok(private), Ok(public)) if private == public => (),
                _ => return Err(fail(result::BAD_FORMAT)),
            }
        }
        self.store(params, 1, &key.secret.0)
    }

    fn generate(&self, params: &mut Params<'_>) -> core::result::Result<(), Failure> {
        // The blob is asked for with a third parameter.
        let export = params.param_type(2) == MemrefOutput;
        if export {
            bad(params.check_types(&[ValueInput, MemrefOutput, MemrefOutput]))?;
        } else {
            bad(params.check_types(&[ValueInput, MemrefOutput]))?;
        }
        let v = bad(params.value(0))?;
        let len = match usize::try_from(v.a) {
            Ok(l) if (1..=MAX_KEY).contains(&l) => l,
            _ => return Err(fail(result::BAD_PARAMETERS)),
        };
        // CAST: The fields are taken apart; `try_from` refuses a type above a byte.
        let info = KeyInfo {
            key_type: u8::try_from(v.b).map_err(|_| fail(result::BAD_PARAMETERS))?,
            usage: v.c as u16,
            flags: (v.c >> 32) as u32,
        };
        if (v.c >> 16) & 0xffff != 0 {
            return Err(fail(result::BAD_PARAMETERS));
        }
        // A random RSA key is not random bytes: only AES keys are generated here.
        if info.key_type != KEY_AES {
            return Err(fail(result::NOT_SUPPORTED));
        }
        info.check(len).map_err(fail)?;
        // Only an exportable key is exported, and its blob goes to kernel memory.
        if export != (info.flags & FLAG_EXPORTABLE != 0) {
            return Err(fail(result::BAD_PARAMETERS));
        }

        let mut key = Secret(KVec::new());
        key.0
            .extend_with(len, 0, GFP_KERNEL)
            .map_err(|_| fail(result::OUT_OF_MEMORY))?;
        random::fill_bytes(&mut key.0);
        let blob = if export {
            let dk = self
                .device_key
                .as_ref()
                .ok_or(fail(result::ITEM_NOT_FOUND))?;
            let mut iv = [0u8; IV_SIZE];
            random::fill_bytes(&mut iv);
            Some(dk.wrap(&key.0, &[], info, &iv).map_err(fail)?)
        } else {
            None
        };
        if let Some(blob) = &blob {
            // Nothing is stored unless the blob fits too.
            let out = bad(params.memref(2))?;
            if out.size < blob.len() {
                bad(params.set_memref_size(2, blob.len()))?;
                return Err(fail(result::SHORT_BUFFER));
            }
        }
        self.store(params, 1, &key.0)?;
        if let Some(blob) = &blob {
            let out = bad(params.memref(2))?;
            bad(out.shm.write(out.offset, blob))?;
            bad(params.set_memref_size(2, blob.len()))?;
        }
        Ok(())
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
        if out.size < sha256::DIGEST_SIZE {
            bad(params.set_memref_size(1, sha256::DIGEST_SIZE))?;
            return Err(fail(result::SHORT_BUFFER));
        }
        let digest = bad(self.carveout.with_bytes(phys, m.size, sha256::digest))?;
        bad(out.shm.write(out.offset, &digest))?;
        bad(params.set_memref_size(1, sha256::DIGEST_SIZE))
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
            cmd::IMPORT => self.import(params),
            cmd::UNWRAP => self.unwrap(params),
            cmd::GENERATE => self.generate(params),
            cmd::ZEROIZE => self.zeroize(params),
            cmd::CHECK => self.check(params),
            _ => Err(fail(result::NOT_SUPPORTED)),
        }
    }

    fn release(&self, client: ClientId) {
        self.sessions.lock().retain(|s| s.0 != client);
    }
}
