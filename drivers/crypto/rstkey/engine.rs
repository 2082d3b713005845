// SPDX-License-Identifier: GPL-2.0

//! What an accelerator offers the algorithms.
//!
//! The algorithms talk to an accelerator through [`Engine`] only, held as `Arc<dyn Engine>`, so
//! another accelerator can be added without touching them: an engine says what it serves
//! ([`Engine::features`]), creates and destroys sessions with keys in restricted memory, and runs
//! requests in them. The virtio-crypto device is one engine, see
//! [`VirtioEngine`](crate::virtio_engine::VirtioEngine).

use kernel::{
    crypto::{
        skcipher::AnyRequest,
        RequestSg, //
    },
    dma_buf::DmaBuf,
    prelude::*,
    tee::{
        self,
        rstkey_km::blob, //
    },
};

use crate::keystore::{
    KeyPurpose,
    RestrictedKey, //
};

/// The AES block size, which is also the size of a CBC IV.
pub(crate) const AES_BLOCK_SIZE: usize = 16;

/// The shortest AES key, AES-128.
pub(crate) const AES_MIN_KEY_SIZE: usize = 16;

/// The longest AES key, AES-256.
pub(crate) const AES_MAX_KEY_SIZE: usize = 32;

/// The shortest blob of an AES key (`include/uapi/linux/rstkey_km.h`): a 16- or 24-byte key pads
/// to two blocks.
pub(crate) const MIN_AES_BLOB: usize =
    blob::HDR_SIZE + AES_MIN_KEY_SIZE + AES_BLOCK_SIZE + blob::TAG_SIZE;

/// The longest blob of an AES key: a 32-byte key pads to three blocks.
pub(crate) const MAX_AES_BLOB: usize =
    blob::HDR_SIZE + AES_MAX_KEY_SIZE + AES_BLOCK_SIZE + blob::TAG_SIZE;

/// The shortest RSA modulus, in bits, rstkey accepts (and the virtio-crypto device supports).
pub(crate) const RSA_MIN_BITS: usize = 1024;

/// The longest RSA modulus, in bits, rstkey accepts.
pub(crate) const RSA_MAX_BITS: usize = 4096;

/// The shortest padding of RSAES-PKCS1-v1_5 and of EMSA-PKCS1-v1_5, in bytes (RFC 8017, sections
/// 7.2.1 and 9.2): `00 02` or `00 01`, at least 8 bytes of padding, and `00`.
pub(crate) const PKCS1_MIN_PADDING: usize = 11;

/// A symmetric cipher an engine can create sessions for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cipher {
    /// AES in CBC mode (`cbc(aes)`).
    AesCbc,
}

impl Cipher {
    /// Checks that `len` is a valid key length for the cipher.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if it is not.
    pub(crate) fn check_key_len(self, len: usize) -> Result {
        match self {
            // AES-128, AES-192 and AES-256.
            Self::AesCbc if matches!(len, AES_MIN_KEY_SIZE | 24 | AES_MAX_KEY_SIZE) => Ok(()),
            Self::AesCbc => Err(EINVAL),
        }
    }
}

/// The direction of a cipher session.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// The session encrypts.
    Encrypt,
    /// The session decrypts.
    Decrypt,
}

/// The ID of a session on an engine.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionId(pub(crate) u64);

/// The type of an RSA key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaKeyType {
    /// A public key, BER `RSAPublicKey`.
    Public,
    /// A private key, BER `RSAPrivateKey`.
    Private,
}

/// A hash an RSASSA-PKCS1-v1_5 session signs digests of.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaHash {
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl RsaHash {
    /// Returns the size of a digest.
    pub(crate) fn digest_size(self) -> usize {
        match self {
            Self::Sha1 => SHA1_DIGEST_SIZE,
            Self::Sha256 => SHA256_DIGEST_SIZE,
            Self::Sha512 => SHA512_DIGEST_SIZE,
        }
    }
}

/// The size of a SHA-1 digest.
const SHA1_DIGEST_SIZE: usize = 20;

/// The size of a SHA-256 digest.
const SHA256_DIGEST_SIZE: usize = 32;

/// The size of a SHA-512 digest.
const SHA512_DIGEST_SIZE: usize = 64;

/// How an engine's RSA sessions turn what they are given into the number they sign.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaPadding {
    /// The accelerator builds the EMSA-PKCS1-v1_5 encoding of the digest itself (the virtio
    /// `VIRTIO_CRYPTO_RSA_PKCS1_PADDING` sessions): the input is the digest alone.
    Pkcs1,
    /// The accelerator computes the raw RSA primitive on a `k`-byte input: the input is the
    /// EMSA-PKCS1-v1_5 encoding, whose padding and `DigestInfo` the driver builds in kernel
    /// memory and chains before the digest, see [`crate::rsassa`].
    #[cfg_attr(
        not(CONFIG_CRYPTO_DEV_RSTKEY_TEST),
        expect(
            dead_code,
            reason = "no engine does raw RSA yet; the test interface builds its input"
        )
    )]
    Raw,
}

