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
        answer.integer_output(key_bytes)
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
        let answer = self.akcipher_op(
            id,
            AkcipherOp::Encrypt,
            &[Segment::Kernel(plain)],
            &[],
            key_bytes,
        )?;
        answer.integer_output(key_bytes)
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
        may_backlog: bool,
        resumed: bool,
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
        let handler = self.vqs.handler();

        // Lock order: the backlog, then a queue, then the pool.
        let mut backlog = handler.backlog.lock();
        if backlog.closed {
            return Err(ENODEV);
        }
        // Requests go to the device in order: a new one waits while older ones do. One that
        // waited goes to any data queue with room.
        let tries = if resumed { self.ctrl_queue } else { 1 };
        let mut found = None;
        if resumed || backlog.reqs.is_empty() {
            for _ in 0..tries {
                let queue = self.vqs.queue(self.data_queue()).ok_or(ENODEV)?;
                let vq = queue.lock();
                if handler.has_room(&vq, descriptors) {
                    if let Some(slot) = handler.take_slot() {
                        found = Some((vq, slot));
                        break;
                    }
                }
            }
        }
        let Some((mut vq, slot)) = found else {
            if !may_backlog && !resumed {
                return Err(ENOSPC);
            }
            let req = completion.take().ok_or(EINVAL)?;
            // Holding the request allocates nothing: it is linked through itself.
            if resumed {
                backlog.reqs.push_front(req);
            } else {
                backlog.reqs.push_back(req);
            }
            return Ok(Submitted::Backlogged);
        };

        // From here on, errors go to the request.
        let Some(completion) = completion.take() else {
            drop(vq);
            drop(backlog);
            handler.put_slot(slot);
            return Err(EINVAL);
        };
        if resumed {
            completion.notify_in_progress();
        }
        // INVARIANT: By the type invariants of `CipherSgs`, the lists stay valid, with nothing
        // else accessing them, until the request is completed.
        let request = slot.write(Request {
            pooled: true,
            op: Op::Cipher {
                req,
                iv: op.iv,
                src: Input::One(Part::User(UserSg { sg: *sgs.src() })),
                dst: Output::User(UserSg { sg: *sgs.dst() }),
                status: InHdr::new(),
            },
            reply: Reply::Call(Some(completion)),
        });

        // The ring puts the buffers in an indirect table if it can allocate one (`GFP_ATOMIC`,
        // without warning), and otherwise in its own free descriptors, of which `has_room` saw
        // enough: only a request with more buffers than the whole ring needs the table.
        match vq.add_sgs(request, GFP_ATOMIC, Request::describe) {
            Ok(()) => {
                vq.kick();
                self.stats.data_requests.add(1u64, Relaxed);
            }
            // The request gets the error, outside the locks, since its completion may submit
            // again.
            Err(AddError { mut request, error }) => {
                drop(vq);
                drop(backlog);
                if let Reply::Call(c) = &mut request.reply {
                    if let Some(c) = c.take() {
                        c.complete(Err(error));
                    }
                }
                handler.release(request);
            }
        }
        Ok(Submitted::InProgress)
    }
}
