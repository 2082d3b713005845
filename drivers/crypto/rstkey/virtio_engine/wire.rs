// SPDX-License-Identifier: GPL-2.0

//! The control-queue and data-queue messages of the virtio-crypto device (VIRTIO 1.2, sections
//! 5.9.7.2 and 5.9.7.4).
//!
//! The layouts are those of `include/uapi/linux/virtio_crypto.h`, flattened for the requests
//! rstkey sends; multi-byte fields are little-endian on the wire.

use core::mem::{
    offset_of,
    size_of, //
};
use kernel::{
    transmute::{
        AsBytes,
        FromBytes, //
    },
    uapi, //
};

/// `VIRTIO_CRYPTO_OPCODE(service, op)`.
const fn opcode(service: u32, op: u32) -> u32 {
    (service << 8) | op
}

/// `VIRTIO_CRYPTO_CIPHER_CREATE_SESSION`.
const CIPHER_CREATE_SESSION: u32 = opcode(uapi::VIRTIO_CRYPTO_SERVICE_CIPHER, 0x02);

/// `VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION`.
const CIPHER_DESTROY_SESSION: u32 = opcode(uapi::VIRTIO_CRYPTO_SERVICE_CIPHER, 0x03);

/// `VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION`.
const AKCIPHER_CREATE_SESSION: u32 = opcode(uapi::VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x04);

/// `VIRTIO_CRYPTO_AKCIPHER_DESTROY_SESSION`.
const AKCIPHER_DESTROY_SESSION: u32 = opcode(uapi::VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x05);

/// `struct virtio_crypto_ctrl_header`.
#[repr(C)]
struct CtrlHeader {
    /// The operation, `VIRTIO_CRYPTO_*_SESSION`.
    opcode: u32,
    /// The algorithm, `VIRTIO_CRYPTO_CIPHER_*` for cipher sessions.
    algo: u32,
    /// Unused.
    flag: u32,
    /// The data queue the session is for (the device ignores it).
    queue_id: u32,
}

/// `struct virtio_crypto_op_ctrl_req` for `VIRTIO_CRYPTO_CIPHER_CREATE_SESSION` of a plain
/// cipher session (`VIRTIO_CRYPTO_SYM_OP_CIPHER`).
#[repr(C)]
pub(super) struct CipherCreateSession {
    /// The header.
    header: CtrlHeader,
    /// `u.sym_create_session.u.cipher.para.algo`.
    algo: u32,
    /// `u.sym_create_session.u.cipher.para.keylen`: the key follows in its own buffer.
    keylen: u32,
    /// `u.sym_create_session.u.cipher.para.op`: `VIRTIO_CRYPTO_OP_{EN,DE}CRYPT`.
    op: u32,
    /// `u.sym_create_session.u.cipher.para.padding`.
    para_padding: u32,
    /// `u.sym_create_session.u.cipher.padding`.
    cipher_padding: [u8; 32],
    /// `u.sym_create_session.op_type`.
    op_type: u32,
    /// `u.sym_create_session.padding`.
    padding: u32,
}

impl CipherCreateSession {
    /// Creates the request for a session of the cipher `algo` (`VIRTIO_CRYPTO_CIPHER_*`) with a
    /// key of `keylen` bytes for the operation `op` (`VIRTIO_CRYPTO_OP_*`).
    pub(super) fn new(algo: u32, keylen: u32, op: u32) -> Self {
        Self {
            header: CtrlHeader {
                opcode: CIPHER_CREATE_SESSION.to_le(),
                algo: algo.to_le(),
                flag: 0,
                queue_id: 0,
            },
            algo: algo.to_le(),
            keylen: keylen.to_le(),
            op: op.to_le(),
            para_padding: 0,
            cipher_padding: [0; 32],
            op_type: uapi::VIRTIO_CRYPTO_SYM_OP_CIPHER.to_le(),
            padding: 0,
        }
    }
}

