// SPDX-License-Identifier: GPL-2.0

//! The test-only debugfs file `rstkey/bench`: measures crypto API algorithms by driver name.
//!
//! It belongs to the module, not to a device, so that the same measurements run while the
//! virtio-crypto device is bound to another driver (the C `virtio_crypto`), and against the
//! generic software implementations. Commands (keys and data in hexadecimal):
//!
//! - `skcipher <DRIVER> <LEN> <DEPTH> <MSECS> [<KEY>]`: with `KEY` (default: an AES-128 key;
//!   for `cbc-paes-rstkey`, a key blob), encrypts `DEPTH` buffers of `LEN` bytes in place, all
//!   submitted and then all waited for (as `tcrypt`'s multibuffer speed test, `mode=600
//!   num_mb=DEPTH`, does), again and again for at least `MSECS` milliseconds.
//! - `setkey <DRIVER> <KEY> <MSECS>`: sets `KEY` on one transformation, again and again: what
//!   a key costs the driver (for rstkey: the import or unwrap, and the device sessions).
//! - `sign <DRIVER> <RSAPrivateKey> <MSECS>`: signs a SHA-256 digest with a `crypto_sig`
//!   transformation, one signature after the other.
//! - `decrypt <DRIVER> <RSAPrivateKey> <MSECS>`: decrypts, with an `akcipher` transformation, a
//!   message the same transformation encrypted first.
//! - `pkey_sign <DESCRIPTION> <MSECS>`: signs a SHA-256 digest with the asymmetric key described
//!   by `DESCRIPTION` in the writer's keyrings, through the key type as `keyctl pkey_sign` does
//!   in the kernel (the key is looked up once), one signature after the other: with a key of the
//!   subtype `rstkey`, the device signs with the restricted key it holds; with a PKCS#8 key, the
//!   kernel's `public_key` subtype allocates a `pkcs1(rsa,sha256)` transformation and sets the
//!   key for each signature.
//!
//! Reading returns `bench: ok ops=<N> bytes=<N> ns=<N>` (bytes: 0 for RSA) or
//! `bench: error <errno> at <step>`, the step being `parse`, `alloc`, `setkey`, `lookup` or
//! `run`.

use kernel::{
    crypto::{
        akcipher::AkcipherTfm,
        sig::SigTfm,
        skcipher::{
            Batch,
            Tfm, //
        },
    },
    debugfs, fmt,
    prelude::*,
    str::CString,
    time::{
        Instant,
        Monotonic, //
    },
    uaccess::UserSliceReader,
};

#[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
use kernel::key::asymmetric;

use super::cmd::{
    at,
    c_string,
    parse_hex,
    parse_number,
    Failed,
    LastResult, //
};

/// The longest command: an RSA-4096 private key in hexadecimal and the rest.
const MAX_COMMAND: usize = 8192;

/// The longest measurement, in milliseconds.
const MAX_MSECS: u64 = 60_000;

/// What a measurement counted.
struct Measured {
    ops: u64,
    bytes: u64,
    ns: i64,
}

/// Runs `op` until `msecs` milliseconds have passed; `op` returns the bytes it processed.
fn measure(msecs: u64, mut op: impl FnMut() -> Result<u64>) -> Result<Measured> {
    let limit = i64::try_from(msecs.min(MAX_MSECS) * 1_000_000).map_err(|_| EINVAL)?;
    let start = Instant::<Monotonic>::now();
    let mut m = Measured {
        ops: 0,
        bytes: 0,
        ns: 0,
    };
    while m.ns < limit {
        m.bytes += op()?;
        m.ops += 1;
        m.ns = start.elapsed().as_nanos();
    }
    Ok(m)
}

