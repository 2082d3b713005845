// SPDX-License-Identifier: GPL-2.0

// This file, and no other of the secure world, calls C functions through `kernel::bindings`
// directly. Its negative tests do on purpose what the abstractions exist to prevent: a vmap of
// a protected buffer and a request for CPU access to it (`kernel::dma_buf` has neither), and a
// read of the carveout through the kernel's direct map that must oops; `attach` also looks a PCI
// device up by number, which no abstraction offers. Wrapping any of this would add to the kernel
// crate exactly the CPU mappings of protected memory it keeps out. `fuzz` passes the key manager
// raw parameters, with the types, offsets and sizes a C client of the TEE could pass, which the
// abstractions' parameter types make impossible to build.

//! Tests of the rstkey emulated secure world: a TEE kernel client driven through debugfs.
//!
//! Writing a command to `/sys/kernel/debug/rstkey_sw_test/cmd` runs it; reading the file returns
//! its result, `<command>: ok ...` or `<command>: error <errno>`. The guest tests compare the
//! results with independent references (openssl on the host, sha256sum in the guest). Commands:
//!
//! - `alloc <size>`: allocate protected memory with the in-kernel API and free it;
//! - `import <hex>`, `unwrap <hex> [<type> <usages>]`: place a clear key / unwrap a key blob into
//!   protected memory (for the use of the key type and usages given, AES-CBC by default), then
//!   return the key length and the SHA-256 digest of the key the secure world computes;
//! - `generate <len> [<type> <usages> [<flags>]]`: generate a key (AES-CBC by default), return
//!   its digest, and, if the flags have `RSTKEY_KM_FLAG_EXPORTABLE`, its blob;
//! - `zeroize-cmd <size>`: generate, ZEROIZE, return the digest of the whole buffer;
//! - `fill-free <size>`: fill a buffer with random keys, return its digest and free it;
//! - `alloc-check <size>`: allocate a buffer and return its digest (after `fill-free` of the
//!   whole pool, the same pages, which must have been zeroed);
//! - `cycles <n> <size>`: `n` allocate/free cycles;
//! - `oob`: memory references outside their shared memory;
//! - `vmap`, `cpu-access`: kernel CPU access to a protected buffer;
//! - `attach <PCI_DEVID>`, `attach-faux`: attach a device and return the DMA address;
//! - `fault <phys>`: read the carveout at `phys` through the direct map, which must oops;
//! - `fuzz <seed> <n> [<blob hex>]`: `n` invocations of the key manager with random functions
//!   and raw parameters (types, values, offsets and sizes, in and out of their shared memory,
//!   restricted and not), the input memory holding random bytes or the blob with a few bits
//!   flipped; returns how many got each result code. A code the key manager does not document,
//!   or an error of the TEE core, is counted as `unexpected`.
//!
//! A dma-buf is a file: its last reference is dropped with `fput()`, which defers the release to
//! the return to user space. Buffers freed by a command are back in the pool once its write
//! returns, not during it.
//!
//! This module exists for tests only: `fault` deliberately crashes the kernel.

use kernel::{
    bindings,
    crypto::sha256,
    debugfs,
    device::Device,
    dma::DataDirection,
    dma_buf::DmaBuf,
    faux, fmt,
    prelude::*,
    str::CString,
    sync::{
        aref::ARef,
        new_mutex,
        Mutex, //
    },
    tee::{
        backend::result,
        rstkey_km::{
            self,
            blob::usage,
            cmd, //
        },
        Context,
        HeapId,
        MemRef,
        Param,
        Shm,
        Value, //
    },
    uaccess::UserSliceReader,
};

/// The largest command: an unwrap of the largest blob in hex.
const MAX_COMMAND: usize = 16384;
/// Size of key buffers.
const KEY_BUF: usize = 4096;

/// Formats `bytes` as lower-case hex.
struct Hex<'a>(&'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            f.write_fmt(fmt!("{:02x}", b))?;
        }
        Ok(())
    }
}