/// `struct virtio_crypto_op_ctrl_req` for `VIRTIO_CRYPTO_AKCIPHER_CREATE_SESSION` of an RSA
/// session.
#[repr(C)]
pub(super) struct AkcipherCreateSession {
    /// The header.
    header: CtrlHeader,
    /// `u.akcipher_create_session.para.algo`: `VIRTIO_CRYPTO_AKCIPHER_RSA`.
    algo: u32,
    /// `u.akcipher_create_session.para.keytype`: `VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_*`.
    keytype: u32,
    /// `u.akcipher_create_session.para.keylen`: the key follows in its own buffer.
    keylen: u32,
    /// `u.akcipher_create_session.para.u.rsa.padding_algo`.
    padding_algo: u32,
    /// `u.akcipher_create_session.para.u.rsa.hash_algo`.
    hash_algo: u32,
    /// `u.akcipher_create_session.padding`.
    padding: [u8; 36],
}

impl AkcipherCreateSession {
    /// Creates the request for an RSA session with a key of type `keytype`
    /// (`VIRTIO_CRYPTO_AKCIPHER_KEY_TYPE_*`) of `keylen` bytes, the padding `padding_algo` and the
    /// hash `hash_algo` (`VIRTIO_CRYPTO_RSA_*`).
    pub(super) fn rsa(keytype: u32, keylen: u32, padding_algo: u32, hash_algo: u32) -> Self {
        Self {
            header: CtrlHeader {
                opcode: AKCIPHER_CREATE_SESSION.to_le(),
                algo: uapi::VIRTIO_CRYPTO_AKCIPHER_RSA.to_le(),
                flag: 0,
                queue_id: 0,
            },
            algo: uapi::VIRTIO_CRYPTO_AKCIPHER_RSA.to_le(),
            keytype: keytype.to_le(),
            keylen: keylen.to_le(),
            padding_algo: padding_algo.to_le(),
            hash_algo: hash_algo.to_le(),
            padding: [0; 36],
        }
    }
}

/// `struct virtio_crypto_op_ctrl_req` for `VIRTIO_CRYPTO_CIPHER_DESTROY_SESSION`.
#[repr(C)]
pub(super) struct DestroySession {
    /// The header.
    header: CtrlHeader,
    /// `u.destroy_session.session_id`.
    session_id: u64,
    /// `u.destroy_session.padding`.
    padding: [u8; 48],
}

impl DestroySession {
    /// Creates the request to destroy the cipher session `session_id`.
    pub(super) fn cipher(session_id: u64) -> Self {
        Self::new(CIPHER_DESTROY_SESSION, session_id)
    }

    /// Creates the request to destroy the akcipher session `session_id`.
    pub(super) fn akcipher(session_id: u64) -> Self {
        Self::new(AKCIPHER_DESTROY_SESSION, session_id)
    }

    fn new(opcode: u32, session_id: u64) -> Self {
        Self {
            header: CtrlHeader {
                opcode: opcode.to_le(),
                algo: 0,
                flag: 0,
                queue_id: 0,
            },
            session_id: session_id.to_le(),
            padding: [0; 48],
        }
    }
}

/// `struct virtio_crypto_session_input`: what the device returns for a create request.
#[repr(C)]
pub(super) struct SessionInput {
    /// The ID of the new session.
    session_id: u64,
    /// `VIRTIO_CRYPTO_*` status.
    status: u32,
    /// Unused.
    padding: u32,
}

impl SessionInput {
    /// Creates the buffer the device fills in, with the status `VIRTIO_CRYPTO_ERR` in case the
    /// device does not write it.
    pub(super) fn new() -> Self {
        Self {
            session_id: 0,
            status: uapi::VIRTIO_CRYPTO_ERR.to_le(),
            padding: 0,
        }
    }

    /// Returns the status.
    pub(super) fn status(&self) -> u32 {
        u32::from_le(self.status)
    }

    /// Returns the session ID.
    pub(super) fn session_id(&self) -> u64 {
        u64::from_le(self.session_id)
    }
}

/// `struct virtio_crypto_inhdr`: what the device returns for a destroy request.
#[repr(C)]
pub(super) struct InHdr {
    /// `VIRTIO_CRYPTO_*` status.
    status: u8,
}

impl InHdr {
    /// Creates the buffer the device fills in, with the status `VIRTIO_CRYPTO_ERR` in case the
    /// device does not write it.
    pub(super) fn new() -> Self {
        // CAST: The status codes fit in a byte.
        Self {
            status: uapi::VIRTIO_CRYPTO_ERR as u8,
        }
    }

