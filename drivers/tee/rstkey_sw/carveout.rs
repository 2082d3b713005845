// SPDX-License-Identifier: GPL-2.0

//! The carveout: physical memory the secure world protects, and its allocator.
//!
//! The carveout is reserved at boot (`memmap=<size>$<base>` on x86), so it is not System RAM and
//! not in the kernel's direct map: a normal-world CPU access through the linear map faults. This
//! module holds the only CPU mapping of it, private to the secure world, and is the protected
//! memory pool of the `protected,crypto-key` heap. Freed buffers are zeroed through that mapping
//! before they can be allocated again.

use kernel::{
    device::Device,
    io::memremap::{
        self,
        Intersection,
        MemRemap,
        Mode, //
    },
    page::PAGE_SIZE,
    pci,
    prelude::*,
    sync::{
        new_mutex,
        Mutex, //
    },
    tee::protmem::{
        PhysAddr,
        ProtmemPool, //
    },
};

/// Bits per word of the allocation bitmap.
const BITS: usize = u64::BITS as usize;

/// The page allocation state of the carveout.
///
/// # Invariants
///
/// Bit `i` of `used` is set if page `i` of the carveout belongs to an allocated buffer;
/// `free_pages` is the number of clear bits below `pages`.
struct Pages {
    used: KVec<u64>,
    pages: usize,
    free_pages: usize,
    buffers: usize,
}

impl Pages {
    fn new(pages: usize) -> Result<Self> {
        let mut used = KVec::new();
        used.extend_with(pages.div_ceil(BITS), 0, GFP_KERNEL)?;
        Ok(Self {
            used,
            pages,
            free_pages: pages,
            buffers: 0,
        })
    }

    fn is_used(&self, i: usize) -> bool {
        self.used[i / BITS] & (1 << (i % BITS)) != 0
    }

    fn set(&mut self, first: usize, count: usize, used: bool) {
        for i in first..first + count {
            if used {
                self.used[i / BITS] |= 1 << (i % BITS);
            } else {
                self.used[i / BITS] &= !(1 << (i % BITS));
            }
        }
    }

    /// Allocates `count` contiguous pages, first fit, and returns the first.
    fn alloc(&mut self, count: usize) -> Option<usize> {
        if count == 0 || count > self.free_pages {
            return None;
        }
        let mut run = 0;
        for i in 0..self.pages {
            if self.is_used(i) {
                run = 0;
                continue;
            }
            run += 1;
            if run == count {
                let first = i + 1 - count;
                self.set(first, count, true);
                self.free_pages -= count;
                self.buffers += 1;
                return Some(first);
            }
        }
        None
    }

    /// Frees `count` pages from `first`, which must be an allocated buffer.
    fn free(&mut self, first: usize, count: usize) {
        self.set(first, count, false);
        self.free_pages += count;
        self.buffers -= 1;
    }
}

/// Usage of the carveout, for the debugfs file `pool`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) pages: usize,
    pub(crate) free_pages: usize,
    pub(crate) buffers: usize,
}

/// The carveout.
///
/// The mapping is accessed only through the bounds-checked methods below, from any thread;
/// concurrent accesses to the same bytes of key material are serialised by the clients, which own
/// the buffers, and the allocator state is protected by its mutex.
///
/// # Invariants
///
/// - `base` and `size` are page aligned, `size` is not zero and `base + size` does not overflow.
/// - `map` maps the `size` bytes at `base`, write-back; no other CPU mapping of the carveout
///   exists.
#[pin_data(PinnedDrop)]
pub(crate) struct Carveout {
    base: PhysAddr,
    size: usize,
    map: MemRemap,
    grant_pci: Option<u16>,
    #[pin]
    pages: Mutex<Pages>,
}

impl Carveout {
    /// Takes the `size` bytes at `base` as the carveout, granting DMA access to the PCI device
    /// `grant_pci` (`PCI_DEVID(bus, devfn)` on segment 0), if any.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if the range is not page aligned, empty, overflows, intersects System RAM
    /// (then it would be in the direct map) or is not covered by the memory map; [`ENOMEM`] if
    /// it can't be mapped.
    pub(crate) fn new(
        base: u64,
        size: u64,
        grant_pci: Option<u16>,
    ) -> Result<impl PinInit<Self, Error>> {
        let page = PAGE_SIZE as u64;
        if size == 0 || base % page != 0 || size % page != 0 || base.checked_add(size).is_none() {
            return Err(EINVAL);
        }
        let size = usize::try_from(size).map_err(|_| EINVAL)?;

        if memremap::system_ram_intersection(base, size) != Intersection::Disjoint {
            pr_err!(
                "carveout {:#x}+{:#x} is System RAM, reserve it with memmap=\n",
                base,
                size
            );
            return Err(EINVAL);
        }

        let (first, last) = (base / page, (base + size as u64 - 1) / page);
        let covered = memremap::pfn_valid(first as usize) && memremap::pfn_valid(last as usize);
        if !covered {
            pr_err!("carveout {:#x}+{:#x} has no memory map\n", base, size);
            return Err(EINVAL);
        }

        // SAFETY: The range is reserved for the secure world and not System RAM, as checked above;
        // nothing else uses it and this is the only mapping of it.
        let map = unsafe { MemRemap::new(base, size, Mode::WriteBack) }?;
        // SAFETY: `map` maps `size` bytes that nothing else accesses yet; the memory's previous
        // content must not leak to the first user.
        unsafe { core::ptr::write_bytes(map.as_ptr(), 0, size) };

        // On failure, `map` is unmapped when it is dropped.
        let pages = Pages::new(size / PAGE_SIZE)?;

        // INVARIANT: The range was checked above and `map` is its only mapping.
        Ok(try_pin_init!(Self {
            base,
            size,
            map,
            grant_pci,
            pages <- new_mutex!(pages),
        }? Error))
    }