fn parse_hex(hex: &[u8]) -> Result<KVec<u8>> {
    fn digit(c: u8) -> Result<u8> {
        match c {
            b'0'..=b'9' => Ok(c - b'0'),
            b'a'..=b'f' => Ok(c - b'a' + 10),
            b'A'..=b'F' => Ok(c - b'A' + 10),
            _ => Err(EINVAL),
        }
    }
    if hex.len() % 2 != 0 {
        return Err(EINVAL);
    }
    let mut out = KVec::with_capacity(hex.len() / 2, GFP_KERNEL)?;
    for pair in hex.chunks_exact(2) {
        out.push((digit(pair[0])? << 4) | digit(pair[1])?, GFP_KERNEL)?;
    }
    Ok(out)
}

fn parse_num(s: &[u8]) -> Result<u64> {
    let s = core::str::from_utf8(s).map_err(|_| EINVAL)?;
    let r = match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|_| EINVAL)
}

/// A client of the key manager.
struct Client {
    ctx: Context,
}

impl Client {
    /// Invokes `func` in a new session of the key manager.
    fn invoke(&self, func: u32, params: &mut [Param<'_>]) -> Result {
        self.ctx
            .open_session(&rstkey_km::UUID, &mut [])?
            .invoke(func, params)
    }

    /// Allocates a key buffer of `size` bytes and registers it with the TEE.
    fn protmem(&self, size: usize) -> Result<(ARef<DmaBuf>, Shm)> {
        let buf = self.ctx.alloc_protmem(HeapId::CryptoKey, size)?;
        let shm = self.ctx.register_dma_buf(&buf)?;
        Ok((buf, shm))
    }

    /// Returns the digest of `size` bytes at `offset` of `shm`, computed by the secure world.
    fn check(&self, shm: &Shm, offset: usize, size: usize) -> Result<sha256::Digest> {
        let out = self.ctx.alloc_shm(sha256::DIGEST_SIZE)?;
        self.invoke(
            cmd::CHECK,
            &mut [
                Param::MemRefInput(MemRef::new(shm, offset, size)?),
                Param::MemRefOutput(MemRef::whole(&out)),
            ],
        )?;
        let mut digest = [0u8; sha256::DIGEST_SIZE];
        out.read(0, &mut digest)?;
        Ok(digest)
    }

    /// Runs IMPORT, or UNWRAP for the use `unwrap_for` (key type, usages), of `input` into a new
    /// key buffer; returns the key length and digest.
    fn place(
        &self,
        input: &[u8],
        unwrap_for: Option<(u64, u64)>,
    ) -> Result<(usize, sha256::Digest)> {
        let mut inp = self.ctx.alloc_shm(input.len().max(1))?;
        inp.write(0, input)?;
        let (_buf, shm) = self.protmem(KEY_BUF)?;
        let mut params = [
            Param::MemRefInput(MemRef::new(&inp, 0, input.len())?),
            Param::MemRefOutput(MemRef::whole(&shm)),
            Param::ValueInput(Value { a: 0, b: 0, c: 0 }),
        ];
        match unwrap_for {
            Some((a, b)) => {
                params[2] = Param::ValueInput(Value { a, b, c: 0 });
                self.invoke(cmd::UNWRAP, &mut params)?;
            }
            None => self.invoke(cmd::IMPORT, &mut params[..2])?,
        }
        let len = match params[1] {
            Param::MemRefOutput(m) => m.size(),
            _ => return Err(EINVAL),
        };
        Ok((len, self.check(&shm, 0, len)?))
    }

    /// Generates a key of `len` bytes, type `key_type` and usages and flags `use_` (usages in
    /// bits 0-15, flags in bits 32-63) at `offset` of `shm`; with `blob`, exports it there and
    /// returns the blob's length.
    fn generate(
        &self,
        shm: &Shm,
        offset: usize,
        len: usize,
        (key_type, use_): (u64, u64),
        blob: Option<&Shm>,
    ) -> Result<usize> {
        let mut params = [
            Param::ValueInput(Value {
                a: len as u64,
                b: key_type,
                c: use_,
            }),
            Param::MemRefOutput(MemRef::new(shm, offset, len)?),
            Param::ValueInput(Value { a: 0, b: 0, c: 0 }),
        ];
        let Some(blob) = blob else {
            self.invoke(cmd::GENERATE, &mut params[..2])?;
            return Ok(0);
        };
        params[2] = Param::MemRefOutput(MemRef::whole(blob));
        self.invoke(cmd::GENERATE, &mut params)?;
        match params[2] {
            Param::MemRefOutput(m) => Ok(m.size()),
            _ => Err(EINVAL),
        }
    }

    /// Fills `size` bytes of `shm` with generated keys, in one session: AES-XTS keys of 64 bytes,
    /// then AES-CBC keys of 32 and 16 bytes; the last 0 to 15 bytes are left.
    fn fill(&self, shm: &Shm, size: usize) -> Result {
        let session = self.ctx.open_session(&rstkey_km::UUID, &mut [])?;
        let mut off = 0;
        loop {
            let (len, use_) = match size - off {
                64.. => (64, usage::AES_XTS),
                32.. => (32, usage::AES_CBC),
                16.. => (16, usage::AES_CBC),
                _ => return Ok(()),
            };
            session.invoke(
                cmd::GENERATE,
                &mut [
                    Param::ValueInput(Value {
                        a: len as u64,
                        b: AES,
                        c: u64::from(use_),
                    }),
                    Param::MemRefOutput(MemRef::new(shm, off, len)?),
                ],
            )?;
            off += len;
        }
    }
}

/// The AES key type, as a parameter value.
const AES: u64 = rstkey_km::blob::KEY_AES as u64;

/// A xorshift64* generator: a fuzz run is reproduced from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (not 0).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An offset and a size for a memory reference into `len` bytes of which the first `data`
    /// are the input: mostly inside them, or exactly the input, else at or past their end, or
    /// overflowing.
    fn range(&mut self, len: usize, data: usize) -> (usize, usize) {
        match self.below(8) {
            0 => (self.next() as usize, self.next() as usize),
            1 => (len, 1 + self.below(4) as usize),
            2 => (0, len + 1 + self.below(16) as usize),
            3 => (
                usize::MAX - self.below(4) as usize,
                2 + self.below(4) as usize,
            ),
            4 => (0, data),
            _ => {
                let off = self.below(len as u64 + 1) as usize;
                (off, self.below((len - off) as u64 + 1) as usize)
            }
        }
    }
}