/// The SHA-256 digest that is signed: of the empty message.
const DIGEST: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Runs the command `words`.
fn run(words: &[&[u8]]) -> core::result::Result<Measured, Failed> {
    let parse = at("parse");
    match words {
        [b"skcipher", driver, len, depth, msecs, key @ ..] if key.len() <= 1 => {
            let name = c_string(driver).map_err(&parse)?;
            let len = parse_number::<usize>(len).map_err(&parse)?;
            let depth = parse_number::<usize>(depth).map_err(&parse)?;
            let msecs = parse_number::<u64>(msecs).map_err(&parse)?;
            if depth == 0 || depth > 64 || len > 1 << 20 {
                return Err(parse(EINVAL));
            }
            let key = match key {
                [hex] => parse_hex(hex).map_err(&parse)?,
                _ => KVec::from_elem(0x5a, 16, GFP_KERNEL).map_err(|e| parse(e.into()))?,
            };
            let mut tfm = Tfm::new(&name, 0, 0).map_err(at("alloc"))?;
            tfm.setkey(&key).map_err(at("setkey"))?;
            let mut batch = Batch::new(&tfm, depth, len, 0xff).map_err(at("alloc"))?;
            // CAST: `len * depth` is at most 64 MiB.
            let bytes = (len * depth) as u64;
            let mut m = measure(msecs, || batch.run(true).map(|_| bytes)).map_err(at("run"))?;
            // Each run is `depth` requests.
            m.ops *= depth as u64;
            Ok(m)
        }
        [b"setkey", driver, key, msecs] => {
            let name = c_string(driver).map_err(&parse)?;
            let key = parse_hex(key).map_err(&parse)?;
            let msecs = parse_number::<u64>(msecs).map_err(&parse)?;
            let mut tfm = Tfm::new(&name, 0, 0).map_err(at("alloc"))?;
            measure(msecs, || tfm.setkey(&key).map(|()| 0)).map_err(at("setkey"))
        }
        [b"sign", driver, key, msecs] => {
            let name = c_string(driver).map_err(&parse)?;
            let key = parse_hex(key).map_err(&parse)?;
            let msecs = parse_number::<u64>(msecs).map_err(&parse)?;
            let mut tfm = SigTfm::new(&name).map_err(at("alloc"))?;
            tfm.set_privkey(&key).map_err(at("setkey"))?;
            let mut sig =
                KVec::from_elem(0u8, tfm.max_size(), GFP_KERNEL).map_err(|e| parse(e.into()))?;
            measure(msecs, || tfm.sign(&DIGEST, &mut sig).map(|_| 0)).map_err(at("run"))
        }
        [b"decrypt", driver, key, msecs] => {
            let name = c_string(driver).map_err(&parse)?;
            let key = parse_hex(key).map_err(&parse)?;
            let msecs = parse_number::<u64>(msecs).map_err(&parse)?;
            let mut tfm = AkcipherTfm::new(&name).map_err(at("alloc"))?;
            tfm.set_priv_key(&key).map_err(at("setkey"))?;
            let size = tfm.max_size();
            let mut cipher = KVec::from_elem(0u8, size, GFP_KERNEL).map_err(|e| parse(e.into()))?;
            let mut plain = KVec::from_elem(0u8, size, GFP_KERNEL).map_err(|e| parse(e.into()))?;
            tfm.encrypt(&DIGEST, &mut cipher).map_err(at("run"))?;
            measure(msecs, || {
                let n = tfm.decrypt(&cipher, &mut plain)?;
                if plain.get(..n) != Some(&DIGEST[..]) {
                    return Err(EBADMSG);
                }
                Ok(0)
            })
            .map_err(at("run"))
        }
        #[cfg(CONFIG_ASYMMETRIC_KEY_TYPE = "y")]
        [b"pkey_sign", description, msecs] => {
            let description = c_string(description).map_err(&parse)?;
            let msecs = parse_number::<u64>(msecs).map_err(&parse)?;
            let key = asymmetric::request(&description).map_err(at("lookup"))?;
            let mut sig = KVec::from_elem(0u8, 512, GFP_KERNEL).map_err(|e| parse(e.into()))?;
            measure(msecs, || {
                asymmetric::sign(&key, c"pkcs1", c"sha256", &DIGEST, &mut sig).map(|_| 0)
            })
            .map_err(at("run"))
        }
        _ => Err(parse(EINVAL)),
    }
}

/// The `bench` file.
#[pin_data]
pub(crate) struct Bench {
    /// The result of the last command.
    #[pin]
    last: LastResult,
}

impl Bench {
    /// Creates the file's data.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            last <- LastResult::new(),
        }? Error)
    }
}

impl debugfs::Reader for Bench {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        self.last.run(reader, MAX_COMMAND, "bench", |words| {
            let m = run(words)?;
            CString::try_from_fmt(fmt!(
                "bench: ok ops={} bytes={} ns={}\n",
                m.ops,
                m.bytes,
                m.ns
            ))
            .map_err(at("run"))
        })
    }
}

impl debugfs::Writer for Bench {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.last.write(f)
    }
}