    /// Returns the physical range of the carveout.
    pub(crate) fn range(&self) -> (PhysAddr, usize) {
        (self.base, self.size)
    }

    /// Returns the usage of the carveout.
    pub(crate) fn usage(&self) -> Usage {
        let p = self.pages.lock();
        Usage {
            pages: p.pages,
            free_pages: p.free_pages,
            buffers: p.buffers,
        }
    }

    /// Returns the offset in the carveout of the `len` bytes at `phys`.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if the range is not entirely inside the carveout.
    fn offset(&self, phys: PhysAddr, len: usize) -> Result<usize> {
        let off = phys.checked_sub(self.base).ok_or(EINVAL)?;
        let off = usize::try_from(off).map_err(|_| EINVAL)?;
        match off.checked_add(len) {
            Some(end) if end <= self.size => Ok(off),
            _ => Err(EINVAL),
        }
    }

    /// Writes `data` at `phys` through the private mapping.
    pub(crate) fn write(&self, phys: PhysAddr, data: &[u8]) -> Result {
        let off = self.offset(phys, data.len())?;
        // SAFETY: By the type invariants `map` maps the carveout and the range is inside it.
        unsafe {
            core::ptr::copy_nonoverlapping(data.as_ptr(), self.map.as_ptr().add(off), data.len())
        };
        Ok(())
    }

    /// Overwrites the `len` bytes at `phys` with zeros through the private mapping.
    pub(crate) fn zero(&self, phys: PhysAddr, len: usize) -> Result {
        let off = self.offset(phys, len)?;
        // SAFETY: As in `write`.
        unsafe { core::ptr::write_bytes(self.map.as_ptr().add(off), 0, len) };
        Ok(())
    }

    /// Runs `f` on the `len` bytes at `phys`, read through the private mapping.
    ///
    /// The secure world uses this to hash or to read key material into a cipher; the bytes never
    /// leave it.
    pub(crate) fn with_bytes<R>(
        &self,
        phys: PhysAddr,
        len: usize,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        let off = self.offset(phys, len)?;
        // SAFETY: As in `write`; writers of the same bytes are serialised by the buffer's owner.
        let bytes = unsafe { core::slice::from_raw_parts(self.map.as_ptr().add(off), len) };
        Ok(f(bytes))
    }
}

#[pinned_drop]
impl PinnedDrop for Carveout {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `map` maps `size` bytes and is not used after this, but to be unmapped when it
        // is dropped, after this function.
        unsafe { core::ptr::write_bytes(self.map.as_ptr(), 0, self.size) };
    }
}

impl ProtmemPool for Carveout {
    fn alloc(&self, size: usize) -> Result<PhysAddr> {
        let count = size / PAGE_SIZE;
        let first = self.pages.lock().alloc(count).ok_or(ENOMEM)?;
        Ok(self.base + (first * PAGE_SIZE) as u64)
    }

    fn free(&self, phys: PhysAddr, size: usize) {
        // The pages are zeroed before they can be allocated again.
        if self.zero(phys, size).is_err() {
            pr_err!("free of {:#x}+{:#x} outside the carveout\n", phys, size);
            return;
        }
        let first = (phys - self.base) as usize / PAGE_SIZE;
        self.pages.lock().free(first, size / PAGE_SIZE);
    }

    fn attach(&self, dev: &Device) -> Result {
        let granted = <&pci::Device>::try_from(dev)
            .ok()
            .is_some_and(|pdev| Some(pdev.dev_id()) == self.grant_pci);
        if !granted {
            dev_warn!(dev, "no grant for restricted memory\n");
            return Err(EPERM);
        }
        Ok(())
    }
}

#[kunit_tests(rstkey_sw_carveout)]
mod tests {
    use super::*;

    /// First-fit allocation of contiguous pages, and freeing, keep the counters right.
    #[test]
    fn pages() -> Result {
        let mut p = Pages::new(10)?;
        assert_eq!(p.alloc(0), None);
        assert_eq!(p.alloc(11), None);
        assert_eq!(p.alloc(3), Some(0));
        assert_eq!(p.alloc(4), Some(3));
        assert_eq!(p.alloc(4), None);
        p.free(0, 3);
        assert_eq!((p.free_pages, p.buffers), (6, 1));
        // The hole at 0..3 is too small for 4 pages, the tail 7..10 too.
        assert_eq!(p.alloc(4), None);
        assert_eq!(p.alloc(2), Some(0));
        p.free(3, 4);
        assert_eq!(p.alloc(8), Some(2));
        assert_eq!((p.free_pages, p.buffers), (0, 2));
        Ok(())
    }
}
