// SPDX-License-Identifier: GPL-2.0

//! The parts of the kernel crate that the fuzzed files use, for a host build.
//!
//! The fuzzed files are the kernel's own, included with `#[path]`; this crate gives them the
//! names they import, with the same signatures and the same semantics as far as the files rely
//! on them. Nothing here is fuzzed itself: the AES and SHA-256 libraries are RustCrypto's, the
//! allocator is the host's (an allocation failure is not injected here: the guest's fault
//! injection covers that), and the device parts only carry the configuration space the target
//! gives them.

pub use uapi;

pub mod error {
    //! Kernel errors: a negative errno.

    /// An errno.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct Error(i32);

    impl Error {
        /// Returns the (negative) errno.
        pub fn to_errno(self) -> i32 {
            self.0
        }
    }

    /// The kernel's result type.
    pub type Result<T = (), E = Error> = core::result::Result<T, E>;

    /// The errno constants the fuzzed files use, with Linux's values.
    pub mod code {
        use super::Error;
        macro_rules! codes {
            ($($name:ident = $v:expr),* $(,)?) => {
                $(
                    #[doc = concat!("`", stringify!($name), "`.")]
                    pub const $name: Error = Error(-$v);
                )*
            };
        }
        codes!(
            ENOENT = 2,
            EIO = 5,
            ENOMEM = 12,
            EBUSY = 16,
            EEXIST = 17,
            ENODEV = 19,
            EINVAL = 22,
            ENOSPC = 28,
            EBADMSG = 74,
            EOPNOTSUPP = 95,
            EKEYREJECTED = 129,
        );
    }

    /// An allocation failure.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct AllocError;

    impl From<AllocError> for Error {
        fn from(_: AllocError) -> Self {
            code::ENOMEM
        }
    }
}

pub mod alloc {
    //! `KVec` on the host allocator.

    use crate::error::AllocError;

    /// Allocation flags (ignored on the host).
    #[derive(Clone, Copy)]
    pub struct Flags;

    pub mod flags {
        //! The allocation flags the fuzzed files use.
        pub const GFP_KERNEL: super::Flags = super::Flags;
    }

    /// The kernel's vector: the inherent methods take allocation flags and can fail.
    #[derive(Debug, Default, Clone, PartialEq, Eq)]
    pub struct KVec<T>(Vec<T>);

    impl<T> KVec<T> {
        /// An empty vector.
        pub const fn new() -> Self {
            Self(Vec::new())
        }

        /// Appends `v`.
        pub fn push(&mut self, v: T, _flags: Flags) -> Result<(), AllocError> {
            self.0.push(v);
            Ok(())
        }
    }

    impl<T: Clone> KVec<T> {
        /// A vector of `n` copies of `v`.
        pub fn from_elem(v: T, n: usize, _flags: Flags) -> Result<Self, AllocError> {
            Ok(Self(vec![v; n]))
        }

        /// Appends `n` copies of `v`.
        pub fn extend_with(&mut self, n: usize, v: T, _flags: Flags) -> Result<(), AllocError> {
            self.0.resize(self.0.len() + n, v);
            Ok(())
        }

        /// Appends the elements of `s`.
        pub fn extend_from_slice(&mut self, s: &[T], _flags: Flags) -> Result<(), AllocError> {
            self.0.extend_from_slice(s);
            Ok(())
        }
    }

    impl<T> core::ops::Deref for KVec<T> {
        type Target = Vec<T>;
        fn deref(&self) -> &Vec<T> {
            &self.0
        }
    }

    impl<T> core::ops::DerefMut for KVec<T> {
        fn deref_mut(&mut self) -> &mut Vec<T> {
            &mut self.0
        }
    }
}

pub mod fmt {
    //! Formatting: `core::fmt`.
    pub use core::fmt::*;
}

/// `kernel::fmt!`: the arguments of a formatted write.
#[macro_export]
macro_rules! fmt {
    ($($t:tt)*) => {
        ::core::format_args!($($t)*)
    };
}

pub mod prelude {
    //! The kernel prelude as far as the fuzzed files use it.
    pub use crate::alloc::{flags::*, KVec};
    pub use crate::error::{code::*, Error, Result};
    pub use crate::fmt;
    pub use macros::kunit_tests;
}

pub mod transmute {
    //! Types that can be viewed as bytes, or made of any bytes.

    /// Types without padding or interior mutability, whose bytes can be read.
    ///
    /// # Safety
    ///
    /// As for the kernel's `AsBytes`.
    pub unsafe trait AsBytes {}

    /// Types for which any bit pattern is a valid value.
    ///
    /// # Safety
    ///
    /// As for the kernel's `FromBytes`.
    pub unsafe trait FromBytes: Sized {
        /// Copies a value out of the first `size_of::<Self>()` bytes of `bytes`.
        fn from_bytes_copy(bytes: &[u8]) -> Option<Self> {
            if bytes.len() < core::mem::size_of::<Self>() {
                return None;
            }
            // SAFETY: `bytes` holds at least `size_of::<Self>()` bytes, the read is unaligned,
            // and any bit pattern is a valid `Self` by the safety requirement of the trait.
            Some(unsafe { core::ptr::read_unaligned(bytes.as_ptr().cast::<Self>()) })
        }
    }

    // SAFETY: Any bit pattern is a valid integer.
    unsafe impl FromBytes for u32 {}
}

pub mod crypto {
    //! The AES and SHA-256 libraries, as the kernel crate's `crypto::{aes, sha256}`.