/// Parameter types (`TEE_IOCTL_PARAM_ATTR_TYPE_*`).
const VALUE_INPUT: u64 = bindings::TEE_IOCTL_PARAM_ATTR_TYPE_VALUE_INPUT as u64;
const MEMREF_INPUT: u64 = bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INPUT as u64;
const MEMREF_OUTPUT: u64 = bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_OUTPUT as u64;
const MEMREF_INOUT: u64 = bindings::TEE_IOCTL_PARAM_ATTR_TYPE_MEMREF_INOUT as u64;

/// Size of the input memory of a fuzz run: more than the largest blob.
const FUZZ_INPUT: usize = 8192;

/// The result codes the key manager documents, with the names `fuzz` prints.
const FUZZ_CODES: [(u32, &str); 10] = [
    (result::SUCCESS, "ok"),
    (result::BAD_PARAMETERS, "bad_parameters"),
    (result::SHORT_BUFFER, "short_buffer"),
    (result::MAC_INVALID, "mac_invalid"),
    (result::BAD_FORMAT, "bad_format"),
    (result::NOT_SUPPORTED, "not_supported"),
    (result::ACCESS_DENIED, "access_denied"),
    (result::ITEM_NOT_FOUND, "item_not_found"),
    (result::OUT_OF_MEMORY, "out_of_memory"),
    (result::BAD_STATE, "bad_state"),
];

