// SPDX-License-Identifier: GPL-2.0

//! What an accelerator offers the algorithms.
//!
//! The algorithms talk to an accelerator through [`Engine`] only, so another accelerator can be
//! added without touching them. The virtio-crypto device is one engine, see
//! [`VirtioEngine`](crate::virtio_engine::VirtioEngine).

use kernel::{
    alloc::Flags,
    prelude::*, //
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
    /// SHA-256.
    Sha256,
}

impl RsaHash {
    /// Returns the size of a digest.
    pub(crate) fn digest_size(self) -> usize {
        match self {
            Self::Sha256 => 32,
        }
    }
}

/// Where an asynchronous cipher operation reports to.
pub(crate) trait CipherCompletion: Send {
    /// The operation, which was put on the backlog, has been handed to the accelerator.
    fn started(&mut self);

    /// The operation is done: the result, as long as the source, or the error. Called once, from
    /// any context, including hard interrupts; the object is dropped afterwards.
    fn done(&mut self, result: Result<KVec<u8>>);
}

/// An asynchronous cipher operation the engine accepted.
pub(crate) enum Submitted {
    /// Handed to the accelerator.
    InProgress,
    /// Waiting on the backlog for room on the accelerator's queue.
    Backlogged,
}

/// A cipher operation to start, for [`Engine::cipher_async`].
pub(crate) struct CipherOp {
    /// The session.
    pub(crate) id: SessionId,
    /// The direction the session was created for.
    pub(crate) direction: Direction,
    /// The IV.
    pub(crate) iv: [u8; AES_BLOCK_SIZE],
    /// The source.
    pub(crate) src: KVec<u8>,
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