/// `len` bytes at `offset` of a buffer in restricted memory, which the accelerator reads with
/// DMA through an attachment of the buffer and the CPU never reads.
///
/// # Invariants
///
/// `buf` is TEE protected memory, `len > 0` and `offset + len <= buf.size()`.
#[derive(Clone, Copy)]
pub(crate) struct Restricted<'a> {
    buf: &'a DmaBuf,
    offset: usize,
    len: usize,
}

impl<'a> Restricted<'a> {
    /// Describes `len` bytes at `offset` of `buf`.
    ///
    /// # Errors
    ///
    /// [`EPERM`] if `buf` is not TEE protected memory, which the CPU can't read; [`EINVAL`] if
    /// the range is empty or not within `buf`.
    #[cfg_attr(
        not(CONFIG_CRYPTO_DEV_RSTKEY_TEST),
        expect(
            dead_code,
            reason = "only the test interface hands in restricted inputs so far"
        )
    )]
    pub(crate) fn new(buf: &'a DmaBuf, offset: usize, len: usize) -> Result<Self> {
        if !tee::is_protmem(buf) {
            return Err(EPERM);
        }
        let end = offset.checked_add(len).ok_or(EINVAL)?;
        if len == 0 || end > buf.size() {
            return Err(EINVAL);
        }
        // INVARIANT: Checked above.
        Ok(Self { buf, offset, len })
    }

    /// Returns the buffer.
    pub(crate) fn dma_buf(&self) -> &'a DmaBuf {
        self.buf
    }

    /// Returns the offset of the range in the buffer.
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    /// Returns the length of the range, never 0.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// A part of the input of an operation, which the accelerator reads with DMA.
#[derive(Clone, Copy)]
pub(crate) enum Segment<'a> {
    /// Kernel memory; the engine copies it into memory it can map for DMA.
    Kernel(&'a [u8]),
    /// Restricted memory, read through an attachment of the buffer.
    Restricted(Restricted<'a>),
}

impl Segment<'_> {
    /// Returns the length of the segment.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Kernel(b) => b.len(),
            Self::Restricted(r) => r.len(),
        }
    }
}

/// An asynchronous cipher operation the engine accepted.
pub(crate) enum Submitted {
    /// Handed to the accelerator.
    InProgress,
    /// Waiting on the backlog for room on the accelerator's queue.
    Backlogged,
}

/// The scatterlists of a crypto request, which the accelerator reads and writes in place.
///
/// # Invariants
///
/// `src` and `dst` hold the same number of bytes, and stay valid, with nothing else accessing
/// them, until the completion of the operation they are given with is called or dropped.
pub(crate) struct CipherSgs {
    src: RequestSg,
    dst: RequestSg,
}

impl CipherSgs {
    /// Describes the scatterlists of a request.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if the lists hold different numbers of bytes.
    ///
    /// # Safety
    ///
    /// As in the type invariants: the lists stay valid, and nothing else accesses them, until the
    /// completion they are given with is called or dropped.
    pub(crate) unsafe fn new(src: RequestSg, dst: RequestSg) -> Result<Self> {
        if src.len() != dst.len() {
            return Err(EINVAL);
        }
        // INVARIANT: Checked above, and by the safety requirements.
        Ok(Self { src, dst })
    }

    /// Returns the length of the operation, never 0.
    pub(crate) fn len(&self) -> usize {
        self.src.len()
    }

    /// Returns the source, which stays valid as the type invariants say.
    pub(crate) fn src(&self) -> &RequestSg {
        &self.src
    }

    /// Returns the destination, which stays valid as the type invariants say.
    pub(crate) fn dst(&self) -> &RequestSg {
        &self.dst
    }
}

/// A cipher operation to start, for [`Engine::submit_cipher`].
pub(crate) struct CipherOp {
    /// The session.
    pub(crate) id: SessionId,
    /// The direction the session was created for.
    pub(crate) direction: Direction,
    /// The IV.
    pub(crate) iv: [u8; AES_BLOCK_SIZE],
    /// The source and the destination, which the accelerator reads and writes in place.
    pub(crate) sgs: CipherSgs,
}

/// The request of an asynchronous operation, handed to the engine only once it accepts the
/// operation: until then the algorithm keeps it, to refuse it if the engine does not. The engine
/// completes it ([`AnyRequest::complete`]) when the operation is done or fails, or has it
/// submitted again ([`AnyRequest::resume`]) after it waited on the backlog.
pub(crate) trait CompletionSource {
    /// Returns the request; `None` if it was taken already.
    fn take(&mut self) -> Option<AnyRequest>;
}

