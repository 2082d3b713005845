// SPDX-License-Identifier: GPL-2.0

//! The test-only debugfs file `rstkey/load`: checked cipher load that outlives a device.
//!
//! The removal tests unbind and remove the virtio-crypto device while requests are in flight.
//! Their load must come from a file of the module, which stays while the device goes, and every
//! request must end: with the result the generic implementation gives, or with an error.
//!
//! Writing `<TAG> <DRIVER> <LEN> <DEPTH> <MSECS>` runs rounds until `MSECS` milliseconds have
//! passed. Each round allocates a transformation of the skcipher `<DRIVER>`, sets an AES-128 key,
//! and encrypts `DEPTH` buffers of `LEN` bytes, each with its own data, all submitted at once
//! with `CRYPTO_TFM_REQ_MAY_BACKLOG` and then all waited for; the generic `cbc-aes-lib` encrypts
//! the same data, and every buffer must equal its result. A round whose allocation, setkey or
//! request fails counts as failed (with its error); its requests have all ended.
//!
//! Reading returns one line per tag, for the last [`KEEP`] tags:
//! `<TAG> load: rounds=<R> ok=<R> failed=<R> wrong=<N> requests=<N> backlogged=<N>
//! completed=<N> errored=<N> backlog_errored=<N> not_once=<N> last_error=<errno>`, `wrong`
//! counting the buffers that differ from the generic result, `requests` those submitted in
//! rounds whose requests were submitted, `completed` and `errored` how these ended (the two add
//! up to `requests`), `backlog_errored` the backlogged ones that ended with an error, and
//! `not_once` the requests whose callback was not told their end exactly once; or
//! `<TAG> load: error <errno> at parse`.

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
        Mutex, //
    },
    time::{
        Instant,
        Monotonic, //
    },
    uaccess::UserSliceReader,
};

use super::cmd::{
    c_string,
    parse_number,
    read_command,
    split_words, //
};

/// The longest command.
const MAX_COMMAND: usize = 256;

/// The number of tagged results kept.
const KEEP: usize = 16;

/// The longest load, in milliseconds.
const MAX_MSECS: u64 = 600_000;

/// The AES-128 key of every round.
const KEY: [u8; 16] = [0x6b; 16];

/// What a load counted.
#[derive(Default)]
struct Counts {
    rounds: u64,
    ok: u64,
    failed: u64,
    wrong: u64,
    requests: u64,
    backlogged: u64,
    completed: u64,
    errored: u64,
    backlog_errored: u64,
    not_once: u64,
    last_error: i32,
}

/// Fills buffer `i` of `batch` with data of its own for round `round`.
fn fill(batch: &mut Batch<'_>, n: usize, round: u64) {
    for i in 0..n {
        if let Some(buf) = batch.buf_mut(i) {
            for (j, b) in buf.iter_mut().enumerate() {
                // CAST: Only the low bits matter.
                *b = (i as u64 ^ (j as u64 * 13) ^ round) as u8;
            }
        }
    }
}

/// One round on `driver`; `generic` has encrypted the same data already.
fn round(
    driver: &CStr,
    generic: &Batch<'_>,
    n: usize,
    len: usize,
    r: u64,
    c: &mut Counts,
) -> Result {
    let mut tfm = Tfm::new(driver, 0, 0)?;
    tfm.setkey(&KEY)?;
    let mut batch = Batch::new(&tfm, n, len, 0)?;
    fill(&mut batch, n, r);
    // CAST: `n` is at most 64.
    c.requests += n as u64;
    batch.submit(true);
    let ends = batch.wait_ends();
    // CAST: The counts are at most `n`.
    c.backlogged += ends.backlogged as u64;
    c.completed += ends.ok as u64;
    c.errored += ends.errors as u64;
    c.backlog_errored += ends.backlogged_errors as u64;
    c.not_once += ends.not_once as u64;
    if let Some(e) = ends.first_error {
        return Err(e);
    }
    for i in 0..n {
        if batch.buf(i) != generic.buf(i) {
            c.wrong += 1;
        }
    }
    Ok(())
}