/// Runs `n` random invocations of the key manager; see `fuzz` in the module documentation.
fn fuzz(c: &Client, seed: u64, n: u64, blob: &[u8]) -> Result<CString> {
    // The seed blobs of the tests wrap AES-CBC keys.
    let blob_use = (
        u64::from(rstkey_km::blob::KEY_AES),
        u64::from(rstkey_km::blob::usage::AES_CBC),
    );
    if blob.len() > FUZZ_INPUT {
        return Err(EINVAL);
    }
    let mut rng = Rng(seed | 1);
    let session = c.ctx.open_session(&rstkey_km::UUID, &mut [])?;
    let mut input = c.ctx.alloc_shm(FUZZ_INPUT)?;
    let (_key, prot) = c.protmem(KEY_BUF)?;
    let out = c.ctx.alloc_shm(sha256::DIGEST_SIZE * 2)?;
    let mut bytes = KVec::from_elem(0u8, FUZZ_INPUT, GFP_KERNEL)?;
    let mut counts = [0u64; FUZZ_CODES.len()];
    let (mut unexpected, mut unwrapped) = (0u64, 0u64);
    for _ in 0..n {
        let len = if !blob.is_empty() && rng.below(2) == 0 {
            bytes[..blob.len()].copy_from_slice(blob);
            for _ in 0..rng.below(4) {
                let i = rng.below(blob.len() as u64) as usize;
                bytes[i] ^= 1 << rng.below(8);
            }
            blob.len()
        } else {
            let len = rng.below(128) as usize;
            for b in bytes[..len].iter_mut() {
                *b = rng.next() as u8;
            }
            len
        };
        input.write(0, &bytes[..len])?;

        let func = if rng.below(8) == 0 {
            rng.next() as u32
        } else {
            rng.below(5) as u32
        };
        let shms = [&input, &prot, &out];
        let mut raw: [bindings::tee_param; 4] = pin_init::zeroed();
        // Half the time the parameter types the command takes, so that it gets past the type
        // check to the offsets, sizes and contents; else any number of any types.
        let types: &[u64] = match func {
            _ if rng.below(2) == 0 => &[],
            cmd::IMPORT | cmd::CHECK => &[MEMREF_INPUT, MEMREF_OUTPUT],
            cmd::UNWRAP => &[MEMREF_INPUT, MEMREF_OUTPUT, VALUE_INPUT],
            cmd::GENERATE if rng.below(2) == 0 => &[VALUE_INPUT, MEMREF_OUTPUT],
            cmd::GENERATE => &[VALUE_INPUT, MEMREF_OUTPUT, MEMREF_OUTPUT],
            cmd::ZEROIZE => &[MEMREF_INOUT],
            _ => &[],
        };
        let num = if types.is_empty() {
            rng.below(raw.len() as u64 + 1) as usize
        } else {
            types.len()
        };
        for (i, p) in raw[..num].iter_mut().enumerate() {
            // 0 to 7 are the types of `TEE_IOCTL_PARAM_ATTR_TYPE_*` (4 is unused), 8 to 255 no
            // type; now and then with bits above the type set. The union is filled as the type
            // says: a client that gives a memory reference gives its shared memory.
            let ty = types.get(i).copied().unwrap_or_else(|| match rng.below(9) {
                8 => 8 + rng.below(248),
                t => t,
            });
            let high = if rng.below(4) == 0 {
                rng.next() & !0xff
            } else {
                0
            };
            p.attr = ty | high;
            if (MEMREF_INPUT..=MEMREF_INOUT).contains(&ty) {
                let shm = shms[rng.below(shms.len() as u64) as usize];
                let (shm_offs, size) = rng.range(shm.size(), len);
                p.u.memref = bindings::tee_param_memref {
                    shm_offs,
                    size,
                    shm: shm.as_raw(),
                };
            } else {
                // Now and then the seed blob's use, or an AES-CBC key of 32 bytes to generate,
                // exportable or not; else small, length-like or any numbers.
                let (a, b, c) = match rng.below(4) {
                    0 if func == cmd::UNWRAP => (blob_use.0, blob_use.1, 0),
                    0 => (32, AES, 1 | (rng.below(2) << 32)),
                    1 => (rng.below(4), rng.below(4), rng.below(4)),
                    2 => (rng.below(KEY_BUF as u64 + 8), rng.next(), rng.next()),
                    _ => (rng.next(), rng.next(), rng.next()),
                };
                p.u.value = bindings::tee_param_value { a, b, c };
            }
        }
        // Now and then a session that is not open.
        let sid = if rng.below(64) == 0 {
            rng.next() as u32
        } else {
            session.id()
        };
        let mut arg = bindings::tee_ioctl_invoke_arg {
            func,
            session: sid,
            cancel_id: 0,
            ret: 0,
            ret_origin: 0,
            // CAST: At most 4.
            num_params: num as u32,
            params: bindings::__IncompleteArrayField::new(),
        };
        // SAFETY: The context is open, `arg` is valid, and `raw` holds `num` parameters whose
        // memory references point to shared memory that lives until the end of the function.
        let rc =
            unsafe { bindings::tee_client_invoke_func(c.ctx.as_raw(), &mut arg, raw.as_mut_ptr()) };
        match FUZZ_CODES.iter().position(|(code, _)| *code == arg.ret) {
            Some(i) if rc == 0 => counts[i] += 1,
            _ => unexpected += 1,
        }
        if rc == 0 && arg.ret == result::SUCCESS && func == cmd::UNWRAP {
            unwrapped += 1;
        }
    }
    drop(session);

    let mut text = KVec::new();
    for ((_, name), n) in FUZZ_CODES.iter().zip(counts) {
        let word = CString::try_from_fmt(fmt!("{}={} ", name, n))?;
        text.extend_from_slice(word.to_bytes(), GFP_KERNEL)?;
    }
    let text = core::str::from_utf8(&text).map_err(|_| EINVAL)?;
    CString::try_from_fmt(fmt!(
        "runs={} {}unwrapped={} unexpected={}",
        n,
        text,
        unwrapped,
        unexpected
    ))
}