/// What an engine serves, which decides the algorithms it is picked for.
#[derive(Clone, Copy)]
pub(crate) struct Features {
    /// Clear keys, which is what the crypto API hands to drivers, can be placed in restricted
    /// memory for the engine (the platform's policy allows importing them).
    pub(crate) clear_keys: bool,
    /// Keys wrapped under the device key can be unwrapped into restricted memory for the engine.
    pub(crate) wrapped_keys: bool,
    /// The engine creates [`Cipher::AesCbc`] sessions.
    pub(crate) aes_cbc: bool,
    /// How the engine's RSA sessions sign; `None` if it offers no RSA.
    pub(crate) rsa: Option<RsaPadding>,
}

/// A kind of session an algorithm needs an engine for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// Cipher sessions of the given cipher, with keys the crypto API hands over in the clear.
    Cipher(Cipher),
    /// Cipher sessions of the given cipher, with keys the crypto API hands over wrapped: the
    /// crypto API's protected-key (`paes`) algorithms.
    ProtectedCipher(Cipher),
    /// RSA sessions whose accelerator pads with PKCS#1 v1.5 itself: the crypto API's
    /// `pkcs1(rsa,<hash>)` and `pkcs1pad(rsa)` algorithms.
    RsaPkcs1,
    /// The same with private keys wrapped under the device key: the asymmetric key subtype
    /// `rstkey` (`asym.rs`).
    #[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
    ProtectedRsa,
}

impl Features {
    /// Returns whether an engine with these features serves `service`.
    pub(crate) fn serves(&self, service: Service) -> bool {
        match service {
            Service::Cipher(Cipher::AesCbc) => self.clear_keys && self.aes_cbc,
            Service::ProtectedCipher(Cipher::AesCbc) => self.wrapped_keys && self.aes_cbc,
            Service::RsaPkcs1 => self.clear_keys && self.rsa == Some(RsaPadding::Pkcs1),
            #[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
            Service::ProtectedRsa => self.wrapped_keys && self.rsa == Some(RsaPadding::Pkcs1),
        }
    }
}

/// An accelerator, as the algorithms see it.
///
/// An engine is shared by the transformations that use it (`Arc<dyn Engine>`), from any
/// context that may sleep, except [`Engine::submit_cipher`], which may be called from any
/// context. Once its device is gone, every operation fails with [`ENODEV`].
pub(crate) trait Engine: Send + Sync {
    /// Returns what the engine serves.
    fn features(&self) -> Features;

    /// Places `key` in restricted memory, where only the accelerator can read it.
    ///
    /// # Errors
    ///
    /// [`ENODEV`] if the engine has no TEE to keep keys in restricted memory, or the error of the
    /// TEE (see [`KeyStore::import`](crate::keystore::KeyStore::import)).
    fn import_key(&self, key: &[u8]) -> Result<RestrictedKey>;

    /// Unwraps `blob`, a key wrapped under the device key, into restricted memory for `purpose`.
    ///
    /// # Errors
    ///
    /// [`ENODEV`] if the engine has no TEE to keep keys in restricted memory, or the error of the
    /// TEE (see [`KeyStore::unwrap`](crate::keystore::KeyStore::unwrap)).
    fn unwrap_key(&self, blob: &[u8], purpose: KeyPurpose) -> Result<RestrictedKey>;

    /// Generates a random, exportable key of `len` bytes for `purpose` in restricted memory, and
    /// returns it with its blob wrapped under the device key.
    ///
    /// # Errors
    ///
    /// [`ENODEV`] if the engine has no TEE to keep keys in restricted memory, or the error of the
    /// TEE (see [`KeyStore::generate`](crate::keystore::KeyStore::generate)).
    fn generate_key(&self, len: usize, purpose: KeyPurpose) -> Result<(RestrictedKey, KVec<u8>)>;

    /// Creates a session of `cipher` in `direction` with `key`, and returns its ID.
    ///
    /// The key's length is checked before anything is sent to the accelerator, which then reads
    /// the key from restricted memory with DMA.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a key the cipher or the accelerator does not accept, [`EOPNOTSUPP`] for a
    /// cipher the accelerator does not offer or a key buffer it can't reach without a CPU
    /// mapping, [`EPERM`] if the TEE did not grant the accelerator access to restricted memory,
    /// [`ENODEV`] once the accelerator is gone, or the error the accelerator reports.
    fn create_cipher_session(
        &self,
        cipher: Cipher,
        direction: Direction,
        key: &RestrictedKey,
    ) -> Result<SessionId>;