    /// Returns the status.
    pub(super) fn status(&self) -> u32 {
        u32::from(self.status)
    }
}

// The layouts match the C structures.
const _: () = {
    assert!(size_of::<AkcipherCreateSession>() == size_of::<uapi::virtio_crypto_op_ctrl_req>());
    assert!(offset_of!(AkcipherCreateSession, padding) == 16 + 20);
    assert!(size_of::<CipherCreateSession>() == size_of::<uapi::virtio_crypto_op_ctrl_req>());
    assert!(size_of::<DestroySession>() == size_of::<uapi::virtio_crypto_op_ctrl_req>());
    assert!(offset_of!(CipherCreateSession, algo) == size_of::<uapi::virtio_crypto_ctrl_header>());
    assert!(offset_of!(DestroySession, session_id) == size_of::<CtrlHeader>());
    assert!(offset_of!(CipherCreateSession, op_type) == 16 + 48);
    assert!(size_of::<SessionInput>() == size_of::<uapi::virtio_crypto_session_input>());
    assert!(
        offset_of!(SessionInput, status) == offset_of!(uapi::virtio_crypto_session_input, status)
    );
    assert!(size_of::<InHdr>() == size_of::<uapi::virtio_crypto_inhdr>());
};

// SAFETY: `CipherCreateSession` is `repr(C)` with integer fields only, laid out without padding
// (72 bytes of 4-byte fields and byte arrays), and has no interior mutability.
unsafe impl AsBytes for CipherCreateSession {}

// SAFETY: `AkcipherCreateSession` is `repr(C)` with integer fields only, laid out without padding
// (72 bytes of 4-byte fields and a byte array), and has no interior mutability.
unsafe impl AsBytes for AkcipherCreateSession {}

// SAFETY: `DestroySession` is `repr(C)` with integer fields only, laid out without padding (the
// `u64` is at offset 16, 72 bytes in all), and has no interior mutability.
unsafe impl AsBytes for DestroySession {}

// SAFETY: `SessionInput` is `repr(C)` with integer fields only and no padding (8 + 4 + 4 bytes),
// and has no interior mutability.
unsafe impl AsBytes for SessionInput {}

// SAFETY: Any bit pattern is a valid `SessionInput`: its fields are integers.
unsafe impl FromBytes for SessionInput {}

// SAFETY: `InHdr` is a single byte and has no interior mutability.
unsafe impl AsBytes for InHdr {}

// SAFETY: Any bit pattern is a valid `InHdr`: its field is an integer.
unsafe impl FromBytes for InHdr {}

/// `VIRTIO_CRYPTO_CIPHER_ENCRYPT`.
const CIPHER_ENCRYPT: u32 = opcode(uapi::VIRTIO_CRYPTO_SERVICE_CIPHER, 0x00);

/// `VIRTIO_CRYPTO_CIPHER_DECRYPT`.
const CIPHER_DECRYPT: u32 = opcode(uapi::VIRTIO_CRYPTO_SERVICE_CIPHER, 0x01);

/// `struct virtio_crypto_op_header`.
#[repr(C)]
struct OpHeader {
    /// The operation, `VIRTIO_CRYPTO_CIPHER_{EN,DE}CRYPT`.
    opcode: u32,
    /// The algorithm, `VIRTIO_CRYPTO_CIPHER_*`.
    algo: u32,
    /// The session.
    session_id: u64,
    /// Unused.
    flag: u32,
    /// Unused.
    padding: u32,
}

/// `struct virtio_crypto_op_data_req` for a plain cipher operation
/// (`VIRTIO_CRYPTO_SYM_OP_CIPHER`); the IV, the source and the destination follow in their own
/// buffers.
#[repr(C)]
pub(super) struct CipherDataReq {
    /// The header.
    header: OpHeader,
    /// `u.sym_req.u.cipher.para.iv_len`.
    iv_len: u32,
    /// `u.sym_req.u.cipher.para.src_data_len`.
    src_data_len: u32,
    /// `u.sym_req.u.cipher.para.dst_data_len`.
    dst_data_len: u32,
    /// `u.sym_req.u.cipher.para.padding`.
    para_padding: u32,
    /// `u.sym_req.u.cipher.padding`.
    cipher_padding: [u8; 24],
    /// `u.sym_req.op_type`.
    op_type: u32,
    /// `u.sym_req.padding`.
    padding: u32,
}

