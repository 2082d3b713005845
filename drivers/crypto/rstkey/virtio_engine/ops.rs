// SPDX-License-Identifier: GPL-2.0

//! The operations of the [`Engine`] trait on the virtio-crypto device.

use super::request::{
    input_len,
    Input,
    Op,
    Output,
    Part,
    Reply,
    Request,
    UserSg, //
};
use super::wire::{
    AkcipherCreateSession,
    AkcipherOp,
    CipherCreateSession,
    DestroySession,
    InHdr,
    SessionInput, //
};
use super::VirtioEngine;
use crate::{
    engine::{
        Cipher,
        CipherOp,
        CompletionSource,
        Direction,
        Engine,
        Features,
        RsaHash,
        RsaKeyType,
        RsaPadding,
        Segment,
        SessionId,
        Submitted, //
        PKCS1_MIN_PADDING,
    },
    keystore::{
        KeyPurpose,
        KeyStore,
        RestrictedKey, //
    }, //
};
use kernel::{
    alloc::Flags,
    prelude::*,
    sync::atomic::Relaxed,
    uapi,
    virtio::AddError, //
};

impl Engine for VirtioEngine {
    fn features(&self) -> Features {
        Features {
            clear_keys: self.keys.as_ref().is_some_and(KeyStore::import_allowed),
            wrapped_keys: self.keys.is_some(),
            aes_cbc: self.offers(Cipher::AesCbc),
            rsa: self.offers_rsa().then_some(RsaPadding::Pkcs1),
        }
    }

    fn import_key(&self, key: &[u8]) -> Result<RestrictedKey> {
        self.keys.as_ref().ok_or(ENODEV)?.import(key)
    }

    fn unwrap_key(&self, blob: &[u8], purpose: KeyPurpose) -> Result<RestrictedKey> {
        self.keys.as_ref().ok_or(ENODEV)?.unwrap(blob, purpose)
    }

    fn generate_key(&self, len: usize, purpose: KeyPurpose) -> Result<(RestrictedKey, KVec<u8>)> {
        self.keys.as_ref().ok_or(ENODEV)?.generate(len, purpose)
    }

    fn create_cipher_session(
        &self,
        cipher: Cipher,
        direction: Direction,
        key: &RestrictedKey,
    ) -> Result<SessionId> {
        let algo = match cipher {
            Cipher::AesCbc => uapi::VIRTIO_CRYPTO_CIPHER_AES_CBC,
        };
        if self.cipher_mask & (1 << algo) == 0 {
            return Err(EOPNOTSUPP);
        }

        let keylen = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        if keylen > self.max_cipher_key_len {
            return Err(EINVAL);
        }
        cipher.check_key_len(key.len())?;

        let op = match direction {
            Direction::Encrypt => uapi::VIRTIO_CRYPTO_OP_ENCRYPT,
            Direction::Decrypt => uapi::VIRTIO_CRYPTO_OP_DECRYPT,
        };

        self.create_session(key, |key| Op::CreateCipher {
            req: CipherCreateSession::new(algo, keylen, op),
            key,
            input: SessionInput::new(),
        })
    }

    fn destroy_cipher_session(&self, id: SessionId) -> Result {
        self.destroy_session(|| DestroySession::cipher(id.0))
    }

    fn create_rsa_session(
        &self,
        keytype: RsaKeyType,
        hash: RsaHash,
        key: &RestrictedKey,
    ) -> Result<SessionId> {
        if !self.offers_rsa() {
            return Err(EOPNOTSUPP);
        }
        let keylen = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        let keytype = match keytype {
            RsaKeyType::Public => uapi::VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PUBLIC,
            RsaKeyType::Private => uapi::VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_PRIVATE,
        };
        let hash = match hash {
            RsaHash::Sha1 => uapi::VIRTIO_CRYPTO_RSA_SHA1,
            RsaHash::Sha256 => uapi::VIRTIO_CRYPTO_RSA_SHA256,
            RsaHash::Sha512 => uapi::VIRTIO_CRYPTO_RSA_SHA512,
        };
        self.create_session(key, |key| Op::CreateAkcipher {
            req: AkcipherCreateSession::rsa(
                keytype,
                keylen,
                uapi::VIRTIO_CRYPTO_RSA_PKCS1_PADDING,
                hash,
            ),
            key,
            input: SessionInput::new(),
        })
    }

    fn destroy_rsa_session(&self, id: SessionId) -> Result {
        self.destroy_session(|| DestroySession::akcipher(id.0))
    }