/// The state of the debugfs file.
#[pin_data]
struct Tester {
    client: Client,
    faux: faux::Registration,
    #[pin]
    last: Mutex<Option<CString>>,
}

impl Tester {
    fn run(&self, line: &[u8]) -> Result<CString> {
        let mut words = line
            .split(|c| c.is_ascii_whitespace())
            .filter(|w| !w.is_empty());
        let cmd = words.next().ok_or(EINVAL)?;
        let arg1 = words.next();
        let arg2 = words.next();
        let num = |a: Option<&[u8]>| a.ok_or(EINVAL).and_then(parse_num);
        let c = &self.client;
        let name = core::str::from_utf8(cmd).map_err(|_| EINVAL)?;

        let outcome: Result<CString> = match cmd {
            b"alloc" => {
                let size = num(arg1)? as usize;
                c.ctx
                    .alloc_protmem(HeapId::CryptoKey, size)
                    .and_then(|b| CString::try_from_fmt(fmt!("size={}", b.size())))
            }
            b"import" | b"unwrap" => {
                let input = parse_hex(arg1.ok_or(EINVAL)?)?;
                let unwrap_for = if cmd == b"import" {
                    None
                } else {
                    // The use the key is unwrapped for; AES-CBC unless given.
                    let key_type =
                        arg2.map_or(Ok(u64::from(rstkey_km::blob::KEY_AES)), parse_num)?;
                    let usage = words
                        .next()
                        .map_or(Ok(u64::from(rstkey_km::blob::usage::AES_CBC)), parse_num)?;
                    Some((key_type, usage))
                };
                c.place(&input, unwrap_for).and_then(|(len, d)| {
                    CString::try_from_fmt(fmt!("len={} sha256={}", len, Hex(&d)))
                })
            }
            b"generate" => {
                let len = num(arg1)? as usize;
                // Key type, usages, flags: an AES-CBC key unless given.
                let key_type = arg2.map_or(Ok(AES), parse_num)?;
                let usage = words
                    .next()
                    .map_or(Ok(u64::from(usage::AES_CBC)), parse_num)?;
                let flags = words.next().map_or(Ok(0), parse_num)?;
                let export = flags & u64::from(rstkey_km::blob::FLAG_EXPORTABLE) != 0;
                (|| {
                    let (_buf, shm) = c.protmem(KEY_BUF)?;
                    let out = c.ctx.alloc_shm(KEY_BUF * 2)?;
                    let n = c.generate(
                        &shm,
                        0,
                        len,
                        (key_type, usage | flags << 32),
                        export.then_some(&out),
                    )?;
                    let d = c.check(&shm, 0, len)?;
                    if n == 0 {
                        return CString::try_from_fmt(fmt!("len={} sha256={}", len, Hex(&d)));
                    }
                    let mut blob = KVec::from_elem(0u8, n, GFP_KERNEL)?;
                    out.read(0, &mut blob)?;
                    CString::try_from_fmt(fmt!(
                        "len={} sha256={} blob={}",
                        len,
                        Hex(&d),
                        Hex(&blob)
                    ))
                })()
            }
            b"zeroize-cmd" => {
                let size = num(arg1)? as usize;
                (|| {
                    let (_buf, shm) = c.protmem(size)?;
                    c.fill(&shm, size)?;
                    let before = c.check(&shm, 0, size)?;
                    c.invoke(cmd::ZEROIZE, &mut [Param::MemRefInout(MemRef::whole(&shm))])?;
                    let after = c.check(&shm, 0, size)?;
                    CString::try_from_fmt(fmt!("before={} after={}", Hex(&before), Hex(&after)))
                })()
            }
            b"fill-free" => {
                let size = num(arg1)? as usize;
                (|| {
                    let (_buf, shm) = c.protmem(size)?;
                    c.fill(&shm, size)?;
                    let d = c.check(&shm, 0, size)?;
                    // The buffer is released when this write returns.
                    CString::try_from_fmt(fmt!("sha256={}", Hex(&d)))
                })()
            }
            b"alloc-check" => {
                let size = num(arg1)? as usize;
                (|| {
                    let (_buf, shm) = c.protmem(size)?;
                    let d = c.check(&shm, 0, size)?;
                    CString::try_from_fmt(fmt!("sha256={}", Hex(&d)))
                })()
            }
            b"cycles" => {
                let n = num(arg1)?;
                let size = num(arg2)? as usize;
                (|| {
                    for _ in 0..n {
                        drop(c.ctx.alloc_protmem(HeapId::CryptoKey, size)?);
                    }
                    CString::try_from_fmt(fmt!("cycles={}", n))
                })()
            }
            b"oob" => (|| {
                let (_buf, shm) = c.protmem(KEY_BUF)?;
                let mut refused = 0;
                for (off, len) in [
                    (KEY_BUF, 1),
                    (0, KEY_BUF + 1),
                    (usize::MAX, 2),
                    (1, KEY_BUF),
                ] {
                    if MemRef::new(&shm, off, len).err() == Some(EINVAL) {
                        refused += 1;
                    }
                }
                CString::try_from_fmt(fmt!("refused={}", refused))
            })(),
            b"vmap" => (|| {
                let buf = c.ctx.alloc_protmem(HeapId::CryptoKey, KEY_BUF)?;
                let mut map: bindings::iosys_map = pin_init::zeroed();
                // SAFETY: `buf` is a valid dma-buf and `map` is writable. A protected buffer has
                // no vmap operation; if it had one, the mapping is released below.
                let ret = unsafe { bindings::dma_buf_vmap_unlocked(buf.as_raw(), &mut map) };
                if ret == 0 {
                    // SAFETY: `map` was returned by the successful vmap above.
                    unsafe { bindings::dma_buf_vunmap_unlocked(buf.as_raw(), &mut map) };
                    return CString::try_from_fmt(fmt!("mapped"));
                }
                Err(Error::from_errno(ret))
            })(),
            b"cpu-access" => (|| {
                let buf = c.ctx.alloc_protmem(HeapId::CryptoKey, KEY_BUF)?;
                let dir = bindings::dma_data_direction::DMA_BIDIRECTIONAL;
                // SAFETY: `buf` is a valid dma-buf.
                let ret = unsafe { bindings::dma_buf_begin_cpu_access(buf.as_raw(), dir) };
                if ret == 0 {
                    // SAFETY: CPU access was granted above.
                    unsafe { bindings::dma_buf_end_cpu_access(buf.as_raw(), dir) };
                    return CString::try_from_fmt(fmt!("granted"));
                }
                Err(Error::from_errno(ret))
            })(),
            b"attach-faux" => attach(c, self.faux.as_ref().as_ref()),
            b"attach" => {
                let devid = u32::try_from(num(arg1)?).map_err(|_| EINVAL)?;
                attach_pci(c, devid)
            }
            b"fault" => fault(num(arg1)?),
            b"fuzz" => {
                let blob = match words.next() {
                    Some(hex) => parse_hex(hex)?,
                    None => KVec::new(),
                };
                fuzz(c, num(arg1)?, num(arg2)?, &blob)
            }
            _ => return Err(EINVAL),
        };

        match outcome {
            Ok(s) => CString::try_from_fmt(fmt!("{}: ok {}\n", name, s.to_str()?)),
            Err(e) => CString::try_from_fmt(fmt!("{}: error {}\n", name, e.to_errno())),
        }
    }
}

