// SPDX-License-Identifier: GPL-2.0

//! The asymmetric key subtype `rstkey`: RSA private keys that exist only in restricted memory.
//!
//! `keyctl padd asymmetric <description> <keyring> < key.blob`, with the blob of an RSA key
//! (`rstkey-wrap wrap --type rsa`), makes an asymmetric key of this subtype. The parser
//! recognizes the blob by its header ([`blob::peek`]) and leaves anything else to the other
//! parsers; the key manager authenticates the blob and unwraps the private key straight into
//! restricted memory, once, when the key is added, and the device gets a session with it for
//! each digest it signs. The key's payload holds the public key the blob carries, the
//! restricted key and the sessions: nothing of the private key is ever in normal-world memory,
//! and a signature or a decryption is one data request to the device, without a control
//! request.
//!
//! Encryption and signature verification use the public key with the kernel's generic RSA.
//!
//! The key is named, as an X.509 certificate of the same public key is, by its key identifier:
//! the SHA-1 digest of the DER `RSAPublicKey` (RFC 5280, section 4.2.1.2, method 1). So
//! `keyctl search <keyring> asymmetric id:<identifier>` finds it, and a keyring restricted with
//! `key_or_keyring:<key>` accepts the certificates the key signed, which name their signer so.
//!
//! In-kernel users that hold a digest in restricted memory, which the keyring's interfaces can't
//! take, sign it with [`RestrictedRsa::sign_restricted`] on the key's payload
//! ([`RestrictedRsa::of`]).

use kernel::{
    crypto::{
        rsa,
        sha1, //
    },
    key::{
        asymmetric::{
            self,
            supports,
            Op,
            Params,
            Parsed,
            Query,
            Signature,
            SubtypeOps, //
        },
        Key,
    },
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::Arc,
    tee::rstkey_km::blob::{
        self,
        usage, //
    },
};

use crate::{
    algs::{
        pick,
        rsa::{
            generic_encrypt,
            generic_verify, //
        },
    },
    engine::{
        Engine,
        Restricted,
        RsaHash,
        RsaKeyType,
        Segment,
        Service,
        SessionId,
        RSA_MAX_BITS,
        RSA_MIN_BITS, //
    },
    keystore::{
        KeyPurpose,
        RestrictedKey, //
    },
    rsassa::SignInput,
};

/// The digests the subtype signs, each with a session of its own, and their names.
const HASHES: [(RsaHash, &CStr); 3] = [
    (RsaHash::Sha1, c"sha1"),
    (RsaHash::Sha256, c"sha256"),
    (RsaHash::Sha512, c"sha512"),
];

/// The position in [`HASHES`] of the digest whose session also decrypts: SHA-256.
const DECRYPT_SESSION: usize = 1;
const _: () = assert!(matches!(HASHES[DECRYPT_SESSION].0, RsaHash::Sha256));

/// The only encoding of the subtype: RSASSA-PKCS1-v1_5 and RSAES-PKCS1-v1_5.
const PKCS1: &CStr = c"pkcs1";

/// The payload of a key of the subtype: an RSA key whose private part is in restricted memory.
pub(crate) struct RestrictedRsa {
    /// The engine of the device that has the sessions.
    engine: Arc<dyn Engine>,
    /// The private key, DER `RSAPrivateKey`, in restricted memory.
    _key: RestrictedKey,
    /// The private-key sessions, one per digest of [`HASHES`], in that order (the one at
    /// [`DECRYPT_SESSION`] decrypts too).
    sessions: KVec<SessionId>,
    /// The public key, DER `RSAPublicKey`, which the blob carries.
    public: KVec<u8>,
    /// The size of the modulus in bits.
    bits: usize,
    /// The usages of the key (`blob::usage::RSA_*`).
    usage: u16,
}

impl Drop for RestrictedRsa {
    fn drop(&mut self) {
        while let Some(id) = self.sessions.pop() {
            // Once the device is gone there is nothing to destroy.
            let _ = self.engine.destroy_rsa_session(id);
        }
    }
}

