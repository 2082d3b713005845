// SPDX-License-Identifier: GPL-2.0

//! What an accelerator offers the algorithms.
//!
//! The algorithms talk to an accelerator through [`Engine`] only, so another accelerator can be
//! added without touching them. The virtio-crypto device is one engine, see
//! [`VirtioEngine`](crate::virtio_engine::VirtioEngine).

use core::ptr::NonNull;
use kernel::{
    alloc::Flags,
    bindings,
    dma_buf::DmaBuf,
    prelude::*,
    tee, //
};

use crate::keystore::RestrictedKey;

/// The AES block size, which is also the size of a CBC IV.
pub(crate) const AES_BLOCK_SIZE: usize = 16;

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
            Self::AesCbc if matches!(len, 16 | 24 | 32) => Ok(()),
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
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

/// How an engine's RSA sessions turn what they are given into the number they sign.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsaPadding {
    /// The accelerator builds the EMSA-PKCS1-v1_5 encoding of the digest itself (the virtio
    /// `VIRTIO_CRYPTO_RSA_PKCS1_PADDING` sessions): the input is the digest alone.
    Pkcs1,
    /// The accelerator computes the raw RSA primitive on a `k`-byte input: the input is the
    /// EMSA-PKCS1-v1_5 encoding, whose padding and `DigestInfo` the driver builds in kernel
    /// memory and chains before the digest, see [`crate::rsassa`].
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

/// Where an asynchronous cipher operation reports to.
pub(crate) trait CipherCompletion: Send {
    /// The operation, which was put on the backlog, has been handed to the accelerator.
    fn started(&mut self);