/// Attaches `dev` to a key buffer and returns the DMA address of its mapping.
fn attach(c: &Client, dev: &Device<kernel::device::Bound>) -> Result<CString> {
    let buf = c.ctx.alloc_protmem(HeapId::CryptoKey, KEY_BUF)?;
    let mapping = buf.attach(dev)?.map(DataDirection::Bidirectional)?;
    let sg = mapping.iter().next().ok_or(EINVAL)?;
    CString::try_from_fmt(fmt!(
        "dma={:#x} len={:#x} entries={}",
        sg.dma_address(),
        sg.dma_len(),
        mapping.iter().count()
    ))
}

/// Attaches the PCI device `PCI_DEVID(bus, devfn)` of segment 0 while it is bound to a driver.
fn attach_pci(c: &Client, devid: u32) -> Result<CString> {
    // SAFETY: Looking up a PCI device has no preconditions; a reference is taken on success.
    let pdev = unsafe { bindings::pci_get_domain_bus_and_slot(0, devid >> 8, devid & 0xff) };
    if pdev.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: `pdev` is valid, we hold a reference to it.
    let dev = unsafe { &raw mut (*pdev).dev };
    // SAFETY: `dev` is valid; holding its lock keeps it bound (or unbound) while we use it.
    unsafe { bindings::mutex_lock(&raw mut (*dev).mutex) };
    // SAFETY: `dev` is valid and locked.
    let outcome = if unsafe { (*dev).driver.is_null() } {
        Err(ENODEV)
    } else {
        // SAFETY: `dev` is valid; it is bound to a driver and stays bound while we hold its lock,
        // until after the attachment is dropped at the end of `attach`.
        attach(c, unsafe {
            Device::<kernel::device::Normal>::from_raw(dev).as_bound()
        })
    };
    // SAFETY: Locked above; the reference from the lookup is dropped.
    unsafe {
        bindings::mutex_unlock(&raw mut (*dev).mutex);
        bindings::pci_dev_put(pdev);
    }
    outcome
}

