// SPDX-License-Identifier: GPL-2.0

//! The test-only debugfs file `rstkey/keyring`: an in-kernel user of asymmetric keys, as a
//! kernel subsystem that holds a key by its description is.
//!
//! The key is looked up by description in the keyrings of the writing process
//! ([`asymmetric::request`], `request_key()`), with the keyring's permission checks; every
//! signature is checked with `verify_signature()` on the key's public part before it is
//! returned. Commands, with hexadecimal digests and signatures:
//!
//! - `sign <DESCRIPTION> <HASH> <DIGEST> restricted [<OFFSET>]`: the key must be of the subtype
//!   `rstkey`; its device's secure world places `OFFSET` zero bytes and the digest in a new
//!   restricted buffer, which the device signs at `OFFSET`
//!   ([`RestrictedRsa::sign_restricted`]): the CPU never reads the digest.
//! - `sign <DESCRIPTION> <HASH> <DIGEST> kernel [<LEN>]`: the digest in kernel memory, signed
//!   through the key type as `keyctl pkey_sign` does ([`asymmetric::sign`]) into a buffer of
//!   `LEN` bytes (default: 512): any asymmetric key, of the subtype `rstkey` or a PKCS#8 key of
//!   the kernel's `public_key`.
//! - `verify <DESCRIPTION> <HASH> <SIGNATURE> <DIGEST>`: `verify_signature()` only.
//! - `repeat <DESCRIPTION> <COUNT>`: signs `COUNT` random SHA-256 digests through the key type
//!   and verifies each signature: returns `keyring: ok verified=<N> zero=<N>`, `zero` counting the signatures whose first byte is zero (one in 256 to one in 128, as the
//!   modulus's first byte is), or the error of the first that fails.
//!
//! `HASH` is `sha1`, `sha256`, `sha512` or any other the key may refuse. Reading returns
//! `keyring: ok <SIGNATURE>` (sign), `keyring: ok` (verify) or
//! `keyring: error <errno> at <step>`, the step being `parse`, `lookup`, `subtype`, `import`,
//! `region`, `sign` or `verify`.

use kernel::{
    debugfs,
    fmt,
    key::{
        asymmetric,
        Key, //
    },
    prelude::*,
    random,
    str::CString,
    uaccess::UserSliceReader, //
};

use super::cmd::{
    at,
    c_string,
    parse_hex,
    parse_number,
    Failed,
    Hex,
    LastResult, //
};
use crate::{
    asym::RestrictedRsa,
    engine::Restricted, //
};

/// The longest command: a description, an RSA-4096 signature and a digest in hexadecimal.
const MAX_COMMAND: usize = 4096;

/// The largest offset of a restricted digest.
const MAX_OFFSET: usize = 1 << 16;

/// The largest signature: of an RSA-4096 key.
const MAX_SIG: usize = 512;

/// The most signatures of one `repeat`.
const MAX_REPEAT: u32 = 100_000;

/// Signs `digest`, a `hash` digest, with the private key of `key` (as the command says:
/// `restricted [<OFFSET>]` or `kernel [<LEN>]`), and returns the signature.
fn sign(
    key: &Key,
    hash: &CStr,
    how: &[&[u8]],
    digest: &[u8],
) -> core::result::Result<KVec<u8>, Failed> {
    let parse = at("parse");
    match how {
        [b"restricted", offset @ ..] => {
            let offset = match offset {
                [] => 0,
                [o] => parse_number::<usize>(o).map_err(&parse)?,
                _ => return Err(parse(EINVAL)),
            };
            if offset > MAX_OFFSET {
                return Err(parse(EINVAL));
            }
            let rsa = RestrictedRsa::of(key).ok_or(Failed("subtype", EOPNOTSUPP))?;
            let mut content =
                KVec::from_elem(0u8, offset, GFP_KERNEL).map_err(|e| parse(e.into()))?;
            content
                .extend_from_slice(digest, GFP_KERNEL)
                .map_err(|e| parse(e.into()))?;
            let buf = rsa.engine().import_key(&content).map_err(at("import"))?;
            let region =
                Restricted::new(buf.dma_buf(), offset, digest.len()).map_err(at("region"))?;
            rsa.sign_restricted(hash, region).map_err(at("sign"))
        }
        [b"kernel", len @ ..] => {
            let len = match len {
                [] => MAX_SIG,
                [l] => parse_number::<usize>(l).map_err(&parse)?,
                _ => return Err(parse(EINVAL)),
            };
            if len > MAX_SIG {
                return Err(parse(EINVAL));
            }
            let mut sig = KVec::from_elem(0u8, len, GFP_KERNEL).map_err(|e| parse(e.into()))?;
            let n = asymmetric::sign(key, c"pkcs1", hash, digest, &mut sig).map_err(at("sign"))?;
            sig.truncate(n);
            Ok(sig)
        }
        _ => Err(parse(EINVAL)),
    }
}