    /// The operation is done, its result in the destination, or failed. Called once, from any
    /// context, including hard interrupts; the object is dropped afterwards.
    fn done(&mut self, result: Result);
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
/// `src` and `dst` are valid scatterlists of kernel memory holding at least `len > 0` bytes, in
/// `src_entries` and `dst_entries` entries, which stay valid, and which nothing else accesses,
/// until the completion of the operation they are given with is called or dropped.
pub(crate) struct CipherSgs {
    pub(crate) src: NonNull<bindings::scatterlist>,
    pub(crate) dst: NonNull<bindings::scatterlist>,
    pub(crate) len: usize,
    pub(crate) src_entries: usize,
    pub(crate) dst_entries: usize,
}

// SAFETY: The scatterlists may be used from any CPU while the operation runs (type invariants).
unsafe impl Send for CipherSgs {}

impl CipherSgs {
    /// Describes the scatterlists of a request of `len` bytes.
    ///
    /// # Safety
    ///
    /// As in the type invariants: the lists hold `len` bytes in that many entries and stay
    /// valid, and nothing else accesses them, until the completion they are given with is called
    /// or dropped.
    pub(crate) unsafe fn new(
        src: NonNull<bindings::scatterlist>,
        dst: NonNull<bindings::scatterlist>,
        len: usize,
        (src_entries, dst_entries): (usize, usize),
    ) -> Self {
        // INVARIANT: By the safety requirements.
        Self {
            src,
            dst,
            len,
            src_entries,
            dst_entries,
        }
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

/// An accelerator.
pub(crate) trait Engine: Send + Sync {
    /// Places `key` in restricted memory, where only the accelerator can read it.
    ///
    /// # Errors
    ///
    /// [`ENODEV`] if the engine has no TEE to keep keys in restricted memory, or the error of the
    /// TEE (see [`KeyStore::import`](crate::keystore::KeyStore::import)).
    fn import_key(&self, key: &[u8]) -> Result<RestrictedKey>;

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

    /// Returns the number of sessions created and not destroyed yet.
    fn open_sessions(&self) -> u64;

    /// Runs the cipher session `id`, created for `direction`, on `src` with `iv`, and returns
    /// the result, as long as `src`.
    ///
    /// This waits for the accelerator; the asynchronous interface the crypto API needs is still
    /// to come.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for an IV or a length the cipher or the accelerator does not accept,
    /// [`ENODEV`] once the accelerator is gone, or the error the accelerator reports.
    fn cipher(
        &self,
        id: SessionId,
        direction: Direction,
        iv: &[u8],
        src: KVec<u8>,
    ) -> Result<KVec<u8>>;

    /// Creates an RSASSA-PKCS1-v1_5 session with `key`, of type `keytype`, for digests of `hash`,
    /// and returns its ID. The accelerator reads the key from restricted memory with DMA.
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

    /// Destroys the akcipher session `id`.
    fn destroy_akcipher_session(&self, id: SessionId) -> Result;

    /// Signs `digest` in the private-key RSA session `id` and returns the signature, of
    /// `key_bytes` bytes. Waits for the accelerator.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for a digest of the wrong size, [`EIO`] if the accelerator returns a signature of
    /// another length, or the error the accelerator reports.
    fn rsa_sign(
        &self,
        id: SessionId,
        hash: RsaHash,
        digest: &[u8],
        key_bytes: usize,
    ) -> Result<KVec<u8>>;

    /// Verifies in the RSA session `id` that `sig` is a signature of `digest`. Waits for the
    /// accelerator.
    ///
    /// # Errors
    ///
    /// [`EKEYREJECTED`] if it is not, or the error the accelerator reports.
    fn rsa_verify(&self, id: SessionId, hash: RsaHash, sig: &[u8], digest: &[u8]) -> Result;

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

    /// Returns what the accelerator's RSA sessions sign: the digest, or a whole encoded message.
    fn rsa_padding(&self) -> RsaPadding;

    /// Signs `input`, the concatenation of its segments, in the private-key RSA session `id` and
    /// returns the signature, of `key_bytes` bytes. Waits for the accelerator.
    ///
    /// For an engine whose [`Engine::rsa_padding`] is [`RsaPadding::Pkcs1`], `input` is the digest;
    /// for [`RsaPadding::Raw`] it is the `key_bytes`-byte encoded message. The accelerator reads
    /// restricted segments through an attachment of their buffers, which are mapped for it while
    /// the request runs; nothing is copied from them or mapped for the CPU.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] for an input of the wrong size, [`EPERM`] if the TEE does not let the
    /// accelerator read a restricted buffer, [`EOPNOTSUPP`] if the accelerator can't reach it
    /// without a CPU mapping, otherwise as for [`Engine::rsa_sign`].
    fn rsa_sign_input(
        &self,
        id: SessionId,
        hash: RsaHash,
        input: &[Segment<'_>],
        key_bytes: usize,
    ) -> Result<KVec<u8>>;

    /// Verifies in the RSA session `id`, whose [`Engine::rsa_padding`] is [`RsaPadding::Pkcs1`],
    /// that `sig` is a signature of `digest`, both of which the accelerator reads from where they
    /// are, as for [`Engine::rsa_sign_input`].
    ///
    /// # Errors
    ///
    /// [`EKEYREJECTED`] if it is not, [`EOPNOTSUPP`] for an engine that does raw RSA only (the
    /// CPU would have to compare the recovered message with the restricted digest), otherwise as
    /// for [`Engine::rsa_sign_input`].
    fn rsa_verify_input(
        &self,
        id: SessionId,
        hash: RsaHash,
        sig: &[Segment<'_>],
        digest: &[Segment<'_>],
    ) -> Result;

    /// Runs the cipher session `id`, created for `direction`, with `iv` on `src`, the
    /// concatenation of its segments, and returns the result. Waits for the accelerator, which
    /// reads restricted segments as for [`Engine::rsa_sign_input`].
    ///
    /// # Errors
    ///
    /// As for [`Engine::cipher`] and [`Engine::rsa_sign_input`].
    fn cipher_input(
        &self,
        id: SessionId,
        direction: Direction,
        iv: &[u8],
        src: &[Segment<'_>],
    ) -> Result<KVec<u8>>;

    /// A cipher operation checked and with its memory allocated, ready to be submitted.
    type PreparedCipher: Send;

    /// Checks `op` and allocates what it needs, with `gfp`.
    ///
    /// # Errors
    ///
    /// As for [`Engine::cipher`].
    fn prepare_cipher(&self, op: CipherOp, gfp: Flags) -> Result<Self::PreparedCipher>;

    /// Starts the prepared operation `op` without waiting; `completion` gets the result, also
    /// when the accelerator fails it or goes away. Does not sleep.
    ///
    /// If the queue is full, the operation waits on the backlog if `may_backlog`.
    ///
    /// # Errors
    ///
    /// [`ENOSPC`] if the queue is full and the operation may not wait, [`ENOMEM`] if the backlog
    /// can't grow. The completion is given back with the error, not called.
    fn submit_cipher<C: CipherCompletion + 'static>(
        &self,
        op: Self::PreparedCipher,
        completion: KBox<C>,
        may_backlog: bool,
    ) -> core::result::Result<Submitted, (Error, KBox<C>)>;
}