    /// Destroys the cipher session `id`.
    ///
    /// # Errors
    ///
    /// [`ENODEV`] once the accelerator is gone, or the error the accelerator reports (for
    /// example [`EINVAL`] for a session it does not know).
    fn destroy_cipher_session(&self, id: SessionId) -> Result;

    /// Creates an RSA session with `key`, of type `keytype`, for digests of `hash`, and returns
    /// its ID. The accelerator reads the key from restricted memory with DMA.
    ///
    /// # Errors
    ///
    /// [`EOPNOTSUPP`] if the accelerator does not offer RSA, [`EINVAL`] if it rejects the key,
    /// otherwise as for [`Engine::create_cipher_session`].
    fn create_rsa_session(
        &self,
        keytype: RsaKeyType,
        hash: RsaHash,
        key: &RestrictedKey,
    ) -> Result<SessionId>;

    /// Destroys the RSA session `id`.
    ///
    /// # Errors
    ///
    /// As for [`Engine::destroy_cipher_session`].
    fn destroy_rsa_session(&self, id: SessionId) -> Result;

    /// Signs `input`, the concatenation of its segments, in the private-key RSA session `id` and
    /// returns the signature, of `key_bytes` bytes. Waits for the accelerator.
    ///
    /// For an engine whose RSA pads ([`RsaPadding::Pkcs1`]), `input` is the digest; for
    /// [`RsaPadding::Raw`] it is the `key_bytes`-byte encoded message. The accelerator reads
    /// restricted segments through an attachment of their buffers, which are mapped for it while
    /// the request runs; nothing is copied from them or mapped for the CPU.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for an input of the wrong size, [`EPERM`] if the TEE does not let the
    /// accelerator read a restricted buffer, [`EOPNOTSUPP`] if the accelerator can't reach it
    /// without a CPU mapping, [`EIO`] if the accelerator returns a signature of another length,
    /// or the error it reports.
    fn rsa_sign(
        &self,
        id: SessionId,
        hash: RsaHash,
        input: &[Segment<'_>],
        key_bytes: usize,
    ) -> Result<KVec<u8>>;

    /// Verifies in the RSA session `id`, whose accelerator pads ([`RsaPadding::Pkcs1`]), that
    /// `sig` is a signature of `digest`, both of which the accelerator reads from where they are,
    /// as for [`Engine::rsa_sign`]. Waits for the accelerator.
    ///
    /// # Errors
    ///
    /// [`EKEYREJECTED`] if it is not, [`EOPNOTSUPP`] for an engine that does raw RSA only (the
    /// CPU would have to compare the recovered message with the digest), otherwise as for
    /// [`Engine::rsa_sign`].
    fn rsa_verify(
        &self,
        id: SessionId,
        hash: RsaHash,
        sig: &[Segment<'_>],
        digest: &[Segment<'_>],
    ) -> Result;

    /// Encrypts `plain` with RSAES-PKCS1-v1_5 in the RSA session `id` and returns the
    /// ciphertext, of `key_bytes` bytes. Waits for the accelerator.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `plain` is longer than the padding allows, [`EIO`] if the accelerator keeps
    /// returning a ciphertext of another length, or the error it reports.
    fn rsa_encrypt(&self, id: SessionId, plain: &[u8], key_bytes: usize) -> Result<KVec<u8>>;

    /// Decrypts the RSAES-PKCS1-v1_5 ciphertext `cipher` in the private-key RSA session `id` and
    /// returns the plaintext. Waits for the accelerator.
    ///
    /// # Errors
    ///
    /// The error the accelerator reports, for instance for a ciphertext whose padding is wrong.
    fn rsa_decrypt(&self, id: SessionId, cipher: &[u8]) -> Result<KVec<u8>>;

    /// Starts the cipher operation `op` without waiting, sleeping or allocating memory: it may be
    /// called from any context, and its users (dm-crypt) rely on it not allocating.
    ///
    /// If the accelerator's queues are full, the operation waits on the backlog if `may_backlog`
    /// (the engine takes its request, and resumes it once there is room) or if it is `resumed`,
    /// submitted again after waiting there already (then first on it again). Once the engine
    /// has accepted the operation, it takes the request from `completion`, and completes it,
    /// also when the accelerator fails the operation or goes away; a `resumed` one is notified
    /// when it reaches the accelerator.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a length the cipher or the accelerator does not accept, [`ENOSPC`] if the
    /// queues are full and the operation may not wait, or [`ENODEV`] once the accelerator is
    /// gone. The request has not been taken then.
    fn submit_cipher(
        &self,
        op: CipherOp,
        may_backlog: bool,
        resumed: bool,
        completion: &mut dyn CompletionSource,
    ) -> Result<Submitted>;
}