/// Runs the load of `driver` for `msecs` milliseconds.
fn run(driver: &CStr, len: usize, n: usize, msecs: u64) -> Result<Counts> {
    let mut gtfm = Tfm::new(c"cbc-aes-lib", 0, 0)?;
    gtfm.setkey(&KEY)?;
    let limit = i64::try_from(msecs.min(MAX_MSECS) * 1_000_000).map_err(|_| EINVAL)?;
    let start = Instant::<Monotonic>::now();
    let mut c = Counts::default();
    while start.elapsed().as_nanos() < limit {
        // A new batch each round, as for the driver: its requests' IVs start at zero.
        let mut generic = Batch::new(&gtfm, n, len, 0)?;
        fill(&mut generic, n, c.rounds);
        generic.run(true)?;
        let r = c.rounds;
        c.rounds += 1;
        match round(driver, &generic, n, len, r, &mut c) {
            Ok(()) => c.ok += 1,
            Err(e) => {
                c.failed += 1;
                c.last_error = e.to_errno();
            }
        }
    }
    Ok(c)
}

/// Runs the command `words`; returns the tag and the result line.
fn command(words: &[&[u8]]) -> Result<(KVec<u8>, CString)> {
    let [tag, driver, len, depth, msecs] = words else {
        return Err(EINVAL);
    };
    let mut t = KVec::new();
    t.extend_from_slice(tag, GFP_KERNEL)?;
    let parsed = (|| -> Result<_> {
        let len = parse_number::<usize>(len)?;
        let n = parse_number::<usize>(depth)?;
        let msecs = parse_number::<u64>(msecs)?;
        if n == 0 || n > 64 || len == 0 || len > 65536 || len % 16 != 0 {
            return Err(EINVAL);
        }
        Ok((c_string(driver)?, len, n, msecs))
    })();
    let line = match parsed {
        Err(e) => CString::try_from_fmt(fmt!("load: error {} at parse", e.to_errno()))?,
        Ok((driver, len, n, msecs)) => match run(&driver, len, n, msecs) {
            Err(e) => CString::try_from_fmt(fmt!("load: error {} at generic", e.to_errno()))?,
            Ok(c) => CString::try_from_fmt(fmt!(
                "load: rounds={} ok={} failed={} wrong={} requests={} backlogged={} \
                 completed={} errored={} backlog_errored={} not_once={} last_error={}",
                c.rounds,
                c.ok,
                c.failed,
                c.wrong,
                c.requests,
                c.backlogged,
                c.completed,
                c.errored,
                c.backlog_errored,
                c.not_once,
                c.last_error
            ))?,
        },
    };
    Ok((t, line))
}

/// The `load` file.
#[pin_data]
pub(crate) struct Load {
    /// The results, by tag, oldest first.
    #[pin]
    results: Mutex<KVec<(KVec<u8>, CString)>>,
}

impl Load {
    /// Creates the file's data.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            results <- new_mutex!(KVec::new(), "Load::results"),
        }? Error)
    }
}

impl debugfs::Reader for Load {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let line = read_command(reader, MAX_COMMAND)?;
        let (tag, result) = command(&split_words(&line)?)?;
        let mut results = self.results.lock();
        results.retain(|(t, _)| t.as_slice() != tag.as_slice());
        if results.len() >= KEEP {
            results.remove(0).map_err(|_| EINVAL)?;
        }
        results.push((tag, result), GFP_KERNEL)?;
        Ok(())
    }
}

impl debugfs::Writer for Load {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (tag, line) in self.results.lock().iter() {
            let tag = core::str::from_utf8(tag).map_err(|_| fmt::Error)?;
            f.write_fmt(fmt!("{} {}\n", tag, line.to_str().map_err(|_| fmt::Error)?))?;
        }
        Ok(())
    }
}
