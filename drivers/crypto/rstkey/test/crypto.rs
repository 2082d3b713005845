// SPDX-License-Identifier: GPL-2.0

//! The test-only debugfs file `crypto`: runs one request through the crypto API.
//!
//! AF_ALG does not reach driver-only asynchronous algorithms, so the tests feed vectors made on
//! the host (openssl) through this file. Writing `<driver> <enc|dec> <KEY> <IV> <DATA>`, with
//! hexadecimal `KEY`, `IV` and `DATA` (`-` for no data), allocates a transformation of the
//! skcipher `<driver>` by its driver name, for instance `cbc-aes-rstkey`, sets the key and
//! encrypts or decrypts the data in place. Reading the file returns
//! `crypto: ok <output> iv=<IV after the request>` or `crypto: error <errno> at <step>`, the step
//! being `parse`, `alloc`, `setkey` or `crypt`.
//!
//! `backlog <driver> <N> <LEN>` submits `N` requests of `LEN` bytes at once (with
//! `CRYPTO_TFM_REQ_MAY_BACKLOG`) while this device's data queues are held, so that they all go to
//! the backlog, releases the hold, waits for all, and compares each result with the generic
//! `cbc-aes-lib`'s; its result is `crypto: ok requests=<N> backlogged=<B>`, `B` being the requests
//! that were put on the backlog (`-EBUSY`), or an error at `compare`.
//!
//! Options after `DATA`: `oop` runs the request out of place, into a separate destination;
//! `dst=<N>` makes the destination `N` bytes long and `len=<N>` the request `N` bytes long
//! (both out of place, and only for rstkey's drivers, which must refuse lists shorter than the
//! request).
//!
//! Several processes may use the file at the same time: a command that starts with `@<tag> `
//! gets the result line `@<tag> crypto: ...`, and reading the file returns the results of the
//! last [`KEEP`] tagged commands, one per line, after the last untagged result.

use kernel::{
    crypto::skcipher::{
        Batch,
        Tfm, //
    },
    debugfs, fmt,
    prelude::*,
    str::CString,
    sync::{
        new_mutex,
        Arc,
        Mutex, //
    },
    uaccess::UserSliceReader,
};

use super::cmd::{
    c_string,
    parse_hex,
    parse_number,
    read_command,
    split_words,
    Hex, //
};
use crate::virtio_engine::VirtioEngine;

/// The longest command: 16 KiB of data in hexadecimal, plus the rest.
const MAX_COMMAND: usize = 40000;

/// The number of tagged results kept.
const KEEP: usize = 64;

/// The results the `crypto` file shows.
struct Results {
    /// The result of the last untagged command.
    last: Option<CString>,
    /// The results of the last tagged commands, oldest first.
    tagged: KVec<CString>,
}

/// The `crypto` file.
#[pin_data]
pub(crate) struct CryptoTest {
    /// The engine of the device, held for the backlog test.
    engine: Arc<VirtioEngine>,
    /// The results.
    #[pin]
    results: Mutex<Results>,
}

impl CryptoTest {
    /// Creates the file's data.
    pub(crate) fn new(engine: Arc<VirtioEngine>) -> impl PinInit<Self> {
        pin_init!(Self {
            engine,
            results <- new_mutex!(
                Results {
                    last: None,
                    tagged: KVec::new(),
                },
                "CryptoTest::results"
            ),
        })
    }

    /// Runs `n` requests of `len` bytes at once on the skcipher `driver` and checks every result
    /// against the generic `cbc-aes-lib`; returns how many were backlogged.
    fn backlog(&self, driver: &[u8], n: &[u8], len: &[u8]) -> Result<CString> {
        let fail = |step: &str, e: Error| {
            CString::try_from_fmt(fmt!("crypto: error {} at {}\n", e.to_errno(), step))
        };
        let parsed = (|| -> Result<_> {
            Ok((
                parse_number::<usize>(n)?,
                parse_number::<usize>(len)?,
                c_string(driver)?,
            ))
        })();
        let (n, len, name) = match parsed {
            Ok(p) => p,
            Err(e) => return fail("parse", e),
        };
        if n == 0 || n > 4096 || len > 65536 {
            return fail("parse", EINVAL);
        }
        let key = [0x3c; 16];
        let mut tfms = KVec::new();
        for name in [&*name, c"cbc-aes-lib"] {
            let mut tfm = match Tfm::new(name, 0, 0) {
                Ok(t) => t,
                Err(e) => return fail("alloc", e),
            };
            if let Err(e) = tfm.setkey(&key) {
                return fail("setkey", e);
            }
            tfms.push(tfm, GFP_KERNEL)?;
        }
        let mut batches = KVec::new();
        for tfm in tfms.iter() {
            let mut batch = match Batch::new(tfm, n, len, 0xa5) {
                Ok(b) => b,
                Err(e) => return fail("alloc", e),
            };
            // Every request has its own data, so a result given to the wrong request shows.
            for i in 0..n {
                if let Some(buf) = batch.buf_mut(i) {
                    for (j, b) in buf.iter_mut().enumerate() {
                        // CAST: Only the low bits matter.
                        *b = (i ^ (j * 7)) as u8;
                    }
                }
            }
            batches.push(batch, GFP_KERNEL)?;
        }
        let mut backlogged = 0;
        for (i, batch) in batches.iter_mut().enumerate() {
            let ran = if i == 0 {
                // The device's queues take nothing while the requests are submitted: they all
                // go to the backlog, and to the device when the hold is released.
                self.engine.hold(true);
                batch.submit(true);
                self.engine.hold(false);
                batch.wait()
            } else {
                batch.run(true)
            };
            match ran {
                Ok(b) if i == 0 => backlogged = b,
                Ok(_) => (),
                Err(e) => return fail("crypt", e),
            }
        }
        let (Some(ours), Some(generic)) = (batches.first(), batches.get(1)) else {
            return fail("crypt", EINVAL);
        };
        for i in 0..n {
            if ours.buf(i) != generic.buf(i) {
                return fail("compare", EBADMSG);
            }
        }
        CString::try_from_fmt(fmt!(
            "crypto: ok requests={} backlogged={}\n",
            n,
            backlogged
        ))
    }