    fn rsa_sign(
        &self,
        id: SessionId,
        hash: RsaHash,
        input: &[Segment<'_>],
        key_bytes: usize,
    ) -> Result<KVec<u8>> {
        if input_len(input)? != hash.digest_size() || key_bytes == 0 {
            return Err(EINVAL);
        }
        let answer = self.akcipher_op(id, AkcipherOp::Sign, input, &[], key_bytes)?;
        // QEMU 7.2 writes one byte less when the signature's first byte is zero, and loses its
        // last byte: refuse that signature.
        answer.whole_output(key_bytes)
    }

    fn rsa_verify(
        &self,
        id: SessionId,
        hash: RsaHash,
        sig: &[Segment<'_>],
        digest: &[Segment<'_>],
    ) -> Result {
        if input_len(digest)? != hash.digest_size() || input_len(sig)? == 0 {
            return Err(EINVAL);
        }
        self.akcipher_op(id, AkcipherOp::Verify, sig, digest, 0)
            .map(|_| ())
    }

    fn rsa_encrypt(&self, id: SessionId, plain: &[u8], key_bytes: usize) -> Result<KVec<u8>> {
        if key_bytes < PKCS1_MIN_PADDING || plain.len() > key_bytes - PKCS1_MIN_PADDING {
            return Err(EINVAL);
        }
        // QEMU 7.2 returns a ciphertext one byte short when its first byte is zero; the padding
        // is random, so another encryption almost always gives a whole one.
        for _ in 0..4 {
            let answer = self.akcipher_op(
                id,
                AkcipherOp::Encrypt,
                &[Segment::Kernel(plain)],
                &[],
                key_bytes,
            )?;
            if let Ok(cipher) = answer.whole_output(key_bytes) {
                return Ok(cipher);
            }
        }
        Err(EIO)
    }

    fn rsa_decrypt(&self, id: SessionId, cipher: &[u8]) -> Result<KVec<u8>> {
        if cipher.is_empty() {
            return Err(EINVAL);
        }
        let answer = self.akcipher_op(
            id,
            AkcipherOp::Decrypt,
            &[Segment::Kernel(cipher)],
            &[],
            cipher.len(),
        )?;
        // The device wrote the plaintext and the status byte.
        answer.variable_output()
    }

    fn submit_cipher(
        &self,
        op: CipherOp,
        gfp: Flags,
        may_backlog: bool,
        completion: &mut dyn CompletionSource,
    ) -> Result<Submitted> {
        let sgs = op.sgs;
        let len = sgs.len();
        let req = self.cipher_req(op.id, op.direction, len)?;
        // The header, the IV and the status, and the entries of the lists.
        let descriptors = sgs
            .src()
            .entries()
            .checked_add(sgs.dst().entries())
            .and_then(|n| n.checked_add(3))
            .and_then(|n| u32::try_from(n).ok())
            .ok_or(EINVAL)?;
        let slot = KBox::<Request>::new_uninit(gfp)?;

        // There is at least one data queue.
        let index = self
            .next_queue
            .fetch_add(1, Relaxed)
            .checked_rem(self.ctrl_queue);
        let queue = index.and_then(|i| self.vqs.queue(i)).ok_or(ENODEV)?;
        let handler = self.vqs.handler();

        // Lock order: the backlog, then the queue.
        let mut backlog = handler.backlog.lock();
        if backlog.closed {
            return Err(ENODEV);
        }
        let mut vq = queue.lock();
        // Requests go to the device in order: a new one waits while older ones do.
        let index = queue.index();
        let waiting = backlog.reqs.iter().any(|(q, _)| *q == index);
        let room = !waiting && handler.has_room(&vq, descriptors);
        if !room {
            if !may_backlog {
                return Err(ENOSPC);
            }
            backlog.reqs.reserve(1, GFP_ATOMIC)?;
        }

        // From here on, errors go to the completion.
        let completion = completion.take().ok_or(EINVAL)?;
        // INVARIANT: By the type invariants of `CipherSgs`, the lists stay valid, with nothing
        // else accessing them, until the completion is called or dropped.
        let request = slot.write(Request {
            descriptors,
            op: Op::Cipher {
                req,
                iv: op.iv,
                src: Input::One(Part::User(UserSg { sg: *sgs.src() })),
                dst: Output::User(UserSg { sg: *sgs.dst() }),
                status: InHdr::new(),
            },
            reply: Reply::Call(Some(completion)),
        });

        if !room {
            // There is room for one more: this does not fail, and does not drop the request.
            if let Err(e) = backlog.reqs.push_within_capacity((index, request)) {
                drop(e);
            }
            return Ok(Submitted::Backlogged);
        }

        match vq.add_sgs(request, GFP_ATOMIC, Request::describe) {
            Ok(()) => {
                vq.kick();
            }
            // There was room, so only a device that is gone or broken gets here: the request's
            // completion is told when the request is dropped, outside the locks.
            Err(AddError { request, .. }) => {
                drop(vq);
                drop(backlog);
                drop(request);
            }
        }
        Ok(Submitted::InProgress)
    }
}