/// Reads the byte at physical address `base`, in the carveout, through the kernel's direct map:
/// this must fault.
fn fault(base: u64) -> Result<CString> {
    pr_warn!(
        "reading protected memory at {:#x} through the direct map, expect an oops\n",
        base
    );
    // SAFETY: None: this is the deliberate fault of the test. The direct map address of `base`
    // is not mapped, since the carveout is not System RAM; the read oopses this task.
    let v = unsafe {
        let va = (bindings::page_offset_base + base as usize) as *const u8;
        core::ptr::read_volatile(va)
    };
    pr_err!(
        "protected memory was readable through the direct map ({:#x})\n",
        v
    );
    CString::try_from_fmt(fmt!("read"))
}

impl debugfs::Reader for Tester {
    fn read_from_slice(&self, reader: &mut UserSliceReader) -> Result {
        let n = reader.len();
        if n > MAX_COMMAND {
            return Err(EINVAL);
        }
        let mut line = KVec::new();
        line.extend_with(n, 0, GFP_KERNEL)?;
        reader.read_slice(&mut line)?;
        let result = self.run(&line)?;
        *self.last.lock() = Some(result);
        Ok(())
    }
}

impl debugfs::Writer for Tester {
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.last.lock() {
            Some(s) => f.write_str(s.to_str().map_err(|_| fmt::Error)?),
            None => f.write_str("none\n"),
        }
    }
}

/// The module: the context and session live as long as it.
struct TestModule {
    _file: Pin<KBox<debugfs::File<Tester>>>,
    _dir: debugfs::Dir,
}

impl kernel::Module for TestModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let ctx = Context::open(|v| v.impl_id == rstkey_km::IMPL_ID)?;
        // Fail early if the key manager is not there.
        drop(ctx.open_session(&rstkey_km::UUID, &mut [])?);
        let faux = faux::Registration::new(c"rstkey-sw-test", None)?;
        let dir = debugfs::Dir::new(c"rstkey_sw_test");
        let file = KBox::pin_init(
            dir.read_write_file(
                c"cmd",
                try_pin_init!(Tester {
                    client: Client { ctx },
                    faux,
                    last <- new_mutex!(None),
                }? Error),
            ),
            GFP_KERNEL,
        )?;
        Ok(Self {
            _file: file,
            _dir: dir,
        })
    }
}

module! {
    type: TestModule,
    name: "rstkey_sw_test",
    authors: ["rstkey developers"],
    description: "Tests of the rstkey emulated secure world (deliberately unsafe)",
    license: "GPL",
    imports_ns: ["DMA_BUF"],
}