impl RestrictedRsa {
    /// Returns the payload of `key` if it is a key of the subtype `rstkey`.
    #[cfg_attr(
        not(CONFIG_CRYPTO_DEV_RSTKEY_TEST),
        expect(
            dead_code,
            reason = "only the test interface hands in restricted digests so far"
        )
    )]
    pub(crate) fn of(key: &Key) -> Option<&Self> {
        SUBTYPE.payload(key)
    }

    /// Returns the engine of the device that signs with the key.
    #[cfg_attr(
        not(CONFIG_CRYPTO_DEV_RSTKEY_TEST),
        expect(
            dead_code,
            reason = "only the test interface hands in restricted digests so far"
        )
    )]
    pub(crate) fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    /// Returns the size of the modulus, and of a signature, in bytes.
    fn bytes(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// Signs `digest`, a digest of the hash named `hash` (`"sha256"`, ...), which the device
    /// reads from restricted memory, with RSASSA-PKCS1-v1_5, and returns the signature: one data
    /// request, without a control request. Neither the digest nor the key is copied or mapped for
    /// the CPU ([`crate::rsassa`]).
    ///
    /// # Errors
    ///
    /// [`EOPNOTSUPP`] for a key without the sign usage or a digest the subtype does not sign,
    /// [`EINVAL`] for a digest of the wrong length, [`EPERM`] if the TEE does not let the device
    /// read the buffer, otherwise as for [`Engine::rsa_sign`].
    #[cfg_attr(
        not(CONFIG_CRYPTO_DEV_RSTKEY_TEST),
        expect(
            dead_code,
            reason = "only the test interface hands in restricted digests so far"
        )
    )]
    pub(crate) fn sign_restricted(&self, hash: &CStr, digest: Restricted<'_>) -> Result<KVec<u8>> {
        let (hash, id) = self.signing_session(Some(hash))?;
        let k = self.bytes();
        let padding = self.engine.features().rsa.ok_or(EOPNOTSUPP)?;
        let input = SignInput::new(padding, hash, k, digest)?;
        input.with_segments(|segments| self.engine.rsa_sign(id, hash, segments, k))
    }

    /// Returns the digest named `name` and the session that signs with it, for a key with the
    /// sign usage.
    ///
    /// # Errors
    ///
    /// [`EOPNOTSUPP`] for a key without the sign usage, or as for [`RestrictedRsa::session`].
    fn signing_session(&self, name: Option<&CStr>) -> Result<(RsaHash, SessionId)> {
        if self.usage & usage::RSA_SIGN == 0 {
            return Err(EOPNOTSUPP);
        }
        self.session(name)
    }

    /// Returns the digest named `name` and the session that signs with it.
    ///
    /// # Errors
    ///
    /// [`EOPNOTSUPP`] for a digest the subtype does not sign with.
    fn session(&self, name: Option<&CStr>) -> Result<(RsaHash, SessionId)> {
        let name = name.ok_or(EOPNOTSUPP)?;
        let i = HASHES
            .iter()
            .position(|(_, n)| *n == name)
            .ok_or(EOPNOTSUPP)?;
        Ok((HASHES[i].0, *self.sessions.get(i).ok_or(EOPNOTSUPP)?))
    }
}

/// Checks that `params` ask for PKCS#1 (or no encoding, which means it).
fn check_encoding(encoding: Option<&CStr>) -> Result {
    match encoding {
        None => Ok(()),
        Some(e) if e == PKCS1 => Ok(()),
        Some(_) => Err(EOPNOTSUPP),
    }
}

/// Returns `n` as the size fields of a query take it.
fn size16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

impl asymmetric::Subtype for RestrictedRsa {
    fn describe(&self, m: &SeqFile) {
        seq_print!(m, "rstkey restricted RSA-{}", self.bits);
    }

    fn query(&self, params: &Params<'_>) -> Result<Query> {
        check_encoding(params.encoding())?;
        let k = self.bytes();
        let max_data = match params.hash_algo() {
            Some(_) => self.session(params.hash_algo())?.0.digest_size(),
            None => k,
        };
        let mut ops = supports::ENCRYPT | supports::VERIFY;
        if self.usage & usage::RSA_SIGN != 0 {
            ops |= supports::SIGN;
        }
        if self.usage & usage::RSA_DECRYPT != 0 {
            ops |= supports::DECRYPT;
        }
        Ok(Query {
            supported_ops: ops,
            key_size: u32::try_from(self.bits).map_err(|_| EINVAL)?,
            max_data_size: size16(max_data),
            max_sig_size: size16(k),
            max_enc_size: size16(k),
            max_dec_size: size16(k),
        })
    }

