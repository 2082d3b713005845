// SPDX-License-Identifier: GPL-2.0

//! CPU mappings of physical memory that has no I/O side effects.
//!
//! [`MemRemap`] maps a range of such memory, for instance memory reserved at boot for a firmware
//! or a secure world, with `memremap()` and unmaps it with `memunmap()` when it is dropped.
//! [`system_ram_intersection`] and [`pfn_valid`] are the checks a caller makes on a range before
//! it maps it: whether the kernel uses it as System RAM, and whether it has a memory map.
//!
//! C header: [`include/linux/io.h`](srctree/include/linux/io.h)

use crate::{
    bindings,
    io::PhysAddr,
    prelude::*, //
};
use core::ptr::NonNull;

/// The memory type of a [`MemRemap`] mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write-back cached, the memory type of System RAM (`MEMREMAP_WB`).
    ///
    /// A range that is entirely System RAM is not mapped again: the mapping is the kernel's
    /// direct map of it.
    WriteBack,
    /// Write-through (`MEMREMAP_WT`); System RAM can't be mapped with it.
    WriteThrough,
    /// Write-combining (`MEMREMAP_WC`); System RAM can't be mapped with it.
    WriteCombine,
}

impl Mode {
    /// Returns the `MEMREMAP_*` flag of the memory type.
    fn as_raw(self) -> c_ulong {
        let flag = match self {
            Self::WriteBack => bindings::MEMREMAP_WB,
            Self::WriteThrough => bindings::MEMREMAP_WT,
            Self::WriteCombine => bindings::MEMREMAP_WC,
        };
        // CAST: The flags are small `enum` constants, they fit an `unsigned long`.
        flag as c_ulong
    }
}

/// A CPU mapping of physical memory created with `memremap()`.
///
/// The mapping is removed with `memunmap()` when the object is dropped. Its address is given out
/// only as a raw pointer: what the memory holds and who else accesses it, such as a device with
/// DMA, is known to the owner only, which accesses it with `unsafe` code.
///
/// # Invariants
///
/// `ptr` is the address returned by a successful `memremap()` of the `size` bytes at `phys`,
/// `size` is not zero, and the mapping has not been removed.
///
/// # Examples
///
/// ```no_run
/// use kernel::io::memremap::{
///     system_ram_intersection,
///     Intersection,
///     MemRemap,
///     Mode, //
/// };
///
/// /// Maps `size` bytes at `base`, reserved at boot for this caller.
/// fn map_reserved(base: u64, size: usize) -> Result<MemRemap> {
///     if system_ram_intersection(base, size) != Intersection::Disjoint {
///         return Err(EINVAL);
///     }
///     // SAFETY: The range was reserved at boot for this caller, nothing else uses or maps it.
///     let map = unsafe { MemRemap::new(base, size, Mode::WriteBack) }?;
///     // SAFETY: `map` maps `map.size()` bytes that only this caller accesses.
///     unsafe { core::ptr::write_bytes(map.as_ptr(), 0, map.size()) };
///     Ok(map)
/// }
/// ```
pub struct MemRemap {
    ptr: NonNull<u8>,
    phys: PhysAddr,
    size: usize,
}

// SAFETY: The mapping is not tied to the thread that created it: `memunmap()` may be called from
// any thread that can sleep.
unsafe impl Send for MemRemap {}

// SAFETY: A shared reference only gives out the addresses and the size of the mapping; accesses
// through the address need `unsafe` code, whose callers ensure they don't race.
unsafe impl Sync for MemRemap {}

impl MemRemap {
    /// Maps the `size` bytes of physical memory at `phys` with the memory type `mode`.
    ///
    /// # Errors
    ///
    /// [`EINVAL`] if `size` is zero; [`ENOMEM`] if `memremap()` fails, for instance because the
    /// range can't be mapped with `mode` or is partly System RAM.
    ///
    /// # Safety
    ///
    /// The range must be memory without I/O side effects that nothing but the caller uses for as
    /// long as the mapping exists, for instance memory reserved at boot for the caller, and that
    /// is not mapped with another memory type.
    pub unsafe fn new(phys: PhysAddr, size: usize, mode: Mode) -> Result<Self> {
        if size == 0 {
            return Err(EINVAL);
        }
        // SAFETY: By the safety requirements the range is memory the caller may map with `mode`.
        let ptr = unsafe { bindings::memremap(phys, size, mode.as_raw()) };
        let ptr = NonNull::new(ptr.cast::<u8>()).ok_or(ENOMEM)?;
        // INVARIANT: `ptr` was returned by a successful `memremap()` of the `size` bytes at
        // `phys`, and `size` is not zero.
        Ok(Self { ptr, phys, size })
    }

    /// Returns the address of the mapping, valid for `self.size()` bytes while `self` lives.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Returns the physical address of the mapped range.
    pub fn phys_addr(&self) -> PhysAddr {
        self.phys
    }

    /// Returns the size of the mapping, in bytes, never zero.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl Drop for MemRemap {
    fn drop(&mut self) {
        // SAFETY: By the type invariants `self.ptr` was returned by `memremap()` and is still
        // mapped; it is not used after this.
        unsafe { bindings::memunmap(self.ptr.as_ptr().cast()) };
    }
}

/// How a physical range relates to System RAM, see [`system_ram_intersection`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Intersection {
    /// The range overlaps System RAM, and perhaps holes, but no other resource
    /// (`REGION_INTERSECTS`).
    Intersects,
    /// The range does not overlap System RAM (`REGION_DISJOINT`).
    Disjoint,
    /// The range overlaps System RAM and other resources (`REGION_MIXED`).
    Mixed,
}

/// Returns how the `size` bytes at `start` relate to the System RAM of the resource tree
/// (`region_intersects()` with `IORESOURCE_SYSTEM_RAM`).
///
/// System RAM is managed by the page allocator and mapped by the kernel's direct map: memory
/// that must be kept out of the kernel's reach is [`Intersection::Disjoint`] from it.
pub fn system_ram_intersection(start: PhysAddr, size: usize) -> Intersection {
    // CAST: `IORESOURCE_SYSTEM_RAM` and `IORES_DESC_NONE` are the `unsigned long` flags and
    // descriptor of a resource, from `#define` and `enum` constants.
    let (flags, desc) = (
        bindings::IORESOURCE_SYSTEM_RAM as c_ulong,
        bindings::IORES_DESC_NONE as c_ulong,
    );
    // SAFETY: `region_intersects()` only reads the resource tree, under its lock.
    let ret = unsafe { bindings::region_intersects(start, size, flags, desc) };
    // CAST: `region_intersects()` returns one of the small `REGION_*` constants.
    match ret {
        r if r == bindings::REGION_INTERSECTS as c_int => Intersection::Intersects,
        r if r == bindings::REGION_DISJOINT as c_int => Intersection::Disjoint,
        _ => Intersection::Mixed,
    }
}

/// Returns whether the page frame `pfn` has an entry in the memory map, a `struct page`
/// (`pfn_valid()`).
///
/// Memory that has no memory map, such as memory reserved at boot on some architectures, can't
/// be described by pages, for instance in a scatterlist.
pub fn pfn_valid(pfn: usize) -> bool {
    // SAFETY: `pfn_valid()` only reads the memory map, for any `pfn`.
    unsafe { bindings::pfn_valid(pfn) != 0 }
}