impl CipherDataReq {
    /// Creates the request to encrypt (or decrypt, if not `encrypt`) `len` bytes with the
    /// cipher `algo` in session `session_id`, with an IV of `iv_len` bytes.
    pub(super) fn new(encrypt: bool, algo: u32, session_id: u64, iv_len: u32, len: u32) -> Self {
        let opcode = if encrypt {
            CIPHER_ENCRYPT
        } else {
            CIPHER_DECRYPT
        };

        Self {
            header: OpHeader {
                opcode: opcode.to_le(),
                algo: algo.to_le(),
                session_id: session_id.to_le(),
                flag: 0,
                padding: 0,
            },
            iv_len: iv_len.to_le(),
            src_data_len: len.to_le(),
            dst_data_len: len.to_le(),
            para_padding: 0,
            cipher_padding: [0; 24],
            op_type: uapi::VIRTIO_CRYPTO_SYM_OP_CIPHER.to_le(),
            padding: 0,
        }
    }
}

// The layouts match the C structures.
const _: () = {
    assert!(size_of::<OpHeader>() == size_of::<uapi::virtio_crypto_op_header>());
    assert!(size_of::<CipherDataReq>() == size_of::<uapi::virtio_crypto_op_data_req>());
    assert!(offset_of!(CipherDataReq, iv_len) == size_of::<uapi::virtio_crypto_op_header>());
    assert!(offset_of!(CipherDataReq, op_type) == 24 + 40);
};

// SAFETY: `CipherDataReq` is `repr(C)` with integer fields only, laid out without padding (the
// `u64` is at offset 8, 72 bytes in all), and has no interior mutability.
unsafe impl AsBytes for CipherDataReq {}

/// `VIRTIO_CRYPTO_AKCIPHER_{ENCRYPT,DECRYPT,SIGN,VERIFY}`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum AkcipherOp {
    /// Encrypt with the public key.
    Encrypt,
    /// Decrypt with the private key.
    Decrypt,
    /// Sign a digest.
    Sign,
    /// Verify a signature of a digest.
    Verify,
}

/// `struct virtio_crypto_op_data_req` for an akcipher operation; the source (and, to verify, the
/// digest) and the destination follow in their own buffers.
#[repr(C)]
pub(super) struct AkcipherDataReq {
    /// The header.
    header: OpHeader,
    /// `u.akcipher_req.para.src_data_len`.
    src_data_len: u32,
    /// `u.akcipher_req.para.dst_data_len`.
    dst_data_len: u32,
    /// `u.akcipher_req.padding`.
    padding: [u8; 40],
}

impl AkcipherDataReq {
    /// Creates the request for `op` in the RSA session `session_id` with a source of `src_len`
    /// bytes and a destination of `dst_len` bytes.
    pub(super) fn rsa(op: AkcipherOp, session_id: u64, src_len: u32, dst_len: u32) -> Self {
        let opcode = match op {
            AkcipherOp::Encrypt => opcode(uapi::VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x00),
            AkcipherOp::Decrypt => opcode(uapi::VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x01),
            AkcipherOp::Sign => opcode(uapi::VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x02),
            AkcipherOp::Verify => opcode(uapi::VIRTIO_CRYPTO_SERVICE_AKCIPHER, 0x03),
        };
        Self {
            header: OpHeader {
                opcode: opcode.to_le(),
                algo: uapi::VIRTIO_CRYPTO_AKCIPHER_RSA.to_le(),
                session_id: session_id.to_le(),
                flag: 0,
                padding: 0,
            },
            src_data_len: src_len.to_le(),
            dst_data_len: dst_len.to_le(),
            padding: [0; 40],
        }
    }
}

const _: () = {
    assert!(size_of::<AkcipherDataReq>() == size_of::<uapi::virtio_crypto_op_data_req>());
    assert!(offset_of!(AkcipherDataReq, src_data_len) == size_of::<OpHeader>());
};

// SAFETY: `AkcipherDataReq` is `repr(C)` with integer fields only, laid out without padding (the
// `u64` is at offset 8, 72 bytes in all), and has no interior mutability.
unsafe impl AsBytes for AkcipherDataReq {}
