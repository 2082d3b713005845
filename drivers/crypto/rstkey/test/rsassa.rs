// SPDX-License-Identifier: GPL-2.0

//! The test-only debugfs file `rsassa`: RSASSA-PKCS1-v1_5 over inputs in restricted memory
//! ([`crate::rsassa`]) on this device.
//!
//! Commands, with hexadecimal keys and data:
//!
//! - `sign <RSAPrivateKey> import <DIGEST> [<OFFSET>]`: the secure world places `OFFSET` zero
//!   bytes and the digest in a new restricted buffer, which is signed at `OFFSET`.
//! - `sign <RSAPrivateKey> fd <FD> <OFFSET> <LEN>`: signs `LEN` bytes at `OFFSET` of the dma-buf
//!   `FD` of the writing process.
//! - `verify <pub|priv> <KEY> import <SIG> <DIGEST>`: the signature and the digest are placed
//!   together in one restricted buffer, and verified there.
//! - `chain <KEY_BYTES> <AES_KEY> <IV> import <DIGEST>`: builds what an engine doing raw RSA would
//!   sign for the digest in restricted memory with a `KEY_BYTES`-byte key, the EMSA-PKCS1-v1_5
//!   prefix in kernel memory chained before the digest, and lets the device read that chain as
//!   the input of an AES-CBC encryption (the device has no raw RSA).
//!
//! Reading returns `rsassa: ok <SIG>` (sign), `rsassa: ok` (verify),
//! `rsassa: ok prefix=<PREFIX> segments=<N> cbc=<CIPHERTEXT>` (chain), or
//! `rsassa: error <errno> at <step>`, the step being `parse`, `key`, `import`, `region` or `run`.

use kernel::{
    debugfs,
    dma_buf::DmaBuf,
    fmt,
    prelude::*,
    str::CString,
    sync::{
        aref::ARef,
        Arc, //
    },
    uaccess::UserSliceReader,
};

use super::cmd::{
    at,
    parse_hex,
    parse_number,
    Failed,
    Hex,
    LastResult, //
};
use crate::{
    engine::{
        Cipher,
        Direction,
        Engine,
        Restricted,
        RsaHash,
        RsaKeyType,
        RsaPadding,
        Segment, //
    },
    rsassa::{
        RsassaKey,
        SignInput, //
    },
    virtio_engine::VirtioEngine,
};

/// The longest command: an RSA-4096 private key and a signature in hexadecimal, and the rest.
const MAX_COMMAND: usize = 16384;

/// Places `bytes` in a new restricted buffer of `engine`.
fn import(engine: &VirtioEngine, bytes: &[u8]) -> core::result::Result<ARef<DmaBuf>, Failed> {
    let key = engine.import_key(bytes).map_err(at("import"))?;
    Ok(key.dma_buf().into())
}

/// The `rsassa` file.
#[pin_data]
pub(crate) struct RsassaTest {
    /// The engine of the device.
    engine: Arc<VirtioEngine>,
    /// The result of the last command.
    #[pin]
    last: LastResult,
}

impl RsassaTest {
    /// Creates the file's data.
    pub(crate) fn new(engine: Arc<VirtioEngine>) -> impl PinInit<Self> {
        pin_init!(Self {
            engine,
            last <- LastResult::new(),
        })
    }