/// Runs the command `words`; returns the result line.
fn run(words: &[&[u8]]) -> core::result::Result<CString, Failed> {
    let parse = at("parse");
    let ok = |f: fmt::Arguments<'_>| CString::try_from_fmt(f).map_err(at("parse"));
    match words {
        [b"sign", description, hash, digest, how @ ..] => {
            let description = c_string(description).map_err(&parse)?;
            let hash = c_string(hash).map_err(&parse)?;
            let digest = parse_hex(digest).map_err(&parse)?;
            let key = asymmetric::request(&description).map_err(at("lookup"))?;
            let sig = sign(&key, &hash, how, &digest)?;
            asymmetric::verify(&key, c"rsa", c"pkcs1", &hash, &sig, &digest)
                .map_err(at("verify"))?;
            ok(fmt!("keyring: ok {}\n", Hex(&sig)))
        }
        [b"verify", description, hash, sig, digest] => {
            let description = c_string(description).map_err(&parse)?;
            let hash = c_string(hash).map_err(&parse)?;
            let sig = parse_hex(sig).map_err(&parse)?;
            let digest = parse_hex(digest).map_err(&parse)?;
            let key = asymmetric::request(&description).map_err(at("lookup"))?;
            asymmetric::verify(&key, c"rsa", c"pkcs1", &hash, &sig, &digest)
                .map_err(at("verify"))?;
            ok(fmt!("keyring: ok\n"))
        }
        [b"repeat", description, count] => {
            let description = c_string(description).map_err(&parse)?;
            let count = parse_number::<u32>(count).map_err(&parse)?;
            if count > MAX_REPEAT {
                return Err(parse(EINVAL));
            }
            let key = asymmetric::request(&description).map_err(at("lookup"))?;
            let mut sig = KVec::from_elem(0u8, MAX_SIG, GFP_KERNEL).map_err(|e| parse(e.into()))?;
            let mut zero = 0u32;
            for signed in 0..count {
                let mut digest = [0u8; 32];
                random::fill_bytes(&mut digest);
                let n = asymmetric::sign(&key, c"pkcs1", c"sha256", &digest, &mut sig).map_err(
                    |e| {
                        pr_info!("keyring repeat: signature {} failed\n", signed);
                        Failed("sign", e)
                    },
                )?;
                let sig = sig.get(..n).ok_or(Failed("sign", EIO))?;
                asymmetric::verify(&key, c"rsa", c"pkcs1", c"sha256", sig, &digest).map_err(
                    |e| {
                        pr_info!("keyring repeat: signature {} does not verify\n", signed);
                        Failed("verify", e)
                    },
                )?;
                if sig.first() == Some(&0) {
                    zero += 1;
                }
            }
            ok(fmt!("keyring: ok verified={} zero={}\n", count, zero))
        }
        _ => Err(parse(EINVAL)),
    }
}

/// The `keyring` file.
#[pin_data]
pub(crate) struct KeyringTest {
    /// The result of the last command.
    #[pin]
    last: LastResult,
}

impl KeyringTest {
    /// Creates the file's data.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            last <- LastResult::new(),
        }? Error)
    }
}

impl debugfs::Reader for KeyringTest {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        self.last.run(reader, MAX_COMMAND, "keyring", run)
    }
}

impl debugfs::Writer for KeyringTest {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.last.write(f)
    }
}