    /// Runs `line`; returns the result line.
    fn run(&self, line: &[u8]) -> Result<CString> {
        let fail = |step: &str, e: Error| {
            CString::try_from_fmt(fmt!("crypto: error {} at {}\n", e.to_errno(), step))
        };
        let words = split_words(line)?;
        if let [b"backlog", driver, n, len] = words.as_slice() {
            return self.backlog(driver, n, len);
        }
        let [driver, dir, key, iv, data, opts @ ..] = words.as_slice() else {
            return fail("parse", EINVAL);
        };
        // Out of place, and lists of other lengths than the request's.
        let (mut out_of_place, mut dst_len, mut cryptlen) = (false, None, None);
        for opt in opts {
            let number = parse_number::<usize>;
            let parsed = match opt.split_at(opt.len().min(4)) {
                (b"oop", b"") => {
                    out_of_place = true;
                    Ok(())
                }
                (b"dst=", v) => number(v).map(|n| dst_len = Some(n)),
                (b"len=", v) => number(v).map(|n| cryptlen = Some(n)),
                _ => Err(EINVAL),
            };
            if parsed.is_err() {
                return fail("parse", EINVAL);
            }
        }
        // Lists shorter than the request are only sent to rstkey's algorithms, which refuse
        // them: others may not check.
        if (dst_len.is_some() || cryptlen.is_some()) && !driver.ends_with(b"-rstkey") {
            return fail("parse", EINVAL);
        }
        let encrypt = match *dir {
            b"enc" => true,
            b"dec" => false,
            _ => return fail("parse", EINVAL),
        };
        // Bad hexadecimal is EINVAL; a failed allocation keeps its ENOMEM.
        let parsed = (|| -> Result<_> {
            Ok((
                parse_hex(key)?,
                parse_hex(iv)?,
                parse_hex(data)?,
                c_string(driver)?,
            ))
        })();
        let (key, mut iv, mut data, name) = match parsed {
            Ok(p) => p,
            Err(e) => return fail("parse", e),
        };

        let mut tfm = match Tfm::new(&name, 0, 0) {
            Ok(t) => t,
            Err(e) => return fail("alloc", e),
        };
        if iv.len() != tfm.iv_size() {
            return fail("parse", EINVAL);
        }
        if let Err(e) = tfm.setkey(&key) {
            return fail("setkey", e);
        }
        let ret = if dst_len.is_some() || cryptlen.is_some() {
            let mut dst = KVec::from_elem(0u8, dst_len.unwrap_or(data.len()), GFP_KERNEL)?;
            let len = cryptlen.unwrap_or(data.len());
            // SAFETY: The driver is one of rstkey's, registered through the crypto abstraction,
            // which refuses lists shorter than the request.
            let ret = unsafe { tfm.crypt_lengths(&mut iv, &data, &mut dst, len, encrypt) };
            data = dst;
            ret
        } else if out_of_place {
            let mut dst = KVec::from_elem(0u8, data.len(), GFP_KERNEL)?;
            let ret = tfm.crypt_into(&mut iv, &data, &mut dst, encrypt);
            data = dst;
            ret
        } else if encrypt {
            tfm.encrypt_buf(&mut iv, &mut data)
        } else {
            tfm.decrypt_buf(&mut iv, &mut data)
        };
        if let Err(e) = ret {
            return fail("crypt", e);
        }
        CString::try_from_fmt(fmt!("crypto: ok {} iv={}\n", Hex(&data), Hex(&iv)))
    }
}

impl debugfs::Reader for CryptoTest {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let line = read_command(reader, MAX_COMMAND)?;
        let tag = match line.strip_prefix(b"@") {
            Some(rest) => {
                let end = rest
                    .iter()
                    .position(|c| c.is_ascii_whitespace())
                    .ok_or(EINVAL)?;
                Some((&rest[..end], &rest[end..]))
            }
            None => None,
        };
        match tag {
            None => {
                let result = self.run(&line)?;
                self.results.lock().last = Some(result);
            }
            Some((tag, command)) => {
                let tag = core::str::from_utf8(tag).map_err(|_| EINVAL)?;
                let result = self.run(command)?;
                let line = CString::try_from_fmt(fmt!("@{} {}", tag, result.to_str()?))?;
                let mut results = self.results.lock();
                if results.tagged.len() >= KEEP {
                    results.tagged.remove(0).map_err(|_| EINVAL)?;
                }
                results.tagged.push(line, GFP_KERNEL)?;
            }
        }
        Ok(())
    }
}

impl debugfs::Writer for CryptoTest {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let results = self.results.lock();
        match &results.last {
            Some(s) => f.write_str(s.to_str().map_err(|_| fmt::Error)?)?,
            None => f.write_str("none\n")?,
        }
        for line in results.tagged.iter() {
            f.write_str(line.to_str().map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}