    pub mod aes {
        //! AES block operations.
        use crate::error::{code::EINVAL, Result};
        use aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};

        /// The AES block size.
        pub const BLOCK_SIZE: usize = 16;
        /// The size of an AES-256 key.
        pub const KEY_SIZE_256: usize = 32;
        /// One block.
        pub type Block = [u8; BLOCK_SIZE];

        /// An expanded AES-256 key.
        pub struct Key(aes::Aes256);

        impl Key {
            /// Expands `key`; only AES-256 keys are used by the fuzzed files.
            pub fn new(key: &[u8]) -> Result<Self> {
                aes::Aes256::new_from_slice(key)
                    .map(Self)
                    .map_err(|_| EINVAL)
            }

            /// Encrypts `src` into `dst`.
            pub fn encrypt(&self, dst: &mut Block, src: &Block) {
                let mut b = (*src).into();
                self.0.encrypt_block(&mut b);
                *dst = b.into();
            }

            /// Decrypts `src` into `dst`.
            pub fn decrypt(&self, dst: &mut Block, src: &Block) {
                let mut b = (*src).into();
                self.0.decrypt_block(&mut b);
                *dst = b.into();
            }
        }
    }

    pub mod sha256 {
        //! SHA-256 and HMAC-SHA256.
        use hmac::{Hmac, Mac};
        use sha2::{Digest, Sha256};

        /// The size of a digest.
        pub const DIGEST_SIZE: usize = 32;

        /// Returns the SHA-256 digest of `data`.
        pub fn digest(data: &[u8]) -> [u8; DIGEST_SIZE] {
            Sha256::digest(data).into()
        }

        /// Returns the HMAC-SHA256 of `data` under `key`.
        pub fn hmac(key: &[u8], data: &[u8]) -> [u8; DIGEST_SIZE] {
            // HMAC takes keys of any length.
            let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
                Ok(m) => m,
                Err(_) => unreachable!("HMAC takes keys of any length"),
            };
            m.update(data);
            m.finalize().into_bytes().into()
        }
    }
}

pub mod tee {
    //! The TEE names the secure world's blob parser uses.

    /// A UUID, in its byte order.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub struct Uuid([u8; 16]);

    impl Uuid {
        /// The UUID of the given fields, as RFC 4122 writes them (big endian).
        pub const fn new(time_low: u32, time_mid: u16, time_hi: u16, rest: [u8; 8]) -> Self {
            let a = time_low.to_be_bytes();
            let b = time_mid.to_be_bytes();
            let c = time_hi.to_be_bytes();
            Self([
                a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], rest[0], rest[1], rest[2], rest[3],
                rest[4], rest[5], rest[6], rest[7],
            ])
        }
    }

    pub mod backend {
        //! The TEE backend's result codes: the kernel crate's own file.
        pub use crate::tee_result as result;
    }

    pub use crate::rstkey_km;
}

/// The key manager's protocol, `kernel::tee::rstkey_km`: the kernel crate's own file. It is
/// declared here, not in `tee`, because a `#[path]` in an inline module is taken relative to a
/// directory that does not exist; `super::Uuid` in it is the crate root's.
#[path = "../../../../../rust/kernel/tee/rstkey_km.rs"]
pub mod rstkey_km;
pub use tee::Uuid;

/// GlobalPlatform result codes, `kernel::tee::backend::result`: the kernel crate's own file,
/// declared here for the same reason.
#[path = "../../../../../rust/kernel/tee/backend/result.rs"]
pub mod tee_result;

pub mod device {
    //! Device contexts.

    /// A bound device.
    pub struct Bound;
}

pub mod debugfs {
    //! debugfs files that print a value.

    /// A value a debugfs file prints.
    pub trait Writer {
        /// Prints the value.
        fn write(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result;
    }
}

/// `io_read!(io, .field)`: reads a field of a configuration space.
#[macro_export]
macro_rules! io_read {
    ($io:expr, .$field:ident) => {
        $io.$field
    };
}

pub mod io {
    //! I/O memory accessors.
    pub use crate::io_read;
}

pub mod virtio {
    //! A virtio device that carries only its configuration space.
    use crate::error::Result;
    use core::marker::PhantomData;

    /// A virtio device type and the layout of its configuration space.
    ///
    /// # Safety
    ///
    /// As for the kernel's `virtio::DeviceType`.
    pub unsafe trait DeviceType {
        /// The virtio device ID.
        const ID: u32;
        /// The configuration space.
        type Config: Copy;
    }

    /// A device whose configuration space holds the bytes of a fuzz input.
    pub struct Device<Ctx> {
        config: [u8; 256],
        _ctx: PhantomData<Ctx>,
    }

    impl<Ctx> Device<Ctx> {
        /// A device with the configuration space `config` (zero-filled to its size).
        pub fn new(config: &[u8]) -> Self {
            let mut c = [0u8; 256];
            let n = config.len().min(c.len());
            c[..n].copy_from_slice(&config[..n]);
            Self {
                config: c,
                _ctx: PhantomData,
            }
        }

        /// Reads the configuration space of a device of type `T`.
        pub fn config_space<T: DeviceType>(&self) -> Result<T::Config> {
            assert!(core::mem::size_of::<T::Config>() <= self.config.len());
            // SAFETY: `config` holds more bytes than a `T::Config`, the read is unaligned, and the
            // configuration spaces of virtio devices are plain integer fields (any bit pattern
            // is valid).
            Ok(unsafe { core::ptr::read_unaligned(self.config.as_ptr().cast::<T::Config>()) })
        }
    }
}