    fn eds_op(&self, params: &Params<'_>, input: &[u8], output: &mut [u8]) -> Result<usize> {
        check_encoding(params.encoding())?;
        let k = self.bytes();
        match params.op() {
            Some(Op::Sign) => {
                let (hash, id) = self.signing_session(params.hash_algo())?;
                if input.len() != hash.digest_size() {
                    return Err(EINVAL);
                }
                let out = output.get_mut(..k).ok_or(EOVERFLOW)?;
                let sig = self
                    .engine
                    .rsa_sign(id, hash, &[Segment::Kernel(input)], k)?;
                out.copy_from_slice(sig.get(..k).ok_or(EIO)?);
                Ok(k)
            }
            Some(Op::Decrypt) => {
                if self.usage & usage::RSA_DECRYPT == 0 {
                    return Err(EOPNOTSUPP);
                }
                if input.len() != k {
                    return Err(EINVAL);
                }
                let id = *self.sessions.get(DECRYPT_SESSION).ok_or(EOPNOTSUPP)?;
                let plain = self.engine.rsa_decrypt(id, input)?;
                output
                    .get_mut(..plain.len())
                    .ok_or(EOVERFLOW)?
                    .copy_from_slice(&plain);
                Ok(plain.len())
            }
            Some(Op::Encrypt) => {
                // The public key, with the kernel's generic RSA: nothing secret is involved.
                let out = output.get_mut(..k).ok_or(EOVERFLOW)?;
                generic_encrypt(&self.public, input, out)?;
                Ok(k)
            }
            Some(Op::Verify) | None => Err(EOPNOTSUPP),
        }
    }

    fn verify_signature(&self, sig: &Signature<'_>) -> Result {
        check_encoding(sig.encoding())?;
        if sig.pkey_algo().is_some_and(|a| a != c"rsa") || sig.algo_takes_data() {
            return Err(EOPNOTSUPP);
        }
        let (hash, _) = self.session(sig.hash_algo())?;
        if sig.signature().len() != self.bytes() || sig.message().len() != hash.digest_size() {
            return Err(EINVAL);
        }
        // The generic RSASSA-PKCS1-v1_5 says how a signature of the right size fails to verify
        // (an encoded message that does not decode, another digest's prefix, another digest);
        // the keyring's users expect one answer for all: the key rejects the signature.
        match generic_verify(&self.public, hash, sig.signature(), sig.message()) {
            Err(e) if e == EBADMSG || e == EINVAL => Err(EKEYREJECTED),
            r => r,
        }
    }
}

/// The operations of the subtype.
static SUBTYPE: SubtypeOps<RestrictedRsa> = SubtypeOps::new(c"rstkey");

/// The parser of RSA key blobs.
pub(crate) struct RsaBlobParser;

impl asymmetric::Parser for RsaBlobParser {
    type Key = RestrictedRsa;
    const NAME: &'static CStr = c"rstkey";

    fn subtype() -> &'static SubtypeOps<RestrictedRsa> {
        &SUBTYPE
    }

    fn parse(data: &[u8]) -> Result<Parsed<RestrictedRsa>> {
        // Anything that is not laid out as a key blob is for the other parsers.
        let peeked = blob::peek(data).ok_or(EBADMSG)?;
        // A key blob, but of another key type: of another purpose.
        let public = peeked.public.ok_or(EACCES)?;
        let bits = rsa::public_parts(public, rsa::KeyType::Public)?.modulus_bits();
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(EINVAL);
        }
        let engine = pick(Service::ProtectedRsa)?;
        // The key manager authenticates the whole blob, the header and the public key with it,
        // and checks that the public key is the private key's.
        let purpose = KeyPurpose {
            key_type: blob::KEY_RSA,
            usage: peeked.usage & usage::RSA,
        };
        let key = engine.unwrap_key(data, purpose)?;
        let mut public_copy = KVec::new();
        public_copy.extend_from_slice(public, GFP_KERNEL)?;
        let mut payload = RestrictedRsa {
            engine,
            _key: key,
            sessions: KVec::with_capacity(HASHES.len(), GFP_KERNEL)?,
            public: public_copy,
            bits,
            usage: peeked.usage & usage::RSA,
        };
        for (hash, _) in HASHES {
            // On a failure, dropping the payload destroys the sessions made so far.
            let id = payload
                .engine
                .create_rsa_session(RsaKeyType::Private, hash, &payload._key)?;
            payload.sessions.push(id, GFP_KERNEL)?;
        }
        // The key identifier of X.509, see the module's documentation.
        let mut id = KVec::new();
        id.extend_from_slice(&sha1::digest(public), GFP_KERNEL)?;
        let quota_len = public.len() + size_of::<RestrictedRsa>();
        Ok(Parsed {
            key: payload,
            ids: [None, Some(id), None],
            description: None,
            quota_len,
        })
    }
}