    /// Runs the command `words`; returns the result line.
    fn run(&self, words: &[&[u8]]) -> core::result::Result<CString, Failed> {
        let engine = &self.engine;
        let ok = |f: fmt::Arguments<'_>| CString::try_from_fmt(f).map_err(at("run"));
        let parse = at("parse");
        match words {
            [b"sign", key, how, rest @ ..] => {
                let key = parse_hex(key).map_err(&parse)?;
                let key =
                    RsassaKey::new(engine.clone(), &key, RsaKeyType::Private, RsaHash::Sha256)
                        .map_err(at("key"))?;
                let (buf, offset, len) = match (*how, rest) {
                    (b"import", [digest, offset @ ..]) => {
                        let digest = parse_hex(digest).map_err(&parse)?;
                        let offset = match offset {
                            [] => 0,
                            [o] => parse_number::<usize>(o).map_err(&parse)?,
                            _ => return Err(Failed("parse", EINVAL)),
                        };
                        let mut content = KVec::from_elem(0u8, offset, GFP_KERNEL)
                            .map_err(|e| parse(e.into()))?;
                        content
                            .extend_from_slice(&digest, GFP_KERNEL)
                            .map_err(|e| parse(e.into()))?;
                        (import(engine, &content)?, offset, digest.len())
                    }
                    (b"fd", [fd, offset, len]) => {
                        let fd = i32::try_from(parse_number::<usize>(fd).map_err(&parse)?)
                            .map_err(|_| parse(EINVAL))?;
                        let buf = DmaBuf::from_fd(fd).map_err(&parse)?;
                        (
                            buf,
                            parse_number::<usize>(offset).map_err(&parse)?,
                            parse_number::<usize>(len).map_err(&parse)?,
                        )
                    }
                    _ => return Err(Failed("parse", EINVAL)),
                };
                let digest = Restricted::new(&buf, offset, len).map_err(at("region"))?;
                let sig = key.sign(digest).map_err(at("run"))?;
                ok(fmt!("rsassa: ok {}\n", Hex(&sig)))
            }
            [b"verify", keytype, key, b"import", sig, digest] => {
                let keytype = match *keytype {
                    b"pub" => RsaKeyType::Public,
                    b"priv" => RsaKeyType::Private,
                    _ => return Err(Failed("parse", EINVAL)),
                };
                let key = parse_hex(key).map_err(&parse)?;
                let sig = parse_hex(sig).map_err(&parse)?;
                let digest = parse_hex(digest).map_err(&parse)?;
                let key = RsassaKey::new(engine.clone(), &key, keytype, RsaHash::Sha256)
                    .map_err(at("key"))?;
                let mut content = KVec::new();
                content
                    .extend_from_slice(&sig, GFP_KERNEL)
                    .and_then(|()| content.extend_from_slice(&digest, GFP_KERNEL))
                    .map_err(|e| parse(e.into()))?;
                let buf = import(engine, &content)?;
                let sig_region = Restricted::new(&buf, 0, sig.len()).map_err(at("region"))?;
                let digest_region =
                    Restricted::new(&buf, sig.len(), digest.len()).map_err(at("region"))?;
                key.verify(sig_region, digest_region).map_err(at("run"))?;
                ok(fmt!("rsassa: ok\n"))
            }
            [b"chain", key_bytes, aes_key, iv, b"import", digest] => {
                let key_bytes = parse_number::<usize>(key_bytes).map_err(&parse)?;
                let aes_key = parse_hex(aes_key).map_err(&parse)?;
                let iv = parse_hex(iv).map_err(&parse)?;
                let digest = parse_hex(digest).map_err(&parse)?;
                let buf = import(engine, &digest)?;
                let digest = Restricted::new(&buf, 0, digest.len()).map_err(at("region"))?;
                let input = SignInput::new(RsaPadding::Raw, RsaHash::Sha256, key_bytes, digest)
                    .map_err(at("run"))?;

                let restricted_key = engine.import_key(&aes_key).map_err(at("key"))?;
                let session = engine
                    .create_cipher_session(Cipher::AesCbc, Direction::Encrypt, &restricted_key)
                    .map_err(at("key"))?;
                let result = input.with_segments(|segments| -> Result<_> {
                    let prefix = match segments.first() {
                        Some(Segment::Kernel(p)) => {
                            let mut v = KVec::new();
                            v.extend_from_slice(p, GFP_KERNEL)?;
                            v
                        }
                        _ => KVec::new(),
                    };
                    let cbc = engine.cipher_input(session, Direction::Encrypt, &iv, segments)?;
                    Ok((segments.len(), prefix, cbc))
                });
                let _ = engine.destroy_cipher_session(session);
                let (segments, prefix, cbc) = result.map_err(at("run"))?;
                ok(fmt!(
                    "rsassa: ok prefix={} segments={} cbc={}\n",
                    Hex(&prefix),
                    segments,
                    Hex(&cbc)
                ))
            }
            _ => Err(Failed("parse", EINVAL)),
        }
    }
}

impl debugfs::Reader for RsassaTest {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        self.last
            .run(reader, MAX_COMMAND, "rsassa", |words| self.run(words))
    }
}

impl debugfs::Writer for RsassaTest {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.last.write(f)
    }
}
