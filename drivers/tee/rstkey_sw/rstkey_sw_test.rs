// SPDX-License-Identifier: GPL-2.0

// This file, and no other of the secure world, calls C functions through `kernel::bindings`
// directly. Its negative tests do on purpose what the abstractions exist to prevent: a vmap of
// a protected buffer and a request for CPU access to it (`kernel::dma_buf` has neither), and a
// read of the carveout through the kernel's direct map that must oops; `attach` also looks a PCI
// device up by number, which no abstraction offers. Wrapping any of this would add to the kernel
// crate exactly the CPU mappings of protected memory it keeps out.

//! Tests of the rstkey emulated secure world: a TEE kernel client driven through debugfs.
//!
//! Writing a command to `/sys/kernel/debug/rstkey_sw_test/cmd` runs it; reading the file returns
//! its result, `<command>: ok ...` or `<command>: error <errno>`. The guest tests compare the
//! results with independent references (openssl on the host, sha256sum in the guest). Commands:
//!
//! - `alloc <size>`: allocate protected memory with the in-kernel API and free it;
//! - `import <hex>`, `unwrap <hex>`: place a clear key / unwrap a key blob into protected memory,
//!   then return the key length and the SHA-256 digest of the key the secure world computes;
//! - `generate <len>`: generate a key, return its digest;
//! - `zeroize-cmd <size>`: generate, ZEROIZE, return the digest of the whole buffer;
//! - `fill-free <size>`: fill a buffer with random keys, return its digest and free it;
//! - `alloc-check <size>`: allocate a buffer and return its digest (after `fill-free` of the
//!   whole pool, the same pages, which must have been zeroed);
//! - `cycles <n> <size>`: `n` allocate/free cycles;
//! - `oob`: memory references outside their shared memory;
//! - `vmap`, `cpu-access`: kernel CPU access to a protected buffer;
//! - `attach <PCI_DEVID>`, `attach-faux`: attach a device and return the DMA address;
//! - `fault <phys>`: read the carveout at `phys` through the direct map, which must oops.
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
        rstkey_km::{
            self,
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

    /// Runs IMPORT or UNWRAP of `input` into a new key buffer; returns the key length and digest.
    fn place(&self, func: u32, input: &[u8]) -> Result<(usize, sha256::Digest)> {
        let mut inp = self.ctx.alloc_shm(input.len().max(1))?;
        inp.write(0, input)?;
        let (_buf, shm) = self.protmem(KEY_BUF)?;
        let mut params = [
            Param::MemRefInput(MemRef::new(&inp, 0, input.len())?),
            Param::MemRefOutput(MemRef::whole(&shm)),
        ];
        self.invoke(func, &mut params)?;
        let len = match params[1] {
            Param::MemRefOutput(m) => m.size(),
            _ => return Err(EINVAL),
        };
        Ok((len, self.check(&shm, 0, len)?))
    }

    fn generate(&self, shm: &Shm, offset: usize, len: usize) -> Result {
        self.invoke(
            cmd::GENERATE,
            &mut [
                Param::ValueInput(Value {
                    a: len as u64,
                    b: 0,
                    c: 0,
                }),
                Param::MemRefOutput(MemRef::new(shm, offset, len)?),
            ],
        )
    }
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
                let func = if cmd == b"import" {
                    cmd::IMPORT
                } else {
                    cmd::UNWRAP
                };
                c.place(func, &input).and_then(|(len, d)| {
                    CString::try_from_fmt(fmt!("len={} sha256={}", len, Hex(&d)))
                })
            }
            b"generate" => {
                let len = num(arg1)? as usize;
                (|| {
                    let (_buf, shm) = c.protmem(KEY_BUF)?;
                    c.generate(&shm, 0, len)?;
                    let d = c.check(&shm, 0, len)?;
                    CString::try_from_fmt(fmt!("len={} sha256={}", len, Hex(&d)))
                })()
            }
            b"zeroize-cmd" => {
                let size = num(arg1)? as usize;
                (|| {
                    let (_buf, shm) = c.protmem(size)?;
                    c.generate(&shm, 0, size.min(KEY_BUF))?;
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
                    let mut off = 0;
                    while off < size {
                        let len = (size - off).min(KEY_BUF);
                        c.generate(&shm, off, len)?;
                        off += len;
                    }
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
